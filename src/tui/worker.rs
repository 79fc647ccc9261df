//! The worker: owns the session (the open file and the staged edits) and
//! answers off the event loop. Two kinds of work reach it in one channel:
//!
//! * queries (`Request`): of one kind, only the newest runs when several are
//!   queued (the user has moved on), and each answer carries the sequence
//!   number the app checks before using it;
//! * commands (`Command`): stage edits and writes, run in the order sent,
//!   never dropped, before any query still queued. Each reports progress and
//!   ends with one `CommandReply::Done`; a long one can be cancelled before
//!   its point of no return. After a write the file is reopened and a
//!   `Reply::FileChanged` answer tells the app to ask again for what it shows.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::Duration;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use super::array::{AxisLabel, Overview};
use super::cells::{axis_labels, overview, Found, Plane, PlaneChanges};
use chrono::{DateTime, Utc};

use crate::engine::blame::Blame;
use crate::engine::commit::{CommitOptions, CommitSummary};
use crate::engine::diff::{diff_mask, Depth, VersionDiff};
use crate::engine::progress::Cancel;
use crate::engine::progress::{Progress, ProgressFn};
use crate::engine::replay::MetadataChange;
use crate::engine::session::{DeletePlan, Session};
use crate::engine::stage::Stage;
use crate::engine::stats::StorageStats;
use crate::engine::{
    Attr, ChunkMapSummary, DatasetMeta, Edit, EditId, Node, NodeKind, PendingRow, Result,
    Selection, ValueGrid, Version, Vh5File,
};

/// What the app asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Log,
    Tree {
        version: String,
    },
    Meta {
        version: String,
        path: String,
    },
    /// The chunk-map counts scan every version: asked for separately so
    /// the rest of the metadata shows at once.
    ChunkSummary {
        version: String,
        path: String,
    },
    Page {
        version: String,
        path: String,
        sel: Selection,
    },
    Summary {
        version: String,
    },
    Diff {
        a: String,
        b: String,
    },
    Mask {
        a: String,
        b: String,
        path: String,
        start: Vec<usize>,
        count: Vec<usize>,
    },
    /// Diff mode: the next (or previous) changed cell of a plane after a
    /// cell, in C order of the plane's two axes.
    FindChange {
        a: String,
        b: String,
        path: String,
        plane: Plane,
        from: [usize; 2],
        forward: bool,
    },
    /// A 1-D dataset's min / max per pixel column, for the whole plot.
    Overview {
        version: String,
        path: String,
        width: usize,
    },
    /// A dataset's axis names and position labels.
    Labels {
        version: String,
        path: String,
    },
    /// Diff mode: how many cells of a plane changed (per band of chunk
    /// rows), for "k of N".
    CountChanges {
        a: String,
        b: String,
        path: String,
        plane: Plane,
    },
    /// Which version wrote each chunk of a dataset (of the committed
    /// version: staged edits are drawn in their own colour anyway).
    Blame {
        version: String,
        path: String,
    },
    /// Where the file's bytes are (the storage view).
    Storage,
}

impl Request {
    /// History scans run only when no request the user waits for is queued,
    /// and give way to one at their next chunk-map read.
    pub fn is_background(&self) -> bool {
        matches!(
            self,
            Request::ChunkSummary { .. }
                | Request::Summary { .. }
                | Request::CountChanges { .. }
                | Request::Blame { .. }
                | Request::Storage
        )
    }

    /// Whether a running scan should stop for this request: anything the
    /// user waits for, or a newer scan of the same kind.
    fn interrupts(&self) -> bool {
        !self.is_background()
            || matches!(
                self,
                Request::ChunkSummary { .. }
                    | Request::CountChanges { .. }
                    | Request::Blame { .. }
                    | Request::Storage
            )
    }

    /// What the status line says while this is outstanding.
    pub fn doing(&self) -> Option<String> {
        match self {
            Request::ChunkSummary { path, .. } => {
                Some(format!("counting {path}'s chunks in every version"))
            }
            Request::Summary { .. } => Some("summarizing versions".into()),
            Request::CountChanges { path, .. } => Some(format!("counting {path}'s changed cells")),
            Request::Blame { path, .. } => Some(format!("blaming {path}'s chunks")),
            Request::Storage => Some("accounting for the file's storage".into()),
            _ => None,
        }
    }

