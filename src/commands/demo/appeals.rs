//! The demo region's citizens' appeals: the reference catalogue loaded, the authorities staffed
//! with the region's employees, an Open311 channel with a printed key, and a quarter's appeals
//! at a regional feedback platform's volume (about 20,000 a year for a region of a million
//! people) — a fifth of them about a problem someone already reported nearby, so that they
//! merge — routed by the installed appeal router and carried through answers, the applicants'
//! verdicts (some disagree) and root-cause records for incidents past their deadline.

use sha2::{Digest, Sha256};
use zemstvo_core::appeals::{Catalogue, Place};
use zemstvo_service::RegionHost;
use zemstvo_store::Store;
use zemstvo_store::appeals::{AppealFilter, NewAppeal};

use crate::cli::CliError;

/// The region's classifier, as the reference router's crate ships it.
pub const CATALOGUE: &str = include_str!("../../../plugins/appeal-router/catalogue.json");

/// The demo's Open311 channel and its key. Derived from a public phrase like the demo vendor's
/// key: it files appeals into the demo region only, and a real region makes its own with
/// `zemstvo appeals channel-add`.
pub const CHANNEL: &str = "demo-portal";

const DAY: i64 = 86_400;

/// Appeals a year at the seed's scale; the small region gets a tenth.
const APPEALS_PER_YEAR: u64 = 20_000;
/// How far back the generated appeals reach.
const DAYS: i64 = 90;

/// The demo channel's API key (not a secret: see [`CHANNEL`]).
pub fn channel_key() -> String {
    hex::encode(&Sha256::digest(b"zemstvo demo open311 channel: not a secret")[..16])
}

/// Territories of the demo region with the centre appeals scatter around; the first three have
/// their own ОМСУ in the catalogue, the others fall to the regional authorities.
const TERRITORIES: &[(&str, f64, f64, u64)] = &[
    ("lipetsk", 52.6088, 39.5992, 50),
    ("elets", 52.6236, 38.5035, 15),
    ("gryazi", 52.4967, 39.9339, 10),
    ("dankov", 53.2577, 39.1456, 13),
    ("lebedyan", 53.0156, 39.1437, 12),
];

const STREETS: &[&str] = &[
    "ул. Ленина",
    "ул. Советская",
    "пр. Победы",
    "ул. Гагарина",
    "ул. Мира",
    "ул. Московская",
    "ул. Космонавтов",
    "ул. Зегеля",
];

/// Loads the catalogue, staffs its authorities and registers the Open311 channel: each only
/// where the region has none yet, so an administrator's changes survive a second demo run.
pub async fn prepare(store: &Store) -> Result<Catalogue, CliError> {
    let fail = |e: zemstvo_store::StoreError| CliError::Input(e.to_string());
    let catalogue: Catalogue = serde_json::from_str(CATALOGUE)
        .map_err(|e| CliError::Input(format!("the reference appeal catalogue: {e}")))?;
    if store.appeal_catalogue().await.map_err(fail)?.is_none() {
        store
            .load_appeal_catalogue(&catalogue, "demo")
            .await
            .map_err(fail)?;
        let staff = staff(store).await?;
        // Each authority's executor is one of the region's employees and its curator the
        // first one's head: the demo region's staff stand in for the authorities' own.
        for (i, authority) in catalogue.authorities.iter().enumerate() {
            let executor = staff[(i + 1) % staff.len()];
            store
                .set_appeal_authority(&authority.code, executor, Some(staff[0]))
                .await
                .map_err(fail)?;
        }
        store
            .add_appeal_channel(CHANNEL, &zemstvo_web::auth::hash_secret(&channel_key()))
            .await
            .map_err(fail)?;
    }
    Ok(catalogue)
}

/// The employee who reviews the appeals the router is unsure of.
pub async fn first_line(store: &Store) -> Result<u64, CliError> {
    let staff = staff(store).await?;
    Ok(staff[staff.len() / 2])
}

