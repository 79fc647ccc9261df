//! The tree pane: the selected version's groups and datasets under a root
//! node `/` (the version group), with dtype and shape; in diff mode,
//! added, removed and modified nodes marked, and every group with a change
//! below it marked too. `n` / `N` step through a search's matches, else
//! (diff mode) through the changed nodes; `o` shows only what changed.

use std::collections::{BTreeMap, HashMap, HashSet};

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::Frame;
use tui_tree_widget::{Tree, TreeItem, TreeState};

use super::component::{Effect, FieldFor, Pane};
use super::edit::{Ask, ConfirmPopup};
use super::field::TextField;
use super::keymap::Action;
use super::timeline::pane_block;
use super::worker::Command;
use crate::engine::diff::VersionDiff;
use crate::engine::edit::Edit;
use crate::engine::replay::MetadataChange;
use crate::engine::{Node, NodeKind};

/// How a node differs in diff mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Added,
    Removed,
    Modified,
}

/// A search the user is stepping through with `n` / `N`.
#[derive(Debug, Default)]
struct Search {
    query: String,
    /// Groups the search opened on its way (closed again when it is left,
    /// unless they hold the node it left selected).
    opened: Vec<Vec<String>>,
}

#[derive(Default)]
pub struct TreePane {
    pub version: Option<String>,
    /// The shown version's nodes (the root not included).
    own: Vec<Node>,
    /// What is listed: the root, the version's nodes, and in diff mode
    /// those removed (from A).
    pub nodes: Vec<Node>,
    pub labels: HashMap<String, String>,
    pub marks: HashMap<String, Mark>,
    /// Groups with changed nodes below them, and how many.
    pub below: HashMap<String, usize>,
    /// Diff mode: list only changed nodes and the groups holding them.
    pub changed_only: bool,
    /// The widget's items, rebuilt when nodes or marks change (not per frame).
    items: Vec<TreeItem<'static, String>>,
    pub state: TreeState<String>,
    search: Option<Search>,
}

/// The `M` field's text as a metadata change: `KEY=VALUE` parts split on
/// spaces outside brackets (`chunks=[16, 4]` is one part).
fn parse_change(text: &str) -> Result<MetadataChange, String> {
    let mut change = MetadataChange::default();
    let mut parts = Vec::new();
    let (mut depth, mut cur) = (0i32, String::new());
    for c in text.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ => {}
        }
        if c.is_whitespace() && depth == 0 {
            if !cur.is_empty() {
                parts.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    for part in parts {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("{part:?}: give KEY=VALUE"))?;
        match k {
            "dtype" => {
                change.dtype = Some(crate::engine::encode::parse_dtype(v).map_err(|e| e.message)?)
            }
            "chunks" => {
                let c: Vec<usize> = serde_json::from_str(v)
                    .ok()
                    .filter(|c: &Vec<usize>| c.iter().all(|&n| n > 0))
                    .ok_or_else(|| format!("chunks {v:?}: a list of positive integers"))?;
                change.chunks = Some(c);
            }
            "compression" => change.compression = Some((v != "none").then(|| v.to_string())),
            "fill" | "fillvalue" => {
                change.fillvalue =
                    Some(serde_json::from_str(v).map_err(|e| format!("fill {v:?}: {e}"))?)
            }
            other => {
                return Err(format!(
                    "{other}: give dtype=, chunks=, compression= or fill="
                ))
            }
        }
    }
    if change == MetadataChange::default() {
        return Err("nothing to change: give dtype=, chunks=, compression= or fill=".into());
    }
    Ok(change)
}

/// The root's identifier (and path).
const ROOT: &str = "/";

/// The path of a tree identifier: the root, then one name per level.
pub fn path_of(ids: &[String]) -> String {
    if ids.len() <= 1 {
        ROOT.to_string()
    } else {
        format!("/{}", ids[1..].join("/"))
    }
}

