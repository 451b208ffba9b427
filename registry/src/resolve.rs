//! Semver resolution, the same for the registry, a mirror directory and the client: the
//! highest version that matches the requirement and is not yanked.
//!
//! Requirements are Cargo's: `^1.2` (and bare `1.2`), `~0.3.1`, `=2.0.0`, `>=1, <3`, `*`.
//! Pre-release versions match only requirements that name a pre-release of the same
//! `major.minor.patch`, as in Cargo. Yanking means what it means to Cargo: a yanked version is
//! skipped by every range (`^1.2`, `~1.2.0`, `*`, …), so nobody comes to it anew, but whoever
//! pinned it with an exact requirement (`=1.2.0`) still gets it — a region that must reinstall
//! the version it runs is not left stranded.

use std::fmt;
use std::str::FromStr;

use semver::{Version, VersionReq};

use crate::api::VersionInfo;
use crate::name::{NameError, PackageName};

/// Why a requirement could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error(
        "`{req}` is not a version requirement ({why}); write one like ^1.2, ~0.3.1, =2.0.0 or *"
    )]
    InvalidRequirement { req: String, why: String },
    #[error("`{version}` is not a version ({why}); write one like 1.2.0")]
    InvalidVersion { version: String, why: String },
    #[error("no package named {0}; check the name with `zemstvo plugin search`")]
    UnknownPackage(PackageName),
    #[error(
        "no version of {name} matches {req}: {}; {}",
        describe(.available, "no versions are available"),
        if .yanked.is_empty() {
            "choose a requirement that matches an available version".to_string()
        } else {
            format!(
                "yanked and skipped: {} (a yanked version is installed only when pinned \
                 exactly, e.g. `={}`)",
                join(.yanked),
                .yanked[0]
            )
        }
    )]
    NoMatch {
        name: PackageName,
        req: VersionReq,
        available: Vec<Version>,
        yanked: Vec<Version>,
    },
    #[error(
        "{name} has no version {version}; see the versions with `zemstvo plugin search {name}`"
    )]
    UnknownVersion { name: PackageName, version: Version },
    #[error(transparent)]
    Name(#[from] NameError),
}

fn join(versions: &[Version]) -> String {
    versions
        .iter()
        .map(Version::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe(versions: &[Version], none: &str) -> String {
    if versions.is_empty() {
        none.to_string()
    } else {
        format!("available are {}", join(versions))
    }
}

/// Parses a requirement, with an error that shows good ones.
pub fn parse_requirement(req: &str) -> Result<VersionReq, ResolveError> {
    VersionReq::parse(req.trim()).map_err(|e| ResolveError::InvalidRequirement {
        req: req.to_string(),
        why: e.to_string(),
    })
}

/// Parses an exact version, with an error that shows a good one.
pub fn parse_version(version: &str) -> Result<Version, ResolveError> {
    Version::parse(version.trim()).map_err(|e| ResolveError::InvalidVersion {
        version: version.to_string(),
        why: e.to_string(),
    })
}

/// Whether `req` pins one version exactly (`=1.2.0`, `=2.1.0-rc.1`): the only requirement
/// that reaches a yanked version.
pub fn is_exact_pin(req: &VersionReq) -> bool {
    matches!(req.comparators.as_slice(), [c] if c.op == semver::Op::Exact
        && c.minor.is_some()
        && c.patch.is_some())
}

/// The highest version in `versions` that matches `req` and is not yanked — or, for an exact
/// pin (`=1.2.0`), that version even if it was yanked.
pub fn resolve<'a>(
    name: &PackageName,
    versions: &'a [VersionInfo],
    req: &VersionReq,
) -> Result<&'a VersionInfo, ResolveError> {
    let pinned = is_exact_pin(req);
    versions
        .iter()
        .filter(|v| (pinned || !v.yanked) && req.matches(&v.version))
        .max_by(|a, b| a.version.cmp(&b.version))
        .ok_or_else(|| {
            let mut available: Vec<Version> = versions
                .iter()
                .filter(|v| !v.yanked)
                .map(|v| v.version.clone())
                .collect();
            let mut yanked: Vec<Version> = versions
                .iter()
                .filter(|v| v.yanked && req.matches(&v.version))
                .map(|v| v.version.clone())
                .collect();
            available.sort();
            yanked.sort();
            ResolveError::NoMatch {
                name: name.clone(),
                req: req.clone(),
                available,
                yanked,
            }
        })
}

