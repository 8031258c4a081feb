//! The bounded background job pool (fund simulations and the decision tools: size, capacity,
//! compare, optimise — one queue, one job table).
//!
//! A job is stored `queued` before the 202 is sent, then waits for one of `workers` semaphore
//! permits, is marked `running` (only if it is still `queued`: a job cancelled while it
//! waited is never run), and runs on tokio's blocking pool. Progress (work units done)
//! is written every [`PROGRESS_EVERY`]; the result or a user-facing error is written when it
//! ends. Jobs left `queued`/`running` by a stopped server are marked `interrupted` at the next
//! start ([`crate::store::Store::interrupt_unfinished_jobs`]); a finished result is committed
//! before the job counts as done, so it is never lost.
//!
//! Cancelling a running job ([`crate::store::Store::cancel_job`]) marks it `cancelled` at
//! once, but the engine has no way to stop a computation half way: the work runs to its end
//! on the blocking pool (holding its worker), and its result is then dropped
//! (`finish_job` only writes a job that is still `running`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::store::Store;

/// How often a running job's progress is persisted.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// Reports work units done from inside a job.
#[derive(Clone, Debug, Default)]
pub struct Progress(Arc<AtomicU64>);

impl Progress {
    /// Records that `done` units are finished (monotone: a smaller value is ignored).
    pub fn set(&self, done: u64) {
        self.0.fetch_max(done, Ordering::Relaxed);
    }

    /// Units done so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// What a job's work returns: the result as JSON text, or an error message for the client.
pub type JobOutcome = Result<String, String>;

/// Runs jobs, at most `workers` at once.
#[derive(Clone, Debug)]
pub struct JobPool {
    store: Store,
    permits: Arc<Semaphore>,
}

impl JobPool {
    /// A pool writing job state to `store`.
    pub fn new(store: Store, workers: usize) -> JobPool {
        JobPool {
            store,
            permits: Arc::new(Semaphore::new(workers.max(1))),
        }
    }

    /// Starts the already-stored job `id`; `work` runs on the blocking pool when a worker is
    /// free. Returns immediately.
    pub fn spawn<F>(&self, id: String, work: F)
    where
        F: FnOnce(&Progress) -> JobOutcome + Send + 'static,
    {
        let store = self.store.clone();
        let permits = Arc::clone(&self.permits);
        tokio::spawn(async move {
            // The semaphore is never closed, so acquiring only fails if it were.
            let Ok(_permit) = permits.acquire_owned().await else {
                return;
            };
            match store.start_job(&id).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::info!(job = %id, "job cancelled before it started");
                    return;
                }
                Err(e) => {
                    tracing::error!(job = %id, error = %e, "cannot mark job running");
                    return;
                }
            }
            let started = Instant::now();
            let progress = Progress::default();
            let worker_progress = progress.clone();
            let mut handle = tokio::task::spawn_blocking(move || work(&worker_progress));
            let mut ticker = tokio::time::interval(PROGRESS_EVERY);
            ticker.tick().await;
            let joined = loop {
                tokio::select! {
                    joined = &mut handle => break joined,
                    _ = ticker.tick() => {
                        if let Err(e) = store.job_progress(&id, progress.get()).await {
                            tracing::warn!(job = %id, error = %e, "cannot record progress");
                        }
                    }
                }
            };
            let outcome = joined.unwrap_or_else(|e| {
                tracing::error!(job = %id, error = %e, "job panicked");
                Err("the job failed; the error was logged".to_string())
            });
            let status = if outcome.is_ok() {
                "succeeded"
            } else {
                "failed"
            };
            let status = match store.finish_job(&id, outcome).await {
                Ok(true) => status,
                Ok(false) => {
                    tracing::info!(job = %id, "job cancelled while running; result dropped");
                    "cancelled"
                }
                Err(e) => {
                    tracing::error!(job = %id, error = %e, "cannot store job result");
                    status
                }
            };
            metrics::histogram!("ipledge_job_duration_seconds", "status" => status)
                .record(started.elapsed().as_secs_f64());
        });
    }
}
