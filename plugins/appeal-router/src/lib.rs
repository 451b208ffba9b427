//! # Citizens' appeals: category, responsible authority, merge into an incident
//!
//! **Where it comes from.** A region's feedback platform: appeals arrive from the governor's
//! site, Open311 apps, the federal feedback platform (ПОС) and the call centre; a first-line
//! specialist reads each one, classifies it, sends it to the authority that answers for the
//! topic on that territory — a regional executive body (ОИВ) or the municipality (ОМСУ) — and
//! joins appeals about one problem into one incident, so that a pothole reported by twenty
//! people is mended once and answered twenty times. The answer is due in 30 days (Federal law
//! 59-ФЗ «О порядке рассмотрения обращений граждан», art. 12) unless the region sets a shorter
//! term for the category. This plugin does the first reading, so the specialist confirms
//! instead of typing, and looks closely only where the plugin says it is unsure.
//!
//! **The rule.** It classifies the appeal's text with the region's catalogue (the host passes
//! it in: versioned data, changed without a new build; this crate ships Lipetsk-like examples,
//! `catalogue.json` and `catalogue-2026.2.json`), sets urgency, impact and the answer's
//! deadline from the category, names the authority for the category's topic on the appeal's
//! territory, and proposes open incidents of the same category within `merge-radius-m` (100 m)
//! to merge into. Where it is not sure — no category, two categories equally likely, a
//! confidence below `review-below-confidence` (0.6), no authority — it says so with
//! `needs_review`, and the trace says why.
//!
//! **Reads** nothing of the region: the appeal, the catalogue and the open incidents near it
//! come in the call. **Emits** the routing, which the host checks (a category and an authority
//! of the catalogue, candidates among the incidents shown, a deadline of 1 to 365 days) and
//! records. It needs no capability.
//!
//! ## How it decides
//!
//! 1. **The words.** The text is normalised (lower case, `ё` as `е`, punctuation and emoji as
//!    spaces) and split into words; see [`words`] for how a keyword matches Russian word
//!    forms: by its stem, so «яма» (and «ям») match «ямы», «ямой», «ямочный».
//! 2. **The category.** Each category scores 3 per phrase and 1 per keyword found, and 3 more
//!    when the applicant chose it (the appeal's `service_code`, see [`classify`]). The best
//!    wins only if it beats the runner-up: a tie is *ambiguous* and nothing found is
//!    *unknown*; either way there is no category and a specialist classifies. The confidence
//!    grows with the score and shrinks with the runner-up's ([`classify::confidence`]).
//! 3. **Urgency and impact** are the category's; the words of `escalation-words` (children,
//!    a school, an accident, a threat, a collapse…) raise the urgency one step, up to
//!    critical. The list is configuration, not catalogue, because the catalogue's shape is
//!    the platform's (WIT) and has no place for it, and because it is the region's policy
//!    across categories rather than a property of one. A word the category itself matched on
//!    does not count: an appeal about a school is not urgent for naming a school, a pothole
//!    by a school is.
//! 4. **The authority** is the catalogue's for the category's topic: one naming the appeal's
//!    territory first (an ОМСУ), else one for the whole region (an ОИВ). None → no authority,
//!    and a specialist looks.
//! 5. **The deadline** is the category's `deadline_days`, or `deadline-days` (30).
//! 6. **Merge candidates**: see [`merge`]. An appeal without a place gets no distance-based
//!    proposal.
//!
//! Every decision is a trace step (`catalogue-version`, `text`, `service-code`,
//! `top-category`, `runner-up-category`, `category`, `confidence`, `urgency`, `impact`,
//! `authority`, `deadline-days`, `place`, `merge-candidates`, `needs-review`) with its source;
//! values people read are in Russian. The same appeal, catalogue and incidents give the same
//! routing, trace included; no text, however long or strange, makes it fail.

pub mod classify;
pub mod merge;
pub mod words;

use zemstvo_sdk::appeals::{
    Appeal, Authority, Catalogue, Category, Classification, Impact, MergeCandidate, OpenIncident,
    Routing, TraceStep, Urgency,
};
use zemstvo_sdk::prelude::*;
use zemstvo_sdk::text::count;

