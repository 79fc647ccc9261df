//! Verifying a versioned file, as `git fsck` verifies a repository:
//! every stored chunk read back once (by slot, however many versions share
//! it), decompressed by HDF5 and re-hashed with versioned-hdf5's rule
//! against its hash-table row; the version graph; every mapping of every
//! committed version against its `raw_data` and hash table; and the
//! leftovers of interrupted writes (`debris`). Reads only.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use super::chunkindex::stand_in;
use super::codec::{leading_box, Pipeline};
use super::debris::stale_temp_files;
use super::dtype::Dtype;
use super::error::{Error, Result};
use super::file::Vh5File;
use super::h5::{self, Block};
use super::hash::{digest, ChunkDigest};
use super::layout::{self, HashRow, HASH_TABLE};
use super::pool::pipelined;
use super::progress::{Cancel, Progress, ProgressFn};
use super::storage::{self, StorageGroup};
use super::tree::NodeKind;
use super::value::ValueGrid;
use super::versions::VersionGraph;

/// A version that reads a slot, and at which chunk positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    pub version: String,
    pub chunks: Vec<Vec<usize>>,
}

/// A hash-table row and the `raw_data` rows it claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowSpan {
    pub row: usize,
    pub start: i64,
    pub stop: i64,
}

/// One thing wrong with a file. Damage comes first; the last three are
/// leftovers of interrupted writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A stored chunk whose content no longer matches its hash-table row.
    HashMismatch {
        dataset: String,
        slot: usize,
        readers: Vec<Reader>,
    },
    /// A stored chunk HDF5 cannot read back (it does not decompress).
    UnreadableChunk {
        dataset: String,
        slot: usize,
        readers: Vec<Reader>,
        reason: String,
    },
    /// Hash-table rows claiming `raw_data` rows past its end.
    HashRowOutsideRawData {
        dataset: String,
        rows: Vec<RowSpan>,
        raw_rows: usize,
    },
    /// Hash-table rows that do not describe one slot.
    MalformedHashRow { dataset: String, rows: Vec<RowSpan> },
    /// Two rows claiming one slot with different digests.
    ConflictingHashRows {
        dataset: String,
        slot: usize,
        rows: Vec<usize>,
    },
    /// A version whose `prev_version` does not exist (or was never committed).
    MissingParent {
        version: String,
        parent: String,
        uncommitted: bool,
    },
    /// Versions whose `prev_version` links go round in a circle.
    VersionCycle { versions: Vec<String> },
    /// `current_version` names a version that does not exist (or was never committed).
    MissingCurrentVersion { name: String, uncommitted: bool },
    /// Mappings of a version reading past the end of `raw_data`.
    MappingOutsideRawData {
        dataset: String,
        version: String,
        chunks: Vec<Vec<usize>>,
    },
    /// Mappings of a version reading rows no hash-table row describes.
    MappingWithoutHashRow {
        dataset: String,
        version: String,
        chunks: Vec<Vec<usize>>,
    },
    /// A version dataset reading a `raw_data` that does not exist.
    MissingRawData {
        dataset: String,
        version: String,
        raw_data: String,
    },
    /// Something the check could not read at all.
    Unreadable {
        what: String,
        version: Option<String>,
        dataset: Option<String>,
        reason: String,
    },
    /// A storage group with `raw_data` or `hash_table` but not both.
    IncompleteStorage {
        dataset: String,
        missing: &'static str,
    },
    /// A version group never marked committed (a commit killed part-way).
    UncommittedVersion { version: String },
    /// Slots of `raw_data` no committed version reads, and their stored bytes.
    OrphanedSlots {
        dataset: String,
        slots: Vec<usize>,
        bytes: u64,
    },
    /// A rewrite's temporary file whose process is gone.
    StaleTemporaryFile { file: PathBuf, bytes: u64 },
}

