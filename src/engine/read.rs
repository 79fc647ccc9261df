//! Slice reads: only the chunks a selection touches are read.

use std::sync::atomic::{AtomicU64, Ordering};

use super::dataset::{Dataset, Source};
use super::dtype::Dtype;
use super::error::Result;
use super::h5::{self, Hyperslab};
use super::slice::{reverse_axes, AxisSel, Selection};
use super::value::ValueGrid;
use hdf5_sys::h5i::hid_t;

/// Chunk reads from `raw_data` since the process started: lets tests prove
/// that a read touched only the chunks it had to.
static CHUNK_READS: AtomicU64 = AtomicU64::new(0);

pub fn chunk_reads() -> u64 {
    CHUNK_READS.load(Ordering::Relaxed)
}

/// The chunks one axis of a selection passes through: chunk index and the
/// range of selection positions `[lo, hi)` inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AxisPart {
    pub chunk: usize,
    pub lo: usize,
    pub hi: usize,
}

pub(crate) fn axis_parts(axis: &AxisSel, chunk: usize) -> Vec<AxisPart> {
    let step = axis.step as usize;
    let mut parts = Vec::new();
    let mut k = 0;
    while k < axis.count {
        let index = axis.start + k * step;
        let c = index / chunk;
        let end = (c + 1) * chunk;
        let hi = axis.count.min(k + (end - index).div_ceil(step));
        parts.push(AxisPart {
            chunk: c,
            lo: k,
            hi,
        });
        k = hi;
    }
    parts
}

/// Every combination of one part per axis (C order).
pub(crate) fn cartesian(parts: &[Vec<AxisPart>]) -> Vec<Vec<AxisPart>> {
    parts.iter().fold(vec![Vec::new()], |acc, axis| {
        acc.iter()
            .flat_map(|prefix| {
                axis.iter().map(move |p| {
                    let mut next = prefix.clone();
                    next.push(*p);
                    next
                })
            })
            .collect()
    })
}

impl Dataset {
    /// Reads a selection into a grid of the selection's shape. A versioned
    /// dataset is read chunk by chunk from `raw_data` through its chunk map,
    /// never through HDF5's virtual-dataset machinery (several times slower
    /// per chunk); only a VDS that is not versioned-hdf5's one-mapping-per-
    /// chunk layout is left to HDF5.
    pub fn read(&self, sel: &Selection) -> Result<ValueGrid> {
        let through_hdf5 = match &self.source {
            Source::Plain => true,
            Source::Chunked { .. } => self.chunk_map().is_err(),
            Source::AllFill => false,
        };
        if !through_hdf5 {
            return self.read_chunked(sel);
        }
        let mem_type = h5::dataset_type(self.h5.id())?;
        let read = |asc: &Selection, counts: &[usize], buf: &mut [u8]| {
            self.read_direct(asc, counts, buf, mem_type.id())
        };
        self.read_with(sel, &self.meta.dtype, &self.meta.fill, read)
    }

    /// Reads a selection chunk by chunk through the chunk map, counting the
    /// chunk reads (staging and diff use this).
    pub fn read_chunked(&self, sel: &Selection) -> Result<ValueGrid> {
        let mem_type = h5::dataset_type(self.h5.id())?;
        self.read_chunks_as(sel, &self.meta.dtype, &self.meta.fill, mem_type.id())
    }

    /// Reads through the chunk map converting to `dtype` with HDF5's own
    /// conversions (saturating, as h5py's `astype` on a dataset does);
    /// unwritten cells read as `fill`, given in `dtype`.
    pub fn read_converted(
        &self,
        sel: &Selection,
        dtype: &Dtype,
        fill: &ValueGrid,
    ) -> Result<ValueGrid> {
        let mem_type = dtype.to_type_id()?;
        self.read_chunks_as(sel, dtype, fill, mem_type.id())
    }

