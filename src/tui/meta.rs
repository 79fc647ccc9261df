//! The metadata pane: everything the engine knows about the selected node;
//! in diff mode, before/after values of what changed.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::component::{Effect, FieldFor, Pane};
use super::field::{is_text, TextField};
use super::keymap::Action;
use super::timeline::pane_block;
use super::worker::{Command, NodeInfo};
use crate::engine::dataset::Filter;
use crate::engine::diff::{AttrDiff, Change};
use crate::engine::edit::{Edit, EditValue};
use crate::engine::features::{Dimension, VirtualView};
use crate::engine::region::RefTarget;
use crate::engine::Attr;

#[derive(Default)]
pub struct MetaPane {
    pub info: Option<NodeInfo>,
    /// The selected node's metadata was asked for and has not arrived.
    pub loading: bool,
    /// Showing A's side of a node removed in B: (A, B).
    pub removed: Option<(String, String)>,
    /// The root's version: its name, parent and timestamp.
    pub version: Option<(String, Option<String>, String)>,
    /// The node's change in diff mode.
    pub change: Option<Change>,
    pub scroll: u16,
    /// The selected attribute row (j k g G).
    pub selected: usize,
    /// The node `selected` belongs to.
    pub shown: Option<String>,
    /// The pane has the focus (the selected attribute is marked).
    pub focused: bool,
    /// j / k moved the selection: the next render scrolls it into view.
    follow: bool,
    /// The line the selected attribute is on, from the last `lines`.
    sel_line: std::cell::Cell<Option<usize>>,
    /// Rows that fit and rows the text takes (wrapped), from the last render.
    height: u16,
    rows: u16,
}

fn key(k: &str) -> Span<'static> {
    Span::styled(format!("{k:<13}"), Style::default().fg(Color::Cyan))
}

fn kv(k: &str, v: String) -> Line<'static> {
    Line::from(vec![key(k), Span::raw(v)])
}

fn attr_lines(
    attrs: &[Attr],
    selected: Option<usize>,
    sel_line: &std::cell::Cell<Option<usize>>,
    out: &mut Vec<Line<'static>>,
) {
    out.push(Line::from(Span::styled(
        format!("attributes ({})", attrs.len()),
        Style::default().add_modifier(Modifier::BOLD),
    )));
    for (i, a) in attrs.iter().enumerate() {
        let here = selected == Some(i);
        if here {
            sel_line.set(Some(out.len()));
        }
        let shape = if a.value.shape.is_empty() {
            String::new()
        } else {
            format!("{:?}", a.value.shape)
        };
        let mut line = Line::from(vec![
            Span::styled(
                format!("{}{} ", if here { "▶ " } else { "  " }, a.name),
                Style::default().fg(Color::Yellow),
            ),
            Span::styled(
                format!("<{}{shape}> ", a.value.dtype),
                Style::default().fg(Color::DarkGray),
            ),
            Span::raw(a.value.to_json_shortest().to_string()),
        ]);
        if here {
            line = line.style(Style::default().add_modifier(Modifier::REVERSED));
        }
        out.push(line);
    }
}

/// `deflate[4], blosc (32001)[2, 2, 4, 16] not available`: a filter this
/// build cannot apply is named with its id and marked.
fn filter_line(filters: &[Filter]) -> Line<'static> {
    if filters.is_empty() {
        return kv("filters", "none".into());
    }
    let mut spans = vec![key("filters")];
    for (i, f) in filters.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(", "));
        }
        if f.available {
            spans.push(Span::raw(format!("{}{:?}", f.name, f.cd_values)));
        } else {
            spans.push(Span::styled(
                format!("{}{:?} not available", f.label(), f.cd_values),
                Style::default().fg(Color::Red),
            ));
        }
    }
    Line::from(spans)
}

/// A plain VDS: its first mappings (`virtual ← file:dataset[source]`),
/// how many more, and a warning per source file that is not found.
fn virtual_lines(v: &VirtualView, out: &mut Vec<Line<'static>>) {
    let plural = if v.total == 1 { "" } else { "s" };
    out.push(kv("virtual", format!("{} mapping{plural}", v.total)));
    for s in &v.sources {
        let gone = v.missing.iter().any(|m| m.file == s.file);
        let style = match gone {
            true => Style::default().fg(Color::Red),
            false => Style::default(),
        };
        out.push(Line::from(vec![
            key(""),
            Span::styled(
                format!("{} ← {}:{}{}", s.virtual_sel, s.file, s.dataset, s.source),
                style,
            ),
        ]));
    }
    if v.total > v.sources.len() {
        out.push(kv("", format!("… and {} more", v.total - v.sources.len())));
    }
    for m in &v.missing {
        out.push(Line::from(vec![
            key("warning"),
            Span::styled(
                format!(
                    "source file {} not found: its cells read as the fill value",
                    m.file
                ),
                Style::default().fg(Color::Red),
            ),
        ]));
    }
}

