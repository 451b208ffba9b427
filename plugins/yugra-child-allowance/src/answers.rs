//! The four interagency (SMEV) requests the rule needs about the applicant, and how it reads
//! their answers.
//!
//! The answers arrive one by one, days apart, and an agency's adapter may deliver one answer
//! twice. So the rule reads *all* the answers to a request together: answers that agree are
//! one answer; answers that disagree are a contradiction it cannot decide on; a rejection is
//! the agency's refusal, named with its code.

use zemstvo_sdk::eligibility::{AnswerOutcome, Application, SmevAnswer, SmevQuery, TraceStep};
use zemstvo_sdk::time::date_of;

use crate::calendar;

/// A request the rule needs answered, and the fact it reads from the answer.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    pub agency: &'static str,
    /// The agency as Russian documents abbreviate it (abbreviations do not decline).
    pub agency_name: &'static str,
    pub kind: &'static str,
    /// The fact of the answer the rule reads.
    pub fact: &'static str,
    /// The trace step that records the fact.
    pub step: &'static str,
    /// What the request asks, as the citizen reads it after «запрос сведений».
    pub about: &'static str,
}

/// SFR (the Social Fund): the applicant's SNILS, the key of the payment account.
pub const SNILS: Request = Request {
    agency: "sfr",
    agency_name: "СФР",
    kind: "snils",
    fact: "snils",
    step: "applicant-snils",
    about: "о СНИЛС заявителя",
};

/// SFR: whether the applicant receives a pension. The Yugra allowance is paid on top of
/// pensions, so the fact decides nothing by itself; it is part of the decision's record
/// because the assignment card in ASOI keeps it and a reviewer checks it for double support.
pub const PENSION: Request = Request {
    agency: "sfr",
    agency_name: "СФР",
    kind: "pension-fact",
    fact: "pension",
    step: "applicant-pension",
    about: "о факте получения пенсии заявителем",
};

/// MVD: whether the applicant is registered at a residence in the region. Only residents of
/// Yugra are entitled to the region's measures.
pub const REGISTRATION: Request = Request {
    agency: "mvd",
    agency_name: "МВД России",
    kind: "residence-registration",
    fact: "registered-in-region",
    step: "applicant-registered-in-region",
    about: "о регистрации заявителя по месту жительства",
};

/// MVD: whether the applicant's passport is valid: an application signed with an invalid
/// identity document cannot be granted.
pub const PASSPORT: Request = Request {
    agency: "mvd",
    agency_name: "МВД России",
    kind: "passport-validity",
    fact: "passport-valid",
    step: "applicant-passport-valid",
    about: "о действительности паспорта заявителя",
};

/// Every request, in the order the rule asks for them and reads them.
pub const REQUESTS: [Request; 4] = [SNILS, PENSION, REGISTRATION, PASSPORT];

impl Request {
    /// The request about the applicant, for this application.
    pub fn query(&self, application: &Application) -> SmevQuery {
        SmevQuery::new(self.agency, self.kind, application.applicant)
            .for_application(application.id)
    }

    /// Where a fact came from, in the trace: `smev:mvd/residence-registration`.
    pub fn source(&self) -> String {
        format!("smev:{}/{}", self.agency, self.kind)
    }

    /// Whether the fact is a `yes`/`no` flag (all but SNILS).
    fn is_flag(&self) -> bool {
        self.kind != SNILS.kind
    }
}

/// What the answers to one request say, taken together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// No answer yet: the rule must ask (again).
    Unanswered,
    /// The answers agree on this reply.
    Agreed {
        reply: Reply,
        message: String,
        received: i64,
        answers: usize,
    },
    /// Two or more answers disagree.
    Contradictory { replies: Vec<Reply> },
}

/// One answer's reply to the rule's question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The fact, trimmed (and lowercased for `yes`/`no` flags).
    Fact(String),
    /// The answer lacks the fact (or it is blank).
    NoFact,
    /// The agency refused to answer.
    Rejected { code: String, reason: String },
}

impl Reply {
    /// How the reply reads in the citizen's reason (and in the trace beside it).
    fn describe(&self) -> String {
        match self {
            Reply::Fact(value) if value == "yes" => "да".to_string(),
            Reply::Fact(value) if value == "no" => "нет".to_string(),
            Reply::Fact(value) => format!("«{value}»"),
            Reply::NoFact => "нет сведений".to_string(),
            Reply::Rejected { code, .. } => format!("отказ {code}"),
        }
    }

    /// Rejections agree when their codes do; the wording of the reason may vary.
    fn agrees_with(&self, other: &Reply) -> bool {
        match (self, other) {
            (Reply::Rejected { code: a, .. }, Reply::Rejected { code: b, .. }) => a == b,
            (a, b) => a == b,
        }
    }
}

