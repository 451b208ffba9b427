//! How a batch replay matches the two versions' outputs: tasks and messages by key, visit
//! exceptions by visit and kind, assessed objects by id; each difference as the recorded
//! version and the candidate make it, up to a bound, the rest counted.

use std::collections::{BTreeMap, HashMap};

use zemstvo_core::capabilities::assessments::Assessments;
use zemstvo_core::capabilities::notify::Notification;
use zemstvo_core::capabilities::tasks::Task;
use zemstvo_core::capabilities::visit_checks::VisitException;

use super::{RunDifference, Tally};

/// The differences kept, up to `max`; the rest counted.
pub(super) struct Differences {
    pub(super) kept: Vec<RunDifference>,
    pub(super) left_out: u64,
    pub(super) max: usize,
}

impl Differences {
    fn push(&mut self, d: impl FnOnce() -> RunDifference) {
        if self.kept.len() < self.max {
            self.kept.push(d());
        } else {
            self.left_out += 1;
        }
    }
}

/// Matches the two sides' items by key and tallies them; `change` says what changed in an
/// item both emit (none when it is the same) and how the candidate's reads.
#[allow(clippy::too_many_arguments)]
pub(super) fn matched<'a, T, K: std::hash::Hash + Eq + std::fmt::Display + Clone>(
    baseline: &'a [T],
    candidate: &'a [T],
    key: impl Fn(&'a T) -> K,
    change: impl Fn(&T, &T) -> Option<(String, String)>,
    describe: impl Fn(&T) -> String,
    item: &'static str,
    kinds: &mut BTreeMap<String, u64>,
    diff: &mut Differences,
) -> Tally {
    let mut tally = Tally::default();
    let before: HashMap<K, &T> = baseline.iter().map(|t| (key(t), t)).collect();
    let mut seen = std::collections::HashSet::with_capacity(candidate.len());
    for c in candidate {
        let k = key(c);
        seen.insert(k.clone());
        match before.get(&k) {
            None => {
                tally.added += 1;
                diff.push(|| RunDifference {
                    item,
                    key: k.to_string(),
                    change: "added".into(),
                    baseline: String::new(),
                    candidate: describe(c),
                });
            }
            Some(b) => match change(b, c) {
                None => tally.identical += 1,
                Some((kind, now)) => {
                    tally.changed += 1;
                    *kinds.entry(kind.clone()).or_default() += 1;
                    diff.push(|| RunDifference {
                        item,
                        key: k.to_string(),
                        change: kind,
                        baseline: describe(b),
                        candidate: now,
                    });
                }
            },
        }
    }
    // In the baseline's order, so the report reads the same each time.
    for b in baseline {
        let k = key(b);
        if !seen.contains(&k) {
            tally.removed += 1;
            diff.push(|| RunDifference {
                item,
                key: k.to_string(),
                change: "removed".into(),
                baseline: describe(b),
                candidate: String::new(),
            });
        }
    }
    tally
}

/// What changed in a task both versions give, the most telling first.
pub(super) fn task_change(a: &Task, b: &Task) -> Option<&'static str> {
    Some(if a.assignee != b.assignee {
        "assignee changed"
    } else if a.subject != b.subject || a.records != b.records {
        "records changed"
    } else if a.priority != b.priority {
        "priority changed"
    } else if a.due != b.due {
        "due date changed"
    } else if a != b {
        "wording changed"
    } else {
        return None;
    })
}

pub(super) fn describe_task(t: &Task) -> String {
    format!(
        "to employee {}, {} record(s), {:?}: {}",
        t.assignee,
        t.records.len(),
        t.priority,
        t.title
    )
}

pub(super) fn describe_visit(v: &VisitException) -> String {
    let mut text = format!("{:?}: {}", v.kind, v.reason);
    if let Some(d) = v.distance_m {
        text.push_str(&format!(" ({d:.0} m)"));
    }
    text
}

pub(super) fn describe_message(n: &Notification) -> String {
    format!("{:?} to citizen {}: {}", n.channel, n.citizen, n.template)
}

