//! Where the panes go: the timeline, tree and metadata side by side over
//! the array, or (zoomed) the focused pane alone. `App` keeps the last
//! render's rectangles to find the pane under a mouse click.

use ratatui::layout::{Constraint, Direction, Layout, Position, Rect};

use super::component::Pane;

/// Where each pane was drawn; an empty rectangle is a pane not shown.
#[derive(Debug, Clone, Copy, Default)]
pub struct Areas {
    pub timeline: Rect,
    pub tree: Rect,
    pub meta: Rect,
    pub array: Rect,
}

impl Areas {
    /// The panes over `main`: the usual layout, or (zoomed) the focused
    /// pane over all of it and the others nowhere.
    pub fn of(main: Rect, zoom: bool, focus: Pane) -> Areas {
        if zoom {
            let only = |pane| if pane == focus { main } else { Rect::default() };
            return Areas {
                timeline: only(Pane::Timeline),
                tree: only(Pane::Tree),
                meta: only(Pane::Meta),
                array: only(Pane::Array),
            };
        }
        // A short terminal gives the array (the values) the larger share.
        let top_height = if main.height < 30 {
            main.height * 2 / 5
        } else {
            main.height / 2
        };
        let [top, bottom] =
            Layout::vertical([Constraint::Length(top_height), Constraint::Min(3)]).areas(main);
        let percents = if main.width >= 120 {
            [34, 33, 33]
        } else {
            [40, 30, 30]
        };
        let cols = Layout::default()
            .direction(Direction::Horizontal)
            .constraints(percents.map(Constraint::Percentage))
            .split(top);
        Areas {
            timeline: cols[0],
            tree: cols[1],
            meta: cols[2],
            array: bottom,
        }
    }

    pub fn get(&self, pane: Pane) -> Rect {
        match pane {
            Pane::Timeline => self.timeline,
            Pane::Tree => self.tree,
            Pane::Meta => self.meta,
            Pane::Array => self.array,
        }
    }

    /// The pane drawn at a point, if any.
    pub fn pane_at(&self, at: Position) -> Option<Pane> {
        Pane::ALL.into_iter().find(|&p| self.get(p).contains(at))
    }
}
