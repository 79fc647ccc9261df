//! The one keymap table: every binding of the browser, read by the key
//! router (`App::on_key`), the `?` help overlay (`help.rs`) and the bottom
//! key bar (`keybar.rs`), so the three cannot disagree.
//!
//! A binding is (context, keys, action, description, key-bar label). The
//! router resolves a key in a chain of contexts (`Context::chain`): the open
//! popup's, else the open text field's, else the focused pane's and then
//! `Global`. The first binding with the key wins; the action goes to the
//! component that owns the binding's context (`Global` actions to `App`,
//! which passes the list movements on to the focused pane).
//!
//! To add a key: add an `Action` variant (in `actions!` below), a row in
//! `BINDINGS`, and handle the action in the component of that context. The
//! unit tests check that every action is reachable, that no context binds a
//! key twice and that no pane shadows a key that works everywhere.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies. Panes and popups each have one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// Every pane (not inside a text field or a popup).
    Global,
    Timeline,
    Tree,
    Meta,
    Array,
    /// Any open text field (search, go-to, value editors).
    Field,
    /// The `?` overlay.
    Help,
    /// The cell detail view (Enter on a cell).
    Detail,
    /// The copy chooser (Y in the array).
    CopyChoice,
    /// The pending-changes list (P).
    Pending,
    /// A yes / no question (discard all, quit with edits staged).
    Confirm,
    /// The commit dialog (c); its text fields use the `Field` keys.
    Commit,
    /// A write in progress.
    Progress,
    /// The storage view (S).
    Storage,
}

impl Context {
    /// In the order the help overlay lists them.
    pub const ALL: [Context; 14] = [
        Context::Global,
        Context::Timeline,
        Context::Tree,
        Context::Meta,
        Context::Array,
        Context::Field,
        Context::Pending,
        Context::Commit,
        Context::Confirm,
        Context::Progress,
        Context::Storage,
        Context::Detail,
        Context::CopyChoice,
        Context::Help,
    ];

    /// The help overlay's heading.
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Timeline => "Timeline",
            Context::Tree => "Tree",
            Context::Meta => "Metadata",
            Context::Array => "Array",
            Context::Field => "Text fields (search, go to)",
            Context::Help => "This help",
            Context::Detail => "Cell detail (Enter on a cell)",
            Context::CopyChoice => "Copy (Y in the array)",
            Context::Pending => "Pending changes (P)",
            Context::Confirm => "Confirm",
            Context::Commit => "Commit dialog (c; text keys as in fields)",
            Context::Progress => "Progress",
            Context::Storage => "Storage view (S)",
        }
    }

    /// What the router consults, in order, when this context is on top.
    /// Popups and fields capture the keyboard: only their own bindings
    /// apply (and, through `App::on_key`, global keys typed with Ctrl).
    pub fn chain(self) -> &'static [Context] {
        match self {
            Context::Global => &[Context::Global],
            Context::Timeline => &[Context::Timeline, Context::Global],
            Context::Tree => &[Context::Tree, Context::Global],
            Context::Meta => &[Context::Meta, Context::Global],
            Context::Array => &[Context::Array, Context::Global],
            Context::Field => &[Context::Field],
            Context::Help => &[Context::Help],
            Context::Detail => &[Context::Detail],
            Context::CopyChoice => &[Context::CopyChoice],
            Context::Pending => &[Context::Pending],
            Context::Confirm => &[Context::Confirm],
            Context::Commit => &[Context::Commit, Context::Field],
            Context::Progress => &[Context::Progress],
            Context::Storage => &[Context::Storage],
        }
    }

    /// Whether this context takes the whole keyboard (a popup or a field).
    pub fn captures(self) -> bool {
        matches!(
            self,
            Context::Field
                | Context::Help
                | Context::Detail
                | Context::CopyChoice
                | Context::Pending
                | Context::Confirm
                | Context::Commit
                | Context::Progress
                | Context::Storage
        )
    }

    /// Behaviour that is not a binding, listed after the bindings in help.
    pub fn notes(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Context::Global => &[("mouse", "click to focus and select, wheel to scroll")],
            Context::Field => &[("other keys", "typed in at the cursor")],
            Context::Help => &[("other keys", "close the help")],
            Context::Confirm => &[("q", "in the quit question: quits too")],
            Context::Commit => &[("other keys", "typed in the focused text field")],
            Context::CopyChoice => &[(
                "clipboard",
                "set through OSC 52: works over ssh and in tmux",
            )],
            _ => &[],
        }
    }
}

