//! The bounded background job pool (fund simulations and the decision tools: size, capacity,
//! compare, optimise — one queue, one job table).
//!
//! A job is stored `queued` before the 202 is sent, then waits for one of `workers` semaphore
//! permits, is marked `running` (only if it is still `queued`: a job cancelled while it
//! waited is never run), and runs on tokio's blocking pool under its own
//! [`StopFlag`](crate::rng::stop::StopFlag). Progress (work units done) is written every
//! [`PROGRESS_EVERY`]; the result or a user-facing error is written when it ends. A finished
//! result is committed before the job counts as done, so it is never lost.
//!
//! A running job stops between two Monte Carlo paths (its half-done work is dropped) when
//! * it is cancelled: `DELETE` raises its flag at once ([`JobPool::stop`]); a cancellation
//!   made through another server on the same database is seen at the next progress write;
//! * it passes the job time limit: it ends `failed`, saying so;
//! * the server stops ([`JobPool::shutdown`], on SIGTERM): it ends `interrupted`, like the
//!   jobs still queued, and can be resubmitted (see `routes::fund::submit`).
//!
//! Jobs left `queued`/`running` by a server that died without a shutdown are marked
//! `interrupted` at the next start ([`crate::store::Store::interrupt_unfinished_jobs`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, watch};

use crate::rng::stop::{StopFlag, Stopped};
use crate::store::{JobStatus, Store};

/// How often a running job's progress is persisted (and a cancellation by another server
/// noticed).
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

/// Why a job's flag was raised (the first reason wins).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StopReason {
    Cancelled,
    TimeLimit,
    Shutdown,
}

/// A job this server holds (queued for a permit or running).
#[derive(Debug, Default)]
struct Held {
    flag: StopFlag,
    reason: Mutex<Option<StopReason>>,
}

impl Held {
    fn stop(&self, reason: StopReason) {
        let mut r = self.reason.lock().unwrap_or_else(|e| e.into_inner());
        r.get_or_insert(reason);
        self.flag.stop();
    }