/// The identifier of a path (the root first).
fn ids_of(path: &str) -> Vec<String> {
    std::iter::once(ROOT.to_string())
        .chain(
            path.trim_start_matches('/')
                .split('/')
                .filter(|s| !s.is_empty())
                .map(String::from),
        )
        .collect()
}

/// The group holding a path (`None` for the root).
fn parent_of(path: &str) -> Option<&str> {
    match path.rfind('/') {
        _ if path == ROOT => None,
        Some(0) | None => Some(ROOT),
        Some(i) => Some(&path[..i]),
    }
}

fn root() -> Node {
    Node {
        path: ROOT.into(),
        kind: NodeKind::Group,
    }
}

impl TreePane {
    pub fn load(&mut self, version: &str, nodes: Vec<Node>, labels: HashMap<String, String>) {
        let keep = self.selected_path();
        self.version = Some(version.to_string());
        self.own = nodes;
        self.nodes = self.own.clone();
        self.nodes.insert(0, root());
        self.labels = labels;
        self.marks.clear();
        self.below.clear();
        self.items = self.build_items();
        self.state.open(vec![ROOT.to_string()]);
        match keep.filter(|p| self.nodes.iter().any(|n| &n.path == p)) {
            Some(p) => self.reveal(&p),
            None => self.reveal(ROOT),
        }
    }

    /// Marks nodes from a diff (A = marked version, B = shown version);
    /// removed nodes are listed too, from A. Every group above a changed
    /// node is marked as holding changes.
    pub fn set_diff(&mut self, diff: Option<&VersionDiff>) {
        self.marks.clear();
        self.below.clear();
        self.nodes = self.own.clone();
        if let Some(d) = diff {
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
            for path in self.marks.keys() {
                let mut p = parent_of(path);
                while let Some(g) = p {
                    *self.below.entry(g.to_string()).or_default() += 1;
                    p = parent_of(g);
                }
            }
        } else {
            self.changed_only = false;
        }
        self.nodes.retain(|n| n.path != ROOT);
        self.nodes
            .sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
        self.nodes.insert(0, root());
        self.items = self.build_items();
    }