    /// Requests of the same kind replace each other; summaries are per version.
    pub fn kind(&self) -> String {
        match self {
            Request::Log => "log".into(),
            Request::Tree { .. } => "tree".into(),
            Request::Meta { .. } => "meta".into(),
            Request::ChunkSummary { .. } => "chunk summary".into(),
            Request::Page { .. } => "page".into(),
            Request::Summary { version } => format!("summary:{version}"),
            Request::Diff { .. } => "diff".into(),
            Request::Mask { .. } => "mask".into(),
            Request::FindChange { .. } => "find change".into(),
            Request::Overview { .. } => "overview".into(),
            Request::Labels { .. } => "labels".into(),
            Request::CountChanges { .. } => "count changes".into(),
            Request::Blame { .. } => "blame".into(),
            Request::Storage => "storage".into(),
        }
    }
}

/// Metadata of the selected node.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeInfo {
    Group {
        path: String,
        attrs: Vec<Attr>,
    },
    Dataset {
        meta: Box<DatasetMeta>,
        chunk_map: Option<ChunkMapSummary>,
    },
}

/// The worker's answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Log {
        versions: Vec<Version>,
        current: Option<String>,
    },
    Tree {
        version: String,
        nodes: Vec<Node>,
        dtypes: HashMap<String, String>,
    },
    Meta {
        version: String,
        info: NodeInfo,
    },
    ChunkSummary {
        version: String,
        path: String,
        summary: Option<ChunkMapSummary>,
    },
    Page {
        version: String,
        path: String,
        sel: Selection,
        grid: ValueGrid,
        /// Per cell of `grid`: holds a staged value (empty: nothing staged).
        staged: Vec<bool>,
    },
    Summary {
        version: String,
        text: String,
    },
    Diff(Box<VersionDiff>),
    /// Another program changed the file: it was reopened, and what was
    /// shown should be asked for again.
    FileChanged,
    Mask {
        path: String,
        start: Vec<usize>,
        count: Vec<usize>,
        mask: Vec<bool>,
        other: ValueGrid,
    },
    ChangeFound {
        path: String,
        plane: Plane,
        forward: bool,
        found: Option<Found>,
    },
    ChangeCount {
        path: String,
        plane: Plane,
        counts: Vec<(usize, usize)>,
    },
    Overview(Overview),
    Labels {
        version: String,
        path: String,
        labels: Vec<AxisLabel>,
    },
    Blame(Arc<Blame>),
    Storage(Arc<StorageStats>),
}

/// A numbered answer (or the error that replaced it).
#[derive(Debug)]
pub struct Answer {
    pub seq: u64,
    pub kind: String,
    pub reply: std::result::Result<Reply, String>,
}

/// What the app asks to change: stage edits and writes. Commands run in
/// order and are never dropped.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Stages an edit on `base` (refused while edits are staged on another
    /// version). A restore stages on the current version.
    Apply {
        base: String,
        edit: Edit,
    },
    Undo,
    Discard(EditId),
    DiscardAll,
    /// Commits the staged edits as a new version whose parent is their base.
    Commit {
        name: String,
        make_current: bool,
        /// `None`: now.
        timestamp: Option<DateTime<Utc>>,
    },
    /// What deleting these versions would do (writes nothing).
    PlanDelete {
        versions: Vec<String>,
    },
    DeleteVersions {
        versions: Vec<String>,
    },
    RenameVersion {
        old: String,
        new: String,
    },
    SetCurrent {
        version: String,
    },
    ModifyMetadata {
        path: String,
        change: MetadataChange,
    },
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Staged(PendingRow),
    Undone(Option<PendingRow>),
    Discarded(PendingRow),
    DiscardedAll(usize),
    Committed(CommitSummary),
    DeletePlan(DeletePlan),
    Deleted(Vec<String>),
    Renamed { old: String, new: String },
    CurrentSet(String),
    Modified(String),
}

impl Outcome {
    /// Whether the file was written (the app asks again for what it shows).
    pub fn wrote(&self) -> bool {
        matches!(
            self,
            Outcome::Committed(_)
                | Outcome::Deleted(_)
                | Outcome::Renamed { .. }
                | Outcome::CurrentSet(_)
                | Outcome::Modified(_)
        )
    }

