//! `zemstvo plugin new NAME --kind KIND`: a plugin crate that builds and passes `cargo test` as
//! generated — a working rule of the kind, its rule test cases as data, a fixture region and a
//! README for the vendor — from templates embedded in this binary
//! (`src/templates/plugin-new/`). Bad input (a name that is not a plugin name, an existing
//! directory, an SDK that is not one) is refused before anything is written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use zemstvo_host::PluginKind;
use zemstvo_registry::{PackageName, VendorId};

use crate::cli::CliError;

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The plugin's name, also its package and directory name: lowercase letters, digits and
    /// `-`, e.g. `late-answers`.
    pub name: String,
    /// What kind of plugin.
    #[arg(long, value_enum)]
    pub kind: Kind,
    /// Your vendor id at the registry (for the README and the `pack` command it shows).
    #[arg(long, default_value = "my-vendor")]
    pub vendor: String,
    /// The zemstvo SDK: a checkout's path (the repository or its `sdk/`) or a git URL. By
    /// default the checkout this zemstvo was built from.
    #[arg(long, value_name = "PATH|GIT-URL")]
    pub sdk: Option<String>,
    /// Where to create the crate's directory (default: here).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub parent: PathBuf,
}

/// The kinds `plugin new` can make, as the command line spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    DeviationCheck,
    EligibilityRule,
    RiskScoring,
    GeoCheck,
    AppealRouting,
}

impl Kind {
    fn plugin_kind(self) -> PluginKind {
        match self {
            Kind::DeviationCheck => PluginKind::DeviationCheck,
            Kind::EligibilityRule => PluginKind::EligibilityRule,
            Kind::RiskScoring => PluginKind::RiskScoring,
            Kind::GeoCheck => PluginKind::GeoCheck,
            Kind::AppealRouting => PluginKind::AppealRouting,
        }
    }

    /// The kind's rule, fixture and cases, and what it declares.
    fn template(self) -> KindTemplate {
        match self {
            Kind::DeviationCheck => KindTemplate {
                lib: include_str!("../templates/plugin-new/deviation-check/lib.rs.tmpl"),
                region: include_str!("../templates/plugin-new/deviation-check/region.json"),
                cases: include_str!("../templates/plugin-new/deviation-check/cases.json"),
                title: "Applications in work past their deadline",
                capabilities: &["data.applications", "data.staff", "tasks.create"],
                extra: &[],
            },
            Kind::EligibilityRule => KindTemplate {
                lib: include_str!("../templates/plugin-new/eligibility-rule/lib.rs.tmpl"),
                region: include_str!("../templates/plugin-new/eligibility-rule/region.json"),
                cases: include_str!("../templates/plugin-new/eligibility-rule/cases.json"),
                title: "A monthly payment to applicants registered in the region",
                capabilities: &["smev.send"],
                extra: &[],
            },
            Kind::RiskScoring => KindTemplate {
                lib: include_str!("../templates/plugin-new/risk-scoring/lib.rs.tmpl"),
                region: include_str!("../templates/plugin-new/risk-scoring/region.json"),
                cases: include_str!("../templates/plugin-new/risk-scoring/cases.json"),
                title: "Risk categories of inspected objects from recent signals",
                capabilities: &["data.objects", "assessments.write"],
                extra: &[],
            },
            Kind::GeoCheck => KindTemplate {
                lib: include_str!("../templates/plugin-new/geo-check/lib.rs.tmpl"),
                region: include_str!("../templates/plugin-new/geo-check/region.json"),
                cases: include_str!("../templates/plugin-new/geo-check/cases.json"),
                title: "Home-care visits out of the residence's geofence",
                capabilities: &["data.visits", "data.citizens", "visits.record-exceptions"],
                extra: &[],
            },
            Kind::AppealRouting => KindTemplate {
                lib: include_str!("../templates/plugin-new/appeal-routing/lib.rs.tmpl"),
                region: include_str!("../templates/plugin-new/appeal-routing/region.json"),
                cases: include_str!("../templates/plugin-new/appeal-routing/cases.json"),
                title: "Citizens' appeals: category, responsible authority, incident nearby",
                capabilities: &[],
                extra: &[
                    (
                        "tests/fixtures/catalogue.json",
                        include_str!("../templates/plugin-new/appeal-routing/catalogue.json"),
                    ),
                    (
                        "tests/fixtures/appeal.json",
                        include_str!("../templates/plugin-new/appeal-routing/appeal.json"),
                    ),
                ],
            },
        }
    }
}

