//! Diff mode: the user marks a version A (`m`) and selects another, B;
//! the diff between them colours the tree, fills the metadata pane's
//! changes and, for a changed dataset, marks the array's changed cells
//! (a mask per page), counts them per plane ("k of N") and steps through
//! them (`n` / `N`). It spans the panes, so it lives with `App`: the
//! requests it asks and the answers it takes.

use super::app::App;
use super::cells::{Found, Plane};
use super::worker::Request;
use crate::engine::diff::{Change, VersionDiff};

/// The status while a found cell's rank waits for the counts.
const COUNTING: &str = "changed cell (still counting them)";

impl App {
    /// Diff mode's versions: A (marked) and B (selected), once their diff
    /// has arrived.
    pub(super) fn diff_sides(&self) -> Option<(&str, &str)> {
        let (d, a) = (self.diff.as_ref()?, self.timeline.mark.as_ref()?);
        Some((a, &d.b))
    }

    /// `m`: marks the selected version as A (again: unmarks it).
    pub(super) fn toggle_mark(&mut self) {
        let Some(name) = self.timeline.selected_name().map(String::from) else {
            return;
        };
        self.timeline.mark = if self.timeline.mark.as_deref() == Some(&name) {
            None
        } else {
            Some(name.clone())
        };
        self.status = Some((
            match &self.timeline.mark {
                Some(a) => format!("marked {a} as A: select another version to diff"),
                None => "diff mode off".into(),
            },
            false,
        ));
        self.version_changed();
    }

    /// Esc: diff mode off.
    pub(super) fn leave_diff(&mut self) {
        self.timeline.mark = None;
        self.version_changed();
    }

    /// How the selected node changed from A to B, in diff mode.
    pub(super) fn node_change(&self) -> Option<Change> {
        let path = self.tree.selected_path()?;
        self.diff
            .as_ref()?
            .modified
            .iter()
            .find(|c| c.path() == path)
            .cloned()
    }

    /// Diff mode, a changed dataset shown: count its changed cells in the
    /// shown plane (in the background), for "k of N".
    pub(super) fn want_counts(&mut self) {
        let Some(Change::Dataset(_)) = self.node_change() else {
            return;
        };
        let (Some(d), Some(a), Some(m)) = (&self.diff, &self.timeline.mark, &self.array.meta)
        else {
            return;
        };
        if self.array.version.as_ref() != Some(&d.b) {
            return;
        }
        let want = (d.b.clone(), m.path.clone(), self.array.plane());
        if self.counting.as_ref() == Some(&want) {
            return;
        }
        self.array.counts = None;
        self.request(Request::CountChanges {
            a: a.clone(),
            b: want.0.clone(),
            path: want.1.clone(),
            plane: want.2.clone(),
        });
        self.counting = Some(want);
    }

    /// Diff mode, a changed dataset's page shown: ask which of its cells
    /// changed and A's values there.
    pub(super) fn want_mask(&mut self) {
        let (Some(d), Some(page)) = (&self.diff, &self.array.page) else {
            return;
        };
        let Some(a) = self.timeline.mark.clone() else {
            return;
        };
        if page.key.version != d.b || self.node_change().is_none() {
            return;
        }
        let Some(sel) = self.array.selection(page.start, page.count) else {
            return;
        };
        let start = sel.axes.iter().map(|x| x.start).collect();
        let count = sel.axes.iter().map(|x| x.count).collect();
        self.request(Request::Mask {
            a,
            b: d.b.clone(),
            path: page.key.path.clone(),
            start,
            count,
        });
    }

    /// `n` / `N` in the array: asks the worker for the next changed cell.
    pub(super) fn find_change(&mut self, forward: bool) {
        let (Some(d), Some(a)) = (&self.diff, &self.timeline.mark) else {
            self.status = Some((
                "n / N: in diff mode (m marks a version A; select another as B)".into(),
                false,
            ));
            return;
        };
        let Some(m) = &self.array.meta else { return };
        let path = m.path.clone();
        if self.array.removed_in.is_some() || d.added.iter().any(|n| n.path == path) {
            let side = if d.added.iter().any(|n| n.path == path) {
                "new in B: every cell is new"
            } else {
                "removed in B"
            };
            self.status = Some((format!("{path} is {side}"), false));
            return;
        }
        if !matches!(self.node_change(), Some(Change::Dataset(_))) {
            self.status = Some((format!("{path} did not change from {a} to {}", d.b), false));
            return;
        }
        let req = Request::FindChange {
            a: a.clone(),
            b: d.b.clone(),
            path,
            plane: self.array.plane(),
            from: self.array.cursor,
            forward,
        };
        self.request(req);
    }

    /// The diff of A and B arrived: kept if B is still the version shown.
    pub(super) fn diff_arrived(&mut self, d: VersionDiff) {
        let shown = self.timeline.selected_name().map(String::from);
        if shown.as_deref() == Some(d.b.as_str()) {
            self.tree.set_diff(Some(&d));
            self.diff = Some(d);
            self.meta.change = self.node_change();
            self.want_counts();
            self.want_mask();
        }
    }

    /// The next (or previous) changed cell arrived: the cursor goes there
    /// if the same plane of the same dataset is still shown.
    pub(super) fn change_found(
        &mut self,
        path: String,
        plane: Plane,
        forward: bool,
        found: Option<Found>,
    ) {
        let here =
            self.array.meta.as_ref().map(|m| &m.path) == Some(&path) && self.array.plane() == plane;
        if !here {
            return;
        }
        let dir = if forward { "next" } else { "previous" };
        self.status = Some(match found {
            Some(found) => {
                self.array.move_to(found.cell);
                self.want_page();
                let rank = match self.array.rank_text(&found) {
                    Some(r) => r,
                    None => {
                        // Said again when the counts arrive.
                        self.counting_for = Some(found.clone());
                        COUNTING.into()
                    }
                };
                (rank, false)
            }
            None => (format!("no {dir} changed cell"), false),
        });
    }

    /// A plane's changed-cell counts arrived: kept if they are the ones
    /// asked for last.
    pub(super) fn changes_counted(
        &mut self,
        path: String,
        plane: Plane,
        counts: Vec<(usize, usize)>,
    ) {
        let b = self.diff.as_ref().map(|d| d.b.clone());
        if self.counting.as_ref().map(|(v, p, pl)| (Some(v), p, pl))
            == Some((b.as_ref(), &path, &plane))
        {
            self.array.counts = Some((path, plane, counts));
            // A found cell's "k of N" waited for these counts.
            if let Some(found) = self.counting_for.take() {
                let waiting = self.status.as_ref().is_some_and(|(m, _)| m == COUNTING);
                if waiting && self.array.cursor == found.cell {
                    if let Some(rank) = self.array.rank_text(&found) {
                        self.status = Some((rank, false));
                    }
                }
            }
        }
    }
}
