//! The write side of the browser: one file, read through one read-only
//! handle, with at most one stage of edits on one base version, and the
//! writes (commit, history).
//!
//! HDF5 shares one open file per process and refuses to open it
//! read-write while it is open read-only, so every write closes the read
//! handle, writes, and reopens it; the stage is then applied again to the
//! file as it now is. A refused write (another program holds the file, the
//! name is taken, the file changed on disk since the edits were staged)
//! leaves the staged edits as they were and says why in one line.
//!
//! When another program changes the file, the staged edits are applied
//! again to the new file (`follow_disk`): the base is a committed version,
//! which nothing changes in place, so they usually mean what they meant;
//! when they do not, or no longer apply, commits are refused.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::chunkmap::ChunkMap;
use super::commit::{self, check_version_name, CommitOptions, CommitSummary};
use super::edit::{Edit, EditId, PendingRow};
use super::error::{bad_input, Error, Result};
use super::h5::Block;
use super::progress::{Cancel, ProgressFn};
use super::replay::{self, MetadataChange};
use super::stage::Stage;
use super::tree::NodeKind;
use super::versions::{Version, VersionSpec};
use super::Vh5File;

/// What deleting versions would do, worked out before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletePlan {
    /// The versions that go, sorted.
    pub versions: Vec<String>,
    /// Stored chunks no surviving version uses: reclaimed.
    pub chunks_freed: usize,
    /// Their bytes (chunk extent × item size, as `vh5 stats` counts).
    pub bytes_freed: u64,
    /// The current version afterwards (`None`: no version is current).
    pub current_after: Option<String>,
}

pub struct Session {
    path: PathBuf,
    /// `None` while the file cannot be opened (another program is writing it).
    file: Option<Vh5File>,
    /// `None` or empty: nothing staged.
    stage: Option<Stage>,
    /// Why the staged edits cannot be committed as they are.
    hold: Option<Hold>,
}

/// The file changed on disk under staged edits.
#[derive(Debug, Clone)]
enum Hold {
    /// They were staged again on the new file: the next commit is refused
    /// once, so that the user looks before writing.
    Restaged(String),
    /// They no longer apply: commits and new edits are refused until undo
    /// or discard leaves edits that do.
    Broken(String),
}

