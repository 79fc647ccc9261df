//! Versions and their DAG, and versioned-hdf5's ways of naming one.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use hdf5::Group;

use super::attrs;
use super::error::{bad_input, Result};
use super::h5;
use super::h5raw::{refuse_known_damage, RawFile};
use super::layout::{attr, parse_timestamp, FIRST_VERSION};

/// The implicit single version of a plain HDF5 file.
pub const PLAIN_VERSION: &str = ".";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub name: String,
    /// The parent, `None` for a root (stored `__first_version__`).
    pub prev: Option<String>,
    /// The stored timestamp text, verbatim.
    pub timestamp_text: Option<String>,
    pub timestamp: Option<DateTime<Utc>>,
    pub committed: bool,
}

impl Version {
    /// A committed version with just a name and a parent, no timestamp.
    pub fn bare(name: &str, prev: Option<&str>) -> Version {
        Version {
            name: name.into(),
            prev: prev.map(Into::into),
            timestamp_text: None,
            timestamp: None,
            committed: true,
        }
    }

    /// Reads a version's three attributes by name, without opening its group.
    pub(crate) fn read(versions: &Group, name: &str) -> Result<Version> {
        let prev = attrs::string_attr_of(versions, name, attr::PREV_VERSION)?;
        let timestamp_text = attrs::string_attr_of(versions, name, attr::TIMESTAMP)?;
        let committed = attrs::bool_attr_of(versions, name, attr::COMMITTED)?.unwrap_or(false);
        Ok(Version::of(name, prev, timestamp_text, committed))
    }

    /// The same from the group's header bytes when `reader` and `header`
    /// (its address) are given, through HDF5 where they do not tell.
    pub(crate) fn read_at(
        versions: &Group,
        name: &str,
        reader: Option<&RawFile>,
        header: Option<u64>,
    ) -> Result<Version> {
        if let (Some(r), Some(h)) = (reader, header) {
            if let Some(v) = Version::read_raw(r, h, name) {
                return Ok(v);
            }
        }
        refuse_known_damage(reader)?;
        Version::read(versions, name)
    }

    /// The same from the group's header bytes (`header`: its address);
    /// `None` where the bytes do not tell for certain.
    fn read_raw(reader: &RawFile, header: u64, name: &str) -> Option<Version> {
        let names = [attr::PREV_VERSION, attr::TIMESTAMP, attr::COMMITTED];
        let found = reader.version_attrs(header, names).ok()?;
        let committed = committed_flag(found.committed)?;
        Some(Version::of(name, found.prev, found.timestamp, committed))
    }

    fn of(
        name: &str,
        prev: Option<String>,
        timestamp_text: Option<String>,
        committed: bool,
    ) -> Version {
        Version {
            name: name.to_string(),
            prev: prev.filter(|p| p != FIRST_VERSION && !p.is_empty()),
            timestamp: timestamp_text.as_deref().and_then(parse_timestamp),
            timestamp_text,
            committed,
        }
    }

    /// The timestamp in the CLI's rendering (see [`format_iso`]).
    pub fn timestamp_iso(&self) -> Option<String> {
        self.timestamp.as_ref().map(format_iso)
    }
}

/// A version group's `committed` flag from its header's bytes (absent:
/// not committed); `None` where the bytes do not tell for certain.
pub(crate) fn committed_from_bytes(reader: &RawFile, header: u64) -> Option<bool> {
    committed_flag(reader.small_attr(header, attr::COMMITTED).ok()?)
}

