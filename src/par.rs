//! Threads that leave the caller's thread as it was.
//!
//! `std::thread::scope` and a blocking `std::sync::mpsc` receive both create the *calling*
//! thread's `std::thread::current()` handle (a 48-byte `Arc`) and keep it in thread-local
//! storage. Rust frees it when the thread exits, but never for a C program's main thread:
//! there it stays allocated until the process ends, and `valgrind --leak-check=full` reports
//! it as "possibly lost" (the TLS slot points inside the allocation), which fails hosts that
//! treat that as an error (as our own `make test-c` does). So every parallel section of the
//! library runs through [`scope`], which does the std work on a thread of its own and only
//! `join`s it from the caller, and waits on the caller use `Mutex` + `Condvar` (futex based,
//! no thread handle) instead of channels.

use std::panic::resume_unwind;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Runs `f` on a new thread and returns its result; the caller only waits in
/// `JoinHandle::join`, which does not touch its thread handle. A panic in `f` resumes on the
/// caller. If the OS refuses a thread, `f` runs here instead (std's scoped spawns would then
/// panic, as they do for any caller).
pub(crate) fn off_caller<'a, R, F>(f: F) -> R
where
    F: FnOnce() -> R + Send + 'a,
    R: Send + 'a,
{
    let slot = Mutex::new(Some(f));
    let take = || slot.lock().ok().and_then(|mut s| s.take());
    let run = || take().map(|f| f());
    // SAFETY: `spawn_unchecked` lets the closure borrow `slot` (lifetime 'a data inside `f`
    // too); this is sound because the thread is joined below before any of it goes out of
    // scope: nothing between the spawn and `join` can unwind, and `join` returns only after
    // the thread has ended (also when it panicked).
    let spawned = unsafe {
        std::thread::Builder::new()
            .name("wandb-media-work".into())
            // Sync and uploads handle values as deep as the SDK writes (reserved, not used).
            .stack_size(crate::json::DEEP_STACK)
            .spawn_unchecked(run)
    };
    match spawned {
        Ok(handle) => match handle.join() {
            Ok(Some(r)) => r,
            // The thread took `f` (it is the only other user of `slot`), so `None` means a
            // poisoned lock, which needs a panic while holding it: not possible here.
            Ok(None) => unreachable!("the worker thread ran nothing"),
            Err(panic) => resume_unwind(panic),
        },
        Err(_) => match take() {
            Some(f) => f(),
            None => unreachable!("a thread that was never started took the job"),
        },
    }
}

/// `std::thread::scope`, run by [`off_caller`]: the scope's spawns and joins happen on a
/// helper thread, so the caller's thread keeps no handle afterwards.
pub(crate) fn scope<'env, F, T>(f: F) -> T
where
    F: for<'scope> FnOnce(&'scope std::thread::Scope<'scope, 'env>) -> T + Send + 'env,
    T: Send + 'env,
{
    off_caller(move || std::thread::scope(f))
}

/// One value handed from a thread to a waiter: the replacement for an `mpsc` channel when
/// the waiter may be the host's thread (waiting uses a futex, not a thread handle).
#[derive(Debug)]
pub(crate) struct Slot<T> {
    value: Mutex<Option<T>>,
    cv: Condvar,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot {
            value: Mutex::new(None),
            cv: Condvar::new(),
        }
    }
}

impl<T> Slot<T> {
    /// Stores `v` (replacing an untaken one) and wakes the waiter.
    pub(crate) fn put(&self, v: T) {
        *self.value.lock().unwrap_or_else(|p| p.into_inner()) = Some(v);
        self.cv.notify_all();
    }

    /// Takes the value, waiting at most `timeout` for it to be put.
    pub(crate) fn take_within(&self, timeout: Duration) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut g = self.value.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(v) = g.take() {
                return Some(v);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            g = self
                .cv
                .wait_timeout(g, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_borrows_and_panics_come_back_to_the_caller() {
        let data = [1u64, 2, 3, 4];
        let mut out = Vec::new();
        let sum = scope(|s| {
            let h = s.spawn(|| data.iter().sum::<u64>());
            out.push(data.len());
            h.join().unwrap()
        });
        assert_eq!((sum, out), (10, vec![4]));
        let caught = std::panic::catch_unwind(|| off_caller(|| -> u8 { panic!("boom") }));
        let msg = caught.unwrap_err();
        assert_eq!(msg.downcast_ref::<&str>(), Some(&"boom"));
        // runs on another thread
        let here = std::thread::current().id();
        assert_ne!(off_caller(|| std::thread::current().id()), here);
    }

    #[test]
    fn a_slot_hands_over_one_value_or_times_out() {
        let slot = Slot::default();
        assert_eq!(slot.take_within(Duration::from_millis(1)), None::<u32>);
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(5));
                slot.put(7);
            });
            assert_eq!(slot.take_within(Duration::from_secs(60)), Some(7));
        });
        assert_eq!(slot.take_within(Duration::ZERO), None);
    }
}
