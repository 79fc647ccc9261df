//! Diff mode in the array: the changed cells of the shown plane (the row
//! and column axes, the others pinned) in C order of those two axes, found
//! without a full scan. The chunk maps say which chunks of B can differ
//! from A (`chunk_diff`); only those are read, a band of chunk rows at a
//! time, and compared cell by cell (`diff_mask`). Runs on the worker.

use std::collections::{BTreeMap, BTreeSet};

use crate::engine::diff::{chunk_diff, diff_mask};
use crate::engine::progress::Cancel;
use crate::engine::{Dataset, Error, Result};

/// The two shown axes of a dataset and the index of every other axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plane {
    pub row_axis: usize,
    pub col_axis: Option<usize>,
    /// One index per axis; only those of the pinned axes are read.
    pub pinned: Vec<usize>,
}

/// The changed cell found by a step, and where it ranks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// (row, column) in the plane.
    pub cell: [usize; 2],
    /// Its band of chunk rows.
    pub band: usize,
    /// Changed cells before it in its band.
    pub rank: usize,
}

/// B's chunks of one plane that can hold changed cells, by band of chunk
/// rows, each band's chunk columns in order.
pub struct PlaneChanges<'a> {
    da: &'a Dataset,
    db: &'a Dataset,
    plane: Plane,
    shape: Vec<usize>,
    chunks: Vec<usize>,
    bands: BTreeMap<usize, BTreeSet<usize>>,
}

fn div_ceil(n: usize, d: usize) -> usize {
    n.div_ceil(d.max(1))
}

impl<'a> PlaneChanges<'a> {
    /// `None` for a 0-d dataset (one cell: nothing to step through).
    pub fn new(da: &'a Dataset, db: &'a Dataset, plane: Plane) -> Result<Option<Self>> {
        let shape = db.meta.shape.clone();
        if shape.is_empty() || plane.row_axis >= shape.len() {
            return Ok(None);
        }
        let chunks: Vec<usize> = db
            .meta
            .chunks
            .clone()
            .unwrap_or_else(|| shape.clone())
            .into_iter()
            .map(|c| c.max(1))
            .collect();
        let r = plane.row_axis;
        let grid_r = div_ceil(shape[r], chunks[r]);
        let grid_c = plane.col_axis.map_or(1, |c| div_ceil(shape[c], chunks[c]));
        let col_of = |p: &[usize]| plane.col_axis.map_or(0, |c| p[c]);
        let pinned_chunk = |a: usize| plane.pinned[a] / chunks[a];
        let shown = |a: usize| a == r || Some(a) == plane.col_axis;
        let mut bands: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
        let same_layout = da.meta.shape.len() == shape.len()
            && da.meta.dtype == db.meta.dtype
            && da.meta.chunks == db.meta.chunks;
        // The chunk grid both versions share (A's grid, clipped to B's).
        let common: Vec<usize> = if same_layout {
            shape
                .iter()
                .zip(&da.meta.shape)
                .zip(&chunks)
                .map(|((&b, &a), &c)| div_ceil(b.min(a), c))
                .collect()
        } else {
            vec![0; shape.len()]
        };
        let plane_outside = (0..shape.len()).any(|a| !shown(a) && pinned_chunk(a) >= common[a]);
        if plane_outside {
            // Every chunk of the plane is new (or laid out anew): all can differ.
            for br in 0..grid_r {
                bands.entry(br).or_default().extend(0..grid_c);
            }
        } else {
            let diff = chunk_diff(da, db)?;
            for p in &diff.changed_common {
                let in_plane = (0..shape.len()).all(|a| shown(a) || p[a] == pinned_chunk(a));
                if in_plane {
                    bands.entry(p[r]).or_default().insert(col_of(p));
                }
            }
            // Chunks beyond the common grid exist only in B.
            let common_c = plane.col_axis.map_or(1, |c| common[c]);
            for br in 0..grid_r {
                let cols: Box<dyn Iterator<Item = usize>> = if br >= common[r] {
                    Box::new(0..grid_c)
                } else {
                    Box::new(common_c..grid_c)
                };
                let cols: Vec<usize> = cols.collect();
                if !cols.is_empty() {
                    bands.entry(br).or_default().extend(cols);
                }
            }
        }
        Ok(Some(PlaneChanges {
            da,
            db,
            plane,
            shape,
            chunks,
            bands,
        }))
    }

