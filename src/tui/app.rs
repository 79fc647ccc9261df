//! The browser's router and the state that crosses panes. One way: a key
//! becomes an action through the keymap table (`keymap::lookup` in the
//! chain of the context on top: popup, else field, else focused pane, then
//! global); the component owning the binding's context handles it and
//! answers with an `Effect`; `App` applies it (focus, a field or popup, a
//! message) and queues engine requests (`requests`); answers from the
//! worker update the state (`answers`, `diffmode`); rendering only reads
//! it (`layout`, `status`).

use crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Constraint, Layout, Position};
use ratatui::Frame;

use super::array::ArrayPane;
use super::cells::Plane;
pub use super::component::Pane;
use super::component::{Effect, FieldFor};
use super::detail::{CopyPopup, DetailPopup};
use super::edit::{CommitPopup, ConfirmPopup, PendingPopup, ProgressPopup};
use super::field::{FieldEvent, TextField};
use super::help::HelpPopup;
use super::keymap::{self, Action, Context, Key};
use super::layout::Areas;
use super::meta::MetaPane;
use super::popup::Popup;
use super::requests::Requests;
use super::status;
use super::storage::StoragePopup;
use super::timeline::Timeline;
use super::tree::TreePane;
use super::worker::{Command, Request};
use crate::engine::diff::VersionDiff;
use crate::engine::edit::PendingRow;
use crate::engine::region::RefTarget;
use crate::engine::NodeKind;

/// An open text field and what its text is for.
#[derive(Debug)]
pub struct OpenField {
    pub purpose: FieldFor,
    pub field: TextField,
}

/// Where the browser opens (`vh5 FILE --version V PATH`): a version, and a
/// node in it, both checked to exist before the browser starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    pub version: String,
    pub path: Option<String>,
}

pub struct App {
    pub file_label: String,
    /// The file as named on the command line (for copied `vh5 cat` commands).
    pub file_path: String,
    /// Texts to put on the clipboard (OSC 52), oldest first; the event
    /// loop writes them to the terminal.
    pub clipboard: Vec<String>,
    pub focus: Pane,
    pub timeline: Timeline,
    pub tree: TreePane,
    pub meta: MetaPane,
    pub array: ArrayPane,
    /// Diff between the marked version (A) and the selected one (B).
    pub diff: Option<VersionDiff>,
    pub status: Option<(String, bool)>,
    /// The popup over everything (it takes the keyboard).
    pub popup: Option<Popup>,
    /// The text field being typed in (it takes the keyboard).
    pub field: Option<OpenField>,
    /// The focused pane fills the screen.
    pub zoom: bool,
    pub quit: bool,
    pub areas: Areas,
    /// What is asked of the worker and which answers still count.
    pub requests: Requests,
    /// The busy spinner's step.
    pub(super) spinner: usize,
    /// The last command wrote the file (its `FileChanged` is expected).
    pub(super) own_write: bool,
    /// A changed cell found before the counts for its "k of N" arrived.
    pub(super) counting_for: Option<super::cells::Found>,
    /// Where to open, until the first version list and tree have arrived.
    pub(super) start: Option<Start>,
    /// A followed reference's target dataset and the cell to put the cursor
    /// on, until its metadata arrives.
    pub(super) follow_to: Option<(String, Vec<u64>)>,
    /// The changed-cell count asked for last: (B, path, plane).
    pub(super) counting: Option<(String, String, Plane)>,
    /// The staged edits, oldest first, and the version they are based on
    /// (from the worker's last `Done`).
    pub pending: Vec<PendingRow>,
    pub staged_on: Option<String>,
}

impl App {
    pub fn new(file_label: String) -> App {
        let mut app = App {
            file_path: file_label.clone(),
            clipboard: Vec::new(),
            counting: None,
            file_label,
            focus: Pane::Timeline,
            timeline: Timeline::default(),
            tree: TreePane::default(),
            meta: MetaPane::default(),
            array: ArrayPane::default(),
            diff: None,
            status: None,
            popup: None,
            field: None,
            zoom: false,
            quit: false,
            areas: Areas::default(),
            requests: Requests::default(),
            spinner: 0,
            start: None,
            follow_to: None,
            pending: Vec::new(),
            staged_on: None,
            own_write: false,
            counting_for: None,
        };
        app.request(Request::Log);
        app
    }

    /// Opens at a version (selected in the timeline) and, when given, a
    /// node (selected in the tree, its groups opened, focus on the tree).
    pub fn at(file_label: String, start: Option<Start>) -> App {
        let mut app = App::new(file_label);
        if start.as_ref().is_some_and(|s| s.path.is_some()) {
            app.focus = Pane::Tree;
        }
        app.start = start;
        app
    }

