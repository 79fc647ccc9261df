//! Damaged files: the fixtures the real versioned-hdf5 writes
//! (tests/interop/make_fixtures.py), truncated, with bytes flipped in their
//! metadata (superblock, object headers, B-trees, heaps, global heap
//! collections) and with 512-byte blocks zeroed. `log`, `ls`, `show`,
//! `cat`, `diff` and `dump` on every mutant must end cleanly: no signal, no
//! panic, every failure one line on stderr with exit 2 (or 1, a runtime
//! failure), `--json` output that parses, and the file byte-identical
//! afterwards. Each run has a timeout and 1 GiB of address space.
//!
//! Runs killed at the timeout are reported with where they hung, and runs
//! that died with where they died, from `gdb` when it is installed (the
//! test does not need it). Problems of the HDF5 library itself that vh5
//! cannot prevent (`KNOWN_HDF5_HANGS`, the debug-built HDF5's `assert()`s)
//! are reported but do not fail the test; the endless global heap loop is
//! also predicted without gdb (`stalls_global_heap`). vh5 now ends that
//! loop itself (`engine::watchdog`, exit 2 after 2 s), so a mutant
//! predicted to stall gets a timeout above that bound.
//!
//! Every random choice comes from a fixed seed. Knobs for longer hunts:
//! `VH5_DAMAGE_MUTANTS` (mutants per fixture), `VH5_DAMAGE_SEED`,
//! `VH5_DAMAGE_THREADS`, `VH5_DAMAGE_TIMEOUT` (seconds),
//! `VH5_DAMAGE_KEEP=DIR` (keep every mutant with a finding there).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs::File;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value as Json;