    /// The changed cells of one band, in C order of (row, column).
    fn band_cells(&self, band: usize) -> Result<Vec<[usize; 2]>> {
        let Some(cols) = self.bands.get(&band) else {
            return Ok(Vec::new());
        };
        let nd = self.shape.len();
        let (r, c) = (self.plane.row_axis, self.plane.col_axis);
        let mut cells = Vec::new();
        for &bc in cols {
            let mut start = self.plane.pinned.clone();
            let mut count = vec![1; nd];
            start[r] = band * self.chunks[r];
            count[r] = self.chunks[r].min(self.shape[r] - start[r]);
            if let Some(c) = c {
                start[c] = bc * self.chunks[c];
                count[c] = self.chunks[c].min(self.shape[c] - start[c]);
            }
            let mask = if self.da.meta.shape.len() == nd {
                diff_mask(self.da, self.db, &start, &count)?.0
            } else {
                vec![true; count.iter().product()]
            };
            // C-order strides of the window.
            let mut strides = vec![1; nd];
            for a in (0..nd.saturating_sub(1)).rev() {
                strides[a] = strides[a + 1] * count[a + 1];
            }
            for lr in 0..count[r] {
                for lc in 0..c.map_or(1, |c| count[c]) {
                    let i = lr * strides[r] + c.map_or(0, |c| lc * strides[c]);
                    if mask.get(i).copied().unwrap_or(false) {
                        cells.push([start[r] + lr, c.map_or(0, |c| start[c] + lc)]);
                    }
                }
            }
        }
        cells.sort();
        Ok(cells)
    }

    /// The first changed cell after `from` (or, backwards, the last one
    /// before it), in C order of (row, column); `None` when there is none.
    pub fn step(&self, from: [usize; 2], forward: bool) -> Result<Option<Found>> {
        let here = from[0] / self.chunks[self.plane.row_axis];
        let bands: Vec<usize> = if forward {
            self.bands.range(here..).map(|(b, _)| *b).collect()
        } else {
            self.bands.range(..=here).rev().map(|(b, _)| *b).collect()
        };
        for band in bands {
            let cells = self.band_cells(band)?;
            let pick = if forward {
                cells.iter().position(|&x| x > from)
            } else {
                cells.iter().rposition(|&x| x < from)
            };
            if let Some(rank) = pick {
                return Ok(Some(Found {
                    cell: cells[rank],
                    band,
                    rank,
                }));
            }
        }
        Ok(None)
    }

    /// Changed cells per band (those with any), for "k of N"; `cancel`
    /// stops it between two bands.
    pub fn count(&self, cancel: Cancel) -> Result<Vec<(usize, usize)>> {
        let mut out = Vec::new();
        for &band in self.bands.keys() {
            if cancel() {
                return Err(Error::cancelled());
            }
            let n = self.band_cells(band)?.len();
            if n > 0 {
                out.push((band, n));
            }
        }
        Ok(out)
    }
}

/// "k of N" from a step's answer and the per-band counts.
pub fn rank_of(found: &Found, counts: &[(usize, usize)]) -> (usize, usize) {
    let before: usize = counts
        .iter()
        .filter(|(b, _)| *b < found.band)
        .map(|(_, n)| n)
        .sum();
    let total = counts.iter().map(|(_, n)| n).sum();
    (before + found.rank + 1, total)
}

/// A 1-D dataset's min and max per bucket (`width` buckets, or one per
/// value when there are fewer), read a block of chunks at a time; NaNs are
/// left out (a bucket of NaNs only is NaN). `cancel` stops it between two
/// blocks.
pub fn overview(ds: &Dataset, width: usize, cancel: Cancel) -> Result<Vec<(f64, f64)>> {
    let n = ds.meta.shape.first().copied().unwrap_or(0);
    if ds.meta.shape.len() != 1 || n == 0 {
        return Ok(Vec::new());
    }
    let buckets = width.clamp(1, n);
    let mut out = vec![(f64::NAN, f64::NAN); buckets];
    let chunk = ds
        .meta
        .chunks
        .as_ref()
        .and_then(|c| c.first().copied())
        .unwrap_or(n)
        .max(1);
    let block = chunk * (1usize << 16).div_ceil(chunk);
    let mut start = 0;
    while start < n {
        if cancel() {
            return Err(Error::cancelled());
        }
        let count = block.min(n - start);
        let grid = ds.read_chunked(&crate::engine::Selection::block(&[start], &[count]))?;
        for i in 0..count {
            let Some(v) = grid.get(i).as_f64().filter(|v| !v.is_nan()) else {
                continue;
            };
            let b = (start + i) * buckets / n;
            let (lo, hi) = &mut out[b];
            *lo = if lo.is_nan() { v } else { lo.min(v) };
            *hi = if hi.is_nan() { v } else { hi.max(v) };
        }
        start += count;
    }
    Ok(out)
}

