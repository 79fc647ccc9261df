//! A one-line text field: search, go-to and (later) value editors and
//! dialog fields. It opens prefilled (or empty), inserts typed characters
//! at the cursor, moves with ← → Home End, deletes with Backspace / Del,
//! clears with Ctrl-U; Enter hands the text to its owner, Esc cancels. An
//! owner that refuses the text sets `error`: the field stays open with the
//! reason beside it until the text changes.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::keymap::Action;
use crate::engine::Dtype;

/// Whether values of a dtype are typed as plain text, without quotes:
/// strings (anything else takes the command line's spelling).
pub(super) fn is_text(d: &Dtype) -> bool {
    matches!(d, Dtype::VarString { .. } | Dtype::FixedString { .. })
}

/// Drawn at the cursor.
pub const CURSOR: &str = "▏";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextField {
    /// Shown before the text (`/`, `go to: `).
    pub prompt: String,
    text: String,
    /// In characters, 0..=len.
    cursor: usize,
    /// Why the last Enter was refused.
    pub error: Option<String>,
}

/// What a key did to the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldEvent {
    /// Still editing (or nothing happened).
    Editing,
    /// Enter: the owner decides whether the field closes (or sets `error`).
    Accept(String),
    /// Esc: close, change nothing.
    Cancel,
}

impl TextField {
    /// A field showing `prefill`, the cursor at its end.
    pub fn new(prompt: impl Into<String>, prefill: &str) -> TextField {
        TextField {
            prompt: prompt.into(),
            text: prefill.to_string(),
            cursor: prefill.chars().count(),
            error: None,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor, in characters from the start.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    fn byte(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    /// Typed text goes in at the cursor.
    pub fn insert(&mut self, c: char) {
        let at = self.byte(self.cursor);
        self.text.insert(at, c);
        self.cursor += 1;
        self.error = None;
    }

    /// The field's actions (the `Field` context of the keymap).
    pub fn handle(&mut self, action: Action) -> FieldEvent {
        let before = self.text.clone();
        match action {
            Action::Accept => return FieldEvent::Accept(self.text.clone()),
            Action::Cancel => return FieldEvent::Cancel,
            Action::CursorLeft => self.cursor = self.cursor.saturating_sub(1),
            Action::CursorRight => self.cursor = (self.cursor + 1).min(self.len()),
            Action::CursorHome => self.cursor = 0,
            Action::CursorEnd => self.cursor = self.len(),
            Action::DeleteBack if self.cursor > 0 => {
                self.cursor -= 1;
                let at = self.byte(self.cursor);
                self.text.remove(at);
            }
            Action::DeleteForward if self.cursor < self.len() => {
                let at = self.byte(self.cursor);
                self.text.remove(at);
            }
            Action::ClearField => {
                self.text.clear();
                self.cursor = 0;
            }
            _ => {}
        }
        if self.text != before {
            self.error = None;
        }
        FieldEvent::Editing
    }

    /// Prompt, text with the cursor, and the error if there is one: for a
    /// pane's title or a dialog's row.
    pub fn spans(&self) -> Vec<Span<'static>> {
        let at = self.byte(self.cursor);
        let mut spans = vec![
            Span::raw(self.prompt.clone()),
            Span::raw(self.text[..at].to_string()),
            Span::styled(CURSOR, Style::default().fg(Color::Cyan)),
            Span::raw(self.text[at..].to_string()),
        ];
        if let Some(e) = &self.error {
            spans.push(Span::styled(
                format!(" error: {e}"),
                Style::default().fg(Color::Red),
            ));
        }
        spans
    }

    /// The field on a line of its own.
    pub fn render(&self, f: &mut Frame, area: Rect) {
        f.render_widget(Paragraph::new(Line::from(self.spans())), area);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(f: &TextField) -> String {
        f.spans().iter().map(|s| s.content.as_ref()).collect()
    }

    fn typed(f: &mut TextField, s: &str) {
        s.chars().for_each(|c| f.insert(c));
    }

    #[test]
    fn opens_prefilled_with_the_cursor_at_the_end() {
        let f = TextField::new("name: ", "v1");
        assert_eq!((f.text(), f.cursor()), ("v1", 2));
        assert_eq!(shown(&f), "name: v1▏");
        assert_eq!(shown(&TextField::new("/", "")), "/▏");
    }

    #[test]
    fn inserts_and_deletes_at_the_cursor() {
        let mut f = TextField::new("", "acd");
        f.handle(Action::CursorHome);
        f.handle(Action::CursorRight);
        f.insert('b');
        assert_eq!((f.text(), f.cursor()), ("abcd", 2));
        assert_eq!(shown(&f), "ab▏cd");
        f.handle(Action::DeleteBack);
        assert_eq!((f.text(), f.cursor()), ("acd", 1));
        f.handle(Action::DeleteForward);
        assert_eq!((f.text(), f.cursor()), ("ad", 1));
        f.handle(Action::CursorEnd);
        f.handle(Action::DeleteForward);
        f.handle(Action::CursorRight);
        assert_eq!((f.text(), f.cursor()), ("ad", 2));
        f.handle(Action::CursorHome);
        f.handle(Action::DeleteBack);
        f.handle(Action::CursorLeft);
        assert_eq!((f.text(), f.cursor()), ("ad", 0));
    }

    #[test]
    fn multibyte_text_moves_by_characters() {
        let mut f = TextField::new("", "µs→");
        f.handle(Action::CursorLeft);
        f.insert('x');
        assert_eq!(f.text(), "µsx→");
        f.handle(Action::CursorHome);
        f.handle(Action::DeleteForward);
        assert_eq!(f.text(), "sx→");
    }

    #[test]
    fn ctrl_u_clears_enter_accepts_esc_cancels() {
        let mut f = TextField::new("", "old");
        f.handle(Action::ClearField);
        assert_eq!((f.text(), f.cursor()), ("", 0));
        typed(&mut f, "new");
        assert_eq!(f.handle(Action::Accept), FieldEvent::Accept("new".into()));
        assert_eq!(f.handle(Action::Cancel), FieldEvent::Cancel);
        assert_eq!(f.handle(Action::Up), FieldEvent::Editing);
    }

    #[test]
    fn an_error_shows_until_the_text_changes() {
        let mut f = TextField::new("go to: ", "x");
        f.error = Some("not an index".into());
        assert_eq!(shown(&f), "go to: x▏ error: not an index");
        f.handle(Action::CursorLeft);
        assert!(f.error.is_some(), "moving keeps the error");
        f.insert('1');
        assert_eq!(f.error, None);
    }
}
