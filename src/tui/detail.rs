//! Popups over the array: the cell detail view (Enter on a cell: the whole
//! value, wrapped and scrolling, its index and dtype, in diff mode A's
//! value) and the copy chooser (Y: the value, the path with its index, or
//! a `vh5 cat` command, to the clipboard through OSC 52).

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::component::Effect;
use super::keymap::Action;
use super::popup::Scroll;

/// A box of `width` x `height` centred in `area` (clipped to it).
pub fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let (w, h) = (width.min(area.width), height.min(area.height));
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// One labelled row: the label in cyan, the text after it.
pub fn row(label: &str, text: impl Into<String>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<8} "), Style::default().fg(Color::Cyan)),
        Span::raw(text.into()),
    ])
}

#[derive(Debug, Default)]
pub struct DetailPopup {
    pub title: String,
    pub lines: Vec<Line<'static>>,
    /// Over the wrapped rows.
    pub scroll: Scroll,
}

impl DetailPopup {
    pub fn new(title: String, lines: Vec<Line<'static>>) -> DetailPopup {
        DetailPopup {
            title,
            lines,
            ..Default::default()
        }
    }

    /// The `Detail` context's actions.
    pub fn handle(&mut self, action: Action) -> Effect {
        match action {
            Action::Copy => Effect::OpenCopy,
            Action::Close => Effect::Close,
            other => {
                self.scroll.handle(other);
                Effect::None
            }
        }
    }

    /// Most of `area`; long text wraps, and scrolls when it does not fit.
    pub fn render(&mut self, f: &mut Frame, area: Rect) {
        let width = (area.width * 4 / 5).max(40);
        let inner_w = width.saturating_sub(2).max(1) as usize;
        // Wrapped rows, counted by characters (word wrap may take a few more).
        let rows: usize = self
            .lines
            .iter()
            .map(|l| l.width().max(1).div_ceil(inner_w))
            .sum();
        let height = (rows as u16 + 2).min(area.height.saturating_sub(2).max(3));
        let popup = centred(area, width, height);
        self.scroll
            .fit(popup.height.saturating_sub(2) as usize, rows);
        let Scroll { top, height, .. } = self.scroll;
        let title = if rows > height {
            format!(
                " {} — lines {}–{} of {rows} (↓ ↑ scroll, Esc closes) ",
                self.title,
                top + 1,
                (top + height).min(rows),
            )
        } else {
            format!(" {} (Esc closes, Y copies) ", self.title)
        };
        f.render_widget(Clear, popup);
        f.render_widget(
            Paragraph::new(self.lines.clone())
                .wrap(Wrap { trim: false })
                .scroll((top as u16, 0))
                .block(Block::default().borders(Borders::ALL).title(title)),
            popup,
        );
    }
}

/// What `Y` can copy for one cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyPopup {
    pub value: String,
    /// `/market/prices[17, 3]`
    pub path: String,
    /// `vh5 cat FILE --version V '/market/prices[17, 3]'`
    pub command: String,
}

impl CopyPopup {
    /// The `CopyChoice` context's actions.
    pub fn handle(&mut self, action: Action) -> Effect {
        let (text, what) = match action {
            Action::CopyValue => (
                self.value.clone(),
                format!(
                    "copied the value ({} characters)",
                    self.value.chars().count()
                ),
            ),
            Action::CopyPath => (self.path.clone(), format!("copied {}", self.path)),
            Action::CopyCommand => (self.command.clone(), format!("copied: {}", self.command)),
            Action::Close => return Effect::Close,
            _ => return Effect::None,
        };
        Effect::All(vec![Effect::Close, Effect::Copy(text, what)])
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect) {
        let key = |k: &str| {
            Span::styled(
                format!(" {k}  "),
                Style::default()
                    .fg(Color::Cyan)
                    .add_modifier(Modifier::BOLD),
            )
        };
        let value: String = self.value.chars().take(200).collect();
        let lines = vec![
            Line::from(vec![key("v"), Span::raw("the value: "), Span::raw(value)]),
            Line::from(vec![
                key("p"),
                Span::raw("the path: "),
                Span::raw(self.path.clone()),
            ]),
            Line::from(vec![
                key("c"),
                Span::raw("a command: "),
                Span::raw(self.command.clone()),
            ]),
        ];
        let popup = centred(area, (area.width * 4 / 5).max(40), 7);
        f.render_widget(Clear, popup);
        f.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" Copy to the clipboard (OSC 52) — Esc cancels "),
            ),
            popup,
        );
    }
}