/// Declares `Action` and `Action::ALL` (every variant) from one list.
macro_rules! actions {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// What a key does. Components interpret the actions of their
        /// context; the list movements are shared by every list.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $($(#[$doc])* $name,)*
        }

        impl Action {
            /// Every action, for the reachability test.
            pub const ALL: &'static [Action] = &[$(Action::$name,)*];
        }
    };
}

actions! {
    // App-level (Global context).
    Quit,
    Help,
    NextPane,
    PrevPane,
    FocusTimeline,
    FocusTree,
    FocusMeta,
    FocusArray,
    /// The focused pane fills the screen; again restores the layout.
    Zoom,
    /// Mark the selected version as diff side A (again: unmark).
    Mark,
    LeaveDiff,
    // List movement: the focused pane's list (or the help's scroll).
    Up,
    Down,
    PageUp,
    PageDown,
    First,
    Last,
    // Panes.
    /// Timeline: show the version's tree; tree: open a group / go to values.
    Open,
    /// Back towards the timeline.
    Back,
    /// Tree, timeline: find by name (`/`).
    Search,
    /// Tree (diff mode): list only changed nodes (again: all).
    ChangedOnly,
    /// Copy to the clipboard (OSC 52): tree, the node's path; array, a
    /// chooser of what to copy.
    Copy,
    /// Copy chooser: the value, the path with its index, a `vh5 cat` command.
    CopyValue,
    CopyPath,
    CopyCommand,
    /// Array: cursor one column left (at column 0, back to the tree).
    Left,
    Right,
    RowStart,
    RowEnd,
    GoTo,
    NextChange,
    PrevChange,
    Plot,
    Format,
    MorePrecision,
    LessPrecision,
    RowAxis,
    ColAxis,
    PinnedNext,
    PinnedPrev,
    Pinned2Next,
    Pinned2Prev,
    // Text fields (and, later, dialogs).
    Accept,
    Cancel,
    CursorLeft,
    CursorRight,
    CursorHome,
    CursorEnd,
    DeleteBack,
    DeleteForward,
    ClearField,
    // Popups.
    Close,
    // Editing.
    /// The commit dialog (only with edits staged).
    Commit,
    /// The pending-changes list.
    Pending,
    /// Undo the newest staged edit.
    Undo,
    /// Array: edit the cell (or the selection) under the cursor.
    Edit,
    /// Array: start / end a rectangular selection.
    Select,
    /// Metadata: add or overwrite an attribute; tree: add a group.
    Add,
    /// Metadata: stage the attribute's deletion; tree: the node's.
    Delete,
    /// Pending list: discard the selected edit.
    Discard,
    /// Pending list: discard every edit (after a confirm).
    DiscardAll,
    /// Confirm: yes.
    Yes,
    /// Confirm: no.
    No,
    /// Commit dialog: next / previous field.
    NextField,
    PrevField,
    /// Commit dialog: toggle make current (in a text field: a space);
    /// timeline: mark / unmark the version for a history operation.
    Toggle,
    /// Timeline: delete the marked (or the selected) versions.
    DeleteVersions,
    /// Timeline: rename the selected version.
    Rename,
    /// Timeline: make the selected version current.
    MakeCurrent,
    /// Timeline: stage the selected version's content on the current one.
    Restore,
    /// Tree: resize the selected dataset.
    Resize,
    /// Tree: modify the dataset's metadata in every version.
    Modify,
    /// Array, metadata: open what the reference under the cursor (or the
    /// selected attribute) points to, in the tree and the array.
    Follow,
    /// Array: colour each chunk by the version that wrote it (again: off).
    Blame,
    /// Array, blame on: select the cursor chunk's writer in the timeline.
    BlameJump,
    /// The storage view: bytes per version and per dataset.
    Storage,
}