    /// One line for the status bar.
    pub fn message(&self) -> String {
        match self {
            Outcome::Staged(r) => format!("staged: {} {}", r.what, r.path),
            Outcome::Undone(Some(r)) => format!("undone: {} {}", r.what, r.path),
            Outcome::Undone(None) => "nothing to undo".into(),
            Outcome::Discarded(r) => format!("discarded: {} {}", r.what, r.path),
            Outcome::DiscardedAll(n) => format!("discarded {n} staged edit(s)"),
            Outcome::Committed(c) => format!(
                "committed {}: {} chunk(s) written, {} shared, {} deduplicated; {} dataset(s) unchanged",
                c.version.name,
                c.chunks_written,
                c.chunks_shared,
                c.chunks_deduplicated,
                c.datasets_unchanged
            ),
            Outcome::DeletePlan(p) => format!(
                "deleting {} frees {} chunk(s), {} bytes",
                p.versions.join(", "),
                p.chunks_freed,
                p.bytes_freed
            ),
            Outcome::Deleted(v) => format!("deleted {}", v.join(", ")),
            Outcome::Renamed { old, new } => format!("renamed {old} to {new}"),
            Outcome::CurrentSet(v) => format!("current version: {v}"),
            Outcome::Modified(p) => format!("modified {p} in every version"),
        }
    }
}

/// What a command sends back: progress while it runs, then one `Done`.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandReply {
    Progress {
        seq: u64,
        /// 0 to 1.
        fraction: f64,
        text: String,
    },
    Done {
        seq: u64,
        outcome: std::result::Result<Outcome, String>,
        /// The staged edits afterwards, oldest first.
        pending: Vec<PendingRow>,
        /// The version they are based on.
        staged_on: Option<String>,
    },
}

/// Answers requests and runs commands against one file: the same code runs
/// on the worker thread and, synchronously, in tests.
pub struct Service {
    session: Session,
}

impl Service {
    pub fn open(path: &Path) -> Result<Service> {
        Ok(Service {
            session: Session::open(path)?,
        })
    }

    /// The file and the staged edits.
    pub fn session(&self) -> &Session {
        &self.session
    }

    fn file(&self) -> Result<&Vh5File> {
        self.session.file()
    }

    /// Whether the file changed on disk since it was opened here.
    fn stale(&self) -> bool {
        self.session.stale()
    }

    /// Reopens the file if another program changed it; `true` when it did
    /// (everything read before is stale).
    pub fn follow_disk(&mut self) -> bool {
        self.session.follow_disk()
    }

    fn version(&self, name: &str) -> Result<Version> {
        self.file()?
            .resolve_version(Some(&crate::engine::VersionSpec::Name(name.to_string())))
    }

    /// Runs one command; `progress` hears of each step, `cancel` stops a
    /// long write before its point of no return.
    pub fn command(
        &mut self,
        cmd: &Command,
        progress: ProgressFn,
        cancel: Cancel,
    ) -> Result<Outcome> {
        let s = &mut self.session;
        Ok(match cmd {
            Command::Apply { base, edit } => Outcome::Staged(s.apply(base, edit.clone())?),
            Command::Undo => Outcome::Undone(s.undo_last()?),
            Command::Discard(id) => Outcome::Discarded(s.discard(*id)?),
            Command::DiscardAll => Outcome::DiscardedAll(s.discard_all()),
            Command::Commit {
                name,
                make_current,
                timestamp,
            } => {
                let opts = CommitOptions {
                    name: name.clone(),
                    timestamp: *timestamp,
                    make_current: *make_current,
                };
                Outcome::Committed(s.commit(&opts, progress, cancel)?)
            }
            Command::PlanDelete { versions } => {
                Outcome::DeletePlan(s.delete_plan(versions, cancel)?)
            }
            Command::DeleteVersions { versions } => {
                Outcome::Deleted(s.delete_versions(versions, progress, cancel)?)
            }
            Command::RenameVersion { old, new } => {
                s.rename_version(old, new)?;
                Outcome::Renamed {
                    old: old.clone(),
                    new: new.clone(),
                }
            }
            Command::SetCurrent { version } => Outcome::CurrentSet(s.set_current(version)?.name),
            Command::ModifyMetadata { path, change } => {
                s.modify_metadata(path, change, progress, cancel)?;
                Outcome::Modified(path.clone())
            }
        })
    }

