//! versioned-hdf5's content hash of a chunk (or of a whole array):
//! SHA-256 over the elements in C order, then the text of the shape tuple.

use sha2::{Digest, Sha256};

use super::error::{Error, Result};
use super::value::ValueGrid;

pub type ChunkDigest = [u8; 32];

/// Python's `str(tuple(shape))`: `(4,)`, `(2, 3)`, `()`.
pub fn shape_text(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|n| n.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// Feeds elements in C order, possibly in several grids, then the shape.
#[derive(Default)]
pub struct ChunkHasher(Sha256);

impl ChunkHasher {
    pub fn new() -> Self {
        Self::default()
    }

    /// Fixed-size elements hash their file-layout bytes; variable-length
    /// strings hash as u64 little-endian length then the bytes.
    pub fn update(&mut self, grid: &ValueGrid) -> Result<()> {
        if grid.dtype.is_vlen_string() {
            for i in 0..grid.len() {
                let s = grid.string_bytes(i).unwrap_or_default();
                self.0.update((s.len() as u64).to_le_bytes());
                self.0.update(s);
            }
            Ok(())
        } else if grid.dtype.has_vlen() {
            Err(Error::bad_input(format!(
                "versioned-hdf5 has no hash for {} (variable-length data inside a compound)",
                grid.dtype
            )))
        } else {
            self.0.update(grid.raw_bytes());
            Ok(())
        }
    }

    pub fn finish(mut self, shape: &[usize]) -> ChunkDigest {
        self.0.update(shape_text(shape).as_bytes());
        self.0.finalize().into()
    }
}

/// The digest of a grid taken as one chunk of its own shape.
pub fn digest(grid: &ValueGrid) -> Result<ChunkDigest> {
    let mut h = ChunkHasher::new();
    h.update(grid)?;
    Ok(h.finish(&grid.shape))
}

/// Elements of fill fed to the hasher at a time.
const FILL_BLOCK: usize = 1 << 16;

/// The digest of a chunk of `shape` holding only `fill` (one element),
/// hashed in blocks: a large chunk is never built in memory.
pub fn fill_digest(fill: &ValueGrid, shape: &[usize]) -> Result<ChunkDigest> {
    let mut left: usize = shape.iter().product();
    let mut h = ChunkHasher::new();
    if left >= FILL_BLOCK {
        let block = ValueGrid::filled(fill, vec![FILL_BLOCK]);
        while left >= FILL_BLOCK {
            h.update(&block)?;
            left -= FILL_BLOCK;
        }
    }
    h.update(&ValueGrid::filled(fill, vec![left]))?;
    Ok(h.finish(shape))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::dtype::Dtype;
    use serde_json::Value as Json;

    #[test]
    fn shape_text_matches_python() {
        assert_eq!(shape_text(&[4]), "(4,)");
        assert_eq!(shape_text(&[2, 3]), "(2, 3)");
        assert_eq!(shape_text(&[2, 2, 2]), "(2, 2, 2)");
        assert_eq!(shape_text(&[]), "()");
    }

    /// A grid for a vector: vlen strings from their values, every other
    /// dtype from the exact stored bytes (the vector's `data_bytes_hex`).
    fn grid_of(v: &Json) -> ValueGrid {
        let shape: Vec<usize> = v["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_u64().unwrap() as usize)
            .collect();
        if v["hdf5_type"].as_str().unwrap().contains("VARIABLE")
            || v["dtype"] == "str"
            || v["dtype"] == "O"
        {
            let strings = v["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| Some(string_value(s, v["value_encoding"].as_str().unwrap_or(""))))
                .collect();
            return ValueGrid::from_strings(shape, strings, true);
        }
        let bytes = hex::decode(v["data_bytes_hex"].as_str().unwrap()).unwrap();
        // The rule ignores the dtype; any fixed-size dtype of the right width will do.
        let n: usize = shape.iter().product();
        let size = bytes.len() / n.max(1);
        ValueGrid::from_bytes(
            Dtype::Opaque {
                size,
                tag: String::new(),
            },
            shape,
            bytes,
        )
    }

    fn string_value(s: &Json, encoding: &str) -> Vec<u8> {
        let s = s.as_str().unwrap();
        if encoding.contains("hex") {
            hex::decode(s).unwrap()
        } else {
            s.as_bytes().to_vec()
        }
    }

    #[test]
    fn versioned_hdf5_test_vectors() {
        let doc: Json =
            serde_json::from_str(include_str!("../../tests/data/hash-vectors.json")).unwrap();
        let vectors = doc["vectors"].as_array().unwrap();
        assert!(vectors.len() >= 20);
        for v in vectors {
            let grid = grid_of(v);
            assert_eq!(
                shape_text(&grid.shape),
                v["shape_suffix"].as_str().unwrap(),
                "{}",
                v["name"]
            );
            assert_eq!(
                hex::encode(digest(&grid).unwrap()),
                v["sha256"].as_str().unwrap(),
                "{}",
                v["name"]
            );
        }
    }

    #[test]
    fn fill_digest_equals_the_digest_of_the_filled_grid() {
        let fill = ValueGrid::from_bytes(
            Dtype::Opaque {
                size: 2,
                tag: String::new(),
            },
            vec![],
            vec![7, 9],
        );
        for shape in [
            vec![3],
            vec![FILL_BLOCK],
            vec![FILL_BLOCK + 5],
            vec![300, 500],
            vec![0],
        ] {
            let whole = ValueGrid::filled(&fill, shape.clone());
            assert_eq!(
                fill_digest(&fill, &shape).unwrap(),
                digest(&whole).unwrap(),
                "{shape:?}"
            );
        }
        let empty = ValueGrid::from_strings(vec![], vec![Some(vec![])], true);
        let whole = ValueGrid::filled(&empty, vec![FILL_BLOCK + 1]);
        assert_eq!(
            fill_digest(&empty, &[FILL_BLOCK + 1]).unwrap(),
            digest(&whole).unwrap()
        );
    }

    #[test]
    fn length_prefix_separates_vlen_concatenations() {
        let a = ValueGrid::from_strings(
            vec![3],
            vec![
                Some(b"a".to_vec()),
                Some(b"b".to_vec()),
                Some(b"cd".to_vec()),
            ],
            true,
        );
        let b = ValueGrid::from_strings(
            vec![3],
            vec![Some(b"ab".to_vec()), Some(vec![]), Some(b"cd".to_vec())],
            true,
        );
        assert_ne!(digest(&a).unwrap(), digest(&b).unwrap());
        // NULL and "" hash alike (both read as the empty string).
        let null = ValueGrid::from_strings(vec![1], vec![None], true);
        let empty = ValueGrid::from_strings(vec![1], vec![Some(vec![])], true);
        assert_eq!(digest(&null).unwrap(), digest(&empty).unwrap());
    }
}
