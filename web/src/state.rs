//! What every handler shares.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use zemstvo_service::RegionHost;
use zemstvo_store::Store;

use crate::auth::IdentitySource;

pub struct WebState {
    pub host: Arc<RegionHost>,
    pub identity: Box<dyn IdentitySource>,
    /// Renders `/metrics`; `None` when another recorder was installed first.
    pub metrics: Option<PrometheusHandle>,
    /// Whether session cookies are marked `Secure` (behind TLS).
    pub secure_cookies: bool,
    /// One replay at a time: each runs up to thousands of plugin calls on the host's slots,
    /// and a second would only queue behind the first while holding its connection.
    pub replays: tokio::sync::Semaphore,
}

impl WebState {
    pub fn store(&self) -> &Store {
        self.host.store()
    }
}
