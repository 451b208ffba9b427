//! The package file's byte layout: a small length-prefixed container, chosen over tar so that
//! a reader has nothing to interpret but three sizes, and nothing a hostile file could use to
//! name a path.
//!
//! ```text
//! magic    8 bytes   "ZEMSTVO\0"
//! format   2 bytes   big-endian, 1
//! 3 parts, in this order:
//!   name_len  1 byte            length of the part's name, 1..=32
//!   name      name_len bytes    "manifest.json", "signatures.json", "component.wasm"
//!   size      8 bytes           big-endian length of the data
//!   data      size bytes
//! nothing after the last part
//! ```
//!
//! Every size is checked against its part's limit before anything is allocated, and against
//! the bytes actually left, so a truncated or inflated file is refused with the part it broke
//! in. Part names are fixed; a name with `/`, `\` or `..` is refused as path-like, any other
//! unknown name as unknown.

/// The first bytes of every package file.
pub const MAGIC: &[u8; 8] = b"ZEMSTVO\0";
/// The container format this build writes and reads.
pub const CONTAINER_FORMAT: u16 = 1;

pub const MANIFEST_PART: &str = "manifest.json";
pub const SIGNATURES_PART: &str = "signatures.json";
pub const COMPONENT_PART: &str = "component.wasm";

/// The parts in file order, with the largest size each may declare.
pub const PARTS: [(&str, u64); 3] = [
    (MANIFEST_PART, 256 * 1024),
    (SIGNATURES_PART, 64 * 1024),
    (COMPONENT_PART, MAX_COMPONENT_BYTES),
];

/// The largest component a package may hold (64 MiB). A registry may accept less.
pub const MAX_COMPONENT_BYTES: u64 = 64 * 1024 * 1024;

/// Why bytes are not a package file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContainerError {
    #[error(
        "this is not a zemstvo package (it starts with {starts_with}); make one with `zemstvo \
         plugin pack PLUGIN.wasm`"
    )]
    NotAPackage { starts_with: String },
    #[error(
        "the package is container format {0}, but this zemstvo reads format {CONTAINER_FORMAT}; \
         upgrade zemstvo"
    )]
    UnsupportedFormat(u16),
    #[error(
        "the package is truncated: {what} needs {needed} bytes but only {available} remain; \
         download or copy the file again"
    )]
    Truncated {
        what: String,
        needed: u64,
        available: u64,
    },
    #[error(
        "the package has a part named `{0}`, which looks like a path; a package file holds only \
         manifest.json, signatures.json and component.wasm"
    )]
    PathLikeName(String),
    #[error(
        "the package has an unknown part `{found}` where `{expected}` belongs; repack it with \
         `zemstvo plugin pack`"
    )]
    UnexpectedPart { expected: String, found: String },
    #[error("part `{part}` declares {size} bytes, more than its limit of {limit} bytes")]
    Oversized { part: String, size: u64, limit: u64 },
    #[error("the package has {0} bytes after its last part; it was edited or corrupted")]
    TrailingBytes(u64),
}

/// Writes parts in the container layout. Used by [`crate::Package::to_bytes`]; public so that
/// tools and tests can build any container, well-formed or not.
pub fn encode(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let total: usize = parts.iter().map(|(n, d)| 9 + n.len() + d.len()).sum();
    let mut out = Vec::with_capacity(MAGIC.len() + 2 + total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&CONTAINER_FORMAT.to_be_bytes());
    for (name, data) in parts {
        // Part names are ours and short; a longer one is a bug in the caller.
        out.push(u8::try_from(name.len()).expect("part names are short"));
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&(data.len() as u64).to_be_bytes());
        out.extend_from_slice(data);
    }
    out
}

/// The three parts of a well-formed container, borrowed from its bytes.
#[derive(Debug)]
pub struct Parts<'a> {
    pub manifest: &'a [u8],
    pub signatures: &'a [u8],
    pub component: &'a [u8],
}