    /// Queues a request; the newest of a kind wins.
    pub fn request(&mut self, req: Request) {
        self.requests.ask(req);
    }

    /// Queues a command for the worker (commands run in order).
    pub fn command(&mut self, cmd: Command) {
        self.requests.command(cmd);
    }

    /// Commands waiting to be sent to the worker.
    pub fn take_commands(&mut self) -> Vec<(u64, Command)> {
        self.requests.take_commands()
    }

    /// The command the user asked to cancel (Esc on the progress popup).
    pub fn take_cancel(&mut self) -> Option<u64> {
        self.requests.take_cancel()
    }

    /// Texts copied since the last call, for the terminal (OSC 52).
    pub fn take_clipboard(&mut self) -> Vec<String> {
        std::mem::take(&mut self.clipboard)
    }

    /// Requests waiting to be sent to the worker.
    pub fn take_requests(&mut self) -> Vec<(u64, Request)> {
        self.requests.take_queries()
    }

    /// Whether answers are outstanding (the spinner turns).
    pub fn busy(&self) -> bool {
        self.requests.busy()
    }

    pub fn tick(&mut self) {
        self.spinner = self.spinner.wrapping_add(1);
    }

    /// The version selection moved: reload the tree, refresh the diff.
    pub(super) fn version_changed(&mut self) {
        let Some(name) = self.timeline.selected_name().map(String::from) else {
            return;
        };
        self.array.page = None;
        self.array.mask = None;
        self.array.counts = None;
        self.counting = None;
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
    pub(super) fn node_changed(&mut self) {
        let (Some(version), Some(path)) = (self.tree.version.clone(), self.tree.selected_path())
        else {
            return;
        };
        self.meta.awaiting(&path);
        if path == "/" {
            if let Some(row) = self.timeline.rows.get(self.timeline.selected) {
                let v = &row.version;
                self.meta.version = Some((
                    v.name.clone(),
                    v.prev.clone(),
                    v.timestamp_iso().unwrap_or_default(),
                ));
            }
        }
        // A node removed in B: A's side, marked as removed.
        let removed = self
            .diff
            .as_ref()
            .filter(|d| d.removed.iter().any(|n| n.path == path))
            .map(|d| (d.a.clone(), d.b.clone()));
        if self.tree.selected_kind() != Some(NodeKind::Dataset) || removed.is_some() {
            self.array.clear();
        }
        let version = match removed {
            Some((a, b)) => {
                self.meta.removed = Some((a.clone(), b));
                a
            }
            None => version,
        };
        self.request(Request::Meta { version, path });
    }

    /// Requests the array block the view needs, if the cache misses it.
    pub fn want_page(&mut self) {
        match self.array.wanted_overview() {
            Some((version, path, width)) => self.requests.ask_once(Request::Overview {
                version,
                path,
                width,
            }),
            None => self.requests.not_wanted("overview"),
        }
        match self.array.wanted() {
            Some((key, _, _, sel)) => self.requests.ask_once(Request::Page {
                version: key.version,
                path: key.path,
                sel,
            }),
            None => self.requests.not_wanted("page"),
        }
        if let Some((version, path)) = self.array.wanted_blame() {
            self.requests.ask_once(Request::Blame { version, path });
        }
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
            if !self.requests.waiting_for(&format!("summary:{version}")) {
                self.request(Request::Summary { version });
            }
        }
    }

    // ---- Routing: key → action → the component that owns it. ----

    /// The context on top: the popup's, else the field's, else the
    /// focused pane's.
    pub fn context(&self) -> Context {
        match (&self.popup, &self.field) {
            (Some(p), _) => p.context(),
            (None, Some(_)) => Context::Field,
            (None, None) => self.focus.context(),
        }
    }

    pub fn on_key(&mut self, key: KeyEvent) {
        self.status = None;
        let key = Key::from_event(key);
        let top = self.context();
        let mut binding = keymap::lookup(top.chain(), key);
        // Fields and popups take the keyboard, except global Ctrl keys.
        if binding.is_none() && top.captures() && key.ctrl {
            binding = keymap::lookup(Context::Global.chain(), key);
        }
        match binding {
            Some(b) => self.dispatch(b.context, b.action),
            None => self.unbound(key),
        }
    }