    fn read_chunks_as(
        &self,
        sel: &Selection,
        dtype: &Dtype,
        fill: &ValueGrid,
        mem_type: hid_t,
    ) -> Result<ValueGrid> {
        let map = match &self.source {
            Source::Chunked { .. } => self.chunk_map()?,
            Source::AllFill => None,
            Source::Plain if dtype == &self.meta.dtype => return self.read(sel),
            Source::Plain => {
                return self.read_with(sel, dtype, fill, |asc, counts, buf| {
                    self.read_direct(asc, counts, buf, mem_type)
                });
            }
        };
        let raw = match &self.source {
            Source::Chunked { raw, .. } => Some(raw),
            _ => None,
        };
        self.read_with(sel, dtype, fill, |asc, counts, buf| {
            let (Some(map), Some(raw)) = (map, raw) else {
                return Ok(());
            };
            let parts: Vec<Vec<AxisPart>> = asc
                .axes
                .iter()
                .zip(&map.chunks)
                .map(|(a, &c)| axis_parts(a, c))
                .collect();
            for combo in cartesian(&parts) {
                let index: Vec<usize> = combo.iter().map(|p| p.chunk).collect();
                let Some(block) = map.get(&index) else {
                    continue;
                };
                let file = Hyperslab {
                    start: (0..combo.len())
                        .map(|d| {
                            let a = &asc.axes[d];
                            let first = a.start + combo[d].lo * a.step as usize;
                            block.start[d] + first - index[d] * map.chunks[d]
                        })
                        .collect(),
                    stride: asc.axes.iter().map(|a| a.step as usize).collect(),
                    count: combo.iter().map(|p| p.hi - p.lo).collect(),
                };
                let mem = Hyperslab {
                    start: combo.iter().map(|p| p.lo).collect(),
                    stride: vec![1; combo.len()],
                    count: file.count.clone(),
                };
                h5::read_hyperslab(raw.id(), mem_type, &file, counts, &mem, buf)?;
                CHUNK_READS.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        })
    }

    /// One HDF5 read of the whole (ascending) selection from the dataset.
    fn read_direct(
        &self,
        asc: &Selection,
        counts: &[usize],
        buf: &mut [u8],
        mem_type: hid_t,
    ) -> Result<()> {
        let file = Hyperslab {
            start: asc.axes.iter().map(|a| a.start).collect(),
            stride: asc.axes.iter().map(|a| a.step as usize).collect(),
            count: counts.to_vec(),
        };
        h5::read_hyperslab(self.h5.id(), mem_type, &file, counts, &whole(counts), buf)?;
        Ok(())
    }

    /// Fill-initialized buffer, filled by `fill` in ascending order, then
    /// flipped on negatively stepped axes and decoded.
    fn read_with(
        &self,
        sel: &Selection,
        dtype: &Dtype,
        fill: &ValueGrid,
        read: impl FnOnce(&Selection, &[usize], &mut [u8]) -> Result<()>,
    ) -> Result<ValueGrid> {
        let (asc, flip) = sel.ascending();
        let counts: Vec<usize> = asc.axes.iter().map(|a| a.count).collect();
        let n: usize = counts.iter().product();
        // Unwritten cells: the fill value; variable-length slots start NULL.
        let mut buf = if dtype.has_vlen() {
            vec![0u8; n * dtype.size()]
        } else {
            fill.raw_bytes().repeat(n)
        };
        if n > 0 {
            read(&asc, &counts, &mut buf)?;
        }
        if flip.iter().any(|&f| f) {
            buf = reverse_axes(&buf, &counts, dtype.size(), &flip);
        }
        // Safety: vlen slots are NULL or strings HDF5 allocated during the reads.
        Ok(unsafe { ValueGrid::from_hdf5_buffer(dtype.clone(), sel.out_shape(), buf) })
    }

    pub fn read_all(&self) -> Result<ValueGrid> {
        self.read(&Selection::all(&self.meta.shape))
    }

    /// Visits the whole dataset in C order, a block of leading-axis rows at
    /// a time, so memory stays bounded whatever the dataset's size.
    pub fn for_each_block(&self, mut visit: impl FnMut(&ValueGrid) -> Result<()>) -> Result<()> {
        let shape = &self.meta.shape;
        if shape.is_empty() || self.meta.is_empty() {
            return visit(&self.read_all()?);
        }
        let row: usize = shape[1..].iter().product::<usize>().max(1);
        let rows_per_block = ((1usize << 22) / row).max(1);
        let mut start = 0;
        while start < shape[0] {
            let stop = shape[0].min(start + rows_per_block);
            let mut sel = Selection::all(shape);
            sel.axes[0] = AxisSel {
                start,
                step: 1,
                count: stop - start,
                keep: true,
            };
            visit(&self.read(&sel)?)?;
            start = stop;
        }
        Ok(())
    }
}

fn whole(counts: &[usize]) -> Hyperslab {
    Hyperslab {
        start: vec![0; counts.len()],
        stride: vec![1; counts.len()],
        count: counts.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(start: usize, step: i64, count: usize) -> AxisSel {
        AxisSel {
            start,
            step,
            count,
            keep: true,
        }
    }

    #[test]
    fn axis_parts_split_at_chunk_edges() {
        let parts = axis_parts(&sel(2, 1, 7), 4);
        assert_eq!(
            parts,
            vec![
                AxisPart {
                    chunk: 0,
                    lo: 0,
                    hi: 2
                },
                AxisPart {
                    chunk: 1,
                    lo: 2,
                    hi: 6
                },
                AxisPart {
                    chunk: 2,
                    lo: 6,
                    hi: 7
                }
            ]
        );
    }

    #[test]
    fn strided_axis_skips_untouched_chunks() {
        // indices 0, 10, 20 with chunk 4: chunks 0, 2, 5 only.
        let parts = axis_parts(&sel(0, 10, 3), 4);
        let chunks: Vec<usize> = parts.iter().map(|p| p.chunk).collect();
        assert_eq!(chunks, vec![0, 2, 5]);
        assert!(parts.iter().all(|p| p.hi - p.lo == 1));
    }

    #[test]
    fn cartesian_is_c_order() {
        let a = vec![
            AxisPart {
                chunk: 0,
                lo: 0,
                hi: 1,
            },
            AxisPart {
                chunk: 1,
                lo: 1,
                hi: 2,
            },
        ];
        let combos = cartesian(&[a.clone(), a]);
        let idx: Vec<Vec<usize>> = combos
            .iter()
            .map(|c| c.iter().map(|p| p.chunk).collect())
            .collect();
        assert_eq!(idx, vec![vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1]]);
    }
}
