//! `notify`: messages to citizens by SMS, voice, e-mail or the portal.
//!
//! A run's messages enter the outbox with the run's record. A message to a citizen who has not
//! consented to proactive informing is refused here, at the source. Nothing else about the
//! citizen decides the answer: a citizen without the channel's contact is the outbox's to
//! record as undeliverable, so that a plugin without `data.citizens.personal` cannot probe
//! who has a phone or an e-mail address.

use serde::{Deserialize, Serialize};

use crate::capabilities::{held_pairs, held_str};
use crate::checks::{check_key, check_text, is_identifier};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Voice,
    Email,
    Portal,
}

impl Channel {
    /// The channel as administrators and the outbox name it.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Voice => "voice",
            Channel::Email => "email",
            Channel::Portal => "portal",
        }
    }
}

/// A message a run asked to send, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub key: String,
    pub citizen: u64,
    pub channel: Channel,
    pub template: String,
    pub params: Vec<(String, String)>,
}

impl Notification {
    /// Bytes the host holds for the message: the struct, what it owns, and its key once more
    /// in the run's set of keys.
    pub fn weight(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.key.len()
            + held_str(&self.key)
            + self.template.len()
            + held_pairs(&self.params)
    }
}

const MAX_PARAMS: usize = 64;
const MAX_PARAM: usize = 4_000;

/// Checks the shape of a message a plugin asked to send; consent and the template's existence
/// are the host's to check against the region.
pub fn validate(message: &Notification) -> Result<(), String> {
    check_key(&message.key)?;
    if !is_identifier(&message.template) {
        return Err(format!(
            "template `{}` is not a template name: lowercase letters, digits and `-`",
            message.template
        ));
    }
    if message.params.len() > MAX_PARAMS {
        return Err(format!("a message has at most {MAX_PARAMS} parameters"));
    }
    for (k, v) in &message.params {
        check_text("parameter name", k, 64, true)?;
        check_text(&format!("parameter `{k}`"), v, MAX_PARAM, false)?;
    }
    Ok(())
}
