//! The browser's state and its one-way flow: an input event updates the
//! state and queues engine requests; answers from the worker update the
//! state; rendering only reads it.

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Constraint, Direction, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::array::{ArrayPane, MaskPage, Page};
use super::meta::MetaPane;
use super::timeline::Timeline;
use super::tree::TreePane;
use super::worker::{Answer, NodeInfo, Reply, Request};
use crate::engine::diff::{Change, VersionDiff};
use crate::engine::NodeKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Timeline,
    Tree,
    Meta,
    Array,
}

const PANES: [Pane; 4] = [Pane::Timeline, Pane::Tree, Pane::Meta, Pane::Array];

/// Where each pane was drawn, for mouse clicks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Areas {
    pub timeline: Rect,
    pub tree: Rect,
    pub meta: Rect,
    pub array: Rect,
}

pub struct App {
    pub file_label: String,
    pub focus: Pane,
    pub timeline: Timeline,
    pub tree: TreePane,
    pub meta: MetaPane,
    pub array: ArrayPane,
    /// Diff between the marked version (A) and the selected one (B).
    pub diff: Option<VersionDiff>,
    pub status: Option<(String, bool)>,
    pub help: bool,
    pub quit: bool,
    pub areas: Areas,
    seq: u64,
    /// Newest sequence number sent per request kind; older answers are stale.
    latest: HashMap<String, u64>,
    /// What each outstanding background scan is doing, by request kind.
    scans: HashMap<String, String>,
    outbox: Vec<(u64, Request)>,
    /// The page request waiting for its answer.
    in_flight: Option<Request>,
    spinner: usize,
}

impl App {
    pub fn new(file_label: String) -> App {
        let mut app = App {
            file_label,
            focus: Pane::Timeline,
            timeline: Timeline::default(),
            tree: TreePane::default(),
            meta: MetaPane::default(),
            array: ArrayPane::default(),
            diff: None,
            status: None,
            help: false,
            quit: false,
            areas: Areas::default(),
            seq: 0,
            latest: HashMap::new(),
            scans: HashMap::new(),
            outbox: Vec::new(),
            in_flight: None,
            spinner: 0,
        };
        app.request(Request::Log);
        app
    }

    /// Queues a request; the newest of a kind wins.
    pub fn request(&mut self, req: Request) {
        self.seq += 1;
        self.latest.insert(req.kind(), self.seq);
        match req.doing() {
            Some(what) => self.scans.insert(req.kind(), what),
            None => self.scans.remove(&req.kind()),
        };
        self.outbox.retain(|(_, r)| r.kind() != req.kind());
        self.outbox.push((self.seq, req));
    }

    /// Requests waiting to be sent to the worker.
    pub fn take_requests(&mut self) -> Vec<(u64, Request)> {
        std::mem::take(&mut self.outbox)
    }

    /// Whether answers are outstanding (the spinner turns).
    pub fn busy(&self) -> bool {
        !self.latest.is_empty()
    }

    pub fn tick(&mut self) {
        self.spinner = self.spinner.wrapping_add(1);
    }

    pub fn on_answer(&mut self, answer: Answer) {
        if let Ok(Reply::FileChanged) = answer.reply {
            self.status = Some(("the file changed on disk: reloaded".into(), false));
            self.request(Request::Log);
            return;
        }
        if self.latest.get(&answer.kind) != Some(&answer.seq) {
            return; // stale: the user has moved on
        }
        self.latest.remove(&answer.kind);
        self.scans.remove(&answer.kind);
        match answer.reply {
            Ok(reply) => self.on_reply(reply),
            Err(message) => {
                self.in_flight = None;
                self.status = Some((message, true));
            }
        }
    }

