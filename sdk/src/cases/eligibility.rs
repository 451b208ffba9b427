//! Eligibility rules' cases: what the rule's outcome must be — the requests it asks for, or
//! its verdict, amount, payments, reasons and trace.

use zemstvo_core::eligibility::{Outcome, Verdict};

use super::{ExpectDecision, request_matches};

pub(super) fn check_decision(
    problems: &mut Vec<String>,
    want: &ExpectDecision,
    got: Option<&Outcome>,
) {
    let Some(outcome) = got else {
        problems.push(
            "no eligibility outcome (is this an eligibility rule, given an application?)".into(),
        );
        return;
    };
    let (verdict, assignment, reasons, trace) = match outcome {
        Outcome::Need { requests } => {
            if want.verdict.as_deref().is_some_and(|v| v != "need") {
                problems.push(format!(
                    "the rule asked for requests {requests:?}, expected {:?}",
                    want.verdict
                ));
            }
            for r in &want.requests {
                if !requests.iter().any(|q| request_matches(r, q)) {
                    problems.push(format!(
                        "the rule did not ask for {r:?}; it asked for {requests:?}"
                    ));
                }
            }
            return;
        }
        Outcome::Decided { decision } => match &decision.verdict {
            Verdict::Approve { assignment } => {
                ("approve", Some(assignment), Vec::new(), &decision.trace)
            }
            Verdict::Deny { reasons } => ("deny", None, reasons.clone(), &decision.trace),
        },
    };
    if let Some(v) = &want.verdict
        && v != verdict
    {
        problems.push(format!(
            "the verdict is {verdict} ({reasons:?}), expected {v}"
        ));
    }
    if let Some(amount) = want.monthly_amount {
        match assignment {
            Some(a) if a.monthly_amount == amount => {}
            other => problems.push(format!(
                "expected a monthly amount of {amount}, got {other:?}"
            )),
        }
    }
    if let Some(n) = want.payments {
        match assignment {
            Some(a) if a.payments.len() == n => {}
            other => problems.push(format!(
                "expected {n} payments, got {:?}",
                other.map(|a| a.payments.len())
            )),
        }
    }
    for text in &want.reasons_contain {
        if !reasons.iter().any(|r| r.contains(text.as_str())) {
            problems.push(format!("no reason contains `{text}`; reasons: {reasons:?}"));
        }
    }
    for name in &want.trace_contains {
        if !trace.iter().any(|s| s.name == *name) {
            let names: Vec<&str> = trace.iter().map(|s| s.name.as_str()).collect();
            problems.push(format!("the trace has no step `{name}`; it has {names:?}"));
        }
    }
}