impl Problem {
    /// The `kind` of `check --json`.
    pub fn kind(&self) -> &'static str {
        match self {
            Problem::HashMismatch { .. } => "hash_mismatch",
            Problem::UnreadableChunk { .. } => "unreadable_chunk",
            Problem::HashRowOutsideRawData { .. } => "hash_row_outside_raw_data",
            Problem::MalformedHashRow { .. } => "malformed_hash_row",
            Problem::ConflictingHashRows { .. } => "conflicting_hash_rows",
            Problem::MissingParent { .. } => "missing_parent",
            Problem::VersionCycle { .. } => "version_cycle",
            Problem::MissingCurrentVersion { .. } => "missing_current_version",
            Problem::MappingOutsideRawData { .. } => "mapping_outside_raw_data",
            Problem::MappingWithoutHashRow { .. } => "mapping_without_hash_row",
            Problem::MissingRawData { .. } => "missing_raw_data",
            Problem::Unreadable { .. } => "unreadable",
            Problem::IncompleteStorage { .. } => "incomplete_storage",
            Problem::UncommittedVersion { .. } => "uncommitted_version",
            Problem::OrphanedSlots { .. } => "orphaned_slots",
            Problem::StaleTemporaryFile { .. } => "stale_temporary_file",
        }
    }

    /// One line saying what is wrong and where.
    pub fn message(&self) -> String {
        match self {
            Problem::HashMismatch {
                dataset,
                slot,
                readers,
            } => format!(
                "{dataset}: stored chunk in slot {slot} does not match its hash ({})",
                readers_text(readers)
            ),
            Problem::UnreadableChunk {
                dataset,
                slot,
                readers,
                reason,
            } => format!(
                "{dataset}: stored chunk in slot {slot} cannot be read back ({}): {reason}",
                readers_text(readers)
            ),
            Problem::HashRowOutsideRawData {
                dataset,
                rows,
                raw_rows,
            } => format!(
                "{dataset}: {} outside raw_data ({raw_rows} rows): {}",
                plural(rows.len(), "hash-table row points", "hash-table rows point"),
                spans_text(rows)
            ),
            Problem::MalformedHashRow { dataset, rows } => format!(
                "{dataset}: {} no single slot: {}",
                plural(rows.len(), "hash-table row describes", "hash-table rows describe"),
                spans_text(rows)
            ),
            Problem::ConflictingHashRows {
                dataset,
                slot,
                rows,
            } => format!("{dataset}: hash-table rows {rows:?} claim slot {slot} with different hashes"),
            Problem::MissingParent {
                version,
                parent,
                uncommitted,
            } => match uncommitted {
                true => format!("version {version}: its parent {parent} was never committed"),
                false => format!("version {version}: its parent {parent} does not exist"),
            },
            Problem::VersionCycle { versions } => format!(
                "versions {} are their own ancestors (prev_version links form a cycle)",
                versions.join(", ")
            ),
            Problem::MissingCurrentVersion { name, uncommitted } => match uncommitted {
                true => format!("the current version {name} was never committed"),
                false => format!("the current version {name} does not exist"),
            },
            Problem::MappingOutsideRawData {
                dataset,
                version,
                chunks,
            } => format!(
                "{dataset} in version {version}: {} past the end of raw_data (chunk {})",
                plural(chunks.len(), "chunk reads", "chunks read"),
                chunks_text(chunks)
            ),
            Problem::MappingWithoutHashRow {
                dataset,
                version,
                chunks,
            } => format!(
                "{dataset} in version {version}: {} rows no hash-table row describes (chunk {})",
                plural(chunks.len(), "chunk reads", "chunks read"),
                chunks_text(chunks)
            ),
            Problem::MissingRawData {
                dataset,
                version,
                raw_data,
            } => format!("{dataset} in version {version}: reads {raw_data}, which does not exist"),
            Problem::Unreadable { what, reason, .. } => format!("{what}: cannot be read: {reason}"),
            Problem::IncompleteStorage { dataset, missing } => {
                format!("{dataset}: its storage has no {missing} (a first commit of it stopped part-way)")
            }
            Problem::UncommittedVersion { version } => format!(
                "version group {version} was never committed (a commit stopped part-way; check --repair removes it)"
            ),
            Problem::OrphanedSlots {
                dataset,
                slots,
                bytes,
            } => format!(
                "{dataset}: {} no version reads ({bytes} bytes stored; compact gives them back)",
                plural(slots.len(), "slot", "slots")
            ),
            Problem::StaleTemporaryFile { file, bytes } => format!(
                "{}: temporary file of an interrupted rewrite ({bytes} bytes; check --repair removes it)",
                file.display()
            ),
        }
    }

    /// Whether `check --repair` (and every write) removes it.
    pub fn is_debris(&self) -> bool {
        matches!(
            self,
            Problem::UncommittedVersion { .. } | Problem::StaleTemporaryFile { .. }
        )
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

/// How many names a message lists before "…".
const LISTED: usize = 4;

fn readers_text(readers: &[Reader]) -> String {
    if readers.is_empty() {
        return "read by no version".into();
    }
    let mut parts: Vec<String> = readers
        .iter()
        .take(LISTED)
        .map(|r| format!("{} at {}", r.version, chunks_text(&r.chunks)))
        .collect();
    if readers.len() > LISTED {
        parts.push(format!("and {} more versions", readers.len() - LISTED));
    }
    format!("read by {}", parts.join("; "))
}

fn chunks_text(chunks: &[Vec<usize>]) -> String {
    let mut parts: Vec<String> = chunks
        .iter()
        .take(LISTED)
        .map(|c| format!("{c:?}"))
        .collect();
    if chunks.len() > LISTED {
        parts.push("…".into());
    }
    parts.join(", ")
}

fn spans_text(rows: &[RowSpan]) -> String {
    let mut parts: Vec<String> = (rows.iter().take(LISTED))
        .map(|r| format!("row {} [{}, {})", r.row, r.start, r.stop))
        .collect();
    if rows.len() > LISTED {
        parts.push("…".into());
    }
    parts.join(", ")
}

/// What a check looked at and what it found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// `false`: a plain HDF5 file, nothing versioned to check.
    pub versioned: bool,
    pub versions_checked: usize,
    /// `raw_data` datasets.
    pub datasets_checked: usize,
    pub mappings_checked: usize,
    /// Stored chunks read back and hashed (each once).
    pub chunks_checked: usize,
    /// Their bytes as stored in the file (compressed).
    pub bytes_checked: u64,
    /// Their bytes once decompressed (what was hashed).
    pub bytes_decoded: u64,
    pub problems: Vec<Problem>,
}

