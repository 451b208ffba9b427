//! The reference pages beside the SDK's README are generated, and must say what the code does:
//! `DATA.md` from the host's entity schema and its meanings, `CASES.md` from the case format
//! table, which in turn must list exactly the fields the case types accept. When a test here
//! fails, regenerate the pages with `ZEMSTVO_UPDATE_PAGES=1 cargo test --test reference_pages`
//! (or `zemstvo inspect --schema > sdk/DATA.md`) and read the diff.

use std::path::Path;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use zemstvo_sdk::case_format::{EXAMPLE, SECTIONS, markdown};
use zemstvo_sdk::cases::{
    Case, CaseAppeal, Expect, ExpectAssessment, ExpectDecision, ExpectException,
    ExpectNotification, ExpectRequest, ExpectRouting, ExpectSummary, ExpectTask, Expected,
};
use zemstvo_sdk::testing::{Application, EligibilityInput};

/// Compares a page with what the code renders, or rewrites it when asked to.
fn check_page(file: &str, rendered: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    if std::env::var_os("ZEMSTVO_UPDATE_PAGES").is_some() {
        std::fs::write(&path, rendered).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == rendered,
        "sdk/{file} is out of date with the code it documents; regenerate it with \
         `ZEMSTVO_UPDATE_PAGES=1 cargo test --test reference_pages` and commit the result"
    );
}

#[test]
fn the_data_reference_page_matches_the_entity_schema() {
    check_page(
        "DATA.md",
        &zemstvo_core::capabilities::data::reference::markdown(),
    );
}

#[test]
fn the_case_format_page_matches_the_case_format_table() {
    check_page("CASES.md", &markdown());
}

/// A deserializer that only records the field names a struct asks for.
struct FieldNames(&'static [&'static str]);

impl<'de> Deserializer<'de> for &mut FieldNames {
    type Error = de::value::Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = fields;
        Err(de::Error::custom("field names recorded"))
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

fn fields_of<T: for<'de> Deserialize<'de>>() -> Vec<&'static str> {
    let mut names = FieldNames(&[]);
    let _ = T::deserialize(&mut names);
    names.0.to_vec()
}

fn documented(path: &str) -> Vec<&'static str> {
    SECTIONS
        .iter()
        .find(|s| s.path == path)
        .unwrap_or_else(|| panic!("no section `{path}` in case_format::SECTIONS"))
        .fields
        .iter()
        .map(|(name, _, _)| *name)
        .collect()
}

#[test]
fn the_case_format_lists_exactly_the_fields_the_case_types_accept() {
    let types: [(&str, Vec<&str>); 15] = [
        ("(the case)", fields_of::<Case>()),
        ("application", fields_of::<EligibilityInput>()),
        ("application.application", fields_of::<Application>()),
        (
            "application.answers[].query",
            fields_of::<zemstvo_core::capabilities::smev::SmevQuery>(),
        ),
        ("expect", fields_of::<Expect>()),
        ("expect.<outputs>", fields_of::<Expected<ExpectTask>>()),
        ("expect.summary", fields_of::<ExpectSummary>()),
        ("expect.tasks.items[]", fields_of::<ExpectTask>()),
        (
            "expect.notifications.items[]",
            fields_of::<ExpectNotification>(),
        ),
        ("expect.smev_requests.items[]", fields_of::<ExpectRequest>()),
        ("expect.decision", fields_of::<ExpectDecision>()),
        (
            "expect.assessments.items[]",
            fields_of::<ExpectAssessment>(),
        ),
        (
            "expect.visit_exceptions.items[]",
            fields_of::<ExpectException>(),
        ),
        ("appeal", fields_of::<CaseAppeal>()),
        ("expect.routing", fields_of::<ExpectRouting>()),
    ];
    for (path, accepted) in &types {
        assert!(!accepted.is_empty(), "{path}: no fields recorded");
        assert_eq!(
            &documented(path),
            accepted,
            "case_format::SECTIONS `{path}` must list the fields its type accepts, in order"
        );
    }
    assert_eq!(types.len(), SECTIONS.len(), "every section is checked");
}

#[test]
fn the_example_and_both_kinds_of_answer_parse() {
    let _: Case = serde_json::from_str(EXAMPLE).expect("the page's example is a case");
    let input = r#"{
      "application": { "id": 1, "applicant": 2, "measure": "m", "submitted": 0, "channel": "portal" },
      "answers": [
        { "query": { "agency": "mvd", "kind": "k", "subject": 2, "application": 1 }, "message_id": "a",
          "received": 1, "outcome": "answered", "facts": [["f", "v"]] },
        { "query": { "agency": "mvd", "kind": "k", "subject": 2, "application": 1 }, "message_id": "b",
          "received": 1, "outcome": "rejected", "code": "NO_DATA", "reason": "r" }
      ]
    }"#;
    let input: EligibilityInput = serde_json::from_str(input).expect("the documented answers");
    assert_eq!(input.answers.len(), 2);
}
