//! versioned-hdf5's on-disk layout (format notes), each name and encoding
//! written once: where `_version_data` keeps the versions and each dataset
//! path's storage, the attributes it sets, the stored timestamp text, the
//! filter ids of h5py's codecs, how `raw_data` stacks chunk slots, and the
//! 48-byte rows of a `hash_table`. Nothing here touches a file (so even
//! `h5write` may use it); `storage` creates and reads the objects.

use chrono::{DateTime, Utc};

use super::dtype::{ByteOrder, Dtype, Field};
use super::hash::ChunkDigest;

/// The group holding everything versioned-hdf5 keeps; a file without it
/// is a plain HDF5 file.
pub const VERSION_DATA: &str = "_version_data";
/// The group of version groups, inside [`VERSION_DATA`] (so no dataset path
/// may start with it).
pub const VERSIONS: &str = "versions";
/// The root of every history: an empty version group, and the
/// `prev_version` of a first version.
pub const FIRST_VERSION: &str = "__first_version__";
/// The newest layout versioned-hdf5 2.6.0 writes and we understand.
pub const DATA_VERSION: i64 = 4;

/// A dataset path's chunks, stacked in slots along axis 0.
pub const RAW_DATA: &str = "raw_data";
/// A dataset path's digest of each stored chunk, for deduplication.
pub const HASH_TABLE: &str = "hash_table";
/// Scratch space versioned-hdf5 may leave in [`VERSION_DATA`].
pub const TMP: &str = "__tmp__";
/// Leaf names a dataset path cannot take: versioned-hdf5's own storage.
pub const RESERVED_LEAVES: [&str; 3] = [RAW_DATA, HASH_TABLE, TMP];

/// The versions group, relative to the file's root.
pub fn versions_path() -> String {
    format!("{VERSION_DATA}/{VERSIONS}")
}

/// The node at `path` in a version, relative to the file's root.
pub fn node_path(version: &str, path: &str) -> String {
    format!("{}/{version}{path}", versions_path())
}

/// The group holding a dataset path's `raw_data` and `hash_table`,
/// relative to the file's root (`path` is absolute inside a version).
pub fn storage_path(path: &str) -> String {
    format!("{VERSION_DATA}{path}")
}

/// A dataset path's `raw_data`, absolute: how VDS mappings and the
/// `raw_data` attribute name it.
pub fn raw_data_path(path: &str) -> String {
    format!("/{}/{RAW_DATA}", storage_path(path))
}

/// Attribute names versioned-hdf5 writes.
pub mod attr {
    /// On the versions group: the current version's name.
    pub const CURRENT_VERSION: &str = "current_version";
    /// On the versions group: the layout's version (see [`super::DATA_VERSION`]).
    pub const DATA_VERSION: &str = "data_version";
    /// On a version group: its parent's name.
    pub const PREV_VERSION: &str = "prev_version";
    /// On a version group: false until the version is complete.
    pub const COMMITTED: &str = "committed";
    /// On a version group: the commit time, as stored text.
    pub const TIMESTAMP: &str = "timestamp";
    /// On a version dataset: the absolute path of its `raw_data`.
    pub const RAW_DATA: &str = super::RAW_DATA;
    /// On `raw_data` and version datasets: the chunk shape.
    pub const CHUNKS: &str = "chunks";
    /// On a `hash_table`: the number of rows in use.
    pub const LARGEST_INDEX: &str = "largest_index";
}

/// Attribute names versioned-hdf5 keeps for itself on version groups and
/// version datasets; they are not the user's (CLI Precise rules 1).
pub const VERSION_GROUP_SYSTEM_ATTRS: [&str; 3] =
    [attr::PREV_VERSION, attr::COMMITTED, attr::TIMESTAMP];
pub const VERSION_DATASET_SYSTEM_ATTRS: [&str; 2] = [attr::RAW_DATA, attr::CHUNKS];

/// The stored timestamp text (UTC, microseconds); versioned-hdf5's lookups
/// compare it as text.
const TIMESTAMP_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.6f+0000";

/// A time as versioned-hdf5 stores it.
pub fn format_timestamp(t: &DateTime<Utc>) -> String {
    t.format(TIMESTAMP_FORMAT).to_string()
}

/// Stored timestamp text (any number of fraction digits, any offset).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%z")
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// HDF5 filter ids of the filters h5py writes (LZF is h5py's registered one).
pub const FILTER_DEFLATE: i32 = 1;
pub const FILTER_SHUFFLE: i32 = 2;
pub const FILTER_FLETCHER32: i32 = 3;
pub const FILTER_SZIP: i32 = 4;
pub const FILTER_SCALEOFFSET: i32 = 6;
pub const FILTER_LZF: i32 = 32000;

/// The first `raw_data` row of a chunk slot: slots are `chunks[0]` rows
/// apart along axis 0 (an edge chunk leaves the rest of its slot unused).
pub fn slot_row(slot: usize, chunks: &[usize]) -> usize {
    slot * chunks[0]
}