const FIXTURES: [&str; 5] = ["linear", "branches", "dtypes", "multidim", "plain"];
const SEED: u64 = 0x7eed_da3a_9ed0_2026;
/// Mutants per fixture; 6 runs each.
const MUTANTS_PER_FIXTURE: usize = 60;
const THREADS: usize = 3;
const TIMEOUT_SECS: u64 = 10;
/// Above vh5's own bound on the HDF5 reads that can hang (2 s, see
/// `engine::watchdog`), below `TIMEOUT_SECS`.
const PREDICTED_HANG_TIMEOUT_SECS: u64 = 5;
/// Address space of each run (RLIMIT_AS).
const MEMORY_LIMIT: u64 = 1 << 30;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A 64-bit LCG (Knuth's MMIX constants); only its good high 31 bits out.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        assert!(n > 0);
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------
// where the metadata is

/// Half-open byte ranges.
type Ranges = Vec<(usize, usize)>;

struct Fixture {
    name: String,
    bytes: Vec<u8>,
    /// Everything that is not raw chunk or contiguous dataset storage.
    meta: Ranges,
    /// Structures worth hitting: object headers, B-tree nodes, heaps,
    /// symbol-table nodes (all inside `meta`).
    hot: Ranges,
    /// Global heap collections (vlen strings, virtual dataset mappings).
    gcols: Vec<usize>,
    /// Datasets per version (`.` for a plain file).
    trees: Vec<(String, Vec<String>)>,
    versioned: bool,
}

/// Raw storage of every dataset and the object header of every object,
/// read from the pristine file with the HDF5 library.
fn layout_of(path: &Path) -> (Ranges, Vec<usize>) {
    fn addr_of(loc: &hdf5::Location) -> usize {
        use hdf5_sys::h5o::{H5O_info2_t, H5Oget_info3, H5O_INFO_BASIC};
        let mut info: H5O_info2_t = unsafe { std::mem::zeroed() };
        let rc = hdf5::sync::sync(|| unsafe { H5Oget_info3(loc.id(), &mut info, H5O_INFO_BASIC) });
        assert!(rc >= 0, "H5Oget_info3");
        // The native VOL's token is the object header address, little endian.
        let token: [u8; 16] = unsafe { std::mem::transmute(info.token) };
        u64::from_le_bytes(token[..8].try_into().unwrap()) as usize
    }
    fn walk(g: &hdf5::Group, raw: &mut Ranges, headers: &mut BTreeSet<usize>) {
        if !headers.insert(addr_of(g)) {
            return;
        }
        for ds in g.datasets().unwrap() {
            if !headers.insert(addr_of(&ds)) {
                continue;
            }
            if ds.is_chunked() {
                ds.chunks_visit(|c| {
                    raw.push((c.addr as usize, (c.addr + c.size) as usize));
                    0
                })
                .unwrap();
            } else if let Some(off) = ds.offset() {
                raw.push((off as usize, (off + ds.storage_size()) as usize));
            }
        }
        for sub in g.groups().unwrap() {
            walk(&sub, raw, headers);
        }
    }
    let f = hdf5::File::open(path).unwrap();
    let mut raw = Vec::new();
    let mut headers = BTreeSet::new();
    walk(&f, &mut raw, &mut headers);
    (raw, headers.into_iter().collect())
}

fn read_u32(b: &[u8], at: usize) -> usize {
    b.get(at..at + 4)
        .map_or(0, |s| u32::from_le_bytes(s.try_into().unwrap()) as usize)
}

fn read_u64(b: &[u8], at: usize) -> usize {
    b.get(at..at + 8)
        .map_or(0, |s| u64::from_le_bytes(s.try_into().unwrap()) as usize)
}

/// The complement of `raw` in `0..len`.
fn complement(mut raw: Ranges, len: usize) -> Ranges {
    raw.sort();
    let mut out = Vec::new();
    let mut at = 0;
    for (a, b) in raw {
        if a > at {
            out.push((at, a.min(len)));
        }
        at = at.max(b);
    }
    if at < len {
        out.push((at, len));
    }
    out.retain(|(a, b)| a < b);
    out
}

fn inside(ranges: &Ranges, at: usize) -> bool {
    ranges.iter().any(|&(a, b)| a <= at && at < b)
}

/// Object headers (version 1: their declared size; version 2: a window)
/// and every signed structure (B-trees, heaps, symbol nodes, ...) found in
/// the metadata, with a local heap's data block too.
fn hot_regions(bytes: &[u8], meta: &Ranges, headers: &[usize]) -> Ranges {
    let cap = |a: usize, n: usize| (a, (a + n).min(bytes.len()));
    let mut hot = vec![cap(0, 96)]; // superblock (v0: 96 bytes with the root entry)
    for &h in headers {
        match bytes.get(h) {
            Some(1) => hot.push(cap(h, (16 + read_u32(bytes, h + 8)).min(1024))),
            _ => hot.push(cap(h, 256)),
        }
    }
    const SIGNATURES: [&[u8; 4]; 16] = [
        b"TREE", b"HEAP", b"SNOD", b"GCOL", b"OHDR", b"OCHK", b"BTHD", b"BTLF", b"BTIN", b"FRHP",
        b"FHDB", b"FHIB", b"FSHD", b"FSSE", b"SMTB", b"SMLI",
    ];
    for &(a, b) in meta {
        for at in a..b.saturating_sub(3) {
            let Some(sig) = SIGNATURES.iter().find(|s| bytes[at..at + 4] == s[..]) else {
                continue;
            };
            match *sig {
                b"HEAP" => {
                    hot.push(cap(at, 32));
                    let (size, data) = (read_u64(bytes, at + 8), read_u64(bytes, at + 24));
                    if data < bytes.len() {
                        hot.push(cap(data, size.min(512)));
                    }
                }
                b"SNOD" | b"TREE" => hot.push(cap(at, 256)),
                _ => hot.push(cap(at, 128)),
            }
        }
    }
    hot.retain(|&(a, b)| a < b && inside(meta, a));
    hot
}

/// HDF5 2.x parses a global heap collection in a loop that never ends when
/// an object slot reads as index 0 (free space) of size 0
/// (`H5HG__cache_heap_deserialize`, H5HGcache.c: `need = obj[0].size`,
/// `p = begin + need`); a zeroed block inside a collection makes one. The
/// collections of the pristine file are walked here the way HDF5 walks
/// them. vh5's byte reader refuses such a collection where it meets it
/// first (version attributes, mapping lists: `RawFile::damage`); a value
/// HDF5 reads without it (a user attribute's or a dataset's strings) may
/// still hang in the library (HDFGroup/hdf5#1707, a 100%-CPU hang reading
/// a damaged file's vlen attribute, is probably the same bug).
fn stalls_global_heap(bytes: &[u8], gcols: &[usize]) -> Option<usize> {
    gcols.iter().copied().find(|&g| {
        if bytes.get(g..g + 5) != Some(b"GCOL\x01") {
            return false;
        }
        let size = read_u64(bytes, g + 8);
        if size < 16 || g.checked_add(size).is_none_or(|end| end > bytes.len()) {
            return false;
        }
        let mut p = 16;
        while p + 16 <= size {
            let idx = u16::from_le_bytes([bytes[g + p], bytes[g + p + 1]]);
            let obj = read_u64(bytes, g + p + 8);
            let need = if idx > 0 {
                obj.checked_add(7 + 16).map(|n| n & !7)
            } else {
                Some(obj)
            };
            match need {
                Some(0) => return true,
                Some(n) if p.checked_add(n).is_some_and(|end| end <= size) => p += n,
                _ => return false,
            }
        }
        false
    })
}

/// The fixtures versioned-hdf5 writes, in a new temporary directory.
fn make_fixtures(prefix: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix(prefix).tempdir().unwrap();
    run_python(
        &repo_root().join("tests/interop/make_fixtures.py"),
        &[dir.path().to_str().unwrap()],
    );
    dir
}

fn load_fixture(dir: &Path, name: &str) -> Fixture {
    let path = dir.join(format!("{name}.h5"));
    let bytes = std::fs::read(&path).unwrap();
    let (raw, headers) = layout_of(&path);
    let meta = complement(raw, bytes.len());
    assert!(
        headers
            .iter()
            .all(|&h| bytes.get(h) == Some(&1) || bytes.get(h..h + 4) == Some(b"OHDR")),
        "{name}: an object address that is no object header"
    );
    let hot = hot_regions(&bytes, &meta, &headers);
    let gcols = meta
        .iter()
        .flat_map(|&(a, b)| (a..b.saturating_sub(3)).filter(|&i| &bytes[i..i + 4] == b"GCOL"))
        .collect();
    let expected: Json =
        serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.expected.json"))).unwrap())
            .unwrap();
    let dump = &expected["dump"];
    let trees = dump["trees"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(v, entries)| {
            let datasets = entries
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["kind"] == "dataset")
                .map(|e| e["path"].as_str().unwrap().to_string())
                .collect();
            (v.clone(), datasets)
        })
        .collect();
    Fixture {
        name: name.into(),
        bytes,
        meta,
        hot,
        gcols,
        trees,
        versioned: dump["versioned"] == true,
    }
}

