//! Background work: one worker thread per kind of job, the newest request wins, and a finished
//! result wakes the terminal loop. Headless (snapshots, tests, benchmarks) the same worker runs
//! each request at once on the calling thread, so a frame always shows finished results.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;

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

type Compute<Req, Res> = Arc<dyn Fn(Req) -> Res + Send + Sync>;

/// A worker that computes `Res` from `Req`. Submitting while busy replaces any request not yet
/// started (only the newest matters when a user holds a key); results of stale requests are
/// dropped, so `take` only ever returns the answer to the latest request.
pub struct Worker<Req: Send + 'static, Res: Send + 'static> {
    compute: Compute<Req, Res>,
    queue: Option<Sender<(u64, Req)>>,
    results: Receiver<(u64, Res)>,
    results_tx: Sender<(u64, Res)>,
    latest: u64,
    finished: Arc<Mutex<u64>>,
    waker: Waker,
}

impl<Req: Send + 'static, Res: Send + 'static> Worker<Req, Res> {
    pub fn new(waker: &Waker, compute: impl Fn(Req) -> Res + Send + Sync + 'static) -> Self {
        let (results_tx, results) = mpsc::channel();
        Worker {
            compute: Arc::new(compute),
            queue: None,
            results,
            results_tx,
            latest: 0,
            finished: Arc::new(Mutex::new(0)),
            waker: waker.clone(),
        }
    }

    /// Asks for a new result; headless, computes it now.
    pub fn submit(&mut self, request: Req) {
        self.latest += 1;
        let generation = self.latest;
        if self.waker.is_headless() {
            let result = (self.compute)(request);
            let _ = self.results_tx.send((generation, result));
            if let Ok(mut f) = self.finished.lock() {
                *f = generation;
            }
            return;
        }
        let queue = self.queue.get_or_insert_with(|| {
            Self::spawn(&self.compute, &self.results_tx, &self.finished, &self.waker)
        });
        if let Err(mpsc::SendError(lost)) = queue.send((generation, request)) {
            // The worker thread died (a panic in compute): start a fresh one and resend.
            let fresh = Self::spawn(&self.compute, &self.results_tx, &self.finished, &self.waker);
            let _ = fresh.send(lost);
            self.queue = Some(fresh);
        }
    }

    fn spawn(
        compute: &Compute<Req, Res>,
        results: &Sender<(u64, Res)>,
        finished: &Arc<Mutex<u64>>,
        waker: &Waker,
    ) -> Sender<(u64, Req)> {
        let (tx, rx) = mpsc::channel::<(u64, Req)>();
        let compute = Arc::clone(compute);
        let results = results.clone();
        let finished = Arc::clone(finished);
        let waker = waker.clone();
        thread::spawn(move || {
            while let Ok(mut next) = rx.recv() {
                // Skip to the newest request waiting in the queue.
                while let Ok(newer) = rx.try_recv() {
                    next = newer;
                }
                let (generation, request) = next;
                let result = compute(request);
                if let Ok(mut f) = finished.lock() {
                    *f = (*f).max(generation);
                }
                if results.send((generation, result)).is_err() {
                    break;
                }
                waker.wake();
            }
        });
        tx
    }

    /// The result of the latest request, once it is ready.
    pub fn take(&mut self) -> Option<Res> {
        let mut newest = None;
        while let Ok((generation, result)) = self.results.try_recv() {
            if generation == self.latest {
                newest = Some(result);
            }
        }
        newest
    }

    /// Waits for the latest request's result (used by headless callers and tests).
    pub fn wait(&mut self) -> Option<Res> {
        if self.latest == 0 {
            return None;
        }
        loop {
            match self.results.recv() {
                Ok((generation, result)) if generation == self.latest => return Some(result),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    /// True while the latest request has not finished.
    pub fn busy(&self) -> bool {
        self.finished
            .lock()
            .map(|f| *f < self.latest)
            .unwrap_or(false)
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
        assert_eq!(w.take(), Some(42));
        assert_eq!(w.take(), None);
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
        assert_eq!(w.wait(), Some(10));
        assert!(!w.busy());
        assert!(wakes.load(Ordering::SeqCst) >= 1);
    }
}
