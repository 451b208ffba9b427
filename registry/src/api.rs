//! The registry's wire types: what its HTTP API answers, what a mirror directory's index
//! holds, and what the client returns. Shared by [`crate::server`], [`crate::client`] and
//! [`crate::mirror`], so the three cannot drift apart.

use semver::Version;
use serde::{Deserialize, Serialize};
use zemstvo_core::PluginKind;

use crate::keys::{KeyId, PublicKey};
use crate::name::{NamePattern, PackageName, VendorId};
use crate::rotation::{Revocation, RotationStatement};

/// One published version of a package, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub name: PackageName,
    pub version: Version,
    pub kind: PluginKind,
    pub vendor: VendorId,
    pub title: String,
    pub description: String,
    /// sha256 of the package file: what a download must hash to.
    pub package_sha256: String,
    /// sha256 of the component, as the manifest pins it.
    pub component_sha256: String,
    /// Size of the package file in bytes.
    pub size: u64,
    /// The key whose signature the registry checked at publish.
    pub signed_by: KeyId,
    /// A yanked version is skipped by version ranges but still resolved by an exact pin
    /// (`=1.2.0`) and downloadable, so that regions running it can reinstall or roll back to
    /// it.
    pub yanked: bool,
    /// Unix seconds.
    pub published_at: i64,
}

/// A package and all its versions, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageVersions {
    pub name: PackageName,
    pub vendor: VendorId,
    pub versions: Vec<VersionInfo>,
}

/// One line of a search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageSummary {
    pub name: PackageName,
    pub vendor: VendorId,
    pub kind: PluginKind,
    pub title: String,
    pub description: String,
    /// The highest version that is not yanked, if any.
    pub latest: Option<Version>,
    pub versions: usize,
}

/// A vendor and its keys, as the registry publishes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorInfo {
    pub id: VendorId,
    pub display_name: String,
    pub scope: Vec<NamePattern>,
    pub keys: Vec<VendorKey>,
}

/// A vendor's key at the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorKey {
    pub key_id: KeyId,
    pub public_key: PublicKey,
    pub added_at: i64,
    /// The rotation statement that introduced the key, when one did.
    pub rotation: Option<RotationStatement>,
    pub revoked: bool,
}

/// What the operator sends to register a vendor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewVendor {
    pub id: VendorId,
    #[serde(default)]
    pub display_name: Option<String>,
    /// Defaults to `["*"]`.
    #[serde(default)]
    pub scope: Option<Vec<NamePattern>>,
}

/// What the operator sends to register a vendor's key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    pub public_key: PublicKey,
}

/// What the operator sends to revoke a key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeKey {
    pub reason: String,
}

/// A one-time publish challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// 64 hex digits; signed together with the upload's sha256.
    pub nonce: String,
    /// Unix seconds after which the registry refuses it.
    pub expires_at: i64,
    /// The largest upload the registry accepts, so a client can refuse a larger file before
    /// sending it.
    pub max_upload_bytes: u64,
}

/// The answer to a successful publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub name: PackageName,
    pub version: Version,
    pub package_sha256: String,
    pub signed_by: KeyId,
}

/// Everything a region needs to keep its trust store current.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyEvents {
    pub revocations: Vec<Revocation>,
    pub rotations: Vec<RotationStatement>,
}

/// The body of every error answer: a message for people, a stable code for programs, and
/// whatever detail the error has (e.g. the version that exists).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    pub code: String,
    #[serde(flatten)]
    pub detail: serde_json::Map<String, serde_json::Value>,
}

/// The headers of a publish request (see `registry/README.md`).
pub mod headers {
    /// The key that signed the request: one of the vendor's registered keys.
    pub const KEY_ID: &str = "x-zemstvo-key-id";
    /// The nonce from `POST /api/v1/challenges`.
    pub const NONCE: &str = "x-zemstvo-nonce";
    /// Hex ed25519 signature over `zemstvo-publish-request/1 NUL nonce "\n" sha256(body)`.
    pub const SIGNATURE: &str = "x-zemstvo-signature";
    /// On downloads: the package file's sha256.
    pub const PACKAGE_SHA256: &str = "x-zemstvo-package-sha256";
}

/// What a publish request's signature is over: the nonce and the upload's sha256.
pub fn publish_request_body(nonce: &str, package_sha256: &str) -> Vec<u8> {
    format!("{nonce}\n{package_sha256}").into_bytes()
}
