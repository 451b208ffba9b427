//! Territories and their outlines, as an appeal catalogue keeps them: the host names the
//! territory of an appeal filed with a point (see `Catalogue::territory_at`).

use serde::{Deserialize, Serialize};

use crate::appeals::{Catalogue, MAX_CATALOGUE_ENTRIES};

/// A territory (a city, a municipal district) and its outline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Territory {
    pub code: String,
    pub title: String,
    pub boundary: Boundary,
}

/// An outline as a GeoJSON geometry, so a region's GIS exports it as is: a `Polygon` or a
/// `MultiPolygon`, positions `[longitude, latitude]` in WGS 84, each ring closed (its last
/// position its first), the first ring of a polygon its outside and the rest its holes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "coordinates")]
pub enum Boundary {
    Polygon(Vec<Vec<[f64; 2]>>),
    MultiPolygon(Vec<Vec<Vec<[f64; 2]>>>),
}

impl Boundary {
    fn parts(&self) -> Vec<&Vec<Vec<[f64; 2]>>> {
        match self {
            Boundary::Polygon(rings) => vec![rings],
            Boundary::MultiPolygon(polygons) => polygons.iter().collect(),
        }
    }

    pub(crate) fn polygons(&self) -> geo::MultiPolygon<f64> {
        let ring = |r: &Vec<[f64; 2]>| -> geo::LineString<f64> {
            r.iter().map(|&[x, y]| geo::Coord { x, y }).collect()
        };
        geo::MultiPolygon(
            self.parts()
                .into_iter()
                .filter_map(|rings| {
                    let (outside, holes) = rings.split_first()?;
                    Some(geo::Polygon::new(
                        ring(outside),
                        holes.iter().map(ring).collect(),
                    ))
                })
                .collect(),
        )
    }

    /// Positions in all rings.
    fn positions(&self) -> usize {
        self.parts()
            .iter()
            .flat_map(|p| p.iter())
            .map(Vec::len)
            .sum()
    }
}

/// The most positions all territories' outlines may hold together: enough for a region's
/// municipalities simplified to a few metres, small enough to check every filed appeal.
pub const MAX_BOUNDARY_POSITIONS: usize = 200_000;

/// The outlines: bounded, each ring closed and on the globe, and — once a catalogue outlines
/// its territories — every territory an authority names among them.
pub(crate) fn check_territories(c: &Catalogue) -> Result<(), String> {
    if c.territories.is_empty() {
        return Ok(());
    }
    if c.territories.len() > MAX_CATALOGUE_ENTRIES {
        return Err(format!(
            "the catalogue may outline at most {MAX_CATALOGUE_ENTRIES} territories"
        ));
    }
    let positions: usize = c.territories.iter().map(|t| t.boundary.positions()).sum();
    if positions > MAX_BOUNDARY_POSITIONS {
        return Err(format!(
            "the territories' outlines hold {positions} positions, over {MAX_BOUNDARY_POSITIONS}; \
             simplify them (e.g. to 10 m) before loading"
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for t in &c.territories {
        let code_ok =
            !t.code.is_empty() && t.code.len() <= 100 && !t.code.chars().any(char::is_control);
        if !code_ok || t.title.is_empty() || t.title.len() > 500 {
            return Err(format!("territory `{}` needs a code and a title", t.code));
        }
        if !seen.insert(t.code.as_str()) {
            return Err(format!("territory `{}` appears twice", t.code));
        }
        let parts = t.boundary.parts();
        if parts.is_empty() || parts.iter().any(|rings| rings.is_empty()) {
            return Err(format!("territory `{}` has an empty outline", t.code));
        }
        for ring in parts.iter().flat_map(|rings| rings.iter()) {
            if ring.len() < 4 || ring.first() != ring.last() {
                return Err(format!(
                    "territory `{}`: each ring needs at least 4 positions, the last one equal to the first",
                    t.code
                ));
            }
            if let Some([lon, lat]) = ring
                .iter()
                .find(|[lon, lat]| !(-180.0..=180.0).contains(lon) || !(-90.0..=90.0).contains(lat))
            {
                return Err(format!(
                    "territory `{}`: position [{lon}, {lat}] is off the globe; positions are [longitude, latitude]",
                    t.code
                ));
            }
        }
    }
    for a in &c.authorities {
        if let Some(missing) = a.territories.iter().find(|t| !seen.contains(t.as_str())) {
            return Err(format!(
                "authority `{}` answers for territory `{missing}`, which the catalogue does not outline; \
                 add its outline to `territories` or correct the code",
                a.code
            ));
        }
    }
    Ok(())
}
