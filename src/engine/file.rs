//! Opening a file: plain HDF5 or versioned-hdf5, always read-only here.

use std::cell::{OnceCell, RefCell};
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use hdf5::{Group, OpenMode};

use super::attrs;
use super::chunkmemo::ChunkIndex;
use super::error::{Error, Result};
use super::h5;
use super::layout::{self, attr, DATA_VERSION, FIRST_VERSION, VERSIONS, VERSION_DATA};
use super::versions::{Version, VersionGraph, PLAIN_VERSION};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A file without `_version_data`: one implicit version named `.`.
    Plain,
    Versioned {
        data_version: i64,
    },
}

/// An open HDF5 file and what the engine learned about it.
pub struct Vh5File {
    pub path: PathBuf,
    pub(crate) h5: hdf5::File,
    pub kind: FileKind,
    graph: OnceCell<VersionGraph>,
    /// `/_version_data/versions`, opened once (every version lookup starts
    /// there).
    versions: OnceCell<Group>,
    writable: bool,
    /// The file on disk when it was opened.
    stamp: Option<DiskStamp>,
    /// Recently used `raw_data` datasets.
    raw_handles: Recent<hdf5::Dataset>,
    /// Recently used version groups: lookups below them skip the walk
    /// from `/` through `_version_data/versions`.
    version_roots: Recent<Group>,
    /// Chunk maps and region counts read so far (read-only handles only).
    pub(crate) index: ChunkIndex,
}

/// Per open `raw_data`: HDF5's cache of inflated chunks (slots: a prime
/// well above the chunks that fit).
const CHUNK_CACHE_SLOTS: usize = 12_421;
const CHUNK_CACHE_BYTES: usize = 16 << 20;
/// Open `raw_data` datasets kept, each with its chunk cache.
const RAW_HANDLES: usize = 8;
/// Open version groups kept (a diff needs two, the browser a few).
const VERSION_ROOTS: usize = 4;

/// A few recently used HDF5 handles by name, most recent first.
struct Recent<T> {
    items: RefCell<Vec<(String, T)>>,
    capacity: usize,
}

impl<T: Clone> Recent<T> {
    fn new(capacity: usize) -> Self {
        Recent {
            items: RefCell::new(Vec::new()),
            capacity,
        }
    }

    /// The handle kept under `key`, else `open`'s, kept when `keep`.
    fn get(&self, key: &str, keep: bool, open: impl FnOnce() -> Result<T>) -> Result<T> {
        let mut items = self.items.borrow_mut();
        if let Some(i) = items.iter().position(|(k, _)| k == key) {
            let entry = items.remove(i);
            items.insert(0, entry);
            return Ok(items[0].1.clone());
        }
        let handle = open()?;
        if keep {
            items.insert(0, (key.to_string(), handle.clone()));
            items.truncate(self.capacity);
        }
        Ok(handle)
    }
}

const HDF5_SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

impl Vh5File {
    /// Opens read-only. Refuses missing and non-HDF5 files and data versions
    /// versioned-hdf5 itself refuses, each with one clear message.
    pub fn open(path: impl AsRef<Path>) -> Result<Vh5File> {
        Vh5File::open_mode(path.as_ref(), false)
    }

    /// Opens for writing (commit and replay only). HDF5's file locking
    /// refuses a second writer; that becomes one clear message.
    pub fn open_rw(path: impl AsRef<Path>) -> Result<Vh5File> {
        Vh5File::open_mode(path.as_ref(), true)
    }