/// One key as the table spells it: a code, and whether Ctrl is held.
/// Shift is part of the character (`G`), Alt is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl Key {
    pub const fn ch(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            ctrl: false,
        }
    }

    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            ctrl: true,
        }
    }

    pub const fn code(code: KeyCode) -> Key {
        Key { code, ctrl: false }
    }

    /// The table's key for a terminal event (Shift-Tab arrives as either
    /// `BackTab` or `Tab` with Shift).
    pub fn from_event(e: KeyEvent) -> Key {
        let code = match e.code {
            KeyCode::Tab if e.modifiers.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            c => c,
        };
        Key {
            code,
            ctrl: e.modifiers.contains(KeyModifiers::CONTROL),
        }
    }

    /// How help and the key bar spell the key.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Delete => "Del".into(),
            KeyCode::Char(' ') => "Space".into(),
            KeyCode::Char(c) if self.ctrl => c.to_ascii_uppercase().to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        if self.ctrl {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }
}

/// One row of the table.
#[derive(Debug)]
pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    pub action: Action,
    /// The help overlay's text (at most `DESCRIPTION_WIDTH` characters).
    pub description: &'static str,
    /// The key bar's short label; `None`: not on the key bar.
    pub bar: Option<&'static str>,
}

impl Binding {
    /// `Enter / l / →`
    pub fn keys_label(&self) -> String {
        self.keys
            .iter()
            .map(Key::label)
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

/// The widest description the help overlay shows without cutting it.
pub const DESCRIPTION_WIDTH: usize = 56;

const UP: Key = Key::code(KeyCode::Up);
const DOWN: Key = Key::code(KeyCode::Down);
const LEFT: Key = Key::code(KeyCode::Left);
const RIGHT: Key = Key::code(KeyCode::Right);
const PGUP: Key = Key::code(KeyCode::PageUp);
const PGDN: Key = Key::code(KeyCode::PageDown);
const HOME: Key = Key::code(KeyCode::Home);
const END: Key = Key::code(KeyCode::End);
const ENTER: Key = Key::code(KeyCode::Enter);
const ESC: Key = Key::code(KeyCode::Esc);
const TAB: Key = Key::code(KeyCode::Tab);
const BACKTAB: Key = Key::code(KeyCode::BackTab);
const BACKSPACE: Key = Key::code(KeyCode::Backspace);
const DELETE: Key = Key::code(KeyCode::Delete);
const fn ch(c: char) -> Key {
    Key::ch(c)
}

const fn b(
    context: Context,
    keys: &'static [Key],
    action: Action,
    description: &'static str,
    bar: Option<&'static str>,
) -> Binding {
    Binding {
        context,
        keys,
        action,
        description,
        bar,
    }
}

use Action as A;
use Context::{
    Array, Commit, Confirm, CopyChoice, Detail, Field, Global, Help, Meta, Pending, Progress,
    Storage, Timeline, Tree,
};

/// Every binding. Within a context, the order is the help's and the key
/// bar's order.
pub static BINDINGS: &[Binding] = &[
    // Everywhere (not inside a field or a popup).
    b(Global, &[TAB], A::NextPane, "next pane", Some("pane")),
    b(Global, &[BACKTAB], A::PrevPane, "previous pane", None),
    b(
        Global,
        &[ch('1')],
        A::FocusTimeline,
        "focus the timeline",
        None,
    ),
    b(Global, &[ch('2')], A::FocusTree, "focus the tree", None),
    b(Global, &[ch('3')], A::FocusMeta, "focus the metadata", None),
    b(Global, &[ch('4')], A::FocusArray, "focus the array", None),
    b(
        Global,
        &[UP, ch('k')],
        A::Up,
        "move up in the focused list",
        None,
    ),
    b(Global, &[DOWN, ch('j')], A::Down, "move down", None),
    b(Global, &[PGUP], A::PageUp, "page up", None),
    b(Global, &[PGDN], A::PageDown, "page down", None),
    b(Global, &[ch('g'), HOME], A::First, "first", None),
    b(Global, &[ch('G'), END], A::Last, "last", None),
    b(
        Global,
        &[ch('m')],
        A::Mark,
        "mark the selected version A for diff (again: unmark)",
        Some("mark A"),
    ),
    b(
        Global,
        &[ESC],
        A::LeaveDiff,
        "leave diff mode",
        Some("leave diff"),
    ),
    b(
        Global,
        &[ch('z')],
        A::Zoom,
        "zoom: the focused pane fills the screen (again: restore)",
        Some("zoom"),
    ),
    b(
        Global,
        &[ch('c')],
        A::Commit,
        "commit the staged edits (a dialog)",
        Some("commit"),
    ),
    b(
        Global,
        &[ch('P')],
        A::Pending,
        "pending changes: every staged edit",
        Some("pending"),
    ),
    b(
        Global,
        &[ch('u')],
        A::Undo,
        "undo the newest staged edit",
        Some("undo"),
    ),
    b(
        Global,
        &[ch('S')],
        A::Storage,
        "storage: bytes added per version, per dataset totals",
        None,
    ),
    b(Global, &[ch('?')], A::Help, "this help", Some("help")),
    b(
        Global,
        &[ch('q'), Key::ctrl('c')],
        A::Quit,
        "quit",
        Some("quit"),
    ),
    // Timeline.
    b(
        Timeline,
        &[ENTER, ch('l'), RIGHT],
        A::Open,
        "show the version's tree",
        Some("tree"),
    ),
    b(
        Timeline,
        &[ch('/')],
        A::Search,
        "find a version by name (Enter: the first match)",
        Some("find"),
    ),
    b(
        Timeline,
        &[ch('n')],
        A::NextChange,
        "next version matching the search",
        None,
    ),
    b(
        Timeline,
        &[ch('N')],
        A::PrevChange,
        "previous version matching the search",
        None,
    ),
    b(
        Timeline,
        &[ch(':')],
        A::GoTo,
        "jump to a date: the latest version at or before it",
        Some("date"),
    ),
    b(
        Timeline,
        &[Key::code(KeyCode::Char(' '))],
        A::Toggle,
        "mark / unmark the version for a history operation",
        Some("select"),
    ),
    b(
        Timeline,
        &[ch('D')],
        A::DeleteVersions,
        "delete the marked (or the selected) versions",
        Some("delete"),
    ),
    b(
        Timeline,
        &[ch('R')],
        A::Rename,
        "rename the selected version",
        None,
    ),
    b(
        Timeline,
        &[ch('C')],
        A::MakeCurrent,
        "make the selected version current",
        None,
    ),
    b(
        Timeline,
        &[ch('r')],
        A::Restore,
        "restore: stage its content on the current version",
        None,
    ),
    // Tree.
    b(
        Tree,
        &[ENTER, ch('l'), RIGHT],
        A::Open,
        "open a group; on a dataset, go to its values",
        Some("open"),
    ),
    b(
        Tree,
        &[ch('h'), LEFT, BACKSPACE],
        A::Back,
        "close the group / go to its parent / to the timeline",
        None,
    ),
    b(
        Tree,
        &[ch('/')],
        A::Search,
        "find a node by name or path (us/close)",
        Some("find"),
    ),
    b(
        Tree,
        &[ch('n')],
        A::NextChange,
        "next match after a search; diff mode: next change",
        Some("next"),
    ),
    b(
        Tree,
        &[ch('N')],
        A::PrevChange,
        "previous match; diff mode: previous changed node",
        None,
    ),
    b(
        Tree,
        &[ch('o')],
        A::ChangedOnly,
        "diff mode: show only changed nodes (again: all)",
        Some("changed only"),
    ),
    b(
        Tree,
        &[ch('Y')],
        A::Copy,
        "copy the node's path (OSC 52)",
        None,
    ),
    b(
        Tree,
        &[ch('a')],
        A::Add,
        "add a group below the selected group",
        Some("add group"),
    ),
    b(
        Tree,
        &[ch('d')],
        A::Delete,
        "stage the deletion of the selected node",
        Some("delete"),
    ),
    b(
        Tree,
        &[ch('r')],
        A::Resize,
        "resize the selected dataset (field: its shape)",
        Some("resize"),
    ),
    b(
        Tree,
        &[ch('M')],
        A::Modify,
        "modify the dataset's metadata in every version",
        None,
    ),
    // Metadata.
    b(
        Meta,
        &[ch('h'), LEFT, BACKSPACE],
        A::Back,
        "back to the tree",
        Some("back"),
    ),
    b(
        Meta,
        &[ch('e')],
        A::Edit,
        "edit the selected attribute's value",
        Some("edit"),
    ),
    b(
        Meta,
        &[ch('a')],
        A::Add,
        "add or overwrite an attribute: NAME=VALUE",
        Some("add"),
    ),
    b(
        Meta,
        &[ch('d')],
        A::Delete,
        "stage the deletion of the selected attribute",
        Some("delete"),
    ),
    b(
        Meta,
        &[ch('o')],
        A::Follow,
        "reference attribute: open its target (tree, array)",
        Some("follow ref"),
    ),
    // Array.
    b(
        Array,
        &[ch('h'), LEFT],
        A::Left,
        "left (from the first column: back to the tree)",
        None,
    ),
    b(Array, &[ch('l'), RIGHT], A::Right, "right", None),
    b(Array, &[BACKSPACE], A::Back, "back to the tree", None),
    b(Array, &[ch('0')], A::RowStart, "first column", None),
    b(Array, &[ch('$')], A::RowEnd, "last column", None),
    b(
        Array,
        &[ch(':')],
        A::GoTo,
        "go to an index: ROW or ROW, COL (negative: from the end)",
        Some("go to"),
    ),
    b(
        Array,
        &[ENTER],
        A::Open,
        "cell detail: the whole value, its index and dtype",
        Some("detail"),
    ),
    b(
        Array,
        &[ch('n')],
        A::NextChange,
        "diff mode: next changed cell, made visible",
        Some("next change"),
    ),
    b(
        Array,
        &[ch('N')],
        A::PrevChange,
        "diff mode: previous changed cell",
        None,
    ),
    b(
        Array,
        &[ch('Y')],
        A::Copy,
        "copy: the value, the path with its index, a command",
        Some("copy"),
    ),
    b(
        Array,
        &[ch('o')],
        A::Follow,
        "reference cell: open its target (tree, array)",
        Some("follow ref"),
    ),
    b(
        Array,
        &[ch('p')],
        A::Plot,
        "plot: line chart (1-D), heatmap (2-D); again: table",
        Some("plot"),
    ),
    b(
        Array,
        &[ch('f')],
        A::Format,
        "number format: auto, fixed, scientific",
        Some("format"),
    ),
    b(Array, &[ch('+')], A::MorePrecision, "one more digit", None),
    b(Array, &[ch('-')], A::LessPrecision, "one digit fewer", None),
    b(
        Array,
        &[ch('y')],
        A::RowAxis,
        "n-D: next axis shown as rows",
        Some("row axis"),
    ),
    b(
        Array,
        &[ch('x')],
        A::ColAxis,
        "n-D: next axis shown as columns",
        Some("col axis"),
    ),
    b(
        Array,
        &[ch(']')],
        A::PinnedNext,
        "n-D: step the first pinned axis forward",
        Some("step"),
    ),
    b(
        Array,
        &[ch('[')],
        A::PinnedPrev,
        "n-D: step the first pinned axis back",
        None,
    ),
    b(
        Array,
        &[ch('>')],
        A::Pinned2Next,
        "n-D: step the second pinned axis forward",
        None,
    ),
    b(
        Array,
        &[ch('<')],
        A::Pinned2Prev,
        "n-D: step the second pinned axis back",
        None,
    ),
    b(
        Array,
        &[ch('e')],
        A::Edit,
        "edit the value under the cursor (or the selection)",
        Some("edit"),
    ),
    b(
        Array,
        &[ch('v')],
        A::Select,
        "start / end a rectangular selection",
        Some("select"),
    ),
    b(
        Array,
        &[ch('b')],
        A::Blame,
        "blame: colour chunks by the version that wrote them",
        None,
    ),
    b(
        Array,
        &[ch('B')],
        A::BlameJump,
        "blame: select the cursor chunk's writer in the timeline",
        None,
    ),
    // Text fields.
    b(Field, &[ENTER], A::Accept, "accept", Some("accept")),
    b(
        Field,
        &[ESC],
        A::Cancel,
        "cancel: nothing changes",
        Some("cancel"),
    ),
    b(Field, &[LEFT], A::CursorLeft, "cursor left", None),
    b(Field, &[RIGHT], A::CursorRight, "cursor right", None),
    b(Field, &[HOME], A::CursorHome, "cursor to the start", None),
    b(Field, &[END], A::CursorEnd, "cursor to the end", None),
    b(
        Field,
        &[BACKSPACE],
        A::DeleteBack,
        "delete before the cursor",
        None,
    ),
    b(
        Field,
        &[DELETE],
        A::DeleteForward,
        "delete at the cursor",
        None,
    ),
    b(
        Field,
        &[Key::ctrl('u')],
        A::ClearField,
        "clear the field",
        Some("clear"),
    ),
    // The pending-changes list.
    b(Pending, &[UP, ch('k')], A::Up, "up", None),
    b(Pending, &[DOWN, ch('j')], A::Down, "down", None),
    b(Pending, &[ch('g'), HOME], A::First, "first", None),
    b(Pending, &[ch('G'), END], A::Last, "last", None),
    b(
        Pending,
        &[ch('d'), DELETE],
        A::Discard,
        "discard the selected edit",
        Some("discard"),
    ),
    b(
        Pending,
        &[ch('D')],
        A::DiscardAll,
        "discard every staged edit (asks first)",
        Some("discard all"),
    ),
    b(Pending, &[ESC, ch('q')], A::Close, "close", Some("close")),
    // Yes / no questions.
    b(Confirm, &[ch('y'), ENTER], A::Yes, "yes", Some("yes")),
    b(Confirm, &[ch('n'), ESC], A::No, "no", Some("no")),
    // The commit dialog (its text fields take the text-field keys).
    b(Commit, &[ENTER], A::Accept, "commit", Some("commit")),
    b(
        Commit,
        &[ESC],
        A::Cancel,
        "close: the edits stay staged",
        Some("close"),
    ),
    b(
        Commit,
        &[TAB],
        A::NextField,
        "next field",
        Some("next field"),
    ),
    b(Commit, &[BACKTAB], A::PrevField, "previous field", None),
    b(
        Commit,
        &[Key::code(KeyCode::Char(' '))],
        A::Toggle,
        "make current: on / off (in a text field: a space)",
        Some("toggle"),
    ),
    // A write in progress.
    b(
        Progress,
        &[ESC],
        A::Cancel,
        "cancel (before the point of no return)",
        Some("cancel"),
    ),
    // The storage view.
    b(
        Storage,
        &[UP, ch('k')],
        A::Up,
        "scroll the datasets up",
        None,
    ),
    b(
        Storage,
        &[DOWN, ch('j')],
        A::Down,
        "scroll the datasets down",
        Some("scroll"),
    ),
    b(Storage, &[PGUP], A::PageUp, "page up", None),
    b(Storage, &[PGDN], A::PageDown, "page down", None),
    b(Storage, &[ch('g'), HOME], A::First, "top", None),
    b(Storage, &[ch('G'), END], A::Last, "bottom", None),
    b(
        Storage,
        &[ESC, ch('S'), ch('q')],
        A::Close,
        "close",
        Some("close"),
    ),
    // The cell detail view.
    b(Detail, &[UP, ch('k')], A::Up, "scroll up", None),
    b(
        Detail,
        &[DOWN, ch('j')],
        A::Down,
        "scroll down",
        Some("scroll"),
    ),
    b(Detail, &[PGUP], A::PageUp, "page up", None),
    b(Detail, &[PGDN], A::PageDown, "page down", None),
    b(Detail, &[ch('g'), HOME], A::First, "top", None),
    b(Detail, &[ch('G'), END], A::Last, "bottom", None),
    b(
        Detail,
        &[ch('Y')],
        A::Copy,
        "copy: the value, the path with its index, a command",
        Some("copy"),
    ),
    b(
        Detail,
        &[ESC, ENTER, ch('q')],
        A::Close,
        "close",
        Some("close"),
    ),
    // The copy chooser.
    b(
        CopyChoice,
        &[ch('v')],
        A::CopyValue,
        "the value",
        Some("value"),
    ),
    b(
        CopyChoice,
        &[ch('p')],
        A::CopyPath,
        "the path with its index (/market/prices[17, 3])",
        Some("path"),
    ),
    b(
        CopyChoice,
        &[ch('c')],
        A::CopyCommand,
        "a vh5 cat command printing the value",
        Some("command"),
    ),
    b(
        CopyChoice,
        &[ESC, ch('q')],
        A::Close,
        "cancel",
        Some("cancel"),
    ),
    // The help overlay.
    b(Help, &[UP, ch('k')], A::Up, "scroll up", None),
    b(
        Help,
        &[DOWN, ch('j')],
        A::Down,
        "scroll down",
        Some("scroll"),
    ),
    b(Help, &[PGUP], A::PageUp, "page up", None),
    b(Help, &[PGDN], A::PageDown, "page down", Some("page")),
    b(Help, &[ch('g'), HOME], A::First, "top", None),
    b(Help, &[ch('G'), END], A::Last, "bottom", None),
    b(
        Help,
        &[ESC, ch('?'), ch('q')],
        A::Close,
        "close",
        Some("close"),
    ),
];

/// The bindings of one context, in table order.
pub fn of(context: Context) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| b.context == context)
}

