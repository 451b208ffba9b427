//! The checks of one visit, as pure functions of the visit, the residence and the rules.
//!
//! Electronic visit verification (EVV) asks two questions of every visit: was the worker
//! where the citizen lives, and did the visit last as long as the service needs? A visit that
//! cannot answer them is an exception too — never silently dropped:
//!
//! | what is wrong | exception |
//! |---|---|
//! | no GPS point, no actual start or end, an end before the start | `missing_evidence` |
//! | the GPS point is farther from the residence than the geofence | `out_of_geofence` |
//! | the visit lasted less than the service's norm | `too_short` |
//! | the residence has no coordinates, so the place cannot be checked | `unverifiable` |
//!
//! A visit can have several exceptions (a short visit far from home has two). Keeping the
//! checks free of host calls lets them be unit-tested natively and read in one place.

use geo::{Distance, Geodesic, Point};
use zemstvo_sdk::time::{Timestamp, format_date};
use zemstvo_sdk::visit_checks::ExceptionKind;

use crate::norms::{ServiceNorms, service_name};

/// A visit as read from `visits`.
#[derive(Debug, Clone)]
pub struct Visit {
    pub id: u64,
    pub employee: u64,
    pub citizen: u64,
    pub service: String,
    pub planned_start: Timestamp,
    pub actual_start: Option<Timestamp>,
    pub actual_end: Option<Timestamp>,
    /// The GPS point recorded at the visit: (latitude, longitude) in degrees.
    pub point: Option<(f64, f64)>,
}

/// The citizen's residence as read from `citizens`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Residence {
    /// (latitude, longitude) in degrees; absent where the address was never geocoded.
    pub point: Option<(f64, f64)>,
    /// A radius set for this address (a large estate, a rural plot), overriding the default.
    pub geofence_m: Option<f64>,
}

/// What the checks compare against.
pub struct Rules<'a> {
    /// The geofence radius where the address sets none, in metres.
    pub default_radius_m: f64,
    pub norms: &'a ServiceNorms,
}

/// One exception found in a visit.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: ExceptionKind,
    /// Russian, for the record and the manager: what was measured and the limit.
    pub reason: String,
    pub distance_m: Option<f64>,
    pub duration_min: Option<f64>,
}

impl Finding {
    fn new(kind: ExceptionKind, reason: String) -> Self {
        Finding {
            kind,
            reason,
            distance_m: None,
            duration_min: None,
        }
    }

    /// Whether the exception says something about the employee's work. A residence without
    /// coordinates is the register's gap, not the worker's, so it does not count towards a
    /// pattern.
    pub fn counts_against_employee(&self) -> bool {
        !matches!(self.kind, ExceptionKind::Unverifiable)
    }
}

/// What was checked of a visit besides its exceptions, so the run can say what it skipped.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Notes {
    /// The service has no norm: the duration was not checked.
    pub no_norm: bool,
    /// The address's own radius was unusable (zero, negative) and the default was used.
    pub bad_override: bool,
}

/// Checks one visit. `residence` is `None` when the citizen is not in the region's data.
pub fn check_visit(
    visit: &Visit,
    residence: Option<&Residence>,
    rules: &Rules<'_>,
) -> (Vec<Finding>, Notes) {
    let mut findings = Vec::new();
    let mut notes = Notes::default();

    // Evidence first: what the visit record lacks or contradicts.
    let mut missing = Vec::new();
    let gps = match visit.point {
        None => {
            missing.push("нет GPS-отметки".to_string());
            None
        }
        Some((lat, lon)) if !valid_coordinates(lat, lon) => {
            missing.push(format!("GPS-отметка некорректна ({lat}, {lon})"));
            None
        }
        Some(point) => Some(point),
    };
    match (visit.actual_start, visit.actual_end) {
        (None, None) => missing.push("нет фактического начала и окончания".to_string()),
        (None, Some(_)) => missing.push("нет фактического начала".to_string()),
        (Some(_), None) => missing.push("нет фактического окончания".to_string()),
        (Some(start), Some(end)) if end < start => missing.push(format!(
            "фактическое окончание раньше начала на {} мин",
            (start - end) / 60
        )),
        _ => {}
    }
    if !missing.is_empty() {
        findings.push(Finding::new(
            ExceptionKind::MissingEvidence,
            format!("Посещение не подтверждено: {}", missing.join("; ")),
        ));
    }

    // The place: the GPS point against the residence's geofence.
    let home = match residence {
        None => {
            findings.push(Finding::new(
                ExceptionKind::Unverifiable,
                format!(
                    "Гражданин {} не найден в данных региона: место посещения проверить нельзя",
                    visit.citizen
                ),
            ));
            None
        }
        Some(Residence { point: None, .. }) => {
            findings.push(Finding::new(
                ExceptionKind::Unverifiable,
                "У адреса проживания гражданина нет координат (адрес не геокодирован): \
                 место посещения проверить нельзя"
                    .to_string(),
            ));
            None
        }
        Some(Residence {
            point: Some((lat, lon)),
            ..
        }) if !valid_coordinates(*lat, *lon) => {
            findings.push(Finding::new(
                ExceptionKind::Unverifiable,
                format!(
                    "Координаты адреса проживания некорректны ({lat}, {lon}): место посещения \
                     проверить нельзя"
                ),
            ));
            None
        }
        Some(home) => Some(home),
    };
    if let (Some((lat, lon)), Some(home), Some((home_lat, home_lon))) =
        (gps, home, home.and_then(|h| h.point))
    {
        let (radius, own) = match home.geofence_m {
            Some(r) if r.is_finite() && r > 0.0 => (r, true),
            Some(_) => {
                notes.bad_override = true;
                (rules.default_radius_m, false)
            }
            None => (rules.default_radius_m, false),
        };
        // GPS fixes are good to a few metres, and the reason shows whole metres: compare the
        // number the manager reads, so a point "100 m" away is inside a 100 m geofence.
        let distance = distance_m((lat, lon), (home_lat, home_lon)).round();
        if distance > radius {
            let limit = if own {
                format!("допустимо {} м для этого адреса", metres(radius))
            } else {
                format!("допустимо {} м", metres(radius))
            };
            findings.push(Finding {
                distance_m: Some(distance),
                ..Finding::new(
                    ExceptionKind::OutOfGeofence,
                    format!(
                        "GPS-отметка в {} м от адреса проживания ({limit})",
                        metres(distance)
                    ),
                )
            });
        }
    }

    // The time: the actual duration against the service's norm.
    if let (Some(start), Some(end)) = (visit.actual_start, visit.actual_end)
        && end >= start
    {
        match rules.norms.minutes(&visit.service) {
            None => notes.no_norm = true,
            Some(norm) if end - start < i64::from(norm) * 60 => {
                let seconds = end - start;
                findings.push(Finding {
                    duration_min: Some(seconds as f64 / 60.0),
                    ..Finding::new(
                        ExceptionKind::TooShort,
                        format!(
                            "Посещение длилось {} мин при норме {norm} мин ({})",
                            seconds / 60,
                            service_name(&visit.service)
                        ),
                    )
                });
            }
            Some(_) => {}
        }
    }
    (findings, notes)
}