    /// Runs an action in the component that owns the binding's context.
    pub fn dispatch(&mut self, context: Context, action: Action) {
        match context {
            Context::Global => self.global(action),
            Context::Timeline => self.pane_action(Pane::Timeline, action),
            Context::Tree => self.pane_action(Pane::Tree, action),
            Context::Meta => self.pane_action(Pane::Meta, action),
            Context::Array => self.pane_action(Pane::Array, action),
            Context::Field if self.popup.is_none() => self.field_action(action),
            Context::Pending => {
                if let Some(Popup::Pending(p)) = self.popup.as_mut() {
                    let effect = p.handle(action, &self.pending);
                    self.apply(effect);
                }
            }
            // A popup's own, or the field keys of one with fields (commit).
            Context::Field
            | Context::Help
            | Context::Detail
            | Context::CopyChoice
            | Context::Confirm
            | Context::Commit
            | Context::Progress
            | Context::Storage => {
                if let Some(p) = self.popup.as_mut() {
                    let effect = p.handle(action);
                    self.apply(effect);
                }
            }
        }
    }

    /// A key no binding in the chain has: typed text for a field; a popup
    /// decides for itself; the panes ignore it.
    fn unbound(&mut self, key: Key) {
        if let Some(p) = self.popup.as_mut() {
            let effect = p.unbound(key);
            self.apply(effect);
        } else if let Some(open) = self.field.as_mut() {
            if let (KeyCode::Char(c), false) = (key.code, key.ctrl) {
                open.field.insert(c);
            }
        }
    }

    /// The `Global` context's actions.
    fn global(&mut self, action: Action) {
        match action {
            Action::Quit if !self.pending.is_empty() => {
                self.popup = Some(Popup::Confirm(ConfirmPopup::quit(self.pending.len())))
            }
            Action::Quit => self.quit = true,
            Action::Pending => self.popup = Some(Popup::Pending(PendingPopup::default())),
            Action::Undo if self.pending.is_empty() => {
                self.status = Some(("nothing to undo: no edit is staged".into(), false))
            }
            Action::Undo => self.command(Command::Undo),
            Action::Commit => self.open_commit(),
            Action::Help => self.popup = Some(Popup::Help(HelpPopup::default())),
            Action::Storage => {
                let selected = self.timeline.selected_name().map(String::from);
                self.popup = Some(Popup::Storage(StoragePopup::new(selected)));
                self.request(Request::Storage);
            }
            Action::NextPane => self.cycle_focus(1),
            Action::PrevPane => self.cycle_focus(-1),
            Action::FocusTimeline => self.set_focus(Pane::Timeline),
            Action::FocusTree => self.set_focus(Pane::Tree),
            Action::FocusMeta => self.set_focus(Pane::Meta),
            Action::FocusArray => self.set_focus(Pane::Array),
            Action::Zoom => self.zoom = !self.zoom,
            Action::Mark => self.toggle_mark(),
            Action::LeaveDiff => self.leave_diff(),
            // The list movements belong to the focused pane.
            _ => self.pane_action(self.focus, action),
        }
    }

    /// Why editing does nothing here, if it does not.
    fn read_only(&self) -> Option<String> {
        self.timeline
            .plain()
            .then(|| "a plain HDF5 file is read-only: vh5 edits versioned-hdf5 files".into())
    }

    /// `c`: the commit dialog, when edits are staged.
    fn open_commit(&mut self) {
        if self.pending.is_empty() {
            self.status = Some(("nothing is staged: no commit to make".into(), false));
            return;
        }
        let parent = self.staged_on.clone().unwrap_or_default();
        let name = self.timeline.unused_name();
        self.popup = Some(Popup::Commit(CommitPopup::new(
            &name,
            &parent,
            self.pending.len(),
        )));
    }

    /// The node the metadata pane shows and the version it is in, when
    /// its attributes can be edited.
    fn attr_target(&self) -> Result<(String, String), String> {
        if let Some(why) = self.read_only() {
            return Err(why);
        }
        if self.meta.removed.is_some() {
            return Err("this node is removed in B: select it where it exists".into());
        }
        match (
            self.tree.version.clone(),
            self.tree.selected_path(),
            &self.meta.info,
        ) {
            (Some(v), Some(p), Some(_)) => Ok((v, p)),
            _ => Err("select a node first".into()),
        }
    }