    fn open_mode(path: &Path, write: bool) -> Result<Vh5File> {
        check_looks_like_hdf5(path)?;
        super::watchdog::note_file(path);
        // A chunk read once stays inflated for the next version that shares
        // it. Reading takes no file lock, so that no reader ever keeps a
        // writer out; readers notice a writer's change (`changed_on_disk`).
        let stamp = DiskStamp::of(path);
        let opened = hdf5::File::with_options()
            .with_fapl(|p| {
                p.chunk_cache(CHUNK_CACHE_SLOTS, CHUNK_CACHE_BYTES, 0.75)
                    .file_locking(write)
            })
            .open_as(
                path,
                if write {
                    OpenMode::ReadWrite
                } else {
                    OpenMode::Read
                },
            );
        let h5 = opened
            .map_err(|e| open_error(path, e, if write { "for writing" } else { "as HDF5" }))?;
        let (kind, versions) = detect_kind(&h5).map_err(|e| e.context(path.display()))?;
        Ok(Vh5File {
            path: path.to_path_buf(),
            h5,
            kind,
            graph: OnceCell::new(),
            versions: versions.map(OnceCell::from).unwrap_or_default(),
            writable: write,
            stamp,
            raw_handles: Recent::new(RAW_HANDLES),
            version_roots: Recent::new(VERSION_ROOTS),
            index: ChunkIndex::default(),
        })
    }

    /// Whether another program changed the file since it was opened here
    /// (what was read may be stale: reopen it).
    pub fn changed_on_disk(&self) -> bool {
        DiskStamp::of(&self.path) != self.stamp
    }

    /// Whether what is read may be remembered: a writable handle's file
    /// changes under it.
    pub(crate) fn caches(&self) -> bool {
        !self.writable
    }

    pub fn is_versioned(&self) -> bool {
        matches!(self.kind, FileKind::Versioned { .. })
    }

    pub(crate) fn versions_group(&self) -> Result<Group> {
        if let Some(group) = self.versions.get() {
            return Ok(group.clone());
        }
        let group = self.h5.group(&layout::versions_path())?;
        Ok(self.versions.get_or_init(|| group).clone())
    }

    /// Every version, loaded once on first use (reads three attributes per
    /// version; single-version lookups by name avoid it).
    pub fn graph(&self) -> Result<&VersionGraph> {
        if let Some(g) = self.graph.get() {
            return Ok(g);
        }
        let graph = match self.kind {
            FileKind::Plain => VersionGraph::plain(),
            FileKind::Versioned { .. } => {
                VersionGraph::load(&self.versions_group()?, self.raw_reader())?
            }
        };
        Ok(self.graph.get_or_init(|| graph))
    }

    /// Drops the loaded version graph after a write changed the versions.
    pub(crate) fn forget_graph(&mut self) {
        self.graph = OnceCell::new();
    }

    /// The stored `current_version`, `None` for `__first_version__`.
    pub fn current_version_name(&self) -> Result<Option<String>> {
        match self.kind {
            FileKind::Plain => Ok(Some(PLAIN_VERSION.to_string())),
            FileKind::Versioned { .. } => {
                let versions = self.versions_group()?;
                let name = attrs::string_attr(&versions, attr::CURRENT_VERSION)?;
                Ok(name.filter(|n| n != FIRST_VERSION && !n.is_empty()))
            }
        }
    }

    /// Reads one version's record without loading the whole graph.
    pub fn version(&self, name: &str) -> Result<Option<Version>> {
        if let Some(g) = self.graph.get() {
            return Ok(g.get(name).cloned());
        }
        match self.kind {
            FileKind::Plain => Ok(VersionGraph::plain().get(name).cloned()),
            FileKind::Versioned { .. } => {
                let versions = self.versions_group()?;
                if name == FIRST_VERSION || name.is_empty() {
                    return Ok(None);
                }
                let reader = self.raw_reader();
                let header = match reader {
                    // One lookup tells both whether it exists and where.
                    Some(_) => match h5::object_addr(versions.id(), name)? {
                        Some((addr, _)) => Some(addr),
                        None => return Ok(None),
                    },
                    None if !versions.link_exists(name) => return Ok(None),
                    None => None,
                };
                Version::read_at(&versions, name, reader, header).map(Some)
            }
        }
    }

