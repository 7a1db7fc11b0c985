//! Background work: one worker thread per kind of job, the newest request wins, stale requests
//! are abandoned, a panic in the work becomes an error, and a finished result wakes the terminal
//! loop. Headless (snapshots, tests, benchmarks) the same worker runs each request at once on
//! the calling thread, so a frame always shows finished results.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;

thread_local! {
    static IN_JOB: Cell<bool> = const { Cell::new(false) };
}

/// True on a thread that is running a job's computation. The panic hook uses it to leave the
/// terminal alone: a panic in a job becomes an error shown in its tab, not an exit.
pub fn in_job() -> bool {
    IN_JOB.with(Cell::get)
}

/// Why a job gave no result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobError {
    /// The computation panicked; the message is the panic's.
    Panicked(String),
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobError::Panicked(msg) => write!(f, "the computation failed: {msg}"),
        }
    }
}

impl std::error::Error for JobError {}

static PANICS: AtomicU64 = AtomicU64::new(0);

/// How many job computations have panicked in this process (each became a `JobError`). Tests
/// read it to fail on a panic the app itself survives.
pub fn panics_caught() -> u64 {
    PANICS.load(Ordering::SeqCst)
}

/// Runs `f` as a job: a panic inside becomes `JobError::Panicked`.
fn run_job<R>(f: impl FnOnce() -> R) -> Result<R, JobError> {
    let was = IN_JOB.with(|c| c.replace(true));
    let out = catch_unwind(AssertUnwindSafe(f));
    IN_JOB.with(|c| c.set(was));
    out.map_err(|payload| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_string());
        JobError::Panicked(msg)
    })
}

/// Tells a running computation whether its request is still the newest, so long work can stop
/// early between its blocks when a newer request (or quitting) made it stale.
#[derive(Clone, Debug)]
pub struct Cancel {
    generation: u64,
    latest: Arc<AtomicU64>,
}

impl Cancel {
    /// A token that is never cancelled (headless callers, benchmarks).
    pub fn never() -> Self {
        Cancel {
            generation: 0,
            latest: Arc::new(AtomicU64::new(0)),
        }
    }

    /// True once a newer request was submitted or the worker was dropped.
    pub fn is_cancelled(&self) -> bool {
        self.latest.load(Ordering::Relaxed) != self.generation
    }
}

/// Wakes the terminal loop when background work finishes; headless it does nothing.
#[derive(Clone, Default)]
pub struct Waker {
    wake: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl Waker {
    /// A waker for the terminal loop: `wake` must make the loop redraw.
    pub fn new(wake: impl Fn() + Send + Sync + 'static) -> Self {
        Waker {
            wake: Some(Arc::new(wake)),
        }
    }

    /// The headless waker: workers then compute on the calling thread.
    pub fn headless() -> Self {
        Waker { wake: None }
    }

    pub fn is_headless(&self) -> bool {
        self.wake.is_none()
    }

    pub fn wake(&self) {
        if let Some(w) = &self.wake {
            w();
        }
    }
}

type Compute<Req, Res> = Arc<dyn Fn(Req, &Cancel) -> Res + Send + Sync>;
type Outcome<Res> = (u64, Result<Res, JobError>);

/// A worker that computes `Res` from `Req`. Submitting while busy replaces any request not yet
/// started (only the newest matters when a user holds a key) and marks a running one stale (its
/// [`Cancel`] says so); results of stale requests are dropped, so `take` only ever returns the
/// answer to the latest request. A panic in the computation comes back as `Err`, and the
/// worker thread carries on with the next request.
pub struct Worker<Req: Send + 'static, Res: Send + 'static> {
    compute: Compute<Req, Res>,
    queue: Option<Sender<(u64, Req)>>,
    results: Receiver<Outcome<Res>>,
    results_tx: Sender<Outcome<Res>>,
    latest: Arc<AtomicU64>,
    finished: Arc<Mutex<u64>>,
    // The generation whose result `take` or `wait` last returned.
    delivered: u64,
    waker: Waker,
}

impl<Req: Send + 'static, Res: Send + 'static> Worker<Req, Res> {
    /// A worker whose computation runs to the end once started.
    pub fn new(waker: &Waker, compute: impl Fn(Req) -> Res + Send + Sync + 'static) -> Self {
        Worker::cancellable(waker, move |req, _| compute(req))
    }