impl CheckReport {
    pub fn is_sound(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks the whole file, reporting a step per version and per chunk.
pub fn check(file: &Vh5File, progress: ProgressFn, cancel: Cancel) -> Result<CheckReport> {
    let mut report = CheckReport {
        versioned: file.is_versioned(),
        ..CheckReport::default()
    };
    if !report.versioned {
        return Ok(report);
    }
    let graph = file.graph()?;
    check_graph(file, graph, &mut report.problems)?;
    let mut stores = load_storages(file, &mut report.problems)?;
    report.datasets_checked = stores.len();
    let committed: Vec<String> = graph.committed().map(|v| v.name.clone()).collect();
    let total = committed.len() + stores.values().map(Storage::hashed_slots).sum::<usize>();
    let mut steps = Steps {
        done: 0,
        total,
        progress,
        cancel,
    };
    for version in &committed {
        scan_version(file, version, &mut stores, &mut report)?;
        steps.step(version)?;
    }
    for store in stores.values() {
        let bad = hash_slots(store, &mut report, &mut steps)?;
        report.problems.extend(with_readers(file, store, bad)?);
        report.problems.extend(store.orphans());
    }
    report.problems.extend(leftovers(file, graph));
    Ok(report)
}

/// Progress and cancel of a check.
struct Steps<'a> {
    done: usize,
    total: usize,
    progress: ProgressFn<'a>,
    cancel: Cancel<'a>,
}

impl Steps<'_> {
    fn step(&mut self, message: &str) -> Result<()> {
        if (self.cancel)() {
            return Err(Error::cancelled());
        }
        self.done += 1;
        (self.progress)(&Progress {
            done: self.done,
            total: self.total,
            message: message.to_string(),
        });
        Ok(())
    }
}

/// Parents, cycles and the current version.
fn check_graph(file: &Vh5File, graph: &VersionGraph, problems: &mut Vec<Problem>) -> Result<()> {
    for v in graph.committed() {
        let Some(parent) = &v.prev else { continue };
        match graph.get(parent) {
            Some(p) if p.committed => {}
            found => problems.push(Problem::MissingParent {
                version: v.name.clone(),
                parent: parent.clone(),
                uncommitted: found.is_some(),
            }),
        }
    }
    problems.extend(
        cycles(graph)
            .into_iter()
            .map(|versions| Problem::VersionCycle { versions }),
    );
    if let Some(name) = file.current_version_name()? {
        match graph.get(&name) {
            Some(v) if v.committed => {}
            found => problems.push(Problem::MissingCurrentVersion {
                name,
                uncommitted: found.is_some(),
            }),
        }
    }
    Ok(())
}

