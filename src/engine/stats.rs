//! Storage accounting: where a versioned file's bytes are. Per dataset
//! path, the chunk slots its `raw_data` holds and how many versions still
//! use; per version, the bytes it added and the bytes only it holds. Reads
//! chunk maps only (the region counts of `chunkindex`), never chunk data.
//!
//! Units. A *slot* is a chunk-sized stretch of `raw_data` along axis 0
//! (`layout::slot_row`); `raw_slots` counts the slots the `raw_data`'s
//! extent holds (what versioned-hdf5 allocated, one per chunk it stored:
//! equal to the `hash_table`'s rows in a file it wrote). A version uses a
//! *region*: the block of a slot one of its mappings reads (versioned-hdf5
//! gives every distinct chunk content, edge chunks included, its own slot,
//! so region and slot agree in its files; `delete_versions` keeps one slot
//! per distinct region). Byte counts of regions are uncompressed: extent x
//! item size (a variable-length string counts its in-file reference).

use rustc_hash::{FxHashMap, FxHashSet};

use super::dataset::{raw_data_meta, storage_size};
use super::error::{Error, Result};
use super::file::Vh5File;
use super::h5::{self, Block};
use super::layout::{self, slot_start};
use super::progress::Cancel;
use super::storage::storage_paths;
use super::versions::Version;

/// Where the bytes of a file are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorageStats {
    pub file_size: u64,
    /// What HDF5's free-space managers track as free: only space freed
    /// while the file was open unless the file persists its free-space
    /// information (h5py's and versioned-hdf5's files do not), so usually 0.
    pub tracked_free_space: u64,
    /// Every dataset path with `raw_data`, sorted by path bytes.
    pub datasets: Vec<DatasetStorage>,
    /// Committed versions, in `log` order.
    pub versions: Vec<VersionStorage>,
}

/// One dataset path's storage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatasetStorage {
    pub path: String,
    pub item_size: u64,
    /// Chunk slots `raw_data`'s extent holds.
    pub raw_slots: usize,
    /// Slots at least one version group reads.
    pub used_slots: usize,
    /// Slots no version group reads (left by interrupted writes, or by
    /// writers that do not reclaim); `compact` drops them.
    pub orphaned_slots: usize,
    /// The orphaned slots' bytes in the file (compressed, as stored).
    pub orphaned_stored_bytes: u64,
    /// Sum over committed versions of the dataset's uncompressed size.
    pub logical_bytes: u64,
    /// Sum over committed versions of their stored chunks' uncompressed
    /// size (fill-value chunks excluded): what reading every version's
    /// mappings reads.
    pub mapped_bytes: u64,
    /// Uncompressed bytes of the distinct regions versions read: the data
    /// after deduplication, before compression.
    pub referenced_bytes: u64,
    /// `raw_data`'s size in the file.
    pub stored_bytes: u64,
    /// The `hash_table`'s size in the file.
    pub hash_table_bytes: u64,
}

/// One version's share of the storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionStorage {
    pub version: Version,
    /// Uncompressed bytes of the regions it reads that no version on its
    /// ancestry (along `prev_version`) reads.
    pub bytes_added: u64,
    /// Uncompressed bytes of the regions no other version group reads:
    /// what deleting it alone frees.
    pub bytes_unique: u64,
}

impl StorageStats {
    pub fn logical_bytes(&self) -> u64 {
        self.datasets.iter().map(|d| d.logical_bytes).sum()
    }

    pub fn stored_bytes(&self) -> u64 {
        self.datasets.iter().map(|d| d.stored_bytes).sum()
    }

    /// A lower bound of what `compact` gives back: the orphaned slots and
    /// the free space HDF5 tracks (space freed and not tracked is not seen).
    pub fn reclaimable_bytes(&self) -> u64 {
        let orphans: u64 = self.datasets.iter().map(|d| d.orphaned_stored_bytes).sum();
        orphans + self.tracked_free_space
    }