use crate::classify::{Ranking, Score, Verdict};
use crate::words::{Pattern, Words, clip};

// Configuration keys.

/// Below this confidence a specialist looks before the appeal moves on.
const REVIEW_BELOW: &str = "review-below-confidence";
/// Metres within which an open incident of the same category is proposed for merging.
const MERGE_RADIUS: &str = "merge-radius-m";
/// Days to answer when the category sets none: 30, the term of 59-ФЗ.
const DEADLINE_DAYS: &str = "deadline-days";
/// Words and phrases that raise the urgency one step, comma-separated.
const ESCALATION_WORDS: &str = "escalation-words";

/// The shipped escalation list: children and schools, accidents, threats to life and
/// buildings. Written as the catalogue's keywords are (see [`words`]): «ребенок» and
/// «ребенка» both, since the vowel drops inside the word.
const DEFAULT_ESCALATION: &str = "дети, ребенок, ребенка, школа, авария, угроза, обрушение, \
                                  обрушился, пожар, пострадал";

/// The longest deadline the host accepts, in days.
const MAX_DEADLINE_DAYS: u32 = 365;

/// Characters of the applicant's words quoted in a trace value.
const QUOTED: usize = 40;
/// Matches listed per category in the trace.
const LISTED_HITS: usize = 5;

struct AppealRouter;

impl AppealRouting for AppealRouter {
    fn metadata() -> Metadata {
        Metadata::new("appeal-router", env!("CARGO_PKG_VERSION"))
            .title("Маршрутизация обращений граждан: категория, ответственный орган, инцидент")
            .description(
                "Classifies a citizen's appeal with the region's catalogue (keywords and \
                 phrases matched by word stems), sets urgency, impact and the answer's \
                 deadline, names the authority (ОИВ or ОМСУ) for the topic and territory and \
                 proposes open incidents of the same category nearby to merge into; marks \
                 what a first-line specialist must check, and explains every step.",
            )
            .config(
                ConfigParam::decimal(
                    REVIEW_BELOW,
                    "Confidence (0 to 1) below which a specialist reviews the routing",
                )
                .default(0.6)
                .range(0.0, 1.0),
            )
            .config(
                ConfigParam::integer(
                    MERGE_RADIUS,
                    "Metres within which an open incident of the same category is proposed \
                     for merging",
                )
                .default(100)
                .range(1, 5_000),
            )
            .config(
                ConfigParam::integer(
                    DEADLINE_DAYS,
                    "Days to answer when the category sets no deadline (59-ФЗ: 30)",
                )
                .default(30)
                .range(1, 365),
            )
            .config(
                ConfigParam::text(
                    ESCALATION_WORDS,
                    "Words and phrases, comma-separated, that raise an appeal's urgency one \
                     step (matched as catalogue keywords are)",
                )
                .default(DEFAULT_ESCALATION),
            )
    }