// ---------------------------------------------------------------------------
// mutants

enum Damage {
    Truncate(usize),
    /// New values at offsets.
    Bytes(Vec<(usize, u8)>),
}

struct Mutant {
    fixture: usize,
    id: String,
    /// A global heap collection HDF5 cannot finish parsing (see
    /// `stalls_global_heap`).
    stalled_heap: Option<usize>,
    damage: Damage,
    commands: Vec<Vec<String>>,
}

impl Damage {
    fn apply(&self, orig: &[u8]) -> Vec<u8> {
        match self {
            Damage::Truncate(n) => orig[..*n].to_vec(),
            Damage::Bytes(edits) => {
                let mut b = orig.to_vec();
                for &(at, v) in edits {
                    b[at] = v;
                }
                b
            }
        }
    }
}

/// An offset in the metadata: the superblock, a global heap collection, a
/// hot structure, or anywhere in the metadata (and rarely anywhere at all,
/// raw chunks included).
fn metadata_offset(rng: &mut Lcg, fx: &Fixture) -> usize {
    let pick_in = |rng: &mut Lcg, r: &Ranges| {
        let total: usize = r.iter().map(|(a, b)| b - a).sum();
        let mut k = rng.below(total);
        for &(a, b) in r {
            if k < b - a {
                return a + k;
            }
            k -= b - a;
        }
        unreachable!()
    };
    match rng.below(100) {
        0..=14 => rng.below(96.min(fx.bytes.len())),
        // inside a global heap collection: vlen attribute strings and the
        // virtual datasets' mappings (counts, selections, names)
        15..=29 if !fx.gcols.is_empty() => {
            let g = *rng.pick(&fx.gcols);
            let size = read_u64(&fx.bytes, g + 8).min(fx.bytes.len() - g);
            match size > 16 {
                true => g + 16 + rng.below(size - 16),
                false => g,
            }
        }
        15..=64 => {
            let &(a, b) = rng.pick(&fx.hot);
            a + rng.below(b - a)
        }
        65..=94 => pick_in(rng, &fx.meta),
        _ => rng.below(fx.bytes.len()),
    }
}

fn differs(orig: &[u8], edits: &[(usize, u8)]) -> bool {
    edits.iter().any(|&(at, v)| orig[at] != v)
}

fn make_damage(rng: &mut Lcg, fx: &Fixture) -> (String, Damage) {
    let len = fx.bytes.len();
    let b = &fx.bytes;
    loop {
        let kind = rng.below(100);
        if kind < 20 {
            // truncation: inside the superblock, just after a structure
            // starts, or anywhere
            let n = match rng.below(3) {
                0 => rng.below(2048.min(len)),
                1 => (metadata_offset(rng, fx) + rng.below(64)).min(len - 1),
                _ => rng.below(len),
            };
            return (format!("truncate@{n}"), Damage::Truncate(n));
        }
        let edits: Vec<(usize, u8)> = if kind < 55 {
            // one byte: one bit flipped, or a random value
            let at = metadata_offset(rng, fx);
            let v = if rng.chance(60) {
                b[at] ^ (1 << rng.below(8))
            } else {
                rng.next() as u8
            };
            vec![(at, v)]
        } else if kind < 80 {
            let at = metadata_offset(rng, fx);
            if rng.chance(50) {
                // a run of 2-8 random bytes (an address, a length, a size)
                let n = 2 + rng.below(7);
                (at..(at + n).min(len))
                    .map(|i| (i, rng.next() as u8))
                    .collect()
            } else {
                // 2-5 bit flips near each other
                let n = 2 + rng.below(4);
                (0..n)
                    .map(|_| {
                        let i = (at + rng.below(256)).min(len - 1);
                        (i, b[i] ^ (1 << rng.below(8)))
                    })
                    .collect()
            }
        } else {
            // a zeroed 512-byte block over metadata
            let start = metadata_offset(rng, fx) / 512 * 512;
            let edits: Vec<(usize, u8)> = (start..(start + 512).min(len)).map(|i| (i, 0)).collect();
            if differs(b, &edits) {
                return (format!("zero512@{start:#x}"), Damage::Bytes(edits));
            }
            continue;
        };
        if !differs(b, &edits) {
            continue;
        }
        let desc = edits
            .iter()
            .map(|&(at, v)| format!("{at:#x}:{:02x}>{v:02x}", b[at]))
            .collect::<Vec<_>>()
            .join(",");
        let what = if edits.len() == 1 { "flip" } else { "flips" };
        return (format!("{what}[{desc}]"), Damage::Bytes(edits));
    }
}

