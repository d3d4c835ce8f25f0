//! Presentation: tables for people, JSON for programs. Nothing here computes
//! statistics of its own; it reads results, and the report's steps
//! ([`analysis`], [`several`]) run the library's analyses in the order a
//! command does.
//!
//! # JSON wire format
//! Every command's JSON is one object with `"schema_version": 1`, snake_case
//! field names, numbers as numbers and periods as strings in the file's
//! format. An unbounded interval end is `null`, with a field naming the open
//! end. The per-command fields are those of DESIGN §5; each view type's
//! fields are documented where it is defined.

pub mod analysis;
pub mod detect;
pub mod fit;
pub mod forecast;
pub mod format;
#[cfg(feature = "plot")]
pub mod html;
pub mod inspect;
pub mod interval;
pub mod many;
#[cfg(feature = "plot")]
pub mod plot;
pub mod several;
pub mod test;

/// The version of the JSON wire format.
pub const SCHEMA_VERSION: u32 = 1;

/// Writes `text` to `path` by way of a new temporary file in the same
/// directory, renamed over `path`: the rename replaces whatever entry
/// `path` is (a link included) without following it, and a failed write (a
/// full disk) leaves `path` as it was, never a truncated file.
///
/// # Errors
/// [`crate::Error::Write`] naming `path`.
pub fn write_file(path: &std::path::Path, text: &str) -> crate::error::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let attempt = || -> std::io::Result<()> {
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        file.write_all(text.as_bytes())?;
        file.as_file().sync_all()?;
        file.persist(path).map_err(|e| e.error)?;
        Ok(())
    };
    attempt().map_err(|e| crate::Error::Write {
        path: path.display().to_string(),
        // The OS error alone: tempfile's message names the temporary file.
        source: if e.get_ref().is_some() {
            std::io::Error::from(e.kind())
        } else {
            e
        },
    })
}