async fn staff(store: &Store) -> Result<Vec<u64>, CliError> {
    let mut staff: Vec<u64> = store
        .active_employees(&(1..=400).collect::<Vec<_>>())
        .await
        .map_err(|e| CliError::Input(e.to_string()))?
        .into_iter()
        .collect();
    staff.sort_unstable();
    if staff.is_empty() {
        return Err(CliError::Input(
            "the demo region has no active employees to staff the appeal authorities".into(),
        ));
    }
    Ok(staff)
}

/// What the generated quarter of appeals came to.
#[derive(Debug, Default)]
pub struct Generated {
    pub appeals: u64,
    pub routed: u64,
    pub answered: u64,
    pub reopened: u64,
    pub root_causes: u64,
}

/// Files, routes and carries through their lifecycle a quarter's appeals ending at `now`,
/// once: a region that already has appeals gets none more.
pub async fn generate(
    host: &RegionHost,
    catalogue: &Catalogue,
    small: bool,
    seed: u64,
    now: i64,
) -> Result<Option<Generated>, CliError> {
    let store = host.store();
    let fail = |e: zemstvo_store::StoreError| CliError::Input(e.to_string());
    let any = store
        .appeals(&AppealFilter {
            limit: 1,
            ..AppealFilter::default()
        })
        .await
        .map_err(fail)?;
    if !any.is_empty() {
        return Ok(None);
    }
    let mut rng = SplitMix(seed ^ 0x0a99_ea15);
    let total = APPEALS_PER_YEAR * DAYS as u64 / 365 / if small { 10 } else { 1 };
    let mut appeals: Vec<NewAppeal> = Vec::with_capacity(total as usize);
    for _ in 0..total {
        let received = now - rng.below(DAYS as u64 * DAY as u64) as i64;
        // A fifth report a problem somebody reported already, a few tens of metres away.
        if !appeals.is_empty() && rng.below(5) == 0 {
            let earlier = &appeals[rng.below(appeals.len() as u64) as usize];
            let mut again = earlier.clone();
            if let Some(p) = &mut again.place {
                p.lat += (rng.unit() - 0.5) * 0.0006;
                p.lon += (rng.unit() - 0.5) * 0.0008;
            }
            again.received_at = (earlier.received_at + rng.below(10 * DAY as u64) as i64).min(now);
            again.applicant_email = Some(format!("zhitel{}@example.ru", rng.below(100_000)));
            appeals.push(again);
            continue;
        }
        appeals.push(appeal(catalogue, &mut rng, received));
    }
    appeals.sort_by_key(|a| a.received_at);
    for a in &appeals {
        store.file_appeal(a).await.map_err(fail)?;
    }
    let mut generated = Generated {
        appeals: appeals.len() as u64,
        ..Generated::default()
    };
    loop {
        let routed = host
            .appeals()
            .route_appeals(1_000)
            .await
            .map_err(|e| CliError::Input(e.to_string()))?;
        if routed.is_empty() {
            break;
        }
        generated.routed += routed.len() as u64;
    }
    // The authorities answer within 1 to 30 days of an incident's latest appeal; most applicants accept,
    // about one in eight disagrees, and half of the reopened incidents are answered again.
    let assigned = store
        .appeals(&AppealFilter {
            statuses: vec!["assigned".into()],
            limit: u32::MAX,
            ..AppealFilter::default()
        })
        .await
        .map_err(fail)?;
    // Each incident with the time of its latest appeal (an answer comes after every appeal
    // it answers) and its appeals.
    let mut incidents: std::collections::BTreeMap<u64, (i64, Vec<u64>)> = Default::default();
    for a in &assigned {
        if let Some(incident) = a.incident_id {
            let entry = incidents
                .entry(incident)
                .or_insert((a.received_at, Vec::new()));
            entry.0 = entry.0.max(a.received_at);
            entry.1.push(a.id);
        }
    }
    for (incident, (latest, appeals)) in incidents {
        let answered_at = latest + (1 + rng.below(30)) as i64 * DAY;
        if answered_at >= now {
            continue;
        }
        store
            .answer_incident(incident, answer(&mut rng), "demo:executor", answered_at)
            .await
            .map_err(fail)?;
        generated.answered += 1;
        for appeal in appeals {
            let at = answered_at + (1 + rng.below(3)) as i64 * DAY;
            if at >= now {
                continue;
            }
            let accepted = rng.below(8) != 0;
            let (rating, comment) = match accepted {
                true => (4 + rng.below(2) as u8, None),
                false => (
                    1 + rng.below(2) as u8,
                    Some("Проблема не решена, ответ формальный"),
                ),
            };
            store
                .appeal_verdict(
                    appeal,
                    accepted,
                    Some(rating),
                    comment,
                    "demo:applicant",
                    at,
                )
                .await
                .map_err(fail)?;
            if !accepted {
                generated.reopened += 1;
                let again = at + (3 + rng.below(10)) as i64 * DAY;
                if again < now && rng.below(2) == 0 {
                    store
                        .answer_incident(
                            incident,
                            "Повторно выехали на место, причина устранена",
                            "demo:executor",
                            again,
                        )
                        .await
                        .map_err(fail)?;
                }
            }
        }
    }
    generated.root_causes = store.open_root_causes(now).await.map_err(fail)?;
    Ok(Some(generated))
}