/// `log`, `ls`, `show`, `cat`, `diff` and `dump` with versions and paths
/// the pristine file has (`{}` stands for the mutant's path).
fn make_commands(rng: &mut Lcg, fx: &Fixture) -> Vec<Vec<String>> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let json = |rng: &mut Lcg, mut c: Vec<String>| {
        if rng.chance(50) {
            c.push("--json".into());
        }
        c
    };
    let (version, datasets) = {
        let with_data: Vec<_> = fx.trees.iter().filter(|(_, d)| !d.is_empty()).collect();
        let (v, d) = rng.pick(&with_data);
        (v.clone(), d.clone())
    };
    let dataset = rng.pick(&datasets).clone();
    let other = rng.pick(&fx.trees).0.clone();
    let mut diff = if fx.versioned {
        s(&["diff", "{}", &other, &version])
    } else {
        s(&["diff", "{}", "0", "0"])
    };
    if rng.chance(30) {
        diff.push("--cells".into());
    }
    vec![
        json(rng, s(&["log", "{}"])),
        json(rng, s(&["ls", "{}", "--version", &version])),
        json(rng, s(&["show", "{}", "--version", &version, &dataset])),
        json(rng, s(&["cat", "{}", "--version", &version, &dataset])),
        json(rng, diff),
        s(&["dump", "{}", "--json"]),
    ]
}

// ---------------------------------------------------------------------------
// running

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Ok,
    Exit1,
    Exit2,
    /// Killed in a known HDF5 problem (`KNOWN_HDF5_HANGS`): reported, not
    /// a failure of vh5.
    Hdf5Hang,
    /// An `assert()` of HDF5 aborted: the dev profile builds the bundled
    /// HDF5 with CMAKE_BUILD_TYPE=Debug, so its assertions are live;
    /// release builds (NDEBUG) go on to return an error. Reported, not a
    /// failure of vh5.
    Hdf5DebugAssert,
    /// Findings:
    Panic,
    Signal,
    Hang,
    BadExit,
    BadStderr,
    NoisySuccess,
    /// `--json` succeeded but stdout is not one JSON document.
    BadJson,
    Modified,
}

impl Outcome {
    fn is_finding(self) -> bool {
        self >= Outcome::Panic
    }
}

struct Run {
    outcome: Outcome,
    detail: String,
    /// For a hang: the frame it spun in, the HDF5 API call and vh5's caller.
    hung_in: Option<String>,
}

fn wait_timeout(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    let mut nap = Duration::from_millis(1);
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return Some(st);
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(20));
    }
}

/// The stack frames in gdb's output, shortened.
fn gdb_frames(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(short_frame)
        .collect()
}

/// Where a hung process is, from gdb when it is installed: the frames from
/// the top down to the first Rust frame (the library call it hung in).
fn backtrace_of(pid: u32) -> Option<Vec<String>> {
    let out = Command::new("gdb")
        .args(["-batch", "-nx", "-p", &pid.to_string(), "-ex", "bt 60"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let frames = gdb_frames(&out.stdout);
    let end = frames
        .iter()
        .position(|f| f.contains("vh5::") || f.contains("hdf5_metno::"))
        .map_or(frames.len(), |i| i + 1);
    let vh5 = frames.iter().find(|f| f.contains("vh5::")).cloned();
    let mut shown = frames[..end].to_vec();
    shown.extend(vh5.filter(|f| !shown.contains(f)));
    (!shown.is_empty()).then_some(shown)
}

/// `#3 0x... in H5HG__protect (f=..., addr=4000) at .../src/H5HG.c:238`
/// -> `H5HG__protect (H5HG.c:238)`.
fn short_frame(line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().skip(1).collect();
    let func = match words.iter().position(|w| *w == "in") {
        Some(i) => words.get(i + 1).copied().unwrap_or("?"),
        None => words.first().copied().unwrap_or("?"),
    };
    let func = func.split('(').next().unwrap_or(func);
    let at = words
        .iter()
        .rposition(|w| *w == "at")
        .and_then(|i| words.get(i + 1))
        .map(|p| p.rsplit('/').next().unwrap_or(p));
    match at {
        Some(at) => format!("{func} ({at})"),
        None => func.to_string(),
    }
}

/// HDF5 functions a run on a damaged file may be killed in, for the
/// library's own reasons: nothing vh5 passes them could avoid it.
const KNOWN_HDF5_HANGS: [(&str, &str); 4] = [
    (
        "H5HG__cache_heap_deserialize",
        "endless loop on a global heap object of index 0 and size 0 (see stalls_global_heap)",
    ),
    (
        "H5T__conv_vlen",
        "allocates and zeroes a buffer as long as a damaged vlen sequence length says \
         (a release build took 49 s and 3.4 GB on one such attribute, then failed cleanly)",
    ),
    (
        "H5D__virtual_load_layout",
        "callocs as many mapping entries as a damaged virtual dataset count says",
    ),
    (
        "H5D__virtual_free_layout_mappings",
        "walks every entry of a damaged virtual dataset count after the decoding failed \
         (a debug build: 19 s, 1.8 GB, then an error)",
    ),
];

/// The function a hung process spins in: a known HDF5 culprit among the
/// innermost frames, else the innermost HDF5 package function
/// (`H5XX__name`), past leaf helpers (`H5F_sizeof_size`, compiler-rt's
/// overflow checks, memset).
fn spinning_in(frames: &[String]) -> &str {
    fn name(f: &str) -> &str {
        f.split(' ').next().unwrap_or("")
    }
    let top = || frames.iter().take(4).map(|f| name(f));
    top()
        .find(|f| KNOWN_HDF5_HANGS.iter().any(|(k, _)| k == f))
        .or_else(|| top().find(|f| f.starts_with("H5") && f.contains("__")))
        .unwrap_or_else(|| name(&frames[0]))
}

fn known_hdf5_hang(frames: &[String]) -> Option<&'static str> {
    let at = spinning_in(frames);
    KNOWN_HDF5_HANGS
        .iter()
        .find(|(k, _)| *k == at)
        .map(|(_, why)| *why)
}

/// One line: the function it spun in <- the HDF5 API call <- vh5's caller.
fn hang_summary(frames: &[String]) -> String {
    let name = |f: &String| f.split(' ').next().unwrap_or("").to_string();
    let api = frames
        .iter()
        .rev()
        .find(|f| f.starts_with("H5") && !name(f).contains("__") && !f.starts_with("H5VL"))
        .map(name);
    let vh5 = frames.iter().find(|f| f.contains("vh5::")).map(name);
    [Some(spinning_in(frames).to_string()), api, vh5]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" <- ")
}