/// Every circle of `prev_version` links, each once, its names sorted.
fn cycles(graph: &VersionGraph) -> Vec<Vec<String>> {
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut found = Vec::new();
    for v in graph.all() {
        let mut chain: Vec<&str> = Vec::new();
        let mut at = Some(v.name.as_str());
        while let Some(name) = at {
            if done.contains(name) {
                break;
            }
            if let Some(i) = chain.iter().position(|n| *n == name) {
                let mut circle: Vec<String> = chain[i..].iter().map(|n| n.to_string()).collect();
                circle.sort();
                found.push(circle);
                break;
            }
            chain.push(name);
            at = graph.get(name).and_then(|v| v.prev.as_deref());
        }
        done.extend(chain);
    }
    found
}

/// One `raw_data` and what the versions' mappings said about its slots.
struct Storage {
    path: String,
    raw: hdf5::Dataset,
    chunks: Vec<usize>,
    raw_shape: Vec<usize>,
    rows: Vec<HashRow>,
    /// Per slot, the first sound hash-table row describing it.
    row_of: Vec<Option<usize>>,
    /// Per slot, the extent the first mapping reading it reads.
    extent: Vec<Option<Vec<usize>>>,
    /// Extents of mappings on the axes after the first (to guess an
    /// unread slot's extent by).
    seen: BTreeSet<Vec<usize>>,
    /// Each committed version and dataset path reading it.
    readers: Vec<(String, String)>,
}

/// Every storage group with a `raw_data`, by the `raw_data`'s path.
fn load_storages(file: &Vh5File, problems: &mut Vec<Problem>) -> Result<BTreeMap<String, Storage>> {
    let mut out = BTreeMap::new();
    for group in storage::storage_groups(&file.h5)? {
        if !group.is_complete() {
            problems.push(Problem::IncompleteStorage {
                dataset: group.path.clone(),
                missing: if group.has_raw_data {
                    HASH_TABLE
                } else {
                    layout::RAW_DATA
                },
            });
        }
        if !group.has_raw_data {
            continue;
        }
        match load_storage(file, &group, problems) {
            Ok(s) => {
                out.insert(layout::raw_data_path(&group.path), s);
            }
            Err(e) => problems.push(Problem::Unreadable {
                what: format!("{}: raw_data", group.path),
                version: None,
                dataset: Some(group.path.clone()),
                reason: e.message,
            }),
        }
    }
    Ok(out)
}

fn load_storage(
    file: &Vh5File,
    group: &StorageGroup,
    problems: &mut Vec<Problem>,
) -> Result<Storage> {
    let raw_path = layout::raw_data_path(&group.path);
    let raw = file.raw_data(&raw_path)?;
    let chunks = storage::raw_chunks(&raw, &raw_path)?;
    let raw_shape = h5::dataset_extent(raw.id())?.0;
    if chunks.len() != raw_shape.len() || chunks.contains(&0) {
        return Err(Error::bad_file(format!(
            "its chunks {chunks:?} do not fit its shape {raw_shape:?}"
        )));
    }
    let rows = match group.has_hash_table {
        true => {
            let table_path = format!("{}/{HASH_TABLE}", layout::storage_path(&group.path));
            let read = (file.h5.dataset(&table_path).map_err(Error::from))
                .and_then(|t| storage::read_hash_rows(&t, &group.path));
            read.unwrap_or_else(|e| {
                problems.push(Problem::Unreadable {
                    what: format!("{}: hash_table", group.path),
                    version: None,
                    dataset: Some(group.path.clone()),
                    reason: e.message,
                });
                Vec::new()
            })
        }
        false => Vec::new(),
    };
    let slots = raw_shape[0].div_ceil(chunks[0]);
    let mut store = Storage {
        path: group.path.clone(),
        raw,
        chunks,
        raw_shape,
        rows,
        row_of: vec![None; slots],
        extent: vec![None; slots],
        seen: BTreeSet::new(),
        readers: Vec::new(),
    };
    problems.extend(store.index_rows());
    Ok(store)
}

