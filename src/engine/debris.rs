//! Leftovers of interrupted writes that no version can reach: version
//! groups never marked committed (a commit killed part-way; versioned-hdf5
//! lists them and then fails to open them) and the temporary files of
//! rewrites whose process is gone. `check` reports them; every vh5 write
//! removes them before it starts, holding the file's write lock, so none of
//! them can be another writer's work in progress.

use std::path::{Path, PathBuf};

use super::attrs;
use super::error::Result;
use super::file::Vh5File;
use super::h5;
use super::h5raw::RawFile;
use super::h5write::{self, Target};
use super::layout::{attr, FIRST_VERSION};
use super::versions::{committed_from_bytes, Version};

/// What a write found and removed before starting.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Debris {
    /// Version groups never committed, removed.
    pub uncommitted: Vec<String>,
    /// `current_version` named one of them: it now names this version
    /// (`None`: no version is current).
    pub current_reset: Option<Option<String>>,
    /// Temporary files of dead processes, removed.
    pub temp_files: Vec<PathBuf>,
}

impl Debris {
    pub fn is_empty(&self) -> bool {
        self.uncommitted.is_empty() && self.temp_files.is_empty()
    }
}

/// The temporary file a rewrite of `path` by process `pid` writes, next
/// to it (so that the final rename stays on one file system).
pub fn temp_path(path: &Path, pid: u32) -> PathBuf {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    dir.join(format!(".{}.vh5-{pid}.tmp", file_name(path)))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The process that writes a temporary file of `path` named `name`.
fn temp_owner(path: &Path, name: &str) -> Option<u32> {
    let prefix = format!(".{}.vh5-", file_name(path));
    let pid = name.strip_prefix(&prefix)?.strip_suffix(".tmp")?;
    pid.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| pid.parse().ok())
        .flatten()
}

/// Whether a process with this id exists (it may be another program that
/// reused the id: then its file is left alone, which is the safe side).
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Temporary files next to `path` left by rewrites whose process is gone.
pub fn stale_temp_files(path: &Path) -> Vec<PathBuf> {
    let probe = temp_path(path, 0);
    let dir = probe.parent().unwrap_or(Path::new("."));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            temp_owner(path, &name).is_some_and(|pid| !process_alive(pid))
        })
        .map(|e| dir.join(e.file_name()))
        .collect();
    out.sort();
    out
}

/// Removes the stale temporary files of `path`; returns those removed.
pub fn remove_stale_temp_files(path: &Path) -> Vec<PathBuf> {
    (stale_temp_files(path).into_iter())
        .filter(|tmp| std::fs::remove_file(tmp).is_ok())
        .collect()
}

impl Vh5File {
    /// Version groups never marked committed that nothing reaches: no
    /// committed version names one as its parent. Every write asks, so the
    /// flags are read from the file's bytes (one link iteration, then each
    /// group's header), through HDF5 only where the bytes do not tell.
    pub fn uncommitted_versions(&self) -> Result<Vec<Version>> {
        if !self.is_versioned() || !self.any_uncommitted()? {
            return Ok(Vec::new());
        }
        let graph = self.graph()?;
        let named_as_parent =
            |name: &str| graph.committed().any(|v| v.prev.as_deref() == Some(name));
        Ok(graph
            .all()
            .iter()
            .filter(|v| !v.committed && !named_as_parent(&v.name))
            .cloned()
            .collect())
    }

    /// Whether some version group is not marked committed.
    fn any_uncommitted(&self) -> Result<bool> {
        let versions = self.versions_group()?;
        // Nothing is written yet: the bytes on disk are the file's state.
        let reader = RawFile::open(&self.path).ok();
        let links: Vec<(String, Option<u64>)> = h5::link_addresses(versions.id())?
            .into_iter()
            .filter(|(name, _)| name != FIRST_VERSION)
            .collect();
        // A thousand headers on this thread: a second one (its start, its
        // fresh malloc arena) cost more than it saved, and a commit's other
        // core is populating the heap for HDF5 meanwhile (`prefault`).
        let from_bytes = links.iter().map(|(_, addr)| match (&reader, addr) {
            (Some(r), Some(a)) => committed_from_bytes(r, *a),
            _ => None,
        });
        for ((name, _), from_bytes) in links.iter().zip(from_bytes) {
            let committed = match from_bytes {
                Some(c) => c,
                None => attrs::bool_attr_of(&versions, name, attr::COMMITTED)?.unwrap_or(false),
            };
            if !committed {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Removes the never-committed version groups and stale temporary files
    /// (a writable handle: its lock keeps other writers out). A current
    /// version among the removed groups (versioned-hdf5 names the new
    /// version current before writing it) falls back to its parent.
    pub fn remove_debris(&mut self) -> Result<Debris> {
        let mut debris = Debris::default();
        let uncommitted = self.uncommitted_versions()?;
        if !uncommitted.is_empty() {
            let versions = self.versions_group()?;
            let current = self.current_version_name()?;
            if let Some(v) = uncommitted
                .iter()
                .find(|v| Some(&v.name) == current.as_ref())
            {
                let parent = committed_ancestor(self, v.prev.clone())?;
                let text = parent.as_deref().unwrap_or(FIRST_VERSION);
                h5write::write_string_attr(
                    Target::this(versions.id()),
                    attr::CURRENT_VERSION,
                    text,
                )?;
                debris.current_reset = Some(parent);
            }
            for v in &uncommitted {
                versions.unlink(&v.name)?;
                debris.uncommitted.push(v.name.clone());
            }
            self.h5.flush()?;
            self.forget_graph();
        }
        debris.temp_files = remove_stale_temp_files(&self.path);
        Ok(debris)
    }
}

/// The nearest committed version along `prev_version` from `name`.
fn committed_ancestor(file: &Vh5File, mut name: Option<String>) -> Result<Option<String>> {
    let graph = file.graph()?;
    let mut steps = 0;
    while let Some(n) = name {
        match graph.get(&n) {
            Some(v) if v.committed => return Ok(Some(n)),
            Some(v) if steps < graph.all().len() => name = v.prev.clone(),
            _ => return Ok(None),
        }
        steps += 1;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_round_trip() {
        let p = Path::new("/d/data.h5");
        let t = temp_path(p, 4242);
        assert_eq!(t, Path::new("/d/.data.h5.vh5-4242.tmp"));
        let name = t.file_name().unwrap().to_str().unwrap();
        assert_eq!(temp_owner(p, name), Some(4242));
        assert_eq!(temp_owner(p, ".data.h5.vh5-x1.tmp"), None);
        assert_eq!(temp_owner(p, ".other.h5.vh5-1.tmp"), None);
        assert_eq!(
            temp_path(Path::new("f.h5"), 1),
            Path::new("./.f.h5.vh5-1.tmp")
        );
    }

    #[test]
    fn this_process_is_alive() {
        assert!(process_alive(std::process::id()));
        assert!(!process_alive(0));
    }
}
