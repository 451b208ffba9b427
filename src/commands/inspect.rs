//! `zemstvo inspect`: what a plugin file is, before anyone runs it; and with `--schema`, the
//! region's data a plugin can read (the data reference, generated from the entity schema).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::cli::CliError;

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The plugin: a component built for wasm32-wasip2.
    #[arg(required_unless_present = "schema")]
    pub plugin: Option<PathBuf>,

    /// Instead of a plugin, print the data reference: every entity and column a plugin can
    /// read, its type, whether it may be absent, the grant it needs and what it means
    /// (Markdown; the SDK's DATA.md is this output).
    #[arg(long, conflicts_with = "plugin")]
    pub schema: bool,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub async fn inspect(args: InspectArgs) -> Result<ExitCode, CliError> {
    use zemstvo_core::capabilities::data::reference;
    let Some(path) = &args.plugin else {
        if args.json {
            let schema = reference::json();
            println!(
                "{}",
                serde_json::to_string_pretty(&schema).expect("JSON values serialise")
            );
        } else {
            print!("{}", reference::markdown());
        }
        return Ok(ExitCode::SUCCESS);
    };
    let runtime = super::runtime()?;
    let plugin = super::load_file(&runtime, path).await?;
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
