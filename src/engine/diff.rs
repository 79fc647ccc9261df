//! What changed between two versions, at three depths, each as cheap as it
//! can be: structure and metadata (no data), chunks (from the two chunk
//! maps alone: content addressing means same region = same data), and cells
//! (reading only the chunks that changed).

mod cell_eq;
mod chunk_pairs;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::attrs::Attr;
use super::chunkindex::BytesVerdict;
use super::chunkmap::ChunkMap;
use super::dataset::Dataset;
use super::error::{Error, Result};
use super::file::Vh5File;
use super::grid::{grid_positions, unflat};
use super::progress::{never, Cancel};
use super::slice::{AxisSel, Selection};
use super::tree::{Node, NodeKind};
use super::value::{Value, ValueGrid};
use super::versions::Version;

pub use cell_eq::CellEq;
pub use chunk_pairs::chunks_decoded_on_workers;

/// How deep a diff looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Depth {
    /// Nodes and metadata only.
    Structure,
    /// Plus which chunks differ, from the chunk maps (no data read).
    Chunks,
    /// Plus how many cells differ, reading only the changed chunks.
    Cells,
}

/// Attribute changes on one node, with both values of changed ones.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttrDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<(String, Json, Json)>,
}

impl AttrDiff {
    pub fn between(a: &[Attr], b: &[Attr]) -> AttrDiff {
        let am: BTreeMap<&str, &Attr> = a.iter().map(|x| (x.name.as_str(), x)).collect();
        let bm: BTreeMap<&str, &Attr> = b.iter().map(|x| (x.name.as_str(), x)).collect();
        // Equal as their exact (widened) values, as NumPy compares them;
        // shown with narrow floats as their shortest text (0.1, not
        // 0.10000000149011612).
        let changed = am.iter().filter_map(|(k, x)| {
            let y = bm.get(k)?;
            (x.to_json() != y.to_json()).then(|| {
                (
                    k.to_string(),
                    x.value.to_json_shortest(),
                    y.value.to_json_shortest(),
                )
            })
        });
        AttrDiff {
            added: bm
                .keys()
                .filter(|k| !am.contains_key(*k))
                .map(|k| k.to_string())
                .collect(),
            removed: am
                .keys()
                .filter(|k| !bm.contains_key(*k))
                .map(|k| k.to_string())
                .collect(),
            changed: changed.collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Chunk-grid positions that differ between two versions of a dataset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChunkDiff {
    /// Changed positions inside the grid both versions share, C order.
    pub changed_common: Vec<Vec<usize>>,
    /// Positions present in only one version's grid.
    pub only_in_one: usize,
    /// Positions in the union of both grids.
    pub total: usize,
}

impl ChunkDiff {
    pub fn changed(&self) -> usize {
        self.changed_common.len() + self.only_in_one
    }
}

/// One dataset present in both versions.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetChange {
    pub path: String,
    pub shape: (Vec<usize>, Vec<usize>),
    pub dtype: (Json, Json),
    pub chunks: (Option<Vec<usize>>, Option<Vec<usize>>),
    pub fill: (Json, Json),
    pub compression: (Option<Json>, Option<Json>),
    pub attrs: AttrDiff,
    /// From `Depth::Chunks` on.
    pub chunk_diff: Option<ChunkDiff>,
    /// From `Depth::Cells` on.
    pub elements_changed: Option<u64>,
}

impl DatasetChange {
    /// Whether anything differs between the two sides.
    pub fn is_change(&self) -> bool {
        self.shape.0 != self.shape.1
            || self.dtype.0 != self.dtype.1
            || self.chunks.0 != self.chunks.1
            || self.fill.0 != self.fill.1
            || self.compression.0 != self.compression.1
            || !self.attrs.is_empty()
            || self.chunk_diff.as_ref().is_some_and(|c| c.changed() > 0)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Dataset(Box<DatasetChange>),
    Group { path: String, attrs: AttrDiff },
}

impl Change {
    pub fn path(&self) -> &str {
        match self {
            Change::Dataset(d) => &d.path,
            Change::Group { path, .. } => path,
        }
    }
}

/// Everything that changed from version `a` to version `b` below a path.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionDiff {
    pub a: String,
    pub b: String,
    pub added: Vec<Node>,
    pub removed: Vec<Node>,
    pub modified: Vec<Change>,
}

impl Vh5File {
    /// Compares two versions below `path` (a group or a dataset).
    pub fn diff(&self, a: &Version, b: &Version, path: &str, depth: Depth) -> Result<VersionDiff> {
        self.diff_cancellable(a, b, path, depth, &never)
    }

    /// `diff`, stopped between two nodes when `cancel` says so (the
    /// browser's background summaries give way to the user's requests).
    pub fn diff_cancellable(
        &self,
        a: &Version,
        b: &Version,
        path: &str,
        depth: Depth,
        cancel: Cancel,
    ) -> Result<VersionDiff> {
        let nodes_a = self.nodes_at(a, path)?;
        let nodes_b = self.nodes_at(b, path)?;
        let kinds_a: BTreeMap<&str, NodeKind> =
            nodes_a.iter().map(|n| (n.path.as_str(), n.kind)).collect();
        let kinds_b: BTreeMap<&str, NodeKind> =
            nodes_b.iter().map(|n| (n.path.as_str(), n.kind)).collect();
        let mut diff = VersionDiff {
            a: a.name.clone(),
            b: b.name.clone(),
            added: Vec::new(),
            removed: Vec::new(),
            modified: Vec::new(),
        };
        for n in &nodes_b {
            if kinds_a.get(n.path.as_str()) != Some(&n.kind) {
                diff.added.push(n.clone());
            }
        }
        for n in &nodes_a {
            match kinds_b.get(n.path.as_str()) {
                Some(kind) if *kind == n.kind => {
                    if cancel() {
                        return Err(Error::cancelled());
                    }
                    if let Some(change) = self.node_change(a, b, n, depth)? {
                        diff.modified.push(change);
                    }
                }
                _ => diff.removed.push(n.clone()),
            }
        }
        Ok(diff)
    }

    /// The node at `path` and everything below it (nothing if absent).
    fn nodes_at(&self, v: &Version, path: &str) -> Result<Vec<Node>> {
        let Ok(node) = self.node(v, path) else {
            return Ok(Vec::new());
        };
        let mut nodes = vec![node.clone()];
        if node.kind == NodeKind::Group {
            nodes.extend(self.walk(v, &node.path)?);
        }
        nodes.sort_by(|x, y| x.path.as_bytes().cmp(y.path.as_bytes()));
        Ok(nodes)
    }

    fn node_change(
        &self,
        a: &Version,
        b: &Version,
        node: &Node,
        depth: Depth,
    ) -> Result<Option<Change>> {
        if node.kind == NodeKind::Group {
            let attrs = AttrDiff::between(
                &self.group_attrs(a, &node.path)?,
                &self.group_attrs(b, &node.path)?,
            );
            return Ok((!attrs.is_empty()).then(|| Change::Group {
                path: node.path.clone(),
                attrs,
            }));
        }
        let with_attrs = match self.dataset_bytes_verdict(&a.name, &b.name, &node.path) {
            BytesVerdict::Same => return Ok(None),
            BytesVerdict::SameAttrs => false,
            BytesVerdict::Unknown => true,
        };
        let da = self.open_dataset(a, &node.path, with_attrs)?;
        let db = self.open_dataset(b, &node.path, with_attrs)?;
        let change = dataset_change(&da, &db, depth)?;
        Ok(change
            .is_change()
            .then(|| Change::Dataset(Box::new(change))))
    }
}

/// Compares one dataset in two versions, as deep as asked.
pub fn dataset_change(da: &Dataset, db: &Dataset, depth: Depth) -> Result<DatasetChange> {
    let (ma, mb) = (&da.meta, &db.meta);
    let mut change = DatasetChange {
        path: mb.path.clone(),
        shape: (ma.shape.clone(), mb.shape.clone()),
        dtype: (ma.dtype.numpy(), mb.dtype.numpy()),
        chunks: (ma.chunks.clone(), mb.chunks.clone()),
        fill: (ma.fill_value().to_json(), mb.fill_value().to_json()),
        compression: (ma.compression(), mb.compression()),
        attrs: AttrDiff::between(&ma.attrs, &mb.attrs),
        chunk_diff: None,
        elements_changed: None,
    };
    if depth >= Depth::Chunks {
        let diff = chunk_diff(da, db)?;
        if depth >= Depth::Cells {
            change.elements_changed = Some(count_changed_cells(da, db, &diff)?);
        }
        change.chunk_diff = Some(diff);
    }
    Ok(change)
}

/// The two versions' chunk maps side by side; a dataset without one (not a
/// versioned-hdf5 VDS) reads as all fill.
fn maps(da: &Dataset, db: &Dataset) -> Result<(ChunkMap, ChunkMap)> {
    let map = |d: &Dataset| -> Result<ChunkMap> {
        Ok(match d.chunk_map()? {
            Some(m) => m.clone(),
            None => ChunkMap::empty(
                d.meta.shape.clone(),
                d.meta
                    .chunks
                    .clone()
                    .unwrap_or_else(|| d.meta.shape.clone()),
                String::new(),
            ),
        })
    };
    Ok((map(da)?, map(db)?))
}

/// Which chunk positions differ, decided from the chunk maps alone.
pub fn chunk_diff(da: &Dataset, db: &Dataset) -> Result<ChunkDiff> {
    let (ma, mb) = maps(da, db)?;
    let (ga, gb) = (ma.grid_shape(), mb.grid_shape());
    if ma.chunks != mb.chunks || da.meta.dtype != db.meta.dtype {
        // Different layouts: every position differs.
        let total = ma.total() + mb.total();
        return Ok(ChunkDiff {
            changed_common: Vec::new(),
            only_in_one: total,
            total,
        });
    }
    if let Some(changed) = same_grid_changes(&ma, &mb) {
        return Ok(changed);
    }
    let common: Vec<usize> = ga.iter().zip(&gb).map(|(&x, &y)| x.min(y)).collect();
    let common_total: usize = common.iter().product();
    let inside = |i: &Vec<usize>| i.iter().zip(&common).all(|(&x, &n)| x < n);
    let mut candidates: BTreeSet<Vec<usize>> = ma
        .iter()
        .chain(mb.iter())
        .map(|(i, _)| i)
        .filter(inside)
        .collect();
    // Unmapped positions can differ only by extent, on the last common slab.
    for d in 0..common.len() {
        if common[d] == 0
            || ma.grid().extent_on(d, common[d] - 1) == mb.grid().extent_on(d, common[d] - 1)
        {
            continue;
        }
        let mut slab = common.clone();
        slab[d] = 1;
        for mut p in grid_positions(&slab) {
            p[d] = common[d] - 1;
            candidates.insert(p);
        }
    }
    let changed_common = candidates
        .into_iter()
        .filter(|p| ma.get(p) != mb.get(p) || ma.chunk_extent(p) != mb.chunk_extent(p))
        .collect();
    Ok(ChunkDiff {
        changed_common,
        only_in_one: ma.total() + mb.total() - 2 * common_total,
        total: ma.total() + mb.total() - common_total,
    })
}

/// [`chunk_diff`] of two maps of one shape that keep slots: the positions
/// whose slots differ (no extent can differ), read off the slots alone.
fn same_grid_changes(ma: &ChunkMap, mb: &ChunkMap) -> Option<ChunkDiff> {
    if ma.shape != mb.shape {
        return None;
    }
    let grid = ma.grid_shape();
    let changed = ma.changed_positions(mb)?;
    Some(ChunkDiff {
        changed_common: changed.into_iter().map(|k| unflat(k, &grid)).collect(),
        only_in_one: 0,
        total: ma.total(),
    })
}

fn common_shape(a: &[usize], b: &[usize]) -> Vec<usize> {
    a.iter().zip(b).map(|(&x, &y)| x.min(y)).collect()
}

/// Cells that differ inside the common shape (reading only changed
/// chunks) plus every cell of either version outside it.
pub fn count_changed_cells(da: &Dataset, db: &Dataset, diff: &ChunkDiff) -> Result<u64> {
    let (sa, sb) = (&da.meta.shape, &db.meta.shape);
    if sa.len() != sb.len() || da.meta.dtype != db.meta.dtype {
        return Ok((da.meta.len() + db.meta.len()) as u64);
    }
    let common = common_shape(sa, sb);
    let common_n: usize = common.iter().product();
    let mut changed = (da.meta.len() - common_n + db.meta.len() - common_n) as u64;
    if let Some(n) = chunk_pairs::count_unequal(da, db, &diff.changed_common, &common)? {
        return Ok(changed + n);
    }
    let eq = CellEq::new(&da.meta.dtype);
    for p in &diff.changed_common {
        let (ga, gb, _) = read_pair(da, db, p, &common)?;
        changed += eq.count_unequal(&ga, &gb) as u64;
    }
    Ok(changed)
}

/// Both versions' values of one chunk position, clipped to the common shape.
fn read_pair(
    da: &Dataset,
    db: &Dataset,
    position: &[usize],
    common: &[usize],
) -> Result<(ValueGrid, ValueGrid, Selection)> {
    let chunks = da.meta.chunks.clone().unwrap_or_else(|| common.to_vec());
    let axes = position
        .iter()
        .zip(&chunks)
        .zip(common)
        .map(|((&i, &c), &n)| {
            let start = (i * c).min(n);
            AxisSel {
                start,
                step: 1,
                count: (start + c).min(n) - start,
                keep: true,
            }
        })
        .collect();
    let sel = Selection { axes };
    Ok((da.read_chunked(&sel)?, db.read_chunked(&sel)?, sel))
}

/// One cell that differs; `None` where the cell is outside that version.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangedCell {
    pub index: Vec<usize>,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// Changed cells in C order of chunks, then of cells: first inside the
/// common shape (changed chunks only), then those outside it. Lazy: a page
/// reads only the chunks it needs, so millions of changes are never held,
/// and values are made only for the cells returned (`nth`, hence `skip`,
/// passes over cells without making them, and over cells outside the common
/// shape without reading them).
pub struct ChangedCells<'a> {
    da: &'a Dataset,
    db: &'a Dataset,
    eq: CellEq,
    common: Vec<usize>,
    positions: std::vec::IntoIter<Vec<usize>>,
    pending: Option<ChunkCells>,
    outside: Option<OutsideCells>,
}

/// The changed cells of one chunk position, not yet returned.
struct ChunkCells {
    ga: ValueGrid,
    gb: ValueGrid,
    sel: Selection,
    changed: std::vec::IntoIter<usize>,
}

impl ChunkCells {
    /// Element `i` of the chunk's grids as a changed cell.
    fn cell(&self, i: usize) -> ChangedCell {
        let mut index = vec![0; self.sel.axes.len()];
        let mut rest = i;
        for (d, a) in self.sel.axes.iter().enumerate().rev() {
            index[d] = a.start + rest % a.count;
            rest /= a.count;
        }
        ChangedCell {
            index,
            old: Some(self.ga.get(i)),
            new: Some(self.gb.get(i)),
        }
    }
}

impl<'a> ChangedCells<'a> {
    pub fn new(da: &'a Dataset, db: &'a Dataset, diff: &ChunkDiff) -> ChangedCells<'a> {
        let common = common_shape(&da.meta.shape, &db.meta.shape);
        ChangedCells {
            da,
            db,
            eq: CellEq::new(&da.meta.dtype),
            outside: Some(OutsideCells::new(&da.meta.shape, &db.meta.shape, &common)),
            common,
            positions: diff.changed_common.clone().into_iter(),
            pending: None,
        }
    }