    fn on_reply(&mut self, reply: Reply) {
        match reply {
            Reply::Log { versions, current } => {
                self.timeline.load(&versions, current);
                self.version_changed();
            }
            Reply::Tree {
                version,
                nodes,
                dtypes,
            } => {
                self.tree.load(&version, nodes, dtypes);
                self.tree
                    .set_diff(self.diff.as_ref().filter(|d| d.b == version));
                self.node_changed();
            }
            Reply::Meta { version, info } => {
                if let NodeInfo::Dataset { meta, .. } = &info {
                    self.request(Request::ChunkSummary {
                        version: version.clone(),
                        path: meta.path.clone(),
                    });
                    self.array.show(&version, (**meta).clone());
                    self.update_changed_chunks();
                    self.want_page();
                }
                self.meta.info = Some(info);
                self.meta.change = self.node_change();
            }
            Reply::Page {
                version,
                path,
                sel,
                grid,
            } => {
                self.in_flight = None;
                let key = self.array.key();
                if let Some(key) = key.filter(|k| k.version == version && k.path == path) {
                    let start = block_start(&self.array, &sel);
                    let count = block_count(&self.array, &sel);
                    self.array.page = Some(Page {
                        key,
                        start,
                        count,
                        grid,
                    });
                    self.want_mask();
                }
            }
            Reply::ChunkSummary {
                version,
                path,
                summary,
            } => {
                if let Some(NodeInfo::Dataset { meta, chunk_map }) = &mut self.meta.info {
                    if meta.path == path && self.array.version.as_deref() == Some(&version) {
                        *chunk_map = summary;
                    }
                }
            }
            Reply::Summary { version, text } => {
                self.timeline.summaries.insert(version, text);
            }
            Reply::FileChanged => {}
            Reply::Diff(d) => {
                let shown = self.timeline.selected_name().map(String::from);
                if shown.as_deref() == Some(d.b.as_str()) {
                    self.tree.set_diff(Some(&d));
                    self.diff = Some(*d);
                    self.meta.change = self.node_change();
                    self.update_changed_chunks();
                    self.want_mask();
                }
            }
            Reply::Mask {
                path,
                start,
                count,
                mask,
                other,
            } => self.set_mask(path, start, count, mask, other),
        }
    }

    fn set_mask(
        &mut self,
        path: String,
        start: Vec<usize>,
        count: Vec<usize>,
        mask: Vec<bool>,
        other: crate::engine::ValueGrid,
    ) {
        // An answer for a diff the user has since left (Esc, another version).
        let shown = self.diff.as_ref().map(|d| d.b.clone());
        let Some(key) = self
            .array
            .key()
            .filter(|k| k.path == path && Some(&k.version) == shown.as_ref())
        else {
            return;
        };
        let pick = |v: &[usize]| -> [usize; 2] {
            if v.is_empty() {
                return [0, 0];
            }
            [v[key.row_axis], key.col_axis.map_or(0, |c| v[c])]
        };
        let (s, c) = (
            pick(&start),
            if count.is_empty() {
                [1, 1]
            } else {
                [count[key.row_axis], key.col_axis.map_or(1, |c| count[c])]
            },
        );
        self.array.mask = Some(MaskPage {
            key,
            start: s,
            count: c,
            mask,
            other,
        });
    }

    /// The version selection moved: reload the tree, refresh the diff.
    fn version_changed(&mut self) {
        let Some(name) = self.timeline.selected_name().map(String::from) else {
            return;
        };
        self.array.page = None;
        self.array.mask = None;
        self.request(Request::Tree {
            version: name.clone(),
        });
        match &self.timeline.mark {
            Some(a) if *a != name => self.request(Request::Diff {
                a: a.clone(),
                b: name,
            }),
            _ => {
                self.diff = None;
                self.tree.set_diff(None);
            }
        }
    }

    /// The tree selection moved: load the node's metadata.
    fn node_changed(&mut self) {
        let (Some(version), Some(path)) = (self.tree.version.clone(), self.tree.selected_path())
        else {
            return;
        };
        let removed = self
            .diff
            .as_ref()
            .is_some_and(|d| d.removed.iter().any(|n| n.path == path));
        if removed {
            self.meta.info = None;
            self.meta.change = None;
            self.array.clear();
            self.status = Some((
                format!(
                    "{path} exists only in {}",
                    self.timeline.mark.clone().unwrap_or_default()
                ),
                false,
            ));
            return;
        }
        if self.tree.selected_kind() != Some(NodeKind::Dataset) {
            self.array.clear();
        }
        self.request(Request::Meta { version, path });
    }

    fn node_change(&self) -> Option<Change> {
        let path = self.tree.selected_path()?;
        self.diff
            .as_ref()?
            .modified
            .iter()
            .find(|c| c.path() == path)
            .cloned()
    }

