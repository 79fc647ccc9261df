//! The tree pane: the selected version's groups and datasets, with dtype
//! and shape; in diff mode, added, removed and modified nodes marked.

use std::collections::{BTreeMap, HashMap};

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::Frame;
use tui_tree_widget::{Tree, TreeItem, TreeState};

use super::component::{Effect, FieldFor, Pane};
use super::field::TextField;
use super::keymap::Action;
use super::timeline::pane_block;
use crate::engine::diff::VersionDiff;
use crate::engine::{Node, NodeKind};

/// How a node differs in diff mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Added,
    Removed,
    Modified,
}

#[derive(Default)]
pub struct TreePane {
    pub version: Option<String>,
    /// The shown version's nodes.
    own: Vec<Node>,
    /// What is listed: the version's nodes, plus in diff mode those removed.
    pub nodes: Vec<Node>,
    pub labels: HashMap<String, String>,
    pub marks: HashMap<String, Mark>,
    /// The widget's items, rebuilt when nodes or marks change (not per frame).
    items: Vec<TreeItem<'static, String>>,
    pub state: TreeState<String>,
}

/// The path of a tree identifier (one name per level).
pub fn path_of(ids: &[String]) -> String {
    format!("/{}", ids.join("/"))
}

fn ids_of(path: &str) -> Vec<String> {
    path.trim_start_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

impl TreePane {
    pub fn load(&mut self, version: &str, nodes: Vec<Node>, labels: HashMap<String, String>) {
        let keep = self.selected_path();
        self.version = Some(version.to_string());
        self.own = nodes.clone();
        self.nodes = nodes;
        self.labels = labels;
        self.items = self.build_items();
        if let Some(p) = keep.filter(|p| self.nodes.iter().any(|n| &n.path == p)) {
            self.reveal(&p);
        } else if let Some(first) = self.nodes.first().map(|n| n.path.clone()) {
            self.reveal(&first);
        }
    }

    /// Marks nodes from a diff (A = marked version, B = shown version);
    /// removed nodes are listed too, from A.
    pub fn set_diff(&mut self, diff: Option<&VersionDiff>) {
        self.marks.clear();
        self.nodes = self.own.clone();
        self.items = self.build_items();
        let Some(d) = diff else { return };
        for n in &d.added {
            self.marks.insert(n.path.clone(), Mark::Added);
        }
        for c in &d.modified {
            self.marks.insert(c.path().to_string(), Mark::Modified);
        }
        for n in &d.removed {
            self.marks.insert(n.path.clone(), Mark::Removed);
            if !self.nodes.iter().any(|m| m.path == n.path) {
                self.nodes.push(n.clone());
            }
        }
        self.nodes
            .sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
        self.items = self.build_items();
    }

    pub fn selected_path(&self) -> Option<String> {
        let ids = self.state.selected();
        (!ids.is_empty()).then(|| path_of(ids))
    }

    pub fn selected_kind(&self) -> Option<NodeKind> {
        let p = self.selected_path()?;
        self.nodes.iter().find(|n| n.path == p).map(|n| n.kind)
    }

    /// Opens the ancestors of `path` and selects it.
    pub fn reveal(&mut self, path: &str) {
        let ids = ids_of(path);
        for i in 1..ids.len() {
            self.state.open(ids[..i].to_vec());
        }
        self.state.select(ids);
    }

    /// The tree's actions: the list movements, open / back, search.
    pub fn handle(&mut self, action: Action) -> Effect {
        let before = self.selected_path();
        let s = &mut self.state;
        let effect = match action {
            Action::Up => {
                s.key_up();
                Effect::None
            }
            Action::Down => {
                s.key_down();
                Effect::None
            }
            Action::PageUp => {
                s.select_relative(|i| i.map_or(0, |i| i.saturating_sub(10)));
                Effect::None
            }
            Action::PageDown => {
                s.select_relative(|i| i.map_or(0, |i| i + 10));
                Effect::None
            }
            Action::First => {
                s.select_first();
                Effect::None
            }
            Action::Last => {
                s.select_last();
                Effect::None
            }
            // Close the group or go to the parent; at the top, the timeline.
            Action::Back => {
                if s.key_left() {
                    Effect::None
                } else {
                    Effect::Focus(Pane::Timeline)
                }
            }
            Action::Open if self.selected_kind() == Some(NodeKind::Dataset) => {
                Effect::Focus(Pane::Array)
            }
            Action::Open => {
                self.state.key_right();
                Effect::None
            }
            Action::Search => Effect::OpenField(FieldFor::TreeSearch, TextField::new("/", "")),
            _ => Effect::None,
        };
        if self.selected_path() != before {
            Effect::NodeMoved
        } else {
            effect
        }
    }

    /// Enter in the `/` field: the next node matching, or a message.
    pub fn accept_search(&mut self, query: &str) -> Effect {
        if self.find(query) {
            Effect::NodeMoved
        } else {
            Effect::Status(format!("no node matches {query:?}"), true)
        }
    }

    /// Jumps to the next node whose name contains `query` (case-insensitive).
    pub fn find(&mut self, query: &str) -> bool {
        let q = query.to_lowercase();
        let current = self.selected_path().unwrap_or_default();
        let start = self
            .nodes
            .iter()
            .position(|n| n.path == current)
            .map_or(0, |i| i + 1);
        let n = self.nodes.len();
        let hit = (0..n).map(|k| &self.nodes[(start + k) % n]).find(|node| {
            node.path
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_lowercase()
                .contains(&q)
        });
        match hit.map(|h| h.path.clone()) {
            Some(p) => {
                self.reveal(&p);
                true
            }
            None => false,
        }
    }

    fn build_items(&self) -> Vec<TreeItem<'static, String>> {
        let mut children: BTreeMap<String, Vec<&Node>> = BTreeMap::new();
        for n in &self.nodes {
            let parent = match n.path.rfind('/') {
                Some(0) | None => "/".to_string(),
                Some(i) => n.path[..i].to_string(),
            };
            children.entry(parent).or_default().push(n);
        }
        self.build("/", &children)
    }

    fn build(
        &self,
        parent: &str,
        children: &BTreeMap<String, Vec<&Node>>,
    ) -> Vec<TreeItem<'static, String>> {
        let Some(kids) = children.get(parent) else {
            return Vec::new();
        };
        kids.iter()
            .map(|n| {
                let line = self.line(n);
                let id = n.name().to_string();
                match n.kind {
                    NodeKind::Group => {
                        let sub = self.build(&n.path, children);
                        TreeItem::new(id.clone(), line.clone(), sub)
                            .unwrap_or_else(|_| TreeItem::new_leaf(id, line))
                    }
                    NodeKind::Dataset => TreeItem::new_leaf(id, line),
                }
            })
            .collect()
    }

    fn line(&self, n: &Node) -> Line<'static> {
        let (sign, color) = match self.marks.get(&n.path) {
            Some(Mark::Added) => ("+ ", Color::Green),
            Some(Mark::Removed) => ("- ", Color::Red),
            Some(Mark::Modified) => ("~ ", Color::Yellow),
            None => ("", Color::Reset),
        };
        let name = match n.kind {
            NodeKind::Group => format!("{}/", n.name()),
            NodeKind::Dataset => n.name().to_string(),
        };
        let mut spans = vec![Span::styled(
            format!("{sign}{name}"),
            Style::default().fg(color),
        )];
        if let Some(label) = self.labels.get(&n.path) {
            spans.push(Span::styled(
                format!("  {label}"),
                Style::default().fg(Color::DarkGray),
            ));
        }
        Line::from(spans)
    }

    /// The pane; an open search field is drawn in its title.
    pub fn render(&mut self, f: &mut Frame, area: Rect, focused: bool, field: Option<&TextField>) {
        let title = match (field, &self.version) {
            (Some(field), _) => {
                let mut spans = vec![Span::raw(" Tree ")];
                spans.extend(field.spans());
                Line::from(spans)
            }
            (None, Some(v)) => Line::from(format!(" Tree @ {v} ")),
            (None, None) => Line::from(" Tree "),
        };
        let block = pane_block(title, focused);
        match Tree::new(&self.items) {
            Ok(tree) => {
                let tree = tree
                    .block(block)
                    .highlight_style(Style::default().add_modifier(Modifier::REVERSED));
                f.render_stateful_widget(tree, area, &mut self.state);
            }
            Err(_) => f.render_widget(block, area),
        }
    }
}