    fn route(
        _ctx: &RunContext,
        appeal: &Appeal,
        catalogue: &Catalogue,
        open_incidents: &[OpenIncident],
    ) -> Result<Routing, PluginError> {
        let settings = Settings::read()?;
        let mut trace = vec![step(
            "catalogue-version",
            &catalogue.version,
            "catalogue.version",
        )];

        // 1. The words.
        let words = Words::of(&appeal.text);
        trace.push(step("text", text_summary(&words), "appeal.text"));

        // 2. The category.
        let service_code = given(appeal.service_code.as_deref());
        let ranking = Ranking::of(catalogue, &words, service_code);
        if !ranking.unusable.is_empty() {
            log::warn(&format!(
                "catalogue {}: {} keywords or phrases have no letters and never match: {}",
                catalogue.version,
                ranking.unusable.len(),
                clip(&ranking.unusable.join(", "), 500)
            ));
        }
        if let Some(code) = service_code {
            trace.push(service_code_step(code, catalogue, &ranking));
        }
        trace.push(step(
            "top-category",
            ranking.top().map_or_else(
                || "нет: ни одно слово или фраза каталога не найдены в тексте".to_string(),
                describe,
            ),
            "catalogue.categories",
        ));
        trace.push(step(
            "runner-up-category",
            ranking.runner_up().map_or_else(
                || "нет: слова других категорий не найдены".to_string(),
                describe,
            ),
            "catalogue.categories",
        ));
        let verdict = ranking.verdict();
        let (chosen, confidence) = match verdict {
            Verdict::Chosen { best, confidence } => (Some(best), confidence),
            _ => (None, 0.0),
        };
        trace.push(category_step(&verdict, catalogue));
        trace.push(step(
            "confidence",
            confidence_text(confidence, &ranking, settings.review_below),
            &format!("classifier; config:{REVIEW_BELOW}"),
        ));

        // 3. Urgency and impact.
        let category = chosen.map(|s| s.category);
        let (urgency, urgency_step) = urgency(chosen, &words, &settings.escalation);
        trace.push(urgency_step);
        let impact = category.map_or(Impact::Individual, |c| c.impact);
        trace.push(step(
            "impact",
            match category {
                Some(_) => format!("{} по категории", impact_name(impact)),
                None => format!(
                    "{} по умолчанию (категория не определена)",
                    impact_name(impact)
                ),
            },
            &category.map_or("default".to_string(), |c| format!("catalogue:{}", c.code)),
        ));

        // 4. The authority.
        let territory = given(appeal.territory.as_deref());
        let authority = category.and_then(|c| catalogue.authority_for(&c.topic, territory));
        trace.push(authority_step(category, authority, territory));

        // 5. The deadline.
        let (deadline_days, deadline_step) = deadline(category, settings.deadline_days);
        trace.push(deadline_step);

        // 6. Merge candidates.
        let (merge_candidates, place_step, merge_step) =
            merge_candidates(appeal, category, territory, &settings, open_incidents);
        trace.push(place_step);
        trace.push(merge_step);

        let mut review = Vec::new();
        match verdict {
            Verdict::Chosen { .. } => {}
            Verdict::Ambiguous { .. } => review.push("категория неоднозначна".to_string()),
            Verdict::Unknown => review.push("категория не определена".to_string()),
        }
        // In hundredths, as the trace shows both: 0,60 against a threshold of 0,60 passes.
        let below = |c: f32, t: f64| (f64::from(c) * 100.0).round() < (t * 100.0).round();
        if category.is_some() && below(confidence, settings.review_below) {
            review.push(format!(
                "уверенность {} ниже порога {}",
                hundredths(f64::from(confidence)),
                hundredths(settings.review_below)
            ));
        }
        if category.is_some() && authority.is_none() {
            review.push("не определён ответственный орган".to_string());
        }
        let needs_review = !review.is_empty();
        trace.push(step(
            "needs-review",
            if needs_review {
                format!("да: {}", review.join("; "))
            } else {
                "нет".to_string()
            },
            "classifier",
        ));

        Ok(Routing {
            classification: Classification {
                category: category.map(|c| c.code.clone()),
                catalogue_version: catalogue.version.clone(),
                urgency,
                impact,
                confidence,
            },
            authority: authority.map(|a| a.code.clone()),
            deadline_days,
            merge_candidates,
            needs_review,
            trace,
        })
    }
}

/// The configuration, read once per call (the host has checked the ranges).
struct Settings {
    review_below: f64,
    merge_radius_m: f64,
    deadline_days: u32,
    escalation: Vec<Pattern>,
}

impl Settings {
    fn read() -> Result<Self, PluginError> {
        let deadline = config::integer(DEADLINE_DAYS)?;
        Ok(Settings {
            review_below: config::decimal(REVIEW_BELOW)?,
            merge_radius_m: config::integer(MERGE_RADIUS)? as f64,
            deadline_days: u32::try_from(deadline).map_err(|_| {
                PluginError::invalid_config(format!("`{DEADLINE_DAYS}` is {deadline}"))
            })?,
            escalation: config::text(ESCALATION_WORDS)?
                .split([',', ';', '\n'])
                .filter_map(Pattern::new)
                .collect(),
        })
    }
}

