//! A package's manifest: what the vendor signs. It says what the plugin is (name, version,
//! kind, the WIT version it targets, the capabilities it asks for, its configuration schema),
//! who made it (the vendor id), which host it needs, and pins the component by sha256 and size.
//!
//! The signed bytes are the manifest's canonical JSON ([`crate::canonical`]). Reading a
//! manifest re-encodes it and refuses bytes that are not exactly that encoding, and refuses
//! fields this version does not know, so what was signed is all there is.

use semver::Version;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zemstvo_core::capabilities::Capability;
use zemstvo_core::capabilities::config::ConfigSchema;
use zemstvo_core::metadata::{ComponentFacts, PluginKind};

use crate::canonical::{CanonicalError, to_canonical_bytes};
use crate::name::{NameError, PackageName, VendorId};

/// The manifest format this build writes and reads.
pub const MANIFEST_FORMAT: u32 = 1;

/// The host version a package needs by default: this build's, since the workspace shares one
/// version number.
pub fn current_host_version() -> Version {
    // The workspace version is a valid semantic version; cargo refuses anything else.
    Version::parse(env!("CARGO_PKG_VERSION")).expect("the crate version is semver")
}

/// What a vendor signs about one plugin version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT`]; a later format is refused with a message to upgrade.
    pub format: u32,
    pub name: PackageName,
    pub version: Version,
    pub kind: PluginKind,
    /// One line for the administrator (from the plugin's metadata).
    pub title: String,
    pub description: String,
    /// The `zemstvo:platform` WIT version the component was built against.
    pub wit_version: Version,
    pub capabilities: Vec<Capability>,
    pub config: ConfigSchema,
    pub vendor: VendorId,
    /// sha256 of the component bytes, lowercase hex: the pin that makes the signature cover
    /// the code.
    pub component_sha256: String,
    pub component_size: u64,
    /// The oldest host that can run this package.
    pub min_host_version: Version,
}

/// Why a manifest was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ManifestError {
    #[error("the manifest is not valid JSON of a zemstvo manifest: {0}")]
    Json(String),
    #[error(
        "the manifest is format {0}, but this zemstvo reads format {MANIFEST_FORMAT}; upgrade \
         zemstvo"
    )]
    UnknownFormat(u32),
    #[error(
        "the manifest is not in canonical form (sorted keys, no whitespace), so it is not what \
         was signed; repack the plugin with `zemstvo plugin pack`"
    )]
    NotCanonical,
    #[error("the manifest's component_sha256 `{0}` is not 64 lowercase hex digits")]
    BadHash(String),
    #[error(
        "version {0} carries build metadata (`+...`), which semver ignores when comparing; \
         publish it without the `+` part"
    )]
    BuildMetadata(Version),
    #[error(transparent)]
    Name(#[from] NameError),
    #[error(transparent)]
    Canonical(#[from] CanonicalError),
    #[error(
        "the component's sha256 is {actual}, but the plugin loaded from it reports {reported}; \
         pass the same bytes you loaded"
    )]
    WrongComponent { actual: String, reported: String },
    #[error(
        "the manifest does not describe its component: {field} is {manifest} in the manifest \
         but {component} in the loaded plugin; the vendor must pack it again with `zemstvo \
         plugin pack`"
    )]
    DoesNotMatchComponent {
        field: &'static str,
        manifest: String,
        component: String,
    },
}

impl Manifest {
    /// The manifest of a plugin the host has loaded (and so validated) from `component`.
    pub fn from_plugin(
        plugin: &impl ComponentFacts,
        component: &[u8],
        vendor: VendorId,
        min_host_version: Version,
    ) -> Result<Manifest, ManifestError> {
        let component_sha256 = hex::encode(Sha256::digest(component));
        if component_sha256 != plugin.sha256() {
            return Err(ManifestError::WrongComponent {
                actual: component_sha256,
                reported: plugin.sha256().to_string(),
            });
        }
        let m = plugin.metadata();
        let wit_version = Version::parse(plugin.wit_version())
            .map_err(|e| ManifestError::Json(format!("wit version: {e}")))?;
        let manifest = Manifest {
            format: MANIFEST_FORMAT,
            name: PackageName::new(m.name.clone())?,
            version: m.version.clone(),
            kind: m.kind,
            title: m.title.clone(),
            description: m.description.clone(),
            wit_version,
            capabilities: m.capabilities.clone(),
            config: m.config.clone(),
            vendor,
            component_sha256,
            component_size: component.len() as u64,
            min_host_version,
        };
        manifest.check()?;
        Ok(manifest)
    }

    /// Checks that the component, once loaded, is what the manifest says it is: the same
    /// bytes, name, version, kind, WIT version, capabilities and configuration schema. A region
    /// calls this after loading a verified package, so a manifest that misdescribes its
    /// component (a packing mistake, or a vendor declaring fewer capabilities than the code
    /// asks for) is refused before an administrator is asked to grant anything.
    pub fn check_matches(&self, plugin: &dyn ComponentFacts) -> Result<(), ManifestError> {
        let m = plugin.metadata();
        let checks: [(&'static str, String, String); 7] = [
            (
                "component_sha256",
                self.component_sha256.clone(),
                plugin.sha256().to_string(),
            ),
            ("name", self.name.to_string(), m.name.clone()),
            ("version", self.version.to_string(), m.version.to_string()),
            ("kind", self.kind.to_string(), m.kind.to_string()),
            (
                "wit_version",
                self.wit_version.to_string(),
                plugin.wit_version().to_string(),
            ),
            (
                "capabilities",
                json(&self.capabilities),
                json(&m.capabilities),
            ),
            ("config", json(&self.config), json(&m.config)),
        ];
        for (field, manifest, component) in checks {
            if manifest != component {
                return Err(ManifestError::DoesNotMatchComponent {
                    field,
                    manifest,
                    component,
                });
            }
        }
        Ok(())
    }

    /// The bytes that get signed.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, ManifestError> {
        Ok(to_canonical_bytes("the manifest", self)?)
    }