/// One line per axis with a label or a scale: `0 rows: /y ("y")`.
fn dim_lines(dims: &[Dimension], out: &mut Vec<Line<'static>>) {
    for (i, d) in dims.iter().enumerate() {
        let scales: Vec<String> = d
            .scales
            .iter()
            .map(|s| match s.name.as_str() {
                "" => s.path.clone(),
                name => format!("{} ({name:?})", s.path),
            })
            .collect();
        let label = match d.label.as_str() {
            "" => format!("{i}"),
            l => format!("{i} {l}"),
        };
        let scales = match scales.is_empty() {
            true => "(no scale)".to_string(),
            false => scales.join(", "),
        };
        out.push(kv(
            if i == 0 { "dims" } else { "" },
            format!("{label}: {scales}"),
        ));
    }
}

fn diff_lines(change: &Change, out: &mut Vec<Line<'static>>) {
    let before_after = |k: &str, a: String, b: String, out: &mut Vec<Line<'static>>| {
        if a != b {
            out.push(Line::from(vec![
                key(k),
                Span::styled(a, Style::default().fg(Color::Red)),
                Span::raw(" → "),
                Span::styled(b, Style::default().fg(Color::Green)),
            ]));
        }
    };
    out.push(Line::from(Span::styled(
        "changed (A → B)",
        Style::default().add_modifier(Modifier::BOLD),
    )));
    let attrs = match change {
        Change::Dataset(d) => {
            before_after(
                "shape",
                format!("{:?}", d.shape.0),
                format!("{:?}", d.shape.1),
                out,
            );
            before_after("dtype", d.dtype.0.to_string(), d.dtype.1.to_string(), out);
            before_after(
                "chunks",
                format!("{:?}", d.chunks.0),
                format!("{:?}", d.chunks.1),
                out,
            );
            before_after(
                "fill value",
                d.fill.0.to_string(),
                d.fill.1.to_string(),
                out,
            );
            before_after(
                "compression",
                format!("{:?}", d.compression.0),
                format!("{:?}", d.compression.1),
                out,
            );
            if let Some(c) = &d.chunk_diff {
                out.push(kv(
                    "chunks diff",
                    format!("{} of {} positions changed", c.changed(), c.total),
                ));
            }
            &d.attrs
        }
        Change::Group { attrs, .. } => attrs,
    };
    attr_diff_lines(attrs, out);
    out.push(Line::from(""));
}

fn attr_diff_lines(a: &AttrDiff, out: &mut Vec<Line<'static>>) {
    for k in &a.added {
        out.push(Line::from(Span::styled(
            format!("  + @{k}"),
            Style::default().fg(Color::Green),
        )));
    }
    for k in &a.removed {
        out.push(Line::from(Span::styled(
            format!("  - @{k}"),
            Style::default().fg(Color::Red),
        )));
    }
    for (k, x, y) in &a.changed {
        out.push(Line::from(vec![
            Span::styled(format!("  ~ @{k} "), Style::default().fg(Color::Yellow)),
            Span::styled(x.to_string(), Style::default().fg(Color::Red)),
            Span::raw(" → "),
            Span::styled(y.to_string(), Style::default().fg(Color::Green)),
        ]));
    }
}

impl MetaPane {
    /// The shown node's attributes.
    pub fn attrs(&self) -> &[Attr] {
        match &self.info {
            Some(NodeInfo::Group { attrs, .. }) => attrs,
            Some(NodeInfo::Dataset { meta, .. }) => &meta.attrs,
            None => &[],
        }
    }

    /// A node is selected: its metadata is on its way. The selected
    /// attribute row stays while the node is the same one (reloaded).
    pub(super) fn awaiting(&mut self, path: &str) {
        if self.shown.as_deref() != Some(path) {
            self.selected = 0;
            self.shown = Some(path.to_string());
        }
        self.info = None;
        self.loading = true;
        self.change = None;
        self.removed = None;
        self.version = None;
    }

    /// The shown dataset's shape as the resize field shows it
    /// (`[100, 12]`); empty for a group.
    pub(super) fn shape_text(&self) -> String {
        match &self.info {
            Some(NodeInfo::Dataset { meta, .. }) => format!("{:?}", meta.shape),
            _ => String::new(),
        }
    }

