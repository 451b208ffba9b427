//! The plugin registry: where vendors publish signed plugin versions and regions install them
//! from.
//!
//! A skeleton until the registry issue: it will hold vendors and their keys, immutable
//! published versions, semver resolution that skips yanked versions, yanking, published key
//! revocations, and the export and import of an air-gapped mirror, served over HTTP (axum +
//! sqlx) and used by the host's install client.