/// Reads every answer to `request` made for `application`.
pub fn read(request: &Request, application: &Application, answers: &[SmevAnswer]) -> Reading {
    let query = request.query(application);
    let mut agreed: Option<(Reply, &SmevAnswer)> = None;
    let mut replies: Vec<Reply> = Vec::new();
    let mut count = 0;
    for answer in answers.iter().filter(|a| query.is_answered_by(a)) {
        count += 1;
        let reply = reply(request, answer);
        if !replies.iter().any(|r| r.agrees_with(&reply)) {
            replies.push(reply.clone());
        }
        agreed.get_or_insert((reply, answer));
    }
    match agreed {
        None => Reading::Unanswered,
        Some(_) if replies.len() > 1 => Reading::Contradictory { replies },
        Some((reply, answer)) => Reading::Agreed {
            reply,
            message: answer.message_id.clone(),
            received: answer.received,
            answers: count,
        },
    }
}

fn reply(request: &Request, answer: &SmevAnswer) -> Reply {
    match &answer.outcome {
        AnswerOutcome::Rejected(r) => Reply::Rejected {
            code: r.code.trim().to_string(),
            reason: r.reason.trim().to_string(),
        },
        AnswerOutcome::Answered(_) => match answer.fact(request.fact).map(str::trim) {
            None | Some("") => Reply::NoFact,
            Some(v) if request.is_flag() => Reply::Fact(v.to_lowercase()),
            Some(v) => Reply::Fact(v.to_string()),
        },
    }
}

/// Records what the answers to `request` say in the trace, and adds the reasons to deny
/// that follow from them. `Unanswered` adds nothing: the caller asks for it.
pub fn evaluate(
    request: &Request,
    reading: &Reading,
    trace: &mut Vec<TraceStep>,
    reasons: &mut Vec<String>,
) {
    let agency = request.agency_name;
    let about = request.about;
    match reading {
        Reading::Unanswered => {}
        Reading::Contradictory { replies } => {
            let versions: Vec<String> = replies.iter().map(Reply::describe).collect();
            trace.push(TraceStep::new(
                request.step,
                format!("contradictory answers: {}", versions.join(" / ")),
                &request.source(),
            ));
            reasons.push(format!(
                "Ответы {agency} на запрос сведений {about} противоречат друг другу ({}), \
                 поэтому решение по ним принять нельзя.",
                versions.join("; ")
            ));
        }
        Reading::Agreed {
            reply,
            message,
            received,
            answers,
        } => {
            let origin = format!(
                "message {message}, received {}{}",
                calendar::iso(date_of(*received)),
                if *answers > 1 {
                    format!(", {answers} answers agree")
                } else {
                    String::new()
                }
            );
            let value = match reply {
                Reply::Fact(v) => format!("{v} ({origin})"),
                Reply::NoFact => format!("no `{}` in the answer ({origin})", request.fact),
                Reply::Rejected { code, reason } => {
                    format!("rejected {code}: {reason} ({origin})")
                }
            };
            trace.push(TraceStep::new(request.step, value, &request.source()));
            if let Some(reason) = reason_to_deny(request, reply) {
                reasons.push(reason);
            }
        }
    }
}

/// The citizen's reason to deny that a reply gives, if any.
fn reason_to_deny(request: &Request, reply: &Reply) -> Option<String> {
    let agency = request.agency_name;
    let about = request.about;
    match reply {
        Reply::Rejected { code, reason } => Some(if reason.is_empty() {
            format!("Запрос сведений {about} в {agency} отклонён ведомством (код {code}).")
        } else {
            format!(
                "Запрос сведений {about} в {agency} отклонён ведомством (код {code}: {reason})."
            )
        }),
        Reply::NoFact => Some(format!(
            "Ответ {agency} на запрос сведений {about} не содержит нужных сведений."
        )),
        Reply::Fact(value) if request.is_flag() => match value.as_str() {
            "yes" => None,
            "no" if request.kind == REGISTRATION.kind => Some(
                "По сведениям МВД России заявитель не зарегистрирован по месту жительства \
                 в Ханты-Мансийском автономном округе – Югре."
                    .to_string(),
            ),
            "no" if request.kind == PASSPORT.kind => {
                Some("По сведениям МВД России паспорт заявителя недействителен.".to_string())
            }
            // A pension, or none, is no reason to deny (see `PENSION`).
            "no" => None,
            other => Some(format!(
                "Ответ {agency} на запрос сведений {about} не удалось прочитать \
                 (значение «{other}»)."
            )),
        },
        Reply::Fact(_) => None,
    }
}