impl Storage {
    /// Slots with a hash row: those the hash pass reads.
    fn hashed_slots(&self) -> usize {
        self.row_of.iter().filter(|r| r.is_some()).count()
    }

    /// Files each sound row under its slot; the others are problems.
    fn index_rows(&mut self) -> Vec<Problem> {
        let c0 = self.chunks[0] as i64;
        let raw_rows = self.raw_shape[0];
        let (mut outside, mut malformed) = (Vec::new(), Vec::new());
        let mut conflicts: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, row) in self.rows.iter().enumerate() {
            let span = RowSpan {
                row: i,
                start: row.start,
                stop: row.stop,
            };
            if row.start < 0 || row.stop > raw_rows as i64 {
                outside.push(span);
                continue;
            }
            if row.start % c0 != 0 || row.stop <= row.start || row.stop - row.start > c0 {
                malformed.push(span);
                continue;
            }
            let slot = (row.start / c0) as usize;
            match self.row_of[slot] {
                None => self.row_of[slot] = Some(i),
                Some(j) if self.rows[j].digest != row.digest => {
                    conflicts.entry(slot).or_insert_with(|| vec![j]).push(i)
                }
                Some(_) => {}
            }
        }
        let dataset = &self.path;
        let mut problems = Vec::new();
        if !outside.is_empty() {
            problems.push(Problem::HashRowOutsideRawData {
                dataset: dataset.clone(),
                rows: outside,
                raw_rows,
            });
        }
        if !malformed.is_empty() {
            problems.push(Problem::MalformedHashRow {
                dataset: dataset.clone(),
                rows: malformed,
            });
        }
        problems.extend(
            conflicts
                .into_iter()
                .map(|(slot, rows)| Problem::ConflictingHashRows {
                    dataset: dataset.clone(),
                    slot,
                    rows,
                }),
        );
        problems
    }

    /// Where a mapping reads, checked against `raw_data` and the rows.
    fn read_by(&mut self, block: &Block) -> MappingCheck {
        let n = self.chunks.len();
        let fits = block.start.len() == n && block.count.len() == n;
        if !fits || (0..n).any(|a| block.start[a] + block.count[a] > self.raw_shape[a]) {
            return MappingCheck::OutsideRawData;
        }
        let c = &self.chunks;
        let aligned = layout::is_slot_start(&block.start, c)
            && block.count.iter().zip(c).all(|(&k, &c)| k <= c);
        if !aligned {
            return MappingCheck::WithoutHashRow;
        }
        let slot = block.start[0] / c[0];
        if self.extent[slot].is_none() {
            self.extent[slot] = Some(block.count.clone());
            self.seen.insert(block.count[1..].to_vec());
        }
        let row = self.row_of[slot].map(|i| self.rows[i]);
        match row {
            Some(r) if r.stop - r.start == block.count[0] as i64 => MappingCheck::Sound,
            _ => MappingCheck::WithoutHashRow,
        }
    }

    /// The extents a slot's chunk may have: what its mappings read, else
    /// (no version reads it) the row's length on axis 0 and, on the other
    /// axes, a whole chunk or any extent another slot was read with.
    fn extents(&self, slot: usize, row: &HashRow) -> Vec<Vec<usize>> {
        if let Some(e) = &self.extent[slot] {
            return vec![e.clone()];
        }
        let rows0 = (row.stop - row.start) as usize;
        let mut out = vec![[&[rows0][..], &self.chunks[1..]].concat()];
        for rest in &self.seen {
            let e = [&[rows0][..], rest].concat();
            if !out.contains(&e) {
                out.push(e);
            }
        }
        out
    }

    /// Slots no committed version reads, with their stored bytes.
    fn orphans(&self) -> Option<Problem> {
        let slots: Vec<usize> = (0..self.extent.len())
            .filter(|&s| self.extent[s].is_none())
            .collect();
        if slots.is_empty() {
            return None;
        }
        let mut bytes = 0;
        for &s in &slots {
            bytes += h5::stored_chunk_size(self.raw.id(), &layout::slot_start(s, &self.chunks))
                .unwrap_or(0);
        }
        Some(Problem::OrphanedSlots {
            dataset: self.path.clone(),
            slots,
            bytes,
        })
    }
}

enum MappingCheck {
    Sound,
    OutsideRawData,
    WithoutHashRow,
}

