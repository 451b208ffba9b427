//! `zemstvo plugin parameters|set-parameter|remove-parameter`: effective-dated parameters
//! as an administrator keeps them current — when an act changes an amount from a date, the
//! region adds the entry and the next decision uses it; no new build, no reinstall.

use clap::Args;
use zemstvo_core::capabilities::config::ParameterValue;
use zemstvo_service::RegionHost;
use zemstvo_store::parameters::EntryChange;

use crate::cli::CliError;
use crate::print;

fn failed(e: impl std::fmt::Display) -> CliError {
    CliError::Input(e.to_string())
}

/// Prints each parameter's history, marking the entry in force now and the region's own.
pub async fn list(host: &RegionHost, plugin: &str) -> Result<(), CliError> {
    let parameters = host.parameters(plugin).await.map_err(failed)?;
    if parameters.is_empty() {
        println!("{plugin} declares no effective-dated parameters");
        return Ok(());
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for p in &parameters {
        println!("{} — {}", p.name, p.description);
        let current = p.in_force(now).map(|l| l.value.effective_from);
        for line in &p.lines {
            let v = &line.value;
            let source = match &line.added_by {
                Some((actor, at)) if line.replaces_plugin_value => {
                    format!(
                        "region, replaces the plugin's value (by {actor}, {})",
                        print::timestamp(*at)
                    )
                }
                Some((actor, at)) => format!("region (by {actor}, {})", print::timestamp(*at)),
                None => "plugin".into(),
            };
            println!(
                "  {} from {}  {} {}  [{source}]  {}",
                if current == Some(v.effective_from) {
                    "*"
                } else {
                    " "
                },
                print::date(v.effective_from),
                v.value,
                v.unit,
                v.legal_basis
            );
        }
    }
    println!("(* in force today)");
    Ok(())
}

/// The arguments of `zemstvo plugin set-parameter`.
#[derive(Debug, Args)]
pub struct SetParameterArgs {
    #[command(flatten)]
    pub database: super::DatabaseArgs,
    /// The plugin.
    pub name: String,
    pub parameter: String,
    /// The first day the value applies, e.g. 2027-01-01.
    #[arg(long)]
    pub from: String,
    #[arg(long)]
    pub value: f64,
    /// The unit; by default the one the plugin counts the parameter in.
    #[arg(long)]
    pub unit: Option<String>,
    /// The act that sets the value, e.g. "Закон ХМАО – Югры от 07.07.2004 № 45-оз".
    #[arg(long)]
    pub basis: String,
}

/// Adds the region's entry; the unit defaults to the one the plugin counts in.
pub async fn set(host: &RegionHost, args: SetParameterArgs, actor: &str) -> Result<(), CliError> {
    let SetParameterArgs {
        name: plugin,
        parameter,
        from,
        value,
        unit,
        basis,
        ..
    } = args;
    let (plugin, parameter, from) = (plugin.as_str(), parameter.as_str(), from.as_str());
    let effective_from = print::parse_date(from, "--from")?;
    let unit = match unit {
        Some(u) => u,
        None => host
            .parameters(plugin)
            .await
            .map_err(failed)?
            .iter()
            .find(|p| p.name == parameter)
            .and_then(|p| p.lines.last())
            .map(|l| l.value.unit.clone())
            .unwrap_or_default(),
    };
    let entry = ParameterValue {
        effective_from,
        value,
        unit: unit.clone(),
        legal_basis: basis,
    };
    let change = host
        .set_parameter(plugin, parameter, entry, actor)
        .await
        .map_err(failed)?;
    println!(
        "{plugin}: {parameter} is {value} {unit} from {from} ({}); runs from now on use it",
        match change {
            EntryChange::Added => "added",
            EntryChange::Replaced => "replaced the region's earlier entry for that date",
        }
    );
    Ok(())
}

pub async fn remove(
    host: &RegionHost,
    plugin: &str,
    parameter: &str,
    from: &str,
    actor: &str,
) -> Result<(), CliError> {
    let effective_from = print::parse_date(from, "--from")?;
    host.remove_parameter(plugin, parameter, effective_from, actor)
        .await
        .map_err(failed)?;
    println!("{plugin}: the region's entry for {parameter} from {from} is removed");
    Ok(())
}
