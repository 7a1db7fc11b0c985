//! A worker panel: background work for one part of a tab, with what the shell and the panel
//! need around it: the error of the last computation, whether it runs, what it is doing (the
//! tab bar's label, with progress the computation reports), and `settle` for headless frames.

use std::sync::{Arc, Mutex};

use ratatui::text::Line;

use crate::jobs::{JobError, Worker};
use crate::theme::Ui;

/// What a running computation says it is doing ("eigenvalues 3 of 8"), for the tab bar.
#[derive(Clone, Debug, Default)]
pub struct Progress(Arc<Mutex<Option<String>>>);

impl Progress {
    /// Says what the computation is doing now.
    pub fn set(&self, what: impl Into<String>) {
        if let Ok(mut p) = self.0.lock() {
            *p = Some(what.into());
        }
    }

    /// Says nothing more (the computation ended).
    pub fn clear(&self) {
        if let Ok(mut p) = self.0.lock() {
            *p = None;
        }
    }

    pub fn get(&self) -> Option<String> {
        self.0.lock().ok().and_then(|p| p.clone())
    }
}

/// A worker with its error slot, label and progress.
pub struct WorkerPanel<Req: Send + 'static, Res: Send + 'static> {
    worker: Worker<Req, Res>,
    /// Why the last computation gave no result (a panic in it), shown where its result goes.
    error: Option<String>,
    /// What the work is, for the tab bar when it reports no progress of its own.
    what: &'static str,
    progress: Progress,
}

impl<Req: Send + 'static, Res: Send + 'static> WorkerPanel<Req, Res> {
    /// A panel for `worker`, whose work is called `what` in the tab bar.
    pub fn new(worker: Worker<Req, Res>, what: &'static str) -> Self {
        WorkerPanel::with_progress(worker, what, Progress::default())
    }

    /// The same, with the progress its computation reports to.
    pub fn with_progress(worker: Worker<Req, Res>, what: &'static str, progress: Progress) -> Self {
        WorkerPanel {
            worker,
            error: None,
            what,
            progress,
        }
    }

    /// Asks for a new result (headless: computes it now; take it with `poll`).
    pub fn submit(&mut self, request: Req) {
        self.worker.submit(request);
    }

    /// Marks the running request stale: no result will come for it.
    pub fn abandon(&mut self) {
        self.worker.abandon();
        self.progress.clear();
    }

    /// The latest result once it is ready: an error is kept for `error` (and cleared by the
    /// next result).
    pub fn poll(&mut self) -> Option<Res> {
        let result = self.worker.take()?;
        self.accept(result)
    }

    /// Waits for the latest result (headless settling); `None` when nothing is pending.
    pub fn settle(&mut self) -> Option<Res> {
        let result = self.worker.wait()?;
        self.accept(result)
    }

    fn accept(&mut self, result: Result<Res, JobError>) -> Option<Res> {
        self.progress.clear();
        match result {
            Ok(res) => {
                self.error = None;
                Some(res)
            }
            Err(e) => {
                self.error = Some(e.to_string());
                None
            }
        }
    }

    pub fn busy(&self) -> bool {
        self.worker.busy()
    }

    /// What runs, for the tab bar: the computation's progress, else what the work is.
    pub fn busy_label(&self) -> Option<String> {
        self.busy()
            .then(|| self.progress.get().unwrap_or_else(|| self.what.to_string()))
    }

    /// Why the last computation gave no result.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Sets the error shown in the panel (a failure the result itself reports).
    pub fn set_error(&mut self, error: Option<String>) {
        self.error = error;
    }

    /// The panel's status line: the error, or what runs; `None` when neither.
    pub fn status_line(&self, ui: &Ui) -> Option<Line<'static>> {
        if let Some(e) = &self.error {
            return Some(Line::styled(e.clone(), ui.theme.warn));
        }
        self.busy_label()
            .map(|what| Line::styled(format!("computing: {what}"), ui.theme.dim))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::Waker;

    #[test]
    fn errors_are_kept_until_the_next_result_and_settle_never_blocks() {
        for waker in [Waker::headless(), Waker::new(|| {})] {
            let progress = Progress::default();
            let reporter = progress.clone();
            let worker = Worker::new(&waker, move |x: u32| {
                reporter.set(format!("step {x}"));
                assert!(x != 0, "zero is refused");
                x * 2
            });
            let mut panel = WorkerPanel::with_progress(worker, "doubling", progress);
            assert_eq!(panel.settle(), None, "nothing asked yet");
            panel.submit(0);
            assert_eq!(panel.settle(), None);
            assert!(panel.error().is_some_and(|e| e.contains("zero")));
            panel.submit(4);
            assert_eq!(panel.settle(), Some(8));
            assert_eq!(panel.error(), None);
            assert_eq!(panel.settle(), None, "the result was already taken");
            assert!(!panel.busy());
            assert_eq!(panel.busy_label(), None);
        }
    }
}
