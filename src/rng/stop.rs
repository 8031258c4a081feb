//! Stopping a Monte Carlo run from outside: a request that timed out, a cancelled job, a
//! job past its time limit, a server told to stop.
//!
//! The engine's functions stay pure functions of their inputs: nothing in their signatures
//! knows about stopping. A front door runs the work under [`StopFlag::run`], which makes the
//! flag the *current* one of the calling thread; every parallel loop of the engine
//! ([`super::run_batches`], the fund's kept draws and ledger passes) captures the current flag
//! with [`current`], makes it current on each rayon worker for the duration of a batch
//! ([`Scope::within`]) and calls [`check`] before each batch and each path. When the flag is
//! raised, `check` unwinds with a private [`Stopped`] payload (by `resume_unwind`, so no panic
//! message is printed); rayon carries it to the thread that started the loop, and
//! `StopFlag::run` turns it into `Err(Stopped)`. Half-done work is dropped whole: the engine
//! holds no lock and writes nothing outside its own values, so unwinding is safe.
//!
//! Outside `StopFlag::run` (the CLI, the tests) there is no current flag and [`check`] costs
//! one thread-local read. A stop is seen within one path of every running batch.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

thread_local! {
    static CURRENT: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

/// The work was stopped before it finished; nothing of it is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the computation was stopped before it finished")]
pub struct Stopped;

/// A flag that, once raised, stops the work run under it at its next check.
#[derive(Clone, Debug, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// A lowered flag.
    pub fn new() -> StopFlag {
        StopFlag::default()
    }

    /// Raises the flag (idempotent; from any thread).
    pub fn stop(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// True once raised.
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Runs `work` with this flag current on the calling thread: `Err(Stopped)` when the flag
    /// was raised and the work saw it (a flag raised after the work's last check leaves its
    /// result intact). Any other panic of `work` propagates unchanged.
    pub fn run<R>(&self, work: impl FnOnce() -> R) -> Result<R, Stopped> {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let _current = Current::set(Some(Arc::clone(&self.0)));
            work()
        }));
        match outcome {
            Ok(value) => Ok(value),
            Err(payload) if payload.is::<Stopped>() => Err(Stopped),
            Err(payload) => resume_unwind(payload),
        }
    }
}

/// The calling thread's current flag, to carry into parallel work (see [`Scope::within`]).
#[derive(Clone, Debug)]
pub struct Scope(Option<Arc<AtomicBool>>);

/// The current flag of the calling thread (none outside [`StopFlag::run`]).
pub fn current() -> Scope {
    Scope(CURRENT.with(|c| c.borrow().clone()))
}

impl Scope {
    /// Runs `work` (on a rayon worker, typically one batch) with this scope's flag current,
    /// after a [`check`]; restores the worker's own flag afterwards, also when unwinding.
    pub fn within<R>(&self, work: impl FnOnce() -> R) -> R {
        let _current = Current::set(self.0.clone());
        check();
        work()
    }
}

/// Unwinds with [`Stopped`] if the current flag is raised; otherwise does nothing.
#[inline]
pub fn check() {
    let raised = CURRENT.with(|c| {
        c.borrow()
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
    });
    if raised {
        resume_unwind(Box::new(Stopped));
    }
}

/// Sets the thread's current flag and puts the previous one back when dropped.
struct Current(Option<Arc<AtomicBool>>);

impl Current {
    fn set(flag: Option<Arc<AtomicBool>>) -> Current {
        Current(CURRENT.with(|c| c.replace(flag)))
    }
}

impl Drop for Current {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Domain, batch_count, run_batches};

    #[test]
    fn a_lowered_flag_changes_nothing() {
        let sum = |_: &crate::rng::Batch, rng: &mut crate::rng::Stream| {
            use rand::Rng;
            rng.next_u64() % 7
        };
        let plain: Vec<u64> = run_batches(3, Domain::Other(9), 50_000, 0..batch_count(50_000), sum);
        let flag = StopFlag::new();
        let under = flag
            .run(|| run_batches(3, Domain::Other(9), 50_000, 0..batch_count(50_000), sum))
            .unwrap();
        assert_eq!(plain, under);
        check(); // no current flag here: a no-op
    }

    #[test]
    fn a_raised_flag_stops_a_parallel_run_from_inside_and_out() {
        // Raised by the work itself half way: later batches never run.
        let flag = StopFlag::new();
        let ran = std::sync::atomic::AtomicU64::new(0);
        let inner = flag.clone();
        let out = flag.run(|| {
            run_batches(
                1,
                Domain::Other(1),
                1 << 20,
                0..batch_count(1 << 20),
                |b, _| {
                    if b.index == 3 {
                        inner.stop();
                    }
                    ran.fetch_add(1, Ordering::Relaxed);
                    check();
                    b.index
                },
            )
        });
        assert_eq!(out, Err(Stopped));
        assert!(ran.load(Ordering::Relaxed) < batch_count(1 << 20));
        // Raised from another thread while the work spins on checks.
        let flag = StopFlag::new();
        let remote = flag.clone();
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            remote.stop();
        });
        let out = flag.run(|| {
            loop {
                check();
                std::hint::spin_loop();
            }
        });
        stopper.join().unwrap();
        assert_eq!(out, Err::<(), _>(Stopped));
        // The flag is no longer current afterwards.
        check();
    }

    #[test]
    fn other_panics_pass_through() {
        let flag = StopFlag::new();
        let caught = catch_unwind(AssertUnwindSafe(|| flag.run(|| panic!("boom"))));
        assert!(caught.is_err());
    }
}