/// compiler-rt's checked arithmetic `-ftrapv` calls: `__mulvsi3`,
/// `__addvdi3`, `__negvdi2`, `__mulvXi3`...
fn is_trapv_helper(frame: &str) -> bool {
    let name = frame.split(' ').next().unwrap_or("");
    ["__add", "__sub", "__mul", "__neg"]
        .iter()
        .filter_map(|p| name.strip_prefix(p))
        .any(|rest| ["vsi", "vdi", "vXi"].iter().any(|v| rest.starts_with(v)))
}

/// Runs vh5 again under gdb (with the same memory limit) and returns the
/// stack it died with, down to vh5's first frame.
fn crash_backtrace(args: &[String]) -> Option<Vec<String>> {
    let wrapper = format!(
        "set exec-wrapper sh -c 'ulimit -v {} && exec \"$@\"' sh",
        MEMORY_LIMIT / 1024
    );
    let out = Command::new("gdb")
        .args([
            "-batch", "-nx", "-ex", &wrapper, "-ex", "run", "-ex", "bt 60", "--args",
        ])
        .arg(env!("CARGO_BIN_EXE_vh5"))
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let frames = gdb_frames(&out.stdout);
    let end = frames
        .iter()
        .position(|f| f.contains("vh5::"))
        .map_or(frames.len(), |i| i + 1);
    (!frames.is_empty()).then(|| frames[..end].to_vec())
}

fn run_command(
    args: &[String],
    file: &Path,
    scratch: &Path,
    timeout: Duration,
    heap_stall_predicted: bool,
    // Where an earlier run on this mutant was seen spinning (gdb is slow;
    // once per mutant is enough).
    known_hang: Option<&str>,
) -> Run {
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            if a == "{}" {
                file.to_str().unwrap().to_string()
            } else {
                a.clone()
            }
        })
        .collect();
    let out_path = scratch.join("stdout");
    let err_path = scratch.join("stderr");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vh5"));
    cmd.args(&args)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap());
    // A damaged size must not take the machine's memory: allocations past
    // the limit fail (an error from HDF5, an abort from Rust: a finding).
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: MEMORY_LIMIT,
                rlim_max: MEMORY_LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("run vh5");
    let Some(status) = wait_timeout(&mut child, timeout) else {
        let frames = match known_hang {
            None => backtrace_of(child.id()),
            Some(_) => None,
        };
        let _ = child.kill();
        let _ = child.wait();
        let (outcome, hung_in, trace) = match &frames {
            Some(f) => match known_hdf5_hang(f) {
                Some(why) => (
                    Outcome::Hdf5Hang,
                    hang_summary(f),
                    format!("known HDF5 problem: {why}\n{}", f.join("\n")),
                ),
                None => (Outcome::Hang, hang_summary(f), f.join("\n")),
            },
            None if known_hang.is_some() => (
                Outcome::Hdf5Hang,
                known_hang.unwrap().to_string(),
                "(as the earlier hang on this mutant)".into(),
            ),
            None if heap_stall_predicted => (
                Outcome::Hdf5Hang,
                "H5HG__cache_heap_deserialize (predicted; no gdb to confirm)".into(),
                String::new(),
            ),
            None => (
                Outcome::Hang,
                "unknown (install gdb to see)".into(),
                String::new(),
            ),
        };
        return Run {
            outcome,
            detail: format!("killed after {}s\n{trace}", timeout.as_secs()),
            hung_in: Some(hung_in),
        };
    };
    let err = String::from_utf8_lossy(&std::fs::read(&err_path).unwrap()).into_owned();
    let lines = err.lines().count();
    let first = err.lines().next().unwrap_or("").to_string();
    let shown = if lines > 1 {
        format!(
            "{lines} stderr lines:\n{}",
            err.lines().take(12).collect::<Vec<_>>().join("\n")
        )
    } else {
        first.clone()
    };
    if let Some(sig) = status.signal() {
        let hdf5_assert = sig == libc::SIGABRT
            && lines == 1
            && first.contains("/hdf5/src/")
            && first.contains("Assertion `");
        if hdf5_assert {
            return Run {
                outcome: Outcome::Hdf5DebugAssert,
                detail: format!("signal {sig}; stderr: {shown}"),
                hung_in: None,
            };
        }
        // Where it died: the same run again under gdb, when installed.
        let frames = crash_backtrace(&args);
        // -ftrapv (debug HDF5 only) aborts on a signed overflow in C.
        let trapped = frames
            .as_ref()
            .is_some_and(|f| f.iter().take(8).any(|l| is_trapv_helper(l)));
        let trace = frames.map_or("(no gdb to show where)".into(), |f| f.join("\n"));
        return Run {
            outcome: if trapped {
                Outcome::Hdf5DebugAssert
            } else {
                Outcome::Signal
            },
            detail: format!("signal {sig}; stderr: {shown}\n{trace}"),
            hung_in: None,
        };
    }
    let outcome = if status.code() == Some(101)
        || err.contains("panicked at")
        || err.contains("internal error")
    {
        Outcome::Panic
    } else {
        match status.code() {
            Some(0) if !err.is_empty() => Outcome::NoisySuccess,
            Some(0)
                if args.iter().any(|a| a == "--json")
                    && serde_json::from_slice::<Json>(&std::fs::read(&out_path).unwrap())
                        .is_err() =>
            {
                Outcome::BadJson
            }
            Some(0) => Outcome::Ok,
            Some(1) if lines == 1 && first.starts_with("vh5: ") => Outcome::Exit1,
            Some(2) if lines == 1 && first.starts_with("vh5: ") => Outcome::Exit2,
            Some(1 | 2) => Outcome::BadStderr,
            _ => Outcome::BadExit,
        }
    };
    Run {
        outcome,
        detail: format!("exit {:?}; stderr: {shown}", status.code()),
        hung_in: None,
    }
}

