//! Appeal routing: a citizen's appeal, the region's classifier catalogue and the open
//! incidents near it come in; a classification, the responsible authority and merge
//! candidates go out. Like an eligibility rule, the plugin is a pure function of its call —
//! the host stores the appeal, acts on the answer and lets a specialist correct it.

use crate::bindings::appeal_routing::exports::zemstvo::platform::appeal_routing_entry as wit;

pub use wit::{
    Appeal, Authority, Catalogue, Category, Classification, Impact, MergeCandidate, OpenIncident,
    Place, Routing, TraceStep, Urgency,
};

impl Appeal {
    /// An answer to one of the service's questions, by attribute code.
    pub fn attribute(&self, code: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == code)
            .map(|(_, v)| v.as_str())
    }
}

impl Catalogue {
    /// The category with this code.
    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// The authority that answers for `topic` on `territory`: one naming the territory
    /// first, else one for the whole region.
    pub fn authority_for(&self, topic: &str, territory: Option<&str>) -> Option<&Authority> {
        let for_topic = || {
            self.authorities
                .iter()
                .filter(|a| a.topics.iter().any(|t| t == topic))
        };
        territory
            .and_then(|t| for_topic().find(|a| a.territories.iter().any(|x| x == t)))
            .or_else(|| for_topic().find(|a| a.territories.is_empty()))
    }
}

impl Place {
    /// Metres between two points on the Earth's surface (haversine; good to a few metres
    /// at a city's scale).
    pub fn distance_m(&self, other: &Place) -> f64 {
        const EARTH_RADIUS_M: f64 = 6_371_008.8;
        let (lat1, lat2) = (self.lat.to_radians(), other.lat.to_radians());
        let dlat = lat2 - lat1;
        let dlon = (other.lon - self.lon).to_radians();
        let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().asin()
    }
}