    /// A worker whose computation checks its [`Cancel`] and may stop early when stale.
    pub fn cancellable(
        waker: &Waker,
        compute: impl Fn(Req, &Cancel) -> Res + Send + Sync + 'static,
    ) -> Self {
        let (results_tx, results) = mpsc::channel();
        Worker {
            compute: Arc::new(compute),
            queue: None,
            results,
            results_tx,
            latest: Arc::new(AtomicU64::new(0)),
            finished: Arc::new(Mutex::new(0)),
            delivered: 0,
            waker: waker.clone(),
        }
    }

    /// Asks for a new result; headless, computes it now.
    pub fn submit(&mut self, request: Req) {
        let generation = self.latest.fetch_add(1, Ordering::SeqCst) + 1;
        if self.waker.is_headless() {
            let cancel = Cancel {
                generation,
                latest: Arc::clone(&self.latest),
            };
            let result = run_job(|| (self.compute)(request, &cancel));
            let _ = self.results_tx.send((generation, result));
            if let Ok(mut f) = self.finished.lock() {
                *f = generation;
            }
            return;
        }
        let queue = self.queue.get_or_insert_with(|| {
            Self::spawn(
                &self.compute,
                &self.results_tx,
                &self.finished,
                &self.latest,
                &self.waker,
            )
        });
        let _ = queue.send((generation, request));
    }

    fn spawn(
        compute: &Compute<Req, Res>,
        results: &Sender<Outcome<Res>>,
        finished: &Arc<Mutex<u64>>,
        latest: &Arc<AtomicU64>,
        waker: &Waker,
    ) -> Sender<(u64, Req)> {
        let (tx, rx) = mpsc::channel::<(u64, Req)>();
        let compute = Arc::clone(compute);
        let results = results.clone();
        let finished = Arc::clone(finished);
        let latest = Arc::clone(latest);
        let waker = waker.clone();
        thread::spawn(move || {
            while let Ok(mut next) = rx.recv() {
                // Skip to the newest request waiting in the queue.
                while let Ok(newer) = rx.try_recv() {
                    next = newer;
                }
                let (generation, request) = next;
                let cancel = Cancel {
                    generation,
                    latest: Arc::clone(&latest),
                };
                let result = run_job(|| compute(request, &cancel));
                // The result is sent before the request counts as finished, so a worker that is
                // not busy has its latest result waiting (see `wait`).
                let sent = results.send((generation, result));
                if let Ok(mut f) = finished.lock() {
                    *f = (*f).max(generation);
                }
                if sent.is_err() {
                    break;
                }
                waker.wake();
            }
        });
        tx
    }

    /// Marks the running request (if any) stale without asking for a new one: its [`Cancel`]
    /// says so, its result is dropped, and the worker is no longer busy. A computation that
    /// cannot stop mid-call still runs to its end on the worker's thread.
    pub fn abandon(&mut self) {
        let generation = self.latest.fetch_add(1, Ordering::SeqCst) + 1;
        if let Ok(mut f) = self.finished.lock() {
            *f = (*f).max(generation);
        }
    }

    fn latest(&self) -> u64 {
        self.latest.load(Ordering::SeqCst)
    }

    /// The result of the latest request, once it is ready (`Err` if it panicked).
    pub fn take(&mut self) -> Option<Result<Res, JobError>> {
        let mut newest = None;
        let latest = self.latest();
        while let Ok((generation, result)) = self.results.try_recv() {
            if generation == latest {
                newest = Some(result);
            }
        }
        if newest.is_some() {
            self.delivered_up_to(latest);
        }
        newest
    }