    fn update_changed_chunks(&mut self) {
        self.array.changed.clear();
        let Some(Change::Dataset(d)) = self.node_change() else {
            return;
        };
        let (Some(chunks), Some(cd)) = (d.chunks.1.clone(), d.chunk_diff.as_ref()) else {
            return;
        };
        let (r, c) = (self.array.row_axis, self.array.col_axis);
        let mut starts: Vec<[usize; 2]> = cd
            .changed_common
            .iter()
            .map(|p| {
                [
                    p.get(r).map_or(0, |i| i * chunks[r]),
                    c.map_or(0, |c| p[c] * chunks[c]),
                ]
            })
            .collect();
        starts.sort();
        starts.dedup();
        self.array.changed = starts;
    }

    /// Requests the array block the view needs, if the cache misses it.
    pub fn want_page(&mut self) {
        if let Some((key, _, _, sel)) = self.array.wanted() {
            let req = Request::Page {
                version: key.version,
                path: key.path,
                sel,
            };
            // Already on its way: asking again would only make the answer stale.
            if self.in_flight.as_ref() != Some(&req) {
                self.in_flight = Some(req.clone());
                self.request(req);
            }
        }
    }

    fn want_mask(&mut self) {
        let (Some(d), Some(page)) = (&self.diff, &self.array.page) else {
            return;
        };
        let Some(a) = self.timeline.mark.clone() else {
            return;
        };
        if page.key.version != d.b || self.node_change().is_none() {
            return;
        }
        let Some(sel) = self.array.selection(page.start, page.count) else {
            return;
        };
        let start = sel.axes.iter().map(|x| x.start).collect();
        let count = sel.axes.iter().map(|x| x.count).collect();
        self.request(Request::Mask {
            a,
            b: d.b.clone(),
            path: page.key.path.clone(),
            start,
            count,
        });
    }

    /// Versions on screen without a summary get one computed.
    pub fn want_summaries(&mut self) {
        let range = self.timeline.offset
            ..(self.timeline.offset + self.timeline.height.max(1)).min(self.timeline.rows.len());
        let missing: Vec<String> = self.timeline.rows[range]
            .iter()
            .filter(|r| !self.timeline.summaries.contains_key(&r.name))
            .map(|r| r.name.clone())
            .collect();
        for version in missing {
            if !self.latest.contains_key(&format!("summary:{version}")) {
                self.request(Request::Summary { version });
            }
        }
    }

    pub fn on_key(&mut self, key: KeyEvent) {
        self.status = None;
        if self.help {
            self.help = false;
            return;
        }
        if self.tree.search.is_some() {
            return self.search_key(key);
        }
        if self.array.goto.is_some() {
            return self.goto_key(key);
        }
        let shift_tab = key.code == KeyCode::BackTab
            || (key.code == KeyCode::Tab && key.modifiers.contains(KeyModifiers::SHIFT));
        match key.code {
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => self.quit = true,
            KeyCode::Char('?') => self.help = true,
            _ if shift_tab => self.cycle_focus(-1),
            KeyCode::Tab => self.cycle_focus(1),
            KeyCode::Char('m') => self.toggle_mark(),
            KeyCode::Esc => {
                self.timeline.mark = None;
                self.version_changed();
            }
            _ => match self.focus {
                Pane::Timeline => self.timeline_key(key),
                Pane::Tree => self.tree_key(key),
                Pane::Meta => self.meta_key(key),
                Pane::Array => self.array_key(key),
            },
        }
    }

    fn cycle_focus(&mut self, delta: isize) {
        let i = PANES.iter().position(|p| *p == self.focus).unwrap_or(0) as isize;
        self.focus = PANES[((i + delta).rem_euclid(PANES.len() as isize)) as usize];
    }

    fn toggle_mark(&mut self) {
        let Some(name) = self.timeline.selected_name().map(String::from) else {
            return;
        };
        self.timeline.mark = if self.timeline.mark.as_deref() == Some(&name) {
            None
        } else {
            Some(name.clone())
        };
        self.status = Some((
            match &self.timeline.mark {
                Some(a) => format!("marked {a} as A: select another version to diff"),
                None => "diff mode off".into(),
            },
            false,
        ));
        self.version_changed();
    }

