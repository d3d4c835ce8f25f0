//! Presentation: tables for people, JSON for programs. Nothing here computes
//! statistics; it reads results.
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
pub mod html;
pub mod inspect;
pub mod interval;
pub mod plot;
pub mod test;

/// The version of the JSON wire format.
pub const SCHEMA_VERSION: u32 = 1;