/// Where a chunk slot starts in `raw_data`.
pub fn slot_start(slot: usize, chunks: &[usize]) -> Vec<usize> {
    let mut start = vec![0; chunks.len()];
    start[0] = slot_row(slot, chunks);
    start
}

/// Whether a `raw_data` position starts a slot (a chunk of its HDF5 chunk
/// grid).
pub fn is_slot_start(start: &[usize], chunks: &[usize]) -> bool {
    start.len() == chunks.len()
        && start[0].is_multiple_of(chunks[0])
        && start[1..].iter().all(|&s| s == 0)
}

/// The extent of a `raw_data` holding `slots` chunk slots.
pub fn raw_shape(slots: usize, chunks: &[usize]) -> Vec<usize> {
    let mut shape = chunks.to_vec();
    shape[0] = slot_row(slots, chunks);
    shape
}

/// Bytes of one `hash_table` row.
pub const HASH_ROW_BYTES: usize = 48;
/// Rows per chunk of a `hash_table` (fixed by versioned-hdf5).
pub const HASH_TABLE_CHUNK: usize = 4096;

/// One `hash_table` row: a stored chunk's digest and the `raw_data` rows
/// `[start, stop)` it occupies on axis 0, as stored (little-endian int64).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashRow {
    pub digest: ChunkDigest,
    pub start: i64,
    pub stop: i64,
}

impl HashRow {
    /// The row of a chunk `rows` long on axis 0, stored in `slot`.
    pub fn for_slot(digest: ChunkDigest, slot: usize, chunks: &[usize], rows: usize) -> HashRow {
        let start = slot_row(slot, chunks);
        HashRow {
            digest,
            start: start as i64,
            stop: (start + rows) as i64,
        }
    }

    pub fn encode(rows: &[HashRow]) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(rows.len() * HASH_ROW_BYTES);
        for row in rows {
            bytes.extend_from_slice(&row.digest);
            bytes.extend_from_slice(&row.start.to_le_bytes());
            bytes.extend_from_slice(&row.stop.to_le_bytes());
        }
        bytes
    }

    pub fn decode(bytes: &[u8]) -> Vec<HashRow> {
        let int = |b: &[u8]| i64::from_le_bytes(b.try_into().expect("8 bytes"));
        bytes
            .chunks_exact(HASH_ROW_BYTES)
            .map(|row| HashRow {
                digest: row[..32].try_into().expect("32 bytes"),
                start: int(&row[32..40]),
                stop: int(&row[40..48]),
            })
            .collect()
    }

    /// The row's compound type: `hash` (32 bytes), `shape` (2 int64).
    pub fn dtype() -> Dtype {
        let u8_ = Dtype::Int {
            size: 1,
            signed: false,
            order: ByteOrder::NotApplicable,
        };
        let i64_ = Dtype::Int {
            size: 8,
            signed: true,
            order: ByteOrder::Little,
        };
        Dtype::Compound {
            size: HASH_ROW_BYTES,
            fields: vec![
                Field {
                    name: "hash".into(),
                    offset: 0,
                    dtype: Dtype::Array {
                        base: Box::new(u8_),
                        dims: vec![32],
                    },
                },
                Field {
                    name: "shape".into(),
                    offset: 32,
                    dtype: Dtype::Array {
                        base: Box::new(i64_),
                        dims: vec![2],
                    },
                },
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(versions_path(), "_version_data/versions");
        assert_eq!(node_path("v1", "/g/x"), "_version_data/versions/v1/g/x");
        assert_eq!(storage_path("/g/x"), "_version_data/g/x");
        assert_eq!(raw_data_path("/g/x"), "/_version_data/g/x/raw_data");
    }

    #[test]
    fn timestamps_round_trip() {
        let t = parse_timestamp("2020-01-02 03:04:05.000006+0000").unwrap();
        assert_eq!(format_timestamp(&t), "2020-01-02 03:04:05.000006+0000");
        assert!(parse_timestamp("2020-01-02T03:04:05Z").is_none());
    }

    #[test]
    fn slots_stack_on_axis_0() {
        assert_eq!(slot_start(3, &[4, 5]), vec![12, 0]);
        assert_eq!(raw_shape(0, &[4, 5]), vec![0, 5]);
        assert_eq!(raw_shape(2, &[4, 5]), vec![8, 5]);
    }

    #[test]
    fn hash_rows_round_trip() {
        let row = HashRow::for_slot([7; 32], 2, &[4], 3);
        assert_eq!((row.start, row.stop), (8, 11));
        let bytes = HashRow::encode(&[row, row]);
        assert_eq!(bytes.len(), 2 * HASH_ROW_BYTES);
        assert_eq!(&bytes[32..40], &8i64.to_le_bytes());
        assert_eq!(HashRow::decode(&bytes), vec![row, row]);
        assert_eq!(HashRow::dtype().size(), HASH_ROW_BYTES);
    }
}