/// The names and position labels of a dataset's axes (`scale_labels`),
/// an axis's dimension label (h5py's `dims[i].label`) naming it where set.
pub fn axis_labels(
    file: &crate::engine::Vh5File,
    version: &crate::engine::Version,
    ds: &Dataset,
) -> Vec<super::array::AxisLabel> {
    let mut labels = scale_labels(file, version, ds);
    for (axis, d) in ds.meta.dims.iter().enumerate() {
        if d.label.is_empty() {
            continue;
        }
        if labels.is_empty() {
            labels = vec![Default::default(); ds.meta.shape.len()];
        }
        if let Some(l) = labels.get_mut(axis) {
            l.name = Some(d.label.clone());
        }
    }
    labels
}

/// The names and position labels of a dataset's axes: from the dimension
/// scales attached to it (`DIMENSION_LIST`), else from its `axes`
/// attribute (one name per axis). A scale (or a dataset of that name
/// beside it, or at that absolute path) that is 1-D and as long as the
/// axis labels its positions with its values.
fn scale_labels(
    file: &crate::engine::Vh5File,
    version: &crate::engine::Version,
    ds: &Dataset,
) -> Vec<super::array::AxisLabel> {
    use super::array::AxisLabel;
    let shape = &ds.meta.shape;
    let parent = match ds.meta.path.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => ds.meta.path[..i].to_string(),
    };
    // A scale's path in the file, as a path in the version.
    let in_version = |p: &str| -> String {
        match p.strip_prefix("/_version_data/versions/") {
            Some(rest) => match rest.find('/') {
                Some(i) => rest[i..].to_string(),
                None => "/".into(),
            },
            None => p.to_string(),
        }
    };
    let scales = crate::engine::attrs::dimension_scales(&ds.h5).unwrap_or_default();
    let names: Vec<Option<String>> =
        if scales.len() == shape.len() && scales.iter().any(Option::is_some) {
            scales
                .iter()
                .map(|s| s.as_deref().map(in_version))
                .collect()
        } else {
            let Some(axes) = ds.meta.attrs.iter().find(|a| a.name == "axes") else {
                return Vec::new();
            };
            let names: Vec<Option<String>> = match axes.to_json() {
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|v| {
                        Some(
                            v.as_str()
                                .map(String::from)
                                .unwrap_or_else(|| v.to_string()),
                        )
                    })
                    .collect(),
                serde_json::Value::String(s) => vec![Some(s)],
                _ => return Vec::new(),
            };
            names
        };
    if names.len() != shape.len() {
        return Vec::new();
    }
    names
        .into_iter()
        .enumerate()
        .map(|(axis, name)| {
            let Some(name) = name else {
                return AxisLabel::default();
            };
            let path = if name.starts_with('/') {
                name.clone()
            } else {
                crate::engine::tree::join(&parent, &name)
            };
            let values = file.dataset(version, &path).ok().and_then(|scale| {
                let ok = scale.meta.shape.len() == 1
                    && scale.meta.shape[0] == shape[axis]
                    && scale.meta.shape[0] <= 100_000
                    && path != ds.meta.path;
                ok.then(|| {
                    scale.read_chunked(&crate::engine::Selection::block(&[0], &[shape[axis]]))
                })
                .and_then(|g| g.ok())
                .map(|g| (0..g.len()).map(|i| label_text(&g.get(i))).collect())
            });
            let short = name.rsplit('/').next().unwrap_or(&name).to_string();
            AxisLabel {
                name: Some(short),
                values,
            }
        })
        .collect()
}

/// A scale's value as a label: strings as they are, numbers as shown.
fn label_text(v: &crate::engine::Value) -> String {
    use crate::engine::Value;
    match v {
        Value::Str(s) => s.clone(),
        Value::Bytes(b) => b.iter().map(|&c| c as char).collect(),
        other => other.to_string(),
    }
}
