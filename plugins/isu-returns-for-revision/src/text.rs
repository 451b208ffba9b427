//! Application statuses in words, as the staff call them. Numbers and percentages come from
//! `zemstvo_sdk::text`.

/// An application's status as the staff call it.
pub fn application_status(status: &str) -> String {
    match status {
        "registered" => "зарегистрировано".into(),
        "assigned" => "распределено, не взято в работу".into(),
        "in-work" => "в работе".into(),
        "returned" => "на доработке".into(),
        "decided" => "решение принято".into(),
        other => format!("статус «{other}»"),
    }
}
