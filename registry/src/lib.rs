//! Signed plugin packages, the trust a region places in them, and the registry that stores
//! and resolves them.
//!
//! - **Packages** — [`Package`]: a component, its [`Manifest`] (signed in canonical JSON,
//!   [`canonical`]) and a [`SignatureEnvelope`], in one file ([`container`]).
//! - **Keys** — [`SecretKey`], [`PublicKey`], [`KeyId`]; key files ([`key_files`]); rotation
//!   statements and revocations ([`rotation`]).
//! - **Trust** — [`TrustStore::verify`]: the check between a package file and the runtime.
//! - **Registry service** — [`server::app`] and [`server::run`] over a [`store::Store`]
//!   (SQLite or PostgreSQL).
//! - **Getting packages** — [`Client`] for a registry, [`DirectorySource`] for a mirror,
//!   [`PackageSource`] for either; [`resolve`] is shared by all three; [`mirror`] exports and
//!   imports air-gapped mirrors.
//!
//! The invariant everything here serves: **published bytes never change**. A package file is
//! stored once and served as stored; a region runs a component only if its bytes hash to what
//! a trusted, unrevoked key signed.

pub mod api;
pub mod canonical;
pub mod client;
pub mod container;
pub mod key_files;
pub mod keys;
pub mod manifest;
pub mod mirror;
pub mod name;
pub mod package;
pub mod resolve;
pub mod rotation;
pub mod server;
pub mod signature;
pub mod source;
pub mod store;
pub mod trust;

pub use client::{Client, ClientError, ClientSettings, Progress};
pub use keys::{KeyId, PublicKey, SecretKey};
pub use manifest::Manifest;
pub use mirror::DirectorySource;
pub use name::{NamePattern, PackageName, VendorId};
pub use package::{Package, PackageError};
pub use resolve::PackageSpec;
pub use rotation::{Revocation, RotationStatement};
pub use signature::{SignatureAlgorithm, SignatureEnvelope};
pub use source::{PackageSource, SourceError};
pub use trust::{TrustError, TrustStore, TrustedKey, Verified};
