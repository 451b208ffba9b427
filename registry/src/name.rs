//! Names that reach file systems, URLs and SQL: package names, vendor ids and the name
//! patterns a key is trusted for. Each is validated once, when it is made, so that no
//! `../etc/passwd`, no `%2F` and no upper-case twin of a name ever gets further than the
//! parser.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The longest package name, vendor id or pattern accepted.
pub const MAX_NAME_LEN: usize = 64;

/// Why a name or pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error(
        "{what} `{name}` is invalid: use lowercase ASCII letters, digits and `-`, starting with a \
         letter and not ending with `-`, at most 64 characters (no `/`, `.` or spaces)"
    )]
    Invalid { what: &'static str, name: String },
    #[error(
        "name pattern `{0}` is invalid: use a package name (`isu-smev`), a prefix ending in `*` \
         (`isu-*`), or `*` for every name"
    )]
    InvalidPattern(String),
}

/// The rule shared by package names, vendor ids and plugin names in metadata (the host's
/// `is_identifier`): safe as a path segment, a URL segment and a SQL value as it stands.
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z'))
        && s.len() <= MAX_NAME_LEN
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-'))
        && !s.ends_with('-')
}

macro_rules! identifier_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn new(name: impl Into<String>) -> Result<Self, NameError> {
                let name = name.into();
                if is_identifier(&name) {
                    Ok($name(name))
                } else {
                    Err(NameError::Invalid { what: $what, name })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = NameError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = NameError;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                $name::new(s)
            }
        }

        impl From<$name> for String {
            fn from(n: $name) -> String {
                n.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

identifier_type!(
    /// A package's name: the plugin's name from its metadata, which is also its directory in a
    /// mirror and its segment in registry URLs.
    PackageName,
    "package name"
);

identifier_type!(
    /// A vendor's id at a registry and in trust stores (e.g. `lipetsk-soft`).
    VendorId,
    "vendor id"
);

/// Which package names a key is trusted for: one name, a prefix ending in `*`, or `*`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NamePattern(String);

impl NamePattern {
    /// Every package name.
    pub fn any() -> Self {
        NamePattern("*".to_string())
    }

    pub fn new(pattern: impl Into<String>) -> Result<Self, NameError> {
        let pattern = pattern.into();
        let ok = match pattern.strip_suffix('*') {
            Some("") => true,
            // A prefix: the same alphabet as names, but it may end in `-` (`isu-*`).
            Some(prefix) => {
                matches!(prefix.chars().next(), Some('a'..='z'))
                    && prefix.len() < MAX_NAME_LEN
                    && prefix
                        .chars()
                        .all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-'))
            }
            None => is_identifier(&pattern),
        };
        if ok {
            Ok(NamePattern(pattern))
        } else {
            Err(NameError::InvalidPattern(pattern))
        }
    }

    pub fn matches(&self, name: &PackageName) -> bool {
        match self.0.strip_suffix('*') {
            Some(prefix) => name.as_str().starts_with(prefix),
            None => self.0 == name.as_str(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NamePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for NamePattern {
    type Err = NameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NamePattern::new(s)
    }
}

impl TryFrom<String> for NamePattern {
    type Error = NameError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        NamePattern::new(s)
    }
}

impl From<NamePattern> for String {
    fn from(p: NamePattern) -> String {
        p.0
    }
}

/// Whether any of `patterns` lets a key sign `name`.
pub fn in_scope(patterns: &[NamePattern], name: &PackageName) -> bool {
    patterns.iter().any(|p| p.matches(name))
}

/// The patterns as one comma-separated string, for error messages.
pub fn describe_scope(patterns: &[NamePattern]) -> String {
    if patterns.is_empty() {
        return "no names at all".to_string();
    }
    patterns
        .iter()
        .map(NamePattern::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_like_names_are_refused() {
        for bad in [
            "../etc", "a/b", "a.b", "A", "", "-a", "a-", "1abc", "a b", "a\\b", "%2e%2e",
        ] {
            assert!(PackageName::new(bad).is_err(), "{bad} was accepted");
        }
        let long = "a".repeat(MAX_NAME_LEN + 1);
        assert!(PackageName::new(long).is_err());
        assert!(PackageName::new("isu-smev-answer-delay").is_ok());
    }

    #[test]
    fn patterns_match_names_and_prefixes() {
        let name = PackageName::new("isu-smev").unwrap();
        assert!(NamePattern::new("*").unwrap().matches(&name));
        assert!(NamePattern::new("isu-*").unwrap().matches(&name));
        assert!(NamePattern::new("isu-smev").unwrap().matches(&name));
        assert!(!NamePattern::new("isu-smev-x").unwrap().matches(&name));
        assert!(!NamePattern::new("risk-*").unwrap().matches(&name));
        for bad in ["**", "*isu", "isu/*", "../*", "Isu-*"] {
            assert!(NamePattern::new(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn a_name_error_says_what_is_allowed() {
        let text = PackageName::new("../x").unwrap_err().to_string();
        assert!(
            text.contains("package name `../x`") && text.contains("lowercase"),
            "{text}"
        );
    }
}