    /// Waits for the latest request's result (headless callers and tests). Returns `None` at
    /// once when nothing is pending: no request yet, its result already taken, or the request
    /// abandoned. Never blocks forever: a panicking computation still sends its `Err`.
    pub fn wait(&mut self) -> Option<Result<Res, JobError>> {
        loop {
            let latest = self.latest();
            if latest == 0 || self.delivered == latest {
                return None;
            }
            // Not busy means the latest request finished (its result is already in the
            // channel) or was abandoned (no result will come).
            let finished = !self.busy();
            match self
                .results
                .recv_timeout(std::time::Duration::from_millis(20))
            {
                Ok((generation, result)) if generation == self.latest() => {
                    self.delivered_up_to(generation);
                    return Some(result);
                }
                Ok(_) => continue,
                Err(mpsc::RecvTimeoutError::Timeout) if finished => return None,
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// Records that the result of `generation` was returned: it has finished, even if the
    /// worker thread has not yet said so (it sends the result first).
    fn delivered_up_to(&mut self, generation: u64) {
        self.delivered = generation;
        if let Ok(mut f) = self.finished.lock() {
            *f = (*f).max(generation);
        }
    }

    /// True while the latest request has not finished.
    pub fn busy(&self) -> bool {
        self.finished
            .lock()
            .map(|f| *f < self.latest())
            .unwrap_or(false)
    }
}

impl<Req: Send + 'static, Res: Send + 'static> Drop for Worker<Req, Res> {
    /// Marks running work stale, so a cancellable computation stops when the app quits.
    fn drop(&mut self) {
        self.latest.fetch_add(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn headless_worker_computes_at_once() {
        let mut w = Worker::new(&Waker::headless(), |x: u32| x * 2);
        assert!(w.take().is_none());
        w.submit(21);
        assert!(!w.busy());
        assert_eq!(w.take(), Some(Ok(42)));
        assert_eq!(w.take(), None);
    }

    #[test]
    fn a_panic_becomes_an_error_and_the_worker_goes_on() {
        for waker in [Waker::headless(), Waker::new(|| {})] {
            let mut w = Worker::new(&waker, |x: u32| {
                assert!(x != 0, "zero is not allowed");
                x + 1
            });
            w.submit(0);
            match w.wait() {
                Some(Err(JobError::Panicked(msg))) => assert!(msg.contains("zero"), "{msg}"),
                other => panic!("expected a panic error, got {other:?}"),
            }
            assert!(!w.busy());
            w.submit(1);
            assert_eq!(w.wait(), Some(Ok(2)));
            assert!(!in_job());
        }
    }

    /// A threaded worker whose request 0 says it started, then spins until it is stale; other
    /// requests return themselves.
    fn spinning_worker() -> (Worker<u64, u64>, mpsc::Receiver<()>) {
        let (started_tx, started_rx) = mpsc::channel();
        let w = Worker::cancellable(&Waker::new(|| {}), move |x: u64, cancel: &Cancel| {
            if x == 0 {
                let _ = started_tx.send(());
                while !cancel.is_cancelled() {
                    thread::yield_now();
                }
                return u64::MAX;
            }
            x
        });
        (w, started_rx)
    }

    #[test]
    fn stale_work_sees_its_cancel() {
        let (mut w, started_rx) = spinning_worker();
        w.submit(0);
        started_rx.recv().expect("the first job starts");
        w.submit(7);
        assert_eq!(w.wait(), Some(Ok(7)));
        assert!(!Cancel::never().is_cancelled());
    }

    #[test]
    fn abandoned_work_sees_its_cancel_and_leaves_the_worker_idle() {
        let (mut w, started_rx) = spinning_worker();
        w.submit(0);
        started_rx.recv().expect("the first job starts");
        w.abandon();
        assert!(!w.busy());
        w.submit(5);
        assert_eq!(w.wait(), Some(Ok(5)));
        assert_eq!(w.take(), None);
    }

    #[test]
    fn wait_returns_at_once_when_nothing_is_pending() {
        for waker in [Waker::headless(), Waker::new(|| {})] {
            let mut w = Worker::new(&waker, |x: u32| x + 1);
            assert_eq!(w.wait(), None, "no request yet");
            w.submit(1);
            assert_eq!(w.wait(), Some(Ok(2)));
            assert_eq!(w.wait(), None, "the result was already returned");
            w.submit(2);
            while w.busy() {
                thread::yield_now();
            }
            assert_eq!(w.take(), Some(Ok(3)));
            assert_eq!(w.wait(), None, "the result was already taken");
        }
        let (mut w, started_rx) = spinning_worker();
        w.submit(0);
        started_rx.recv().expect("the first job starts");
        w.abandon();
        assert_eq!(
            w.wait(),
            None,
            "an abandoned request has no result to wait for"
        );
    }

    #[test]
    fn threaded_worker_wakes_and_keeps_only_the_latest() {
        let wakes = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&wakes);
        let waker = Waker::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let mut w = Worker::new(&waker, |x: u64| {
            thread::sleep(std::time::Duration::from_millis(5));
            x + 1
        });
        for i in 0..10 {
            w.submit(i);
        }
        assert_eq!(w.wait(), Some(Ok(10)));
        assert!(!w.busy());
        // The wake follows the result, so give it a moment.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while wakes.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
            thread::sleep(std::time::Duration::from_millis(1));
        }
        assert!(wakes.load(Ordering::SeqCst) >= 1);
    }
}