    /// A pane's action, and what it means for the others.
    fn pane_action(&mut self, pane: Pane, action: Action) {
        let edits = pane.edits(action);
        // Selecting cells is for editing them.
        if edits || (pane, action) == (Pane::Array, Action::Select) {
            if let Some(why) = self.read_only() {
                self.status = Some((why, false));
                return;
            }
        }
        if edits {
            let effect = match pane {
                Pane::Timeline => self.timeline.edit(action),
                Pane::Tree => self.tree.edit(action, &self.meta.shape_text()),
                Pane::Meta => self.meta.edit(action, self.attr_target()),
                Pane::Array => self.array.edit(),
            };
            return self.apply(effect);
        }
        let effect = match pane {
            Pane::Timeline => self.timeline.handle(action),
            Pane::Tree => self.tree.handle(action),
            Pane::Meta => self.meta.handle(action),
            Pane::Array => self.array.handle(action),
        };
        self.apply(effect);
        if pane == Pane::Array {
            self.want_counts();
            self.want_page();
        }
        if self.focus != Pane::Tree {
            self.tree.leave_search();
        }
    }

    /// The open field's actions; Enter hands the text to its owner.
    fn field_action(&mut self, action: Action) {
        let Some(open) = self.field.as_mut() else {
            return;
        };
        match open.field.handle(action) {
            FieldEvent::Editing => {}
            FieldEvent::Cancel => self.field = None,
            FieldEvent::Accept(text) => {
                let purpose = open.purpose;
                match self.accept(purpose, &text) {
                    Ok(effect) => {
                        self.field = None;
                        self.apply(effect);
                    }
                    Err(reason) => {
                        // Beside the field, and on the status line (a
                        // narrow pane's title may cut it).
                        self.status = Some((reason.clone(), true));
                        if let Some(open) = self.field.as_mut() {
                            open.field.error = Some(reason);
                        }
                    }
                }
            }
        }
    }

    /// What a field's text does on Enter: an effect (the field closes) or
    /// the reason it is refused (the field stays open, showing it).
    fn accept(&mut self, purpose: FieldFor, text: &str) -> Result<Effect, String> {
        match purpose {
            FieldFor::TreeSearch => Ok(self.tree.accept_search(text)),
            FieldFor::ArrayGoTo => {
                self.array.goto(text)?;
                self.want_page();
                Ok(Effect::None)
            }
            FieldFor::TimelineSearch => self.timeline.accept_search(text),
            FieldFor::TimelineDate => self.timeline.accept_date(text),
            FieldFor::Rename => self.timeline.accept_rename(text),
            FieldFor::ArrayEdit => self.array.accept_edit(text),
            FieldFor::AddGroup | FieldFor::Resize | FieldFor::Modify => {
                self.tree.accept_edit(purpose, text)
            }
            FieldFor::AttrEdit | FieldFor::AttrAdd => {
                let target = self.attr_target();
                self.meta.accept_edit(purpose, text, target)
            }
        }
    }

    /// Applies what a component asked for.
    fn apply(&mut self, effect: Effect) {
        match effect {
            Effect::None => {}
            Effect::VersionMoved => self.version_changed(),
            Effect::NodeMoved => self.node_changed(),
            Effect::Focus(p) => self.set_focus(p),
            Effect::OpenField(purpose, field) => self.field = Some(OpenField { purpose, field }),
            Effect::Status(msg, error) => self.status = Some((msg, error)),
            Effect::Close => self.popup = None,
            Effect::All(effects) => effects.into_iter().for_each(|e| self.apply(e)),
            Effect::Copy(text, what) => {
                self.clipboard.push(text);
                self.status = Some((what, false));
            }
            Effect::OpenDetail => {
                let popup = DetailPopup::for_cell(&self.array, self.diff_sides());
                self.open(popup.map(Popup::Detail));
            }
            Effect::OpenCopy => {
                let popup =
                    CopyPopup::for_cell(&self.array, &self.file_path, self.timeline.plain());
                self.open(popup.map(Popup::Copy));
            }
            Effect::FindChange(forward) => self.find_change(forward),
            Effect::Command(cmd) => {
                let progress = ProgressPopup::for_command(&cmd);
                self.command(*cmd);
                self.open(progress.map(Popup::Progress));
            }
            Effect::Ask(confirm) => self.popup = Some(Popup::Confirm(confirm)),
            Effect::Quit => self.quit = true,
            Effect::Follow(target) => self.follow(target),
            Effect::CancelCommand => {
                self.requests.cancel_running();
                self.status = Some(("cancelling…".into(), false));
            }
            Effect::SelectVersion(name) => self.select_version(&name),
        }
    }

    /// Opens a popup, if there is one to open.
    fn open(&mut self, popup: Option<Popup>) {
        if popup.is_some() {
            self.popup = popup;
        }
    }

