//! Checks of what plugins send that several capabilities share: keys, bounded texts and
//! identifiers (template names, SMEV kinds, configuration keys). One definition each, so that
//! every interface refuses the same input with the same words.

/// The longest idempotency key of a task or a message.
pub const MAX_KEY: usize = 200;

/// Idempotency keys: printable, no surrounding whitespace, bounded.
pub fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty()
        || key.len() > MAX_KEY
        || key.trim() != key
        || key.chars().any(char::is_control)
    {
        return Err(format!(
            "key `{key}` is invalid: give 1 to {MAX_KEY} printable characters without \
             surrounding spaces"
        ));
    }
    Ok(())
}

/// A text field of at most `max` characters; a `required` one must not be blank.
pub fn check_text(field: &str, value: &str, max: usize, required: bool) -> Result<(), String> {
    if required && value.trim().is_empty() {
        return Err(format!("{field} is empty"));
    }
    if value.chars().count() > max {
        return Err(format!("{field} is longer than {max} characters"));
    }
    Ok(())
}

/// Lowercase ASCII letters, digits and `-`, starting with a letter, at most 64 characters.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z'))
        && s.len() <= 64
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-'))
        && !s.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_lowercase_words_joined_by_dashes() {
        assert!(is_identifier("smev-answer-received"));
        assert!(!is_identifier("Smev"));
        assert!(!is_identifier("1st"));
        assert!(!is_identifier("trailing-"));
        assert!(!is_identifier(&"a".repeat(65)));
    }

    #[test]
    fn keys_are_printable_and_bounded() {
        assert!(check_key("app-17").is_ok());
        assert!(check_key(" app").is_err());
        assert!(check_key("a\nb").is_err());
        assert!(check_key(&"k".repeat(MAX_KEY + 1)).is_err());
    }
}