struct Finding {
    mutant: String,
    command: String,
    outcome: Outcome,
    detail: String,
    hung_in: Option<String>,
}

#[derive(Default)]
struct Tally {
    runs: usize,
    by_command: BTreeMap<(String, Outcome), usize>,
    /// Findings and HDF5 hangs.
    reported: Vec<Finding>,
    exit1: BTreeMap<String, usize>,
}

#[test]
fn damaged_metadata_fails_cleanly() {
    let started = Instant::now();
    let per_fixture = env_or("VH5_DAMAGE_MUTANTS", MUTANTS_PER_FIXTURE);
    let seed = env_or("VH5_DAMAGE_SEED", SEED);
    let threads = env_or("VH5_DAMAGE_THREADS", THREADS).max(1);
    let timeout = Duration::from_secs(env_or("VH5_DAMAGE_TIMEOUT", TIMEOUT_SECS));
    // A run on a mutant HDF5 is known to hang on is given less time.
    let short_timeout = timeout.min(Duration::from_secs(PREDICTED_HANG_TIMEOUT_SECS));
    let keep = std::env::var_os("VH5_DAMAGE_KEEP").map(PathBuf::from);
    // Only these mutants (ids as reported, `linear#54,branches#58`).
    let only: Option<Vec<String>> = std::env::var("VH5_DAMAGE_ONLY")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect());

    let fixtures_dir = make_fixtures("vh5-damaged-fx");
    let fixtures: Vec<Fixture> = FIXTURES
        .iter()
        .map(|n| load_fixture(fixtures_dir.path(), n))
        .collect();
    for fx in &fixtures {
        let meta: usize = fx.meta.iter().map(|(a, b)| b - a).sum();
        println!(
            "{}: {} bytes, {meta} of them metadata, {} structures, {} global heap collections",
            fx.name,
            fx.bytes.len(),
            fx.hot.len(),
            fx.gcols.len()
        );
    }

    let mut rng = Lcg(seed);
    let mut mutants = Vec::new();
    for (i, fx) in fixtures.iter().enumerate() {
        for k in 0..per_fixture {
            let (desc, damage) = make_damage(&mut rng, fx);
            let commands = make_commands(&mut rng, fx);
            let stalled_heap = match &damage {
                Damage::Bytes(_) => stalls_global_heap(&damage.apply(&fx.bytes), &fx.gcols),
                Damage::Truncate(_) => None,
            };
            mutants.push(Mutant {
                fixture: i,
                id: format!("{}#{k} {desc}", fx.name),
                stalled_heap,
                damage,
                commands,
            });
        }
    }

    if let Some(only) = &only {
        mutants.retain(|m| only.iter().any(|o| m.id.split(' ').next() == Some(o)));
    }

    let work = tempfile::Builder::new()
        .prefix("vh5-damaged")
        .tempdir()
        .unwrap();
    let next = AtomicUsize::new(0);
    let tally = Mutex::new(Tally::default());
    std::thread::scope(|s| {
        for t in 0..threads {
            let (mutants, fixtures, next, tally, work, keep) = (
                &mutants,
                &fixtures,
                &next,
                &tally,
                work.path(),
                keep.as_deref(),
            );
            s.spawn(move || {
                let scratch = work.join(format!("t{t}"));
                std::fs::create_dir_all(&scratch).unwrap();
                while let Some(m) = mutants.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let name = &fixtures[m.fixture].name;
                    let bytes = m.damage.apply(&fixtures[m.fixture].bytes);
                    let file = scratch.join(format!("{name}.h5"));
                    std::fs::write(&file, &bytes).unwrap();
                    let mtime = std::fs::metadata(&file).unwrap().modified().unwrap();
                    let limit = if m.stalled_heap.is_some() {
                        short_timeout
                    } else {
                        timeout
                    };
                    let mut runs = Vec::new();
                    let mut known_hang: Option<String> = None;
                    for c in &m.commands {
                        let run = run_command(
                            c,
                            &file,
                            &scratch,
                            limit,
                            m.stalled_heap.is_some(),
                            known_hang.as_deref(),
                        );
                        if run.outcome == Outcome::Hdf5Hang && m.stalled_heap.is_some() {
                            known_hang = known_hang.or(run.hung_in.clone());
                        }
                        let unchanged = std::fs::read(&file).unwrap() == bytes
                            && std::fs::metadata(&file).unwrap().modified().unwrap() == mtime;
                        let line = c.join(" ").replace("{}", &format!("{name}.h5"));
                        runs.push((c[0].clone(), line.clone(), run));
                        if !unchanged {
                            let detail = "the file is not byte-identical afterwards".into();
                            runs.push((
                                c[0].clone(),
                                line,
                                Run {
                                    outcome: Outcome::Modified,
                                    detail,
                                    hung_in: None,
                                },
                            ));
                            std::fs::write(&file, &bytes).unwrap();
                        }
                    }
                    let found = runs.iter().any(|(_, _, r)| r.outcome >= Outcome::Hdf5Hang);
                    if let (true, Some(dir)) = (found, keep) {
                        std::fs::create_dir_all(dir).unwrap();
                        let id = m.id.split(' ').next().unwrap().replace('#', "-");
                        std::fs::write(dir.join(format!("{id}.h5")), &bytes).unwrap();
                    }
                    std::fs::remove_file(&file).unwrap();
                    let mut t = tally.lock().unwrap();
                    for (cmd, line, run) in runs {
                        if run.outcome != Outcome::Modified {
                            t.runs += 1;
                        }
                        *t.by_command.entry((cmd, run.outcome)).or_default() += 1;
                        if run.outcome == Outcome::Exit1 {
                            *t.exit1.entry(run.detail.clone()).or_default() += 1;
                        }
                        if run.outcome >= Outcome::Hdf5Hang {
                            t.reported.push(Finding {
                                mutant: m.id.clone(),
                                command: line,
                                outcome: run.outcome,
                                detail: run.detail,
                                hung_in: run.hung_in,
                            });
                        }
                    }
                }
            });
        }
    });

    let t = tally.into_inner().unwrap();
    let mut report = String::new();
    let _ = writeln!(
        report,
        "damaged files: {} mutants of {} fixtures, {} runs in {:.0?} \
         (seed {seed}, {threads} threads, timeout {}s)",
        mutants.len(),
        fixtures.len(),
        t.runs,
        started.elapsed(),
        timeout.as_secs()
    );
    let mut totals: BTreeMap<Outcome, usize> = BTreeMap::new();
    for ((_, o), n) in &t.by_command {
        *totals.entry(*o).or_default() += n;
    }
    let _ = writeln!(report, "outcomes: {totals:?}");
    for cmd in ["log", "ls", "show", "cat", "diff", "dump"] {
        let row: Vec<String> = t
            .by_command
            .iter()
            .filter(|((c, _), _)| c == cmd)
            .map(|((_, o), n)| format!("{o:?} {n}"))
            .collect();
        let _ = writeln!(report, "  {cmd:5} {}", row.join(", "));
    }
    for (detail, n) in &t.exit1 {
        let _ = writeln!(report, "  exit 1 x{n}: {detail}");
    }
    let predicted = mutants.iter().filter(|m| m.stalled_heap.is_some()).count();
    let _ = writeln!(
        report,
        "{predicted} mutants have a global heap collection HDF5 loops on forever"
    );
    // Hangs grouped by where they hung, the full stack once per place.
    let mut places: BTreeMap<(Outcome, String), Vec<&Finding>> = BTreeMap::new();
    for f in t.reported.iter().filter(|f| f.hung_in.is_some()) {
        let key = (f.outcome, f.hung_in.clone().unwrap());
        places.entry(key).or_default().push(f);
    }
    for ((outcome, place), hangs) in &places {
        let what = if *outcome == Outcome::Hdf5Hang {
            "HDF5 HANG (the library's, not vh5's)"
        } else {
            "FINDING Hang"
        };
        let _ = writeln!(report, "{what} x{} in {place}", hangs.len());
        for line in hangs[0].detail.lines().skip(1) {
            let _ = writeln!(report, "    | {line}");
        }
        for f in hangs {
            let _ = writeln!(report, "  mutant {}: vh5 {}", f.mutant, f.command);
        }
    }
    for f in t.reported.iter().filter(|f| f.hung_in.is_none()) {
        let what = match f.outcome {
            Outcome::Hdf5DebugAssert => "HDF5 DEBUG ASSERTION (not in release builds)",
            _ => "FINDING",
        };
        let _ = writeln!(
            report,
            "{what} {:?}: mutant {}\n  vh5 {}\n  {}",
            f.outcome,
            f.mutant,
            f.command,
            f.detail.replace('\n', "\n  ")
        );
    }
    if !t.reported.is_empty() {
        let _ = writeln!(
            report,
            "to re-run some: VH5_DAMAGE_SEED={seed} VH5_DAMAGE_MUTANTS={per_fixture} \
             VH5_DAMAGE_ONLY=<id,...> VH5_DAMAGE_KEEP=<dir> (ids as in `linear#14`)"
        );
    }
    println!("{report}");
    let findings = t.reported.iter().filter(|f| f.outcome.is_finding()).count();
    assert!(
        findings == 0,
        "{findings} findings on damaged files (see the report above)"
    );
}

