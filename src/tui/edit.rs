//! The editing popups: the pending-changes list (`P`), yes / no questions,
//! the commit dialog (`c`) and the progress of a write. Each turns its keys
//! into an `Effect`; the commands go to the worker through `App`.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Gauge, Paragraph, Wrap};
use ratatui::Frame;

use super::component::Effect;
use super::detail::centred;
use super::field::{FieldEvent, TextField};
use super::keymap::Action;
use super::worker::Command;
use crate::engine::edit::PendingRow;
use crate::engine::session::DeletePlan;

/// What a confirm dialog asks about.
#[derive(Debug, Clone, PartialEq)]
pub enum Ask {
    DiscardAll,
    Quit,
    /// Delete these versions.
    Delete(Vec<String>),
    /// Rewrite a dataset's metadata in every version.
    Modify(String, crate::engine::replay::MetadataChange),
}

impl Ask {
    /// What saying yes does.
    fn yes(&self) -> Effect {
        let command = match self.clone() {
            Ask::Quit => return Effect::Quit,
            Ask::DiscardAll => Command::DiscardAll,
            Ask::Delete(versions) => Command::DeleteVersions { versions },
            Ask::Modify(path, change) => Command::ModifyMetadata { path, change },
        };
        Effect::Command(Box::new(command))
    }
}

/// `P`: every staged edit, one row each.
#[derive(Debug, Default)]
pub struct PendingPopup {
    pub selected: usize,
}

impl PendingPopup {
    pub fn handle(&mut self, action: Action, rows: &[PendingRow]) -> Effect {
        let last = rows.len().saturating_sub(1);
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::First => self.selected = 0,
            Action::Last => self.selected = last,
            Action::Discard => {
                return match rows.get(self.selected) {
                    Some(r) => Effect::Command(Box::new(Command::Discard(r.id))),
                    None => Effect::Status("nothing is staged".into(), false),
                }
            }
            Action::DiscardAll if !rows.is_empty() => {
                return Effect::Ask(ConfirmPopup::new(
                    Ask::DiscardAll,
                    "Discard every staged edit?",
                    vec![format!(
                        "{} staged edit(s) are dropped; this cannot be undone.",
                        rows.len()
                    )],
                ))
            }
            Action::Close => return Effect::Close,
            _ => {}
        }
        Effect::None
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect, rows: &[PendingRow], base: Option<&str>) {
        self.selected = self.selected.min(rows.len().saturating_sub(1));
        let height = (rows.len() as u16 + 4).clamp(5, area.height.max(5));
        let popup = centred(area, (area.width * 9 / 10).max(40), height);
        let dim = Style::default().fg(Color::DarkGray);
        let mut lines: Vec<Line> = Vec::new();
        if rows.is_empty() {
            lines.push(Line::styled("nothing is staged", dim));
        }
        let view = popup.height.saturating_sub(2) as usize;
        let top = (self.selected + 1).saturating_sub(view.max(1));
        for (i, r) in rows.iter().enumerate().skip(top).take(view) {
            let mut style = Style::default();
            if i == self.selected {
                style = style.add_modifier(Modifier::REVERSED);
            }
            lines.push(Line::from(vec![
                Span::styled(format!("{} ", r.path), style.fg(Color::Cyan)),
                Span::styled(format!("{}: ", r.what), style),
                Span::styled(r.before.clone(), style.fg(Color::Red)),
                Span::styled(" → ", style),
                Span::styled(r.after.clone(), style.fg(Color::Magenta)),
            ]));
        }
        let title = format!(
            " Pending changes on {} ({}) — d discards, D all, Esc closes ",
            base.unwrap_or("-"),
            rows.len()
        );
        f.render_widget(Clear, popup);
        f.render_widget(
            Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(title)),
            popup,
        );
    }
}

/// A yes / no question.
#[derive(Debug)]
pub struct ConfirmPopup {
    pub ask: Ask,
    pub title: String,
    pub lines: Vec<String>,
}

impl ConfirmPopup {
    pub fn new(ask: Ask, title: impl Into<String>, lines: Vec<String>) -> ConfirmPopup {
        ConfirmPopup {
            ask,
            title: title.into(),
            lines,
        }
    }