/// Every dataset of a committed version: its mappings against its storage.
fn scan_version(
    file: &Vh5File,
    version: &str,
    stores: &mut BTreeMap<String, Storage>,
    report: &mut CheckReport,
) -> Result<()> {
    let unreadable = |dataset: Option<&str>, e: Error| Problem::Unreadable {
        what: match dataset {
            Some(d) => format!("{d} in version {version}"),
            None => format!("version {version}"),
        },
        version: Some(version.to_string()),
        dataset: dataset.map(str::to_string),
        reason: e.message,
    };
    let nodes = match file.walk(&stand_in(version), "/") {
        Ok(nodes) => nodes,
        Err(e) => {
            report.problems.push(unreadable(None, e));
            return Ok(());
        }
    };
    for node in nodes.iter().filter(|n| n.kind == NodeKind::Dataset) {
        let path = node.path.as_str();
        let map = match file.chunk_map_once(version, path) {
            Ok(Some(map)) => map,
            Ok(None) => continue,
            Err(e) => {
                report.problems.push(unreadable(Some(path), e));
                continue;
            }
        };
        let Some(store) = stores.get_mut(&map.raw_data) else {
            report.problems.push(Problem::MissingRawData {
                dataset: path.to_string(),
                version: version.to_string(),
                raw_data: map.raw_data.clone(),
            });
            continue;
        };
        store.readers.push((version.to_string(), path.to_string()));
        let (mut outside, mut unmatched) = (Vec::new(), Vec::new());
        for (index, block) in map.iter() {
            report.mappings_checked += 1;
            match store.read_by(&block) {
                MappingCheck::Sound => {}
                MappingCheck::OutsideRawData => outside.push(index),
                MappingCheck::WithoutHashRow => unmatched.push(index),
            }
        }
        let (dataset, version) = (path.to_string(), version.to_string());
        if !outside.is_empty() {
            report.problems.push(Problem::MappingOutsideRawData {
                dataset: dataset.clone(),
                version: version.clone(),
                chunks: outside,
            });
        }
        if !unmatched.is_empty() {
            report.problems.push(Problem::MappingWithoutHashRow {
                dataset,
                version,
                chunks: unmatched,
            });
        }
    }
    report.versions_checked += 1;
    Ok(())
}

/// A slot whose chunk is damaged: `None` when it reads back with another
/// hash, else why it cannot be read.
type BadSlot = (usize, Option<String>);

/// Reads back and hashes every slot with a hash row, once: decoded on
/// every core where `codec` knows the filters, else through HDF5.
fn hash_slots(
    store: &Storage,
    report: &mut CheckReport,
    steps: &mut Steps,
) -> Result<Vec<BadSlot>> {
    let mut bad = Vec::new();
    let decoder = store.decoder()?;
    let mut slots = store.row_of.iter().enumerate();
    // What a worker needs of a slot: its stored bytes, where HDF5 was
    // not already asked to read it.
    let mut produce = || -> Option<Result<Hashed>> {
        let (slot, i) = slots.find_map(|(slot, row)| row.map(|i| (slot, i)))?;
        if let Err(e) = steps.step(&store.path) {
            return Some(Err(e));
        }
        let row = &store.rows[i];
        let start = layout::slot_start(slot, &store.chunks);
        let extents = store.extents(slot, row);
        let stored = match &decoder {
            Some(_) => h5::read_stored_chunk(store.raw.id(), &start).ok().flatten(),
            None => None,
        };
        Some(Ok(match stored {
            Some((bytes, mask)) => Hashed::Stored {
                slot,
                bytes,
                mask,
                extents,
                digest: row.digest,
            },
            None => store.hash_through_hdf5(slot, &start, &extents, &row.digest),
        }))
    };
    let work = |item: Hashed| -> Result<Hashed> {
        Ok(match (item, &decoder) {
            (
                Hashed::Stored {
                    slot,
                    bytes,
                    mask,
                    extents,
                    digest,
                },
                Some(d),
            ) => d.hash(slot, bytes, mask, &extents, &digest),
            (done, _) => done,
        })
    };
    pipelined(&mut produce, work, |done| {
        if let Hashed::Done {
            slot,
            outcome,
            decoded,
            stored,
        } = done
        {
            report.bytes_decoded += decoded;
            report.bytes_checked += stored;
            report.chunks_checked += 1;
            match outcome {
                Outcome::Sound | Outcome::Unhashable => {}
                Outcome::Mismatch => bad.push((slot, None)),
                Outcome::Unreadable(reason) => bad.push((slot, Some(reason))),
            }
        }
    })?;
    bad.sort();
    Ok(bad)
}