/// Objects matched by id: category changes by `from → to`, score-only changes counted as
/// changed under `score changed`.
pub(super) fn compare_assessments(
    baseline: &Assessments,
    candidate: &Assessments,
    kinds: &mut BTreeMap<String, u64>,
    diff: &mut Differences,
) -> Tally {
    let mut tally = Tally::default();
    let name = |a: &Assessments, i: usize| a.category_names[a.categories[i] as usize].clone();
    let describe = |a: &Assessments, i: usize| format!("{} ({:.2})", name(a, i), a.scores[i]);
    let before: HashMap<u64, usize> = baseline
        .objects
        .iter()
        .enumerate()
        .map(|(i, &o)| (o, i))
        .collect();
    let mut seen = std::collections::HashSet::with_capacity(candidate.len());
    for (j, &object) in candidate.objects.iter().enumerate() {
        seen.insert(object);
        let change = match before.get(&object) {
            None => {
                tally.added += 1;
                Some(("added".to_string(), String::new()))
            }
            Some(&i) => {
                let (from, to) = (name(baseline, i), name(candidate, j));
                if from != to {
                    tally.changed += 1;
                    let kind = format!("{from} → {to}");
                    *kinds.entry(kind.clone()).or_default() += 1;
                    Some((kind, describe(baseline, i)))
                } else if baseline.scores[i] != candidate.scores[j] {
                    tally.changed += 1;
                    *kinds.entry("score changed".into()).or_default() += 1;
                    Some(("score changed".into(), describe(baseline, i)))
                } else {
                    tally.identical += 1;
                    None
                }
            }
        };
        if let Some((change, was)) = change {
            diff.push(|| RunDifference {
                item: "object",
                key: object.to_string(),
                change,
                baseline: was,
                candidate: describe(candidate, j),
            });
        }
    }
    for (i, &object) in baseline.objects.iter().enumerate() {
        if !seen.contains(&object) {
            tally.removed += 1;
            diff.push(|| RunDifference {
                item: "object",
                key: object.to_string(),
                change: "removed".into(),
                baseline: describe(baseline, i),
                candidate: String::new(),
            });
        }
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;
    use zemstvo_core::capabilities::tasks::Priority;

    fn task(key: &str, assignee: u64, priority: Priority) -> Task {
        Task {
            key: key.into(),
            assignee,
            subject: None,
            title: format!("Проверить {key}"),
            description: String::new(),
            records: Vec::new(),
            steps: Vec::new(),
            priority,
            due: None,
        }
    }

    fn tasks(
        baseline: &[Task],
        candidate: &[Task],
        max: usize,
    ) -> (Tally, BTreeMap<String, u64>, Differences) {
        let mut kinds = BTreeMap::new();
        let mut diff = Differences {
            kept: Vec::new(),
            left_out: 0,
            max,
        };
        let tally = matched(
            baseline,
            candidate,
            |t| t.key.as_str(),
            |x, y| task_change(x, y).map(|kind| (kind.to_string(), describe_task(y))),
            describe_task,
            "task",
            &mut kinds,
            &mut diff,
        );
        (tally, kinds, diff)
    }

    #[test]
    fn tasks_are_matched_by_key_into_added_removed_and_changed_by_what_changed() {
        let baseline = [
            task("a", 1, Priority::Normal),
            task("b", 1, Priority::Normal),
            task("c", 1, Priority::Normal),
            task("gone", 1, Priority::Normal),
        ];
        let candidate = [
            task("new", 2, Priority::High),
            task("c", 1, Priority::High),
            task("b", 7, Priority::Normal),
            task("a", 1, Priority::Normal),
        ];
        let (tally, kinds, diff) = tasks(&baseline, &candidate, 10);
        assert_eq!(
            (tally.identical, tally.added, tally.removed, tally.changed),
            (1, 1, 1, 2)
        );
        assert_eq!(kinds.get("assignee changed"), Some(&1));
        assert_eq!(kinds.get("priority changed"), Some(&1));
        let seen: Vec<(&str, &str)> = diff
            .kept
            .iter()
            .map(|d| (d.key.as_str(), d.change.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("new", "added"),
                ("c", "priority changed"),
                ("b", "assignee changed"),
                ("gone", "removed"),
            ]
        );
        assert!(diff.kept[2].baseline.starts_with("to employee 1"));
        assert!(diff.kept[2].candidate.starts_with("to employee 7"));

        // A cap keeps the counts and counts what it leaves out.
        let (tally, _, diff) = tasks(&baseline, &candidate, 1);
        assert_eq!(tally.changed, 2);
        assert_eq!((diff.kept.len(), diff.left_out), (1, 3));
    }

    #[test]
    fn assessed_objects_change_by_category_and_by_score() {
        let assessed = |rows: &[(u64, u16, f32)]| Assessments {
            category_names: vec!["low".into(), "high".into()],
            objects: rows.iter().map(|r| r.0).collect(),
            categories: rows.iter().map(|r| r.1).collect(),
            scores: rows.iter().map(|r| r.2).collect(),
            ..Assessments::default()
        };
        let baseline = assessed(&[(1, 0, 0.1), (2, 0, 0.2), (3, 1, 0.9), (4, 0, 0.0)]);
        let candidate = assessed(&[(1, 0, 0.1), (2, 1, 0.7), (3, 1, 0.8), (5, 0, 0.0)]);
        let mut kinds = BTreeMap::new();
        let mut diff = Differences {
            kept: Vec::new(),
            left_out: 0,
            max: 10,
        };
        let tally = compare_assessments(&baseline, &candidate, &mut kinds, &mut diff);
        assert_eq!(
            (tally.identical, tally.added, tally.removed, tally.changed),
            (1, 1, 1, 2)
        );
        assert_eq!(kinds.get("low → high"), Some(&1));
        assert_eq!(kinds.get("score changed"), Some(&1));
        assert_eq!(diff.kept[0].baseline, "low (0.20)");
        assert_eq!(diff.kept[0].candidate, "high (0.70)");
    }
}