fn text_summary(words: &Words) -> String {
    let read = count(words.words.len() as u64, "слово", "слова", "слов");
    if words.words.is_empty() {
        "в тексте нет слов".to_string()
    } else if words.truncated() {
        format!("{read} прочитано из {}; остальное не читалось", words.total)
    } else {
        read
    }
}

/// `roads.pothole «Яма на дороге» — 7 баллов: фразы «яма на дороге» (яма на дороге);
/// слова «асфальт» (асфальта), «яма» (ямы)`.
fn describe(score: &Score<'_>) -> String {
    let points = u64::from(score.points());
    let mut parts = Vec::new();
    let list = |hits: &[classify::Hit]| {
        let mut listed: Vec<String> = hits
            .iter()
            .take(LISTED_HITS)
            .map(|h| {
                format!(
                    "«{}» ({})",
                    clip(&h.pattern.text, QUOTED),
                    clip(&h.found, QUOTED)
                )
            })
            .collect();
        if hits.len() > LISTED_HITS {
            listed.push(format!("и ещё {}", hits.len() - LISTED_HITS));
        }
        listed.join(", ")
    };
    if !score.phrases.is_empty() {
        parts.push(format!("фразы {}", list(&score.phrases)));
    }
    if !score.keywords.is_empty() {
        parts.push(format!("слова {}", list(&score.keywords)));
    }
    if score.chosen_by_applicant {
        parts.push("выбрана заявителем".to_string());
    }
    format!(
        "{} «{}» — {}: {}",
        score.category.code,
        clip(&score.category.title, 100),
        count(points, "балл", "балла", "баллов"),
        parts.join("; ")
    )
}

/// What became of the applicant's choice: a category of the catalogue or not, and whether
/// the text agrees.
fn service_code_step(code: &str, catalogue: &Catalogue, ranking: &Ranking<'_>) -> TraceStep {
    let quoted = clip(code, QUOTED);
    let value = match catalogue.category(code) {
        None => format!(
            "«{quoted}» выбран заявителем, но такой категории нет в каталоге {}: не учитывается",
            catalogue.version
        ),
        Some(_) => match ranking.text_choice() {
            Some(text) if text.category.code != code => format!(
                "«{quoted}» выбран заявителем (+{} балла), но текст указывает на «{}» ({})",
                classify::SERVICE_CODE_WEIGHT,
                text.category.code,
                count(u64::from(text.text_points()), "балл", "балла", "баллов")
            ),
            Some(_) => format!(
                "«{quoted}» выбран заявителем (+{} балла), текст согласуется",
                classify::SERVICE_CODE_WEIGHT
            ),
            None => format!(
                "«{quoted}» выбран заявителем (+{} балла); текст не указывает однозначно на \
                 другую категорию",
                classify::SERVICE_CODE_WEIGHT
            ),
        },
    };
    step("service-code", value, "appeal.service-code")
}

fn category_step(verdict: &Verdict<'_, '_>, catalogue: &Catalogue) -> TraceStep {
    let value = match verdict {
        Verdict::Chosen { best, .. } => format!(
            "{} — {}",
            best.category.code,
            clip(&best.category.title, 100)
        ),
        Verdict::Ambiguous { tied } => {
            let mut named = format!(
                "неоднозначно: «{}» и «{}» набрали поровну (по {})",
                tied[0].category.code,
                tied[1].category.code,
                count(u64::from(tied[0].points()), "баллу", "балла", "баллов")
            );
            if tied.len() > 2 {
                named.push_str(&format!(" вместе с ещё {}", tied.len() - 2));
            }
            named.push_str("; категорию выберет специалист");
            named
        }
        Verdict::Unknown => format!(
            "не удалось определить категорию: в тексте нет слов и фраз каталога {}; категорию \
             выберет специалист",
            catalogue.version
        ),
    };
    step("category", value, "classifier")
}

fn confidence_text(confidence: f32, ranking: &Ranking<'_>, threshold: f64) -> String {
    let points = |s: Option<&Score<'_>>| s.map_or(0, Score::points);
    format!(
        "{} ({} против {}; порог проверки {})",
        hundredths(f64::from(confidence)),
        count(u64::from(points(ranking.top())), "балл", "балла", "баллов"),
        points(ranking.runner_up()),
        hundredths(threshold)
    )
}

