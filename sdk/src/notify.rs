//! Messages to citizens: SMS, voice, e-mail, portal. The region keeps the templates; the
//! plugin names one and gives its parameters. Citizens who have not consented to proactive
//! informing are refused by the host.

use crate::bindings::deviation_check::zemstvo::platform::notify as wit;

pub use wit::{Channel, NotifyError};

/// A message to one citizen: the region's template by name and the values of its
/// placeholders. The region owns the wording, so it can change a text without a new build.
#[derive(Debug, Clone)]
pub struct Message(wit::Message);

impl Message {
    /// `key`: the message's stable identity (a rerun never sends it twice).
    pub fn new(key: impl Into<String>, citizen: u64, channel: Channel, template: &str) -> Self {
        Message(wit::Message {
            key: key.into(),
            citizen,
            channel,
            template: template.to_string(),
            params: Vec::new(),
        })
    }

    /// A value for one of the template's placeholders.
    pub fn param(mut self, name: &str, value: impl Into<String>) -> Self {
        self.0.params.push((name.to_string(), value.into()));
        self
    }

    /// Queues the message; it is sent after the run ends well.
    pub fn send(self) -> Result<(), NotifyError> {
        wit::send(&self.0)
    }
}
