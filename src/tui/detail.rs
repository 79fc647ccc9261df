//! Popups over the array: the cell detail view (Enter on a cell: the whole
//! value, wrapped and scrolling, its index and dtype, in diff mode A's
//! value) and the copy chooser (Y: the value, the path with its index, or
//! a `vh5 cat` command, to the clipboard through OSC 52).

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::array::{escape, ArrayPane};
use super::component::Effect;
use super::keymap::Action;
use super::popup::Scroll;
use crate::engine::Value;

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

    /// Enter on a cell: its whole value, index and dtype; in diff mode
    /// (`sides`: A and B), when B is shown, A's value too.
    pub fn for_cell(a: &ArrayPane, sides: Option<(&str, &str)>) -> Option<DetailPopup> {
        let (m, path) = (a.meta.as_ref()?, a.cell_path()?);
        let [r, c] = a.cursor;
        let version = a.version.clone().unwrap_or_default();
        let mut lines = vec![
            row("cell", path.clone()),
            row("version", version.clone()),
            row("dtype", format!("{}  {}", m.dtype, m.dtype.numpy())),
        ];
        let value = a.value_at(r, c);
        lines.extend(value_lines("value", value.as_ref(), a));
        if let Some((mark, _)) = sides.filter(|(_, b)| *b == version) {
            match a.diff_at(r, c) {
                Some((changed, other)) => {
                    let state = if changed { "changed" } else { "same" };
                    lines.push(row("diff", format!("{state} ({mark} → {version})")));
                    let label = format!("A ({mark})");
                    match other {
                        Some(v) => lines.extend(value_lines(&label, Some(&v), a)),
                        None => lines.push(row(&label, "(absent: the cell is new in B)")),
                    }
                }
                None => lines.push(row("diff", "not compared yet")),
            }
        }
        Some(DetailPopup::new(path, lines))
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
    /// `Y` in the array: what to copy for the cell under the cursor; the
    /// command names the version unless the file is a plain one.
    pub fn for_cell(a: &ArrayPane, file: &str, plain: bool) -> Option<CopyPopup> {
        let path = a.cell_path()?;
        let [r, c] = a.cursor;
        let value = a
            .value_at(r, c)
            .map(|v| a.format_value(&v))
            .unwrap_or_default();
        let version = match (&a.version, plain) {
            (Some(v), false) => format!(" --version {}", shell_quote(v)),
            _ => String::new(),
        };
        let command = format!(
            "vh5 cat {}{version} {}",
            shell_quote(file),
            shell_quote(&path)
        );
        Some(CopyPopup {
            value,
            path,
            command,
        })
    }

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

/// A value's rows in the detail view: the whole text (strings escaped,
/// with their length), a record's fields one per row.
fn value_lines(label: &str, value: Option<&Value>, a: &ArrayPane) -> Vec<Line<'static>> {
    match value {
        None => vec![row(label, "(not read yet)")],
        Some(Value::Record(fields)) => {
            let mut out = vec![row(label, "")];
            for (name, v) in fields {
                out.push(Line::from(vec![
                    Span::styled(format!("  {name} = "), Style::default().fg(Color::Yellow)),
                    Span::raw(escape_value(v, a)),
                ]));
            }
            out
        }
        Some(v @ (Value::Str(_) | Value::Bytes(_))) => {
            let text = a.format_value(v);
            vec![
                row(label, escape(&text)),
                row("", format!("({} characters)", text.chars().count())),
            ]
        }
        Some(v) => vec![row(label, a.format_value(v))],
    }
}

fn escape_value(v: &Value, a: &ArrayPane) -> String {
    match v {
        Value::Str(_) | Value::Bytes(_) => escape(&a.format_value(v)),
        other => a.format_value(other),
    }
}

/// Quoted for a POSIX shell when it needs to be.
fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:@,".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
