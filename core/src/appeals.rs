//! Appeal routing on the host side: what an `appeal-routing` plugin is called with (an appeal,
//! the region's classifier catalogue, the open incidents near it) and what it answers (a
//! classification, the responsible authority, merge candidates), checked before anyone acts
//! on it. Like an eligibility rule, the plugin is a pure function; the host keeps the state.

use serde::{Deserialize, Serialize};

use crate::checks::check_text;
use crate::eligibility::TraceStep;
use crate::territories::check_territories;
pub use crate::territories::{Boundary, MAX_BOUNDARY_POSITIONS, Territory};

/// A point on the map (WGS 84), with the address the applicant gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub lat: f64,
    pub lon: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl Place {
    /// Metres between two points on the Earth's surface (haversine; good to a few metres at
    /// a city's scale) — what "close by" means when appeals are merged.
    pub fn distance_m(&self, other: &Place) -> f64 {
        const EARTH_RADIUS_M: f64 = 6_371_008.8;
        let (lat1, lat2) = (self.lat.to_radians(), other.lat.to_radians());
        let dlat = lat2 - lat1;
        let dlon = (other.lon - self.lon).to_radians();
        let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().asin()
    }
}

/// A citizen's appeal as it arrived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Appeal {
    pub id: u64,
    /// Where it came from, e.g. `open311`, `governor-site`, `mobile-app`.
    pub channel: String,
    pub service_code: Option<String>,
    pub text: String,
    pub place: Option<Place>,
    pub territory: Option<String>,
    /// Seconds since the epoch.
    pub received: i64,
    #[serde(default)]
    pub attributes: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    Individual,
    Building,
    Street,
    District,
    Region,
}

/// One category of the region's classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    pub code: String,
    pub title: String,
    pub topic: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub phrases: Vec<String>,
    pub urgency: Urgency,
    pub impact: Impact,
    #[serde(default)]
    pub deadline_days: Option<u32>,
}

/// Who answers for a topic on a territory (an ОИВ or an ОМСУ).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Authority {
    pub code: String,
    pub title: String,
    pub topics: Vec<String>,
    /// Territory codes; empty means the whole region.
    #[serde(default)]
    pub territories: Vec<String>,
}

/// The classifier as the region keeps it: versioned data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalogue {
    pub version: String,
    pub categories: Vec<Category>,
    pub authorities: Vec<Authority>,
    /// The outlines of the territories the authorities answer for. The host finds the
    /// territory of an appeal that came with a point and no territory (an Open311 client
    /// sends coordinates, never a municipality), so a city's pothole reaches the city's
    /// administration. The router is not shown them: it reads the appeal's territory.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub territories: Vec<Territory>,
}

impl Catalogue {
    /// The category with this code.
    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// The code of the first territory (in the catalogue's order) whose outline holds the
    /// point, its edge included; none outside them all.
    pub fn territory_at(&self, lat: f64, lon: f64) -> Option<&str> {
        use geo::Intersects;
        let point = geo::Point::new(lon, lat);
        self.territories
            .iter()
            .find(|t| t.boundary.polygons().intersects(&point))
            .map(|t| t.code.as_str())
    }
}

/// An incident still open near the appeal or on its topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenIncident {
    pub id: u64,
    pub category: String,
    pub place: Option<Place>,
    pub territory: Option<String>,
    pub opened: i64,
    pub appeals: u32,
}

/// What an appeal-routing plugin is called with. The catalogue is shared: one region's
/// catalogue serves every appeal.
#[derive(Debug, Clone, PartialEq)]
pub struct AppealInput {
    pub appeal: Appeal,
    pub catalogue: std::sync::Arc<Catalogue>,
    pub open_incidents: Vec<OpenIncident>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    /// Absent when the text could not be classified: a specialist classifies it.
    pub category: Option<String>,
    pub catalogue_version: String,
    pub urgency: Urgency,
    pub impact: Impact,
    /// 0 to 1.
    pub confidence: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeCandidate {
    pub incident: u64,
    pub distance_m: Option<f64>,
    pub reason: String,
}

/// The plugin's proposal for one appeal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Routing {
    pub classification: Classification,
    pub authority: Option<String>,
    pub deadline_days: u32,
    pub merge_candidates: Vec<MergeCandidate>,
    pub needs_review: bool,
    pub trace: Vec<TraceStep>,
}

