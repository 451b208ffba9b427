//! `notify`: messages to citizens by SMS, voice, e-mail or the portal.
//!
//! A run's messages enter the outbox with the run's record. A message to a citizen who has not
//! consented to proactive informing is refused here, at the source. Nothing else about the
//! citizen decides the answer: a citizen without the channel's contact is the outbox's to
//! record as undeliverable, so that a plugin without `data.citizens.personal` cannot probe
//! who has a phone or an e-mail address.

use serde::{Deserialize, Serialize};

use crate::capabilities::data::DataError;
use crate::capabilities::tasks::{check_key, check_text};
use crate::capabilities::{Capability, held_pairs, held_str};
use crate::runtime::RunState;
use crate::runtime::state::within_budget;
use crate::runtime::wit::latest::zemstvo::platform::notify as wit;

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
    pub(crate) fn weight(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.key.len()
            + held_str(&self.key)
            + self.template.len()
            + held_pairs(&self.params)
    }
}

const MAX_PARAMS: usize = 64;
const MAX_PARAM: usize = 4_000;

fn validate(raw: wit::Message) -> Result<Notification, String> {
    check_key(&raw.key)?;
    if !crate::capabilities::config::is_identifier(&raw.template) {
        return Err(format!(
            "template `{}` is not a template name: lowercase letters, digits and `-`",
            raw.template
        ));
    }
    if raw.params.len() > MAX_PARAMS {
        return Err(format!("a message has at most {MAX_PARAMS} parameters"));
    }
    for (k, v) in &raw.params {
        check_text("parameter name", k, 64, true)?;
        check_text(&format!("parameter `{k}`"), v, MAX_PARAM, false)?;
    }
    Ok(Notification {
        key: raw.key,
        citizen: raw.citizen,
        channel: match raw.channel {
            wit::Channel::Sms => Channel::Sms,
            wit::Channel::Voice => Channel::Voice,
            wit::Channel::Email => Channel::Email,
            wit::Channel::Portal => Channel::Portal,
        },
        template: raw.template,
        params: raw.params,
    })
}

impl wit::Host for RunState {
    async fn send(
        &mut self,
        message: wit::Message,
    ) -> wasmtime::Result<Result<(), wit::NotifyError>> {
        self.ensure_running("notify")?;
        if let Err(denied) = self.require(Capability::NotifySend) {
            return Ok(Err(wit::NotifyError::Denied(denied)));
        }
        let message = match validate(message) {
            Ok(m) => m,
            Err(why) => return Ok(Err(wit::NotifyError::Invalid(why))),
        };
        if self.notification_keys.contains(&message.key) {
            return Ok(Err(wit::NotifyError::Invalid(format!(
                "key `{}` was already used by another message of this run",
                message.key
            ))));
        }
        match within_budget(
            self.deadline(),
            self.limits.cpu_budget,
            self.region.has_template(&message.template),
        )
        .await?
        {
            Ok(Some(false)) => {
                return Ok(Err(wit::NotifyError::Invalid(format!(
                    "the region has no template `{}`; ask the administrator which templates exist",
                    message.template
                ))));
            }
            Ok(_) => {}
            Err(DataError::Unavailable(why)) => {
                return Err(wasmtime::Error::msg(format!(
                    "could not check the template: the region's data is unavailable: {why}"
                )));
            }
        }
        match within_budget(
            self.deadline(),
            self.limits.cpu_budget,
            self.region.citizen_reach(message.citizen),
        )
        .await?
        {
            Ok(Some(reach)) if !reach.consent => {
                return Ok(Err(wit::NotifyError::NoConsent(message.citizen)));
            }
            // Whether the citizen has a phone or an e-mail address is personal data the plugin
            // may not be granted: the answer must not depend on it. A message that cannot be
            // delivered is recorded as undeliverable by the outbox, for the administrator.
            Ok(Some(_)) => {}
            Ok(None) => return Ok(Err(wit::NotifyError::UnknownCitizen(message.citizen))),
            Err(DataError::Unavailable(why)) => {
                return Err(wasmtime::Error::msg(format!(
                    "could not check the citizen's consent: the region's data is unavailable: {why}"
                )));
            }
        }
        self.count_output(
            "notifications",
            self.outputs.notifications.len() + 1,
            self.limits.max_notifications,
            message.weight(),
        )?;
        self.notification_keys.insert(message.key.clone());
        self.outputs.notifications.push(message);
        Ok(Ok(()))
    }
}
