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
use super::popup::Scroll;

/// Width of the keys column.
const KEYS_WIDTH: usize = 22;

#[derive(Debug, Default)]
pub struct HelpPopup {
    pub scroll: Scroll,
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
    /// The `Help` context's actions.
    pub fn handle(&mut self, action: Action) -> Effect {
        self.scroll.total = lines().len();
        if action == Action::Close {
            return Effect::Close;
        }
        self.scroll.handle(action);
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
        let total = lines.len();
        self.scroll.fit(height.saturating_sub(2) as usize, total);
        let top = self.scroll.top;
        let last = (top + self.scroll.height).min(total);
        let title = if self.scroll.height >= total {
            " Keys (Esc closes) ".to_string()
        } else {
            format!(
                " Keys {}–{last} of {total} (↓ ↑ PgDn PgUp scroll, Esc closes) ",
                top + 1
            )
        };
        f.render_widget(Clear, popup);
        f.render_widget(
            Paragraph::new(lines)
                .scroll((top as u16, 0))
                .block(Block::default().borders(Borders::ALL).title(title)),
            popup,
        );
    }
}
