//! The classifier: every category of the catalogue scored on the appeal's words, the best one
//! chosen only when it is clearly the best.
//!
//! A category scores [`PHRASE_WEIGHT`] for each of its phrases found in the text and
//! [`KEYWORD_WEIGHT`] for each of its keywords; each counts once, however often it recurs, so
//! repeating a word does not outvote a phrase. The category the applicant chose (the appeal's
//! `service_code`) gets [`SERVICE_CODE_WEIGHT`] more, as much as a phrase: alone it wins, but
//! a text that clearly says otherwise (a phrase and a keyword of another category) still
//! outweighs it, and any disagreement narrows the margin and so lowers the confidence.

use zemstvo_sdk::appeals::{Catalogue, Category};

use crate::words::{Pattern, Words};

pub const PHRASE_WEIGHT: u32 = 3;
pub const KEYWORD_WEIGHT: u32 = 1;
pub const SERVICE_CODE_WEIGHT: u32 = 3;

/// A keyword or phrase found, and the text's words it matched.
#[derive(Debug, Clone)]
pub struct Hit {
    pub pattern: Pattern,
    pub found: String,
}

/// One category's score on this appeal.
#[derive(Debug, Clone)]
pub struct Score<'c> {
    pub category: &'c Category,
    pub phrases: Vec<Hit>,
    pub keywords: Vec<Hit>,
    /// The appeal's service code names this category.
    pub chosen_by_applicant: bool,
}

impl Score<'_> {
    /// Points from the text alone.
    pub fn text_points(&self) -> u32 {
        self.phrases.len() as u32 * PHRASE_WEIGHT + self.keywords.len() as u32 * KEYWORD_WEIGHT
    }

    pub fn points(&self) -> u32 {
        self.text_points() + u32::from(self.chosen_by_applicant) * SERVICE_CODE_WEIGHT
    }

    /// Whether a word of the text is one this category matched on (a form of one of its
    /// keywords or phrases found).
    pub fn covers(&self, word: &str) -> bool {
        self.phrases
            .iter()
            .chain(&self.keywords)
            .any(|h| h.pattern.covers(word))
    }
}

/// What the classifier concludes.
#[derive(Debug, Clone, Copy)]
pub enum Verdict<'r, 'c> {
    /// One category scored more than any other.
    Chosen {
        best: &'r Score<'c>,
        confidence: f32,
    },
    /// Two or more categories share the best score: a specialist chooses.
    Ambiguous { tied: &'r [Score<'c>] },
    /// Nothing of the catalogue was found in the text.
    Unknown,
}

/// Every category's score, best first (catalogue order among equals).
#[derive(Debug, Clone)]
pub struct Ranking<'c> {
    pub scores: Vec<Score<'c>>,
    /// Keywords and phrases with no letters or digits, which match nothing: `category: entry`.
    pub unusable: Vec<String>,
}

impl<'c> Ranking<'c> {
    pub fn of(catalogue: &'c Catalogue, words: &Words, service_code: Option<&str>) -> Self {
        let mut unusable = Vec::new();
        let mut hits = |category: &Category, entries: &[String]| -> Vec<Hit> {
            let mut hits = Vec::new();
            for entry in entries {
                let Some(pattern) = Pattern::new(entry) else {
                    unusable.push(format!("{}: {entry:?}", category.code));
                    continue;
                };
                if let Some(found) = pattern.find(words, |_| false) {
                    hits.push(Hit { pattern, found });
                }
            }
            hits
        };
        let mut scores: Vec<Score<'c>> = catalogue
            .categories
            .iter()
            .map(|category| Score {
                phrases: hits(category, &category.phrases),
                keywords: hits(category, &category.keywords),
                chosen_by_applicant: service_code.is_some_and(|c| c == category.code),
                category,
            })
            .collect();
        // A stable sort: among equal scores the catalogue's order, so a rerun ranks the same.
        scores.sort_by_key(|s| std::cmp::Reverse(s.points()));
        Ranking { scores, unusable }
    }

    /// The best-scoring category, if anything scored.
    pub fn top(&self) -> Option<&Score<'c>> {
        self.scores.first().filter(|s| s.points() > 0)
    }

    /// The second best, if it scored.
    pub fn runner_up(&self) -> Option<&Score<'c>> {
        self.scores.get(1).filter(|s| s.points() > 0)
    }

    /// The category the text alone points to, if one scores more than every other.
    pub fn text_choice(&self) -> Option<&Score<'c>> {
        let best = self.scores.iter().map(Score::text_points).max()?;
        let mut tops = self.scores.iter().filter(|s| s.text_points() == best);
        let top = tops.next()?;
        (best > 0 && tops.next().is_none()).then_some(top)
    }

    pub fn verdict(&self) -> Verdict<'_, 'c> {
        let Some(best) = self.top() else {
            return Verdict::Unknown;
        };
        let tied = self
            .scores
            .iter()
            .take_while(|s| s.points() == best.points())
            .count();
        if tied > 1 {
            return Verdict::Ambiguous {
                tied: &self.scores[..tied],
            };
        }
        let second = self.runner_up().map_or(0, Score::points);
        Verdict::Chosen {
            best,
            confidence: confidence(best.points(), second),
        }
    }
}

/// How sure the classifier is, 0 to 1: the strength of the evidence (`s / (s + 1)`: one
/// keyword 0.5, two 0.67, a phrase 0.75, a phrase and a keyword 0.8) times the share of it
/// the runner-up does not also have (`(s − r) / s`). One word alone is not enough to act
/// without a look; a rival category halves the confidence when it scores half as much.
/// Rounded to hundredths, as people read it.
pub fn confidence(best: u32, second: u32) -> f32 {
    if best == 0 || second >= best {
        return 0.0;
    }
    let (s, r) = (f64::from(best), f64::from(second));
    let value = s / (s + 1.0) * (s - r) / s;
    ((value * 100.0).round() / 100.0) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_grows_with_evidence_and_shrinks_with_a_rival() {
        assert_eq!(confidence(0, 0), 0.0);
        assert_eq!(confidence(1, 0), 0.5);
        assert_eq!(confidence(2, 0), 0.67);
        assert_eq!(confidence(3, 0), 0.75);
        assert_eq!(confidence(4, 0), 0.8);
        assert_eq!(confidence(4, 2), 0.4);
        assert_eq!(confidence(2, 2), 0.0);
        assert!(confidence(u32::MAX, 0) <= 1.0);
    }
}
