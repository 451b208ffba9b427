//! `zemstvo`: the command line of the zemstvo platform. All the work is in the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = zemstvo::cli::Cli::parse();
    zemstvo::cli::init_tracing(cli.verbose);
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
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}