    /// Parses signed manifest bytes, refusing anything but the canonical encoding of a valid
    /// manifest of a known format.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        // Look at the format first, so a newer manifest gets "upgrade", not a field error.
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(bytes)
            && let Some(format) = map.get("format").and_then(|f| f.as_u64())
            && format != u64::from(MANIFEST_FORMAT)
        {
            return Err(ManifestError::UnknownFormat(
                u32::try_from(format).unwrap_or(u32::MAX),
            ));
        }
        let manifest: Manifest =
            serde_json::from_slice(bytes).map_err(|e| ManifestError::Json(e.to_string()))?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(ManifestError::UnknownFormat(manifest.format));
        }
        manifest.check()?;
        if manifest.canonical_bytes()? != bytes {
            return Err(ManifestError::NotCanonical);
        }
        Ok(manifest)
    }

    fn check(&self) -> Result<(), ManifestError> {
        let h = &self.component_sha256;
        if h.len() != 64 || !h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(ManifestError::BadHash(h.clone()));
        }
        if !self.version.build.is_empty() {
            return Err(ManifestError::BuildMetadata(self.version.clone()));
        }
        Ok(())
    }
}

/// Compact JSON of a manifest's part, for comparisons and messages.
fn json<T: Serialize>(value: &T) -> String {
    // Capabilities and config schemas are plain data; they always serialise.
    serde_json::to_string(value).expect("manifest parts serialise")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use zemstvo_core::capabilities::config::{ConfigKind, ConfigParam, ConfigValue};

    /// A manifest with every kind of field filled, for byte-stability tests.
    pub(crate) fn sample() -> Manifest {
        Manifest {
            format: MANIFEST_FORMAT,
            name: PackageName::new("isu-smev-answer-delay").unwrap(),
            version: Version::new(1, 2, 0),
            kind: PluginKind::DeviationCheck,
            title: "Ответы СМЭВ дольше 4 дней".into(),
            description: "Finds late SMEV answers".into(),
            wit_version: Version::new(0, 1, 0),
            capabilities: vec![Capability::DataSmev, Capability::TasksCreate],
            config: ConfigSchema {
                params: vec![ConfigParam {
                    key: "max-wait-days".into(),
                    description: "days".into(),
                    kind: ConfigKind::Integer,
                    default: Some(ConfigValue::Integer(4)),
                    minimum: Some(1.0),
                    maximum: Some(60.0),
                    choices: vec![],
                }],
            },
            vendor: VendorId::new("lipetsk-soft").unwrap(),
            component_sha256: "ab".repeat(32),
            component_size: 1234,
            min_host_version: Version::new(0, 1, 0),
        }
    }

    #[test]
    fn the_canonical_encoding_is_byte_stable() {
        let bytes = sample().canonical_bytes().unwrap();
        let expected = concat!(
            r#"{"capabilities":["data.smev","tasks.create"],"component_sha256":""#,
            "abababababababababababababababababababababababababababababababab",
            r#"","component_size":1234,"config":{"params":[{"default":4,"description":"days","#,
            r#""key":"max-wait-days","kind":"integer","maximum":60.0,"minimum":1.0}]},"#,
            r#""description":"Finds late SMEV answers","format":1,"kind":"deviation-check","#,
            r#""min_host_version":"0.1.0","name":"isu-smev-answer-delay","#,
            r#""title":"Ответы СМЭВ дольше 4 дней","vendor":"lipetsk-soft","version":"1.2.0","#,
            r#""wit_version":"0.1.0"}"#
        );
        assert_eq!(String::from_utf8(bytes.clone()).unwrap(), expected);
        assert_eq!(Manifest::from_canonical_bytes(&bytes).unwrap(), sample());
    }

    #[test]
    fn a_manifest_with_whitespace_or_unknown_fields_is_refused() {
        let value: serde_json::Value =
            serde_json::from_slice(&sample().canonical_bytes().unwrap()).unwrap();
        let pretty = serde_json::to_vec_pretty(&value).unwrap();
        assert_eq!(
            Manifest::from_canonical_bytes(&pretty),
            Err(ManifestError::NotCanonical)
        );
        let mut extra = value.clone();
        extra["backdoor"] = serde_json::json!(true);
        let err = Manifest::from_canonical_bytes(&serde_json::to_vec(&extra).unwrap());
        assert!(
            matches!(&err, Err(ManifestError::Json(e)) if e.contains("backdoor")),
            "{err:?}"
        );
    }

    #[test]
    fn a_newer_manifest_format_says_to_upgrade() {
        let mut value: serde_json::Value =
            serde_json::from_slice(&sample().canonical_bytes().unwrap()).unwrap();
        value["format"] = serde_json::json!(2);
        let err = Manifest::from_canonical_bytes(&serde_json::to_vec(&value).unwrap());
        assert_eq!(err, Err(ManifestError::UnknownFormat(2)));
    }

    #[test]
    fn a_path_like_name_in_a_manifest_is_refused() {
        let mut value: serde_json::Value =
            serde_json::from_slice(&sample().canonical_bytes().unwrap()).unwrap();
        value["name"] = serde_json::json!("../../etc/passwd");
        let err = Manifest::from_canonical_bytes(&serde_json::to_vec(&value).unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("package name `../../etc/passwd`"), "{err}");
    }
}