    /// The stage reads of `version` go through, if edits are staged on it.
    fn staged(&self, version: &str) -> Option<&Stage> {
        self.session.stage_for(version)
    }

    /// A version's tree as the stage shows it.
    fn staged_tree(
        &self,
        stage: &Stage,
        file: &Vh5File,
    ) -> Result<(Vec<Node>, HashMap<String, String>)> {
        let mut nodes = Vec::new();
        let mut dtypes = HashMap::new();
        for (path, kind) in stage.walk(file)? {
            if kind == NodeKind::Dataset {
                if let Ok((shape, dtype)) = stage.shape_and_dtype(file, &path) {
                    dtypes.insert(path.clone(), format!("{dtype} {shape:?}"));
                }
            }
            nodes.push(Node { path, kind });
        }
        Ok((nodes, dtypes))
    }

    /// Answers one request; `cancel` stops a history scan between two
    /// chunk-map reads (the maps read so far are kept for the rerun).
    pub fn handle(&self, req: &Request, cancel: Cancel) -> Result<Reply> {
        let file = self.file()?;
        Ok(match req {
            Request::Log => {
                let graph = file.graph()?;
                Reply::Log {
                    versions: graph.committed().cloned().collect(),
                    current: file.current_version_name()?,
                }
            }
            Request::Tree { version } if self.staged(version).is_some() => {
                let stage = self.staged(version).expect("checked");
                let (nodes, dtypes) = self.staged_tree(stage, file)?;
                Reply::Tree {
                    version: version.clone(),
                    nodes,
                    dtypes,
                }
            }
            Request::Meta { version, path } if self.staged(version).is_some() => {
                let stage = self.staged(version).expect("checked");
                let info = match stage.lookup(file, path)? {
                    Some(n) if n.kind() == NodeKind::Group => NodeInfo::Group {
                        path: crate::engine::tree::normalize_path(path)?,
                        attrs: stage.attrs(file, path)?,
                    },
                    Some(_) => NodeInfo::Dataset {
                        meta: Box::new(stage.dataset_meta(file, path)?),
                        chunk_map: None,
                    },
                    None => {
                        return Err(crate::engine::Error::bad_input(format!(
                            "no such path {path} in the staged version"
                        )))
                    }
                };
                Reply::Meta {
                    version: version.clone(),
                    info,
                }
            }
            Request::Page { version, path, sel } if self.staged(version).is_some() => {
                let stage = self.staged(version).expect("checked");
                Reply::Page {
                    version: version.clone(),
                    path: path.clone(),
                    sel: sel.clone(),
                    grid: stage.read(file, path, sel)?,
                    staged: stage.staged_cells(path, sel),
                }
            }
            Request::Tree { version } => {
                let v = self.version(version)?;
                let nodes = file.walk(&v, "/")?;
                let mut dtypes = HashMap::new();
                for n in nodes
                    .iter()
                    .filter(|n| n.kind == crate::engine::NodeKind::Dataset)
                {
                    if let Ok(ds) = file.dataset(&v, &n.path) {
                        dtypes.insert(
                            n.path.clone(),
                            format!("{} {:?}", ds.meta.dtype, ds.meta.shape),
                        );
                    }
                }
                Reply::Tree {
                    version: version.clone(),
                    nodes,
                    dtypes,
                }
            }
            Request::Meta { version, path } => {
                let v = self.version(version)?;
                let node = file.node(&v, path)?;
                let info = match node.kind {
                    crate::engine::NodeKind::Group => NodeInfo::Group {
                        path: node.path.clone(),
                        attrs: file.group_attrs(&v, path)?,
                    },
                    crate::engine::NodeKind::Dataset => {
                        let mut ds = file.dataset(&v, path)?;
                        ds.measure_storage();
                        NodeInfo::Dataset {
                            meta: Box::new(ds.meta),
                            chunk_map: None,
                        }
                    }
                };
                Reply::Meta {
                    version: version.clone(),
                    info,
                }
            }
            // A dataset the stage changes has no chunk map in any version yet.
            Request::ChunkSummary { version, path }
                if self
                    .staged(version)
                    .is_some_and(|s| s.staged(path).is_some() || s.source() != s.base()) =>
            {
                Reply::ChunkSummary {
                    version: version.clone(),
                    path: path.clone(),
                    summary: None,
                }
            }
            Request::ChunkSummary { version, path } => {
                let v = self.version(version)?;
                let ds = file.dataset(&v, path)?;
                let summary = file.chunk_map_summary(&v, &ds, cancel)?;
                Reply::ChunkSummary {
                    version: version.clone(),
                    path: path.clone(),
                    summary,
                }
            }
            Request::Page { version, path, sel } => {
                let v = self.version(version)?;
                let ds = file.dataset(&v, path)?;
                Reply::Page {
                    version: version.clone(),
                    path: path.clone(),
                    sel: sel.clone(),
                    grid: ds.read_chunked(sel)?,
                    staged: Vec::new(),
                }
            }
            Request::Summary { version } => {
                let v = self.version(version)?;
                let text = match &v.prev {
                    Some(p) => {
                        let parent = self.version(p)?;
                        summary_text(&file.diff_cancellable(
                            &parent,
                            &v,
                            "/",
                            Depth::Chunks,
                            cancel,
                        )?)
                    }
                    None => format!("{} nodes", file.walk(&v, "/")?.len()),
                };
                Reply::Summary {
                    version: version.clone(),
                    text,
                }
            }
            Request::Diff { a, b } => Reply::Diff(Box::new(file.diff(
                &self.version(a)?,
                &self.version(b)?,
                "/",
                Depth::Chunks,
            )?)),
            Request::Mask {
                a,
                b,
                path,
                start,
                count,
            } => {
                let (va, vb) = (self.version(a)?, self.version(b)?);
                let (da, db) = (file.dataset(&va, path)?, file.dataset(&vb, path)?);
                let (mask, other) = diff_mask(&da, &db, start, count)?;
                Reply::Mask {
                    path: path.clone(),
                    start: start.clone(),
                    count: count.clone(),
                    mask,
                    other,
                }
            }
            Request::FindChange {
                a,
                b,
                path,
                plane,
                from,
                forward,
            } => {
                let (va, vb) = (self.version(a)?, self.version(b)?);
                let (da, db) = (file.dataset(&va, path)?, file.dataset(&vb, path)?);
                let found = match PlaneChanges::new(&da, &db, plane.clone())? {
                    Some(changes) => changes.step(*from, *forward)?,
                    None => None,
                };
                Reply::ChangeFound {
                    path: path.clone(),
                    plane: plane.clone(),
                    forward: *forward,
                    found,
                }
            }
            Request::Overview {
                version,
                path,
                width,
            } => {
                let ds = file.dataset(&self.version(version)?, path)?;
                Reply::Overview(Overview {
                    version: version.clone(),
                    path: path.clone(),
                    len: ds.meta.len(),
                    buckets: overview(&ds, *width, cancel)?,
                })
            }
            Request::Labels { version, path } => {
                let v = self.version(version)?;
                let ds = file.dataset(&v, path)?;
                Reply::Labels {
                    version: version.clone(),
                    path: path.clone(),
                    labels: axis_labels(file, &v, &ds),
                }
            }
            Request::CountChanges { a, b, path, plane } => {
                let (va, vb) = (self.version(a)?, self.version(b)?);
                let (da, db) = (file.dataset(&va, path)?, file.dataset(&vb, path)?);
                let counts = match PlaneChanges::new(&da, &db, plane.clone())? {
                    Some(changes) => changes.count(cancel)?,
                    None => Vec::new(),
                };
                Reply::ChangeCount {
                    path: path.clone(),
                    plane: plane.clone(),
                    counts,
                }
            }
            Request::Blame { version, path } => {
                let blame = file.blame(&self.version(version)?, path, cancel)?;
                Reply::Blame(Arc::new(blame))
            }
            Request::Storage => Reply::Storage(Arc::new(file.storage_stats(cancel)?)),
        })
    }
}

