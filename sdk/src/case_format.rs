//! The format of rule test case files, as a reference page: every field of every object a
//! case file may hold, its type and what it means. The SDK's `CASES.md` is rendered from
//! [`SECTIONS`] by [`markdown`]; tests fail when a field of the case types (`crate::cases`,
//! and the host's eligibility input) is missing here or when the page is out of date.

use std::fmt::Write as _;

/// One JSON object of a case file and its fields.
pub struct Section {
    /// Where it appears, e.g. `expect.tasks.items[]`.
    pub path: &'static str,
    /// What it is for.
    pub about: &'static str,
    /// (field, JSON type, meaning), in the order of the Rust type's fields.
    pub fields: &'static [(&'static str, &'static str, &'static str)],
}

/// Every object of a case file, from the top.
pub const SECTIONS: &[Section] = &[
    Section {
        path: "(the case)",
        about: "One case: a file holds one such object or an array of them.",
        fields: &[
            (
                "name",
                "string, required",
                "What the case is about; shown when it fails.",
            ),
            (
                "now",
                "RFC 3339 string",
                "The run's logical time: the date the rule decides for. Default: the fixture's \
                 `now`.",
            ),
            (
                "time_zone",
                "string",
                "The region's IANA time zone, e.g. `Asia/Yekaterinburg`: the run's context \
                 carries it and its offset from UTC. Default: `Europe/Moscow`.",
            ),
            (
                "region",
                "object",
                "A fixture inline, shaped like a fixture file.",
            ),
            (
                "region_file",
                "string",
                "A fixture file, relative to the plugin crate, e.g. `tests/fixtures/region.json`.",
            ),
            (
                "config",
                "object of strings",
                "Settings as an administrator types them: `{ \"max-wait-days\": \"4\" }`.",
            ),
            (
                "grants",
                "array of strings",
                "Grant only these capabilities (default: all the plugin declares), e.g. \
                 `[\"data.applications\"]`, to test a missing grant.",
            ),
            (
                "application",
                "object",
                "For eligibility rules: the application and the SMEV answers so far (below).",
            ),
            (
                "appeal",
                "object",
                "For appeal routers: the appeal, only the fields the case is about (below).",
            ),
            (
                "catalogue",
                "object",
                "For appeal routers: the region's catalogue inline, shaped like a catalogue \
                 file (`version`, `categories`, `authorities`).",
            ),
            (
                "catalogue_file",
                "string",
                "… or a catalogue file, relative to the plugin crate, e.g. \
                 `tests/fixtures/catalogue.json`. An appeal case needs one of the two.",
            ),
            (
                "open_incidents",
                "array",
                "For appeal routers: the open incidents the host shows the router; default \
                 none. Each: `id`, `category`, `place` (`{lat, lon, address}` or null), \
                 `territory`, `opened` (seconds since the epoch), `appeals` (how many).",
            ),
            (
                "open_incidents_file",
                "string",
                "… or a file holding that array, relative to the plugin crate.",
            ),
            ("expect", "object, required", "What must come out (below)."),
        ],
    },
    Section {
        path: "appeal",
        about: "The appeal an appeal router is called with; what a case leaves out is appeal 1 \
                from `open311` received at the case's `now`, with an empty text and no \
                service code, place or territory.",
        fields: &[
            ("id", "integer", "The appeal's id."),
            (
                "channel",
                "string",
                "Where it came from: `open311`, `governor-site`, `mobile-app`, …",
            ),
            (
                "service_code",
                "string",
                "The category the applicant chose, if the channel asks for one.",
            ),
            ("text", "string", "What the applicant wrote."),
            (
                "place",
                "object",
                "Where: `{\"lat\": 52.6088, \"lon\": 39.5992, \"address\": \"ул. Ленина, 5\"}` \
                 (the address is optional).",
            ),
            (
                "territory",
                "string",
                "The territory's code (a municipality), e.g. `lipetsk`.",
            ),
            (
                "received",
                "integer",
                "When it arrived, seconds since the epoch. Default: the case's `now` (0 \
                 without one).",
            ),
            (
                "attributes",
                "array of [name, value]",
                "The channel's extra fields; default none.",
            ),
        ],
    },
    Section {
        path: "application",
        about: "What an eligibility rule is called with.",
        fields: &[
            (
                "application",
                "object, required",
                "The application (below).",
            ),
            (
                "answers",
                "array",
                "SMEV answers received so far; default none. Each: `query` (as below), \
                 `message_id`, `received` (seconds since the epoch), and either `\"outcome\": \
                 \"answered\", \"facts\": [[name, value], …]` or `\"outcome\": \"rejected\", \
                 \"code\": …, \"reason\": …`.",
            ),
        ],
    },
    Section {
        path: "application.application",
        about: "The application as the rule sees it.",
        fields: &[
            ("id", "integer, required", "The application's id."),
            (
                "applicant",
                "integer, required",
                "The applicant (a citizen's id).",
            ),
            (
                "measure",
                "string, required",
                "The measure applied for, e.g. `child-allowance`.",
            ),
            (
                "submitted",
                "integer, required",
                "When it was filed, seconds since the epoch.",
            ),
            (
                "channel",
                "string, required",
                "`portal`, `mfc` or `office`.",
            ),
            (
                "fields",
                "array of [name, value]",
                "The form's fields, e.g. `[[\"child-birth-date\", \"2015-06-10\"]]`.",
            ),
        ],
    },
    Section {
        path: "application.answers[].query",
        about: "The request an answer answers (and what `expect.decision.requests` matches).",
        fields: &[
            (
                "agency",
                "string, required",
                "`fns`, `pfr`, `sfr`, `mvd`, `zags`, `rosreestr`, …",
            ),
            (
                "kind",
                "string, required",
                "What was asked, e.g. `residence-registration`.",
            ),
            (
                "subject",
                "integer, required",
                "Whom it is about (a citizen's id).",
            ),
            (
                "application",
                "integer or null",
                "The application it was sent for.",
            ),
            (
                "params",
                "array of [name, value]",
                "The request's parameters; default none.",
            ),
        ],
    },
    Section {
        path: "expect",
        about: "What the case checks. Every field is optional: what is left out is not checked.",
        fields: &[
            ("status", "string", "`succeeded` or `failed`."),
            (
                "failure_contains",
                "string",
                "The failure's text contains this.",
            ),
            (
                "refused_contains",
                "string",
                "The host refused to start the run (a configuration out of range, an unknown \
                 grant) with a message containing this.",
            ),
            ("summary", "object", "The run's summary (below)."),
            (
                "tasks",
                "{count, items}",
                "Tasks created; `items` as below.",
            ),
            (
                "notifications",
                "{count, items}",
                "Notifications queued; `items` as below.",
            ),
            (
                "smev_requests",
                "{count, items}",
                "SMEV requests queued; `items` as below.",
            ),
            (
                "decision",
                "object",
                "An eligibility rule's answer (below).",
            ),
            (
                "assessments",
                "{count, items}",
                "Risk assessments recorded; `items` as below.",
            ),
            (
                "visit_exceptions",
                "{count, items}",
                "Visit exceptions recorded; `items` as below.",
            ),
            ("routing", "object", "An appeal router's answer (below)."),
            (
                "logs_contain",
                "array of strings",
                "Log lines containing each of these.",
            ),
        ],
    },
    Section {
        path: "expect.<outputs>",
        about: "`tasks`, `notifications`, `smev_requests`, `assessments`, `visit_exceptions`.",
        fields: &[
            ("count", "integer", "Exactly this many."),
            (
                "items",
                "array",
                "Each must match at least one output, by the fields it gives.",
            ),
        ],
    },
    Section {
        path: "expect.summary",
        about: "The summary the plugin returned (a failed run has none).",
        fields: &[
            ("examined", "integer", "Records examined."),
            ("found", "integer", "Deviations (or results) found."),
            (
                "message_contains",
                "string",
                "The summary's message contains this.",
            ),
        ],
    },
    Section {
        path: "expect.tasks.items[]",
        about: "A task that must be among those created.",
        fields: &[
            ("assignee", "integer", "The employee it is for."),
            ("subject", "integer", "The employee it is about."),
            ("key", "string", "Its idempotency key."),
            ("title_contains", "string", "Its title contains this."),
            (
                "description_contains",
                "array of strings",
                "Its description contains each.",
            ),
            ("priority", "string", "`low`, `normal`, `high` or `urgent`."),
            ("records", "integer", "How many records it links."),
        ],
    },
    Section {
        path: "expect.notifications.items[]",
        about: "A notification that must be among those queued.",
        fields: &[
            ("citizen", "integer", "The citizen it is for."),
            ("channel", "string", "`sms`, `voice`, `email` or `portal`."),
            ("template", "string", "The template's name."),
            (
                "params",
                "object of strings",
                "Parameters it must carry with these values.",
            ),
        ],
    },
    Section {
        path: "expect.smev_requests.items[]",
        about: "A SMEV request that must be among those queued (also `expect.decision.requests[]`).",
        fields: &[
            ("agency", "string", "The agency asked."),
            ("kind", "string", "What was asked."),
            ("subject", "integer", "Whom it is about."),
        ],
    },
    Section {
        path: "expect.decision",
        about: "An eligibility rule's outcome.",
        fields: &[
            (
                "verdict",
                "string",
                "`approve`, `deny` or `need` (more SMEV requests).",
            ),
            (
                "monthly_amount",
                "integer",
                "The assignment's monthly amount, in kopecks.",
            ),
            (
                "payments",
                "integer",
                "How many payments the assignment schedules.",
            ),
            (
                "reasons_contain",
                "array of strings",
                "A denial's reasons contain each.",
            ),
            (
                "requests",
                "array",
                "For `need`: requests that must be asked for (as above).",
            ),
            (
                "trace_contains",
                "array of strings",
                "Trace steps with these names.",
            ),
        ],
    },
    Section {
        path: "expect.assessments.items[]",
        about: "A risk assessment that must be among those recorded.",
        fields: &[
            ("object", "integer", "The inspected object."),
            ("category", "string", "Its category, e.g. `high`."),
            (
                "factors_contain",
                "array of strings",
                "Factors named in its explanation.",
            ),
        ],
    },
    Section {
        path: "expect.visit_exceptions.items[]",
        about: "A visit exception that must be among those recorded.",
        fields: &[
            ("visit", "integer", "The visit."),
            (
                "kind",
                "string",
                "`out_of_geofence`, `too_short`, `missing_evidence` or `unverifiable`.",
            ),
            ("reason_contains", "string", "Its reason contains this."),
        ],
    },
    Section {
        path: "expect.routing",
        about: "An appeal router's answer.",
        fields: &[
            (
                "category",
                "string or null",
                "The category's code; `null`: no category (a specialist classifies).",
            ),
            (
                "authority",
                "string or null",
                "The responsible authority's code; `null`: none named.",
            ),
            (
                "catalogue_version",
                "string",
                "The catalogue version the classification names.",
            ),
            (
                "needs_review",
                "boolean",
                "Whether a first-line specialist must look before the appeal moves on.",
            ),
            (
                "urgency",
                "string",
                "`low`, `medium`, `high` or `critical`.",
            ),
            (
                "impact",
                "string",
                "`individual`, `building`, `street`, `district` or `region`.",
            ),
            ("deadline_days", "integer", "Days to answer."),
            (
                "confidence_at_least",
                "number",
                "The classification's confidence is at least this (0 to 1).",
            ),
            ("confidence_below", "number", "… and below this."),
            (
                "merge_candidates",
                "array of integers",
                "The incidents proposed for merging, in the order proposed.",
            ),
            (
                "trace",
                "object of strings",
                "A trace step's name → text its value contains: `{ \"category\": \"roads.pothole\" }`.",
            ),
        ],
    },
];

