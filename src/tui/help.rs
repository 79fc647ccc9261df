//! The `?` overlay: every binding of the keymap table, grouped by context,
//! generated from the table (so it cannot drift from the keys), scrolling
//! when it does not fit.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::component::Effect;
use super::keymap::{self, Action, Context, DESCRIPTION_WIDTH};

/// Width of the keys column.
const KEYS_WIDTH: usize = 22;

#[derive(Debug, Default)]
pub struct HelpPopup {
    /// First line shown.
    pub scroll: usize,
    /// Lines that fit, from the last render.
    height: usize,
}

/// The overlay's text: a heading per context, its bindings, its notes.
pub fn lines() -> Vec<Line<'static>> {
    let row = |keys: String, what: &str| {
        Line::from(vec![
            Span::styled(
                format!("  {keys:<w$}", w = KEYS_WIDTH - 2),
                Style::default().fg(Color::Cyan),
            ),
            Span::raw(what.to_string()),
        ])
    };
    let mut out = Vec::new();
    for c in Context::ALL {
        if !out.is_empty() {
            out.push(Line::from(""));
        }
        out.push(Line::from(Span::styled(
            c.title(),
            Style::default().add_modifier(Modifier::BOLD),
        )));
        for b in keymap::of(c) {
            out.push(row(b.keys_label(), b.description));
        }
        for (keys, what) in c.notes() {
            out.push(row(keys.to_string(), what));
        }
    }
    out
}

impl HelpPopup {
    fn max_scroll(&self) -> usize {
        lines().len().saturating_sub(self.height.max(1))
    }

    fn scroll_by(&mut self, delta: isize) {
        self.scroll = (self.scroll as isize + delta).clamp(0, self.max_scroll() as isize) as usize;
    }

    /// The `Help` context's actions.
    pub fn handle(&mut self, action: Action) -> Effect {
        let page = self.height.max(1) as isize;
        match action {
            Action::Up => self.scroll_by(-1),
            Action::Down => self.scroll_by(1),
            Action::PageUp => self.scroll_by(-page),
            Action::PageDown => self.scroll_by(page),
            Action::First => self.scroll = 0,
            Action::Last => self.scroll = self.max_scroll(),
            Action::Close => return Effect::Close,
            _ => {}
        }
        Effect::None
    }

    /// Centred in `area`, as tall as the lines need and `area` allows
    /// (keeping a row of the panes visible above and below).
    pub fn render(&mut self, f: &mut Frame, area: Rect) {
        let lines = lines();
        let width = ((KEYS_WIDTH + DESCRIPTION_WIDTH + 2) as u16).min(area.width);
        let height =
            (lines.len() as u16 + 2).min(area.height.saturating_sub(2).max(3).min(area.height));
        let popup = Rect::new(
            area.x + (area.width - width) / 2,
            area.y + (area.height - height) / 2,
            width,
            height,
        );
        self.height = height.saturating_sub(2) as usize;
        self.scroll = self.scroll.min(self.max_scroll());
        let total = lines.len();
        let last = (self.scroll + self.height).min(total);
        let title = if self.height >= total {
            " Keys (Esc closes) ".to_string()
        } else {
            format!(
                " Keys {}–{last} of {total} (↓ ↑ PgDn PgUp scroll, Esc closes) ",
                self.scroll + 1
            )
        };
        f.render_widget(Clear, popup);
        f.render_widget(
            Paragraph::new(lines)
                .scroll((self.scroll as u16, 0))
                .block(Block::default().borders(Borders::ALL).title(title)),
            popup,
        );
    }
}