/// `+2 −1 ~3  /a, /b/c, /d, …`: nodes added, removed, modified, then the
/// first paths (the version group's own attributes as `/`).
pub fn summary_text(d: &VersionDiff) -> String {
    if d.added.is_empty() && d.removed.is_empty() && d.modified.is_empty() {
        return "no changes".into();
    }
    let mut parts = Vec::new();
    if !d.added.is_empty() {
        parts.push(format!("+{}", d.added.len()));
    }
    if !d.removed.is_empty() {
        parts.push(format!("\u{2212}{}", d.removed.len()));
    }
    if !d.modified.is_empty() {
        parts.push(format!("~{}", d.modified.len()));
    }
    let mut paths: Vec<&str> = d
        .added
        .iter()
        .map(|n| n.path.as_str())
        .chain(d.removed.iter().map(|n| n.path.as_str()))
        .chain(d.modified.iter().map(|c| c.path()))
        .collect();
    paths.sort_unstable();
    // A node inside a group listed before it says nothing new.
    let mut kept: Vec<&str> = Vec::new();
    for p in paths {
        let inside = kept
            .iter()
            .any(|k| p.strip_prefix(k).is_some_and(|r| r.starts_with('/')));
        if !inside {
            kept.push(p);
        }
    }
    let total = kept.len();
    let shown: Vec<&str> = kept
        .into_iter()
        .take(3)
        .map(|p| if p.is_empty() { "/" } else { p })
        .collect();
    let more = if total > shown.len() { ", …" } else { "" };
    format!("{}  {}{more}", parts.join(" "), shown.join(", "))
}