/// The geodesic distance on the WGS 84 ellipsoid (Karney's algorithm), in metres.
pub fn distance_m((lat_a, lon_a): (f64, f64), (lat_b, lon_b): (f64, f64)) -> f64 {
    // geo's points are (x, y) = (longitude, latitude).
    Geodesic.distance(Point::new(lon_a, lat_a), Point::new(lon_b, lat_b))
}

fn valid_coordinates(lat: f64, lon: f64) -> bool {
    lat.is_finite()
        && lon.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lon)
}

/// Metres as a whole number, as the reason shows them: `412`, `1500`.
fn metres(m: f64) -> String {
    format!("{m:.0}")
}

/// How a visit is named in a task: its number, date and service.
pub fn describe(visit: &Visit) -> String {
    format!(
        "посещение № {} от {}, {}",
        visit.id,
        format_date(visit.planned_start),
        service_name(&visit.service)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: (f64, f64) = (52.6088, 39.5992);

    fn visit() -> Visit {
        Visit {
            id: 1,
            employee: 2,
            citizen: 3,
            service: "household-help".into(),
            planned_start: 0,
            actual_start: Some(0),
            actual_end: Some(45 * 60),
            point: Some(HOME),
        }
    }

    fn check(visit: &Visit, residence: Option<&Residence>) -> Vec<Finding> {
        let norms = ServiceNorms::parse(crate::norms::DEFAULT).unwrap();
        check_visit(
            visit,
            residence,
            &Rules {
                default_radius_m: 100.0,
                norms: &norms,
            },
        )
        .0
    }

    fn home() -> Residence {
        Residence {
            point: Some(HOME),
            geofence_m: None,
        }
    }

    #[test]
    fn a_good_visit_has_no_exception() {
        assert_eq!(check(&visit(), Some(&home())), vec![]);
    }

    #[test]
    fn the_distance_is_geodesic_metres() {
        // 0.001° of latitude at 52.6° N is 111.3 m on the WGS 84 ellipsoid.
        let d = distance_m(HOME, (HOME.0 + 0.001, HOME.1));
        assert!((d - 111.3).abs() < 0.1, "{d}");
    }

    #[test]
    fn a_far_point_is_out_of_the_geofence_with_distance_and_limit() {
        let far = Visit {
            point: Some((HOME.0 + 0.004, HOME.1)),
            ..visit()
        };
        let findings = check(&far, Some(&home()));
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].kind, ExceptionKind::OutOfGeofence);
        assert!(
            findings[0].reason.contains("445 м") && findings[0].reason.contains("допустимо 100 м"),
            "{}",
            findings[0].reason
        );
    }

    #[test]
    fn a_missing_residence_is_unverifiable_and_not_the_employees_fault() {
        let findings = check(&visit(), Some(&Residence::default()));
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].kind, ExceptionKind::Unverifiable);
        assert!(!findings[0].counts_against_employee());
        let nowhere = check(&visit(), None);
        assert!(nowhere[0].reason.contains("не найден"), "{:?}", nowhere);
    }

    #[test]
    fn nonsense_coordinates_never_panic() {
        let odd = Visit {
            point: Some((f64::NAN, 500.0)),
            actual_end: Some(-60),
            ..visit()
        };
        let findings = check(
            &odd,
            Some(&Residence {
                point: Some((95.0, 0.0)),
                geofence_m: Some(f64::INFINITY),
            }),
        );
        let kinds: Vec<_> = findings.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            [ExceptionKind::MissingEvidence, ExceptionKind::Unverifiable]
        );
        assert!(
            findings[0].reason.contains("раньше начала"),
            "{}",
            findings[0].reason
        );
    }

    #[test]
    fn an_unusable_override_falls_back_to_the_default() {
        let norms = ServiceNorms::parse(crate::norms::DEFAULT).unwrap();
        let rules = Rules {
            default_radius_m: 100.0,
            norms: &norms,
        };
        let residence = Residence {
            point: Some(HOME),
            geofence_m: Some(0.0),
        };
        let (findings, notes) = check_visit(&visit(), Some(&residence), &rules);
        assert!(findings.is_empty());
        assert!(notes.bad_override);
    }
}
