//! The timeline pane: every version, newest first, with the branch
//! structure drawn as a graph (like `git log --graph`), the current
//! version marked, and a one-line summary per version computed in the
//! background for the rows on screen.

use std::collections::{BinaryHeap, HashMap};

use chrono::{DateTime, Utc};

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::component::{Effect, FieldFor, Pane};
use super::field::TextField;
use super::keymap::Action;
use super::worker::Command;
use crate::engine::edit::Edit;
use crate::engine::resolve::latest_at;
use crate::engine::versions::parse_query_timestamp;
use crate::engine::Version;

/// One row of the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    pub timestamp: String,
    /// The same to the second, for rows that share a minute.
    pub seconds: String,
    pub graph: String,
    pub version: Version,
}

#[derive(Debug, Default)]
pub struct Timeline {
    pub rows: Vec<Row>,
    pub current: Option<String>,
    pub selected: usize,
    pub offset: usize,
    /// Version marked as diff side A.
    pub mark: Option<String>,
    /// Versions marked (Space) for a history operation.
    pub marked: Vec<String>,
    pub summaries: HashMap<String, String>,
    pub loaded: bool,
    /// Rows that fit the pane at the last render.
    pub height: usize,
    /// The last `/` query, for `n` / `N`.
    pub query: Option<String>,
}

/// Newest first, but every version below its children, so that the graph
/// stays connected when a parent is newer than its child: versions whose
/// children are all placed go next, the newest of them first.
fn display_order(versions: &[Version]) -> Vec<&Version> {
    let index: HashMap<&str, usize> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| (v.name.as_str(), i))
        .collect();
    let parent = |v: &Version| v.prev.as_deref().and_then(|p| index.get(p).copied());
    let mut children = vec![0usize; versions.len()];
    for v in versions {
        if let Some(p) = parent(v) {
            children[p] += 1;
        }
    }
    // `versions` is oldest first: a greater index is newer.
    let mut ready: BinaryHeap<usize> = (0..versions.len()).filter(|&i| children[i] == 0).collect();
    let mut out = Vec::with_capacity(versions.len());
    while let Some(i) = ready.pop() {
        out.push(&versions[i]);
        if let Some(p) = parent(&versions[i]) {
            children[p] -= 1;
            if children[p] == 0 {
                ready.push(p);
            }
        }
    }
    // A cycle (a damaged file) leaves versions out: list them anyway.
    if out.len() < versions.len() {
        let placed: std::collections::HashSet<&str> = out.iter().map(|v| v.name.as_str()).collect();
        let rest: Vec<&Version> = versions
            .iter()
            .rev()
            .filter(|v| !placed.contains(v.name.as_str()))
            .collect();
        out.extend(rest);
    }
    out
}

/// Lays out the version DAG, newest first, one lane per open branch.
pub fn graph_rows(versions: &[Version]) -> Vec<Row> {
    let ordered = display_order(versions);
    let mut lanes: Vec<Option<String>> = Vec::new();
    let mut rows = Vec::with_capacity(ordered.len());
    for v in ordered {
        let col = match lanes.iter().position(|l| l.as_deref() == Some(&v.name)) {
            Some(c) => c,
            None => match lanes.iter().position(Option::is_none) {
                Some(free) => free,
                None => {
                    lanes.push(None);
                    lanes.len() - 1
                }
            },
        };
        // Other lanes waiting for this version join it here.
        let joined: Vec<usize> = (0..lanes.len())
            .filter(|&i| i != col && lanes[i].as_deref() == Some(&v.name))
            .collect();
        let mut graph = String::new();
        for (i, lane) in lanes.iter().enumerate() {
            graph.push(if i == col {
                '*'
            } else if joined.contains(&i) {
                '/'
            } else if lane.is_some() {
                '|'
            } else {
                ' '
            });
            graph.push(' ');
        }
        for i in joined {
            lanes[i] = None;
        }
        lanes[col] = v.prev.clone();
        while lanes.last().is_some_and(Option::is_none) {
            lanes.pop();
        }
        let time = |fmt: &str| {
            v.timestamp
                .map(|t| t.format(fmt).to_string())
                .unwrap_or_default()
        };
        rows.push(Row {
            name: v.name.clone(),
            timestamp: time("%Y-%m-%d %H:%M"),
            seconds: time("%Y-%m-%d %H:%M:%S"),
            graph: graph.trim_end().to_string(),
            version: v.clone(),
        });
    }
    rows
}

impl Timeline {
    /// Shows the versions; a reload keeps the selected version where it
    /// still exists, else selects the current one.
    pub fn load(&mut self, versions: &[Version], current: Option<String>) {
        let keep = self.selected_name().map(str::to_string);
        self.rows = graph_rows(versions);
        let rows = &self.rows;
        self.marked.retain(|m| rows.iter().any(|r| r.name == *m));
        self.selected = keep
            .iter()
            .chain(current.as_ref())
            .find_map(|name| self.rows.iter().position(|r| &r.name == name))
            .unwrap_or(0);
        self.current = current;
        self.loaded = true;
    }

