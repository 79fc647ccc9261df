//! What components tell the router. A component (a pane or a popup) owns
//! its state, interprets the actions of its keymap context
//! (`handle(Action) -> Effect`) and renders itself; whatever crosses
//! components — focus, a version or node selected, a field or popup to
//! open, a message — comes back to `App` as an `Effect`.

use super::field::TextField;
use super::keymap::{Action, Context};

/// The four panes, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Timeline,
    Tree,
    Meta,
    Array,
}

impl Pane {
    pub const ALL: [Pane; 4] = [Pane::Timeline, Pane::Tree, Pane::Meta, Pane::Array];

    /// Whether the pane's action changes the file (stages an edit, opens
    /// the field of one, or asks first): refused on a plain HDF5 file.
    pub fn edits(self, action: Action) -> bool {
        match self {
            Pane::Timeline => matches!(
                action,
                Action::DeleteVersions | Action::Rename | Action::MakeCurrent | Action::Restore
            ),
            Pane::Tree => matches!(
                action,
                Action::Add | Action::Delete | Action::Resize | Action::Modify
            ),
            Pane::Meta => matches!(action, Action::Edit | Action::Add | Action::Delete),
            Pane::Array => action == Action::Edit,
        }
    }

    /// The keymap context of the pane's own bindings.
    pub fn context(self) -> Context {
        match self {
            Pane::Timeline => Context::Timeline,
            Pane::Tree => Context::Tree,
            Pane::Meta => Context::Meta,
            Pane::Array => Context::Array,
        }
    }
}

/// What a text field is for: decides where it is drawn and who gets the
/// text on Enter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldFor {
    /// `/` in the tree.
    TreeSearch,
    /// `:` in the array.
    ArrayGoTo,
    /// `/` in the timeline.
    TimelineSearch,
    /// `:` in the timeline.
    TimelineDate,
    /// `e` in the array: the cell's (or the selection's) new value.
    ArrayEdit,
    /// `e` in the metadata: the selected attribute's new value.
    AttrEdit,
    /// `a` in the metadata: `NAME=VALUE`.
    AttrAdd,
    /// `R` in the timeline: the version's new name.
    Rename,
    /// `a` in the tree: the new group's name.
    AddGroup,
    /// `r` in the tree: the dataset's new shape.
    Resize,
    /// `M` in the tree: the metadata change.
    Modify,
}

impl FieldFor {
    /// The pane whose title shows the field.
    pub fn pane(self) -> Pane {
        match self {
            FieldFor::TreeSearch | FieldFor::AddGroup | FieldFor::Resize | FieldFor::Modify => {
                Pane::Tree
            }
            FieldFor::ArrayGoTo | FieldFor::ArrayEdit => Pane::Array,
            FieldFor::AttrEdit | FieldFor::AttrAdd => Pane::Meta,
            FieldFor::TimelineSearch | FieldFor::TimelineDate | FieldFor::Rename => Pane::Timeline,
        }
    }
}

/// A component's answer to an action.
#[derive(Debug)]
pub enum Effect {
    None,
    /// The timeline selected another version.
    VersionMoved,
    /// The tree selected another node.
    NodeMoved,
    /// Focus another pane.
    Focus(Pane),
    /// Open a text field.
    OpenField(FieldFor, TextField),
    /// A message for the status line (true: an error).
    Status(String, bool),
    /// The popup that answered closes.
    Close,
    /// Several, in order.
    All(Vec<Effect>),
    /// Put text on the clipboard (OSC 52), saying so.
    Copy(String, String),
    /// Array: open the cell detail view of the cell under the cursor.
    OpenDetail,
    /// Array: open the copy chooser for the cell under the cursor.
    OpenCopy,
    /// Array, diff mode: find the next (true) or previous changed cell.
    FindChange(bool),
    /// Send a command to the worker (stage, discard, commit, ...).
    Command(Box<super::worker::Command>),
    /// Ask first: a confirm dialog.
    Ask(super::edit::ConfirmPopup),
    /// Leave the browser.
    Quit,
    /// Cancel the command in progress.
    CancelCommand,
    /// Open what a reference points to (tree, then array).
    Follow(crate::engine::region::RefTarget),
    /// Select this version in the timeline (blame's `B`).
    SelectVersion(String),
}