/// Each global heap collection of a fixture made one HDF5 would loop on
/// forever (its first entry zeroed: index 0, size 0): `log` and `dump`,
/// which meet version attributes and mapping lists in the byte reader
/// first, refuse it in one line (exit 2) instead of hanging in HDF5.
#[test]
fn a_global_heap_hdf5_would_loop_on_is_refused() {
    let dir = make_fixtures("vh5-heap-stall");
    let fx = load_fixture(dir.path(), "linear");
    let commands: [&[&str]; 2] = [&["log", "{}", "--json"], &["dump", "{}", "--json"]];
    let refused = run_on_stalled_heaps(
        &fx.bytes,
        &fx.gcols,
        dir.path(),
        &commands,
        "loops on forever",
    );
    assert!(
        refused.contains_key("log") && refused.contains_key("dump"),
        "{refused:?}"
    );
}

/// A damaged global heap that only HDF5 reads: a plain file's string
/// attribute and string data, each collection in turn made one HDF5 loops
/// on forever. `show` (which reads the attribute) and `cat` (the strings)
/// end in one line with exit 2 and the file unchanged, not in a hang: vh5
/// bounds those reads (`engine::watchdog`).
#[test]
fn a_heap_only_hdf5_reads_ends_in_one_line() {
    let dir = tempfile::Builder::new()
        .prefix("vh5-heap-watchdog")
        .tempdir()
        .unwrap();
    let made = dir.path().join("strings.h5");
    python_snippet_json(
        "import sys, json, h5py, numpy as np\n\
         with h5py.File(sys.argv[1], 'w') as f:\n\
         \x20   d = f.create_dataset('s', data=np.array(['alpha', 'beta', 'gamma'] * 50, dtype=object),\n\
         \x20                        dtype=h5py.string_dtype())\n\
         \x20   d.attrs['note'] = 'a string attribute'\n\
         print(json.dumps(True))",
        &[made.to_str().unwrap()],
    );
    let bytes = std::fs::read(&made).unwrap();
    let gcols: Vec<usize> = (0..bytes.len().saturating_sub(5))
        .filter(|&i| &bytes[i..i + 5] == b"GCOL\x01")
        .collect();
    let commands: [&[&str]; 2] = [&["show", "{}", "/s"], &["cat", "{}", "/s"]];
    let ended = run_on_stalled_heaps(&bytes, &gcols, dir.path(), &commands, "did not finish");
    assert!(
        ended.contains_key("show") && ended.contains_key("cat"),
        "{ended:?}"
    );
}

