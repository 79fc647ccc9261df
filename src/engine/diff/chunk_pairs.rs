//! Counting the cells that differ at many chunk positions on every core.
//!
//! Inflating is most of a far diff's work: this thread takes each
//! position's stored bytes out of HDF5 (a copy, no decoding) and workers
//! decode and compare them outside the library (`pool::pipelined`).

use std::sync::atomic::{AtomicU64, Ordering};

use super::cell_eq::CellEq;
use crate::engine::codec::{leading_box, Pipeline};
use crate::engine::dataset::Dataset;
use crate::engine::dtype::Dtype;
use crate::engine::error::Result;
use crate::engine::pool::pipelined;
use crate::engine::value::ValueGrid;

/// Stored chunks decoded by this module's workers since the process
/// started: only diffs add to it, so tests can tell this path was taken.
static DECODED_ON_WORKERS: AtomicU64 = AtomicU64::new(0);

pub fn chunks_decoded_on_workers() -> u64 {
    DECODED_ON_WORKERS.load(Ordering::Relaxed)
}

/// Both versions' stored chunks at one position (`None`: fill value).
struct Pair {
    position: Vec<usize>,
    a: Option<(Vec<u8>, u32)>,
    b: Option<(Vec<u8>, u32)>,
}

/// The two datasets' decoders and what a compare needs.
struct Job<'a> {
    pa: Pipeline,
    pb: Pipeline,
    chunks: &'a [usize],
    common: &'a [usize],
    eq: CellEq,
    /// What the workers need of the datasets (a `Dataset` stays on the
    /// thread that talks to HDF5).
    dtype: Dtype,
    fill: Vec<u8>,
    path: String,
}

/// Cells that differ inside `common` at `positions`, or `None` when either
/// dataset's chunks cannot be decoded outside HDF5 (the caller then reads
/// through HDF5). Both datasets must share dtype and chunk shape.
pub(super) fn count_unequal(
    da: &Dataset,
    db: &Dataset,
    positions: &[Vec<usize>],
    common: &[usize],
) -> Result<Option<u64>> {
    let (Some(pa), Some(pb)) = (da.pipeline(), db.pipeline()) else {
        return Ok(None);
    };
    let (Some(chunks), Some(other)) = (&da.meta.chunks, &db.meta.chunks) else {
        return Ok(None);
    };
    if chunks != other || positions.len() < 2 {
        return Ok(None);
    }
    let job = Job {
        pa,
        pb,
        chunks,
        common,
        eq: CellEq::new(&da.meta.dtype),
        dtype: da.meta.dtype.clone(),
        fill: da.meta.fill.raw_bytes().to_vec(),
        path: da.meta.path.clone(),
    };
    let mut changed = 0u64;
    let mut todo = positions.iter();
    pipelined(
        || {
            let position = todo.next()?;
            let read = da
                .stored_chunk(position)
                .and_then(|a| Ok((a, db.stored_chunk(position)?)));
            Some(read.map(|(a, b)| Pair {
                position: position.clone(),
                a,
                b,
            }))
        },
        |pair| job.compare(pair),
        |n| changed += n,
    )?;
    Ok(Some(changed))
}

impl Job<'_> {
    fn compare(&self, pair: Pair) -> Result<u64> {
        let extent: Vec<usize> = (pair.position.iter().zip(self.chunks).zip(self.common))
            .map(|((&i, &c), &n)| c.min(n.saturating_sub(i * c)))
            .collect();
        let a = self.values(pair.a, &self.pa, &extent)?;
        let b = self.values(pair.b, &self.pb, &extent)?;
        Ok(self.eq.count_unequal(&a, &b) as u64)
    }

    /// One version's cells of the chunk, clipped to `extent`.
    fn values(
        &self,
        stored: Option<(Vec<u8>, u32)>,
        p: &Pipeline,
        extent: &[usize],
    ) -> Result<ValueGrid> {
        let size = self.dtype.size();
        let n: usize = extent.iter().product();
        let bytes = match stored {
            None => self.fill.repeat(n),
            Some((bytes, mask)) => {
                let whole: usize = self.chunks.iter().product::<usize>() * size;
                DECODED_ON_WORKERS.fetch_add(1, Ordering::Relaxed);
                let decoded = p
                    .decode(bytes, mask, whole)
                    .map_err(|e| e.context(&self.path))?;
                leading_box(decoded, self.chunks, extent, size)
            }
        };
        Ok(ValueGrid::from_bytes(
            self.dtype.clone(),
            extent.to_vec(),
            bytes,
        ))
    }
}
