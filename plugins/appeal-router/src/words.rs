//! Words of an appeal and the catalogue's keywords, matched so that Russian word forms agree.
//!
//! **Normalising.** Lower case, `ё` as `е`, every character that is not a letter or a digit
//! (punctuation, emoji, symbols) a space; then words split on spaces. The catalogue's
//! keywords and phrases are normalised the same way, so «Ямочный ремонт!» and «ямочный
//! ремонт» are one phrase.
//!
//! **Matching.** Russian changes a word's ending, not its start: «яма», «ямы», «ямой». So a
//! keyword is cut to its *stem* — its final vowels, `ь` and `й` removed, keeping at least two
//! letters — and matches every word that starts with the stem: «яма» → `ям` matches «ямы»,
//! «ямой», «ямочный»; «отопление» → `отоплен` matches «отопления»; «лифт» matches «лифте».
//! A keyword written as a stem («ям») matches the same. A phrase matches consecutive words,
//! each by the same rule: «горячая вода» matches «нет горячей воды». A one-letter keyword
//! matches only that word.
//!
//! What the rule cannot do is the catalogue's to cover: a vowel that drops inside the word
//! («остановка», «остановок»; «ребенок», «ребенка») needs both forms listed, and a stem so
//! short that it starts unrelated words («газ» and «газон») is best avoided.

/// At most this many words of an appeal are read: about forty pages, far more than any
/// appeal. It bounds a run's work whatever arrives; the trace says when text was left unread.
pub const MAX_WORDS: usize = 20_000;

/// Letters a Russian ending is made of, removed from the end of a keyword to get its stem.
const ENDING: &[char] = &['а', 'е', 'и', 'о', 'у', 'ы', 'э', 'ю', 'я', 'ь', 'й'];

/// A stem keeps at least this many letters.
const MIN_STEM: usize = 2;

/// An appeal's text as normalised words, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    pub words: Vec<String>,
    /// Words in the text, including those past [`MAX_WORDS`] that were not read.
    pub total: usize,
}

impl Words {
    pub fn of(text: &str) -> Words {
        let normal = normalise(text);
        let mut words = Vec::new();
        let mut total = 0;
        for word in normal.split_whitespace() {
            total += 1;
            if words.len() < MAX_WORDS {
                words.push(word.to_string());
            }
        }
        Words { words, total }
    }

    pub fn truncated(&self) -> bool {
        self.total > self.words.len()
    }
}

/// Lower case, `ё` → `е`, anything but letters and digits → a space.
pub fn normalise(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ё' => 'е',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .collect()
}

/// The stem a keyword matches by: its final vowels, `ь` and `й` removed, at least
/// [`MIN_STEM`] letters kept.
pub fn stem(word: &str) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    while chars.len() > MIN_STEM && chars.last().is_some_and(|c| ENDING.contains(c)) {
        chars.pop();
    }
    chars.into_iter().collect()
}

/// Whether a normalised word of the text is a form of the stem.
fn is_form_of(word: &str, stem: &str) -> bool {
    if stem.chars().count() < MIN_STEM {
        word == stem
    } else {
        word.starts_with(stem)
    }
}

/// A keyword or phrase of the catalogue (or of the configuration), ready to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// As the catalogue writes it, for the trace.
    pub text: String,
    stems: Vec<String>,
}

impl Pattern {
    /// `None` for an entry with no letters or digits: it would match nothing (or, as an
    /// empty prefix, everything).
    pub fn new(text: &str) -> Option<Pattern> {
        let stems: Vec<String> = normalise(text).split_whitespace().map(stem).collect();
        (!stems.is_empty()).then(|| Pattern {
            text: text.trim().to_string(),
            stems,
        })
    }

    /// The text's words it matches first (normalised, joined by spaces), skipping matches
    /// `skip` rejects.
    pub fn find(&self, words: &Words, skip: impl Fn(&[String]) -> bool) -> Option<String> {
        let n = self.stems.len();
        if words.words.len() < n {
            return None;
        }
        (0..=words.words.len() - n)
            .map(|start| &words.words[start..start + n])
            .find(|run| {
                run.iter()
                    .zip(&self.stems)
                    .all(|(word, stem)| is_form_of(word, stem))
                    && !skip(run)
            })
            .map(|run| run.join(" "))
    }

    /// Whether the word is a form of one of this pattern's stems.
    pub fn covers(&self, word: &str) -> bool {
        self.stems.iter().any(|s| is_form_of(word, s))
    }
}

/// `text` cut to `max` characters with an ellipsis, for a trace that must stay readable
/// whatever the applicant typed.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> Option<String> {
        Pattern::new(pattern)?.find(&Words::of(text), |_| false)
    }

    #[test]
    fn text_is_lower_cased_with_e_for_yo_and_no_punctuation() {
        let words = Words::of("Ёлки-палки!!! Яма 🕳️ на УЛИЦЕ «Зелёной», д.5");
        assert_eq!(
            words.words,
            ["елки", "палки", "яма", "на", "улице", "зеленой", "д", "5"]
        );
        assert!(!words.truncated());
    }

    #[test]
    fn keywords_are_cut_to_their_stems() {
        assert_eq!(stem("яма"), "ям");
        assert_eq!(stem("ям"), "ям");
        assert_eq!(stem("отопление"), "отоплен");
        assert_eq!(stem("горячая"), "горяч");
        assert_eq!(stem("лифт"), "лифт");
        assert_eq!(stem("фонарь"), "фонар");
        assert_eq!(stem("ия"), "ия");
    }

    #[test]
    fn word_forms_match_by_their_stem() {
        for text in ["ямы", "Ямой", "ямочный", "яма"] {
            assert_eq!(
                matches("яма", text).as_deref(),
                Some(text.to_lowercase().as_str())
            );
            assert!(matches("ям", text).is_some(), "{text}");
        }
        assert_eq!(
            matches("яма", "поляна"),
            None,
            "a stem matches a word's start"
        );
        assert_eq!(
            matches("горячая вода", "Третий день нет горячей воды!").as_deref(),
            Some("горячей воды")
        );
        assert_eq!(matches("горячая вода", "вода горячая"), None);
        assert_eq!(matches("дорожный знак", "знак"), None);
    }

    #[test]
    fn entries_without_letters_match_nothing() {
        assert_eq!(Pattern::new(" , !"), None);
        assert_eq!(Pattern::new(""), None);
        assert_eq!(matches("д", "дом д 5").as_deref(), Some("д"));
    }

    #[test]
    fn long_text_is_read_up_to_the_cap() {
        let words = Words::of(&"слово ".repeat(MAX_WORDS + 5));
        assert_eq!(words.words.len(), MAX_WORDS);
        assert_eq!(words.total, MAX_WORDS + 5);
        assert!(words.truncated());
    }

    #[test]
    fn clipping_counts_characters_not_bytes() {
        assert_eq!(clip("ямаяма", 3), "яма…");
        assert_eq!(clip("яма", 3), "яма");
    }
}
