//! A SMEV simulator that behaves like the agencies of the ISU seed: each agency answers after
//! a delay drawn around its mean answer time (`zemstvo_core::capabilities::smev::
//! AGENCY_PROFILES`: FNS 1.34 days, MVD 1.7, …; December 2022), rejects a configurable share of
//! requests with a reason code, and now and then delivers an answer twice, as SMEV does when
//! an acknowledgement is lost. A time scale compresses days into seconds for tests and
//! demonstrations; on the region's wall clock an answer is then dated when the region had it,
//! and on a clock that follows the agencies ([`Clock::following_agencies`]) at its simulated
//! arrival, the clock moving there.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zemstvo_core::capabilities::smev::{SmevQuery, agency_profile};
use zemstvo_core::clock::Clock;
use zemstvo_store::smev::{DeliveryOutcome, PendingSmev, SmevDelivery};

use super::SmevTransport;
use crate::senders::SendError;

/// How the simulator behaves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimulatorConfig {
    /// Real seconds per simulated day: 86400 is real time; 0.1 answers a "1.34-day" FNS
    /// request in about 0.13 s.
    pub seconds_per_day: f64,
    /// Share of requests rejected with a reason code.
    pub rejection_rate: f64,
    /// Share of answers delivered twice.
    pub redelivery_rate: f64,
    pub seed: u64,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            seconds_per_day: 86_400.0,
            rejection_rate: 0.01,
            redelivery_rate: 0.02,
            seed: 48,
        }
    }
}

struct Pending {
    message_id: String,
    agency: String,
    kind: String,
    subject: u64,
    /// When the answer arrives in real time (compressed by the time scale).
    due: Instant,
    /// When it arrives in the region's time: sending plus the uncompressed delay. The
    /// region's clock dates it when it is handed over ([`Clock::answer_taken`]).
    received_at: i64,
}

struct Queued {
    delivery: SmevDelivery,
    /// Delivered again until acknowledged.
    redeliver: bool,
}

struct State {
    rng: StdRng,
    sent: u64,
    pending: Vec<Pending>,
    /// Deliveries not yet acknowledged, by delivery id.
    inbox: BTreeMap<String, Queued>,
    deliveries: u64,
}

/// The simulator; state lives in memory, and open requests are handed back by `resume`.
pub struct SmevSimulator {
    config: SimulatorConfig,
    /// Makes this simulator's message and delivery ids its own: several hosts of one region
    /// each run one, and the store takes an id it has seen for a duplicate (a delivery of
    /// another host's simulator with the same number was dropped as one before).
    instance: u64,
    /// Dates requests and answers: the region's clock, shared with the worker and the rules.
    clock: Clock,
    state: Mutex<State>,
}

impl SmevSimulator {
    pub fn new(config: SimulatorConfig) -> Self {
        let rng = StdRng::seed_from_u64(config.seed);
        // Random per process and per instance (the hasher keys std draws from the OS), not
        // from the seed: hosts usually share the seed.
        let instance = std::collections::hash_map::RandomState::new().hash_one(0u8);
        SmevSimulator {
            config,
            instance,
            clock: Clock::wall(),
            state: Mutex::new(State {
                rng,
                sent: 0,
                pending: Vec::new(),
                inbox: BTreeMap::new(),
                deliveries: 0,
            }),
        }
    }

    /// Dates by `clock` (the host's) instead of the wall.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// An answer delay in days, drawn around the agency's mean (exponential, as queueing
    /// delays are), and when it falls due in real time and in the region's time.
    fn schedule(&self, rng: &mut StdRng, agency: &str, sent_at: i64) -> (Instant, i64) {
        // Unknown agencies answer in a day on average.
        let mean = agency_profile(agency).map_or(1.0, |p| p.mean_answer_days);
        let u: f64 = rng.random_range(f64::EPSILON..1.0);
        let days = -u.ln() * mean;
        let due =
            Instant::now() + Duration::from_secs_f64((days * self.config.seconds_per_day).max(0.0));
        (due, sent_at + (days * 86_400.0) as i64)
    }