    /// `e`, `a`, `d` on the attributes of the node at `target` (its
    /// version and path, or why it cannot be edited): a field for the
    /// selected one's new value, a field for a new one, or its deletion
    /// staged.
    pub(super) fn edit(&self, action: Action, target: Result<(String, String), String>) -> Effect {
        let (base, path) = match target {
            Ok(t) => t,
            Err(why) => return Effect::Status(why, false),
        };
        match (action, self.selected_attr()) {
            (Action::Edit | Action::Delete, None) => {
                Effect::Status("no attribute here: a adds one".into(), false)
            }
            (Action::Edit, Some(a)) => Effect::OpenField(
                FieldFor::AttrEdit,
                TextField::new(format!("{} = ", a.name), &attr_text(a)),
            ),
            (Action::Add, _) => {
                Effect::OpenField(FieldFor::AttrAdd, TextField::new("attr NAME=VALUE: ", ""))
            }
            (Action::Delete, Some(a)) => Effect::Command(Box::new(Command::Apply {
                base,
                edit: Edit::DelAttr {
                    path,
                    name: a.name.clone(),
                },
            })),
            _ => Effect::None,
        }
    }

    /// Enter in an attribute field (the selected attribute's value, or
    /// `NAME=VALUE`): checks the value, then stages it at `target`.
    pub(super) fn accept_edit(
        &self,
        purpose: FieldFor,
        text: &str,
        target: Result<(String, String), String>,
    ) -> Result<Effect, String> {
        match purpose {
            FieldFor::AttrEdit => {
                let name = self
                    .selected_attr()
                    .map(|a| a.name.clone())
                    .ok_or("no attribute selected")?;
                self.accept_attr(&name, text, target)
            }
            FieldFor::AttrAdd => {
                let (name, value) = text
                    .split_once('=')
                    .ok_or("give NAME=VALUE (for example units=\"m/s\")")?;
                let name = name.trim();
                if name.is_empty() {
                    return Err("give NAME=VALUE: the name is empty".into());
                }
                self.accept_attr(name, value, target)
            }
            _ => Ok(Effect::None),
        }
    }

