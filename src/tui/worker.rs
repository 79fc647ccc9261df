//! The worker: owns the open file and answers requests off the event loop.
//! Requests of one kind supersede each other: when several are queued, only
//! the newest runs (the user has moved on), and each answer carries the
//! sequence number the app checks before using it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::Duration;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::array::{AxisLabel, Overview};
use super::cells::{axis_labels, overview, Found, Plane, PlaneChanges};
use crate::engine::chunkindex::Cancel;
use crate::engine::diff::{diff_mask, Depth, VersionDiff};
use crate::engine::{
    Attr, ChunkMapSummary, DatasetMeta, Node, Result, Selection, ValueGrid, Version, Vh5File,
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
}

impl Request {
    /// History scans run only when no request the user waits for is queued,
    /// and give way to one at their next chunk-map read.
    pub fn is_background(&self) -> bool {
        matches!(
            self,
            Request::ChunkSummary { .. } | Request::Summary { .. } | Request::CountChanges { .. }
        )
    }

    /// Whether a running scan should stop for this request: anything the
    /// user waits for, or a newer scan of the same kind.
    fn interrupts(&self) -> bool {
        !self.is_background()
            || matches!(
                self,
                Request::ChunkSummary { .. } | Request::CountChanges { .. }
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
}

/// A numbered answer (or the error that replaced it).
#[derive(Debug)]
pub struct Answer {
    pub seq: u64,
    pub kind: String,
    pub reply: std::result::Result<Reply, String>,
}

/// Answers requests against one file: the same code runs on the worker
/// thread and, synchronously, in tests.
pub struct Service {
    path: PathBuf,
    /// `None` while the file, changed by another program, cannot be
    /// reopened (mid-write); every request then says so.
    open: Option<Vh5File>,
}

impl Service {
    pub fn open(path: &Path) -> Result<Service> {
        Ok(Service {
            path: path.to_path_buf(),
            open: Some(Vh5File::open(path)?),
        })
    }

    fn file(&self) -> Result<&Vh5File> {
        self.open.as_ref().ok_or_else(|| {
            crate::engine::Error::runtime("another program is writing the file; retrying")
        })
    }

    /// Whether the file changed on disk since it was opened here.
    fn stale(&self) -> bool {
        self.open.as_ref().is_none_or(Vh5File::changed_on_disk)
    }

    /// Reopens the file if another program changed it; `true` when it did
    /// (everything read before is stale). HDF5 shares one open file per
    /// process, so the old handle is closed before the new one opens.
    pub fn follow_disk(&mut self) -> bool {
        if !self.stale() {
            return false;
        }
        self.open = None;
        self.open = Vh5File::open(&self.path).ok();
        self.open.is_some()
    }

    fn version(&self, name: &str) -> Result<Version> {
        self.file()?
            .resolve_version(Some(&crate::engine::VersionSpec::Name(name.to_string())))
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
                        let ds = file.dataset(&v, path)?;
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

/// The worker thread and its two channels.
pub struct Worker {
    requests: Sender<(u64, Request)>,
    pub answers: Receiver<Answer>,
    /// Bumped by every request that should stop a running scan.
    interrupts: Arc<AtomicU64>,
    _thread: JoinHandle<()>,
}

impl Worker {
    pub fn spawn(path: PathBuf) -> Result<Worker> {
        let service = Service::open(&path)?;
        let (req_tx, req_rx) = channel::<(u64, Request)>();
        let (ans_tx, ans_rx) = channel::<Answer>();
        let interrupts = Arc::new(AtomicU64::new(0));
        let seen = interrupts.clone();
        let thread = std::thread::spawn(move || serve(service, req_rx, ans_tx, &seen));
        Ok(Worker {
            requests: req_tx,
            answers: ans_rx,
            interrupts,
            _thread: thread,
        })
    }

    pub fn send(&self, seq: u64, req: Request) {
        if req.interrupts() {
            self.interrupts.fetch_add(1, Ordering::SeqCst);
        }
        let _ = self.requests.send((seq, req));
    }
}

/// How often an idle worker looks whether another program changed the file.
const DISK_POLL: Duration = Duration::from_millis(700);

/// The answer kind that says the file changed on disk.
pub const FILE_CHANGED: &str = "file changed";

/// Runs what the user waits for first, then history scans, and of each kind
/// only the newest: a request superseded while queued is dropped unanswered.
/// A scan stopped by a newer request goes back in the queue unless that
/// request superseded it. Between requests, and when idle, it follows the
/// file on disk; an answer read while the file changed is read again.
fn serve(
    mut service: Service,
    requests: Receiver<(u64, Request)>,
    answers: Sender<Answer>,
    interrupts: &AtomicU64,
) {
    let mut queue: Vec<(u64, Request)> = Vec::new();
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
        if service.follow_disk() && changed(&answers) {
            return;
        }
        if queue.is_empty() {
            match requests.recv_timeout(DISK_POLL) {
                Ok(r) => queue.push(r),
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        loop {
            match requests.try_recv() {
                Ok(r) => {
                    queue.retain(|(_, q)| q.kind() != r.1.kind());
                    queue.push(r);
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        let next = queue.iter().position(|(_, r)| !r.is_background());
        let (seq, req) = queue.remove(next.unwrap_or(0));
        let started = interrupts.load(Ordering::SeqCst);
        let cancel = || interrupts.load(Ordering::SeqCst) != started;
        let reply = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            service.handle(&req, &cancel)
        }))
        .unwrap_or_else(|_| {
            Err(crate::engine::Error::runtime(
                "internal error while reading",
            ))
        });
        if reply.as_ref().is_err_and(|e| e.is_cancelled()) || service.stale() {
            queue.push((seq, req));
            continue;
        }
        let answer = Answer {
            seq,
            kind: req.kind(),
            reply: reply.map_err(|e| e.message),
        };
        if answers.send(answer).is_err() {
            return;
        }
    }
}