    /// The `raw_data` dataset at an absolute path, kept open (a few at a
    /// time) so that its chunk cache serves every version that reads it.
    pub(crate) fn raw_data(&self, raw_path: &str) -> Result<hdf5::Dataset> {
        self.raw_handles.get(raw_path, self.caches(), || {
            self.h5
                .dataset(raw_path)
                .map_err(|_| Error::bad_file(format!("its raw data {raw_path} is missing")))
        })
    }

    /// The HDF5 group holding a version's tree.
    pub(crate) fn version_root(&self, version: &str) -> Result<Group> {
        match self.kind {
            FileKind::Plain => Ok(self.h5.group("/")?),
            FileKind::Versioned { .. } => self.version_roots.get(version, self.caches(), || {
                Ok(self.versions_group()?.group(version)?)
            }),
        }
    }
}

/// What tells one state of a file on disk from the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DiskStamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    inode: u64,
}

impl DiskStamp {
    fn of(path: &Path) -> Option<DiskStamp> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).ok()?;
        Some(DiskStamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode: meta.ino(),
        })
    }
}

/// A file another program holds open for writing is a runtime condition
/// (try again later); anything else means the file itself is unreadable.
fn open_error(path: &Path, e: hdf5::Error, how: &str) -> Error {
    let text = Error::from(e).message;
    if text.contains("unable to lock file") {
        Error::runtime(format!(
            "{}: the file is in use by another program (HDF5 file lock); close it and retry",
            path.display()
        ))
    } else {
        Error::bad_file(format!("{}: cannot open {how} ({text})", path.display()))
    }
}

fn check_looks_like_hdf5(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::bad_file(format!("{}: {}", path.display(), io_reason(&e))))?;
    if !meta.is_file() {
        return Err(Error::bad_file(format!(
            "{}: not a regular file",
            path.display()
        )));
    }
    // HDF5 allows the superblock at 0, 512, 1024, ...; check those offsets
    // so that a text file gets a plain "not an HDF5 file" message.
    let mut f = std::fs::File::open(path)
        .map_err(|e| Error::bad_file(format!("{}: {}", path.display(), io_reason(&e))))?;
    // Nearly always at 0: 8 bytes tell.
    let mut head = vec![0u8; HDF5_SIGNATURE.len()];
    if f.read_exact(&mut head).is_ok() && head == HDF5_SIGNATURE {
        return Ok(());
    }
    head.clear();
    f.seek(std::io::SeekFrom::Start(0)).ok();
    f.by_ref().take(1 << 16).read_to_end(&mut head).ok();
    let found = (0..)
        .map(|k: u32| if k == 0 { 0 } else { 512usize << (k - 1) })
        .take_while(|&off| off + 8 <= head.len())
        .any(|off| &head[off..off + 8] == HDF5_SIGNATURE);
    if !found && meta.len() < (1 << 16) {
        return Err(Error::bad_file(format!(
            "{}: not an HDF5 file",
            path.display()
        )));
    }
    Ok(())
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// The file's kind, and its versions group when it is versioned.
fn detect_kind(h5: &hdf5::File) -> Result<(FileKind, Option<Group>)> {
    if !h5.link_exists(VERSION_DATA) {
        return Ok((FileKind::Plain, None));
    }
    let version_data = h5.group(VERSION_DATA)?;
    if !version_data.link_exists(VERSIONS) {
        return Ok((FileKind::Plain, None));
    }
    let versions = version_data.group(VERSIONS)?;
    let data_version = attrs::int_attr(&versions, attr::DATA_VERSION)?.unwrap_or(1);
    match data_version {
        2 | 3 => Err(Error::bad_file(format!(
            "data_version {data_version}: this file's hash tables are corrupt \
             (written by versioned-hdf5 1.4/1.5); rebuild them with \
             versioned-hdf5's rebuild_hashtables() first"
        ))),
        v if v > DATA_VERSION => Err(Error::bad_file(format!(
            "data_version {v}: written by a later version of versioned-hdf5 \
             (this vh5 reads up to {DATA_VERSION})"
        ))),
        v => Ok((FileKind::Versioned { data_version: v }, Some(versions))),
    }
}
