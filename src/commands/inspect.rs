//! `zemstvo inspect`: what a plugin file is, before anyone runs it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::cli::CliError;

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The plugin: a component built for wasm32-wasip2.
    pub plugin: PathBuf,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub async fn inspect(args: InspectArgs) -> Result<ExitCode, CliError> {
    let runtime = super::runtime()?;
    let plugin = super::load_file(&runtime, &args.plugin).await?;
    if args.json {
        let value = serde_json::json!({
            "metadata": plugin.metadata,
            "sha256": plugin.sha256,
            "wit_version": plugin.wit_version,
            "sdk_stamp": plugin.sdk_stamp,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).expect("metadata serialises")
        );
    } else {
        print!("{}", crate::print::metadata(&plugin));
    }
    Ok(ExitCode::SUCCESS)
}