/// `name@requirement`, as the CLI and installers take it (`isu-smev@^1.2`; a bare name means
/// any version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSpec {
    pub name: PackageName,
    pub req: VersionReq,
}

impl FromStr for PackageSpec {
    type Err = ResolveError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, req) = match s.split_once('@') {
            Some((name, req)) => (name, parse_requirement(req)?),
            None => (s, VersionReq::STAR),
        };
        Ok(PackageSpec {
            name: PackageName::new(name)?,
            req,
        })
    }
}

impl fmt::Display for PackageSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SecretKey;
    use crate::name::VendorId;

    fn info(version: &str, yanked: bool) -> VersionInfo {
        VersionInfo {
            name: PackageName::new("p").unwrap(),
            version: Version::parse(version).unwrap(),
            kind: zemstvo_core::PluginKind::DeviationCheck,
            vendor: VendorId::new("v").unwrap(),
            title: String::new(),
            description: String::new(),
            package_sha256: String::new(),
            component_sha256: String::new(),
            size: 0,
            signed_by: SecretKey::from_seed(&[1; 32]).key_id(),
            yanked,
            published_at: 0,
        }
    }

    fn pick(versions: &[VersionInfo], req: &str) -> Result<String, ResolveError> {
        let name = PackageName::new("p").unwrap();
        resolve(&name, versions, &parse_requirement(req).unwrap()).map(|v| v.version.to_string())
    }

    #[test]
    fn resolution_takes_the_highest_match_and_skips_yanked() {
        let versions = [
            info("1.2.0", false),
            info("1.3.0", false),
            info("1.4.0", true),
            info("2.0.0", false),
            info("0.3.1", false),
            info("0.3.5", false),
            info("0.4.0", false),
            info("2.1.0-rc.1", false),
        ];
        assert_eq!(pick(&versions, "^1.2").unwrap(), "1.3.0");
        assert_eq!(pick(&versions, "1.2").unwrap(), "1.3.0");
        assert_eq!(pick(&versions, "~0.3.1").unwrap(), "0.3.5");
        assert_eq!(pick(&versions, "=2.0.0").unwrap(), "2.0.0");
        assert_eq!(pick(&versions, "*").unwrap(), "2.0.0");
        assert_eq!(pick(&versions, "=2.1.0-rc.1").unwrap(), "2.1.0-rc.1");
    }

    #[test]
    fn a_yanked_version_is_skipped_by_ranges_and_the_error_says_how_to_pin_it() {
        let versions = [info("1.2.0", false), info("1.4.0", true)];
        assert_eq!(pick(&versions, "^1").unwrap(), "1.2.0");
        assert_eq!(pick(&versions, "*").unwrap(), "1.2.0");
        let err = pick(&versions, ">=1.3").unwrap_err().to_string();
        assert!(err.contains("yanked and skipped: 1.4.0"), "{err}");
        assert!(err.contains("available are 1.2.0"), "{err}");
        assert!(err.contains("`=1.4.0`"), "{err}");
    }

    #[test]
    fn an_exact_pin_still_gets_a_yanked_version() {
        let versions = [info("1.2.0", false), info("1.4.0", true)];
        assert_eq!(pick(&versions, "=1.4.0").unwrap(), "1.4.0");
        // `=1.4` is a range (1.4.x), not a pin.
        assert!(pick(&versions, "=1.4").is_err());
        assert!(is_exact_pin(&parse_requirement("=2.1.0-rc.1").unwrap()));
        assert!(!is_exact_pin(&parse_requirement("=1, <2").unwrap()));
    }

    #[test]
    fn malformed_requirements_and_specs_are_refused() {
        for bad in ["^^1", "1.2.3.4", "latest", ">= x"] {
            let err = parse_requirement(bad).unwrap_err().to_string();
            assert!(err.contains("not a version requirement"), "{bad}: {err}");
        }
        assert!("../x@^1".parse::<PackageSpec>().is_err());
        let spec: PackageSpec = "isu-smev@~0.3.1".parse().unwrap();
        assert_eq!(spec.name.as_str(), "isu-smev");
        assert_eq!(spec.req.to_string(), "~0.3.1");
    }
}
