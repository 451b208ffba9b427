//! Merge candidates: the open incidents this appeal is probably about too.
//!
//! Only incidents of the category chosen are proposed. With a place, those within the radius,
//! nearest first. Without one nothing can be measured; what is proposed then is an open
//! incident of the same category on the same territory that has no place either — the
//! appeals a specialist would otherwise match by reading addresses — and never one that has a
//! place, which could be anywhere on the territory. These are proposals: the specialist
//! merges.

use zemstvo_sdk::appeals::{MergeCandidate, OpenIncident, Place};

use crate::words::clip;

/// At most this many candidates are proposed: the nearest (or oldest) ones.
pub const MAX_CANDIDATES: usize = 10;

/// A place whose coordinates are numbers on the globe; any other is treated as no place.
pub fn usable(place: &Option<Place>) -> Option<&Place> {
    place.as_ref().filter(|p| {
        p.lat.is_finite()
            && p.lon.is_finite()
            && (-90.0..=90.0).contains(&p.lat)
            && (-180.0..=180.0).contains(&p.lon)
    })
}

/// Incidents of `category` within `radius_m` of `place`, nearest first (by id among equals),
/// distances rounded to decimetres. The second value counts those left out past
/// [`MAX_CANDIDATES`].
pub fn near(
    place: &Place,
    category: &str,
    radius_m: f64,
    incidents: &[OpenIncident],
) -> (Vec<MergeCandidate>, usize) {
    let mut found: Vec<(f64, &OpenIncident)> = incidents
        .iter()
        .filter(|i| i.category == category)
        .filter_map(|i| Some((place.distance_m(usable(&i.place)?), i)))
        .map(|(d, i)| ((d * 10.0).round() / 10.0, i))
        .filter(|(d, _)| d.is_finite() && *d <= radius_m)
        .collect();
    found.sort_by(|(da, a), (db, b)| da.total_cmp(db).then(a.id.cmp(&b.id)));
    let left_out = found.len().saturating_sub(MAX_CANDIDATES);
    let candidates = found
        .into_iter()
        .take(MAX_CANDIDATES)
        .map(|(d, i)| MergeCandidate {
            incident: i.id,
            distance_m: Some(d),
            reason: format!("та же категория, {} м от обращения", d.round()),
        })
        .collect();
    (candidates, left_out)
}

/// Incidents of `category` on `territory` without a place, oldest first (by id among equal
/// times), for an appeal without a place.
pub fn on_territory(
    territory: &str,
    category: &str,
    incidents: &[OpenIncident],
) -> (Vec<MergeCandidate>, usize) {
    let mut found: Vec<&OpenIncident> = incidents
        .iter()
        .filter(|i| i.category == category)
        .filter(|i| i.territory.as_deref() == Some(territory))
        .filter(|i| usable(&i.place).is_none())
        .collect();
    found.sort_by_key(|i| (i.opened, i.id));
    let left_out = found.len().saturating_sub(MAX_CANDIDATES);
    let territory = clip(territory, 100);
    let candidates = found
        .into_iter()
        .take(MAX_CANDIDATES)
        .map(|i| MergeCandidate {
            incident: i.id,
            distance_m: None,
            reason: format!(
                "та же категория, та же территория «{territory}»; место не указано ни в \
                 обращении, ни в инциденте"
            ),
        })
        .collect();
    (candidates, left_out)
}
