//! The array pane: a paged table of a dataset's values in the selected
//! version. Only the visible window plus a margin is read (on the worker);
//! n-D data shows two chosen axes with the others pinned. A plot toggle
//! draws 1-D data as a line chart (the window, then the whole dataset) and
//! 2-D windows as a heatmap with its colour scale.
//!
//! Columns: each gets the width its values need (strings up to the free
//! width), kept while paging; in the "auto" number format each column gets
//! one notation, chosen from its values on screen.

use std::collections::HashMap;

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset as ChartData, GraphType, Paragraph};
use ratatui::Frame;

use super::blame::{BlameLayer, Writer};
use super::cells::Plane;
use super::component::{Effect, FieldFor, Pane};
use super::field::{is_text, TextField};
use super::keymap::Action;
use super::timeline::pane_block;
use super::worker::Command;
use crate::engine::edit::{Edit, EditValue};
use crate::engine::region::RefTarget;
use crate::engine::slice::{AxisSel, Selection};
use crate::engine::value::format_float;
use crate::engine::{DatasetMeta, Dtype, Value, ValueGrid};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NumFormat {
    #[default]
    Auto,
    Fixed,
    Scientific,
}

impl NumFormat {
    fn name(self) -> &'static str {
        match self {
            NumFormat::Auto => "auto",
            NumFormat::Fixed => "fixed",
            NumFormat::Scientific => "sci",
        }
    }
}

/// Values read for a block of the two shown axes.
#[derive(Debug, Clone)]
pub struct Page {
    pub key: ViewKey,
    pub start: [usize; 2],
    pub count: [usize; 2],
    pub grid: ValueGrid,
    /// Per cell of `grid`: holds a staged value (empty: nothing staged).
    pub staged: Vec<bool>,
}

/// What a page depends on besides its block: dataset, version and axes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewKey {
    pub version: String,
    pub path: String,
    pub row_axis: usize,
    pub col_axis: Option<usize>,
    pub pinned: Vec<usize>,
}

/// Diff-mode highlights for a block: changed cells and A's values.
#[derive(Debug, Clone)]
pub struct MaskPage {
    pub key: ViewKey,
    pub start: [usize; 2],
    pub count: [usize; 2],
    pub mask: Vec<bool>,
    pub other: ValueGrid,
}

/// A 1-D dataset's whole extent, as min / max per pixel column.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    pub version: String,
    pub path: String,
    pub len: usize,
    pub buckets: Vec<(f64, f64)>,
}

/// What an axis is called, and the labels of its positions, from the
/// dataset's dimension scales or its `axes` attribute.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AxisLabel {
    pub name: Option<String>,
    pub values: Option<Vec<String>>,
}

/// Changed cells of a dataset's plane, per band of chunk rows:
/// (path, plane, [(band, count)]).
pub type ChangeCounts = (String, Plane, Vec<(usize, usize)>);

/// How the plot toggle shows the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlotMode {
    #[default]
    Table,
    /// The window around the cursor.
    Window,
    /// 1-D: the whole dataset.
    Whole,
}

/// One column's notation and width, kept while paging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct ColFmt {
    sci: bool,
    /// Digits after the point (of the mantissa, in scientific notation).
    decimals: usize,
    width: usize,
}

/// The columns' formats for one view (dataset, axes, format, precision,
/// pane size): kept while paging, made anew when any of them changes.
#[derive(Debug, Default)]
struct Columns {
    key: Option<(ViewKey, NumFormat, usize, Rect)>,
    cols: HashMap<usize, ColFmt>,
}

/// The narrowest column, and the widest unless the free width allows more.
const MIN_WIDTH: usize = 4;
const WIDE: usize = 24;

#[derive(Default)]
pub struct ArrayPane {
    pub version: Option<String>,
    pub meta: Option<DatasetMeta>,
    pub row_axis: usize,
    pub col_axis: Option<usize>,
    pub pinned: Vec<usize>,
    pub cursor: [usize; 2],
    /// `v`: where a rectangular selection started (it ends at the cursor).
    pub anchor: Option<[usize; 2]>,
    pub offset: [usize; 2],
    /// Rows and columns that fit, from the last render.
    pub view: [usize; 2],
    pub page: Option<Page>,
    pub mask: Option<MaskPage>,
    pub plot: PlotMode,
    pub format: NumFormat,
    pub precision: usize,
    /// Showing A's side of a node removed in B (B's name).
    pub removed_in: Option<String>,
    /// Diff mode: changed cells per band of chunk rows, for "k of N".
    pub counts: Option<ChangeCounts>,
    pub overview: Option<Overview>,
    /// Per axis, when the dataset names them.
    pub labels: Vec<AxisLabel>,
    columns: Columns,
    /// Pixel columns of the last whole-dataset plot.
    pub plot_width: usize,
    /// Why the values of a dataset (version, path) cannot be read (a
    /// missing VDS source, a filter this build lacks): shown in place of
    /// cells that would otherwise wait forever.
    pub read_error: Option<(String, String, String)>,
    /// `b`: each cell coloured by the version that wrote its chunk.
    pub blame: BlameLayer,
}