struct KindTemplate {
    lib: &'static str,
    region: &'static str,
    cases: &'static str,
    title: &'static str,
    capabilities: &'static [&'static str],
    /// More files of the kind: (path inside the crate, contents), e.g. an appeal router's
    /// catalogue.
    extra: &'static [(&'static str, &'static str)],
}

const CARGO_TOML: &str = include_str!("../templates/plugin-new/common/Cargo.toml.tmpl");
const README: &str = include_str!("../templates/plugin-new/common/README.md.tmpl");
const RULES_RS: &str = include_str!("../templates/plugin-new/common/rules.rs.tmpl");
const TOOLCHAIN: &str = include_str!("../templates/plugin-new/common/rust-toolchain.toml.tmpl");
const GITIGNORE: &str = include_str!("../templates/plugin-new/common/gitignore.tmpl");
/// zemstvo's own lock file: the versions its host was tested with (see the vendor's README).
const CARGO_LOCK: &str = include_str!("../../Cargo.lock");
/// zemstvo's own toolchain file, for the channel.
const OUR_TOOLCHAIN: &str = include_str!("../../rust-toolchain.toml");
/// The checkout this binary was built from: its SDK is the default.
const CHECKOUT: &str = env!("CARGO_MANIFEST_DIR");

pub async fn new(args: NewArgs) -> Result<ExitCode, CliError> {
    let created = create(&args)?;
    println!(
        "created {} ({}) in {}\nnext: cd {} && cargo test   (the first run compiles the host: \
         about ten minutes, 3–4 GB in target/)",
        args.name,
        args.kind.plugin_kind(),
        created.display(),
        created.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes the crate and returns its directory. Checks everything first: on bad input nothing
/// is written, and a failed write removes what it wrote.
pub fn create(args: &NewArgs) -> Result<PathBuf, CliError> {
    let name = PackageName::new(args.name.as_str()).map_err(|e| {
        CliError::Input(format!(
            "`{}` is not a plugin name: {e}; e.g. `late-answers`",
            args.name
        ))
    })?;
    let vendor = VendorId::new(args.vendor.as_str())
        .map_err(|e| CliError::Input(format!("--vendor `{}`: {e}", args.vendor)))?;
    let dir = args.parent.join(name.as_str());
    if dir.exists() {
        return Err(CliError::Input(format!(
            "{} already exists; choose another name, or remove it first",
            dir.display()
        )));
    }
    if !args.parent.is_dir() {
        return Err(CliError::Input(format!(
            "{} is not a directory; create it first or pass another --parent",
            args.parent.display()
        )));
    }
    let sdk = sdk_dependency(args.sdk.as_deref())?;
    let files = render(args.kind, name.as_str(), vendor.as_str(), &sdk);
    write_all(&dir, &files).inspect_err(|_| {
        let _ = std::fs::remove_dir_all(&dir);
    })?;
    Ok(dir)
}

/// The crate's files, rendered: (path inside the crate, contents).
fn render(kind: Kind, name: &str, vendor: &str, sdk: &str) -> Vec<(&'static str, String)> {
    let t = kind.template();
    let capabilities: Vec<String> = t.capabilities.iter().map(|c| format!("{c:?}")).collect();
    let crate_name = name.replace('-', "_");
    let struct_name: String = name
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    // A type name cannot start with a digit.
    let struct_name = if struct_name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("Plugin{struct_name}")
    } else {
        struct_name
    };
    let values = [
        ("name", name.to_string()),
        ("crate_name", crate_name),
        ("struct_name", struct_name),
        ("title", t.title.to_string()),
        ("vendor", vendor.to_string()),
        ("kind", kind.plugin_kind().name().to_string()),
        ("capabilities", capabilities.join(", ")),
        ("sdk_dependency", sdk.to_string()),
        ("toolchain", toolchain_channel()),
        ("zemstvo_version", env!("CARGO_PKG_VERSION").to_string()),
        ("run_input", run_input(kind).to_string()),
    ];
    let fill = |template: &str| {
        values
            .iter()
            .fold(template.to_string(), |text, (key, value)| {
                text.replace(&format!("{{{{{key}}}}}"), value)
            })
    };
    let mut files = vec![
        ("Cargo.toml", fill(CARGO_TOML)),
        ("Cargo.lock", CARGO_LOCK.to_string()),
        ("rust-toolchain.toml", fill(TOOLCHAIN)),
        (".gitignore", fill(GITIGNORE)),
        ("README.md", fill(README)),
        ("src/lib.rs", fill(t.lib)),
        ("tests/rules.rs", fill(RULES_RS)),
        ("tests/cases/rule.json", fill(t.cases)),
        ("tests/fixtures/region.json", fill(t.region)),
    ];
    files.extend(t.extra.iter().map(|(path, text)| (*path, fill(text))));
    files
}

/// What `zemstvo run` is given besides the component, as the README shows it.
fn run_input(kind: Kind) -> &'static str {
    match kind {
        Kind::AppealRouting => "--appeal tests/fixtures/appeal.json",
        _ => "--data tests/fixtures/region.json",
    }
}

