//! Work on every core beside a single-threaded library.
//!
//! HDF5 runs one call at a time, but most of reading a stored chunk is
//! decoding it, which needs no HDF5. `pipelined` lets the calling thread
//! take items out of HDF5 while workers process them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, sync_channel};
use std::sync::Mutex;

use super::error::{Error, Result};

/// `f` of every item, in order, the items split in one contiguous run per
/// core. For work that needs no HDF5 (it runs off the calling thread).
pub fn map_split<T: Sync, O: Send>(items: &[T], f: impl Fn(&T) -> O + Sync) -> Vec<O> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let run = items.len().div_ceil(workers).max(1);
    if workers == 1 || items.len() < 2 {
        return items.iter().map(&f).collect();
    }
    let f = &f;
    std::thread::scope(|s| {
        let parts: Vec<_> = items
            .chunks(run)
            .map(|part| s.spawn(move || part.iter().map(f).collect::<Vec<O>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Calls `produce` on this thread until it gives `None`, hands each item to
/// `work` on one of as many threads as there are cores, and gives each
/// result to `consume` on this thread (in any order). The first error,
/// from either side, stops the run and is returned.
pub fn pipelined<I, O, P, W, C>(mut produce: P, work: W, mut consume: C) -> Result<()>
where
    I: Send,
    O: Send,
    P: FnMut() -> Option<Result<I>>,
    W: Fn(I) -> Result<O> + Sync,
    C: FnMut(O),
{
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    // A few items queued per worker keep them busy while memory stays bounded.
    let (items, queue) = sync_channel::<I>(2 * workers);
    let queue = Mutex::new(queue);
    let (results, done) = channel::<Result<O>>();
    let stop = AtomicBool::new(false);
    let mut failure: Option<Error> = None;
    let mut take = |r: Result<O>, failure: &mut Option<Error>| match r {
        Ok(o) => consume(o),
        Err(e) => {
            stop.store(true, Ordering::Relaxed);
            failure.get_or_insert(e);
        }
    };
    std::thread::scope(|s| {
        for _ in 0..workers {
            let (queue, stop, work, results) = (&queue, &stop, &work, results.clone());
            s.spawn(move || loop {
                let next = queue.lock().map(|q| q.recv());
                let Ok(Ok(item)) = next else { return };
                if stop.load(Ordering::Relaxed) {
                    continue; // drain what is queued without working on it
                }
                if results.send(work(item)).is_err() {
                    return;
                }
            });
        }
        drop(results);
        while !stop.load(Ordering::Relaxed) {
            match produce() {
                None => break,
                Some(Err(e)) => {
                    stop.store(true, Ordering::Relaxed);
                    failure.get_or_insert(e);
                }
                Some(Ok(item)) => {
                    if items.send(item).is_err() {
                        break;
                    }
                }
            }
            while let Ok(r) = done.try_recv() {
                take(r, &mut failure);
            }
        }
        drop(items);
        for r in done.iter() {
            take(r, &mut failure);
        }
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::{map_split, pipelined};
    use crate::engine::error::Error;

    #[test]
    fn map_split_keeps_order() {
        let items: Vec<u32> = (0..1001).collect();
        let doubled: Vec<u32> = items.iter().map(|x| x * 2).collect();
        assert_eq!(map_split(&items, |x| x * 2), doubled);
        assert!(map_split(&[] as &[u32], |x| *x).is_empty());
        assert_eq!(map_split(&[7u32], |x| x + 1), vec![8]);
    }

    #[test]
    fn every_item_is_worked_and_consumed_once() {
        let mut next = 0u64;
        let mut sum = 0u64;
        pipelined(
            || {
                next += 1;
                (next <= 1000).then_some(Ok(next))
            },
            |i| Ok(i * 2),
            |o| sum += o,
        )
        .unwrap();
        assert_eq!(sum, 1000 * 1001);
    }

    #[test]
    fn the_first_error_stops_the_run() {
        let mut next = 0u64;
        let worked = pipelined(
            || {
                next += 1;
                Some(Ok(next))
            },
            |i| match i {
                50 => Err(Error::bad_file("damaged")),
                i => Ok(i),
            },
            |_| {},
        );
        assert_eq!(worked.unwrap_err().message, "damaged");
        let mut produced = 0;
        let failed = pipelined(
            || {
                produced += 1;
                Some(if produced == 3 {
                    Err(Error::bad_file("gone"))
                } else {
                    Ok(produced)
                })
            },
            Ok,
            |_: i32| {},
        );
        assert_eq!(failed.unwrap_err().message, "gone");
        assert_eq!(produced, 3);
    }
}