/// A value's text in a table cell: control characters escaped (`\t`,
/// `\n`), an empty string as `""`.
pub fn escape(text: &str) -> String {
    if text.is_empty() {
        return "\"\"".into();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// `1.234568e+05`: Rust's `{:e}` with a signed two-digit exponent.
fn sci(x: f64, decimals: usize) -> String {
    let text = format!("{x:.decimals$e}");
    match text.split_once('e') {
        Some((m, e)) => {
            let e: i32 = e.parse().unwrap_or(0);
            let sign = if e < 0 { '-' } else { '+' };
            format!("{m}e{sign}{:02}", e.abs())
        }
        None => text,
    }
}

/// Digits after the point in a float's shortest text (at its width).
fn shortest_decimals(x: f64, size: usize) -> usize {
    let text = format_float(x, size);
    match (text.split_once('.'), text.contains('e')) {
        (Some((_, frac)), false) => frac.len(),
        _ => 0,
    }
}

/// Digits after the point of the shortest scientific mantissa.
fn mantissa_decimals(x: f64, size: usize) -> usize {
    let text = if size == 4 {
        format!("{:e}", x as f32)
    } else {
        format!("{x:e}")
    };
    text.split_once('e')
        .and_then(|(m, _)| m.split_once('.'))
        .map_or(0, |(_, f)| f.len())
}

/// Whether a dtype's values can be drawn as numbers.
fn plottable(d: &Dtype) -> bool {
    matches!(
        d,
        Dtype::Int { .. } | Dtype::Float { .. } | Dtype::Bool | Dtype::Enum { .. }
    )
}

impl ArrayPane {
    pub fn show(&mut self, version: &str, meta: DatasetMeta) {
        let same = self
            .meta
            .as_ref()
            .is_some_and(|m| m.path == meta.path && m.shape.len() == meta.shape.len());
        if !same {
            let nd = meta.shape.len();
            self.row_axis = nd.saturating_sub(2);
            self.col_axis = (nd >= 2).then_some(nd - 1);
            self.pinned = vec![0; nd];
            self.cursor = [0, 0];
            self.anchor = None;
            self.offset = [0, 0];
            self.precision = 6;
            self.labels.clear();
            self.overview = None;
            self.counts = None;
        }
        self.version = Some(version.to_string());
        self.meta = Some(meta);
        self.clamp();
    }

    pub fn clear(&mut self) {
        self.meta = None;
        self.page = None;
        self.mask = None;
        self.removed_in = None;
        self.anchor = None;
    }

    pub fn key(&self) -> Option<ViewKey> {
        Some(ViewKey {
            version: self.version.clone()?,
            path: self.meta.as_ref()?.path.clone(),
            row_axis: self.row_axis,
            col_axis: self.col_axis,
            pinned: self.pinned.clone(),
        })
    }

    /// The shown axes and pinned indices, as the worker's diff queries take them.
    pub fn plane(&self) -> Plane {
        Plane {
            row_axis: self.row_axis,
            col_axis: self.col_axis,
            pinned: self.pinned.clone(),
        }
    }

    /// Extent of the shown axes (columns 1 for 1-D data, both 1 for 0-D).
    pub fn extent(&self) -> [usize; 2] {
        let Some(m) = &self.meta else { return [0, 0] };
        if m.shape.is_empty() {
            return [1, 1];
        }
        [
            m.shape[self.row_axis],
            self.col_axis.map_or(1, |c| m.shape[c]),
        ]
    }

    /// Whether the dataset has no cells.
    pub fn is_empty(&self) -> bool {
        self.extent().contains(&0) || self.meta.as_ref().is_some_and(|m| m.len() == 0)
    }

    #[allow(clippy::needless_range_loop)] // two axes, indexed in step
    fn clamp(&mut self) {
        let ext = self.extent();
        for d in 0..2 {
            self.cursor[d] = self.cursor[d].min(ext[d].saturating_sub(1));
            let view = self.view[d].max(1);
            if self.cursor[d] < self.offset[d] {
                self.offset[d] = self.cursor[d];
            } else if self.cursor[d] >= self.offset[d] + view {
                self.offset[d] = self.cursor[d] + 1 - view;
            }
        }
        if let Some(m) = &self.meta {
            for (d, p) in self.pinned.iter_mut().enumerate() {
                *p = (*p).min(m.shape[d].saturating_sub(1));
            }
        }
    }

    pub fn move_by(&mut self, rows: isize, cols: isize) {
        let ext = self.extent();
        self.cursor[0] =
            (self.cursor[0] as isize + rows).clamp(0, ext[0].saturating_sub(1) as isize) as usize;
        self.cursor[1] =
            (self.cursor[1] as isize + cols).clamp(0, ext[1].saturating_sub(1) as isize) as usize;
        self.clamp();
    }

    /// Puts the cursor on a cell and scrolls it into view.
    pub fn move_to(&mut self, cell: [usize; 2]) {
        self.cursor = cell;
        self.clamp();
    }

    /// `:` go to `ROW` or `ROW, COL` (negative: from the end). A text
    /// that is not an index, or one outside the shown shape, is refused
    /// and nothing moves.
    pub fn goto(&mut self, text: &str) -> Result<(), String> {
        let parts: Vec<&str> = text.split([',', ' ']).filter(|s| !s.is_empty()).collect();
        let nums: Result<Vec<isize>, _> = parts.iter().map(|p| p.parse::<isize>()).collect();
        let nums = nums.map_err(|_| format!("go to: {text:?} is not an index"))?;
        if self.is_empty() {
            return Err("go to: the dataset is empty".into());
        }
        let ext = self.extent();
        let at = |i: isize, n: usize| -> Result<usize, String> {
            let j = if i < 0 { n as isize + i } else { i };
            usize::try_from(j)
                .ok()
                .filter(|&j| j < n)
                .ok_or_else(|| format!("go to: outside the shown shape {ext:?}"))
        };
        self.cursor = match nums.as_slice() {
            [r] => [at(*r, ext[0])?, self.cursor[1]],
            [r, c] => [at(*r, ext[0])?, at(*c, ext[1])?],
            _ => return Err("go to: give ROW or ROW, COL".into()),
        };
        self.clamp();
        Ok(())
    }

    /// The array's actions: cursor moves, go-to, display and axis choices,
    /// diff-mode jumps, the cell detail and copy.
    pub fn handle(&mut self, action: Action) -> Effect {
        let page = self.view[0].max(1) as isize;
        let ext = self.extent().map(|n| n as isize);
        match action {
            Action::Up => self.move_by(-1, 0),
            Action::Down => self.move_by(1, 0),
            Action::Left if self.cursor[1] > 0 => self.move_by(0, -1),
            Action::Left | Action::Back => return Effect::Focus(Pane::Tree),
            Action::Right => self.move_by(0, 1),
            Action::PageUp => self.move_by(-page, 0),
            Action::PageDown => self.move_by(page, 0),
            Action::First => self.move_by(-ext[0], 0),
            Action::Last => self.move_by(ext[0], 0),
            Action::RowStart => self.move_by(0, -ext[1]),
            Action::RowEnd => self.move_by(0, ext[1]),
            Action::GoTo => {
                return Effect::OpenField(FieldFor::ArrayGoTo, TextField::new("go to: ", ""))
            }
            Action::Follow => {
                return match self.reference_at_cursor() {
                    Some(t) => Effect::Follow(t),
                    None => Effect::Status("the cell holds no reference".into(), false),
                }
            }
            Action::Open | Action::Copy if self.meta.is_none() || self.is_empty() => {
                return Effect::Status("no cell here: the dataset is empty".into(), false)
            }
            Action::Open => return Effect::OpenDetail,
            Action::Copy => return Effect::OpenCopy,
            Action::Plot => self.cycle_plot(),
            Action::Format => self.cycle_format(),
            Action::MorePrecision => self.precision = (self.precision + 1).min(17),
            Action::LessPrecision => self.precision = self.precision.saturating_sub(1),
            Action::RowAxis => self.cycle_axis(true),
            Action::ColAxis => self.cycle_axis(false),
            Action::PinnedNext => self.step_pinned(0, 1),
            Action::PinnedPrev => self.step_pinned(0, -1),
            Action::Pinned2Next => self.step_pinned(1, 1),
            Action::Pinned2Prev => self.step_pinned(1, -1),
            Action::Select if self.meta.is_some() => {
                self.anchor = match self.anchor {
                    Some(_) => None,
                    None => Some(self.cursor),
                };
                return Effect::Status(
                    match self.anchor {
                        Some(_) => "selecting: move to the opposite corner, e sets every cell",
                        None => "selection ended",
                    }
                    .into(),
                    false,
                );
            }
            Action::NextChange | Action::PrevChange => {
                return Effect::FindChange(action == Action::NextChange)
            }
            Action::Blame => return self.blame.toggle(),
            Action::BlameJump => return self.blame_jump(),
            _ => {}
        }
        Effect::None
    }

    /// The dataset shown: its version and path.
    fn shown(&self) -> Option<(&str, &str)> {
        Some((self.version.as_deref()?, &self.meta.as_ref()?.path))
    }

    /// Who wrote the chunk of (row, col), while blame is on and known.
    fn writer_at(&self, r: usize, c: usize) -> Option<Writer<'_>> {
        let (version, path) = self.shown()?;
        self.blame.writer(version, path, &self.index_of(r, c))
    }

    /// The blame wanted for what is shown: (version, path).
    pub fn wanted_blame(&self) -> Option<(String, String)> {
        let (version, path) = self.shown()?;
        (self.blame.wants(version, path) && self.removed_in.is_none() && !self.is_empty())
            .then(|| (version.to_string(), path.to_string()))
    }

    /// The status line's note on the cursor chunk's writer.
    pub fn blame_note(&self) -> Option<String> {
        let (version, path) = self.shown()?;
        let cell = self.index_of(self.cursor[0], self.cursor[1]);
        self.blame.note(version, path, &cell)
    }

    /// `B`: select the cursor chunk's writer in the timeline.
    fn blame_jump(&self) -> Effect {
        match self.writer_at(self.cursor[0], self.cursor[1]) {
            Some(Writer::Version(v, _)) => Effect::SelectVersion(v.name.clone()),
            Some(Writer::Never) => {
                Effect::Status("this chunk was never written: fill value".into(), false)
            }
            None if self.blame.on => Effect::Status("blame: still computing".into(), false),
            None => Effect::Status("B: turn blame on first (b)".into(), false),
        }
    }

    /// `p`: table → plot of the window → (1-D) the whole dataset → table.
    fn cycle_plot(&mut self) {
        let one_d =
            self.col_axis.is_none() && self.meta.as_ref().is_some_and(|m| m.shape.len() == 1);
        self.plot = match self.plot {
            PlotMode::Table => PlotMode::Window,
            PlotMode::Window if one_d => PlotMode::Whole,
            _ => PlotMode::Table,
        };
    }

    /// Whether an action does something here now (for the key bar).
    pub fn enabled(&self, action: Action, diff: bool) -> bool {
        let nd = self.meta.as_ref().map(|m| m.shape.len());
        match action {
            Action::NextChange | Action::PrevChange => diff && nd.is_some(),
            Action::RowAxis | Action::ColAxis => nd.is_some_and(|n| n >= 3),
            Action::PinnedNext | Action::PinnedPrev => nd.is_some_and(|n| n >= 3),
            Action::Pinned2Next | Action::Pinned2Prev => nd.is_some_and(|n| n >= 4),
            _ => nd.is_some(),
        }
    }

    /// Cycles which axis is shown as rows (`rows`) or columns.
    pub fn cycle_axis(&mut self, rows: bool) {
        let Some(m) = &self.meta else { return };
        let nd = m.shape.len();
        if nd < 2 {
            return;
        }
        if rows {
            self.row_axis = (1..=nd)
                .map(|k| (self.row_axis + k) % nd)
                .find(|&a| Some(a) != self.col_axis)
                .unwrap_or(self.row_axis);
        } else if let Some(c) = self.col_axis {
            self.col_axis = (1..=nd).map(|k| (c + k) % nd).find(|&a| a != self.row_axis);
        }
        self.cursor = [0, 0];
        self.offset = [0, 0];
        self.page = None;
    }

    /// Steps the `which`-th pinned (not shown) axis.
    pub fn step_pinned(&mut self, which: usize, delta: isize) {
        let Some(m) = &self.meta else { return };
        let pinned: Vec<usize> = (0..m.shape.len())
            .filter(|&a| a != self.row_axis && Some(a) != self.col_axis)
            .collect();
        if let Some(&axis) = pinned.get(which) {
            let max = m.shape[axis].saturating_sub(1) as isize;
            self.pinned[axis] = (self.pinned[axis] as isize + delta).clamp(0, max) as usize;
        }
    }

    /// The block to read when the view is not covered by the cached page:
    /// the view plus one view of margin on each side.
    pub fn wanted(&self) -> Option<(ViewKey, [usize; 2], [usize; 2], Selection)> {
        let key = self.key()?;
        if self.is_empty() || self.plot == PlotMode::Whole {
            return None;
        }
        let ext = self.extent();
        let view = [self.view[0].max(1), self.view[1].max(1)];
        if let Some(p) = &self.page {
            let covered = (0..2).all(|d| {
                let end = (self.offset[d] + view[d]).min(ext[d]);
                p.start[d] <= self.offset[d] && end <= p.start[d] + p.count[d]
            });
            if p.key == key && covered {
                return None;
            }
        }
        let mut start = [0; 2];
        let mut count = [0; 2];
        for d in 0..2 {
            start[d] = self.offset[d].saturating_sub(view[d]);
            count[d] = (self.offset[d] + 2 * view[d]).min(ext[d]) - start[d];
        }
        let sel = self.selection(start, count)?;
        Some((key, start, count, sel))
    }

    /// The whole-dataset plot wants an overview of this many pixel columns.
    pub fn wanted_overview(&self) -> Option<(String, String, usize)> {
        if self.plot != PlotMode::Whole || self.plot_width == 0 || self.is_empty() {
            return None;
        }
        let (v, m) = (self.version.clone()?, self.meta.as_ref()?);
        if !plottable(&m.dtype) {
            return None;
        }
        let have = self.overview.as_ref().is_some_and(|o| {
            o.version == v && o.path == m.path && o.buckets.len() == self.plot_width.min(m.len())
        });
        (!have).then(|| (v, m.path.clone(), self.plot_width))
    }

    /// The dataset selection for a block of the shown axes.
    pub fn selection(&self, start: [usize; 2], count: [usize; 2]) -> Option<Selection> {
        let m = self.meta.as_ref()?;
        let axes = (0..m.shape.len())
            .map(|a| {
                let (s, c) = if a == self.row_axis {
                    (start[0], count[0])
                } else if Some(a) == self.col_axis {
                    (start[1], count[1])
                } else {
                    (self.pinned[a], 1)
                };
                AxisSel {
                    start: s,
                    step: 1,
                    count: c,
                    keep: true,
                }
            })
            .collect();
        Some(Selection { axes })
    }

    /// The dataset index of a cell of the shown plane.
    pub fn index_of(&self, r: usize, c: usize) -> Vec<usize> {
        let Some(m) = &self.meta else {
            return Vec::new();
        };
        (0..m.shape.len())
            .map(|a| {
                if a == self.row_axis {
                    r
                } else if Some(a) == self.col_axis {
                    c
                } else {
                    self.pinned[a]
                }
            })
            .collect()
    }

    /// `[17, 3]`, `[5]`, or `[()]`-less empty text for a 0-d dataset.
    pub fn index_text(&self, r: usize, c: usize) -> String {
        let idx = self.index_of(r, c);
        if idx.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = idx.iter().map(usize::to_string).collect();
        format!("[{}]", parts.join(", "))
    }

    /// Position of (row, col) in a block's C-order grid.
    fn flat(&self, start: [usize; 2], count: [usize; 2], r: usize, c: usize) -> Option<usize> {
        let m = self.meta.as_ref()?;
        if m.shape.is_empty() {
            return Some(0);
        }
        let (lr, lc) = (r.checked_sub(start[0])?, c.checked_sub(start[1])?);
        if lr >= count[0] || lc >= count[1] {
            return None;
        }
        let mut flat = 0;
        for a in 0..m.shape.len() {
            let (i, n) = if a == self.row_axis {
                (lr, count[0])
            } else if Some(a) == self.col_axis {
                (lc, count[1])
            } else {
                (0, 1)
            };
            flat = flat * n + i;
        }
        Some(flat)
    }

    /// Whether (row, col) holds a staged value.
    pub fn staged_at(&self, r: usize, c: usize) -> bool {
        let Some(p) = self
            .page
            .as_ref()
            .filter(|p| Some(&p.key) == self.key().as_ref())
        else {
            return false;
        };
        self.flat(p.start, p.count, r, c)
            .and_then(|i| p.staged.get(i).copied())
            .unwrap_or(false)
    }

    /// The selection's corners (inclusive), rows then columns, when `v`
    /// has started one.
    pub fn selection_box(&self) -> Option<([usize; 2], [usize; 2])> {
        let a = self.anchor?;
        let b = self.cursor;
        Some((
            [a[0].min(b[0]), a[1].min(b[1])],
            [a[0].max(b[0]), a[1].max(b[1])],
        ))
    }

    /// The index expression of the cells from `lo` to `hi` (inclusive) in
    /// the shown plane: `[3:5, 1:4]`, pinned axes as single indices.
    pub fn slice_text(&self, lo: [usize; 2], hi: [usize; 2]) -> String {
        let Some(m) = &self.meta else {
            return String::new();
        };
        let parts: Vec<String> = (0..m.shape.len())
            .map(|a| {
                if a == self.row_axis {
                    format!("{}:{}", lo[0], hi[0] + 1)
                } else if Some(a) == self.col_axis {
                    format!("{}:{}", lo[1], hi[1] + 1)
                } else {
                    self.pinned[a].to_string()
                }
            })
            .collect();
        format!("[{}]", parts.join(", "))
    }

    /// `e`: a field prefilled with the cell's value (empty for a
    /// selection: one value for all its cells).
    pub(super) fn edit(&self) -> Effect {
        if self.meta.is_none() || self.is_empty() {
            return Effect::Status("no cell here to edit".into(), false);
        }
        let (prompt, prefill) = match self.selection_box() {
            Some((lo, hi)) => (format!("set {}: ", self.slice_text(lo, hi)), String::new()),
            None => {
                let [r, c] = self.cursor;
                let text = self
                    .value_at(r, c)
                    .map(|v| self.edit_text(&v))
                    .unwrap_or_default();
                (format!("set {}: ", self.index_text(r, c)), text)
            }
        };
        Effect::OpenField(FieldFor::ArrayEdit, TextField::new(prompt, &prefill))
    }

    /// Enter in the cell editor: checks the value against the dtype and
    /// stages it (the selection ends).
    pub(super) fn accept_edit(&mut self, text: &str) -> Result<Effect, String> {
        let (Some(m), Some(version)) = (&self.meta, &self.version) else {
            return Err("no dataset shown".into());
        };
        let index = match self.selection_box() {
            Some((lo, hi)) => self.slice_text(lo, hi),
            None => self.index_text(self.cursor[0], self.cursor[1]),
        };
        // A string dataset's editor holds the plain text.
        let value = if is_text(&m.dtype) {
            EditValue::Text(text.to_string())
        } else {
            EditValue::parse(text).map_err(|e| e.message)?
        };
        value
            .for_dataset(&m.dtype, &format!("{}{index}", m.path))
            .map_err(|e| e.message)?;
        let edit = Edit::set(&format!("{}{index}", m.path), value).map_err(|e| e.message)?;
        let base = version.clone();
        self.anchor = None;
        Ok(Effect::Command(Box::new(Command::Apply { base, edit })))
    }

    /// A value as the cell editor shows it: strings as plain text, the
    /// rest in the command line's spelling.
    fn edit_text(&self, v: &Value) -> String {
        match v {
            Value::Str(_) | Value::Bytes(_) => self.format_value(v),
            Value::Float(x, _) if x.is_nan() => "\"NaN\"".into(),
            Value::Float(x, _) if x.is_infinite() && *x > 0.0 => "\"Infinity\"".into(),
            Value::Float(x, _) if x.is_infinite() => "\"-Infinity\"".into(),
            _ => v.to_string(),
        }
    }

    /// A page arrived: kept (true) if it is for the dataset and version
    /// shown.
    pub(super) fn take_page(
        &mut self,
        version: &str,
        path: &str,
        sel: &Selection,
        grid: ValueGrid,
        staged: Vec<bool>,
    ) -> bool {
        let Some(key) = self
            .key()
            .filter(|k| k.version == version && k.path == path)
        else {
            return false;
        };
        let starts: Vec<usize> = sel.axes.iter().map(|a| a.start).collect();
        let counts: Vec<usize> = sel.axes.iter().map(|a| a.count).collect();
        self.page = Some(Page {
            key,
            start: self.on_shown_axes(&starts, 0),
            count: self.on_shown_axes(&counts, 1),
            grid,
            staged,
        });
        true
    }

    /// Diff mode: which cells of a block (`start`, `count` on every axis)
    /// changed, and A's values there; kept if they are for the dataset
    /// shown in `b`, the diff's B.
    pub(super) fn take_mask(
        &mut self,
        b: Option<&str>,
        path: &str,
        start: &[usize],
        count: &[usize],
        mask: Vec<bool>,
        other: ValueGrid,
    ) {
        let Some(key) = (self.key()).filter(|k| k.path == path && Some(k.version.as_str()) == b)
        else {
            return;
        };
        self.mask = Some(MaskPage {
            key,
            start: self.on_shown_axes(start, 0),
            count: self.on_shown_axes(count, 1),
            mask,
            other,
        });
    }

    /// A block's corner (or size) on the two shown axes, from one given on
    /// every axis; `absent` for an axis not shown (a scalar has none).
    fn on_shown_axes(&self, per_axis: &[usize], absent: usize) -> [usize; 2] {
        if per_axis.is_empty() {
            return [absent, absent];
        }
        [
            per_axis[self.row_axis],
            self.col_axis.map_or(absent, |c| per_axis[c]),
        ]
    }

    /// The dataset path with the cursor's index: `/market/prices[17, 3]`.
    pub fn cell_path(&self) -> Option<String> {
        let m = self.meta.as_ref()?;
        let [r, c] = self.cursor;
        Some(format!("{}{}", m.path, self.index_text(r, c)))
    }

    pub fn value_at(&self, r: usize, c: usize) -> Option<Value> {
        let p = self
            .page
            .as_ref()
            .filter(|p| Some(&p.key) == self.key().as_ref())?;
        let i = self.flat(p.start, p.count, r, c)?;
        (i < p.grid.len()).then(|| p.grid.get(i))
    }

    /// What the reference under the cursor points to.
    pub fn reference_at_cursor(&self) -> Option<RefTarget> {
        if !self.meta.as_ref()?.dtype.has_refs() {
            return None;
        }
        let [r, c] = self.cursor;
        self.value_at(r, c)?.first_ref().cloned()
    }

    /// Puts the cursor on a cell given by its full index: the shown axes
    /// move the cursor, the others are pinned.
    pub fn move_to_index(&mut self, index: &[u64]) {
        let Some(m) = &self.meta else { return };
        if index.len() != m.shape.len() {
            return;
        }
        for (d, &i) in index.iter().enumerate() {
            if Some(d) != self.col_axis && d != self.row_axis {
                self.pinned[d] = i as usize;
            }
        }
        let row = index.get(self.row_axis).copied().unwrap_or(0) as usize;
        let col = self
            .col_axis
            .and_then(|c| index.get(c))
            .copied()
            .unwrap_or(0) as usize;
        // The view's size is the last dataset's until the next render,
        // which scrolls the cursor into view.
        let ext = self.extent();
        self.cursor = [
            row.min(ext[0].saturating_sub(1)),
            col.min(ext[1].saturating_sub(1)),
        ];
        self.offset = [0, 0];
    }

    /// Diff mode: whether (row, col) changed, and A's value there.
    pub fn diff_at(&self, r: usize, c: usize) -> Option<(bool, Option<Value>)> {
        let m = self
            .mask
            .as_ref()
            .filter(|m| Some(&m.key) == self.key().as_ref())?;
        let i = self.flat(m.start, m.count, r, c)?;
        let changed = *m.mask.get(i)?;
        let a_count = m.other.shape.clone();
        let other = self.meta.as_ref().and_then(|meta| {
            if meta.shape.is_empty() {
                return (!m.other.is_empty()).then(|| m.other.get(0));
            }
            let (ar, ac) = (
                a_count.get(self.row_axis).copied().unwrap_or(1),
                self.col_axis
                    .and_then(|c| a_count.get(c).copied())
                    .unwrap_or(1),
            );
            let j = self.flat(m.start, [ar, ac], r, c)?;
            (j < m.other.len()).then(|| m.other.get(j))
        });
        Some((changed, other))
    }

    /// "k of N changed cells" for a found cell, when the counts are in.
    pub fn rank_text(&self, found: &super::cells::Found) -> Option<String> {
        let (path, plane, counts) = self.counts.as_ref()?;
        if Some(path) != self.meta.as_ref().map(|m| &m.path) || *plane != self.plane() {
            return None;
        }
        let (k, n) = super::cells::rank_of(found, counts);
        Some(format!("{k} of {n} changed cells"))
    }

    /// A value as the status line and the detail view show it: shortest
    /// text for floats, strings as they are.
    pub fn format_value(&self, v: &Value) -> String {
        match v {
            Value::Enum(_, Some(name)) => name.clone(),
            Value::Str(s) => s.clone(),
            Value::Bytes(b) => b.iter().map(|&c| c as char).collect(),
            _ => v.to_string(),
        }
    }

    /// A value's text in the table, in its column's notation.
    fn cell_text(&self, v: &Value, col: &ColFmt) -> String {
        match v {
            Value::Float(x, _) if x.is_finite() => {
                if col.sci {
                    sci(*x, col.decimals)
                } else {
                    format!("{x:.d$}", d = col.decimals)
                }
            }
            Value::Str(_) | Value::Bytes(_) => escape(&self.format_value(v)),
            _ => escape(&self.format_value(v)),
        }
    }

    pub fn cycle_format(&mut self) {
        self.format = match self.format {
            NumFormat::Auto => NumFormat::Fixed,
            NumFormat::Fixed => NumFormat::Scientific,
            NumFormat::Scientific => NumFormat::Auto,
        };
    }

    fn title(&self, field: Option<&TextField>) -> Line<'static> {
        let mut spans = vec![Span::raw(self.title_text())];
        if self.removed_in.is_some() {
            spans.push(Span::styled(
                "(removed in B: A's values) ",
                Style::default().fg(Color::Red),
            ));
        }
        if let Some(field) = field {
            spans.extend(field.spans());
            spans.push(Span::raw(" "));
        }
        if let Some(note) = self.shown().and_then(|(v, p)| self.blame.title_note(v, p)) {
            spans.push(Span::styled(note, Style::default().fg(Color::Cyan)));
        }
        spans.push(Span::styled(
            self.title_extra(),
            Style::default().fg(Color::DarkGray),
        ));
        Line::from(spans)
    }

    /// After the cursor: the axes' names, the number format and precision.
    fn title_extra(&self) -> String {
        let Some(m) = &self.meta else {
            return String::new();
        };
        let mut t = String::new();
        let name = |a: Option<usize>| {
            a.and_then(|a| self.labels.get(a))
                .and_then(|l| l.name.clone())
        };
        match (name(Some(self.row_axis)), name(self.col_axis)) {
            (Some(r), Some(c)) => t.push_str(&format!("{r} × {c} ")),
            (Some(r), None) => t.push_str(&format!("{r} ")),
            _ => {}
        }
        let numeric = matches!(
            m.dtype,
            Dtype::Float { .. } | Dtype::Complex { .. } | Dtype::Compound { .. }
        );
        if numeric && self.plot == PlotMode::Table {
            t.push_str(&format!(
                "fmt {}, {} digits ",
                self.format.name(),
                self.precision
            ));
        }
        t
    }

    fn title_text(&self) -> String {
        let Some(m) = &self.meta else {
            return " Array ".into();
        };
        let mut t = format!(" {} @ {} ", m.path, self.version.as_deref().unwrap_or("?"));
        if m.shape.len() > 2 {
            let pins: Vec<String> = (0..m.shape.len())
                .map(|a| {
                    if a == self.row_axis {
                        "row".into()
                    } else if Some(a) == self.col_axis {
                        "col".into()
                    } else {
                        self.pinned[a].to_string()
                    }
                })
                .collect();
            t.push_str(&format!("[{}] ", pins.join(", ")));
        }
        t.push_str(&format!("cursor ({}, {}) ", self.cursor[0], self.cursor[1]));
        t
    }

    /// The pane; an open go-to field is drawn in its title.
    pub fn render(&mut self, f: &mut Frame, area: Rect, focused: bool, field: Option<&TextField>) {
        let block = pane_block(self.title(field), focused);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let Some(m) = &self.meta else {
            f.render_widget(Paragraph::new("select a dataset in the tree"), inner);
            return;
        };
        if self.is_empty() {
            let text = format!(
                "empty dataset: shape {:?}, no values to show (maxshape {})",
                m.shape,
                m.maxshape
                    .iter()
                    .map(|d| d.map_or("None".into(), |d| d.to_string()))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            f.render_widget(Paragraph::new(text), inner);
            return;
        }
        let failed = self
            .read_error
            .as_ref()
            .filter(|(v, p, _)| Some(v) == self.version.as_ref() && *p == m.path);
        let key = self.key();
        let shown = self.page.as_ref().filter(|p| Some(&p.key) == key.as_ref());
        if let (Some((_, _, why)), None) = (failed, shown) {
            let text = Line::styled(
                format!("cannot show values: {why}"),
                Style::default().fg(Color::Red),
            );
            f.render_widget(
                Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: false }),
                inner,
            );
            return;
        }
        if self.plot != PlotMode::Table && !plottable(&m.dtype) {
            let text = format!("cannot plot {} values: p again shows the table", m.dtype);
            f.render_widget(Paragraph::new(text), inner);
            return;
        }
        match self.plot {
            PlotMode::Table => self.render_table(f, inner),
            PlotMode::Window if self.extent()[1] <= 1 => self.render_line(f, inner),
            PlotMode::Window => self.render_heatmap(f, inner),
            PlotMode::Whole => self.render_whole(f, inner),
        }
    }

    /// The notation a column needs for the given values (before merging
    /// with what it had).
    fn column_need(&self, values: &[Value]) -> ColFmt {
        let p = self.precision;
        let floats: Vec<(f64, usize)> = values
            .iter()
            .filter_map(|v| match v {
                Value::Float(x, size) if x.is_finite() => Some((*x, *size)),
                _ => None,
            })
            .collect();
        let sci = match self.format {
            NumFormat::Fixed => false,
            NumFormat::Scientific => true,
            NumFormat::Auto => floats
                .iter()
                .any(|(x, _)| *x != 0.0 && (x.abs() >= 1e10 || x.abs() < 1e-4)),
        };
        let decimals = match self.format {
            NumFormat::Auto if sci => floats
                .iter()
                .map(|&(x, s)| mantissa_decimals(x, s))
                .max()
                .unwrap_or(0)
                .min(p),
            NumFormat::Auto => floats
                .iter()
                .map(|&(x, s)| shortest_decimals(x, s))
                .max()
                .unwrap_or(0)
                .min(p),
            _ => p,
        };
        ColFmt {
            sci,
            decimals,
            width: 0,
        }
    }

    /// The format of column `c` for the rows on screen, merged with the one
    /// it had (a column never narrows nor changes notation while paging).
    fn column(&mut self, c: usize, rows: std::ops::Range<usize>, header: usize) -> ColFmt {
        let values: Vec<Value> = rows.filter_map(|r| self.value_at(r, c)).collect();
        let need = self.column_need(&values);
        let old = self.columns.cols.get(&c).copied();
        let mut fmt = match old {
            Some(o) => ColFmt {
                sci: o.sci || need.sci,
                decimals: o.decimals.max(need.decimals),
                width: o.width,
            },
            None => need,
        };
        let widest = values
            .iter()
            .map(|v| self.cell_text(v, &fmt).chars().count())
            .max()
            .unwrap_or(0);
        fmt.width = fmt.width.max(widest).max(header).max(MIN_WIDTH);
        if !values.is_empty() {
            self.columns.cols.insert(c, fmt);
        }
        fmt
    }

    /// A header or row label of an axis position (its scale's value, else
    /// the index).
    fn label(&self, axis: Option<usize>, i: usize) -> String {
        axis.and_then(|a| self.labels.get(a))
            .and_then(|l| l.values.as_ref())
            .and_then(|v| v.get(i))
            .map(|s| escape(s))
            .unwrap_or_else(|| i.to_string())
    }

    fn render_table(&mut self, f: &mut Frame, area: Rect) {
        let key = self.key().map(|k| (k, self.format, self.precision, area));
        if self.columns.key != key {
            self.columns = Columns {
                key,
                cols: HashMap::new(),
            };
        }
        let ext = self.extent();
        let row_axis =
            (!self.meta.as_ref().is_some_and(|m| m.shape.is_empty())).then_some(self.row_axis);
        let names: Vec<String> = [Some(self.row_axis), self.col_axis]
            .iter()
            .map(|a| {
                a.and_then(|a| self.labels.get(a))
                    .and_then(|l| l.name.clone())
                    .unwrap_or_default()
            })
            .collect();
        let rows_now = self.offset[0]..(self.offset[0] + self.view[0].max(1)).min(ext[0]);
        let index_width = rows_now
            .clone()
            .map(|r| self.label(row_axis, r).chars().count())
            .chain([ext[0].max(1).to_string().len(), 3, names[0].chars().count()])
            .max()
            .unwrap_or(3)
            .min(area.width as usize / 3);
        let free = (area.width as usize).saturating_sub(index_width + 1);
        let cap = if ext[1] == 1 {
            free
        } else {
            WIDE.max(free / ext[1].min(4))
        };
        self.view[0] = area.height.saturating_sub(1) as usize;
        let mut widths: Vec<(usize, ColFmt)> = Vec::new();
        for _ in 0..3 {
            let rows = self.offset[0]..(self.offset[0] + self.view[0].max(1)).min(ext[0]);
            widths.clear();
            let mut used = 0;
            for c in self.offset[1]..ext[1] {
                let header = self.label(self.col_axis, c).chars().count();
                let mut fmt = self.column(c, rows.clone(), header);
                fmt.width = fmt.width.min(cap.max(MIN_WIDTH));
                if used + fmt.width + 1 > free && !widths.is_empty() {
                    break;
                }
                used += fmt.width + 1;
                widths.push((c, fmt));
            }
            self.view[1] = widths.len().max(1);
            let before = self.offset;
            self.clamp();
            if self.offset == before {
                break;
            }
        }
        let rows = self.offset[0]..(self.offset[0] + self.view[0]).min(ext[0]);
        let dim = Style::default().fg(Color::DarkGray);
        let mut lines = Vec::new();
        let mut header = vec![Span::styled(
            format!("{:>index_width$} ", cut(&names[0], index_width)),
            dim,
        )];
        let text_cols = self.meta.as_ref().is_some_and(|m| {
            matches!(
                m.dtype,
                Dtype::VarString { .. } | Dtype::FixedString { .. } | Dtype::Compound { .. }
            )
        });
        for &(c, fmt) in &widths {
            let w = fmt.width;
            let label = cut(&self.label(self.col_axis, c), w);
            header.push(Span::styled(
                if text_cols {
                    format!("{label:<w$} ")
                } else {
                    format!("{label:>w$} ")
                },
                dim,
            ));
        }
        lines.push(Line::from(header));
        for r in rows {
            let mut spans = vec![Span::styled(
                format!(
                    "{:>index_width$} ",
                    cut(&self.label(row_axis, r), index_width)
                ),
                dim,
            )];
            for &(c, fmt) in &widths {
                let w = fmt.width;
                let value = self.value_at(r, c);
                let text = match &value {
                    Some(v) => self.cell_text(v, &fmt),
                    None => "…".into(),
                };
                let text = cut(&text, w);
                let mut style = match self.shown() {
                    Some((v, p)) => self.blame.style(v, p, &self.index_of(r, c)),
                    None => Style::default(),
                };
                if let Some((true, _)) = self.diff_at(r, c) {
                    style = style.bg(Color::Yellow).fg(Color::Black);
                }
                if self.staged_at(r, c) {
                    style = style.bg(Color::Magenta).fg(Color::White);
                }
                if let Some((lo, hi)) = self.selection_box() {
                    if (lo[0]..=hi[0]).contains(&r) && (lo[1]..=hi[1]).contains(&c) {
                        style = style.add_modifier(Modifier::UNDERLINED | Modifier::BOLD);
                    }
                }
                if [r, c] == self.cursor {
                    style = style.add_modifier(Modifier::REVERSED);
                }
                // Text reads left-aligned, numbers right-aligned.
                let text = match value {
                    Some(Value::Str(_) | Value::Bytes(_) | Value::Record(_)) => {
                        format!("{text:<w$}")
                    }
                    _ => format!("{text:>w$}"),
                };
                spans.push(Span::styled(text, style));
                spans.push(Span::raw(" "));
            }
            lines.push(Line::from(spans));
        }
        f.render_widget(Paragraph::new(lines), area);
    }

    fn render_line(&mut self, f: &mut Frame, area: Rect) {
        let ext = self.extent();
        self.view = [area.width.saturating_sub(8) as usize, 1];
        self.clamp();
        let rows = self.offset[0]..(self.offset[0] + self.view[0]).min(ext[0]);
        let points: Vec<(f64, f64)> = rows
            .filter_map(|r| Some((r as f64, self.value_at(r, 0)?.as_f64()?)))
            .filter(|p| p.1.is_finite())
            .collect();
        let x0 = self.offset[0] as f64;
        let x1 = (self.offset[0] + self.view[0])
            .min(ext[0])
            .max(self.offset[0] + 1) as f64;
        line_chart(f, area, vec![points], [x0, x1 - 1.0], None);
    }

    /// 1-D, the whole dataset: min / max per pixel column (the worker
    /// reads it in chunks).
    fn render_whole(&mut self, f: &mut Frame, area: Rect) {
        // Braille: two dots per character column.
        self.plot_width = (area.width.saturating_sub(10) as usize * 2).max(1);
        let Some(o) = self.overview.as_ref().filter(|o| {
            Some(&o.path) == self.meta.as_ref().map(|m| &m.path)
                && self.version.as_ref() == Some(&o.version)
        }) else {
            f.render_widget(Paragraph::new("reading the whole dataset…"), area);
            return;
        };
        let n = o.buckets.len().max(1) as f64;
        let len = o.len as f64;
        let mut env = Vec::with_capacity(o.buckets.len() * 2);
        for (i, &(lo, hi)) in o.buckets.iter().enumerate() {
            if lo.is_finite() && hi.is_finite() {
                let x = i as f64 * len / n;
                env.push((x, lo));
                env.push((x, hi));
            }
        }
        let cursor = self.cursor[0] as f64;
        let note = format!("whole dataset: {} values, min / max per column", o.len);
        line_chart(
            f,
            area,
            vec![env],
            [0.0, (len - 1.0).max(1.0)],
            Some((cursor, note)),
        );
    }

    /// Heatmap: two columns per cell, coloured from low (blue) to high
    /// (red), with the value range and the colour scale on its last line.
    fn render_heatmap(&mut self, f: &mut Frame, area: Rect) {
        let ext = self.extent();
        let map_h = area.height.saturating_sub(1);
        self.view = [map_h as usize, (area.width as usize / 2).max(1)];
        self.clamp();
        let rows = self.offset[0]..(self.offset[0] + self.view[0]).min(ext[0]);
        let cols = self.offset[1]..(self.offset[1] + self.view[1]).min(ext[1]);
        let values: Vec<f64> = rows
            .clone()
            .flat_map(|r| cols.clone().map(move |c| (r, c)))
            .filter_map(|(r, c)| self.value_at(r, c)?.as_f64())
            .filter(|v| v.is_finite())
            .collect();
        let (lo, hi) = bounds(values.iter().copied());
        let mut lines: Vec<Line> = rows
            .map(|r| {
                Line::from(
                    cols.clone()
                        .map(|c| {
                            let color = self
                                .value_at(r, c)
                                .and_then(|v| v.as_f64())
                                .filter(|v| v.is_finite())
                                .map_or(Color::DarkGray, |v| heat((v - lo) / (hi - lo)));
                            let cell = if [r, c] == self.cursor {
                                "◆◆"
                            } else {
                                "  "
                            };
                            Span::styled(cell, Style::default().bg(color))
                        })
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        while lines.len() < map_h as usize {
            lines.push(Line::from(""));
        }
        lines.push(scale_line(
            if values.is_empty() {
                None
            } else {
                Some((lo, hi))
            },
            area.width as usize,
        ));
        f.render_widget(Paragraph::new(lines), area);
    }
}

/// At most `w` characters, the last one `…` when cut.
fn cut(text: &str, w: usize) -> String {
    if text.chars().count() > w {
        text.chars()
            .take(w.saturating_sub(1))
            .chain(['…'])
            .collect()
    } else {
        text.to_string()
    }
}

/// A short number for axis labels and the colour scale.
fn short(x: f64) -> String {
    if x != 0.0 && (x.abs() >= 1e6 || x.abs() < 1e-3) {
        sci(x, 3)
    } else {
        let t = format!("{x:.4}");
        let t = t.trim_end_matches('0').trim_end_matches('.');
        t.to_string()
    }
}

/// `lo ▕████████▏ hi`: the heatmap's colour scale (NaN: grey).
fn scale_line(range: Option<(f64, f64)>, width: usize) -> Line<'static> {
    let Some((lo, hi)) = range else {
        return Line::from(Span::styled(
            "no finite values on screen",
            Style::default().fg(Color::DarkGray),
        ));
    };
    let (a, b) = (short(lo), short(hi));
    let bar = width.saturating_sub(a.len() + b.len() + 14).clamp(4, 40);
    let mut spans = vec![Span::raw(format!("{a} "))];
    for i in 0..bar {
        let t = i as f64 / (bar - 1) as f64;
        spans.push(Span::styled(" ", Style::default().bg(heat(t))));
    }
    spans.push(Span::raw(format!(" {b}")));
    spans.push(Span::styled(
        "  ▒ nan",
        Style::default().fg(Color::DarkGray),
    ));
    Line::from(spans)
}

/// A braille line chart of series over `x`; with `mark`, a cursor marker
/// and a note under the chart.
fn line_chart(
    f: &mut Frame,
    area: Rect,
    series: Vec<Vec<(f64, f64)>>,
    x: [f64; 2],
    mark: Option<(f64, String)>,
) {
    let (lo, hi) = bounds(series.iter().flatten().map(|p| p.1));
    let chart_area = if mark.is_some() {
        Rect {
            height: area.height.saturating_sub(1),
            ..area
        }
    } else {
        area
    };
    let cursor_line: Vec<(f64, f64)> = mark
        .as_ref()
        .map(|(cx, _)| vec![(*cx, lo), (*cx, hi)])
        .unwrap_or_default();
    let mut data: Vec<ChartData> = series
        .iter()
        .map(|s| {
            ChartData::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::default().fg(Color::Cyan))
                .data(s)
        })
        .collect();
    if !cursor_line.is_empty() {
        data.push(
            ChartData::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::default().fg(Color::Yellow))
                .data(&cursor_line),
        );
    }
    let chart = Chart::new(data)
        .x_axis(Axis::default().bounds(x).labels(vec![
            Line::from(format!("{}", x[0])),
            Line::from(format!("{}", x[1])),
        ]))
        .y_axis(
            Axis::default()
                .bounds([lo, hi])
                .labels(vec![Line::from(short(lo)), Line::from(short(hi))]),
        );
    f.render_widget(chart, chart_area);
    if let Some((_, note)) = mark {
        let at = Rect {
            y: area.y + area.height.saturating_sub(1),
            height: 1.min(area.height),
            ..area
        };
        f.render_widget(
            Paragraph::new(Span::styled(note, Style::default().fg(Color::DarkGray))),
            at,
        );
    }
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    match (lo.is_finite(), hi.is_finite()) {
        (true, true) if hi > lo => (lo, hi),
        (true, true) => (lo - 0.5, hi + 0.5),
        _ => (0.0, 1.0),
    }
}