/// An example case, checked to parse by the tests.
pub const EXAMPLE: &str = r#"{
  "name": "an answer four days late becomes a task",
  "now": "2026-11-23T06:00:00Z",
  "region_file": "tests/fixtures/region.json",
  "config": { "max-wait-days": "4" },
  "expect": {
    "status": "succeeded",
    "summary": { "found": 4 },
    "tasks": { "count": 2, "items": [{ "assignee": 10, "title_contains": "2 запрос" }] }
  }
}"#;

/// The page, as Markdown.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Rule test cases\n\n\
         <!-- Generated from sdk/src/case_format.rs, which tests hold to the case types. Do not \
         edit: regenerate with `ZEMSTVO_UPDATE_PAGES=1 cargo test --test reference_pages`. -->\n\n\
         A rule's tests are mostly cases, not code: `tests/cases/*.json`, each file one case or \
         an array of them, run by one test:\n\n\
         ```rust\n#[test]\nfn rule_cases() {\n    \
         zemstvo_sdk::plugin_under_test!().run_cases(\"tests/cases\");\n}\n```\n\n\
         Every case runs in the real host, in name order of the files; a failure lists every \
         case that did not turn out as expected and why. A misspelt field is an error, not an \
         expectation silently skipped. An example:\n\n```json\n",
    );
    out.push_str(EXAMPLE);
    out.push_str("\n```\n");
    for section in SECTIONS {
        let _ = write!(
            out,
            "\n## `{}`\n\n{}\n\n| field | type | meaning |\n|---|---|---|\n",
            section.path, section.about
        );
        for (name, ty, meaning) in section.fields {
            let _ = writeln!(out, "| `{name}` | {ty} | {meaning} |");
        }
    }
    out
}