    /// The file's bytes outside every `raw_data` and `hash_table`: HDF5
    /// metadata (version groups, virtual dataset headers, B-trees) and any
    /// free space, not told apart.
    pub fn other_bytes(&self) -> u64 {
        let data: u64 = self
            .datasets
            .iter()
            .map(|d| d.stored_bytes + d.hash_table_bytes)
            .sum();
        self.file_size.saturating_sub(data)
    }
}

/// Visiting the version DAG (a forest along `prev_version`) depth first.
#[derive(Debug, Clone, Copy)]
enum Step {
    Enter(usize),
    Leave(usize),
}

/// Depth-first steps over every version (index into `all`), roots being
/// versions without a parent in the file. Iterative: histories are long.
fn depth_first(all: &[Version]) -> Vec<Step> {
    let index: FxHashMap<&str, usize> = all
        .iter()
        .enumerate()
        .map(|(i, v)| (v.name.as_str(), i))
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); all.len()];
    let mut roots = Vec::new();
    for (i, v) in all.iter().enumerate() {
        match v.prev.as_deref().and_then(|p| index.get(p)) {
            Some(&p) => children[p].push(i),
            None => roots.push(i),
        }
    }
    let mut steps = Vec::with_capacity(2 * all.len());
    let mut stack: Vec<Step> = roots.into_iter().rev().map(Step::Enter).collect();
    while let Some(step) = stack.pop() {
        steps.push(step);
        if let Step::Enter(i) = step {
            stack.push(Step::Leave(i));
            stack.extend(children[i].iter().rev().map(|&c| Step::Enter(c)));
        }
    }
    steps
}

/// How many times `stored` bytes hold `logical` ones (`None`: nothing
/// stored): logical size over stored size, the dedup and compression ratio.
pub fn ratio(logical: u64, stored: u64) -> Option<f64> {
    (stored > 0).then(|| logical as f64 / stored as f64)
}

/// `12.3x`, `-` when nothing is stored.
pub fn ratio_text(logical: u64, stored: u64) -> String {
    ratio(logical, stored).map_or("-".into(), |r| format!("{r:.1}x"))
}

/// A byte count for people: `512 B`, `1.5 kB`, `12.3 MB` (powers of 1000).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 999.95 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    match unit {
        0 => format!("{n} B"),
        _ => format!("{value:.1} {}", UNITS[unit]),
    }
}

fn region_bytes(block: &Block, item: u64) -> u64 {
    block.count.iter().product::<usize>() as u64 * item
}

/// Per version (index into `all`): bytes added and bytes unique.
type Shares = Vec<(u64, u64)>;

impl Vh5File {
    /// Accounts for the file's storage (see the module doc for the units).
    /// Reads every version's chunk maps of every path twice at most (the
    /// region counts are kept for the session), no chunk data.
    pub fn storage_stats(&self, cancel: Cancel) -> Result<StorageStats> {
        let file_size = std::fs::metadata(&self.path)
            .map_err(|e| Error::runtime(format!("{}: {e}", self.path.display())))?
            .len();
        let graph = self.graph()?;
        let all = graph.all();
        let mut shares: Shares = vec![(0, 0); all.len()];
        let mut datasets = Vec::new();
        if self.is_versioned() {
            let steps = depth_first(all);
            let mut paths = storage_paths(&self.h5)?;
            paths.sort();
            for path in paths {
                datasets.push(self.dataset_storage(&path, &steps, &mut shares, cancel)?);
            }
        }
        let versions = all
            .iter()
            .zip(&shares)
            .filter(|(v, _)| v.committed)
            .map(|(v, &(bytes_added, bytes_unique))| VersionStorage {
                version: v.clone(),
                bytes_added,
                bytes_unique,
            })
            .collect();
        Ok(StorageStats {
            file_size,
            tracked_free_space: h5::file_free_space(self.h5.id())?,
            datasets,
            versions,
        })
    }