/// The category's urgency, one step higher if an escalation word is in the text and the
/// category did not match on it; medium without a category.
fn urgency(
    chosen: Option<&Score<'_>>,
    words: &Words,
    escalation: &[Pattern],
) -> (Urgency, TraceStep) {
    let base = chosen.map_or(Urgency::Medium, |s| s.category.urgency);
    let covered = |run: &[String]| chosen.is_some_and(|s| run.iter().all(|w| s.covers(w)));
    let raised_by: Vec<String> = escalation
        .iter()
        .filter_map(|p| p.find(words, covered))
        .map(|found| format!("«{}»", clip(&found, QUOTED)))
        .collect();
    let urgency = if raised_by.is_empty() {
        base
    } else {
        step_up(base)
    };
    let origin = match chosen {
        Some(_) => "по категории",
        None => "по умолчанию (категория не определена)",
    };
    let value = if raised_by.is_empty() {
        format!("{} {origin}", urgency_name(urgency))
    } else if urgency == base {
        format!(
            "{} {origin}; выше не бывает, хотя в тексте {}",
            urgency_name(urgency),
            raised_by.join(", ")
        )
    } else {
        format!(
            "{}: {} {origin}, повышена на ступень — в тексте {}",
            urgency_name(urgency),
            urgency_name(base),
            raised_by.join(", ")
        )
    };
    let source = match chosen {
        Some(s) => format!("catalogue:{}; config:{ESCALATION_WORDS}", s.category.code),
        None => format!("default; config:{ESCALATION_WORDS}"),
    };
    (urgency, step("urgency", value, &source))
}

fn step_up(urgency: Urgency) -> Urgency {
    match urgency {
        Urgency::Low => Urgency::Medium,
        Urgency::Medium => Urgency::High,
        Urgency::High | Urgency::Critical => Urgency::Critical,
    }
}

fn urgency_name(urgency: Urgency) -> &'static str {
    match urgency {
        Urgency::Low => "низкая",
        Urgency::Medium => "средняя",
        Urgency::High => "высокая",
        Urgency::Critical => "критическая",
    }
}

fn impact_name(impact: Impact) -> &'static str {
    match impact {
        Impact::Individual => "один заявитель",
        Impact::Building => "дом",
        Impact::Street => "улица",
        Impact::District => "район",
        Impact::Region => "регион",
    }
}

fn authority_step(
    category: Option<&Category>,
    authority: Option<&Authority>,
    territory: Option<&str>,
) -> TraceStep {
    let territory_text = territory.map(|t| format!("«{}»", clip(t, QUOTED)));
    let value = match (category, authority) {
        (None, _) => "не определён: категория не определена".to_string(),
        (Some(c), Some(a)) if !a.territories.is_empty() => format!(
            "{} — {}: тема «{}» на территории {}",
            a.code,
            a.title,
            c.topic,
            territory_text.unwrap_or_default()
        ),
        (Some(c), Some(a)) => format!(
            "{} — {}: тема «{}» по всему региону ({})",
            a.code,
            a.title,
            c.topic,
            match &territory_text {
                Some(t) => format!("ни один ОМСУ не отвечает за неё на территории {t}"),
                None => "территория обращения не указана".to_string(),
            }
        ),
        (Some(c), None) => format!(
            "не определён: за тему «{}» никто не отвечает ни {}, ни по всему региону",
            c.topic,
            match &territory_text {
                Some(t) => format!("на территории {t}"),
                None => "на неуказанной территории".to_string(),
            }
        ),
    };
    step(
        "authority",
        value,
        "catalogue.authorities; appeal.territory",
    )
}

