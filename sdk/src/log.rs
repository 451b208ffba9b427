//! Diagnostics into the host's log and the run's record. Keep it short: a run keeps a bounded
//! number of lines. `println!` and `eprintln!` also work; their output is captured.

use crate::bindings::deviation_check::zemstvo::platform::log as wit;

pub use wit::Level;

pub fn log(level: Level, message: &str) {
    wit::log(level, message);
}

pub fn debug(message: &str) {
    wit::log(Level::Debug, message);
}

pub fn info(message: &str) {
    wit::log(Level::Info, message);
}

pub fn warn(message: &str) {
    wit::log(Level::Warn, message);
}

pub fn error(message: &str) {
    wit::log(Level::Error, message);
}