    /// An attribute's new value: typed as the attribute's dtype when it
    /// exists (a string's as plain text), else as the command line's.
    fn accept_attr(
        &self,
        name: &str,
        text: &str,
        target: Result<(String, String), String>,
    ) -> Result<Effect, String> {
        let (base, path) = target?;
        let existing = self
            .attrs()
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.dtype.clone());
        let value = match &existing {
            Some(d) if is_text(d) => EditValue::Text(text.to_string()),
            _ => EditValue::parse(text).map_err(|e| e.message)?,
        };
        value
            .for_attr(existing.as_ref(), true, &format!("{path} @{name}"))
            .map_err(|e| e.message)?;
        Ok(Effect::Command(Box::new(Command::Apply {
            base,
            edit: Edit::SetAttr {
                path,
                name: name.to_string(),
                value,
                dtype: crate::engine::AttrDtype::Keep,
            },
        })))
    }

    /// The selected attribute, if the node has any.
    pub fn selected_attr(&self) -> Option<&Attr> {
        let attrs = self.attrs();
        attrs.get(self.selected.min(attrs.len().saturating_sub(1)))
    }

    /// What the selected attribute references (its first reference).
    pub fn selected_reference(&self) -> Option<RefTarget> {
        let grid = &self.selected_attr()?.value;
        if !grid.dtype.has_refs() {
            return None;
        }
        (0..grid.len()).find_map(|i| grid.get(i).first_ref().cloned())
    }

    pub fn lines(&self) -> Vec<Line<'static>> {
        let mut out = Vec::new();
        self.sel_line.set(None);
        let n = self.attrs().len();
        let sel = (n > 0 && self.focused).then(|| self.selected.min(n - 1));
        let sl = &self.sel_line;
        if let Some(c) = &self.change {
            diff_lines(c, &mut out);
        }
        if let Some((a, b)) = &self.removed {
            out.push(Line::from(Span::styled(
                format!("removed in {b}: showing it as it was in {a}"),
                Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            )));
        }
        match &self.info {
            None if self.loading => out.push(Line::from("loading…")),
            None => out.push(Line::from("select a node")),
            Some(NodeInfo::Group { path, attrs }) if path == "/" => {
                out.push(kv("group", "/  (the version group)".into()));
                if let Some((name, parent, time)) = &self.version {
                    out.push(kv("version", name.clone()));
                    out.push(kv(
                        "parent",
                        parent.clone().unwrap_or_else(|| "(none)".into()),
                    ));
                    if !time.is_empty() {
                        out.push(kv("timestamp", time.clone()));
                    }
                }
                attr_lines(attrs, sel, sl, &mut out);
            }
            Some(NodeInfo::Group { path, attrs }) => {
                out.push(kv("group", path.clone()));
                attr_lines(attrs, sel, sl, &mut out);
            }
            Some(NodeInfo::Dataset { meta, chunk_map }) => {
                let m = meta;
                out.push(kv("dataset", m.path.clone()));
                out.push(kv(
                    "shape",
                    format!("{:?}  ({} elements)", m.shape, m.len()),
                ));
                let max: Vec<String> = m
                    .maxshape
                    .iter()
                    .map(|d| d.map_or("None".into(), |d| d.to_string()))
                    .collect();
                out.push(kv("maxshape", format!("({})", max.join(", "))));
                out.push(kv("dtype", format!("{}  {}", m.dtype, m.dtype.numpy())));
                out.push(kv(
                    "chunks",
                    m.chunks
                        .as_ref()
                        .map_or("contiguous".into(), |c| format!("{c:?}")),
                ));
                out.push(kv("layout", m.layout.to_string()));
                out.push(kv("fill value", m.fill_value().to_string()));
                out.push(filter_line(&m.filters));
                let ratio = m
                    .compression_ratio()
                    .map(|r| format!("  (ratio {r:.2})"))
                    .unwrap_or_default();
                if let Some(size) = m.storage_size {
                    out.push(kv("storage", format!("{size} bytes{ratio}")));
                }
                if let Some(raw) = &m.raw_data {
                    out.push(kv("raw data", raw.clone()));
                }
                if let Some(v) = &m.virtual_view {
                    virtual_lines(v, &mut out);
                }
                dim_lines(&m.dims, &mut out);
                if chunk_map.is_none() && m.raw_data.is_some() {
                    out.push(kv("chunk map", "counting…".into()));
                }
                if let Some(c) = chunk_map {
                    out.push(kv(
                        "chunk map",
                        format!(
                            "{} total, {} stored, {} shared with parent, {} unique",
                            c.total, c.stored, c.shared_with_prev, c.unique_in_version
                        ),
                    ));
                }
                attr_lines(&m.attrs, sel, sl, &mut out);
            }
        }
        out
    }

    pub fn scroll_by(&mut self, delta: i32) {
        self.scroll = (self.scroll as i32 + delta).max(0) as u16;
    }

    /// The metadata pane's actions: selecting an attribute (scrolling when
    /// the node has none), and back to the tree.
    pub fn handle(&mut self, action: Action) -> Effect {
        let n = self.attrs().len();
        let last = n.saturating_sub(1);
        self.selected = self.selected.min(last);
        match action {
            Action::Up if n > 0 => {
                self.selected = self.selected.saturating_sub(1);
                self.follow = true;
            }
            Action::Down if n > 0 => {
                self.selected = (self.selected + 1).min(last);
                self.follow = true;
            }
            Action::Up => self.scroll_by(-1),
            Action::Down => self.scroll_by(1),
            Action::PageUp => self.scroll_by(-10),
            Action::PageDown => self.scroll_by(10),
            Action::First => {
                self.selected = 0;
                self.scroll = 0;
            }
            // The last page of the text.
            Action::Last => {
                self.selected = last;
                self.scroll = self.rows.saturating_sub(self.height);
            }
            Action::Back => return Effect::Focus(Pane::Tree),
            Action::Follow => {
                return match self.selected_reference() {
                    Some(t) => Effect::Follow(t),
                    None => {
                        Effect::Status("the selected attribute holds no reference".into(), false)
                    }
                }
            }
            _ => {}
        }
        Effect::None
    }

    /// The pane; an open attribute field is drawn in its title.
    pub fn render(
        &mut self,
        f: &mut Frame,
        area: Rect,
        focused: bool,
        field: Option<&super::field::TextField>,
    ) {
        let mut title = vec![Span::raw(" Metadata ")];
        if let Some(field) = field {
            title.extend(field.spans());
        }
        let block = pane_block(Line::from(title), focused);
        let inner = block.inner(area);
        self.focused = focused;
        let lines = self.lines();
        let width = inner.width.max(1) as usize;
        self.height = inner.height;
        // Keep the selected attribute in view (rows counted unwrapped up
        // to it, then by characters).
        if let (Some(at), true) = (self.sel_line.get(), std::mem::take(&mut self.follow)) {
            let row: u16 = lines[..at]
                .iter()
                .map(|l| l.width().max(1).div_ceil(width) as u16)
                .sum();
            if row < self.scroll {
                self.scroll = row;
            } else if row >= self.scroll + self.height.max(1) {
                self.scroll = row + 1 - self.height.max(1);
            }
        }
        // Wrapped rows, counted by characters (word wrap may take a few more).
        self.rows = lines
            .iter()
            .map(|l| l.width().max(1).div_ceil(width) as u16)
            .sum();
        let p = Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((self.scroll, 0));
        f.render_widget(p, area);
    }
}

/// An attribute's value as its editor shows it: a string as plain text.
fn attr_text(a: &Attr) -> String {
    match a.value.to_json_shortest() {
        serde_json::Value::String(s) if is_text(&a.value.dtype) => s,
        v => v.to_string(),
    }
}