    fn timeline_key(&mut self, key: KeyEvent) {
        let page = self.timeline.height.max(1) as isize;
        let moved = match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.timeline.move_by(-1),
            KeyCode::Down | KeyCode::Char('j') => self.timeline.move_by(1),
            KeyCode::PageUp => self.timeline.move_by(-page),
            KeyCode::PageDown => self.timeline.move_by(page),
            KeyCode::Char('g') | KeyCode::Home => {
                self.timeline.move_by(-(self.timeline.rows.len() as isize))
            }
            KeyCode::Char('G') | KeyCode::End => {
                self.timeline.move_by(self.timeline.rows.len() as isize)
            }
            KeyCode::Enter | KeyCode::Char('l') | KeyCode::Right => {
                self.focus = Pane::Tree;
                false
            }
            _ => false,
        };
        if moved {
            self.version_changed();
        }
    }

    fn tree_key(&mut self, key: KeyEvent) {
        let before = self.tree.selected_path();
        let s = &mut self.tree.state;
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => {
                s.key_up();
            }
            KeyCode::Down | KeyCode::Char('j') => {
                s.key_down();
            }
            KeyCode::Left | KeyCode::Char('h') | KeyCode::Backspace => {
                let moved = s.key_left();
                if !moved {
                    self.focus = Pane::Timeline;
                }
            }
            KeyCode::Right | KeyCode::Char('l') | KeyCode::Enter => {
                if self.tree.selected_kind() == Some(NodeKind::Dataset) {
                    self.focus = Pane::Array;
                } else {
                    self.tree.state.key_right();
                }
            }
            KeyCode::PageUp => {
                s.select_relative(|i| i.map_or(0, |i| i.saturating_sub(10)));
            }
            KeyCode::PageDown => {
                s.select_relative(|i| i.map_or(0, |i| i + 10));
            }
            KeyCode::Char('g') | KeyCode::Home => {
                s.select_first();
            }
            KeyCode::Char('G') | KeyCode::End => {
                s.select_last();
            }
            KeyCode::Char('/') => self.tree.search = Some(String::new()),
            _ => {}
        }
        if self.tree.selected_path() != before {
            self.node_changed();
        }
    }

    fn search_key(&mut self, key: KeyEvent) {
        let Some(q) = self.tree.search.as_mut() else {
            return;
        };
        match key.code {
            KeyCode::Esc => self.tree.search = None,
            KeyCode::Enter => {
                let q = q.clone();
                self.tree.search = None;
                if self.tree.find(&q) {
                    self.node_changed();
                } else {
                    self.status = Some((format!("no node matches {q:?}"), true));
                }
            }
            KeyCode::Backspace => {
                q.pop();
            }
            KeyCode::Char(c) => q.push(c),
            _ => {}
        }
    }

    fn meta_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.meta.scroll_by(-1),
            KeyCode::Down | KeyCode::Char('j') => self.meta.scroll_by(1),
            KeyCode::PageUp => self.meta.scroll_by(-10),
            KeyCode::PageDown => self.meta.scroll_by(10),
            KeyCode::Char('g') | KeyCode::Home => self.meta.scroll = 0,
            KeyCode::Left | KeyCode::Char('h') | KeyCode::Backspace => self.focus = Pane::Tree,
            _ => {}
        }
    }

    fn array_key(&mut self, key: KeyEvent) {
        let a = &mut self.array;
        let page = a.view[0].max(1) as isize;
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => a.move_by(-1, 0),
            KeyCode::Down | KeyCode::Char('j') => a.move_by(1, 0),
            KeyCode::Left | KeyCode::Char('h') if a.cursor[1] > 0 => a.move_by(0, -1),
            KeyCode::Left | KeyCode::Char('h') | KeyCode::Backspace => self.focus = Pane::Tree,
            KeyCode::Right | KeyCode::Char('l') => a.move_by(0, 1),
            KeyCode::PageUp => a.move_by(-page, 0),
            KeyCode::PageDown => a.move_by(page, 0),
            KeyCode::Char('g') | KeyCode::Home => a.move_by(-(a.extent()[0] as isize), 0),
            KeyCode::Char('G') | KeyCode::End => a.move_by(a.extent()[0] as isize, 0),
            KeyCode::Char('0') => a.move_by(0, -(a.extent()[1] as isize)),
            KeyCode::Char('$') => a.move_by(0, a.extent()[1] as isize),
            KeyCode::Char(':') => a.goto = Some(String::new()),
            KeyCode::Char('p') => a.plot = !a.plot,
            KeyCode::Char('f') => a.cycle_format(),
            KeyCode::Char('+') => a.precision = (a.precision + 1).min(17),
            KeyCode::Char('-') => a.precision = a.precision.saturating_sub(1),
            KeyCode::Char('y') => a.cycle_axis(true),
            KeyCode::Char('x') => a.cycle_axis(false),
            KeyCode::Char(']') => a.step_pinned(0, 1),
            KeyCode::Char('[') => a.step_pinned(0, -1),
            KeyCode::Char('>') => a.step_pinned(1, 1),
            KeyCode::Char('<') => a.step_pinned(1, -1),
            KeyCode::Char('n') | KeyCode::Char('N') => {
                let jumped = a.jump_changed(key.code == KeyCode::Char('n'));
                if !jumped {
                    self.status = Some(("no further changed chunk".into(), false));
                }
            }
            _ => {}
        }
        self.update_changed_chunks();
        self.want_page();
    }

    fn goto_key(&mut self, key: KeyEvent) {
        let Some(text) = self.array.goto.as_mut() else {
            return;
        };
        match key.code {
            KeyCode::Esc => self.array.goto = None,
            KeyCode::Enter => {
                let t = text.clone();
                self.array.goto = None;
                if let Err(e) = self.array.goto(&t) {
                    self.status = Some((e, true));
                }
                self.want_page();
            }
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(c) => text.push(c),
            _ => {}
        }
    }

    pub fn on_mouse(&mut self, m: MouseEvent) {
        let at = Position::new(m.column, m.row);
        let pane = [
            (Pane::Timeline, self.areas.timeline),
            (Pane::Tree, self.areas.tree),
            (Pane::Meta, self.areas.meta),
            (Pane::Array, self.areas.array),
        ]
        .into_iter()
        .find(|(_, r)| r.contains(at))
        .map(|(p, _)| p);
        let Some(pane) = pane else { return };
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                self.focus = pane;
                match pane {
                    Pane::Timeline => {
                        let row = (m.row.saturating_sub(self.areas.timeline.y + 1)) as usize
                            + self.timeline.offset;
                        if row < self.timeline.rows.len() && row != self.timeline.selected {
                            self.timeline.selected = row;
                            self.version_changed();
                        }
                    }
                    Pane::Tree => {
                        let before = self.tree.selected_path();
                        self.tree.state.click_at(at);
                        if self.tree.selected_path() != before {
                            self.node_changed();
                        }
                    }
                    _ => {}
                }
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let saved = self.focus;
                self.focus = pane;
                let code = if m.kind == MouseEventKind::ScrollDown {
                    KeyCode::Down
                } else {
                    KeyCode::Up
                };
                self.on_key(KeyEvent::new(code, KeyModifiers::NONE));
                self.focus = saved;
            }
            _ => {}
        }
    }

    pub fn render(&mut self, f: &mut Frame) {
        let area = f.area();
        let [main, status] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
        let top_height = if main.height < 30 {
            main.height * 2 / 5
        } else {
            main.height / 2
        };
        let [top, bottom] =
            Layout::vertical([Constraint::Length(top_height), Constraint::Min(3)]).areas(main);
        let wide = area.width >= 120;
        let cols = if wide {
            Layout::default()
                .direction(Direction::Horizontal)
                .constraints([
                    Constraint::Percentage(34),
                    Constraint::Percentage(33),
                    Constraint::Percentage(33),
                ])
                .split(top)
        } else {
            Layout::default()
                .direction(Direction::Horizontal)
                .constraints([
                    Constraint::Percentage(40),
                    Constraint::Percentage(30),
                    Constraint::Percentage(30),
                ])
                .split(top)
        };
        self.areas = Areas {
            timeline: cols[0],
            tree: cols[1],
            meta: cols[2],
            array: bottom,
        };
        self.timeline
            .render(f, cols[0], self.focus == Pane::Timeline);
        self.tree.render(f, cols[1], self.focus == Pane::Tree);
        self.meta.render(f, cols[2], self.focus == Pane::Meta);
        self.array.render(f, bottom, self.focus == Pane::Array);
        self.render_status(f, status);
        if self.help {
            render_help(f, area);
        }
    }

    /// The background scans still running, the one the user asked for last
    /// named first.
    fn scan_note(&self) -> Option<String> {
        let mut scans: Vec<(&u64, &String)> = self
            .scans
            .iter()
            .filter_map(|(kind, what)| self.latest.get(kind).map(|seq| (seq, what)))
            .collect();
        scans.sort();
        let newest = scans.last()?.1;
        let kinds: std::collections::BTreeSet<&String> = scans.iter().map(|(_, w)| *w).collect();
        Some(match kinds.len() {
            1 => format!("{newest}…"),
            n => format!("{newest}… (+{} more)", n - 1),
        })
    }

    fn render_status(&self, f: &mut Frame, area: Rect) {
        const SPIN: [char; 4] = ['⠋', '⠙', '⠸', '⠴'];
        let spin = if self.busy() {
            SPIN[self.spinner % SPIN.len()]
        } else {
            ' '
        };
        let version = self.timeline.selected_name().unwrap_or("-");
        let path = self.tree.selected_path().unwrap_or_default();
        let mut spans = vec![
            Span::styled(
                format!("{spin} {} ", self.file_label),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!("@ {version} {path} ")),
        ];
        if let (Some(a), Some(_)) = (&self.timeline.mark, &self.diff) {
            spans.push(Span::styled(
                format!("diff {a} → {version} "),
                Style::default().fg(Color::Yellow),
            ));
            let c = self.array.cursor;
            if let Some((changed, other)) = self.array.diff_at(c[0], c[1]) {
                let other = other
                    .map(|v| self.array.format_value(&v))
                    .unwrap_or_else(|| "(absent)".into());
                let mark = if changed { "changed" } else { "same" };
                spans.push(Span::styled(
                    format!("[{mark}; A: {other}] "),
                    Style::default().fg(Color::Yellow),
                ));
            }
        }
        match &self.status {
            Some((msg, true)) => spans.push(Span::styled(
                format!("error: {msg}"),
                Style::default().fg(Color::Red),
            )),
            Some((msg, false)) => {
                spans.push(Span::styled(msg.clone(), Style::default().fg(Color::Green)))
            }
            None => spans.push(Span::styled(
                self.scan_note().unwrap_or_else(|| "? help  q quit".into()),
                Style::default().fg(Color::DarkGray),
            )),
        }
        f.render_widget(Paragraph::new(Line::from(spans)), area);
    }
}