/// The category's deadline if it is one the host accepts, else the configured one.
fn deadline(category: Option<&Category>, configured: u32) -> (u32, TraceStep) {
    let days = |n: u32| count(u64::from(n), "день", "дня", "дней");
    let fallback = |why: String| {
        (
            configured,
            step(
                "deadline-days",
                format!("{} ({why})", days(configured)),
                &format!("config:{DEADLINE_DAYS}"),
            ),
        )
    };
    match category {
        None => fallback("по умолчанию: категория не определена".into()),
        Some(c) => match c.deadline_days {
            Some(d) if (1..=MAX_DEADLINE_DAYS).contains(&d) => (
                d,
                step(
                    "deadline-days",
                    format!("{} (срок категории)", days(d)),
                    &format!("catalogue:{}", c.code),
                ),
            ),
            Some(d) => fallback(format!(
                "срок категории {d} дн. вне допустимых 1–{}: взят срок по умолчанию",
                MAX_DEADLINE_DAYS
            )),
            None => fallback("категория своего срока не задаёт".into()),
        },
    }
}

/// The candidates and the `place` and `merge-candidates` steps.
fn merge_candidates(
    appeal: &Appeal,
    category: Option<&Category>,
    territory: Option<&str>,
    settings: &Settings,
    incidents: &[OpenIncident],
) -> (Vec<MergeCandidate>, TraceStep, TraceStep) {
    let place = merge::usable(&appeal.place);
    let place_step = step(
        "place",
        match (place, &appeal.place) {
            (Some(p), _) => format!(
                "{:.5}, {:.5}{}",
                p.lat,
                p.lon,
                p.address
                    .as_deref()
                    .map(|a| format!(" ({})", clip(a, 200)))
                    .unwrap_or_default()
            ),
            (None, Some(_)) => "координаты вне допустимых значений: объединение по расстоянию \
                                невозможно"
                .to_string(),
            (None, None) => "место не указано: объединение по расстоянию невозможно".to_string(),
        },
        "appeal.place",
    );
    let source = format!("open-incidents; config:{MERGE_RADIUS}");
    let Some(category) = category else {
        let merge_step = step(
            "merge-candidates",
            "не искались: категория не определена",
            &source,
        );
        return (Vec::new(), place_step, merge_step);
    };
    let radius = settings.merge_radius_m;
    let (candidates, left_out, looked_for) = match (place, territory) {
        (Some(p), _) => {
            let (c, n) = merge::near(p, &category.code, radius, incidents);
            (c, n, format!("в радиусе {radius} м"))
        }
        (None, Some(t)) => {
            let (c, n) = merge::on_territory(t, &category.code, incidents);
            (
                c,
                n,
                format!("без места на территории «{}»", clip(t, QUOTED)),
            )
        }
        (None, None) => {
            let merge_step = step(
                "merge-candidates",
                "не искались: у обращения нет ни места, ни территории",
                &source,
            );
            return (Vec::new(), place_step, merge_step);
        }
    };
    let value = if candidates.is_empty() {
        format!("нет: открытых инцидентов той же категории {looked_for} нет")
    } else {
        let listed: Vec<String> = candidates
            .iter()
            .map(|c| match c.distance_m {
                Some(d) => format!("№{} ({} м)", c.incident, d.round()),
                None => format!("№{}", c.incident),
            })
            .collect();
        let mut value = format!(
            "{} той же категории {looked_for}: {}",
            count(
                (candidates.len() + left_out) as u64,
                "инцидент",
                "инцидента",
                "инцидентов"
            ),
            listed.join(", ")
        );
        if left_out > 0 {
            value.push_str(&format!("; ещё {left_out} не предлагаются"));
        }
        value
    };
    (
        candidates,
        place_step,
        step("merge-candidates", value, &source),
    )
}

/// An optional field of the appeal, trimmed; blank is absent.
fn given(field: Option<&str>) -> Option<&str> {
    field.map(str::trim).filter(|v| !v.is_empty())
}

/// One step of the trace.
fn step(name: &str, value: impl Into<String>, source: &str) -> TraceStep {
    TraceStep {
        name: name.to_string(),
        value: value.into(),
        source: source.to_string(),
    }
}

/// `0,67`: two decimals and a decimal comma, as Russian documents write them.
fn hundredths(value: f64) -> String {
    format!("{value:.2}").replace('.', ",")
}

export_appeal_routing!(AppealRouter);
