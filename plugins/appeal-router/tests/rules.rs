//! The router called as a region's host calls it: this crate built for wasm32-wasip2, loaded
//! into the real runtime, given an appeal, a catalogue and the open incidents near it. The
//! cases in `tests/cases/` hold the rules; the SDK's case runner does not read appeals yet, so
//! [`run_cases`] below reads them (the format is in `tests/cases/README.md`). The tests after
//! it check what a case file cannot express: texts too large to write down, catalogues
//! changed on the fly, exact distances, and the shipped catalogues themselves.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Deserializer};
use zemstvo_sdk::testing::{
    Appeal, AppealInput, Catalogue, Impact, OpenIncident, PluginUnderTest, Routing, RunReport,
    TestRun, Urgency,
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

// The case files.

/// One case of `tests/cases/*.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// The catalogue file, relative to the crate.
    #[serde(default = "shipped_catalogue")]
    catalogue: String,
    #[serde(default)]
    config: BTreeMap<String, String>,
    /// Fields of the appeal; the others are [`appeal`]'s.
    appeal: serde_json::Map<String, serde_json::Value>,
    /// The open incidents: a list, or a fixture file holding one.
    open_incidents: Option<serde_json::Value>,
    expect: Expect,
}

fn shipped_catalogue() -> String {
    "catalogue.json".into()
}

/// What a case expects; what it leaves out is not checked. `category` and `authority` may
/// be `null`: expected absent.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    refused_contains: Option<String>,
    #[serde(default, deserialize_with = "given")]
    category: Option<Option<String>>,
    #[serde(default, deserialize_with = "given")]
    authority: Option<Option<String>>,
    catalogue_version: Option<String>,
    needs_review: Option<bool>,
    urgency: Option<Urgency>,
    impact: Option<Impact>,
    deadline_days: Option<u32>,
    confidence_at_least: Option<f32>,
    confidence_below: Option<f32>,
    /// The candidates' incident ids, in order.
    merge_candidates: Option<Vec<u64>>,
    /// Trace step name → text its value contains.
    #[serde(default)]
    trace: BTreeMap<String, String>,
}

/// A field that is there, even as `null`.
fn given<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

impl Case {
    fn input(&self) -> AppealInput {
        let mut fields = serde_json::to_value(appeal("", None)).unwrap();
        fields.as_object_mut().unwrap().extend(self.appeal.clone());
        let appeal: Appeal = serde_json::from_value(fields).expect("an appeal");
        let incidents = match &self.open_incidents {
            None => Vec::new(),
            Some(serde_json::Value::String(file)) => {
                serde_json::from_str(&read(file)).expect("open incidents")
            }
            Some(list) => serde_json::from_value(list.clone()).expect("open incidents"),
        };
        input(appeal, catalogue(&self.catalogue), incidents)
    }

    /// What did not turn out as expected.
    fn check(&self, plugin: &PluginUnderTest) -> Vec<String> {
        let mut run = run(plugin, self.input());
        for (k, v) in &self.config {
            run = run.config(k, v);
        }
        let expect = &self.expect;
        let report = match (run.try_execute(), &expect.refused_contains) {
            (Err(refusal), Some(text)) if refusal.contains(text.as_str()) => return vec![],
            (Err(refusal), _) => return vec![format!("the host refused the run: {refusal}")],
            (Ok(_), Some(text)) => {
                return vec![format!("expected a refusal (`{text}`), but it ran")];
            }
            (Ok(report), None) => report,
        };
        let Some(r) = report
            .outputs
            .routing
            .as_ref()
            .filter(|_| report.succeeded())
        else {
            return vec![format!("the run failed: {:?}", report.failure())];
        };
        let c = &r.classification;
        let mut problems = Vec::new();
        let mut want = |what: &str, ok: bool, got: &dyn std::fmt::Debug| {
            if !ok {
                problems.push(format!("{what}: got {got:?}"));
            }
        };
        if let Some(v) = &expect.category {
            want(&format!("category {v:?}"), &c.category == v, &c.category);
        }
        if let Some(v) = &expect.authority {
            want(&format!("authority {v:?}"), &r.authority == v, &r.authority);
        }
        if let Some(v) = &expect.catalogue_version {
            let got = &c.catalogue_version;
            want(&format!("catalogue version {v}"), got == v, got);
        }
        if let Some(v) = expect.needs_review {
            want(&format!("needs_review {v}"), r.needs_review == v, &r.trace);
        }
        if let Some(v) = expect.urgency {
            want(&format!("urgency {v:?}"), c.urgency == v, &c.urgency);
        }
        if let Some(v) = expect.impact {
            want(&format!("impact {v:?}"), c.impact == v, &c.impact);
        }
        if let Some(v) = expect.deadline_days {
            want(
                &format!("deadline {v}"),
                r.deadline_days == v,
                &r.deadline_days,
            );
        }
        if let Some(v) = expect.confidence_at_least {
            want(
                &format!("confidence ≥ {v}"),
                c.confidence >= v,
                &c.confidence,
            );
        }
        if let Some(v) = expect.confidence_below {
            want(
                &format!("confidence < {v}"),
                c.confidence < v,
                &c.confidence,
            );
        }
        if let Some(v) = &expect.merge_candidates {
            let got: Vec<u64> = r.merge_candidates.iter().map(|m| m.incident).collect();
            want(&format!("merge candidates {v:?}"), &got == v, &got);
        }
        for (name, text) in &expect.trace {
            let value = r.trace.iter().find(|s| &s.name == name).map(|s| &s.value);
            want(
                &format!("trace `{name}` containing «{text}»"),
                value.is_some_and(|v| v.contains(text.as_str())),
                &value,
            );
        }
        problems
    }
}

/// Runs every case of `tests/cases/*.json` and panics listing each that failed.
fn run_cases(plugin: &PluginUnderTest) {
    let dir = Path::new(CRATE).join("tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let (mut failures, mut total) = (Vec::new(), 0);
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy();
        let cases: Vec<Case> = serde_json::from_str(&std::fs::read_to_string(file).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        for case in &cases {
            total += 1;
            let problems = case.check(plugin);
            if !problems.is_empty() {
                failures.push(format!(
                    "case `{}` ({name}):\n  - {}",
                    case.name,
                    problems.join("\n  - ")
                ));
            }
        }
    }
    assert!(total > 0, "no cases in {}", dir.display());
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_rule_test_cases_hold() {
    run_cases(&zemstvo_sdk::plugin_under_test!());
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
