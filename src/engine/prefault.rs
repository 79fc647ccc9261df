//! Heap pages faulted in on another core before HDF5 needs them.
//!
//! Creating a virtual dataset, HDF5 deep-copies every mapping four times
//! (into the creation property list, its copy, the layout read back from
//! it, the header message), each selection a 2.6 KB struct sized for 32
//! dimensions: about 24 KB per mapping, 14 MB for the 600 mappings of a
//! series. Every fresh page is a fault of about 2 µs here, so a one-cell
//! commit spent 40% of its time in page faults. A process about to build
//! such a dataset reserves the memory at the top of the heap and has a
//! helper thread populate it in one call (`MADV_POPULATE_WRITE`) while it
//! goes on opening the file; HDF5's allocations then land on pages that
//! are already there. Anything unsupported (another libc, an old kernel)
//! makes this a no-op: only the speed depends on it.

use std::thread::JoinHandle;

/// Heap to prepare per mapping of the virtual datasets a commit creates.
/// HDF5's copies touch about 24 KB per mapping (3,600 faults for the 600
/// of the series); 24 and 32 KB gave the best one-cell commits there, 16 KB
/// left a third of the faults, 40 KB populated pages nobody used.
pub const BYTES_PER_MAPPING: usize = 32 << 10;
/// Below this, a helper thread costs more than the faults it saves.
const MIN_BYTES: usize = 1 << 20;
/// glibc serves blocks up to its largest mmap threshold (32 MiB) from
/// the heap, which is what makes the reserve reusable.
const MAX_BYTES: usize = 24 << 20;

/// Reserves `bytes` at the top of this thread's malloc arena (the heap,
/// on the main thread) and populates them on a helper thread, whose handle
/// is returned (dropping it leaves the thread running). Process-wide and
/// lasting (malloc's thresholds change): for short-lived command-line
/// processes only, never the browser.
pub fn warm_heap(bytes: usize) -> Option<JoinHandle<()>> {
    if bytes < MIN_BYTES {
        return None;
    }
    imp::warm_heap(bytes.min(MAX_BYTES))
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod imp {
    use std::thread::JoinHandle;

    const PAGE: usize = 4096;

    pub fn warm_heap(bytes: usize) -> Option<JoinHandle<()>> {
        // SAFETY: mallopt only tunes glibc's allocator; the block is
        // allocated and freed at once, and no reference to it exists.
        let block = unsafe {
            // Blocks above the mmap threshold get a mapping of their own
            // that free() returns; below it they come from the heap, which
            // free() keeps while its free top is under the trim threshold.
            let threshold = super::MAX_BYTES + (8 << 20);
            if libc::mallopt(libc::M_MMAP_THRESHOLD, threshold as libc::c_int) == 0
                || libc::mallopt(libc::M_TRIM_THRESHOLD, (2 * threshold) as libc::c_int) == 0
            {
                return None;
            }
            let p = libc::malloc(bytes);
            if p.is_null() {
                return None;
            }
            libc::free(p);
            p as usize
        };
        let start = block.next_multiple_of(PAGE);
        let len = (block + bytes).saturating_sub(start) / PAGE * PAGE;
        let populate = move || {
            // SAFETY: the range lies in the heap, mapped and kept (trim
            // threshold above); populating changes no byte of it, so the
            // allocations that take it meanwhile are unaffected. A failure
            // (kernel before 5.14) only means the faults happen later.
            unsafe { libc::madvise(start as *mut libc::c_void, len, libc::MADV_POPULATE_WRITE) };
        };
        std::thread::Builder::new()
            .name("prefault".into())
            .spawn(populate)
            .ok()
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod imp {
    pub fn warm_heap(_bytes: usize) -> Option<std::thread::JoinHandle<()>> {
        None
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// Minor page faults taken by this thread so far.
    fn faults_here() -> i64 {
        // SAFETY: getrusage fills the struct it is given.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
        usage.ru_minflt
    }

    /// What `warm_heap` is for: memory this thread allocates next is
    /// already there, so writing 2,048 pages of it costs few faults.
    #[test]
    fn allocations_after_warming_take_no_faults() {
        assert!(
            warm_heap(MIN_BYTES - 1).is_none(),
            "too small to be worth a thread"
        );
        let populate = warm_heap(16 << 20).expect("a helper thread");
        populate.join().unwrap();
        let before = faults_here();
        let mut block: Vec<u8> = Vec::with_capacity(8 << 20);
        block.resize(8 << 20, 1);
        let faults = faults_here() - before;
        assert!(faults < 256, "{faults} faults writing 2,048 warmed pages");
        assert_eq!(
            block.iter().map(|&b| usize::from(b)).sum::<usize>(),
            8 << 20
        );
    }
}