/// The `committed` attribute's bytes as the flag (absent: not committed).
fn committed_flag(bytes: Option<Vec<u8>>) -> Option<bool> {
    // numpy's bool: one byte, 0 or 1.
    match bytes {
        Some(b) if b.len() == 1 => Some(b[0] != 0),
        Some(_) => None,
        None => Some(false),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, the CLI's rendering of a time.
pub fn format_iso(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Every version of a file with parent and child links.
#[derive(Debug, Clone, Default)]
pub struct VersionGraph {
    /// Oldest first by timestamp, ties by name (the CLI's `log` order).
    versions: Vec<Version>,
    index: HashMap<String, usize>,
    children: HashMap<String, Vec<String>>,
}

impl VersionGraph {
    pub(crate) fn plain() -> VersionGraph {
        VersionGraph::from_versions(vec![Version {
            name: PLAIN_VERSION.into(),
            prev: None,
            timestamp_text: None,
            timestamp: None,
            committed: true,
        }])
    }

    /// Every version group's three attributes: from the headers' bytes
    /// when `reader` is given (a read-only file: one link iteration, no
    /// lookup per name), through HDF5 for what the bytes do not tell.
    pub(crate) fn load(versions: &Group, reader: Option<&RawFile>) -> Result<VersionGraph> {
        let mut all = Vec::new();
        for (name, header) in h5::link_addresses(versions.id())? {
            if name == FIRST_VERSION {
                continue;
            }
            all.push(Version::read_at(versions, &name, reader, header)?);
        }
        Ok(VersionGraph::from_versions(all))
    }

    pub fn from_versions(mut versions: Vec<Version>) -> VersionGraph {
        versions.sort_by(|a, b| {
            (a.timestamp_text.as_deref(), &a.name).cmp(&(b.timestamp_text.as_deref(), &b.name))
        });
        let index = versions
            .iter()
            .enumerate()
            .map(|(i, v)| (v.name.clone(), i))
            .collect();
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        for v in &versions {
            if let Some(p) = &v.prev {
                children.entry(p.clone()).or_default().push(v.name.clone());
            }
        }
        VersionGraph {
            versions,
            index,
            children,
        }
    }

    /// Every version group, committed or not, oldest first.
    pub fn all(&self) -> &[Version] {
        &self.versions
    }

    /// Committed versions, oldest first.
    pub fn committed(&self) -> impl Iterator<Item = &Version> {
        self.versions.iter().filter(|v| v.committed)
    }

    pub fn get(&self, name: &str) -> Option<&Version> {
        self.index.get(name).map(|&i| &self.versions[i])
    }

    pub fn children(&self, name: &str) -> &[String] {
        self.children.get(name).map_or(&[], Vec::as_slice)
    }
}

/// How a user names a version (CLI conventions, versioned-hdf5 semantics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSpec {
    Name(String),
    /// 0 = current, -n = n steps back along `prev_version`.
    Offset(i64),
    /// The latest version at or before this instant.
    At(DateTime<Utc>),
}

impl VersionSpec {
    pub fn parse(text: &str) -> Result<VersionSpec> {
        if let Some(ts) = text.strip_prefix('@') {
            return parse_query_timestamp(ts).map(VersionSpec::At);
        }
        match text.parse::<i64>() {
            Ok(n) if n > 0 => bad_input!(
                "version {n}: integer versions must be 0 (current) or negative (steps back)"
            ),
            Ok(n) => Ok(VersionSpec::Offset(n)),
            Err(_) if text.starts_with('/') => {
                bad_input!("version {text:?}: version names cannot start with '/'")
            }
            Err(_) => Ok(VersionSpec::Name(text.to_string())),
        }
    }
}

/// ISO 8601 in UTC: `2026-11-20T10:15:00Z`, 0 to 6 fractional digits, `Z`
/// or `+00:00` (a space instead of `T` is accepted too).
pub fn parse_query_timestamp(text: &str) -> Result<DateTime<Utc>> {
    let body = text
        .strip_suffix('Z')
        .or_else(|| text.strip_suffix("+00:00"))
        .or_else(|| text.strip_suffix("+0000"));
    let Some(body) = body else {
        bad_input!("timestamp {text:?}: give it in UTC, ending in Z or +00:00");
    };
    let frac_ok = body
        .split_once('.')
        .is_none_or(|(_, f)| (1..=6).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()));
    let parsed = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|fmt| NaiveDateTime::parse_from_str(body, fmt).ok());
    match parsed {
        Some(t) if frac_ok => Ok(t.and_utc()),
        _ => bad_input!("timestamp {text:?}: expected YYYY-MM-DDTHH:MM:SS[.ffffff]Z"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(name: &str, prev: Option<&str>, ts: &str) -> Version {
        Version {
            name: name.into(),
            prev: prev.map(Into::into),
            timestamp_text: Some(ts.into()),
            timestamp: parse_timestamp(ts),
            committed: true,
        }
    }

    #[test]
    fn graph_orders_by_time_and_knows_children() {
        let g = VersionGraph::from_versions(vec![
            version("b1", Some("v1"), "2020-01-01 00:00:02.000000+0000"),
            version("v2", Some("v1"), "2020-01-01 00:00:01.000000+0000"),
            version("v1", None, "2020-01-01 00:00:00.000000+0000"),
        ]);
        let names: Vec<&str> = g.all().iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["v1", "v2", "b1"]);
        assert_eq!(g.children("v1"), ["v2".to_string(), "b1".to_string()]);
        assert!(g.children("b1").is_empty());
    }

    #[test]
    fn version_specs() {
        assert_eq!(
            VersionSpec::parse("v1").unwrap(),
            VersionSpec::Name("v1".into())
        );
        assert_eq!(VersionSpec::parse("0").unwrap(), VersionSpec::Offset(0));
        assert_eq!(VersionSpec::parse("-3").unwrap(), VersionSpec::Offset(-3));
        assert!(VersionSpec::parse("2").is_err());
        assert!(VersionSpec::parse("/v1").is_err());
        let at = VersionSpec::parse("@2026-11-20T10:15:00.5Z").unwrap();
        let VersionSpec::At(t) = at else { panic!() };
        assert_eq!(
            crate::engine::layout::format_timestamp(&t),
            "2026-11-20 10:15:00.500000+0000"
        );
    }

    #[test]
    fn query_timestamps() {
        for ok in [
            "2026-11-20T10:15:00Z",
            "2026-11-20T10:15:00.123456+00:00",
            "2026-11-20 10:15:00Z",
        ] {
            assert!(parse_query_timestamp(ok).is_ok(), "{ok}");
        }
        for bad in [
            "2026-11-20T10:15:00",
            "2026-11-20T10:15:00.1234567Z",
            "yesterday",
            "2026-11-20T10:15:00+01:00",
        ] {
            assert!(parse_query_timestamp(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stored_timestamps_parse_and_render() {
        let v = Version {
            name: "v".into(),
            prev: None,
            timestamp_text: Some("2020-01-02 03:04:05.000006+0000".into()),
            timestamp: parse_timestamp("2020-01-02 03:04:05.000006+0000"),
            committed: true,
        };
        assert_eq!(v.timestamp_iso().unwrap(), "2020-01-02T03:04:05.000006Z");
    }
}