    /// `q` with edits staged: quitting drops them.
    pub fn quit(staged: usize) -> ConfirmPopup {
        let lines = vec![format!(
            "{staged} edit(s) are staged and not committed; quitting drops them."
        )];
        ConfirmPopup::new(Ask::Quit, "Quit?", lines)
    }

    /// The delete plan arrived: ask, naming the versions and what goes.
    pub fn delete(plan: &DeletePlan) -> ConfirmPopup {
        let mut lines = vec![
            format!("Delete {}?", plan.versions.join(", ")),
            format!(
                "This frees {} chunk(s): {} of data, uncompressed.",
                plan.chunks_freed,
                crate::engine::stats::human_bytes(plan.bytes_freed),
            ),
        ];
        lines.push(match &plan.current_after {
            Some(c) => format!("The current version afterwards: {c}."),
            None => "No version is current afterwards.".into(),
        });
        let title = format!("Delete {} version(s)", plan.versions.len());
        ConfirmPopup::new(Ask::Delete(plan.versions.clone()), title, lines)
    }

    pub fn handle(&mut self, action: Action) -> Effect {
        match action {
            Action::Yes => Effect::All(vec![Effect::Close, self.ask.yes()]),
            Action::No => Effect::Close,
            _ => Effect::None,
        }
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect) {
        let mut lines: Vec<Line> = self.lines.iter().map(|l| Line::raw(l.clone())).collect();
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "y / Enter: yes    n / Esc: no",
            Style::default().fg(Color::Cyan),
        ));
        let popup = centred(area, (area.width * 3 / 4).max(40), lines.len() as u16 + 2);
        f.render_widget(Clear, popup);
        f.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(format!(" {} ", self.title)),
            ),
            popup,
        );
    }
}

/// `c`: name, parent, make current, timestamp.
#[derive(Debug)]
pub struct CommitPopup {
    pub name: TextField,
    pub parent: String,
    pub make_current: bool,
    pub timestamp: TextField,
    /// 0 name, 1 make current, 2 timestamp.
    pub focus: usize,
    pub count: usize,
}

impl CommitPopup {
    pub fn new(suggestion: &str, parent: &str, count: usize) -> CommitPopup {
        CommitPopup {
            name: TextField::new("", suggestion),
            parent: parent.to_string(),
            make_current: true,
            timestamp: TextField::new("", ""),
            focus: 0,
            count,
        }
    }

    fn text_field(&mut self) -> Option<&mut TextField> {
        match self.focus {
            0 => Some(&mut self.name),
            2 => Some(&mut self.timestamp),
            _ => None,
        }
    }

    /// A typed character goes to the focused text field.
    pub fn insert(&mut self, c: char) {
        if let Some(f) = self.text_field() {
            f.insert(c);
        }
    }

    pub fn handle(&mut self, action: Action) -> Effect {
        match action {
            Action::NextField => self.focus = (self.focus + 1) % 3,
            Action::PrevField => self.focus = (self.focus + 2) % 3,
            Action::Toggle => match self.text_field() {
                Some(f) => f.insert(' '),
                None => self.make_current = !self.make_current,
            },
            Action::Cancel => {
                return Effect::All(vec![
                    Effect::Close,
                    Effect::Status("commit cancelled: the edits stay staged".into(), false),
                ])
            }
            Action::Accept => return self.accept(),
            other => {
                if let Some(f) = self.text_field() {
                    if let FieldEvent::Accept(_) = f.handle(other) {
                        return self.accept();
                    }
                }
            }
        }
        Effect::None
    }