    pub fn selected_name(&self) -> Option<&str> {
        self.rows.get(self.selected).map(|r| r.name.as_str())
    }

    /// Moves the selection; returns whether it changed.
    pub fn move_by(&mut self, delta: isize) -> bool {
        if self.rows.is_empty() {
            return false;
        }
        let max = self.rows.len() as isize - 1;
        let next = (self.selected as isize + delta).clamp(0, max) as usize;
        let changed = next != self.selected;
        self.selected = next;
        changed
    }

    /// A name for a new version: the first `vN` not taken, counting on
    /// from the number of versions.
    pub fn unused_name(&self) -> String {
        let taken = |n: &str| self.rows.iter().any(|r| r.name == n);
        let mut i = self.rows.len() + 1;
        let mut name = format!("v{i}");
        while taken(&name) {
            i += 1;
            name = format!("v{i}");
        }
        name
    }

    /// Whether this is a plain HDF5 file: its one implicit version `.`.
    pub fn plain(&self) -> bool {
        self.rows.len() == 1 && self.rows[0].name == "." && self.rows[0].version.timestamp.is_none()
    }

    /// The timeline's actions: the list movements, `Open` (the tree), find
    /// by name and its matches, jump to a date.
    pub fn handle(&mut self, action: Action) -> Effect {
        let page = self.height.max(1) as isize;
        let all = self.rows.len() as isize;
        let moved = match action {
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-page),
            Action::PageDown => self.move_by(page),
            Action::First => self.move_by(-all),
            Action::Last => self.move_by(all),
            Action::Open => return Effect::Focus(Pane::Tree),
            Action::Search => {
                let q = self.query.clone().unwrap_or_default();
                return Effect::OpenField(FieldFor::TimelineSearch, TextField::new("/", &q));
            }
            Action::GoTo => {
                return Effect::OpenField(FieldFor::TimelineDate, TextField::new("date: ", ""))
            }
            Action::Toggle => {
                let Some(name) = self.selected_name().map(String::from) else {
                    return Effect::None;
                };
                match self.marked.iter().position(|m| *m == name) {
                    Some(i) => {
                        self.marked.remove(i);
                    }
                    None => self.marked.push(name),
                }
                return Effect::Status(
                    match self.marked.len() {
                        0 => "no version marked".to_string(),
                        n => format!("{n} version(s) marked: D deletes them"),
                    },
                    false,
                );
            }
            Action::NextChange | Action::PrevChange => {
                return match self.query.clone() {
                    Some(q) => self.step_match(&q, action == Action::NextChange, false),
                    None => Effect::Status("n / N: after a search (/)".into(), false),
                }
            }
            _ => false,
        };
        if moved {
            Effect::VersionMoved
        } else {
            Effect::None
        }
    }

    /// The history operations on the selected version (or the versions
    /// marked): D plans a deletion (then asks), R opens a field for the
    /// new name, C makes it current, r restores it as a staged edit.
    pub(super) fn edit(&self, action: Action) -> Effect {
        let Some(name) = self.selected_name().map(String::from) else {
            return Effect::None;
        };
        let command = match action {
            Action::DeleteVersions => {
                let versions = if self.marked.is_empty() {
                    vec![name]
                } else {
                    self.marked.clone()
                };
                return Effect::All(vec![
                    Effect::Status("working out what deleting frees…".into(), false),
                    Effect::Command(Box::new(Command::PlanDelete { versions })),
                ]);
            }
            Action::Rename => {
                return Effect::OpenField(FieldFor::Rename, TextField::new("rename to: ", &name))
            }
            Action::MakeCurrent => Command::SetCurrent { version: name },
            Action::Restore => match self.current.clone() {
                Some(base) => Command::Apply {
                    base,
                    edit: Edit::Restore { version: name },
                },
                None => return Effect::Status("no version is current".into(), true),
            },
            _ => return Effect::None,
        };
        Effect::Command(Box::new(command))
    }

    /// Enter in the rename field: a name no other version has.
    pub(super) fn accept_rename(&self, text: &str) -> Result<Effect, String> {
        let old = self
            .selected_name()
            .map(String::from)
            .ok_or("no version selected")?;
        let new = text.trim().to_string();
        if new.is_empty() {
            return Err("give the version a name".into());
        }
        if new != old && self.rows.iter().any(|r| r.name == new) {
            return Err(format!("a version named {new} exists"));
        }
        Ok(Effect::Command(Box::new(Command::RenameVersion {
            old,
            new,
        })))
    }

    /// Rows whose version name contains `query` (case-insensitive).
    fn matches(&self, query: &str) -> Vec<usize> {
        let q = query.to_lowercase();
        (0..self.rows.len())
            .filter(|&i| self.rows[i].name.to_lowercase().contains(&q))
            .collect()
    }

    /// Selects a match: the first (`first`), else the next / previous one
    /// after the selection, round the list; says "k of N".
    fn step_match(&mut self, query: &str, forward: bool, first: bool) -> Effect {
        let hits = self.matches(query);
        if hits.is_empty() {
            return Effect::Status(format!("no version matches {query:?}"), true);
        }
        let k = if first {
            0
        } else if forward {
            hits.iter().position(|&i| i > self.selected).unwrap_or(0)
        } else {
            hits.iter()
                .rposition(|&i| i < self.selected)
                .unwrap_or(hits.len() - 1)
        };
        let moved = hits[k] != self.selected;
        self.selected = hits[k];
        let msg = Effect::Status(
            format!("version {} of {} matching {query:?}", k + 1, hits.len()),
            false,
        );
        if moved {
            Effect::All(vec![Effect::VersionMoved, msg])
        } else {
            msg
        }
    }

    /// Enter in the `/` field: the first version whose name matches.
    pub fn accept_search(&mut self, query: &str) -> Result<Effect, String> {
        if self.matches(query).is_empty() {
            return Err(format!("no version matches {query:?}"));
        }
        self.query = Some(query.to_string());
        Ok(self.step_match(query, true, true))
    }

    /// Enter in the `:` field: the latest version at or before the date,
    /// by the rule of `--version @...`.
    pub fn accept_date(&mut self, text: &str) -> Result<Effect, String> {
        let t = parse_date(text)?;
        let versions: Vec<&Version> = self.rows.iter().map(|r| &r.version).collect();
        let Some(v) = latest_at(versions, &t) else {
            return Err(format!(
                "no version at or before {}",
                t.format("%Y-%m-%d %H:%M:%S")
            ));
        };
        let i = self.rows.iter().position(|r| r.name == v.name).unwrap_or(0);
        let msg = Effect::Status(
            format!(
                "{}: the latest version at or before {}",
                v.name,
                text.trim()
            ),
            false,
        );
        if i == self.selected {
            return Ok(msg);
        }
        self.selected = i;
        Ok(Effect::All(vec![Effect::VersionMoved, msg]))
    }

    /// Rows in view, scrolling to keep the selection visible.
    pub fn visible(&mut self, height: usize) -> std::ops::Range<usize> {
        self.height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + self.height {
            self.offset = self.selected + 1 - self.height;
        }
        self.offset..(self.offset + self.height).min(self.rows.len())
    }

    /// The pane; an open find or date field is drawn in its title.
    pub fn render(&mut self, f: &mut Frame, area: Rect, focused: bool, field: Option<&TextField>) {
        let mut title = vec![Span::raw(match &self.mark {
            Some(m) => format!(" Timeline (A = {m}) "),
            None if self.plain() => " Timeline: plain HDF5 file, read-only ".to_string(),
            None => " Timeline ".to_string(),
        })];
        if let Some(field) = field {
            title.extend(field.spans());
            title.push(Span::raw(" "));
        }
        let block = pane_block(Line::from(title), focused);
        let inner = block.inner(area);
        let range = self.visible(inner.height as usize);
        let width = self
            .rows
            .iter()
            .map(|r| r.graph.chars().count())
            .max()
            .unwrap_or(1)
            .min(12);
        let shown = &self.rows[range.clone()];
        let seconds = share_a_minute(shown);
        let lines: Vec<Line> = shown
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let index = range.start + i;
                let mut style = Style::default();
                if index == self.selected {
                    style = style.add_modifier(Modifier::REVERSED);
                }
                let marker = if self.current.as_deref() == Some(&row.name) {
                    "●"
                } else {
                    " "
                };
                let a = match (
                    self.mark.as_deref() == Some(&row.name),
                    self.marked.contains(&row.name),
                ) {
                    (true, true) => "A ✓ ",
                    (true, false) => "A ",
                    (false, true) => "✓ ",
                    (false, false) => "",
                };
                let summary = self
                    .summaries
                    .get(&row.name)
                    .map(String::as_str)
                    .unwrap_or("…");
                Line::from(vec![
                    Span::styled(
                        format!("{:<width$} ", row.graph),
                        Style::default().fg(Color::Magenta),
                    ),
                    Span::styled(marker, Style::default().fg(Color::Green)),
                    Span::styled(
                        format!("{a}{} ", row.name),
                        style.add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(
                        format!(
                            "{} ",
                            if seconds {
                                &row.seconds
                            } else {
                                &row.timestamp
                            }
                        ),
                        Style::default().fg(Color::DarkGray),
                    ),
                    Span::styled(summary.to_string(), Style::default().fg(Color::Cyan)),
                ])
            })
            .collect();
        let text = if self.loaded {
            lines
        } else {
            vec![Line::from("loading versions…")]
        };
        f.render_widget(Paragraph::new(text).block(block), area);
    }
}