    /// One path's storage; adds its share to each version's.
    fn dataset_storage(
        &self,
        path: &str,
        steps: &[Step],
        shares: &mut Shares,
        cancel: Cancel,
    ) -> Result<DatasetStorage> {
        let raw_path = layout::raw_data_path(path);
        let raw = self.raw_data(&raw_path)?;
        let meta = raw_data_meta(path, &raw_path, raw.clone())?;
        let item = meta.dtype.size() as u64;
        let uses = self.region_use(path, cancel)?;
        let all = self.graph()?.all();
        let mut out = DatasetStorage {
            path: path.to_string(),
            item_size: item,
            stored_bytes: meta.storage_size.unwrap_or(0),
            hash_table_bytes: self.hash_table_bytes(path),
            ..DatasetStorage::default()
        };
        // Regions some version on the current DFS path reads, and per
        // entered version the ones it put there (taken out on leaving).
        let mut on_path: FxHashSet<Block> = FxHashSet::default();
        let mut put: Vec<Vec<Block>> = vec![Vec::new(); all.len()];
        for &step in steps {
            let i = match step {
                Step::Leave(i) => {
                    for block in std::mem::take(&mut put[i]) {
                        on_path.remove(&block);
                    }
                    continue;
                }
                Step::Enter(i) => i,
            };
            if cancel() {
                return Err(Error::cancelled());
            }
            let Some(regions) = self.regions_of(&all[i].name, path)? else {
                continue;
            };
            if all[i].committed {
                let elements: usize = regions.shape.iter().product();
                out.logical_bytes += elements as u64 * item;
                out.mapped_bytes += regions
                    .blocks
                    .iter()
                    .map(|b| region_bytes(b, item))
                    .sum::<u64>();
            }
            let mut blocks = regions.blocks;
            blocks.sort_unstable_by(|a, b| (&a.start, &a.count).cmp(&(&b.start, &b.count)));
            blocks.dedup();
            for block in blocks {
                let bytes = region_bytes(&block, item);
                if uses.users(&block) <= 1 {
                    shares[i].1 += bytes;
                }
                if !on_path.contains(&block) {
                    shares[i].0 += bytes;
                    on_path.insert(block.clone());
                    put[i].push(block);
                }
            }
        }
        let Some(chunks) = meta.chunks.filter(|c| !c.is_empty() && c[0] > 0) else {
            return Ok(out);
        };
        let rows = meta.shape.first().copied().unwrap_or(0);
        out.raw_slots = rows.div_ceil(chunks[0]);
        let used: FxHashSet<usize> = uses
            .regions()
            .map(|b| b.start.first().copied().unwrap_or(0) / chunks[0])
            .filter(|&s| s < out.raw_slots)
            .collect();
        out.used_slots = used.len();
        out.orphaned_slots = out.raw_slots - out.used_slots;
        out.referenced_bytes = uses.regions().map(|b| region_bytes(b, item)).sum();
        for slot in (0..out.raw_slots).filter(|s| !used.contains(s)) {
            out.orphaned_stored_bytes +=
                h5::stored_chunk_size(raw.id(), &slot_start(slot, &chunks))?;
        }
        Ok(out)
    }

    /// The `hash_table`'s size in the file, 0 when it cannot be opened.
    fn hash_table_bytes(&self, path: &str) -> u64 {
        let table = format!("{}/{}", layout::storage_path(path), layout::HASH_TABLE);
        self.h5.dataset(&table).map_or(0, |t| storage_size(&t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(name: &str, prev: Option<&str>) -> Version {
        let prev = prev.map(Into::into);
        Version {
            prev,
            ..crate::engine::chunkindex::stand_in(name)
        }
    }

    #[test]
    fn bytes_for_people() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1000), "1.0 kB");
        assert_eq!(human_bytes(1_234_567), "1.2 MB");
        assert_eq!(human_bytes(999_960), "1.0 MB");
    }

    #[test]
    fn depth_first_visits_branches_and_orphans() {
        // a <- b <- c, a <- d; e's parent is missing: a root of its own.
        let all = [
            v("a", None),
            v("b", Some("a")),
            v("c", Some("b")),
            v("d", Some("a")),
            v("e", Some("gone")),
        ];
        let steps: Vec<String> = depth_first(&all)
            .into_iter()
            .map(|s| match s {
                Step::Enter(i) => format!("+{}", all[i].name),
                Step::Leave(i) => format!("-{}", all[i].name),
            })
            .collect();
        assert_eq!(steps.join(" "), "+a +b +c -c -b +d -d -a +e -e");
    }
}
