//! The region's clock for what it dates in a case: when a rule decides, when an SMEV request
//! leaves, when its answer is taken.
//!
//! In production that is wall time, and an answer is never dated after the moment the region
//! had it (an adapter's clock may run ahead of ours). A demonstration whose simulated agencies
//! compress days into fractions of a second runs instead on a clock that **follows the
//! agencies**: it stands at a starting time and moves forward only when an answer is taken, to
//! that answer's simulated arrival. A request sent on 1 December to an agency that takes three
//! days is then answered on 4 December and decided on 4 December, as it would be in the region,
//! and no decision is ever dated before an answer it used. Leases, retries and back-off never
//! read this clock: they measure real waiting, and a clock running days per second would make
//! every lease expire under a working host.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Seconds since the Unix epoch, by the region's clock. Cheap to clone: clones share one time.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// The simulated time, when the clock follows the agencies; wall time when none.
    following: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// Wall time: what a region runs on.
    pub fn wall() -> Self {
        Clock::default()
    }

    /// A clock that stands at `start` and moves forward only as simulated answers arrive
    /// ([`Clock::answer_taken`]).
    pub fn following_agencies(start: i64) -> Self {
        Clock {
            following: Some(Arc::new(AtomicI64::new(start))),
        }
    }

    pub fn now(&self) -> i64 {
        match &self.following {
            Some(t) => t.load(Ordering::SeqCst),
            None => wall_now(),
        }
    }

    /// The time to date an answer that an agency says arrived at `arrived` and that the region
    /// takes now. On the wall clock it is never later than now; a clock following the agencies
    /// moves forward to it instead, so everything decided after it is dated after it too.
    pub fn answer_taken(&self, arrived: i64) -> i64 {
        match &self.following {
            Some(t) => {
                t.fetch_max(arrived, Ordering::SeqCst);
                arrived
            }
            None => arrived.min(wall_now()),
        }
    }
}

/// Two clocks are equal when both are the wall or both are the same simulated time.
impl PartialEq for Clock {
    fn eq(&self, other: &Self) -> bool {
        match (&self.following, &other.following) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// Seconds since the Unix epoch by the wall: what leases, retries and audit entries use.
pub fn wall_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_following_clock_moves_only_forward_and_only_with_answers() {
        let clock = Clock::following_agencies(1_000);
        let shared = clock.clone();
        assert_eq!(clock.now(), 1_000);
        assert_eq!(shared.answer_taken(4_000), 4_000);
        assert_eq!(clock.now(), 4_000, "clones share one time");
        // An earlier answer keeps its own date and leaves the clock where it is.
        assert_eq!(clock.answer_taken(2_000), 2_000);
        assert_eq!(clock.now(), 4_000);
        assert_eq!(clock, shared);
        assert_ne!(clock, Clock::following_agencies(1_000));
    }

    #[test]
    fn the_wall_clock_never_dates_an_answer_after_now() {
        let clock = Clock::wall();
        let now = clock.now();
        assert!(clock.answer_taken(now + 86_400 * 9) <= clock.now());
        assert_eq!(clock.answer_taken(now - 60), now - 60);
        assert_eq!(clock, Clock::wall());
    }
}
