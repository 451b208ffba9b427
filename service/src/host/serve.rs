//! A host serving its region: rounds of schedules, runs, decisions, deliveries and SMEV answers
//! until told to stop, then its claims released for the other hosts.

use super::*;

/// Delivery after commit: notifications to citizens and SMEV requests to agencies, and the
/// agencies' answers. Got from [`RegionHost::deliveries`].
#[derive(Clone, Copy)]
pub struct Deliveries<'a> {
    pub(crate) host: &'a RegionHost,
}

impl Deliveries<'_> {
    /// Delivers due notifications.
    pub async fn deliver_once(self) -> Result<DeliveryStats, ServiceError> {
        Ok(self.host.notifications.deliver_once(500).await?)
    }

    /// Sends queued SMEV requests and takes answers.
    pub async fn smev_once(self) -> Result<SmevStats, ServiceError> {
        let Some(worker) = &self.host.smev else {
            return Ok(SmevStats::default());
        };
        let mut stats = worker.send_once(500).await?;
        let received = worker.receive_once(500).await?;
        stats.applied = received.applied;
        stats.duplicates = received.duplicates;
        stats.unmatched = received.unmatched;
        Ok(stats)
    }
}

impl RegionHost {
    /// Serves the region until `shutdown` resolves: schedules, runs, deliveries, answers.
    /// On shutdown the round in progress finishes what is in flight (the run, the message
    /// being sent) and takes nothing new, then this host's claims are released so other hosts
    /// take them at once. Stops with an error when the database is gone or replaced
    /// ([`StoreError::is_fatal`]) instead of working on into the void.
    pub async fn serve(&self, shutdown: impl Future<Output = ()>) -> Result<(), ServiceError> {
        let wake = self.wake.clone();
        let listener = tokio::spawn(listen_for_changes(self.store.clone(), move |_| {
            wake.notify_one()
        }));
        let served = self.serve_until(shutdown).await;
        listener.abort();
        self.sign_checkpoint().await;
        match self.release_claims().await {
            Ok(r) if r == Released::default() => {}
            Ok(r) => tracing::info!(
                runs = r.runs,
                notifications = r.notifications,
                smev_requests = r.smev_requests,
                "released this host's claims for other hosts to take now"
            ),
            Err(e) => tracing::warn!(
                "cannot release this host's claims (they expire with their leases): {e}"
            ),
        }
        served
    }

    async fn serve_until(&self, shutdown: impl Future<Output = ()>) -> Result<(), ServiceError> {
        tokio::pin!(shutdown);
        // Rounds in a row that found the database unreachable: logged once, retried with
        // backoff (up to half a minute) instead of every poll.
        let mut unreachable = 0u32;
        loop {
            let mut result = self.store.check_health().await.map_err(ServiceError::from);
            let mut stop = false;
            if result.is_ok() {
                let tick = self.tick();
                tokio::pin!(tick);
                (result, stop) = tokio::select! {
                    r = &mut tick => (r.map(|_| ()), false),
                    _ = &mut shutdown => {
                        tracing::info!("stopping: finishing the work in flight, taking nothing new");
                        self.stop();
                        (tick.await.map(|_| ()), true)
                    }
                };
            }
            let mut pause = self.settings.poll_interval();
            match result {
                Ok(()) => {
                    if unreachable > 0 {
                        tracing::warn!("the database answers again; back to work");
                    }
                    unreachable = 0;
                }
                Err(e) if e.is_fatal() => return Err(e),
                Err(ServiceError::Store(StoreError::Unavailable(why))) => {
                    if unreachable == 0 {
                        tracing::error!(
                            "the database is unreachable ({why}); nothing is lost — claims wait \
                             for their leases — and this host tries again with backoff"
                        );
                    }
                    unreachable = unreachable.saturating_add(1);
                    pause = pause
                        .saturating_mul(1 << unreachable.min(8))
                        .min(std::time::Duration::from_secs(30));
                }
                // A database that is locked, or one item's failure: report, and go on.
                Err(e) => tracing::error!("{e}"),
            }
            if stop {
                return Ok(());
            }
            tokio::select! {
                _ = &mut shutdown => {
                    tracing::info!("stopping: nothing was in flight");
                    return Ok(());
                }
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Signs a checkpoint of the decision records' head with this host's key, so the records
    /// appended since the last one are covered too: when the host stops, and after a single
    /// round (`--once`). A failure is logged; the next checkpoint covers these records.
    pub async fn sign_checkpoint(&self) {
        match self.store.checkpoint_now().await {
            Ok(Some(seq)) => tracing::info!(seq, "signed a checkpoint of the decision records"),
            Ok(None) => {}
            Err(e) => tracing::warn!("cannot sign a checkpoint of the decision records: {e}"),
        }
    }

    /// Asks the host to stop: work in flight finishes, no new work is taken.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Gives back everything this host has claimed and not started — queued runs, messages,
    /// SMEV requests — so other hosts take them at once instead of after the lease.
    pub async fn release_claims(&self) -> Result<Released, ServiceError> {
        let host = self.settings.host_id.as_str();
        Ok(Released {
            runs: self.store.release_runs(host).await?,
            notifications: self.store.release_notification_claims(host).await?,
            smev_requests: self.store.release_smev_claims(host).await?,
        })
    }

    /// One round of work, and what it did. Each kind of work runs even if an earlier one
    /// failed (a database hiccup while deciding must not hold up deliveries); the first
    /// failure is returned after all of them ran, the others are logged.
    pub async fn tick(&self) -> Result<RoundReport, ServiceError> {
        let mut failures = Vec::new();
        let report = RoundReport {
            scheduled: phase(self.runs().enqueue_scheduled(now()).await, &mut failures),
            runs: phase(self.runs().drain_queue().await, &mut failures),
            decisions: phase(
                self.decisions().decide_applications(200).await,
                &mut failures,
            ),
            // Right after the live decisions, so a shadow keeps pace with the live version.
            shadowed: phase(self.shadow_round().await, &mut failures),
            appeals: phase(self.appeals().route_appeals(200).await, &mut failures),
            root_causes: phase(self.appeals().follow_deadlines().await, &mut failures),
            smev: phase(self.deliveries().smev_once().await, &mut failures),
            deliveries: phase(self.deliveries().deliver_once().await, &mut failures),
        };
        let mut failures = failures.into_iter();
        match failures.next() {
            None => Ok(report),
            Some(first) => {
                for other in failures {
                    tracing::error!("{other}");
                }
                Err(first)
            }
        }
    }
}

/// What one kind of a round's work did, or nothing when it failed (kept for the round's end).
fn phase<T: Default>(result: Result<T, ServiceError>, failures: &mut Vec<ServiceError>) -> T {
    result.unwrap_or_else(|e| {
        failures.push(e);
        T::default()
    })
}