impl Session {
    pub fn open(path: &Path) -> Result<Session> {
        Ok(Session {
            path: path.to_path_buf(),
            file: Some(Vh5File::open(path)?),
            stage: None,
            hold: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The read-only handle.
    pub fn file(&self) -> Result<&Vh5File> {
        self.file.as_ref().ok_or_else(busy)
    }

    /// The staged edits, if any.
    pub fn stage(&self) -> Option<&Stage> {
        self.stage.as_ref().filter(|s| !s.is_empty())
    }

    /// The stage when it is based on `version`: reads of that version go
    /// through it.
    pub fn stage_for(&self, version: &str) -> Option<&Stage> {
        self.stage()
            .filter(|s| s.base().is_some_and(|b| b.name == version))
    }

    /// The version the staged edits are based on.
    pub fn staged_on(&self) -> Option<&str> {
        self.stage().and_then(|s| s.base()).map(|b| b.name.as_str())
    }

    /// Every staged edit, oldest first.
    pub fn pending(&self) -> Vec<PendingRow> {
        self.stage().map(Stage::pending).unwrap_or_default()
    }

    /// Whether another program changed the file since it was opened here.
    pub fn stale(&self) -> bool {
        self.file.as_ref().is_none_or(Vh5File::changed_on_disk)
    }

    /// Reopens the file if another program changed it; `true` when it did
    /// (everything read before is stale). Staged edits are staged again on
    /// the file as it is now; when that changes what they do (their rows
    /// differ) the next commit is refused once, and when they no longer
    /// apply, commits are refused until undo or discard.
    pub fn follow_disk(&mut self) -> bool {
        if !self.stale() {
            return false;
        }
        let before = self.pending();
        self.reopen();
        if self.file.is_some() && self.stage().is_some() {
            self.hold = match self.restage(None) {
                Ok(()) if self.pending() == before => None,
                Ok(()) => Some(Hold::Restaged(
                    "the file changed on disk since the edits were staged, and they now \
                     change it differently: check them and commit again"
                        .into(),
                )),
                Err(e) => Some(Hold::Broken(format!(
                    "the file changed on disk and the staged edits no longer apply ({}); \
                     undo or discard them",
                    e.message
                ))),
            };
        }
        self.file.is_some()
    }

    /// Closes the read handle (HDF5 shares one open file per process) and
    /// opens it again.
    fn reopen(&mut self) {
        self.file = None;
        self.file = Vh5File::open(&self.path).ok();
    }

    /// Applies the staged edits again to the file as it is now, the base
    /// renamed when `renamed` says so (old name, new name).
    fn restage(&mut self, renamed: Option<(&str, &str)>) -> Result<()> {
        let Some(stage) = self.stage.as_ref().filter(|s| !s.is_empty()) else {
            return Ok(());
        };
        let rename = |name: &str| match renamed {
            Some((old, new)) if old == name => new.to_string(),
            _ => name.to_string(),
        };
        let file = self.file()?;
        let base = match stage.base() {
            Some(b) => Some(
                file.version(&rename(&b.name))?
                    .filter(|v| v.committed)
                    .ok_or_else(|| Error::bad_input(format!("version {} is gone", b.name)))?,
            ),
            None => None,
        };
        let fresh = stage.rebased(file, base, renamed)?;
        self.stage = Some(fresh);
        Ok(())
    }

    fn require_versioned(&self) -> Result<&Vh5File> {
        let file = self.file()?;
        if !file.is_versioned() {
            bad_input!(
                "{}: not a versioned file; plain HDF5 files are read-only in vh5",
                self.path.display()
            );
        }
        Ok(file)
    }

    /// Stages an edit on `base` (a version name). Refused when edits are
    /// staged on another version.
    pub fn apply(&mut self, base: &str, edit: Edit) -> Result<PendingRow> {
        let file = self.require_versioned()?;
        if let Some(Hold::Broken(why)) = &self.hold {
            return Err(Error::bad_input(why.clone()));
        }
        let fresh = match self.staged_on() {
            Some(on) if on != base => bad_input!(
                "edits are staged on version {on}: commit or discard them before editing {base}"
            ),
            Some(_) => None,
            None => Some(file.resolve_version(Some(&VersionSpec::Name(base.to_string())))?),
        };
        if let Some(v) = fresh {
            self.stage = Some(Stage::new(Some(v)));
            self.hold = None;
        }
        let file = self.file.as_ref().ok_or_else(busy)?;
        let stage = self.stage.as_mut().expect("made above");
        let id = stage.apply(file, edit)?;
        Ok(stage
            .pending()
            .into_iter()
            .find(|r| r.id == id)
            .expect("just staged"))
    }

    /// Undoes the newest staged edit; `None` when nothing is staged.
    pub fn undo_last(&mut self) -> Result<Option<PendingRow>> {
        let file = self.file.as_ref().ok_or_else(busy)?;
        let Some(stage) = self.stage.as_mut() else {
            return Ok(None);
        };
        let row = stage.undo_last(file)?;
        self.settled();
        Ok(row)
    }

    /// Discards one staged edit (refused when a later one needs it).
    pub fn discard(&mut self, id: EditId) -> Result<PendingRow> {
        let file = self.file.as_ref().ok_or_else(busy)?;
        let Some(stage) = self.stage.as_mut() else {
            bad_input!("no staged edit {id}");
        };
        let row = stage.discard(file, id)?;
        self.settled();
        Ok(row)
    }

    /// Discards every staged edit; returns how many there were.
    pub fn discard_all(&mut self) -> usize {
        let n = self.pending().len();
        self.stage = None;
        self.hold = None;
        n
    }

    /// After the stage was applied again to the file as it is: whatever
    /// held it is over.
    fn settled(&mut self) {
        if matches!(self.hold, Some(Hold::Broken(_))) || self.stage().is_none() {
            self.hold = None;
        }
    }

    /// Runs a write: the read handle closed, `f` on the path, the file
    /// reopened. Cancelled before `f` starts, nothing is written.
    fn write<T>(&mut self, cancel: Cancel, f: impl FnOnce(&Path) -> Result<T>) -> Result<T> {
        self.require_versioned()?;
        if cancel() {
            return Err(Error::cancelled());
        }
        self.file = None;
        let result = f(&self.path);
        self.reopen();
        result
    }

    /// Refuses history rewrites under staged edits: they move every
    /// chunk the edits were staged against.
    fn require_nothing_staged(&self, what: &str) -> Result<()> {
        if let Some(on) = self.staged_on() {
            bad_input!(
                "{} edit(s) are staged on version {on}: commit or discard them before {what}",
                self.pending().len()
            );
        }
        Ok(())
    }

    /// Commits the staged edits as a new version whose parent is their
    /// base. Refused (the edits kept): nothing staged, a name taken, the file
    /// changed on disk since the edits were staged, another program holding
    /// the file. The point of no return is opening the file for writing.
    pub fn commit(
        &mut self,
        opts: &CommitOptions,
        progress: ProgressFn,
        cancel: Cancel,
    ) -> Result<CommitSummary> {
        self.require_versioned()?;
        if self.stage().is_none() {
            bad_input!("nothing is staged");
        }
        if self.stale() {
            self.follow_disk();
        }
        match self.hold.take() {
            Some(Hold::Restaged(why)) => return Err(Error::bad_input(why)),
            Some(Hold::Broken(why)) => {
                self.hold = Some(Hold::Broken(why.clone()));
                return Err(Error::bad_input(why));
            }
            None => {}
        }
        check_version_name(self.file()?, &opts.name)?;
        let stage = self.stage.take().expect("checked above");
        let summary = self.write(cancel, |path| commit::commit(path, &stage, opts, progress));
        match summary {
            Ok(s) => Ok(s),
            Err(e) => {
                // The stage stays; staged again on the file as it is now.
                self.stage = Some(stage);
                if let Err(again) = self.restage(None) {
                    self.hold = Some(Hold::Broken(again.message));
                }
                Err(e)
            }
        }
    }

    /// What deleting `versions` would do: which versions go, how many
    /// stored chunks and bytes no surviving version uses, and the current
    /// version afterwards. Reads chunk maps only (`region_use`).
    pub fn delete_plan(&self, versions: &[String], cancel: Cancel) -> Result<DeletePlan> {
        let file = self.require_versioned()?;
        let graph = file.graph()?;
        let mut names: Vec<String> = Vec::new();
        for name in versions {
            match graph.get(name) {
                Some(v) if v.committed => names.push(v.name.clone()),
                _ => bad_input!("unknown version {name:?}"),
            }
        }
        names.sort();
        names.dedup();
        if names.is_empty() {
            bad_input!("no versions given");
        }
        // Per dataset path, per region: how many deleted versions use it.
        let mut used: HashMap<String, HashMap<Block, u32>> = HashMap::new();
        for name in &names {
            let v = graph.get(name).expect("checked above");
            for node in file.walk(v, "/")? {
                if node.kind != NodeKind::Dataset {
                    continue;
                }
                if cancel() {
                    return Err(Error::cancelled());
                }
                let Some(map) = file.chunk_map_of(name, &node.path)? else {
                    continue;
                };
                let regions = used.entry(node.path.clone()).or_default();
                for block in distinct_regions(&map) {
                    *regions.entry(block).or_default() += 1;
                }
            }
        }
        let (mut chunks_freed, mut bytes_freed) = (0, 0u64);
        for (path, regions) in &used {
            let users = file.region_use(path, cancel)?;
            let item = file
                .storage_meta(path)?
                .map_or(0, |m| m.dtype.size() as u64);
            for (block, n) in regions {
                if users.users(block) <= *n {
                    chunks_freed += 1;
                    bytes_freed += block.count.iter().product::<usize>() as u64 * item;
                }
            }
        }
        let deleted = |n: &str| names.iter().any(|d| d == n);
        let mut current_after = file.current_version_name()?;
        while let Some(c) = current_after.clone().filter(|c| deleted(c)) {
            current_after = graph.get(&c).and_then(|v| v.prev.clone());
        }
        Ok(DeletePlan {
            versions: names,
            chunks_freed,
            bytes_freed,
            current_after,
        })
    }

    /// Deletes versions as versioned-hdf5's `delete_versions` does.
    /// Cancelled before the new file replaces the old one, nothing changed.
    pub fn delete_versions(
        &mut self,
        versions: &[String],
        progress: ProgressFn,
        cancel: Cancel,
    ) -> Result<Vec<String>> {
        self.require_nothing_staged("deleting versions")?;
        let specs: Vec<VersionSpec> = versions
            .iter()
            .map(|v| VersionSpec::Name(v.clone()))
            .collect();
        self.write(cancel, |path| {
            replay::delete_versions(path, &specs, progress, cancel)
        })
    }

    /// Rewrites a dataset in every version with new metadata.
    pub fn modify_metadata(
        &mut self,
        dataset: &str,
        change: &MetadataChange,
        progress: ProgressFn,
        cancel: Cancel,
    ) -> Result<()> {
        self.require_nothing_staged("modifying metadata")?;
        self.write(cancel, |path| {
            replay::modify_metadata(path, dataset, change, progress, cancel)
        })
    }

    /// Renames a version; edits staged on it follow it.
    pub fn rename_version(&mut self, old: &str, new: &str) -> Result<()> {
        self.write(&super::progress::never, |path| {
            replay::rename_version(path, old, new)
        })?;
        if let Err(e) = self.restage(Some((old, new))) {
            self.hold = Some(Hold::Broken(e.message));
        }
        Ok(())
    }

    /// Makes a version the current one.
    pub fn set_current(&mut self, version: &str) -> Result<Version> {
        let spec = VersionSpec::Name(version.to_string());
        let v = self.write(&super::progress::never, |path| {
            commit::set_current(path, &spec)
        })?;
        if let Err(e) = self.restage(None) {
            self.hold = Some(Hold::Broken(e.message));
        }
        Ok(v)
    }
}

fn busy() -> Error {
    Error::runtime("another program is writing the file; retrying")
}

/// The regions a map uses, each once.
fn distinct_regions(map: &ChunkMap) -> Vec<Block> {
    let mut blocks: Vec<Block> = map.iter().map(|(_, b)| b).collect();
    blocks.sort_by(|a, b| (&a.start, &a.count).cmp(&(&b.start, &b.count)));
    blocks.dedup();
    blocks
}
