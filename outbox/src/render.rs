//! Rendering a notification at commit time: the template the region keeps, filled with the
//! plugin's parameters and the citizen's name, addressed to the channel's contact.

use minijinja::{Environment, UndefinedBehavior};
use zemstvo_core::capabilities::notify::{Channel, Notification};
use zemstvo_store::notifications::{Contact, NewNotification, Template};

/// Why a notification cannot be rendered. The run that emitted it fails with this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("the region has no template `{0}`")]
    UnknownTemplate(String),
    #[error("citizen {0} does not exist")]
    UnknownCitizen(u64),
    #[error("template `{template}` cannot be filled: {reason}")]
    Template { template: String, reason: String },
}

/// Renders one message. `contact` and `template` are what the store holds for it.
pub fn render(
    n: &Notification,
    template: Option<&Template>,
    contact: Option<&Contact>,
) -> Result<NewNotification, RenderError> {
    let template = template.ok_or_else(|| RenderError::UnknownTemplate(n.template.clone()))?;
    let contact = contact.ok_or(RenderError::UnknownCitizen(n.citizen))?;
    let channel = n.channel.name();
    // A citizen without the channel's contact does not fail the run (the plugin may not know
    // who has one): the message is kept as undeliverable, with the reason, for the
    // administrator.
    let (recipient, undeliverable) = match n.channel {
        Channel::Sms | Channel::Voice => match &contact.phone {
            Some(phone) => (phone.clone(), None),
            None => (String::new(), Some("phone number")),
        },
        Channel::Email => match &contact.email {
            Some(email) => (email.clone(), None),
            None => (String::new(), Some("e-mail address")),
        },
        Channel::Portal => (format!("citizen:{}", n.citizen), None),
    };
    let undeliverable = undeliverable.map(|what| {
        format!(
            "undeliverable: citizen {} has no {what} for the {channel} channel",
            n.citizen
        )
    });
    let mut env = Environment::new();
    // A placeholder the plugin did not fill is an error, not an empty gap in a citizen's SMS.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let mut context: std::collections::BTreeMap<String, String> =
        n.params.iter().cloned().collect();
    context
        .entry("full_name".into())
        .or_insert_with(|| contact.full_name.clone());
    let fill = |source: &str| {
        env.render_str(source, &context)
            .map_err(|e| RenderError::Template {
                template: n.template.clone(),
                reason: e.to_string(),
            })
    };
    Ok(NewNotification {
        key: n.key.clone(),
        citizen: n.citizen,
        channel: channel.to_string(),
        template: n.template.clone(),
        params: n.params.clone(),
        recipient,
        subject: template.subject.as_deref().map(fill).transpose()?,
        body: fill(&template.body)?,
        undeliverable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(params: &[(&str, &str)]) -> Notification {
        Notification {
            key: "k".into(),
            citizen: 7,
            channel: Channel::Sms,
            template: "decision".into(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn contact(phone: Option<&str>) -> Contact {
        Contact {
            citizen: 7,
            full_name: "Иванова Анна".into(),
            phone: phone.map(str::to_string),
            email: None,
            consent: true,
        }
    }

    fn template() -> Template {
        Template {
            name: "decision".into(),
            subject: None,
            body: "{{ full_name }}, по заявлению № {{ number }} принято решение.".into(),
        }
    }

    #[test]
    fn parameters_and_the_citizen_name_fill_the_template() {
        let n = render(
            &message(&[("number", "48-1")]),
            Some(&template()),
            Some(&contact(Some("+7 900"))),
        )
        .unwrap();
        assert_eq!(n.body, "Иванова Анна, по заявлению № 48-1 принято решение.");
        assert_eq!(n.recipient, "+7 900");
    }

    #[test]
    fn a_missing_parameter_is_an_error_not_a_gap() {
        let e = render(
            &message(&[]),
            Some(&template()),
            Some(&contact(Some("+7 900"))),
        )
        .unwrap_err();
        assert!(matches!(e, RenderError::Template { .. }), "{e}");
    }

    #[test]
    fn an_sms_without_a_phone_number_is_kept_as_undeliverable() {
        let n = render(
            &message(&[("number", "1")]),
            Some(&template()),
            Some(&contact(None)),
        )
        .unwrap();
        assert_eq!(
            n.undeliverable.as_deref(),
            Some("undeliverable: citizen 7 has no phone number for the sms channel")
        );
    }
}