/// A slot on its way through the hash pass.
enum Hashed {
    /// Read out of HDF5, still encoded.
    Stored {
        slot: usize,
        bytes: Vec<u8>,
        mask: u32,
        extents: Vec<Vec<usize>>,
        digest: ChunkDigest,
    },
    /// Hashed, with the bytes it decoded to and the bytes it takes stored.
    Done {
        slot: usize,
        outcome: Outcome,
        decoded: u64,
        stored: u64,
    },
}

/// What decoding a storage's chunks outside HDF5 takes.
struct Decoder {
    pipeline: Pipeline,
    dtype: Dtype,
    chunks: Vec<usize>,
}

impl Decoder {
    /// Decodes one stored chunk and hashes it at each candidate extent
    /// until one matches.
    fn hash(
        &self,
        slot: usize,
        bytes: Vec<u8>,
        mask: u32,
        extents: &[Vec<usize>],
        want: &ChunkDigest,
    ) -> Hashed {
        let stored = bytes.len() as u64;
        let size = self.dtype.size();
        let whole = self.chunks.iter().product::<usize>() * size;
        let (mut outcome, mut decoded) = (Outcome::Mismatch, 0);
        match self.pipeline.decode(bytes, mask, whole) {
            Err(e) => outcome = Outcome::Unreadable(e.message),
            Ok(chunk) => {
                // Usually one extent: the chunk is copied only for the others.
                let mut chunk = Some(chunk);
                for (i, extent) in extents.iter().enumerate() {
                    let whole = match i + 1 == extents.len() {
                        true => chunk.take().unwrap_or_default(),
                        false => chunk.clone().unwrap_or_default(),
                    };
                    let cells = leading_box(whole, &self.chunks, extent, size);
                    decoded = cells.len() as u64;
                    let grid = ValueGrid::from_bytes(self.dtype.clone(), extent.clone(), cells);
                    outcome = match digest(&grid) {
                        Ok(d) if d == *want => Outcome::Sound,
                        Ok(_) => Outcome::Mismatch,
                        Err(_) => Outcome::Unhashable,
                    };
                    if !matches!(outcome, Outcome::Mismatch) {
                        break;
                    }
                }
            }
        }
        Hashed::Done {
            slot,
            outcome,
            decoded,
            stored,
        }
    }
}

impl Storage {
    /// The decoder of this storage's chunks when `codec` knows its filters
    /// and its elements are fixed-size.
    fn decoder(&self) -> Result<Option<Decoder>> {
        let dtype = Dtype::from_type_id(h5::dataset_type(self.raw.id())?.id())?;
        let dcpl = h5::dataset_dcpl(self.raw.id())?;
        let ids: Vec<i32> = h5::filters(dcpl.id())?.iter().map(|f| f.id).collect();
        let chunked = h5::chunk_dims(dcpl.id())?.as_deref() == Some(self.chunks.as_slice());
        Ok(match Pipeline::new(&ids, dtype.size()) {
            Some(pipeline) if chunked && !dtype.has_vlen() => Some(Decoder {
                pipeline,
                dtype,
                chunks: self.chunks.clone(),
            }),
            _ => None,
        })
    }

    /// Hashes a slot read through HDF5 (which decodes it).
    fn hash_through_hdf5(
        &self,
        slot: usize,
        start: &[usize],
        extents: &[Vec<usize>],
        want: &ChunkDigest,
    ) -> Hashed {
        let (mut outcome, mut decoded) = (Outcome::Mismatch, 0);
        for extent in extents {
            (outcome, decoded) = hash_chunk(self, start, extent, want);
            if !matches!(outcome, Outcome::Mismatch) {
                break;
            }
        }
        let stored = h5::stored_chunk_size(self.raw.id(), start).unwrap_or(0);
        Hashed::Done {
            slot,
            outcome,
            decoded,
            stored,
        }
    }
}

enum Outcome {
    Sound,
    Mismatch,
    Unreadable(String),
    /// A type versioned-hdf5 has no hash for: nothing to compare.
    Unhashable,
}

