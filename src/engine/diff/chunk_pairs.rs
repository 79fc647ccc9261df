//! Counting the cells that differ at many chunk positions on every core.
//!
//! HDF5 runs one call at a time, and inflating is most of a far diff's
//! work. So one thread takes each position's stored bytes out of HDF5 (a
//! copy, no decoding) and hands the pair to workers that decode and compare
//! them outside the library.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Mutex;

use super::cell_eq::CellEq;
use crate::engine::codec::Pipeline;
use crate::engine::dataset::Dataset;
use crate::engine::dtype::Dtype;
use crate::engine::error::{Error, Result};
use crate::engine::grid::{flat, grid_positions};
use crate::engine::value::ValueGrid;

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
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (send, receive) = sync_channel::<Pair>(2 * workers);
    let receive = Mutex::new(receive);
    let changed = AtomicU64::new(0);
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| work(&job, &receive, &changed, &failure));
        }
        for position in positions {
            let read = da
                .stored_chunk(position)
                .and_then(|a| Ok((a, db.stored_chunk(position)?)));
            let sent = match read {
                Ok((a, b)) => send.send(Pair {
                    position: position.clone(),
                    a,
                    b,
                }),
                Err(e) => {
                    failure.lock().expect("not poisoned").get_or_insert(e);
                    break;
                }
            };
            if sent.is_err() {
                break;
            }
        }
        drop(send);
    });
    match failure.into_inner().expect("not poisoned") {
        Some(e) => Err(e),
        None => Ok(Some(changed.into_inner())),
    }
}

/// A worker: decodes and compares pairs until the channel closes or a
/// pair fails (then the first failure is kept and the others stop).
fn work(
    job: &Job,
    receive: &Mutex<Receiver<Pair>>,
    changed: &AtomicU64,
    failure: &Mutex<Option<Error>>,
) {
    loop {
        let next = receive.lock().expect("not poisoned").recv();
        let Ok(pair) = next else { return };
        if failure.lock().expect("not poisoned").is_some() {
            return;
        }
        match job.compare(pair) {
            Ok(n) => {
                changed.fetch_add(n, Ordering::Relaxed);
            }
            Err(e) => {
                failure.lock().expect("not poisoned").get_or_insert(e);
                return;
            }
        }
    }
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
                let decoded = p
                    .decode(bytes, mask, whole)
                    .map_err(|e| e.context(&self.path))?;
                clip(decoded, self.chunks, extent, size)
            }
        };
        Ok(ValueGrid::from_bytes(
            self.dtype.clone(),
            extent.to_vec(),
            bytes,
        ))
    }
}

/// The C-order box `[0, extent)` of a whole chunk's elements.
fn clip(chunk: Vec<u8>, chunks: &[usize], extent: &[usize], size: usize) -> Vec<u8> {
    if chunks == extent {
        return chunk;
    }
    let rank = chunks.len();
    let row = extent[rank - 1] * size;
    let mut out = Vec::with_capacity(extent.iter().product::<usize>() * size);
    for lead in grid_positions(&extent[..rank - 1]) {
        let start = flat(&lead, &chunks[..rank - 1]) * chunks[rank - 1] * size;
        out.extend_from_slice(&chunk[start..start + row]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn clip_takes_the_leading_box() {
        // A 3x4 chunk of one-byte elements, clipped to 2x3.
        let chunk: Vec<u8> = (0..12).collect();
        assert_eq!(
            clip(chunk.clone(), &[3, 4], &[2, 3], 1),
            vec![0, 1, 2, 4, 5, 6]
        );
        assert_eq!(clip(chunk.clone(), &[3, 4], &[3, 4], 1), chunk);
        assert_eq!(clip((0..8).collect(), &[8], &[5], 1), vec![0, 1, 2, 3, 4]);
        // Two-byte elements, 2x2x2 clipped to 1x2x1.
        let c3: Vec<u8> = (0..16).collect();
        assert_eq!(clip(c3, &[2, 2, 2], &[1, 2, 1], 2), vec![0, 1, 4, 5]);
    }
}