/// The start of a page block along the shown axes.
fn block_start(a: &ArrayPane, sel: &crate::engine::Selection) -> [usize; 2] {
    if sel.axes.is_empty() {
        return [0, 0];
    }
    [
        sel.axes[a.row_axis].start,
        a.col_axis.map_or(0, |c| sel.axes[c].start),
    ]
}

fn block_count(a: &ArrayPane, sel: &crate::engine::Selection) -> [usize; 2] {
    if sel.axes.is_empty() {
        return [1, 1];
    }
    [
        sel.axes[a.row_axis].count,
        a.col_axis.map_or(1, |c| sel.axes[c].count),
    ]
}

pub const HELP: &[(&str, &str)] = &[
    ("Tab / Shift-Tab", "next / previous pane"),
    ("↑↓ / j k", "move"),
    ("PgUp / PgDn", "page"),
    ("g / G", "first / last"),
    ("Enter / l / →", "open (tree), go to values"),
    ("h / ← / Backspace", "back"),
    ("m", "mark version A for diff (again: unmark)"),
    ("Esc", "leave diff mode"),
    ("/", "search the tree by name"),
    (":", "go to index (array)"),
    ("n / N", "next / previous changed chunk (diff)"),
    ("p", "plot: line chart (1-D), heatmap (2-D)"),
    ("f / + / -", "number format, precision"),
    ("y / x", "choose the row / column axis (n-D)"),
    ("[ ] < >", "step the pinned axes (n-D)"),
    ("mouse", "click to focus and select, wheel to scroll"),
    ("?", "this help"),
    ("q", "quit"),
];

fn render_help(f: &mut Frame, area: Rect) {
    let width = 78.min(area.width);
    let height = (HELP.len() as u16 + 2).min(area.height);
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    let lines: Vec<Line> = HELP
        .iter()
        .map(|(k, v)| {
            Line::from(vec![
                Span::styled(format!("{k:<20}"), Style::default().fg(Color::Cyan)),
                Span::raw(*v),
            ])
        })
        .collect();
    f.render_widget(Clear, popup);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Keys (any key closes) "),
        ),
        popup,
    );
}