    /// Reads changed chunk positions until one has changed cells.
    fn fill_pending(&mut self) -> Result<bool> {
        for p in self.positions.by_ref() {
            let (ga, gb, sel) = read_pair(self.da, self.db, &p, &self.common)?;
            let changed = self.eq.unequal(&ga, &gb);
            if !changed.is_empty() {
                self.pending = Some(ChunkCells {
                    ga,
                    gb,
                    sel,
                    changed: changed.into_iter(),
                });
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn next_outside(&mut self) -> Result<Option<ChangedCell>> {
        let Some(out) = self.outside.as_mut() else {
            return Ok(None);
        };
        let Some((index, in_a)) = out.next() else {
            self.outside = None;
            return Ok(None);
        };
        let ds = if in_a { self.da } else { self.db };
        let sel = Selection {
            axes: index
                .iter()
                .map(|&i| AxisSel {
                    start: i,
                    step: 1,
                    count: 1,
                    keep: true,
                })
                .collect(),
        };
        let value = Some(ds.read(&sel)?.get(0));
        let (old, new) = if in_a { (value, None) } else { (None, value) };
        Ok(Some(ChangedCell { index, old, new }))
    }
}

impl Iterator for ChangedCells<'_> {
    type Item = Result<ChangedCell>;

    fn next(&mut self) -> Option<Self::Item> {
        self.nth(0)
    }

    fn nth(&mut self, mut n: usize) -> Option<Self::Item> {
        loop {
            if let Some(chunk) = self.pending.as_mut() {
                let left = chunk.changed.len();
                if n < left {
                    let i = chunk.changed.nth(n).expect("n < left");
                    return Some(Ok(chunk.cell(i)));
                }
                n -= left;
                self.pending = None;
            }
            match self.fill_pending() {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Some(Err(e)),
            }
        }
        for _ in 0..n {
            if self.outside.as_mut()?.next().is_none() {
                self.outside = None;
                return None;
            }
        }
        self.next_outside().transpose()
    }
}

/// Cells outside the common shape: A's, then B's, each in C order.
struct OutsideCells {
    shapes: [Vec<usize>; 2],
    common: Vec<usize>,
    which: usize,
    cursor: Vec<usize>,
    done: bool,
}

impl OutsideCells {
    fn new(a: &[usize], b: &[usize], common: &[usize]) -> OutsideCells {
        OutsideCells {
            shapes: [a.to_vec(), b.to_vec()],
            common: common.to_vec(),
            which: 0,
            cursor: vec![0; a.len()],
            done: false,
        }
    }

    fn advance(&mut self) {
        let shape = &self.shapes[self.which];
        for d in (0..shape.len()).rev() {
            self.cursor[d] += 1;
            if self.cursor[d] < shape[d] {
                return;
            }
            self.cursor[d] = 0;
        }
        self.which += 1;
        self.cursor = vec![0; self.common.len()];
        if self.which == 2 {
            self.done = true;
        }
    }

    fn next(&mut self) -> Option<(Vec<usize>, bool)> {
        while !self.done {
            let shape = &self.shapes[self.which];
            if shape.contains(&0) {
                self.which += 1;
                self.done = self.which == 2;
                continue;
            }
            let inside = self.cursor.iter().zip(&self.common).all(|(&i, &n)| i < n);
            if inside {
                // Jump over the inside cells: up to the last axis on which
                // this shape reaches beyond the common one, all are inside.
                match (0..shape.len()).rev().find(|&d| self.common[d] < shape[d]) {
                    Some(k) => {
                        self.cursor[k] = self.common[k];
                        self.cursor[k + 1..].fill(0);
                    }
                    None => {
                        self.which += 1;
                        self.cursor.fill(0);
                        self.done = self.which == 2;
                    }
                }
                continue;
            }
            let here = self.cursor.clone();
            let in_a = self.which == 0;
            self.advance();
            return Some((here, in_a));
        }
        None
    }
}

/// An ascending window: start and count per axis.
pub fn window(start: &[usize], count: &[usize]) -> Selection {
    Selection::block(start, count)
}

/// For the browser: which cells of a window (in B's coordinates) differ
/// from A; cells outside A's shape count as changed, and so does every cell
/// when the dtype changed (as in `count_changed_cells`). Reads only the
/// chunks the window touches, in both versions.
/// Also returns A's values over the window, clipped to A's shape (the
/// browser shows them under the cursor).
pub fn diff_mask(
    da: &Dataset,
    db: &Dataset,
    start: &[usize],
    count: &[usize],
) -> Result<(Vec<bool>, ValueGrid)> {
    let gb = db.read_chunked(&window(start, count))?;
    let clip: Vec<usize> = start
        .iter()
        .zip(count)
        .zip(&da.meta.shape)
        .map(|((&s, &c), &n)| c.min(n.saturating_sub(s)))
        .collect();
    let ga = da.read_chunked(&window(start, &clip))?;
    let eq = (ga.dtype == gb.dtype).then(|| CellEq::new(&gb.dtype));
    let shown = clip.iter().all(|&c| c > 0) && clip.len() == count.len();
    let mask = match eq {
        // A covers the window: the two grids side by side.
        Some(eq) if clip == count => {
            let mut mask = vec![false; count.iter().product()];
            for i in eq.unequal(&ga, &gb) {
                mask[i] = true;
            }
            mask
        }
        Some(eq) if shown => grid_positions(count)
            .into_iter()
            .enumerate()
            .map(|(k, p)| {
                if p.iter().zip(&clip).all(|(&i, &n)| i < n) {
                    let j = p.iter().zip(&clip).fold(0, |acc, (&i, &n)| acc * n + i);
                    !eq.eq(&ga, j, &gb, k)
                } else {
                    true
                }
            })
            .collect(),
        _ => vec![true; count.iter().product()],
    };
    Ok((mask, ga))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cells outside the common shape, the slow way: every cell of A, then
    /// of B, in C order, kept when outside.
    fn outside_brute(a: &[usize], b: &[usize]) -> Vec<(Vec<usize>, bool)> {
        let common = common_shape(a, b);
        let mut out = Vec::new();
        for (shape, in_a) in [(a, true), (b, false)] {
            for p in grid_positions(shape) {
                if p.iter().zip(&common).any(|(&i, &n)| i >= n) {
                    out.push((p, in_a));
                }
            }
        }
        out
    }

    #[test]
    fn outside_cells_jump_over_the_common_shape() {
        let pairs: [(&[usize], &[usize]); 9] = [
            (&[5], &[5]),
            (&[5], &[8]),
            (&[8], &[3]),
            (&[4, 6], &[4, 6]),
            (&[4, 6], &[6, 4]),
            (&[3, 2, 5], &[2, 4, 5]),
            (&[3, 0], &[2, 2]),
            (&[], &[]),
            (&[2, 3, 4], &[2, 3, 1]),
        ];
        for (a, b) in pairs {
            let common = common_shape(a, b);
            let mut cells = OutsideCells::new(a, b, &common);
            let got: Vec<_> = std::iter::from_fn(|| cells.next()).collect();
            assert_eq!(got, outside_brute(a, b), "{a:?} {b:?}");
        }
    }
}
