//! Diagnostics into the host's log and the run's record. Keep it short: a run keeps a bounded
//! number of lines. `println!` and `eprintln!` also work; their output is captured.

use crate::bindings::deviation_check::zemstvo::platform::log as wit;

pub use wit::Level;

/// A line at a level chosen at run time.
pub fn log(level: Level, message: &str) {
    wit::log(level, message);
}

/// Detail for the plugin's developer (counts per manager, timings).
pub fn debug(message: &str) {
    wit::log(Level::Debug, message);
}

/// What the run did that an administrator may want to know.
pub fn info(message: &str) {
    wit::log(Level::Info, message);
}

/// Something in the region's data an administrator should fix: a finding nobody can act
/// on, a record that had to be skipped.
pub fn warn(message: &str) {
    wit::log(Level::Warn, message);
}

/// A failure the run survived; for one it does not, return `Err` instead.
pub fn error(message: &str) {
    wit::log(Level::Error, message);
}