/// The binding a key resolves to in a chain of contexts: the first
/// context that binds the key wins.
pub fn lookup(chain: &[Context], key: Key) -> Option<&'static Binding> {
    chain
        .iter()
        .find_map(|&c| of(c).find(|b| b.keys.contains(&key)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The contexts a pane can have on top (where `Global` applies too).
    const PANES: [Context; 4] = [
        Context::Timeline,
        Context::Tree,
        Context::Meta,
        Context::Array,
    ];

    /// The chains the router uses with this context's bindings in them.
    fn chains_with(c: Context) -> Vec<&'static [Context]> {
        if c == Context::Global {
            PANES.iter().map(|p| p.chain()).collect()
        } else {
            vec![c.chain()]
        }
    }

    #[test]
    fn every_action_is_bound_and_reachable() {
        for &action in Action::ALL {
            let reachable = BINDINGS.iter().filter(|b| b.action == action).any(|b| {
                chains_with(b.context).iter().any(|chain| {
                    b.keys
                        .iter()
                        .any(|&k| lookup(chain, k).is_some_and(|hit| std::ptr::eq(hit, b)))
                })
            });
            assert!(reachable, "{action:?}: no key reaches it");
        }
    }

    #[test]
    fn every_binding_is_reachable_by_one_of_its_keys() {
        for b in BINDINGS {
            assert!(!b.keys.is_empty(), "{:?} has no key", b.action);
            for &k in b.keys {
                let hit = chains_with(b.context)
                    .iter()
                    .any(|chain| lookup(chain, k).is_some_and(|hit| std::ptr::eq(hit, b)));
                assert!(
                    hit,
                    "{:?} in {:?}: {} is shadowed",
                    b.action,
                    b.context,
                    k.label()
                );
            }
        }
    }

    #[test]
    fn no_context_binds_a_key_twice() {
        for c in Context::ALL {
            let mut seen = HashSet::new();
            for b in of(c) {
                for k in b.keys {
                    assert!(
                        seen.insert(*k),
                        "{c:?}: {} is bound twice (second time to {:?})",
                        k.label(),
                        b.action
                    );
                }
            }
        }
    }

    #[test]
    fn no_pane_shadows_a_key_that_works_everywhere() {
        let global: HashSet<Key> = of(Context::Global)
            .flat_map(|b| b.keys.iter().copied())
            .collect();
        for p in PANES {
            for b in of(p) {
                for k in b.keys {
                    assert!(
                        !global.contains(k),
                        "{p:?} rebinds {} ({:?}), which works everywhere",
                        k.label(),
                        b.action
                    );
                }
            }
        }
    }

    #[test]
    fn popups_and_fields_can_be_left() {
        for c in Context::ALL.into_iter().filter(|c| c.captures()) {
            assert!(
                of(c).any(|b| b.keys.contains(&Key::code(KeyCode::Esc))),
                "{c:?} has no Esc"
            );
        }
    }

    #[test]
    fn descriptions_fit_the_help_overlay() {
        for b in BINDINGS {
            assert!(
                !b.description.is_empty() && b.description.chars().count() <= DESCRIPTION_WIDTH,
                "{:?}: {:?}",
                b.action,
                b.description
            );
        }
    }

    #[test]
    fn keys_read_from_events() {
        use crossterm::event::KeyEvent;
        let ev = |c, m| Key::from_event(KeyEvent::new(c, m));
        assert_eq!(
            ev(KeyCode::Tab, KeyModifiers::SHIFT),
            Key::code(KeyCode::BackTab)
        );
        assert_eq!(
            ev(KeyCode::Char('c'), KeyModifiers::CONTROL),
            Key::ctrl('c')
        );
        assert_eq!(ev(KeyCode::Char('G'), KeyModifiers::SHIFT), Key::ch('G'));
        assert_eq!(Key::ctrl('u').label(), "Ctrl-U");
        let quit = lookup(Context::Array.chain(), Key::ctrl('c')).unwrap();
        assert_eq!(quit.action, Action::Quit);
        assert_eq!(quit.keys_label(), "q / Ctrl-C");
    }
}
