//! The array pane's blame layer (`b`): every cell coloured by the version
//! that last wrote its chunk, the cursor chunk's writer on the status
//! line, and `B` to select that version in the timeline. The worker
//! computes the blame (`Request::Blame`, a background scan that gives way
//! to navigation); the layer shows it while it matches the dataset and
//! version on screen.

use std::sync::Arc;

use ratatui::style::{Color, Style};

use super::component::Effect;
use crate::engine::blame::Blame;
use crate::engine::Version;

/// Background colours of writers, cycled by the writer's row in the
/// timeline (dark enough for light text on every terminal palette).
const PALETTE: [Color; 8] = [
    Color::Rgb(31, 73, 125),
    Color::Rgb(110, 50, 40),
    Color::Rgb(40, 100, 60),
    Color::Rgb(100, 60, 110),
    Color::Rgb(120, 95, 20),
    Color::Rgb(25, 100, 105),
    Color::Rgb(115, 45, 80),
    Color::Rgb(70, 80, 45),
];

/// Who wrote a chunk, as the layer knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer<'a> {
    /// The version, and its index in the blame's ancestry.
    Version(&'a Version, usize),
    /// The chunk reads as the fill value.
    Never,
}

#[derive(Debug, Default)]
pub struct BlameLayer {
    pub on: bool,
    shown: Option<Arc<Blame>>,
    /// Per entry of the blame's ancestry: the version's row in the
    /// timeline, which picks its colour.
    rows: Vec<usize>,
}

impl BlameLayer {
    /// `b`: on / off.
    pub fn toggle(&mut self) -> Effect {
        self.on = !self.on;
        let text = match self.on {
            true => "blame on: colour = the chunk's writer; B selects it",
            false => "blame off",
        };
        Effect::Status(text.into(), false)
    }

    /// Whether the blame of this dataset in this version is on screen.
    pub fn covers(&self, version: &str, path: &str) -> bool {
        self.shown
            .as_ref()
            .is_some_and(|b| b.version.name == version && b.path == path)
    }

    /// Whether the layer needs the blame of this dataset in this version.
    pub fn wants(&self, version: &str, path: &str) -> bool {
        self.on && !self.covers(version, path)
    }

    /// A blame arrived; `row_of` names each version's row in the timeline.
    pub fn set(&mut self, blame: Arc<Blame>, row_of: impl Fn(&str) -> Option<usize>) {
        self.rows = blame
            .ancestry
            .iter()
            .enumerate()
            .map(|(i, v)| row_of(&v.name).unwrap_or(i))
            .collect();
        self.shown = Some(blame);
    }

    /// Forgets the blame shown (the file changed).
    pub fn forget(&mut self) {
        self.shown = None;
    }

    /// The writer of the chunk holding `cell` of the dataset shown, `None`
    /// while the layer is off or its blame is not here yet.
    pub fn writer(&self, version: &str, path: &str, cell: &[usize]) -> Option<Writer<'_>> {
        if !self.on || !self.covers(version, path) {
            return None;
        }
        let blame = self.shown.as_ref()?;
        let k = blame.chunk_of(cell)?;
        Some(match blame.writer_index(k) {
            Some(i) => Writer::Version(&blame.ancestry[i], i),
            None => Writer::Never,
        })
    }

    /// The cell's background: its writer's colour.
    pub fn style(&self, version: &str, path: &str, cell: &[usize]) -> Style {
        let Some(Writer::Version(_, i)) = self.writer(version, path, cell) else {
            return Style::default();
        };
        let row = self.rows.get(i).copied().unwrap_or(i);
        Style::default()
            .bg(PALETTE[row % PALETTE.len()])
            .fg(Color::White)
    }

    /// The status line's note for the cursor's chunk.
    pub fn note(&self, version: &str, path: &str, cell: &[usize]) -> Option<String> {
        Some(match self.writer(version, path, cell)? {
            Writer::Version(v, _) => format!(
                "[chunk by {} {}] ",
                v.name,
                v.timestamp_iso().unwrap_or_else(|| "-".into())
            ),
            Writer::Never => "[chunk never written: fill value] ".into(),
        })
    }

    /// What the title says while the layer is on.
    pub fn title_note(&self, version: &str, path: &str) -> Option<&'static str> {
        match (self.on, self.covers(version, path)) {
            (false, _) => None,
            (true, true) => Some("blame "),
            (true, false) => Some("blame… "),
        }
    }
}