/// One new appeal: a category's phrase or keyword in an applicant's sentence, somewhere in a
/// territory; one in twenty says nothing a classifier can use.
fn appeal(catalogue: &Catalogue, rng: &mut SplitMix, received: i64) -> NewAppeal {
    let weight: u64 = TERRITORIES.iter().map(|t| t.3).sum();
    let mut pick = rng.below(weight);
    let &(territory, lat, lon, _) = TERRITORIES
        .iter()
        .find(|t| {
            if pick < t.3 {
                true
            } else {
                pick -= t.3;
                false
            }
        })
        .unwrap_or(&TERRITORIES[0]);
    let street = STREETS[rng.below(STREETS.len() as u64) as usize];
    let house = 1 + rng.below(120);
    let address = format!("{street}, {house}");
    let category = &catalogue.categories[rng.below(catalogue.categories.len() as u64) as usize];
    // Most applicants name the problem in a phrase the catalogue knows; some in a single word,
    // which leaves the router unsure unless they also chose the service.
    let words: Vec<&String> = match rng.below(4) {
        0 => category.keywords.iter().collect(),
        _ => category.phrases.iter().collect(),
    };
    let text = if rng.below(20) == 0 || words.is_empty() {
        "Прошу разобраться с ситуацией, уже не первый раз обращаюсь".to_string()
    } else {
        let what = words[rng.below(words.len() as u64) as usize];
        match rng.below(3) {
            0 => format!(
                "{} по адресу {address}. Прошу принять меры.",
                capitalise(what)
            ),
            1 => format!("Уже месяц {what} возле дома {house}, {street}. Когда это закончится?"),
            _ => format!("Жители дома {house} ({street}) сообщают: {what}. Просим помочь."),
        }
    };
    // One in ten gives no point on the map, only the address.
    let place = (rng.below(10) != 0).then(|| Place {
        lat: lat + (rng.unit() - 0.5) * 0.06,
        lon: lon + (rng.unit() - 0.5) * 0.09,
        address: Some(address.clone()),
    });
    NewAppeal {
        channel: ["demo-portal", "governor-site", "mobile-app", "call-centre"]
            [rng.below(4) as usize]
            .into(),
        service_code: (rng.below(2) == 0).then(|| category.code.clone()),
        text,
        place,
        territory: Some(territory.into()),
        applicant_email: Some(format!("zhitel{}@example.ru", rng.below(100_000))),
        received_at: received,
        ..NewAppeal::default()
    }
}

fn answer(rng: &mut SplitMix) -> &'static str {
    [
        "Работы выполнены, проблема устранена",
        "Включено в план работ на текущий месяц, выполнено",
        "Выезд на место проведён, неисправность устранена",
        "Направлено подрядчику, работы завершены",
    ][rng.below(4) as usize]
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A small deterministic generator: the same seed gives the same appeals.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}
