//! A bound on the HDF5 calls a damaged file can make loop forever.
//!
//! HDF5 decodes a global heap collection whose free-space entry has size 0
//! by looping forever (hdf5#1707). vh5's byte reader refuses such a heap
//! wherever it reads one itself, but the heaps of user attributes and of
//! string data are read by HDF5 alone (`H5Aread`, `H5Dread`). A command-line
//! process runs those calls under `bounded`: past a deadline far beyond
//! any sound read, a watchdog thread ends the process with one line and
//! exit 2, as for any damage found. Such calls only read, so the file is
//! as it was. The browser does not enable it: its worker may hang, but the
//! user can still quit.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

/// Time granted to any bounded call, before its per-element share.
pub const BASE_BUDGET: Duration = Duration::from_secs(2);
/// Extra time per element read (a sound variable-length read takes well
/// under a microsecond per string).
const PER_ELEMENT: Duration = Duration::from_micros(2);
/// How often the watchdog looks.
const TICK: Duration = Duration::from_millis(100);

static ENABLED: AtomicBool = AtomicBool::new(false);
static STARTED: Once = Once::new();
static ARMED: Mutex<Option<Armed>> = Mutex::new(None);
static FILE: Mutex<Option<PathBuf>> = Mutex::new(None);

#[derive(Clone, Copy)]
struct Armed {
    deadline: Instant,
    budget: Duration,
    what: &'static str,
}

/// Bounds the calls of this process from now on (command-line runs only).
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// The file the error names (the one last opened).
pub fn note_file(path: &Path) {
    if let Ok(mut file) = FILE.lock() {
        *file = Some(path.to_path_buf());
    }
}

/// The budget of a call that reads `elements` elements.
pub fn budget_for(elements: usize) -> Duration {
    BASE_BUDGET + PER_ELEMENT * u32::try_from(elements).unwrap_or(u32::MAX)
}

/// Runs `call` (an HDF5 read of `what`), ending the process with a damage
/// error if it has not returned within `budget`.
pub fn bounded<T>(what: &'static str, budget: Duration, call: impl FnOnce() -> T) -> T {
    if !ENABLED.load(Ordering::Relaxed) {
        return call();
    }
    STARTED.call_once(|| {
        let _ = std::thread::Builder::new()
            .name("watchdog".into())
            .spawn(watch);
    });
    let armed = Armed {
        deadline: Instant::now() + budget,
        budget,
        what,
    };
    let outer = ARMED.lock().ok().and_then(|mut a| a.replace(armed));
    let out = call();
    if let Ok(mut a) = ARMED.lock() {
        *a = outer;
    }
    out
}

fn watch() {
    loop {
        std::thread::sleep(TICK);
        let armed = ARMED.lock().ok().and_then(|a| *a);
        if let Some(a) = armed.filter(|a| Instant::now() > a.deadline) {
            report(a);
        }
    }
}

fn report(a: Armed) -> ! {
    let file = FILE.lock().ok().and_then(|f| f.clone());
    let file = file
        .map(|f| format!("{}: ", f.display()))
        .unwrap_or_default();
    eprintln!(
        "vh5: {file}HDF5 did not finish reading {} in {} s: the file is damaged \
         (HDF5 loops forever on some damaged heaps)",
        a.what,
        a.budget.as_secs()
    );
    // SAFETY: ends the process at once: the main thread is stuck inside
    // HDF5, holding its lock, so no exit handler could run; nothing is
    // being written (bounded calls only read).
    unsafe { libc::_exit(2) }
}
