//! Slice reads: only the chunks a selection touches are read.

use std::sync::atomic::{AtomicU64, Ordering};

use super::codec::Pipeline;
use super::dataset::{Dataset, Source};
use super::dtype::Dtype;
use super::error::{Error, Result};
use super::grid::{selection_parts, ChunkPart};
use super::h5::{self, Hyperslab};
use super::refs;
use super::slice::{reverse_axes, AxisSel, Selection};
use super::value::ValueGrid;
use hdf5_sys::h5i::hid_t;

/// Chunk reads from `raw_data` since the process started: lets tests prove
/// that a read touched only the chunks it had to.
static CHUNK_READS: AtomicU64 = AtomicU64::new(0);

pub fn chunk_reads() -> u64 {
    CHUNK_READS.load(Ordering::Relaxed)
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
        // The memory type is the dataset's stored type: where `raw_data`
        // stores that same type and `codec` knows the filters, chunks need
        // no HDF5 pipeline or conversion and their bytes are copied as is.
        let same_type = || match &self.source {
            Source::Chunked { raw, .. } => {
                h5::dataset_type(raw.id()).is_ok_and(|t| h5::types_equal(t.id(), mem_type.id()))
            }
            _ => false,
        };
        let here = self
            .pipeline()
            .filter(|_| !self.meta.dtype.has_refs() && same_type());
        self.read_chunks_as(sel, &self.meta.dtype, &self.meta.fill, mem_type.id(), here)
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
        self.read_chunks_as(sel, dtype, fill, mem_type.id(), None)
    }

    /// `decode_here`: the chunks' decoder when their stored bytes can be
    /// decoded outside HDF5 and copied without conversion.
    fn read_chunks_as(
        &self,
        sel: &Selection,
        dtype: &Dtype,
        fill: &ValueGrid,
        mem_type: hid_t,
        decode_here: Option<Pipeline>,
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
            for combo in selection_parts(asc, &map.chunks) {
                let index: Vec<usize> = combo.iter().map(|p| p.chunk).collect();
                let Some(block) = map.get(&index) else {
                    continue;
                };
                let origin = map.chunk_start(&index);
                // Where the part starts inside the chunk.
                let within: Vec<usize> = (0..combo.len())
                    .map(|d| {
                        asc.axes[d].start + combo[d].lo * asc.axes[d].step as usize - origin[d]
                    })
                    .collect();
                let part = ChunkPart {
                    within: &within,
                    step: &asc.axes.iter().map(|a| a.step as usize).collect::<Vec<_>>(),
                    count: &combo.iter().map(|p| p.hi - p.lo).collect::<Vec<_>>(),
                    at: &combo.iter().map(|p| p.lo).collect::<Vec<_>>(),
                };
                // Decoded here when it can be; anything odd about the stored
                // chunk is left to HDF5, which reads it or says what is wrong.
                let copied = match &decode_here {
                    Some(pipeline) if chunk_aligned(&block.start, &map.chunks) => {
                        let at = (&block.start[..], &map.chunks[..]);
                        self.copy_decoded(raw.id(), pipeline, at, &part, counts, buf)
                    }
                    _ => false,
                };
                if !copied {
                    read_part(raw.id(), mem_type, &block.start, &part, counts, buf).map_err(
                        |e| {
                            let slot = block.start[0] / map.chunks[0];
                            e.context(format!(
                                "{}: chunk {index:?} (raw slot {slot}) cannot be read, \
                                 the file may be damaged (vh5 check tells)",
                                self.meta.path
                            ))
                        },
                    )?;
                }
                CHUNK_READS.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        })
    }

    /// Reads the stored chunk of `raw_data` at `at` (its start and the
    /// chunk shape), decodes it with `pipeline` and copies `part` of it into
    /// `buf` (C order, `counts`). `false`, with nothing copied, when the
    /// chunk is not allocated or does not read or decode.
    fn copy_decoded(
        &self,
        raw: hid_t,
        pipeline: &Pipeline,
        (start, chunks): (&[usize], &[usize]),
        part: &ChunkPart,
        counts: &[usize],
        buf: &mut [u8],
    ) -> bool {
        let Ok(Some((stored, mask))) = h5::read_stored_chunk(raw, start) else {
            return false;
        };
        let size = self.meta.dtype.size();
        let Ok(chunk) = pipeline.decode(stored, mask, chunks.iter().product::<usize>() * size)
        else {
            return false;
        };
        part.copy(&chunk, chunks, size, buf, counts);
        true
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
            self.check_sources(&asc)?;
            read(&asc, &counts, &mut buf).map_err(|e| self.explain(e))?;
        }
        if flip.iter().any(|&f| f) {
            buf = reverse_axes(&buf, &counts, dtype.size(), &flip);
        }
        // Safety: vlen slots are NULL or strings HDF5 allocated during the reads.
        let mut grid = unsafe { ValueGrid::from_hdf5_buffer(dtype.clone(), sel.out_shape(), buf) };
        if dtype.has_refs() {
            refs::resolve(&mut grid, self.h5.id());
        }
        Ok(grid)
    }

    /// Refuses a read of a plain VDS that would touch a mapping whose
    /// source file is missing: HDF5 would quietly give the fill value there.
    fn check_sources(&self, asc: &Selection) -> Result<()> {
        let Some(view) = &self.meta.virtual_view else {
            return Ok(());
        };
        let start: Vec<usize> = asc.axes.iter().map(|a| a.start).collect();
        let extent: Vec<usize> = asc
            .axes
            .iter()
            .map(|a| (a.count.max(1) - 1) * a.step as usize + 1)
            .collect();
        match view.missing_in(&start, &extent) {
            Some(m) => Err(Error::runtime(format!(
                "{}: source file {} not found (it backs {}, which HDF5 would read as the fill value)",
                self.meta.path,
                m.file,
                m.regions[0]
            ))),
            None => Ok(()),
        }
    }

    /// An HDF5 read failure, named by its likely cause: a filter this
    /// build does not have.
    fn explain(&self, e: Error) -> Error {
        match self.meta.unavailable_filter() {
            Some(f) => Error::runtime(format!(
                "{}: filter {} is not available in this build",
                self.meta.path,
                f.label()
            )),
            None => e,
        }
    }

    /// The decoder of this dataset's stored chunks when they can be decoded
    /// outside HDF5 (see `codec`): a chunk-mapped dataset of fixed-size
    /// elements whose filters `codec` knows.
    pub(crate) fn pipeline(&self) -> Option<Pipeline> {
        let mapped = matches!(self.source, Source::Chunked { .. })
            && self.chunk_map().is_ok_and(|m| m.is_some());
        if !mapped || self.meta.dtype.has_vlen() {
            return None;
        }
        let ids: Vec<i32> = self.meta.filters.iter().map(|f| f.id).collect();
        Pipeline::new(&ids, self.meta.dtype.size())
    }

    /// The stored (still encoded) bytes and filter mask of the chunk at
    /// grid position `index`; `None` where it reads as the fill value.
    pub(crate) fn stored_chunk(&self, index: &[usize]) -> Result<Option<(Vec<u8>, u32)>> {
        let (Source::Chunked { raw, .. }, Some(map)) = (&self.source, self.chunk_map()?) else {
            return Ok(None);
        };
        let Some(block) = map.get(index) else {
            return Ok(None);
        };
        CHUNK_READS.fetch_add(1, Ordering::Relaxed);
        let stored = h5::read_stored_chunk(raw.id(), &block.start).map_err(|e| {
            super::error::Error::from(e).context(format!(
                "{}: raw_data chunk at {:?}",
                self.meta.path, block.start
            ))
        })?;
        Ok(stored)
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

/// Reads `part` of the `raw_data` chunk whose region starts at `start`
/// through HDF5 (its pipeline and type conversion to `mem_type`).
fn read_part(
    raw: hid_t,
    mem_type: hid_t,
    start: &[usize],
    part: &ChunkPart,
    counts: &[usize],
    buf: &mut [u8],
) -> Result<()> {
    let file = Hyperslab {
        start: start.iter().zip(part.within).map(|(s, w)| s + w).collect(),
        stride: part.step.to_vec(),
        count: part.count.to_vec(),
    };
    let mem = Hyperslab {
        start: part.at.to_vec(),
        stride: vec![1; start.len()],
        count: part.count.to_vec(),
    };
    Ok(h5::read_hyperslab(raw, mem_type, &file, counts, &mem, buf)?)
}

/// Whether a `raw_data` block starts on a chunk boundary (versioned-hdf5's
/// slots always do), so that it is one stored chunk.
fn chunk_aligned(start: &[usize], chunks: &[usize]) -> bool {
    start.iter().zip(chunks).all(|(s, c)| s % c == 0)
}

fn whole(counts: &[usize]) -> Hyperslab {
    Hyperslab {
        start: vec![0; counts.len()],
        stride: vec![1; counts.len()],
        count: counts.to_vec(),
    }
}
