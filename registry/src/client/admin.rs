//! The registry operator's calls (they send the admin token), and mirroring a registry
//! into a directory over HTTP.

use std::path::Path;

use semver::Version;

use super::{Client, ClientError, Progress};
use crate::api::{NewKey, NewVendor, RevokeKey, VendorInfo, VersionInfo};
use crate::keys::{KeyId, PublicKey};
use crate::mirror::MirrorWriter;
use crate::name::{PackageName, VendorId};
use crate::rotation::Revocation;
use crate::server::unix_now;

impl Client {
    pub async fn add_vendor(&self, vendor: &NewVendor) -> Result<VendorInfo, ClientError> {
        let request = self.http.post(self.endpoint("vendors")).json(vendor);
        self.json(self.admin(request)?).await
    }

    pub async fn add_key(
        &self,
        vendor: &VendorId,
        public_key: &PublicKey,
    ) -> Result<KeyId, ClientError> {
        #[derive(serde::Deserialize)]
        struct Added {
            key_id: KeyId,
        }
        let body = NewKey {
            public_key: public_key.clone(),
        };
        let request = self
            .http
            .post(self.endpoint(&format!("vendors/{vendor}/keys")))
            .json(&body);
        let added: Added = self.json(self.admin(request)?).await?;
        Ok(added.key_id)
    }

    pub async fn revoke_key(
        &self,
        key_id: &KeyId,
        reason: &str,
    ) -> Result<Revocation, ClientError> {
        let body = RevokeKey {
            reason: reason.to_string(),
        };
        let request = self
            .http
            .post(self.endpoint(&format!("keys/{key_id}/revoke")))
            .json(&body);
        self.json(self.admin(request)?).await
    }

    pub async fn set_yanked(
        &self,
        name: &PackageName,
        version: &Version,
        yanked: bool,
    ) -> Result<VersionInfo, ClientError> {
        let action = if yanked { "yank" } else { "unyank" };
        let request = self
            .http
            .post(self.endpoint(&format!("packages/{name}/{version}/{action}")));
        self.json(self.admin(request)?).await
    }

    /// Mirrors the registry's public contents into `dir` over HTTP (what a region does
    /// before carrying a mirror into an air-gapped network). Versions already in the mirror
    /// with the right bytes are not downloaded again. `on_version` is called per version.
    pub async fn export_mirror(
        &self,
        dir: &Path,
        on_version: &mut (dyn FnMut(&VersionInfo, Progress) + Send),
    ) -> Result<usize, ClientError> {
        let writer = MirrorWriter::create(dir, unix_now())?;
        writer.write_vendors(&self.vendors().await?)?;
        writer.write_key_events(&self.key_events().await?)?;
        let mut count = 0;
        for summary in self.search("").await? {
            let versions = self.versions(&summary.name).await?;
            for info in &versions.versions {
                if !writer.has_file(info) {
                    let bytes = self
                        .fetch(info, &mut |p: Progress| on_version(info, p))
                        .await?;
                    writer.write_file(info, &bytes)?;
                }
                count += 1;
            }
            writer.write_index(&versions)?;
        }
        Ok(count)
    }
}
