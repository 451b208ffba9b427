//! The host side of `notify`: the grant, the shape (`zemstvo_core::capabilities::notify`), the
//! template and the citizen's consent against the region, the run's keys and caps.

use zemstvo_core::capabilities::Capability;
use zemstvo_core::capabilities::data::DataError;
use zemstvo_core::capabilities::notify::{Notification, validate};

use crate::state::RunState;
use crate::state::within_budget;

/// Why a message was refused; each WIT version names these in its `notify-error`.
#[derive(Debug)]
pub(crate) enum NotifyRefusal {
    Denied(String),
    Invalid(String),
    UnknownCitizen(u64),
    NoConsent(u64),
    /// No contact for the channel; only said when the caller asked for it (WIT 0.2.0 and
    /// later) and the plugin may read citizens' contacts.
    NoContact(u64),
}

impl RunState {
    /// Queues a message. `say_no_contact`: whether the plugin's WIT version can be told that
    /// the citizen has no contact for the channel (0.1.0 cannot: its messages are accepted and
    /// recorded undeliverable by the outbox).
    pub(crate) async fn send_notification(
        &mut self,
        message: Notification,
        say_no_contact: bool,
    ) -> wasmtime::Result<Result<(), NotifyRefusal>> {
        self.ensure_running("notify")?;
        if let Err(denied) = self.require(Capability::NotifySend) {
            return Ok(Err(NotifyRefusal::Denied(denied)));
        }
        if let Err(why) = validate(&message) {
            return Ok(Err(NotifyRefusal::Invalid(why)));
        }
        if self.notification_keys.contains(&message.key) {
            return Ok(Err(NotifyRefusal::Invalid(format!(
                "key `{}` was already used by another message of this run",
                message.key
            ))));
        }
        match within_budget(
            self.deadline(),
            self.limits.time_budget,
            self.region.has_template(&message.template),
        )
        .await?
        {
            Ok(Some(false)) => {
                return Ok(Err(NotifyRefusal::Invalid(format!(
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
            self.limits.time_budget,
            self.region.citizen_reach(message.citizen),
        )
        .await?
        {
            Ok(Some(reach)) if !reach.consent => {
                return Ok(Err(NotifyRefusal::NoConsent(message.citizen)));
            }
            // Whether the citizen has a phone or an e-mail address is personal data: only a
            // plugin that may read it is told; for any other the answer must not depend on it,
            // and a message that cannot be delivered is recorded undeliverable by the outbox.
            Ok(Some(reach))
                if say_no_contact
                    && self.grants.is_granted(Capability::DataCitizensPersonal)
                    && !reach.reaches(message.channel) =>
            {
                return Ok(Err(NotifyRefusal::NoContact(message.citizen)));
            }
            Ok(Some(_)) => {}
            Ok(None) => return Ok(Err(NotifyRefusal::UnknownCitizen(message.citizen))),
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
