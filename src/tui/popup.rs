//! Popups: components drawn over the panes that take the whole keyboard
//! while open. `App` keeps at most one; the router gives it every key
//! first (its keymap context, then `unbound` for keys it does not bind).
//!
//! To add a popup (a confirm, the commit dialog, a progress bar, the
//! pending list): a component file with its state, `handle(Action) ->
//! Effect` and `render`; a `Context` for its bindings in `keymap.rs` (with
//! an Esc, a `chain`, `captures`) and its rows in `BINDINGS`; a variant
//! here. Effects it returns (`Close`, `Status`, ...) are applied by `App`.

use ratatui::layout::Rect;
use ratatui::Frame;

use super::component::Effect;
use super::detail::{CopyPopup, DetailPopup};
use super::edit::{CommitPopup, ConfirmPopup, PendingPopup, ProgressPopup};
use super::help::HelpPopup;
use super::keymap::{Action, Context, Key};
use super::storage::StoragePopup;

/// The scrolling the text popups share: a first row shown, rows in view
/// and rows in all (both from the last render).
#[derive(Debug, Default, Clone, Copy)]
pub struct Scroll {
    pub top: usize,
    pub height: usize,
    pub total: usize,
}

impl Scroll {
    pub fn max(&self) -> usize {
        self.total.saturating_sub(self.height.max(1))
    }

    fn by(&mut self, delta: isize) {
        self.top = (self.top as isize + delta).clamp(0, self.max() as isize) as usize;
    }

    /// ↑ ↓ PgUp PgDn g G; false for any other action.
    pub fn handle(&mut self, action: Action) -> bool {
        let page = self.height.max(1) as isize;
        match action {
            Action::Up => self.by(-1),
            Action::Down => self.by(1),
            Action::PageUp => self.by(-page),
            Action::PageDown => self.by(page),
            Action::First => self.top = 0,
            Action::Last => self.top = self.max(),
            _ => return false,
        }
        true
    }

    /// After a render changed `height` or `total`: the top stays in range.
    pub fn fit(&mut self, height: usize, total: usize) {
        self.height = height;
        self.total = total;
        self.top = self.top.min(self.max());
    }
}

#[derive(Debug)]
pub enum Popup {
    Help(HelpPopup),
    Detail(DetailPopup),
    Copy(CopyPopup),
    /// Handled and drawn by `App` (it holds the rows).
    Pending(PendingPopup),
    Confirm(ConfirmPopup),
    Commit(CommitPopup),
    Progress(ProgressPopup),
    Storage(StoragePopup),
}

impl Popup {
    /// The keymap context of its bindings.
    pub fn context(&self) -> Context {
        match self {
            Popup::Help(_) => Context::Help,
            Popup::Detail(_) => Context::Detail,
            Popup::Copy(_) => Context::CopyChoice,
            Popup::Pending(_) => Context::Pending,
            Popup::Confirm(_) => Context::Confirm,
            Popup::Commit(_) => Context::Commit,
            Popup::Progress(_) => Context::Progress,
            Popup::Storage(_) => Context::Storage,
        }
    }

    pub fn handle(&mut self, action: Action) -> Effect {
        match self {
            Popup::Help(h) => h.handle(action),
            Popup::Detail(d) => d.handle(action),
            Popup::Copy(c) => c.handle(action),
            Popup::Pending(_) => Effect::None,
            Popup::Confirm(c) => c.handle(action),
            Popup::Commit(c) => c.handle(action),
            Popup::Progress(p) => p.handle(action),
            Popup::Storage(s) => s.handle(action),
        }
    }

    /// A key the popup's context does not bind.
    pub fn unbound(&mut self, key: Key) -> Effect {
        match self {
            // As before the table existed: any other key closes the help.
            Popup::Help(_) => Effect::Close,
            // The quit question: q again quits.
            Popup::Confirm(c) if c.ask == super::edit::Ask::Quit && key == Key::ch('q') => {
                c.handle(Action::Yes)
            }
            Popup::Commit(c) => {
                if let (crossterm::event::KeyCode::Char(ch), false) = (key.code, key.ctrl) {
                    c.insert(ch);
                }
                Effect::None
            }
            _ => Effect::None,
        }
    }

    /// Drawn over `area` (the panes; the key bar stays visible).
    pub fn render(&mut self, f: &mut Frame, area: Rect) {
        match self {
            Popup::Help(h) => h.render(f, area),
            Popup::Detail(d) => d.render(f, area),
            Popup::Copy(c) => c.render(f, area),
            Popup::Pending(_) => {}
            Popup::Confirm(c) => c.render(f, area),
            Popup::Commit(c) => c.render(f, area),
            Popup::Progress(p) => p.render(f, area),
            Popup::Storage(s) => s.render(f, area),
        }
    }
}