/// A blue → green → red ramp for t in [0, 1].
fn heat(t: f64) -> Color {
    let t = t.clamp(0.0, 1.0);
    let (r, g, b) = if t < 0.5 {
        let u = t * 2.0;
        (0.0, u, 1.0 - u)
    } else {
        let u = (t - 0.5) * 2.0;
        (u, 1.0 - u, 0.0)
    };
    Color::Rgb((r * 255.0) as u8, (g * 255.0) as u8, (b * 255.0) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_characters_and_shows_empty_strings() {
        assert_eq!(escape("a\tb\nc"), "a\\tb\\nc");
        assert_eq!(escape(""), "\"\"");
        assert_eq!(escape("\u{1}"), "\\u{1}");
        assert_eq!(escape("µs"), "µs");
    }

    #[test]
    fn scientific_has_a_signed_two_digit_exponent() {
        assert_eq!(sci(100.7166, 4), "1.0072e+02");
        assert_eq!(sci(1.5e-7, 1), "1.5e-07");
    }

    #[test]
    fn auto_gives_a_column_one_notation() {
        let mut a = ArrayPane {
            precision: 6,
            ..Default::default()
        };
        let vals = [Value::Float(100.7166, 8), Value::Float(99.5, 8)];
        let fmt = a.column_need(&vals);
        assert!(!fmt.sci);
        assert_eq!(fmt.decimals, 4);
        assert_eq!(a.cell_text(&vals[1], &fmt), "99.5000");
        let vals = [Value::Float(1e12, 8), Value::Float(3.0, 8)];
        let fmt = a.column_need(&vals);
        assert!(fmt.sci);
        assert_eq!(a.cell_text(&vals[1], &fmt), "3e+00");
        a.format = NumFormat::Fixed;
        assert_eq!(a.column_need(&vals).decimals, 6);
    }
}
