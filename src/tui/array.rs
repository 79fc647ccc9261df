//! The array pane: a paged table of a dataset's values in the selected
//! version. Only the visible window plus a margin is read (on the worker);
//! n-D data shows two chosen axes with the others pinned. A plot toggle
//! draws 1-D windows as a line chart and 2-D windows as a heatmap.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset as ChartData, GraphType, Paragraph};
use ratatui::Frame;

use super::component::{Effect, FieldFor, Pane};
use super::field::TextField;
use super::keymap::Action;
use super::timeline::pane_block;
use crate::engine::slice::{AxisSel, Selection};
use crate::engine::value::format_float;
use crate::engine::{DatasetMeta, Value, ValueGrid};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NumFormat {
    #[default]
    Auto,
    Fixed,
    Scientific,
}

/// Values read for a block of the two shown axes.
#[derive(Debug, Clone)]
pub struct Page {
    pub key: ViewKey,
    pub start: [usize; 2],
    pub count: [usize; 2],
    pub grid: ValueGrid,
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

#[derive(Default)]
pub struct ArrayPane {
    pub version: Option<String>,
    pub meta: Option<DatasetMeta>,
    pub row_axis: usize,
    pub col_axis: Option<usize>,
    pub pinned: Vec<usize>,
    pub cursor: [usize; 2],
    pub offset: [usize; 2],
    /// Rows and columns that fit, from the last render.
    pub view: [usize; 2],
    pub page: Option<Page>,
    pub mask: Option<MaskPage>,
    pub plot: bool,
    pub format: NumFormat,
    pub precision: usize,
    /// Diff mode: starts of changed chunks along the shown axes.
    pub changed: Vec<[usize; 2]>,
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
            self.offset = [0, 0];
            self.precision = 6;
        }
        self.version = Some(version.to_string());
        self.meta = Some(meta);
        self.clamp();
    }

    pub fn clear(&mut self) {
        self.meta = None;
        self.page = None;
        self.mask = None;
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

    /// `:` go to `ROW` or `ROW, COL` (negative: from the end). A text
    /// that is not an index, or one outside the shown shape, is refused
    /// and nothing moves.
    pub fn goto(&mut self, text: &str) -> Result<(), String> {
        let parts: Vec<&str> = text.split([',', ' ']).filter(|s| !s.is_empty()).collect();
        let nums: Result<Vec<isize>, _> = parts.iter().map(|p| p.parse::<isize>()).collect();
        let nums = nums.map_err(|_| format!("go to: {text:?} is not an index"))?;
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
    /// diff-mode jumps.
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
            Action::Plot => self.plot = !self.plot,
            Action::Format => self.cycle_format(),
            Action::MorePrecision => self.precision = (self.precision + 1).min(17),
            Action::LessPrecision => self.precision = self.precision.saturating_sub(1),
            Action::RowAxis => self.cycle_axis(true),
            Action::ColAxis => self.cycle_axis(false),
            Action::PinnedNext => self.step_pinned(0, 1),
            Action::PinnedPrev => self.step_pinned(0, -1),
            Action::Pinned2Next => self.step_pinned(1, 1),
            Action::Pinned2Prev => self.step_pinned(1, -1),
            Action::NextChange | Action::PrevChange
                if !self.jump_changed(action == Action::NextChange) =>
            {
                return Effect::Status("no further changed chunk".into(), false);
            }
            _ => {}
        }
        Effect::None
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

    pub fn value_at(&self, r: usize, c: usize) -> Option<Value> {
        let p = self
            .page
            .as_ref()
            .filter(|p| Some(&p.key) == self.key().as_ref())?;
        let i = self.flat(p.start, p.count, r, c)?;
        (i < p.grid.len()).then(|| p.grid.get(i))
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

    /// Moves to the next (or previous) changed chunk in diff mode.
    pub fn jump_changed(&mut self, forward: bool) -> bool {
        let here = self.cursor;
        let next = if forward {
            self.changed.iter().find(|p| **p > here)
        } else {
            self.changed.iter().rev().find(|p| **p < here)
        };
        match next.copied() {
            Some(p) => {
                self.cursor = p;
                self.clamp();
                true
            }
            None => false,
        }
    }

    pub fn format_value(&self, v: &Value) -> String {
        match (v, self.format) {
            (Value::Float(x, _), NumFormat::Fixed) if x.is_finite() => {
                format!("{x:.p$}", p = self.precision)
            }
            (Value::Float(x, _), NumFormat::Scientific) if x.is_finite() => {
                format!("{x:.p$e}", p = self.precision)
            }
            (Value::Float(x, size), NumFormat::Auto) => {
                let text = format_float(*x, *size);
                if text.len() > self.precision + 8 {
                    format!("{x:.p$e}", p = self.precision)
                } else {
                    text
                }
            }
            (Value::Enum(_, Some(name)), _) => name.clone(),
            (Value::Str(s), _) => s.clone(),
            (Value::Bytes(b), _) => b.iter().map(|&c| c as char).collect(),
            _ => v.to_string(),
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
        if let Some(field) = field {
            spans.extend(field.spans());
            spans.push(Span::raw(" "));
        }
        Line::from(spans)
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
        if self.meta.is_none() {
            f.render_widget(Paragraph::new("select a dataset in the tree"), inner);
            return;
        }
        if self.plot {
            self.render_plot(f, inner);
        } else {
            self.render_table(f, inner);
        }
    }

    fn col_width(&self) -> usize {
        let mut width = 4;
        for r in self.offset[0]..self.offset[0] + self.view[0].max(1) {
            for c in self.offset[1]..self.offset[1] + self.view[1].max(1) {
                if let Some(v) = self.value_at(r, c) {
                    width = width.max(self.format_value(&v).chars().count());
                }
            }
        }
        width.clamp(4, 24)
    }

    fn render_table(&mut self, f: &mut Frame, area: Rect) {
        let ext = self.extent();
        let index_width = ext[0].max(1).to_string().len().max(3);
        let width = self.col_width();
        self.view = [
            area.height.saturating_sub(1) as usize,
            ((area.width as usize).saturating_sub(index_width + 1) / (width + 1)).max(1),
        ];
        self.clamp();
        let rows = self.offset[0]..(self.offset[0] + self.view[0]).min(ext[0]);
        let cols = self.offset[1]..(self.offset[1] + self.view[1]).min(ext[1]);
        let mut lines = Vec::new();
        let mut header = vec![Span::raw(" ".repeat(index_width + 1))];
        for c in cols.clone() {
            header.push(Span::styled(
                format!("{c:>width$} "),
                Style::default().fg(Color::DarkGray),
            ));
        }
        lines.push(Line::from(header));
        for r in rows {
            let mut spans = vec![Span::styled(
                format!("{r:>index_width$} "),
                Style::default().fg(Color::DarkGray),
            )];
            for c in cols.clone() {
                let text = match self.value_at(r, c) {
                    Some(v) => self.format_value(&v),
                    None => "…".into(),
                };
                let text: String = if text.chars().count() > width {
                    text.chars().take(width - 1).chain(['…']).collect()
                } else {
                    text
                };
                let mut style = Style::default();
                if let Some((true, _)) = self.diff_at(r, c) {
                    style = style.bg(Color::Yellow).fg(Color::Black);
                }
                if [r, c] == self.cursor {
                    style = style.add_modifier(Modifier::REVERSED);
                }
                // Text reads left-aligned, numbers right-aligned.
                let text = match self.value_at(r, c) {
                    Some(Value::Str(_) | Value::Bytes(_)) => format!("{text:<width$}"),
                    _ => format!("{text:>width$}"),
                };
                spans.push(Span::styled(text, style));
                spans.push(Span::raw(" "));
            }
            lines.push(Line::from(spans));
        }
        f.render_widget(Paragraph::new(lines), area);
    }

    fn render_plot(&mut self, f: &mut Frame, area: Rect) {
        let ext = self.extent();
        if ext[1] <= 1 {
            self.view = [area.width.saturating_sub(8) as usize, 1];
            self.clamp();
            let rows = self.offset[0]..(self.offset[0] + self.view[0]).min(ext[0]);
            let points: Vec<(f64, f64)> = rows
                .filter_map(|r| Some((r as f64, self.value_at(r, 0)?.as_f64()?)))
                .filter(|p| p.1.is_finite())
                .collect();
            let (lo, hi) = bounds(points.iter().map(|p| p.1));
            let x0 = self.offset[0] as f64;
            let x1 = (self.offset[0] + self.view[0])
                .min(ext[0])
                .max(self.offset[0] + 1) as f64;
            let data = vec![ChartData::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::default().fg(Color::Cyan))
                .data(&points)];
            let chart = Chart::new(data)
                .x_axis(Axis::default().bounds([x0, x1 - 1.0]).labels(vec![
                    Line::from(format!("{x0}")),
                    Line::from(format!("{}", x1 - 1.0)),
                ]))
                .y_axis(Axis::default().bounds([lo, hi]).labels(vec![
                    Line::from(format!("{lo:.3}")),
                    Line::from(format!("{hi:.3}")),
                ]));
            f.render_widget(chart, area);
            return;
        }
        // Heatmap: two columns per cell, coloured from low (blue) to high (red).
        self.view = [area.height as usize, (area.width as usize / 2).max(1)];
        self.clamp();
        let rows = self.offset[0]..(self.offset[0] + self.view[0]).min(ext[0]);
        let cols = self.offset[1]..(self.offset[1] + self.view[1]).min(ext[1]);
        let values: Vec<f64> = rows
            .clone()
            .flat_map(|r| cols.clone().map(move |c| (r, c)))
            .filter_map(|(r, c)| self.value_at(r, c)?.as_f64())
            .filter(|v| v.is_finite())
            .collect();
        let (lo, hi) = bounds(values.into_iter());
        let lines: Vec<Line> = rows
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
        f.render_widget(Paragraph::new(lines), area);
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
