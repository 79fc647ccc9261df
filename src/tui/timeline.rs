//! The timeline pane: every version, newest first, with the branch
//! structure drawn as a graph (like `git log --graph`), the current
//! version marked, and a one-line summary per version computed in the
//! background for the rows on screen.

use std::collections::HashMap;

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::component::{Effect, Pane};
use super::keymap::Action;
use crate::engine::Version;

/// One row of the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    pub timestamp: String,
    pub graph: String,
}

#[derive(Debug, Default)]
pub struct Timeline {
    pub rows: Vec<Row>,
    pub current: Option<String>,
    pub selected: usize,
    pub offset: usize,
    /// Version marked as diff side A.
    pub mark: Option<String>,
    pub summaries: HashMap<String, String>,
    pub loaded: bool,
    /// Rows that fit the pane at the last render.
    pub height: usize,
}

/// Lays out the version DAG, newest first, one lane per open branch.
pub fn graph_rows(versions: &[Version]) -> Vec<Row> {
    let mut ordered: Vec<&Version> = versions.iter().collect();
    ordered.reverse();
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
        rows.push(Row {
            name: v.name.clone(),
            timestamp: v
                .timestamp
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default(),
            graph: graph.trim_end().to_string(),
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

    /// The timeline's actions: the list movements, and `Open` (the tree).
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
            _ => false,
        };
        if moved {
            Effect::VersionMoved
        } else {
            Effect::None
        }
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

    pub fn render(&mut self, f: &mut Frame, area: Rect, focused: bool) {
        let title = match &self.mark {
            Some(m) => format!(" Timeline (A = {m}) "),
            None => " Timeline ".to_string(),
        };
        let block = pane_block(title, focused);
        let inner = block.inner(area);
        let range = self.visible(inner.height as usize);
        let width = self
            .rows
            .iter()
            .map(|r| r.graph.chars().count())
            .max()
            .unwrap_or(1)
            .min(12);
        let lines: Vec<Line> = self.rows[range.clone()]
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
                let a = if self.mark.as_deref() == Some(&row.name) {
                    "A "
                } else {
                    ""
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
                        format!("{} ", row.timestamp),
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
        Version {
            name: name.into(),
            prev: prev.map(Into::into),
            timestamp_text: None,
            timestamp: None,
            committed: true,
        }
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