/// What reaches the worker, in the order sent.
enum Incoming {
    Query(u64, Request),
    Command(u64, Box<Command>),
}

/// The worker thread, what goes to it, and its two answer channels.
pub struct Worker {
    incoming: Sender<Incoming>,
    pub answers: Receiver<Answer>,
    /// Progress and outcomes of commands.
    pub command_replies: Receiver<CommandReply>,
    /// Bumped by every request that should stop a running scan.
    interrupts: Arc<AtomicU64>,
    /// The sequence number of the command to cancel.
    cancel: Arc<AtomicU64>,
    /// Set while the worker answers or runs something.
    busy: Arc<AtomicBool>,
    _thread: JoinHandle<()>,
}

impl Worker {
    pub fn spawn(path: PathBuf) -> Result<Worker> {
        let service = Service::open(&path)?;
        let (in_tx, in_rx) = channel::<Incoming>();
        let (ans_tx, ans_rx) = channel::<Answer>();
        let (cmd_tx, cmd_rx) = channel::<CommandReply>();
        let interrupts = Arc::new(AtomicU64::new(0));
        let cancel = Arc::new(AtomicU64::new(0));
        let busy = Arc::new(AtomicBool::new(false));
        let ends = Ends {
            incoming: in_rx,
            answers: ans_tx,
            replies: cmd_tx,
            interrupts: interrupts.clone(),
            cancel: cancel.clone(),
            busy: busy.clone(),
        };
        let thread = std::thread::spawn(move || serve(service, ends));
        Ok(Worker {
            incoming: in_tx,
            answers: ans_rx,
            command_replies: cmd_rx,
            interrupts,
            cancel,
            busy,
            _thread: thread,
        })
    }

    /// Whether the worker is inside a read or a write (on a damaged file
    /// HDF5 may never return from one).
    pub fn is_busy(&self) -> bool {
        self.busy.load(Ordering::SeqCst)
    }

    pub fn send(&self, seq: u64, req: Request) {
        if req.interrupts() {
            self.interrupts.fetch_add(1, Ordering::SeqCst);
        }
        let _ = self.incoming.send(Incoming::Query(seq, req));
    }

    /// Queues a command (`seq`: the app's number, nonzero, carried by its
    /// replies); it runs after those sent before it, ahead of queries.
    pub fn command(&self, seq: u64, cmd: Command) {
        self.interrupts.fetch_add(1, Ordering::SeqCst);
        let _ = self.incoming.send(Incoming::Command(seq, Box::new(cmd)));
    }

    /// Cancels command `seq` (queued or running) if it has not passed its
    /// point of no return; its `Done` then says it was cancelled.
    pub fn cancel(&self, seq: u64) {
        self.cancel.store(seq, Ordering::SeqCst);
    }
}

/// The worker thread's side of the channels.
struct Ends {
    incoming: Receiver<Incoming>,
    answers: Sender<Answer>,
    replies: Sender<CommandReply>,
    interrupts: Arc<AtomicU64>,
    cancel: Arc<AtomicU64>,
    busy: Arc<AtomicBool>,
}