fn hash_chunk(
    store: &Storage,
    start: &[usize],
    extent: &[usize],
    want: &ChunkDigest,
) -> (Outcome, u64) {
    let grid = match storage::read_block(&store.raw, start, extent) {
        Ok(grid) => grid,
        Err(e) => return (Outcome::Unreadable(e.message), 0),
    };
    let decoded = grid.raw_bytes().len() as u64;
    let outcome = match digest(&grid) {
        Ok(d) if d == *want => Outcome::Sound,
        Ok(_) => Outcome::Mismatch,
        Err(_) => Outcome::Unhashable,
    };
    (outcome, decoded)
}

/// The damaged slots as problems naming every version and chunk that reads
/// them (the maps are read again: damage is rare, maps are many).
fn with_readers(file: &Vh5File, store: &Storage, bad: Vec<BadSlot>) -> Result<Vec<Problem>> {
    if bad.is_empty() {
        return Ok(Vec::new());
    }
    let row0: HashMap<usize, usize> = bad
        .iter()
        .enumerate()
        .map(|(k, (slot, _))| (layout::slot_row(*slot, &store.chunks), k))
        .collect();
    let mut readers: Vec<Vec<Reader>> = vec![Vec::new(); bad.len()];
    for (version, path) in &store.readers {
        let Some(map) = file.chunk_map_once(version, path)? else {
            continue;
        };
        for (index, block) in map.iter() {
            let Some(&k) = block.start.first().and_then(|r| row0.get(r)) else {
                continue;
            };
            match readers[k].last_mut() {
                Some(r) if r.version == *version => r.chunks.push(index),
                _ => readers[k].push(Reader {
                    version: version.clone(),
                    chunks: vec![index],
                }),
            }
        }
    }
    Ok(bad
        .into_iter()
        .zip(readers)
        .map(|((slot, unreadable), readers)| {
            let dataset = store.path.clone();
            match unreadable {
                None => Problem::HashMismatch {
                    dataset,
                    slot,
                    readers,
                },
                Some(reason) => Problem::UnreadableChunk {
                    dataset,
                    slot,
                    readers,
                    reason,
                },
            }
        })
        .collect())
}

/// Never-committed version groups and stale temporary files.
fn leftovers(file: &Vh5File, graph: &VersionGraph) -> Vec<Problem> {
    let uncommitted =
        (graph.all().iter().filter(|v| !v.committed)).map(|v| Problem::UncommittedVersion {
            version: v.name.clone(),
        });
    let temps = stale_temp_files(&file.path)
        .into_iter()
        .map(|f| Problem::StaleTemporaryFile {
            bytes: std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0),
            file: f,
        });
    uncommitted.chain(temps).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::versions::Version;

    fn version(name: &str, prev: Option<&str>) -> Version {
        Version::bare(name, prev)
    }

    #[test]
    fn cycles_are_found_once_each() {
        let graph = VersionGraph::from_versions(vec![
            version("root", None),
            version("a", Some("root")),
            version("b", Some("c")),
            version("c", Some("d")),
            version("d", Some("b")),
            version("tail", Some("c")),
            version("self", Some("self")),
        ]);
        let found = cycles(&graph);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.contains(&vec!["b".to_string(), "c".into(), "d".into()]));
        assert!(found.contains(&vec!["self".to_string()]));
        let sound = VersionGraph::from_versions(vec![version("r", None), version("s", Some("r"))]);
        assert!(cycles(&sound).is_empty());
    }

    #[test]
    fn messages_name_what_and_where() {
        let p = Problem::HashMismatch {
            dataset: "/x".into(),
            slot: 3,
            readers: vec![Reader {
                version: "v1".into(),
                chunks: vec![vec![3], vec![7]],
            }],
        };
        assert_eq!(p.kind(), "hash_mismatch");
        assert_eq!(
            p.message(),
            "/x: stored chunk in slot 3 does not match its hash (read by v1 at [3], [7])"
        );
        let p = Problem::OrphanedSlots {
            dataset: "/x".into(),
            slots: vec![1, 2],
            bytes: 80,
        };
        assert!(p
            .message()
            .starts_with("/x: 2 slots no version reads (80 bytes"));
        assert!(!p.is_debris());
    }
}
