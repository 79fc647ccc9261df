//! A bound on the HDF5 calls a damaged file can make loop forever.
//!
//! HDF5 decodes a global heap collection whose free-space entry has size 0
//! by looping forever (hdf5#1707). vh5's byte reader refuses such a heap
//! wherever it reads one itself, but the heaps of user attributes and of
//! string data are read by HDF5 alone (`H5Aread`, `H5Dread`). A command-line
//! process runs those calls under `bounded`: a timer (`SIGALRM`) set far
//! beyond any sound read ends the process with one line and exit 2, as for
//! any damage found. Such calls only read, so the file is as it was. The
//! browser does not enable it: its worker may hang, but the user can still
//! quit.
//!
//! A timer rather than a watching thread: arming it is two system calls,
//! where starting a thread cost a `cat` about 0.2 ms.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;

/// Time granted to any bounded call, before its per-element share.
pub const BASE_BUDGET: Duration = Duration::from_secs(2);
/// Extra time per element read (a sound variable-length read takes well
/// under a microsecond per string, even on a loaded machine).
const PER_ELEMENT: Duration = Duration::from_micros(5);

static ENABLED: AtomicBool = AtomicBool::new(false);
/// Bounded calls under way (nested, or on several threads).
static DEPTH: AtomicUsize = AtomicUsize::new(0);
/// What the call under way reads (a `Reading`), and the file: for the
/// signal handler, which may only write bytes that never go away.
static WHAT: AtomicU8 = AtomicU8::new(0);
static FILE: AtomicPtr<Vec<u8>> = AtomicPtr::new(std::ptr::null_mut());

/// What a bounded call reads, as its error names it.
#[derive(Debug, Clone, Copy)]
#[repr(u8)]
pub enum Reading {
    AttributeStrings,
    StringData,
}

impl Reading {
    fn text(code: u8) -> &'static [u8] {
        match code {
            0 => b"an attribute's strings",
            _ => b"string data",
        }
    }
}

/// Bounds the calls of this process from now on (command-line runs only).
pub fn enable() {
    // SAFETY: installs a handler that only calls async-signal-safe write
    // and _exit; nothing else in vh5 uses SIGALRM.
    unsafe {
        let handler: extern "C" fn(libc::c_int) = on_alarm;
        libc::signal(libc::SIGALRM, handler as libc::sighandler_t);
    }
    ENABLED.store(true, Ordering::Relaxed);
}

/// The file the error names (the one last opened).
pub fn note_file(path: &Path) {
    let text = Box::new(path.display().to_string().into_bytes());
    // The previous name is leaked: the handler may be reading it.
    FILE.store(Box::into_raw(text), Ordering::Release);
}

/// The budget of a call that reads `elements` elements.
pub fn budget_for(elements: usize) -> Duration {
    BASE_BUDGET + PER_ELEMENT * u32::try_from(elements).unwrap_or(u32::MAX)
}

/// Runs `call` (an HDF5 read of `what`), ending the process with a damage
/// error if it has not returned within `budget`.
pub fn bounded<T>(what: Reading, budget: Duration, call: impl FnOnce() -> T) -> T {
    if !ENABLED.load(Ordering::Relaxed) {
        return call();
    }
    WHAT.store(what as u8, Ordering::Release);
    DEPTH.fetch_add(1, Ordering::AcqRel);
    set_timer(budget);
    let out = call();
    if DEPTH.fetch_sub(1, Ordering::AcqRel) == 1 {
        set_timer(Duration::ZERO);
    }
    out
}

/// Arms the process's real-time timer (zero disarms it).
fn set_timer(after: Duration) {
    let value = libc::timeval {
        tv_sec: after.as_secs().try_into().unwrap_or(libc::time_t::MAX),
        tv_usec: after.subsec_micros().into(),
    };
    let timer = libc::itimerval {
        it_interval: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        it_value: value,
    };
    // SAFETY: plain C data; the old value is not asked for.
    unsafe { libc::setitimer(libc::ITIMER_REAL, &timer, std::ptr::null_mut()) };
}

extern "C" fn on_alarm(_: libc::c_int) {
    let write = |bytes: &[u8]| {
        // SAFETY: write(2) is async-signal-safe; the bytes are static.
        unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
    };
    write(b"vh5: ");
    // SAFETY: null, or leaked and never freed.
    if let Some(file) = unsafe { FILE.load(Ordering::Acquire).as_ref() } {
        write(file);
        write(b": ");
    }
    write(b"HDF5 did not finish reading ");
    write(Reading::text(WHAT.load(Ordering::Acquire)));
    write(b" in time: the file is damaged (HDF5 loops forever on some damaged heaps)\n");
    // SAFETY: ends the process at once: the main thread is stuck inside
    // HDF5, holding its lock, so no exit handler could run; nothing is
    // being written (bounded calls only read).
    unsafe { libc::_exit(2) }
}
