//! `zemstvo`: the command line of the zemstvo platform. All the work is in the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = zemstvo::cli::Cli::parse();
    if !cli.command.serves() {
        restore_default_sigpipe();
    }
    zemstvo::cli::init_tracing(cli.verbose, cli.log_format == "json");
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match runtime.block_on(zemstvo::cli::execute(cli)) {
        Ok(code) => code,
        Err(e @ zemstvo::cli::CliError::Refused(_)) => {
            eprintln!("{e}");
            e.exit_code()
        }
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

/// Rust ignores SIGPIPE, so a closed output pipe (`zemstvo tasks list | head -2`) turns every
/// later `println!` into a panic. A command that prints and exits should end quietly instead,
/// like `ls | head`: restore the default action. Long-running servers keep ignoring it, so a
/// peer that hangs up never kills them.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to the default before any thread starts has no
    // memory-safety implications.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