/// The channel of zemstvo's `rust-toolchain.toml`.
fn toolchain_channel() -> String {
    OUR_TOOLCHAIN
        .lines()
        .find_map(|l| l.trim().strip_prefix("channel = "))
        .map(|c| c.trim_matches('"').to_string())
        .unwrap_or_else(|| "stable".into())
}

/// The `zemstvo-sdk = …` value: a git URL as is, a path made absolute and checked to hold the
/// SDK (a repository checkout is taken to mean its `sdk/`).
fn sdk_dependency(sdk: Option<&str>) -> Result<String, CliError> {
    let given = sdk.unwrap_or("");
    if ["https://", "http://", "ssh://", "git://", "git@", "file://"]
        .iter()
        .any(|p| given.starts_with(p))
    {
        return Ok(format!("{{ git = {} }}", toml_string(given)));
    }
    let path = match sdk {
        Some(path) => PathBuf::from(path),
        None => Path::new(CHECKOUT).join("sdk"),
    };
    let path = if path.join("sdk").join("Cargo.toml").is_file() {
        path.join("sdk")
    } else {
        path
    };
    let is_sdk = std::fs::read_to_string(path.join("Cargo.toml"))
        .is_ok_and(|text| text.lines().any(|l| l.trim() == "name = \"zemstvo-sdk\""));
    if !is_sdk {
        let whence = match sdk {
            Some(_) => format!("{} holds no zemstvo SDK", path.display()),
            None => format!(
                "the SDK of the checkout this zemstvo was built from ({}) is not there any more",
                path.display()
            ),
        };
        return Err(CliError::Input(format!(
            "{whence}; pass --sdk with a zemstvo checkout's path or its git URL"
        )));
    }
    let path = path
        .canonicalize()
        .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
    Ok(format!(
        "{{ path = {} }}",
        toml_string(&path.display().to_string())
    ))
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let escaped = s.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

fn write_all(dir: &Path, files: &[(&str, String)]) -> Result<(), CliError> {
    for (path, text) in files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| CliError::Input(format!("cannot create {}: {e}", parent.display())))?;
        }
        std::fs::write(&path, text)
            .map_err(|e| CliError::Input(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_of_every_kind_is_filled() {
        for kind in Kind::value_variants() {
            for (path, text) in render(*kind, "late-answers", "lipetsk-soft", "{ path = \"/x\" }") {
                assert!(
                    !text.contains("{{") || path == "Cargo.lock",
                    "{kind:?} {path}: {text}"
                );
            }
        }
    }

    #[test]
    fn type_names_come_from_the_plugin_name() {
        let files = render(Kind::GeoCheck, "9-lives-check", "v", "\"1\"");
        let lib = &files.iter().find(|(p, _)| *p == "src/lib.rs").unwrap().1;
        assert!(lib.contains("struct Plugin9LivesCheck;"), "{lib}");
    }

    #[test]
    fn git_urls_and_paths_become_dependencies() {
        assert_eq!(
            sdk_dependency(Some("https://git.example.ru/zemstvo.git")).unwrap(),
            "{ git = \"https://git.example.ru/zemstvo.git\" }"
        );
        let checkout = sdk_dependency(Some(CHECKOUT)).unwrap();
        assert!(checkout.ends_with("/sdk\" }"), "{checkout}");
        assert!(sdk_dependency(Some("/nonexistent")).is_err());
        assert!(
            toolchain_channel().starts_with("1."),
            "{}",
            toolchain_channel()
        );
    }
}
