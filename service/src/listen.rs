//! Hearing other hosts' plugin changes (PostgreSQL `LISTEN`/`NOTIFY`) across database outages:
//! the listener's connection is re-established with backoff, each loss and reconnect is logged
//! and counted, and the host is woken after a reconnect (a change may have gone unheard while
//! the connection was down, so it looks for work at once).

use std::time::Duration;

use zemstvo_store::{Store, counters};

/// The first wait before listening again after a failure; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Listens for changes until the task is dropped, calling `on_change` with the changed
/// plugin's name for each change heard, and with `None` after each reconnect. Returns at once
/// on SQLite (one host owns the file; there is nothing to listen to).
pub async fn listen_for_changes<F>(store: Store, on_change: F)
where
    F: Fn(Option<&str>) + Send + 'static,
{
    let mut backoff = FIRST_BACKOFF;
    let mut listener = None;
    let mut reconnecting = false;
    loop {
        let Some(active) = listener.as_mut() else {
            match store.listen_changes().await {
                Ok(Some(l)) => {
                    listener = Some(l);
                    if reconnecting {
                        reconnected(&on_change);
                    }
                    backoff = FIRST_BACKOFF;
                }
                Ok(None) => return,
                Err(e) => {
                    reconnecting = true;
                    tracing::warn!(
                        "cannot listen for other hosts' plugin changes; polling meanwhile, \
                         listening again in {backoff:?}: {e}"
                    );
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
            continue;
        };
        match active.try_recv().await {
            Ok(Some(n)) => {
                tracing::info!(plugin = n.payload(), "another host changed a plugin");
                on_change(Some(n.payload()));
            }
            // The connection was lost: listen again on a new one at once.
            Ok(None) => {
                tracing::warn!(
                    "the change listener lost its database connection; reconnecting (changes \
                     made meanwhile are picked up by looking for work after it)"
                );
                listener = None;
                reconnecting = true;
            }
            Err(e) => {
                tracing::warn!("the change listener failed: {e}; listening again in {backoff:?}");
                listener = None;
                reconnecting = true;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

fn reconnected<F: Fn(Option<&str>)>(on_change: &F) {
    metrics::counter!(counters::LISTENER_RECONNECTS, "kind" => "changes").increment(1);
    tracing::warn!("the change listener is connected again");
    on_change(None);
}