/// Whether two of the rows share a minute (then their times show seconds).
pub fn share_a_minute(rows: &[Row]) -> bool {
    let mut minutes: Vec<&str> = rows
        .iter()
        .map(|r| r.timestamp.as_str())
        .filter(|t| !t.is_empty())
        .collect();
    let n = minutes.len();
    minutes.sort_unstable();
    minutes.dedup();
    minutes.len() < n
}

/// A date for `:`: `2025-04-01`, `2025-04-01T09:30`, or any timestamp
/// `--version @...` takes (a leading `@`, seconds, `Z` optional), in UTC.
pub fn parse_date(text: &str) -> Result<DateTime<Utc>, String> {
    let t = text.trim().trim_start_matches('@');
    let body = t
        .strip_suffix('Z')
        .or_else(|| t.strip_suffix("+00:00"))
        .unwrap_or(t);
    let full = match body.len() {
        10 => format!("{body}T00:00:00Z"),
        16 => format!("{body}:00Z"),
        _ => format!("{body}Z"),
    };
    parse_query_timestamp(&full)
        .map_err(|_| format!("date: {text:?} is not a date (2025-04-01, 2025-04-01T09:30, UTC)"))
}

/// A pane's frame: bold cyan border when focused.
pub fn pane_block(title: impl Into<Line<'static>>, focused: bool) -> Block<'static> {
    let style = if focused {
        Style::default()
            .fg(Color::Cyan)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::default()
    };
    Block::default()
        .borders(Borders::ALL)
        .border_style(style)
        .title(title.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(name: &str, prev: Option<&str>) -> Version {
        Version::bare(name, prev)
    }

    #[test]
    fn a_parent_newer_than_its_child_stays_connected() {
        // oldest first by timestamp: the child c is older than its parent p.
        let versions = [v("root", None), v("c", Some("p")), v("p", Some("root"))];
        let rows = graph_rows(&versions);
        let g: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.name.as_str(), r.graph.as_str()))
            .collect();
        assert_eq!(g, vec![("c", "*"), ("p", "*"), ("root", "*")]);
    }

    #[test]
    fn seconds_show_when_two_rows_share_a_minute() {
        let at = |name: &str, ts: &str| {
            let mut v = v(name, None);
            v.timestamp = crate::engine::layout::parse_timestamp(ts);
            v
        };
        let rows = graph_rows(&[
            at("a", "2025-04-01 09:30:05.000000+0000"),
            at("b", "2025-04-01 09:31:00.000000+0000"),
        ]);
        assert!(!share_a_minute(&rows));
        assert_eq!(rows[0].timestamp, "2025-04-01 09:31");
        let rows = graph_rows(&[
            at("a", "2025-04-01 09:30:05.000000+0000"),
            at("b", "2025-04-01 09:30:40.000000+0000"),
        ]);
        assert!(share_a_minute(&rows));
        assert_eq!(rows[0].seconds, "2025-04-01 09:30:40");
    }

    #[test]
    fn dates_as_keys_md_spells_them() {
        let at = |s: &str| parse_date(s).map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string());
        assert_eq!(at("2025-04-01").unwrap(), "2025-04-01 00:00:00");
        assert_eq!(at("2025-04-01T09:30").unwrap(), "2025-04-01 09:30:00");
        assert_eq!(at("@2025-04-01T09:30:05Z").unwrap(), "2025-04-01 09:30:05");
        assert_eq!(at("2025-04-01 09:30").unwrap(), "2025-04-01 09:30:00");
        assert!(at("april").is_err());
        assert!(at("2025-04-01T09:30+02:00").is_err());
    }

    #[test]
    fn branches_get_their_own_lane() {
        // oldest first: v1 <- v2 <- v3, and b1 branching from v1 (newer than v2).
        let versions = [
            v("v1", None),
            v("v2", Some("v1")),
            v("b1", Some("v1")),
            v("v3", Some("v2")),
        ];
        let rows = graph_rows(&versions);
        let g: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.name.as_str(), r.graph.as_str()))
            .collect();
        assert_eq!(
            g,
            vec![("v3", "*"), ("b1", "| *"), ("v2", "* |"), ("v1", "* /")]
        );
    }

    #[test]
    fn linear_history_is_one_lane() {
        let versions = [v("a", None), v("b", Some("a")), v("c", Some("b"))];
        assert!(graph_rows(&versions).iter().all(|r| r.graph == "*"));
    }
}