    /// Selects a version in the timeline (the tree and the array follow,
    /// keeping the node shown).
    fn select_version(&mut self, name: &str) {
        let Some(i) = self.timeline.rows.iter().position(|r| r.name == name) else {
            self.status = Some((format!("{name} is not in the timeline"), true));
            return;
        };
        self.status = Some((format!("{name} selected: it wrote this chunk"), false));
        if i != self.timeline.selected {
            self.timeline.selected = i;
            self.version_changed();
        }
    }

    /// Opens a reference's target: selected in the tree, and for a dataset
    /// shown in the array with the cursor on the region's first cell.
    fn follow(&mut self, target: RefTarget) {
        let Some(version) = self.tree.version.clone() else {
            return;
        };
        let Some(path) = in_version(&target.path, &version, self.timeline.plain()) else {
            self.status = Some((format!("{target} is outside version {version}"), true));
            return;
        };
        let Some(node) = self.tree.nodes.iter().find(|n| n.path == path) else {
            self.status = Some((format!("{path} is not in the tree"), true));
            return;
        };
        let dataset = node.kind == NodeKind::Dataset;
        self.tree.leave_search();
        self.tree.reveal(&path);
        self.follow_to = dataset.then(|| {
            let at = target
                .region
                .as_ref()
                .and_then(|r| r.first())
                .unwrap_or_default();
            (path.clone(), at)
        });
        self.node_changed();
        if !dataset {
            self.set_focus(Pane::Tree);
        }
        self.status = Some((format!("followed the reference to {target}"), false));
    }

    fn cycle_focus(&mut self, delta: isize) {
        let panes = Pane::ALL;
        let i = panes.iter().position(|p| *p == self.focus).unwrap_or(0) as isize;
        self.set_focus(panes[((i + delta).rem_euclid(panes.len() as isize)) as usize]);
    }

    /// Focus a pane; leaving the tree ends its search.
    pub(super) fn set_focus(&mut self, pane: Pane) {
        if pane != Pane::Tree {
            self.tree.leave_search();
        }
        self.focus = pane;
    }

    pub fn on_mouse(&mut self, m: MouseEvent) {
        let at = Position::new(m.column, m.row);
        let pane = self.areas.pane_at(at);
        let wheel = match m.kind {
            MouseEventKind::ScrollDown => Some(Action::Down),
            MouseEventKind::ScrollUp => Some(Action::Up),
            _ => None,
        };
        // A popup takes the wheel (and ignores clicks).
        if let Some(p) = self.popup.as_mut() {
            if let Some(action) = wheel {
                let effect = p.handle(action);
                self.apply(effect);
            }
            return;
        }
        let Some(pane) = pane else { return };
        if let Some(action) = wheel {
            return self.pane_action(pane, action);
        }
        if m.kind != MouseEventKind::Down(MouseButton::Left) {
            return;
        }
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

    // ---- Rendering: reads the state only. ----

    pub fn render(&mut self, f: &mut Frame) {
        let area = f.area();
        let [main, status] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
        self.areas = Areas::of(main, self.zoom, self.focus);
        for pane in Pane::ALL {
            let area = self.areas.get(pane);
            if area.is_empty() {
                continue;
            }
            let focused = self.focus == pane;
            let field = field_in(&self.field, pane);
            match pane {
                Pane::Timeline => self.timeline.render(f, area, focused, field),
                Pane::Tree => self.tree.render(f, area, focused, field),
                Pane::Meta => self.meta.render(f, area, focused, field),
                Pane::Array => self.array.render(f, area, focused, field),
            }
        }
        status::render(self, f, status);
        match self.popup.as_mut() {
            Some(Popup::Pending(p)) => p.render(f, main, &self.pending, self.staged_on.as_deref()),
            Some(p) => p.render(f, main),
            None => {}
        }
    }
}

/// The field shown in `pane`'s title, if one is open there.
fn field_in(field: &Option<OpenField>, pane: Pane) -> Option<&TextField> {
    field
        .as_ref()
        .filter(|o| o.purpose.pane() == pane)
        .map(|o| &o.field)
}

/// A path in the file as a path in the shown version: plain files' paths
/// are the same; a versioned file's reference must lead into the version's
/// own group. `None` when it leads elsewhere.
fn in_version(path: &str, version: &str, plain: bool) -> Option<String> {
    if plain {
        return Some(path.to_string());
    }
    let root = format!("/{}", crate::engine::layout::node_path(version, ""));
    match path.strip_prefix(&root) {
        Some("") => Some("/".into()),
        Some(rest) if rest.starts_with('/') => Some(rest.to_string()),
        _ => None,
    }
}