/// Reads the container layout, refusing anything else.
pub fn decode(bytes: &[u8]) -> Result<Parts<'_>, ContainerError> {
    let mut reader = Reader { bytes, at: 0 };
    let magic = reader.take(MAGIC.len() as u64, "the package header")?;
    if magic != MAGIC {
        return Err(ContainerError::NotAPackage {
            starts_with: describe_start(bytes),
        });
    }
    let format = reader.take(2, "the package header")?;
    let format = u16::from_be_bytes([format[0], format[1]]);
    if format != CONTAINER_FORMAT {
        return Err(ContainerError::UnsupportedFormat(format));
    }
    let mut data = Vec::with_capacity(PARTS.len());
    for (expected, limit) in PARTS {
        let what = format!("the header of part `{expected}`");
        let name_len = reader.take(1, &what)?[0];
        let name = reader.take(u64::from(name_len), &what)?;
        let name = String::from_utf8_lossy(name).into_owned();
        if name.contains(['/', '\\']) || name.contains("..") {
            return Err(ContainerError::PathLikeName(name));
        }
        if name != expected {
            return Err(ContainerError::UnexpectedPart {
                expected: expected.to_string(),
                found: name,
            });
        }
        let size = reader.take(8, &what)?;
        // `take(8)` returned exactly eight bytes.
        let size = u64::from_be_bytes(size.try_into().expect("eight bytes"));
        if size > limit {
            return Err(ContainerError::Oversized {
                part: name,
                size,
                limit,
            });
        }
        data.push(reader.take(size, &format!("part `{expected}`"))?);
    }
    let left = (bytes.len() - reader.at) as u64;
    if left > 0 {
        return Err(ContainerError::TrailingBytes(left));
    }
    Ok(Parts {
        manifest: data[0],
        signatures: data[1],
        component: data[2],
    })
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: u64, what: &str) -> Result<&'a [u8], ContainerError> {
        let available = (self.bytes.len() - self.at) as u64;
        if n > available {
            return Err(ContainerError::Truncated {
                what: what.to_string(),
                needed: n,
                available,
            });
        }
        // `n <= available`, which is a `usize`.
        let n = n as usize;
        let slice = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(slice)
    }
}

/// The first bytes of a file, readable in an error message.
pub(crate) fn describe_start(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "nothing: the file is empty".to_string();
    }
    let head = &bytes[..bytes.len().min(8)];
    if head.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!("`{}`", String::from_utf8_lossy(head))
    } else {
        format!("bytes {}", hex::encode(head))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Vec<u8> {
        encode(&[
            (MANIFEST_PART, b"{}"),
            (SIGNATURES_PART, b"[]"),
            (COMPONENT_PART, b"\0asm"),
        ])
    }

    #[test]
    fn a_well_formed_container_reads_back() {
        let bytes = good();
        let parts = decode(&bytes).unwrap();
        assert_eq!(parts.manifest, b"{}");
        assert_eq!(parts.signatures, b"[]");
        assert_eq!(parts.component, b"\0asm");
    }

    #[test]
    fn every_truncation_is_refused() {
        let bytes = good();
        for len in 0..bytes.len() {
            let err = decode(&bytes[..len]).unwrap_err();
            assert!(
                matches!(
                    err,
                    ContainerError::Truncated { .. } | ContainerError::NotAPackage { .. }
                ),
                "{len}: {err}"
            );
        }
    }

    #[test]
    fn a_path_like_part_name_is_refused() {
        let bytes = encode(&[("../../etc/passwd", b"x")]);
        assert_eq!(
            decode(&bytes).unwrap_err(),
            ContainerError::PathLikeName("../../etc/passwd".into())
        );
    }

    #[test]
    fn an_inflated_size_is_refused_before_reading() {
        let mut bytes = encode(&[(MANIFEST_PART, b"{}")]);
        let size_at = MAGIC.len() + 2 + 1 + MANIFEST_PART.len();
        bytes[size_at..size_at + 8].copy_from_slice(&u64::MAX.to_be_bytes());
        assert!(matches!(
            decode(&bytes).unwrap_err(),
            ContainerError::Oversized { part, .. } if part == MANIFEST_PART
        ));
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let mut bytes = good();
        bytes.push(0);
        assert_eq!(
            decode(&bytes).unwrap_err(),
            ContainerError::TrailingBytes(1)
        );
    }

    #[test]
    fn other_files_say_what_they_start_with() {
        let err = decode(b"PK\x03\x04zipfile").unwrap_err().to_string();
        assert!(err.contains("not a zemstvo package"), "{err}");
    }
}
