//! Delivery of what runs emit, after their transaction commits.
//!
//! - [`render`]: a notification's template and parameters become its text, at commit time, so
//!   the outbox holds exactly what will be sent.
//! - [`senders`]: adapters per channel — e-mail over SMTP, SMS and voice through an HTTP
//!   gateway — each told the message's idempotency id.
//! - [`delivery`]: the worker that claims due messages, re-checks consent, sends, and retries
//!   with backoff; a crash between sending and marking sent resends with the same id, which a
//!   gateway that honours ids delivers once.
//! - [`smev`]: SMEV 3 transports (a simulator that answers like the agencies of the ISU seed,
//!   and an HTTP adapter for a real SMEV adapter) and the worker that sends requests and takes
//!   answers, each delivery processed once.

pub mod delivery;
pub mod render;
pub mod senders;
pub mod smev;

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How failed deliveries are retried: exponential backoff from `base` up to `max`, at most
/// `max_attempts` attempts in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    #[serde(with = "millis")]
    pub base: Duration,
    #[serde(with = "millis")]
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base: Duration::from_secs(30),
            max: Duration::from_secs(3_600),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempts + 1`, after `attempts` failed.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempts.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

/// How long a host's claim on outbox items lasts and how many it claims at once. The host
/// renews the claim every third of the lease while it works through the batch, so the lease
/// only bounds how soon another host takes over from one that died; the batch bounds how many
/// items wait for a host that died (until the lease runs out) and how many a shutdown puts back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxLeases {
    pub lease: Duration,
    pub batch: u32,
}

impl Default for OutboxLeases {
    fn default() -> Self {
        OutboxLeases {
            lease: Duration::from_secs(120),
            batch: 10,
        }
    }
}

/// Runs `work`, calling `renew` every third of `lease` until it is done. A failed renewal is
/// logged and tried again at the next period: the `sending` mark, not the renewal, is what
/// keeps a host from sending what it no longer holds.
pub(crate) async fn while_renewing<T, W, R, F>(lease: Duration, work: W, renew: R) -> T
where
    W: Future<Output = T>,
    R: Fn() -> F,
    F: Future<Output = Result<u64, zemstvo_store::StoreError>>,
{
    let period = (lease / 3).max(Duration::from_millis(100));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(work);
    loop {
        tokio::select! {
            done = &mut work => return done,
            _ = ticker.tick() => {
                if let Err(e) = renew().await {
                    tracing::warn!("cannot renew the lease on claimed outbox items: {e}");
                }
            }
        }
    }
}

/// How long a worker keeps trying to record a send that already happened while the database
/// does not answer, before it gives up (and the item, left `sending`, is sent again by
/// whoever takes it over).
pub const RECORD_PATIENCE: Duration = Duration::from_secs(120);

/// Records what was already handed over (`record`), retrying while the database is
/// unavailable or busy for up to [`RECORD_PATIENCE`]: after a database outage the host that
/// sent a message records it instead of sending it again.
pub(crate) async fn record_patiently<T, R, F>(
    what: &str,
    mut record: R,
) -> Result<T, zemstvo_store::StoreError>
where
    R: FnMut() -> F,
    F: Future<Output = Result<T, zemstvo_store::StoreError>>,
{
    use zemstvo_store::StoreError;
    let started = std::time::Instant::now();
    let mut warned = false;
    loop {
        match record().await {
            Err(e @ (StoreError::Unavailable(_) | StoreError::Busy(_)))
                if started.elapsed() < RECORD_PATIENCE =>
            {
                if !warned {
                    tracing::warn!(
                        "{what} was handed over but cannot be recorded yet ({e}); retrying until \
                         the database answers"
                    );
                    warned = true;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            done => {
                if warned && done.is_ok() {
                    tracing::info!("{what} is recorded now that the database answers again");
                }
                return done;
            }
        }
    }
}

/// Seconds since the epoch, now.
pub(crate) fn now() -> i64 {
    zemstvo_core::clock::wall_now()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_ceiling() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1), Duration::from_secs(30));
        assert_eq!(p.backoff(2), Duration::from_secs(60));
        assert_eq!(p.backoff(5), Duration::from_secs(480));
        assert_eq!(p.backoff(40), Duration::from_secs(3_600));
    }
}