    fn accept(&mut self) -> Effect {
        let name = self.name.text().trim().to_string();
        if name.is_empty() {
            self.focus = 0;
            self.name.error = Some("give the new version a name".into());
            return Effect::None;
        }
        let ts = self.timestamp.text().trim().to_string();
        let timestamp = if ts.is_empty() {
            None
        } else {
            match crate::engine::versions::parse_query_timestamp(&ts) {
                Ok(t) => Some(t),
                Err(e) => {
                    self.focus = 2;
                    self.timestamp.error = Some(e.message);
                    return Effect::None;
                }
            }
        };
        Effect::All(vec![
            Effect::Close,
            Effect::Command(Box::new(Command::Commit {
                name,
                make_current: self.make_current,
                timestamp,
            })),
        ])
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect) {
        let popup = centred(area, (area.width * 3 / 4).max(50), 9);
        let label = |i: usize, text: &str| {
            let mut st = Style::default().fg(Color::Yellow);
            if i == self.focus {
                st = st.add_modifier(Modifier::BOLD | Modifier::REVERSED);
            }
            Span::styled(format!("{text:>13} "), st)
        };
        let field_spans = |i: usize, field: &TextField| -> Vec<Span<'static>> {
            if i == self.focus {
                field.spans()
            } else {
                let mut v = vec![Span::raw(field.text().to_string())];
                if let Some(e) = &field.error {
                    v.push(Span::styled(
                        format!("  {e}"),
                        Style::default().fg(Color::Red),
                    ));
                }
                v
            }
        };
        let mut name = vec![label(0, "name")];
        name.extend(field_spans(0, &self.name));
        let mut ts = vec![label(2, "timestamp")];
        ts.extend(field_spans(2, &self.timestamp));
        if self.timestamp.text().is_empty() && self.focus != 2 {
            ts.push(Span::styled(
                "(empty: now)",
                Style::default().fg(Color::DarkGray),
            ));
        }
        let lines = vec![
            name,
            vec![
                Span::styled(
                    format!("{:>13} ", "parent"),
                    Style::default().fg(Color::Yellow),
                ),
                Span::raw(self.parent.clone()),
            ],
            vec![
                label(1, "make current"),
                Span::raw(if self.make_current {
                    "[x] yes"
                } else {
                    "[ ] no"
                }),
            ],
            ts,
            vec![],
            vec![Span::styled(
                "Tab: next field  Space: toggle  Enter: commit  Esc: close (edits stay)",
                Style::default().fg(Color::Cyan),
            )],
        ];
        let lines: Vec<Line> = lines.into_iter().map(Line::from).collect();
        f.render_widget(Clear, popup);
        f.render_widget(
            Paragraph::new(lines).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(format!(" Commit {} staged edit(s) ", self.count)),
            ),
            popup,
        );
    }
}

/// A write in progress.
#[derive(Debug)]
pub struct ProgressPopup {
    pub title: String,
    pub fraction: f64,
    pub text: String,
}

impl ProgressPopup {
    /// The popup a command shows while it runs: the writes that take a
    /// while (and can be cancelled) have one, staging does not.
    pub fn for_command(cmd: &Command) -> Option<ProgressPopup> {
        let title = match cmd {
            Command::Commit { name, .. } => format!("Committing {name}"),
            Command::DeleteVersions { versions } => format!("Deleting {}", versions.join(", ")),
            Command::ModifyMetadata { path, .. } => format!("Modifying {path}"),
            _ => return None,
        };
        Some(ProgressPopup {
            title,
            fraction: 0.0,
            text: "starting…".into(),
        })
    }

    pub fn handle(&mut self, action: Action) -> Effect {
        match action {
            Action::Cancel => Effect::CancelCommand,
            _ => Effect::None,
        }
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect) {
        let popup = centred(area, (area.width * 3 / 4).max(40), 5);
        f.render_widget(Clear, popup);
        let block = Block::default()
            .borders(Borders::ALL)
            .title(format!(" {} — Esc cancels ", self.title));
        let inner = block.inner(popup);
        f.render_widget(block, popup);
        let [bar, text] = ratatui::layout::Layout::vertical([
            ratatui::layout::Constraint::Length(1),
            ratatui::layout::Constraint::Length(1),
        ])
        .areas(inner);
        f.render_widget(
            Gauge::default()
                .gauge_style(Style::default().fg(Color::Green))
                .ratio(self.fraction.clamp(0.0, 1.0)),
            bar,
        );
        f.render_widget(Paragraph::new(self.text.clone()), text);
    }
}
