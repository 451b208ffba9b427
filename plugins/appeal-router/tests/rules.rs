//! The router called as a region's host calls it: this crate built for wasm32-wasip2, loaded
//! into the real runtime, given an appeal, a catalogue and the open incidents near it. The
//! cases in `tests/cases/` hold the rules, in the SDK's case format (`sdk/CASES.md`; what they
//! cover is in `tests/cases/README.md`). The tests after them check what a case file cannot
//! express: texts too large to write down, catalogues changed on the fly, exact distances,
//! and the shipped catalogues themselves.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use zemstvo_sdk::testing::{
    Appeal, AppealInput, Catalogue, OpenIncident, PluginUnderTest, Routing, RunReport, TestRun,
    Urgency,
};

const CRATE: &str = env!("CARGO_MANIFEST_DIR");

fn read(path: &str) -> String {
    let path = Path::new(CRATE).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A catalogue file of this crate.
fn catalogue(file: &str) -> Catalogue {
    serde_json::from_str(&read(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// An appeal from its text and territory; the rest as in most cases (see the README).
fn appeal(text: &str, territory: Option<&str>) -> Appeal {
    Appeal {
        id: 1,
        channel: "open311".into(),
        service_code: None,
        text: text.into(),
        place: None,
        territory: territory.map(Into::into),
        received: 1_773_478_800,
        attributes: vec![],
    }
}

fn input(appeal: Appeal, catalogue: Catalogue, open_incidents: Vec<OpenIncident>) -> AppealInput {
    AppealInput {
        appeal,
        catalogue: Arc::new(catalogue),
        open_incidents,
    }
}

fn run(plugin: &PluginUnderTest, input: AppealInput) -> TestRun<'_> {
    plugin.run().now("2026-03-14T09:05:00Z").appeal(input)
}

fn routing(report: &RunReport) -> &Routing {
    assert!(report.succeeded(), "{:?}", report.failure());
    report
        .outputs
        .routing
        .as_ref()
        .expect("the router answered")
}

fn route(input: AppealInput) -> Routing {
    let plugin = zemstvo_sdk::plugin_under_test!();
    routing(&run(&plugin, input).execute()).clone()
}

fn step<'r>(routing: &'r Routing, name: &str) -> &'r str {
    let step = routing.trace.iter().find(|s| s.name == name);
    &step
        .unwrap_or_else(|| panic!("no trace step `{name}`: {:#?}", routing.trace))
        .value
}

#[test]
fn the_rule_test_cases_hold() {
    zemstvo_sdk::plugin_under_test!().run_cases("tests/cases");
}

// What a case cannot say.

#[test]
fn metadata_declares_no_capability_and_its_settings_with_defaults_and_ranges() {
    let plugin = zemstvo_sdk::plugin_under_test!();
    plugin.assert_declares(
        &[],
        &[
            "review-below-confidence",
            "merge-radius-m",
            "deadline-days",
            "escalation-words",
        ],
    );
    let meta = plugin.metadata();
    assert_eq!(meta.kind.name(), "appeal-routing");
    assert_eq!(meta.name, "appeal-router");
    assert_eq!(meta.version.to_string(), "1.0.0");
    let params: Vec<(String, Option<f64>, Option<f64>)> = meta
        .config
        .params
        .iter()
        .map(|p| {
            let default = p.default.as_ref().map(ToString::to_string);
            (default.unwrap_or_default(), p.minimum, p.maximum)
        })
        .collect();
    assert_eq!(params[0], ("0.6".into(), Some(0.0), Some(1.0)));
    assert_eq!(params[1], ("100".into(), Some(1.0), Some(5_000.0)));
    assert_eq!(params[2], ("30".into(), Some(1.0), Some(365.0)));
    assert!(params[3].0.contains("дети") && params[3].0.contains("обрушение"));
}

#[test]
fn the_same_appeal_gives_the_same_routing_trace_included() {
    let plugin = zemstvo_sdk::plugin_under_test!();
    let mut a = appeal("Яма на дороге, рядом школа", Some("lipetsk"));
    a.place = Some(serde_json::from_str(r#"{"lat": 52.6088, "lon": 39.5992}"#).unwrap());
    let incidents = serde_json::from_str(&read("tests/fixtures/incidents-lipetsk.json")).unwrap();
    run(&plugin, input(a, catalogue("catalogue.json"), incidents)).assert_rerun_is_identical();
}

#[test]
fn every_decision_is_a_trace_step_in_order() {
    let mut a = appeal("Яма на дороге", Some("lipetsk"));
    a.service_code = Some("roads.pothole".into());
    let r = route(input(a, catalogue("catalogue.json"), vec![]));
    let names: Vec<&str> = r.trace.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "catalogue-version",
            "text",
            "service-code",
            "top-category",
            "runner-up-category",
            "category",
            "confidence",
            "urgency",
            "impact",
            "authority",
            "deadline-days",
            "place",
            "merge-candidates",
            "needs-review"
        ]
    );
    assert_eq!(
        r.trace[0].source, "catalogue.version",
        "each step names its source"
    );
    assert_eq!(step(&r, "text"), "3 слова");
}

#[test]
fn a_merge_candidate_carries_its_distance_and_reason() {
    let mut a = appeal("Яма на дороге", Some("lipetsk"));
    a.place = Some(serde_json::from_str(r#"{"lat": 52.6088, "lon": 39.5992}"#).unwrap());
    let incidents = serde_json::from_str(&read("tests/fixtures/incidents-lipetsk.json")).unwrap();
    let r = route(input(a, catalogue("catalogue.json"), incidents));
    let first = &r.merge_candidates[0];
    assert_eq!(first.incident, 7);
    assert_eq!(first.distance_m, Some(30.0));
    assert_eq!(first.reason, "та же категория, 30 м от обращения");
}

#[test]
fn at_most_ten_candidates_are_proposed_and_the_trace_counts_the_rest() {
    let mut a = appeal("Яма на дороге", Some("lipetsk"));
    a.place = Some(serde_json::from_str(r#"{"lat": 52.6088, "lon": 39.5992}"#).unwrap());
    let incidents: Vec<OpenIncident> = (1..=50)
        .map(|i| {
            serde_json::from_value(serde_json::json!({
                "id": i, "category": "roads.pothole",
                "place": {"lat": 52.6088 + f64::from(i) * 1e-6, "lon": 39.5992},
                "territory": "lipetsk", "opened": 1_773_000_000, "appeals": 1
            }))
            .unwrap()
        })
        .collect();
    let r = route(input(a, catalogue("catalogue.json"), incidents));
    let ids: Vec<u64> = r.merge_candidates.iter().map(|m| m.incident).collect();
    assert_eq!(ids, (1..=10).collect::<Vec<u64>>(), "the nearest ten");
    assert!(
        step(&r, "merge-candidates").contains("50 инцидентов")
            && step(&r, "merge-candidates").ends_with("; ещё 40 не предлагаются"),
        "{}",
        step(&r, "merge-candidates")
    );
}

#[test]
fn a_topic_nobody_answers_for_goes_to_a_specialist() {
    let mut c = catalogue("catalogue.json");
    c.authorities
        .retain(|a| !a.topics.iter().any(|t| t == "roads"));
    let r = route(input(appeal("Яма на дороге", Some("lipetsk")), c, vec![]));
    assert_eq!(r.classification.category.as_deref(), Some("roads.pothole"));
    assert_eq!(r.authority, None);
    assert!(r.needs_review);
    assert_eq!(
        step(&r, "authority"),
        "не определён: за тему «roads» никто не отвечает ни на территории «lipetsk», ни по \
         всему региону"
    );
    assert!(step(&r, "needs-review").contains("не определён ответственный орган"));
}

#[test]
fn critical_is_as_urgent_as_it_gets() {
    let mut c = catalogue("catalogue.json");
    c.categories[0].urgency = Urgency::Critical;
    let r = route(input(
        appeal("Яма на дороге, угроза аварии", Some("lipetsk")),
        c,
        vec![],
    ));
    assert_eq!(r.classification.urgency, Urgency::Critical);
    assert_eq!(
        step(&r, "urgency"),
        "критическая по категории; выше не бывает, хотя в тексте «аварии», «угроза»"
    );
}

#[test]
fn a_category_deadline_the_host_would_refuse_gives_way_to_the_default() {
    let mut c = catalogue("catalogue.json");
    c.categories[0].deadline_days = Some(400);
    let r = route(input(appeal("Яма на дороге", Some("lipetsk")), c, vec![]));
    assert_eq!(r.deadline_days, 30);
    assert!(step(&r, "deadline-days").contains("вне допустимых 1–365"));
}

#[test]
fn an_empty_catalogue_or_empty_keywords_classify_nothing_and_do_not_fail() {
    let mut c = catalogue("catalogue.json");
    c.categories.clear();
    let r = route(input(appeal("Яма на дороге", Some("lipetsk")), c, vec![]));
    assert_eq!(r.classification.category, None);
    assert!(r.needs_review);

    // A keyword of punctuation only would match everything as an empty prefix; it matches
    // nothing (and the run logs it).
    let mut c = catalogue("catalogue.json");
    c.categories[0].keywords = vec![" ".into(), "!!!".into(), String::new()];
    c.categories[0].phrases.clear();
    let r = route(input(appeal("Прошу разобраться", None), c, vec![]));
    assert_eq!(r.classification.category, None);
}

#[test]
fn huge_and_strange_texts_do_not_fail() {
    let plugin = zemstvo_sdk::plugin_under_test!();
    let strange = [
        // 120 000 words: read up to the cap, the trace says so.
        "яма на дороге 🕳️ ".repeat(30_000),
        // One word of 300 000 letters.
        "я".repeat(300_000),
        // Control characters, zero-width spaces, combining marks, right-to-left text.
        "\u{0}\u{1}\u{200B}\u{200D}\u{FEFF}я\u{301}ма\u{0} на\u{202E} дороге مرحبا 你好".into(),
        // Letters of every kind and nothing else.
        "ℌ𝔢𝔩𝔩𝔬 Ⅻ ǅ ß İ ﬁ ѣ ѳ ѵ".into(),
    ];
    for text in strange {
        let r = run(
            &plugin,
            input(
                appeal(&text, Some("lipetsk")),
                catalogue("catalogue.json"),
                vec![],
            ),
        )
        .execute();
        let r = routing(&r);
        let held: usize = r.trace.iter().map(|s| s.value.len()).sum();
        assert!(
            held < 16_000,
            "a trace of {held} bytes for a text of {}",
            text.len()
        );
    }
    let r = route(input(
        appeal(&"яма на дороге 🕳️ ".repeat(30_000), None),
        catalogue("catalogue.json"),
        vec![],
    ));
    assert_eq!(
        step(&r, "text"),
        "20000 слов прочитано из 90000; остальное не читалось"
    );
    assert_eq!(r.classification.category.as_deref(), Some("roads.pothole"));
}

// The shipped catalogues.

#[test]
fn the_shipped_catalogues_are_consistent() {
    for file in ["catalogue.json", "catalogue-2026.2.json"] {
        let c = catalogue(file);
        let codes: BTreeSet<&str> = c.categories.iter().map(|k| k.code.as_str()).collect();
        assert_eq!(
            codes.len(),
            c.categories.len(),
            "{file}: a category code twice"
        );
        for k in &c.categories {
            // Every topic has an authority for the whole region: no appeal is left without one.
            assert!(
                c.authorities
                    .iter()
                    .any(|a| a.territories.is_empty() && a.topics.contains(&k.topic)),
                "{file}: nobody answers for `{}` region-wide",
                k.topic
            );
            assert!(
                k.deadline_days.is_none_or(|d| (1..=365).contains(&d)),
                "{file}: {}",
                k.code
            );
            for entry in k.keywords.iter().chain(&k.phrases) {
                assert!(
                    entry.chars().any(char::is_alphanumeric),
                    "{file}: {}: {entry:?}",
                    k.code
                );
            }
        }
        let territories: BTreeSet<&str> = c
            .authorities
            .iter()
            .flat_map(|a| a.territories.iter().map(String::as_str))
            .collect();
        assert_eq!(
            territories,
            BTreeSet::from(["elets", "gryazi", "lipetsk"]),
            "{file}"
        );
    }
    let (old, new) = (
        catalogue("catalogue.json"),
        catalogue("catalogue-2026.2.json"),
    );
    assert_eq!(
        (old.version.as_str(), new.version.as_str()),
        ("2026.1", "2026.2")
    );
    assert_eq!(
        new.categories.len(),
        old.categories.len() + 1,
        "waste.bulky split off"
    );
}