    fn reason(&self) -> Option<StopReason> {
        *self.reason.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Runs jobs, at most `workers` at once, each within `time_limit`.
#[derive(Clone, Debug)]
pub struct JobPool {
    store: Store,
    permits: Arc<Semaphore>,
    time_limit: Duration,
    held: Arc<Mutex<HashMap<String, Arc<Held>>>>,
    stopping: watch::Sender<bool>,
}

impl JobPool {
    /// A pool writing job state to `store`.
    pub fn new(store: Store, workers: usize, time_limit: Duration) -> JobPool {
        JobPool {
            store,
            permits: Arc::new(Semaphore::new(workers.max(1))),
            time_limit,
            held: Arc::new(Mutex::new(HashMap::new())),
            stopping: watch::Sender::new(false),
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Held>>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stops job `id` if this server holds it (a cancellation; the caller has already
    /// marked it `cancelled` in the store).
    pub fn stop(&self, id: &str) {
        if let Some(held) = self.held().get(id) {
            held.stop(StopReason::Cancelled);
        }
    }

    /// Jobs this server holds, queued or running.
    pub fn held_count(&self) -> usize {
        self.held().len()
    }

    /// Stops every job (they end `interrupted`), takes no new one, and waits up to `grace`
    /// for their workers to record it. Returns how many were still held when it gave up.
    pub async fn shutdown(&self, grace: Duration) -> usize {
        self.stopping.send_replace(true);
        for held in self.held().values() {
            held.stop(StopReason::Shutdown);
        }
        let deadline = Instant::now() + grace;
        while self.held_count() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.held_count()
    }

    /// Starts the already-stored job `id`; `work` runs on the blocking pool when a worker is
    /// free. Returns immediately.
    pub fn spawn<F>(&self, id: String, work: F)
    where
        F: FnOnce(&Progress) -> JobOutcome + Send + 'static,
    {
        let held = Arc::new(Held::default());
        self.held().insert(id.clone(), Arc::clone(&held));
        let pool = self.clone();
        tokio::spawn(async move {
            pool.run(&id, &held, work).await;
            pool.held().remove(&id);
        });
    }

    async fn run<F>(&self, id: &str, held: &Arc<Held>, work: F)
    where
        F: FnOnce(&Progress) -> JobOutcome + Send + 'static,
    {
        let store = &self.store;
        let mut stopping = self.stopping.subscribe();
        // Wait for a worker, unless the server stops first.
        let permit = tokio::select! {
            permit = Arc::clone(&self.permits).acquire_owned() => permit,
            () = stop_requested(&mut stopping) => {
                self.end(id, JobStatus::Interrupted, None).await;
                return;
            }
        };
        let Ok(_permit) = permit else { return };
        let stopped_meanwhile = *self.stopping.borrow();
        if stopped_meanwhile {
            self.end(id, JobStatus::Interrupted, None).await;
            return;
        }
        match store.start_job(id).await {
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
        let flag = held.flag.clone();
        let mut handle = tokio::task::spawn_blocking(move || flag.run(|| work(&worker_progress)));
        let mut ticker = tokio::time::interval(PROGRESS_EVERY);
        ticker.tick().await;
        let deadline = tokio::time::sleep(self.time_limit);
        tokio::pin!(deadline);
        let joined = loop {
            tokio::select! {
                joined = &mut handle => break joined,
                _ = ticker.tick() => {
                    match store.job_progress(id, progress.get()).await {
                        Ok(true) => {}
                        // Cancelled through the store (maybe by another server).
                        Ok(false) => held.stop(StopReason::Cancelled),
                        Err(e) => tracing::warn!(job = %id, error = %e, "cannot record progress"),
                    }
                }
                () = &mut deadline, if held.reason().is_none() => held.stop(StopReason::TimeLimit),
                () = stop_requested(&mut stopping), if held.reason().is_none() => {
                    held.stop(StopReason::Shutdown);
                }
            }
        };
        let status = match joined {
            Ok(Ok(outcome)) => self.finish(id, outcome).await,
            Ok(Err(Stopped)) => match held.reason() {
                Some(StopReason::TimeLimit) => {
                    let secs = self.time_limit.as_secs();
                    let error = format!(
                        "stopped at the job time limit of {secs} s before it finished; \
                         submit it with fewer paths, a smaller book or fewer points"
                    );
                    self.end(id, JobStatus::Failed, Some(error)).await;
                    "time_limit"
                }
                Some(StopReason::Shutdown) => {
                    self.end(id, JobStatus::Interrupted, None).await;
                    "interrupted"
                }
                Some(StopReason::Cancelled) | None => {
                    tracing::info!(job = %id, "job cancelled while running; stopped");
                    "cancelled"
                }
            },
            Err(e) => {
                tracing::error!(job = %id, error = %e, "job panicked");
                self.finish(id, Err("the job failed; the error was logged".to_string()))
                    .await
            }
        };
        metrics::histogram!("ipledge_job_duration_seconds", "status" => status)
            .record(started.elapsed().as_secs_f64());
    }

    /// Stores a finished job's outcome; the status label for metrics.
    async fn finish(&self, id: &str, outcome: JobOutcome) -> &'static str {
        let status = if outcome.is_ok() {
            "succeeded"
        } else {
            "failed"
        };
        match self.store.finish_job(id, outcome).await {
            Ok(true) => status,
            Ok(false) => {
                tracing::info!(job = %id, "job cancelled while running; result dropped");
                "cancelled"
            }
            Err(e) => {
                tracing::error!(job = %id, error = %e, "cannot store job result");
                status
            }
        }
    }

    /// Ends a job without a result (logging a store failure).
    async fn end(&self, id: &str, status: JobStatus, error: Option<String>) {
        match self.store.end_job(id, status, error).await {
            Ok(_) => tracing::info!(job = %id, status = status.as_str(), "job ended early"),
            Err(e) => tracing::error!(job = %id, error = %e, "cannot record the end of a job"),
        }
    }
}

/// Resolves once the pool is told to stop.
async fn stop_requested(rx: &mut watch::Receiver<bool>) {
    let seen = rx.wait_for(|s| *s).await.is_ok();
    if !seen {
        // The pool (and its sender) is gone: nothing will ever ask this job to stop.
        std::future::pending::<()>().await;
    }
}