    /// Whether a diff is shown (something is marked).
    fn in_diff(&self) -> bool {
        !self.marks.is_empty()
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
            if self.state.open(ids[..i].to_vec()) {
                if let Some(s) = self.search.as_mut() {
                    s.opened.push(ids[..i].to_vec());
                }
            }
        }
        self.state.select(ids);
    }

    /// Every listed path in the order the tree draws them (open or not).
    fn preorder(&self) -> Vec<String> {
        let children = self.children();
        let mut out = Vec::with_capacity(self.nodes.len());
        let mut stack = vec![ROOT.to_string()];
        while let Some(p) = stack.pop() {
            if let Some(kids) = children.get(&p) {
                stack.extend(kids.iter().rev().map(|n| n.path.clone()));
            }
            out.push(p);
        }
        out
    }

    /// Listed nodes by the group holding them, in path order.
    fn children(&self) -> BTreeMap<String, Vec<&Node>> {
        let mut children: BTreeMap<String, Vec<&Node>> = BTreeMap::new();
        for n in self.nodes.iter().filter(|n| self.listed(&n.path)) {
            if let Some(parent) = parent_of(&n.path) {
                children.entry(parent.to_string()).or_default().push(n);
            }
        }
        children
    }

    /// Whether a node is drawn (with `o`, only changes and their groups).
    fn listed(&self, path: &str) -> bool {
        !self.changed_only
            || path == ROOT
            || self.marks.contains_key(path)
            || self.below.contains_key(path)
    }

    /// The tree's actions: the list movements, open / back, search and its
    /// matches, changed nodes, the changed-only filter, copy.
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
            // Close the group or go to the parent; at the root, the timeline.
            Action::Back if before.as_deref() == Some(ROOT) || before.is_none() => {
                Effect::Focus(Pane::Timeline)
            }
            Action::Back => {
                s.key_left();
                Effect::None
            }
            Action::Open if self.selected_kind() == Some(NodeKind::Dataset) => {
                Effect::Focus(Pane::Array)
            }
            Action::Open => {
                self.state.key_right();
                Effect::None
            }
            Action::Search => Effect::OpenField(FieldFor::TreeSearch, TextField::new("/", "")),
            Action::NextChange | Action::PrevChange => {
                let forward = action == Action::NextChange;
                if self.search.is_some() {
                    self.step_match(forward)
                } else if self.in_diff() {
                    self.step_changed(forward)
                } else {
                    Effect::Status(
                        "n / N: the next match after a search (/), or in diff mode the next change"
                            .into(),
                        false,
                    )
                }
            }
            Action::ChangedOnly => self.toggle_changed_only(),
            Action::Copy => match &before {
                Some(p) => Effect::Copy(p.clone(), format!("copied the path {p}")),
                None => Effect::None,
            },
            _ => Effect::None,
        };
        // Any other key ends a search (after it moved: what holds the
        // selection then stays open).
        if !matches!(
            action,
            Action::NextChange | Action::PrevChange | Action::Search
        ) {
            self.leave_search();
        }
        if self.selected_path() != before {
            match effect {
                Effect::Status(msg, false) => {
                    Effect::All(vec![Effect::NodeMoved, Effect::Status(msg, false)])
                }
                // Already says the node moved.
                all @ Effect::All(_) => all,
                _ => Effect::NodeMoved,
            }
        } else {
            effect
        }
    }

    /// The tree's edits on the selected node: a (a field for a new group's
    /// name), d (delete, staged at once), r (a field for the new shape,
    /// prefilled with `shape`), M (a field for a metadata change).
    pub(super) fn edit(&self, action: Action, shape: &str) -> Effect {
        let (Some(path), Some(kind)) = (self.selected_path(), self.selected_kind()) else {
            return Effect::Status("select a node first".into(), false);
        };
        let dataset = kind == NodeKind::Dataset;
        let say = |msg: &str| Effect::Status(msg.into(), false);
        let field = |purpose, prompt: String, prefill: &str| {
            Effect::OpenField(purpose, TextField::new(prompt, prefill))
        };
        match action {
            Action::Add if dataset => say("a adds a group below a group: select one"),
            Action::Add => field(FieldFor::AddGroup, format!("new group in {path}: "), ""),
            Action::Delete if path == ROOT => say("the root cannot be deleted"),
            Action::Delete => match self.version.clone() {
                Some(base) => Effect::Command(Box::new(Command::Apply {
                    base,
                    edit: Edit::Delete { path },
                })),
                None => Effect::None,
            },
            Action::Resize | Action::Modify if !dataset => say("select a dataset"),
            Action::Resize => field(FieldFor::Resize, format!("resize {path}: "), shape),
            Action::Modify => field(
                FieldFor::Modify,
                "dtype= chunks= compression= fill=: ".into(),
                "",
            ),
            _ => Effect::None,
        }
    }

    /// Enter in one of the edit fields: the edit staged (a new group, a
    /// new shape) or, for a metadata change, the question first.
    pub(super) fn accept_edit(&self, purpose: FieldFor, text: &str) -> Result<Effect, String> {
        let (base, edit) = match purpose {
            FieldFor::AddGroup => {
                let (base, parent) = self.node_in_version().ok_or("select a group")?;
                let name = text.trim().trim_matches('/');
                if name.is_empty() {
                    return Err("give the group a name".into());
                }
                let path = format!("{}/{name}", parent.trim_end_matches('/'));
                (base, Edit::MkGroup { path })
            }
            FieldFor::Resize => {
                let (base, path) = self.node_in_version().ok_or("select a dataset")?;
                let shape: Vec<usize> = serde_json::from_str(text.trim())
                    .map_err(|_| format!("{text:?}: give the shape as a list, e.g. [101, 12]"))?;
                (base, Edit::Resize { path, shape })
            }
            FieldFor::Modify => return self.accept_modify(text),
            _ => return Ok(Effect::None),
        };
        Ok(Effect::Command(Box::new(Command::Apply { base, edit })))
    }

    /// The shown version and the selected node's path in it.
    fn node_in_version(&self) -> Option<(String, String)> {
        self.version.clone().zip(self.selected_path())
    }

    /// Enter in the `M` field: `dtype=<f4 chunks=[16, 4] compression=gzip
    /// fill=0` (any of them); asks before rewriting.
    fn accept_modify(&self, text: &str) -> Result<Effect, String> {
        let path = self.selected_path().ok_or("select a dataset")?;
        let change = parse_change(text)?;
        let lines = vec![
            format!("Rewrite {path} in every version: {text}?"),
            "Every version's copy is rewritten; this cannot be undone.".into(),
        ];
        let ask = Ask::Modify(path, change);
        Ok(Effect::Ask(ConfirmPopup::new(
            ask,
            "Modify metadata",
            lines,
        )))
    }

    /// Selects the next (or previous) node of `targets` after the selected
    /// one in drawing order; says "k of N" with `what`.
    fn step(&mut self, targets: &[String], forward: bool, wrap: bool, what: &str) -> Effect {
        let order = self.preorder();
        let here = self
            .selected_path()
            .and_then(|p| order.iter().position(|o| *o == p));
        let rank: HashMap<&str, usize> = order
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_str(), i))
            .collect();
        let mut ranked: Vec<(usize, &String)> = targets
            .iter()
            .filter_map(|t| rank.get(t.as_str()).map(|&r| (r, t)))
            .collect();
        ranked.sort();
        let pick = match (forward, here) {
            (true, Some(h)) => ranked.iter().position(|(r, _)| *r > h),
            (true, None) => (!ranked.is_empty()).then_some(0),
            (false, Some(h)) => ranked.iter().rposition(|(r, _)| *r < h),
            (false, None) => ranked.len().checked_sub(1),
        };
        let pick = pick.or_else(|| match (wrap, forward) {
            (false, _) => None,
            (true, true) => (!ranked.is_empty()).then_some(0),
            (true, false) => ranked.len().checked_sub(1),
        });
        let Some(k) = pick else {
            let dir = if forward { "next" } else { "previous" };
            return Effect::Status(format!("no {dir} {what}"), false);
        };
        let path = ranked[k].1.clone();
        self.reveal(&path);
        Effect::All(vec![
            Effect::NodeMoved,
            Effect::Status(format!("{what} {} of {}", k + 1, ranked.len()), false),
        ])
    }

    /// `n` / `N` in diff mode: the next / previous changed node.
    fn step_changed(&mut self, forward: bool) -> Effect {
        let changed: Vec<String> = self.marks.keys().cloned().collect();
        self.step(&changed, forward, false, "changed node")
    }

    /// `n` / `N` after a search: the next / previous match, round the tree.
    fn step_match(&mut self, forward: bool) -> Effect {
        let query = self
            .search
            .as_ref()
            .map(|s| s.query.clone())
            .unwrap_or_default();
        let matches = self.matches(&query);
        self.step(&matches, forward, true, &format!("match for {query:?}:"))
    }

    /// `o`: only changed nodes and the groups holding them (again: all).
    fn toggle_changed_only(&mut self) -> Effect {
        if !self.in_diff() {
            return Effect::Status("o: show only changes, in diff mode".into(), false);
        }
        self.changed_only = !self.changed_only;
        self.items = self.build_items();
        if !self.changed_only {
            return Effect::Status("showing every node".into(), false);
        }
        // Open every group holding changes, so that they show.
        let groups: Vec<String> = self.below.keys().cloned().collect();
        for g in groups {
            self.state.open(ids_of(&g));
        }
        let msg = format!("showing only the {} changed nodes", self.marks.len());
        match self.selected_path() {
            Some(p) if self.listed(&p) => Effect::Status(msg, false),
            _ => {
                self.reveal(ROOT);
                Effect::All(vec![Effect::NodeMoved, Effect::Status(msg, false)])
            }
        }
    }

    /// Enter in the `/` field: the next node matching (by name, or by path
    /// when the query has a `/`), "k of N", or a message.
    pub fn accept_search(&mut self, query: &str) -> Effect {
        self.leave_search();
        if self.matches(query).is_empty() {
            return Effect::Status(format!("no node matches {query:?}"), true);
        }
        self.search = Some(Search {
            query: query.to_string(),
            opened: Vec::new(),
        });
        self.step_match(true)
    }

    /// Paths matching a query, case-insensitive: in a node's name, or with
    /// a `/` in the query, in its path (`us/close`).
    fn matches(&self, query: &str) -> Vec<String> {
        let q = query.to_lowercase();
        let by_path = q.contains('/');
        self.nodes
            .iter()
            .filter(|n| n.path != ROOT && self.listed(&n.path))
            .filter(|n| {
                let hay = if by_path { &n.path } else { n.name() };
                hay.to_lowercase().contains(&q)
            })
            .map(|n| n.path.clone())
            .collect()
    }

    /// Jumps to the next node matching `query`; false when none does.
    pub fn find(&mut self, query: &str) -> bool {
        !matches!(self.accept_search(query), Effect::Status(_, true))
    }

    /// Ends a search: the groups it opened close again, except those
    /// holding the selected node.
    pub fn leave_search(&mut self) {
        let Some(search) = self.search.take() else {
            return;
        };
        let selected = self.state.selected().to_vec();
        for ids in search.opened.iter().rev() {
            if !selected.starts_with(ids) {
                self.state.close(ids);
            }
        }
    }

    /// Whether a search is being stepped through.
    pub fn searching(&self) -> bool {
        self.search.is_some()
    }

    fn build_items(&self) -> Vec<TreeItem<'static, String>> {
        let children = self.children();
        let root = self.line(&root());
        let kids = self.build(ROOT, &children);
        vec![TreeItem::new(ROOT.to_string(), root.clone(), kids)
            .unwrap_or_else(|_| TreeItem::new_leaf(ROOT.to_string(), root))]
    }

    fn build(
        &self,
        parent: &str,
        children: &BTreeMap<String, Vec<&Node>>,
    ) -> Vec<TreeItem<'static, String>> {
        let Some(kids) = children.get(parent) else {
            return Vec::new();
        };
        let mut seen = HashSet::new();
        kids.iter()
            .filter(|n| seen.insert(n.name().to_string()))
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
        let below = self.below.get(&n.path).copied().unwrap_or(0);
        let (sign, color) = match self.marks.get(&n.path) {
            Some(Mark::Added) => ("+ ", Color::Green),
            Some(Mark::Removed) => ("- ", Color::Red),
            Some(Mark::Modified) => ("~ ", Color::Yellow),
            None if below > 0 => ("• ", Color::Yellow),
            None => ("", Color::Reset),
        };
        let name = match n.kind {
            _ if n.path == ROOT => ROOT.to_string(),
            NodeKind::Group => format!("{}/", n.name()),
            NodeKind::Dataset => n.name().to_string(),
        };
        let mut spans = vec![Span::styled(
            format!("{sign}{name}"),
            Style::default().fg(color),
        )];
        if below > 0 {
            let s = if below == 1 { "" } else { "s" };
            spans.push(Span::styled(
                format!("  {below} change{s}"),
                Style::default().fg(Color::DarkGray),
            ));
        }
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
        let only = if self.changed_only {
            "(changed only) "
        } else {
            ""
        };
        let title = match (field, &self.version) {
            (Some(field), _) => {
                let mut spans = vec![Span::raw(" Tree ")];
                spans.extend(field.spans());
                Line::from(spans)
            }
            (None, Some(v)) => Line::from(format!(" Tree @ {v} {only}")),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn node(path: &str, kind: NodeKind) -> Node {
        Node {
            path: path.into(),
            kind,
        }
    }

    fn tree() -> TreePane {
        let mut t = TreePane::default();
        let g = NodeKind::Group;
        let d = NodeKind::Dataset;
        t.load(
            "v",
            vec![
                node("/a", g),
                node("/a/x", d),
                node("/a-b", d),
                node("/us", g),
                node("/us/close", d),
                node("/us/open", d),
            ],
            HashMap::new(),
        );
        t
    }

    #[test]
    fn paths_and_identifiers() {
        assert_eq!(ids_of("/"), vec!["/"]);
        assert_eq!(ids_of("/a/b"), vec!["/", "a", "b"]);
        assert_eq!(path_of(&ids_of("/a/b")), "/a/b");
        assert_eq!(path_of(&ids_of("/")), "/");
        assert_eq!(parent_of("/a/b"), Some("/a"));
        assert_eq!(parent_of("/a"), Some("/"));
        assert_eq!(parent_of("/"), None);
    }

    #[test]
    fn drawing_order_puts_children_under_their_group() {
        let t = tree();
        assert_eq!(
            t.preorder(),
            vec!["/", "/a", "/a/x", "/a-b", "/us", "/us/close", "/us/open"]
        );
        assert_eq!(t.selected_path().as_deref(), Some("/"));
    }

    #[test]
    fn search_matches_paths_counts_and_closes_what_it_opened() {
        let mut t = tree();
        let e = t.accept_search("us/c");
        assert!(
            matches!(&e, Effect::All(v) if matches!(&v[1], Effect::Status(m, false) if m.ends_with("1 of 1"))),
            "{e:?}"
        );
        assert_eq!(t.selected_path().as_deref(), Some("/us/close"));
        t.accept_search("x");
        assert_eq!(t.selected_path().as_deref(), Some("/a/x"));
        // Stepping on wraps round; leaving the search closes /a unless
        // the selection is inside it.
        t.handle(Action::NextChange);
        assert_eq!(t.selected_path().as_deref(), Some("/a/x"));
        t.handle(Action::ChangedOnly);
        assert!(!t.searching());
        assert!(t.state.opened().contains(&ids_of("/a")));
        t.state.close(&ids_of("/us"));
        t.accept_search("close");
        assert!(t.state.opened().contains(&ids_of("/us")));
        t.state.select(ids_of("/a-b"));
        t.leave_search();
        assert!(!t.state.opened().contains(&ids_of("/us")));
    }

    #[test]
    fn groups_above_a_change_are_marked_and_n_steps_through_changes() {
        let mut t = tree();
        t.set_diff(Some(&VersionDiff {
            a: "a".into(),
            b: "v".into(),
            added: vec![node("/us/open", NodeKind::Dataset)],
            removed: vec![node("/us/gone", NodeKind::Dataset)],
            modified: vec![],
        }));
        assert_eq!(t.below.get("/us"), Some(&2));
        assert_eq!(t.below.get("/"), Some(&2));
        assert_eq!(t.below.get("/a"), None);
        t.handle(Action::NextChange);
        assert_eq!(t.selected_path().as_deref(), Some("/us/gone"));
        t.handle(Action::NextChange);
        assert_eq!(t.selected_path().as_deref(), Some("/us/open"));
        let e = t.handle(Action::NextChange);
        assert!(matches!(e, Effect::Status(..)), "{e:?}");
        t.handle(Action::ChangedOnly);
        assert_eq!(t.preorder(), vec!["/", "/us", "/us/gone", "/us/open"]);
    }
}