/// Makes each global heap collection of `bytes` (at `gcols`) in turn one
/// HDF5 loops on forever (its first entry zeroed: index 0, size 0) and
/// runs `commands` on it: each must succeed or end within 10 s in one
/// line (exit 2) that `says` so, the file unchanged. The exit-2 runs, by
/// command.
fn run_on_stalled_heaps(
    bytes: &[u8],
    gcols: &[usize],
    dir: &Path,
    commands: &[&[&str]],
    says: &str,
) -> BTreeMap<String, usize> {
    assert!(!gcols.is_empty(), "the file has global heap collections");
    let scratch = dir.join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    let mut ended = BTreeMap::new();
    for &g in gcols {
        let mut damaged = bytes.to_vec();
        damaged[g + 16..g + 32].fill(0);
        assert_eq!(stalls_global_heap(&damaged, &[g]), Some(g));
        let path = dir.join(format!("stall-{g:x}.h5"));
        std::fs::write(&path, &damaged).unwrap();
        for args in commands {
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            let started = Instant::now();
            let run = run_command(&args, &path, &scratch, Duration::from_secs(30), false, None);
            let at = format!(
                "collection {g:#x}, {}: {:?} {}",
                args[0], run.outcome, run.detail
            );
            assert!(matches!(run.outcome, Outcome::Ok | Outcome::Exit2), "{at}");
            if run.outcome == Outcome::Exit2 {
                assert!(run.detail.contains(says), "{at}");
                assert!(started.elapsed() < Duration::from_secs(10), "{at}");
                *ended.entry(args[0].clone()).or_insert(0) += 1;
            }
        }
        assert_eq!(
            std::fs::read(&path).unwrap(),
            damaged,
            "the file is unchanged"
        );
    }
    println!(
        "{} collections made stalling; exit 2: {ended:?}",
        gcols.len()
    );
    ended
}