    /// Moves answers that are due from `pending` to the inbox.
    fn mature(&self, state: &mut State) {
        let now = Instant::now();
        let (due, waiting): (Vec<Pending>, Vec<Pending>) = std::mem::take(&mut state.pending)
            .into_iter()
            .partition(|p| p.due <= now);
        state.pending = waiting;
        for p in due {
            let rejected = state
                .rng
                .random_bool(self.config.rejection_rate.clamp(0.0, 1.0));
            let outcome = if rejected {
                DeliveryOutcome::Rejected {
                    code: "NO_DATA".into(),
                    reason: format!(
                        "{}: no records for citizen {}",
                        p.agency.to_uppercase(),
                        p.subject
                    ),
                }
            } else {
                DeliveryOutcome::Answered {
                    facts: facts(&p.agency, &p.kind, p.subject),
                }
            };
            state.deliveries += 1;
            let delivery_id = format!("sim-delivery-{:016x}-{}", self.instance, state.deliveries);
            let redeliver = state
                .rng
                .random_bool(self.config.redelivery_rate.clamp(0.0, 1.0));
            state.inbox.insert(
                delivery_id.clone(),
                Queued {
                    delivery: SmevDelivery {
                        delivery_id,
                        message_id: p.message_id,
                        received_at: self.clock.answer_taken(p.received_at),
                        outcome,
                    },
                    redeliver,
                },
            );
        }
    }
}

/// Plausible facts for an answer of `kind`, derived from the subject so they are stable.
fn facts(agency: &str, kind: &str, subject: u64) -> Vec<(String, String)> {
    let h = Sha256::digest(format!("{agency}/{kind}/{subject}").as_bytes());
    let n = u64::from_le_bytes(h[..8].try_into().expect("8 of 32 bytes"));
    match kind {
        "snils" => vec![(
            "snils".into(),
            format!(
                "{:03}-{:03}-{:03} {:02}",
                n % 1000,
                n / 1000 % 1000,
                n / 1_000_000 % 1000,
                n % 97
            ),
        )],
        "pension-fact" => vec![(
            "pension".into(),
            if n % 5 == 0 { "yes" } else { "no" }.into(),
        )],
        "residence-registration" => vec![(
            "registered-in-region".into(),
            if n % 10 == 0 { "no" } else { "yes" }.into(),
        )],
        "passport-validity" => vec![(
            "passport-valid".into(),
            if n % 20 == 0 { "no" } else { "yes" }.into(),
        )],
        "income" => vec![("income-rub-month".into(), (15_000 + n % 60_000).to_string())],
        _ => vec![("result".into(), "found".into())],
    }
}

#[async_trait]
impl SmevTransport for SmevSimulator {
    async fn send(&self, request_key: &str, query: &SmevQuery) -> Result<String, SendError> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.sent += 1;
        let message_id = format!(
            "sim-{:016x}-{}-{}",
            self.instance,
            &request_key[..request_key.len().min(12)],
            state.sent
        );
        let (due, received_at) = self.schedule(&mut state.rng, &query.agency, self.clock.now());
        state.pending.push(Pending {
            message_id: message_id.clone(),
            agency: query.agency.clone(),
            kind: query.kind.clone(),
            subject: query.subject,
            due,
            received_at,
        });
        Ok(message_id)
    }

    async fn receive(&self, limit: usize) -> Result<Vec<SmevDelivery>, SendError> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.mature(&mut state);
        let mut out = Vec::new();
        for queued in state.inbox.values_mut().take(limit) {
            out.push(queued.delivery.clone());
            if queued.redeliver {
                // The first acknowledgement is "lost": deliver once more.
                queued.redeliver = false;
                out.push(queued.delivery.clone());
            }
        }
        Ok(out)
    }

    async fn ack(&self, delivery_id: &str) -> Result<(), SendError> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.inbox.remove(delivery_id);
        Ok(())
    }

    async fn resume(&self, pending: &[PendingSmev]) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let known: HashMap<String, ()> = state
            .pending
            .iter()
            .map(|p| (p.message_id.clone(), ()))
            .collect();
        for p in pending
            .iter()
            .filter(|p| !known.contains_key(&p.message_id))
        {
            let (due, received_at) = self.schedule(&mut state.rng, &p.agency, p.sent_at);
            state.pending.push(Pending {
                message_id: p.message_id.clone(),
                agency: p.agency.clone(),
                kind: p.kind.clone(),
                subject: p.subject,
                due,
                received_at,
            });
        }
    }
}
