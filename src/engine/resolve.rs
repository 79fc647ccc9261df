//! Resolving how a user names a version against an open file, with
//! versioned-hdf5's semantics (`VersionedHDF5File[...]`).

use chrono::{DateTime, Utc};

use super::error::{bad_input, Error, Result};
use super::file::Vh5File;
use super::layout::format_timestamp;
use super::versions::{format_iso, Version, VersionSpec};

impl Vh5File {
    /// Resolves a version the way `VersionedHDF5File[...]` does. `None`
    /// means the current version. A plain file has only `.`, whatever is asked.
    pub fn resolve_version(&self, spec: Option<&VersionSpec>) -> Result<Version> {
        if !self.is_versioned() {
            return Ok(self.graph()?.all()[0].clone());
        }
        match spec {
            None | Some(VersionSpec::Offset(0)) => self.current_version(),
            Some(VersionSpec::Name(name)) => self.committed_version(name),
            Some(VersionSpec::Offset(n)) => self.steps_back(-n),
            Some(VersionSpec::At(t)) => self.version_at(t),
        }
    }

    fn current_version(&self) -> Result<Version> {
        let Some(name) = self.current_version_name()? else {
            bad_input!("the file has no current version yet (nothing committed)");
        };
        self.committed_version(&name)
    }

    fn committed_version(&self, name: &str) -> Result<Version> {
        match self.version(name)? {
            Some(v) if v.committed => Ok(v),
            Some(_) => bad_input!("version {name:?} has not been committed"),
            None => bad_input!("unknown version {name:?}"),
        }
    }

    fn steps_back(&self, steps: i64) -> Result<Version> {
        let mut v = self.current_version()?;
        let start = v.name.clone();
        for _ in 0..steps {
            let Some(prev) = v.prev.clone() else {
                bad_input!("version -{steps}: {start:?} has fewer than {steps} versions before it");
            };
            v = self.version(&prev)?.ok_or_else(|| {
                Error::bad_file(format!(
                    "version {:?} names a missing parent {prev:?}",
                    v.name
                ))
            })?;
        }
        if !v.committed {
            bad_input!("version {:?} has not been committed", v.name);
        }
        Ok(v)
    }

    /// The latest version at or before `t` ([`latest_at`]).
    fn version_at(&self, t: &DateTime<Utc>) -> Result<Version> {
        match latest_at(self.graph()?.all(), t) {
            Some(v) if v.committed => Ok(v.clone()),
            Some(v) => bad_input!("version {:?} has not been committed", v.name),
            None => bad_input!("no version at or before {}", format_iso(t)),
        }
    }
}

/// Which of `versions` `@t` names, by versioned-hdf5's rule: Python
/// formats the query like the stored text and compares strings, so an
/// exact match wins, else the greatest timestamp before the query. The
/// CLI's `--version @...` and the browser's date jump both use it.
pub fn latest_at<'a>(
    versions: impl IntoIterator<Item = &'a Version>,
    t: &DateTime<Utc>,
) -> Option<&'a Version> {
    let query = format_timestamp(t);
    versions
        .into_iter()
        .filter(|v| {
            v.timestamp_text
                .as_deref()
                .is_some_and(|s| s <= query.as_str())
        })
        .max_by(|a, b| a.timestamp_text.cmp(&b.timestamp_text))
}