/// The most categories and authorities a catalogue may hold, and the most keywords and
/// phrases per category: a catalogue is handed to the router on every call.
pub const MAX_CATALOGUE_ENTRIES: usize = 2_000;
pub const MAX_KEYWORDS_PER_CATEGORY: usize = 500;

/// Checks a catalogue before the region loads it: a version, unique codes, bounded sizes,
/// deadlines within [`MAX_DEADLINE_DAYS`]. Says what to fix.
pub fn check_catalogue(c: &Catalogue) -> Result<(), String> {
    let code_ok = |s: &str| !s.is_empty() && s.len() <= 100 && !s.chars().any(char::is_control);
    if !code_ok(&c.version) {
        return Err("the catalogue needs a version of 1 to 100 printable characters".into());
    }
    if c.categories.is_empty() {
        return Err("the catalogue has no categories".into());
    }
    if c.categories.len() > MAX_CATALOGUE_ENTRIES || c.authorities.len() > MAX_CATALOGUE_ENTRIES {
        return Err(format!(
            "the catalogue may hold at most {MAX_CATALOGUE_ENTRIES} categories and as many authorities"
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for k in &c.categories {
        if !code_ok(&k.code) || !code_ok(&k.topic) || k.title.is_empty() || k.title.len() > 500 {
            return Err(format!(
                "category `{}` needs a code, a topic and a title (up to 500 bytes)",
                k.code
            ));
        }
        if !seen.insert(k.code.as_str()) {
            return Err(format!("category `{}` appears twice", k.code));
        }
        if k.keywords.len() + k.phrases.len() > MAX_KEYWORDS_PER_CATEGORY
            || k.keywords.iter().chain(&k.phrases).any(|w| w.len() > 200)
        {
            return Err(format!(
                "category `{}` has over {MAX_KEYWORDS_PER_CATEGORY} keywords and phrases, or one over 200 bytes",
                k.code
            ));
        }
        if k.deadline_days
            .is_some_and(|d| d == 0 || d > MAX_DEADLINE_DAYS)
        {
            return Err(format!(
                "category `{}` has a deadline outside 1..={MAX_DEADLINE_DAYS} days",
                k.code
            ));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for a in &c.authorities {
        if !code_ok(&a.code) || a.title.is_empty() || a.title.len() > 500 {
            return Err(format!("authority `{}` needs a code and a title", a.code));
        }
        if !seen.insert(a.code.as_str()) {
            return Err(format!("authority `{}` appears twice", a.code));
        }
    }
    check_territories(c)
}

/// The longest deadline a routing may set, in days.
pub const MAX_DEADLINE_DAYS: u32 = 365;

impl Routing {
    /// Bytes the host holds for the answer, for the run's output budget.
    pub fn weight(&self) -> usize {
        use crate::capabilities::held_str;
        std::mem::size_of::<Self>()
            + self.classification.category.as_deref().map_or(0, held_str)
            + held_str(&self.classification.catalogue_version)
            + self.authority.as_deref().map_or(0, held_str)
            + self
                .merge_candidates
                .iter()
                .map(|m| std::mem::size_of::<MergeCandidate>() + m.reason.len())
                .sum::<usize>()
            + self
                .trace
                .iter()
                .map(|t| held_str(&t.name) + held_str(&t.value) + held_str(&t.source))
                .sum::<usize>()
    }
}

/// Checks the plugin's answer against what it was given: a category of the catalogue (or
/// none), the catalogue's version, an authority of the catalogue, merge candidates among the
/// open incidents it was shown, a confidence between 0 and 1 and a deadline that can be met.
/// A plugin that answers otherwise has a bug, and its run fails rather than misroute.
pub fn check_routing(routing: &Routing, input: &AppealInput) -> Result<(), String> {
    let c = &routing.classification;
    let catalogue = &input.catalogue;
    if let Some(code) = &c.category
        && !catalogue.categories.iter().any(|k| &k.code == code)
    {
        return Err(format!(
            "category `{code}` is not in catalogue {}; classify with the catalogue's codes or \
             leave the category empty for a specialist",
            catalogue.version
        ));
    }
    if c.catalogue_version != catalogue.version {
        return Err(format!(
            "the classification names catalogue {} but the plugin was given catalogue {}",
            c.catalogue_version, catalogue.version
        ));
    }
    if !(0.0..=1.0).contains(&c.confidence) {
        return Err(format!(
            "confidence {} is not between 0 and 1",
            c.confidence
        ));
    }
    if let Some(code) = &routing.authority
        && !catalogue.authorities.iter().any(|a| &a.code == code)
    {
        return Err(format!(
            "authority `{code}` is not in catalogue {}",
            catalogue.version
        ));
    }
    if routing.deadline_days == 0 || routing.deadline_days > MAX_DEADLINE_DAYS {
        return Err(format!(
            "deadline of {} days: give 1 to {MAX_DEADLINE_DAYS}",
            routing.deadline_days
        ));
    }
    for m in &routing.merge_candidates {
        if !input.open_incidents.iter().any(|i| i.id == m.incident) {
            return Err(format!(
                "merge candidate {} is not among the open incidents the plugin was shown",
                m.incident
            ));
        }
        if m.distance_m.is_some_and(|d| !d.is_finite() || d < 0.0) {
            return Err(format!(
                "merge candidate {}: distance must be a non-negative number",
                m.incident
            ));
        }
        check_text("a merge candidate's reason", &m.reason, 1_000, true)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AppealInput {
        AppealInput {
            appeal: Appeal {
                id: 1,
                channel: "open311".into(),
                service_code: None,
                text: "Яма на дороге".into(),
                place: None,
                territory: None,
                received: 0,
                attributes: vec![],
            },
            catalogue: std::sync::Arc::new(Catalogue {
                version: "2026.1".into(),
                categories: vec![Category {
                    code: "roads.pothole".into(),
                    title: "Яма на дороге".into(),
                    topic: "roads".into(),
                    keywords: vec!["яма".into()],
                    phrases: vec![],
                    urgency: Urgency::Medium,
                    impact: Impact::Street,
                    deadline_days: Some(10),
                }],
                authorities: vec![Authority {
                    code: "roads-dept".into(),
                    title: "Управление дорог".into(),
                    topics: vec!["roads".into()],
                    territories: vec![],
                }],
                territories: vec![],
            }),
            open_incidents: vec![],
        }
    }

    fn routing() -> Routing {
        Routing {
            classification: Classification {
                category: Some("roads.pothole".into()),
                catalogue_version: "2026.1".into(),
                urgency: Urgency::Medium,
                impact: Impact::Street,
                confidence: 0.9,
            },
            authority: Some("roads-dept".into()),
            deadline_days: 10,
            merge_candidates: vec![],
            needs_review: false,
            trace: vec![],
        }
    }

    #[test]
    fn a_routing_within_the_catalogue_passes() {
        assert_eq!(check_routing(&routing(), &input()), Ok(()));
    }

    #[test]
    fn what_the_plugin_was_not_given_is_refused() {
        let mut r = routing();
        r.classification.category = Some("roads.unknown".into());
        assert!(
            check_routing(&r, &input())
                .unwrap_err()
                .contains("roads.unknown")
        );
        let mut r = routing();
        r.merge_candidates.push(MergeCandidate {
            incident: 99,
            distance_m: Some(30.0),
            reason: "рядом".into(),
        });
        assert!(check_routing(&r, &input()).unwrap_err().contains("99"));
        let mut r = routing();
        r.classification.confidence = f32::NAN;
        assert!(check_routing(&r, &input()).is_err());
        let mut r = routing();
        r.deadline_days = 0;
        assert!(check_routing(&r, &input()).is_err());
    }

    /// A square ring around (lon, lat) with half-side `d` degrees.
    fn square(lon: f64, lat: f64, d: f64) -> Vec<[f64; 2]> {
        vec![
            [lon - d, lat - d],
            [lon + d, lat - d],
            [lon + d, lat + d],
            [lon - d, lat + d],
            [lon - d, lat - d],
        ]
    }

    fn outlined() -> Catalogue {
        let mut c = (*input().catalogue).clone();
        c.authorities.push(Authority {
            code: "city-roads".into(),
            title: "Дороги города".into(),
            topics: vec!["roads".into()],
            territories: vec!["city".into()],
        });
        c.territories = vec![
            // The city with its lake cut out.
            Territory {
                code: "city".into(),
                title: "Город".into(),
                boundary: Boundary::Polygon(vec![
                    square(39.6, 52.6, 0.1),
                    square(39.6, 52.6, 0.01),
                ]),
            },
            // The district around it, in two parts; the city comes first and wins inside it.
            Territory {
                code: "district".into(),
                title: "Район".into(),
                boundary: Boundary::MultiPolygon(vec![
                    vec![square(39.6, 52.6, 0.5)],
                    vec![square(41.0, 53.0, 0.1)],
                ]),
            },
        ];
        c
    }

    #[test]
    fn a_point_finds_its_territory_by_the_outlines() {
        let c = outlined();
        assert_eq!(check_catalogue(&c), Ok(()));
        assert_eq!(c.territory_at(52.65, 39.55), Some("city"));
        assert_eq!(
            c.territory_at(52.6, 39.6),
            Some("district"),
            "the lake is a hole"
        );
        assert_eq!(c.territory_at(52.9, 39.9), Some("district"));
        assert_eq!(
            c.territory_at(53.0, 41.0),
            Some("district"),
            "its second part"
        );
        assert_eq!(c.territory_at(55.75, 37.62), None, "outside every outline");
        assert_eq!(
            c.territory_at(52.7, 39.6),
            Some("city"),
            "an edge belongs to it"
        );
        // The outlines are GeoJSON geometries, positions [longitude, latitude].
        let json = serde_json::to_value(&c.territories[0].boundary).unwrap();
        assert_eq!(json["type"], "Polygon");
        assert_eq!(json["coordinates"][0][0], serde_json::json!([39.5, 52.5]));
        // A catalogue without outlines keeps its former shape (and its sha256).
        let plain = serde_json::to_value(&*input().catalogue).unwrap();
        assert!(plain.get("territories").is_none());
    }

    #[test]
    fn bad_outlines_are_refused_with_what_to_fix() {
        let refused = |change: &dyn Fn(&mut Catalogue)| {
            let mut c = outlined();
            change(&mut c);
            check_catalogue(&c).unwrap_err()
        };
        let open = refused(&|c| {
            c.territories[0].boundary =
                Boundary::Polygon(vec![square(39.6, 52.6, 0.1)[..4].to_vec()])
        });
        assert!(open.contains("the last one equal to the first"), "{open}");
        let swapped = refused(&|c| {
            c.territories[0].boundary = Boundary::Polygon(vec![square(52.6, 139.6, 0.1)])
        });
        assert!(swapped.contains("[longitude, latitude]"), "{swapped}");
        let empty = refused(&|c| c.territories[1].boundary = Boundary::MultiPolygon(vec![]));
        assert!(empty.contains("empty outline"), "{empty}");
        let twice = refused(&|c| c.territories[1].code = "city".into());
        assert!(twice.contains("appears twice"), "{twice}");
        let unknown = refused(&|c| c.authorities[1].territories = vec!["town".into()]);
        assert!(
            unknown.contains("`town`, which the catalogue does not outline"),
            "{unknown}"
        );
        let huge = refused(&|c| {
            let mut ring = vec![[39.0, 52.0]; MAX_BOUNDARY_POSITIONS];
            ring.push([39.0, 52.0]);
            c.territories[1].boundary = Boundary::Polygon(vec![ring]);
        });
        assert!(huge.contains("simplify"), "{huge}");
    }
}