/// How often an idle worker looks whether another program changed the file.
const DISK_POLL: Duration = Duration::from_millis(700);

/// The answer kind that says the file changed on disk.
pub const FILE_CHANGED: &str = "file changed";

/// Queries waiting (the newest of each kind) and commands waiting (all,
/// in order).
#[derive(Default)]
struct Queues {
    queries: Vec<(u64, Request)>,
    commands: VecDeque<(u64, Command)>,
}

impl Queues {
    fn take(&mut self, incoming: Incoming) {
        match incoming {
            Incoming::Query(seq, r) => {
                self.queries.retain(|(_, q)| q.kind() != r.kind());
                self.queries.push((seq, r));
            }
            Incoming::Command(seq, c) => self.commands.push_back((seq, *c)),
        }
    }
}

/// Runs one command, sending its progress and its outcome; `true` when it
/// wrote the file.
fn run_command(service: &mut Service, seq: u64, cmd: &Command, ends: &Ends) -> bool {
    let cancelled = || ends.cancel.load(Ordering::SeqCst) == seq;
    let mut progress = |p: &Progress| {
        let _ = ends.replies.send(CommandReply::Progress {
            seq,
            fraction: p.fraction(),
            text: p.message.clone(),
        });
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        service.command(cmd, &mut progress, &cancelled)
    }))
    .unwrap_or_else(|_| {
        Err(crate::engine::Error::runtime(
            "internal error while writing",
        ))
    });
    let wrote = result.as_ref().is_ok_and(Outcome::wrote);
    let outcome = result.map_err(|e| match e.is_cancelled() {
        true => "cancelled; nothing was changed".to_string(),
        false => e.message,
    });
    let session = service.session();
    let _ = ends.replies.send(CommandReply::Done {
        seq,
        outcome,
        pending: session.pending(),
        staged_on: session.staged_on().map(str::to_string),
    });
    wrote
}

/// Runs commands first, in order; then what the user waits for, then
/// history scans, and of each query kind only the newest: a query
/// superseded while queued is dropped unanswered. A scan stopped by a newer
/// request goes back in the queue unless that request superseded it.
/// Between requests, and when idle, it follows the file on disk; an answer
/// read while the file changed is read again.
fn serve(mut service: Service, ends: Ends) {
    let mut q = Queues::default();
    let changed = |answers: &Sender<Answer>| {
        answers
            .send(Answer {
                seq: 0,
                kind: FILE_CHANGED.into(),
                reply: Ok(Reply::FileChanged),
            })
            .is_err()
    };
    loop {
        if service.follow_disk() && changed(&ends.answers) {
            return;
        }
        if q.queries.is_empty() && q.commands.is_empty() {
            match ends.incoming.recv_timeout(DISK_POLL) {
                Ok(i) => q.take(i),
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        loop {
            match ends.incoming.try_recv() {
                Ok(i) => q.take(i),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        if let Some((seq, cmd)) = q.commands.pop_front() {
            ends.busy.store(true, Ordering::SeqCst);
            let wrote = run_command(&mut service, seq, &cmd, &ends);
            ends.busy.store(false, Ordering::SeqCst);
            if wrote && changed(&ends.answers) {
                return;
            }
            continue;
        }
        let queue = &mut q.queries;
        let next = queue.iter().position(|(_, r)| !r.is_background());
        let (seq, req) = queue.remove(next.unwrap_or(0));
        let started = ends.interrupts.load(Ordering::SeqCst);
        let cancel = || ends.interrupts.load(Ordering::SeqCst) != started;
        ends.busy.store(true, Ordering::SeqCst);
        let reply = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            service.handle(&req, &cancel)
        }))
        .unwrap_or_else(|_| {
            Err(crate::engine::Error::runtime(
                "internal error while reading",
            ))
        });
        ends.busy.store(false, Ordering::SeqCst);
        if reply.as_ref().is_err_and(|e| e.is_cancelled()) || service.stale() {
            queue.push((seq, req));
            continue;
        }
        let answer = Answer {
            seq,
            kind: req.kind(),
            reply: reply.map_err(|e| e.message),
        };
        if ends.answers.send(answer).is_err() {
            return;
        }
    }
}
