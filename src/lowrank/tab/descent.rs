//! The descent panel: plain gradient descent on ½‖X − AB‖²_F from a small random start at the
//! current rank, trained on a worker in chunks, against the Eckart–Young optimum ½Σ_{i>r} σᵢ²,
//! with the gap's observed contraction beside the theory's bound.

use std::sync::Arc;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

use super::jobs::Ready;
use super::pipeline::Pipeline;
use super::render::{
    below, draw_note, fit_note, inner, put_lines, put_wrapped, rate_text, rows_used,
};
use super::{Act, Taken, Work, key_of, notes, take};
use crate::components::scroll::ScrollText;
use crate::components::worker::WorkerPanel;
use crate::jobs::{Waker, Worker};
use crate::lowrank::model::descent::{
    self, Gap, GradientDescent, PredictedRate, RATE_WINDOW, RateLimit, Standing, Tolerance,
};
use crate::numfmt;
use crate::text::spelled;
use crate::theme::Ui;
use crate::widgets::log_chart::{LogChart, RefLine, Scale, Series};

/// A run stops after this many iterations unless it converged first; play then grants as many
/// more.
pub const DESCENT_BUDGET: usize = 500;
/// Multiply-adds per background chunk (about 30 ms, so the chart animates smoothly).
const CHUNK_MULTIPLY_ADDS: f64 = 2e8;

/// Where a run stands, kept while its state is on the worker.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct DescentStatus {
    pub(super) rank: usize,
    pub(super) iterations: usize,
    pub(super) budget: usize,
    pub(super) loss: f64,
    pub(super) optimum: f64,
    pub(super) step_size: f64,
    /// ½‖X‖²_F: the scale of rounding and of the absolute rule.
    pub(super) data_loss: f64,
    /// How far the loss is above the optimum, as shown.
    pub(super) gap: Gap,
    pub(super) standing: Standing,
    /// The gap's contraction per iteration over the last [`descent::RATE_WINDOW`] iterations.
    pub(super) observed_rate: Option<f64>,
    /// The theory's contraction near the optimum.
    pub(super) predicted_rate: Option<PredictedRate>,
    /// ‖AᵀA − BBᵀ‖_F at the start and now, and ‖AᵀA‖_F now.
    pub(super) imbalance_start: f64,
    pub(super) imbalance_now: f64,
    pub(super) gram_norm: f64,
}

/// Iterations per background chunk for a descent on an m×n matrix at rank r.
pub(super) fn descent_chunk(rows: usize, cols: usize, rank: usize) -> usize {
    let per_iteration = 2.0 * rows as f64 * cols as f64 * rank.max(1) as f64;
    ((CHUNK_MULTIPLY_ADDS / per_iteration) as usize).clamp(1, 100)
}

/// A run on its way to or from the worker, with the optimum it is measured against.
pub(super) struct DescentJob {
    /// Which run this is, so a chunk of an abandoned run is not taken for the current one.
    run: u64,
    pub(super) descent: GradientDescent,
    optimum: f64,
    /// Iterations allowed in all; play after the budget raises it by [`DESCENT_BUDGET`].
    budget: usize,
    predicted_rate: Option<PredictedRate>,
}

/// Advances a run by one chunk of iterations (fewer if it stops).
fn train_chunk(mut job: DescentJob) -> DescentJob {
    let (rows, cols) = job.descent.shape();
    let chunk = descent_chunk(rows, cols, job.descent.rank());
    job.descent.run(job.optimum, job.budget, chunk);
    job
}

fn status_of(job: &DescentJob) -> DescentStatus {
    let descent = &job.descent;
    DescentStatus {
        rank: descent.rank(),
        iterations: descent.iterations(),
        budget: job.budget,
        loss: descent.loss(),
        optimum: job.optimum,
        step_size: descent.step_size(),
        data_loss: descent.data_loss(),
        gap: descent::gap(descent.loss(), job.optimum, descent.data_loss()),
        standing: descent.standing(job.optimum, job.budget),
        observed_rate: descent::observed_contraction(
            descent.losses(),
            job.optimum,
            descent::RATE_WINDOW,
        ),
        predicted_rate: job.predicted_rate,
        imbalance_start: descent.imbalances().first().copied().unwrap_or(0.0),
        imbalance_now: descent.imbalances().last().copied().unwrap_or(0.0),
        gram_norm: descent.gram_norm(),
    }
}

/// The descent panel's state.
pub(super) struct DescentPanel {
    /// Trains a run chunk by chunk; its error is a run lost to a failed chunk.
    pub(super) worker: WorkerPanel<DescentJob, DescentJob>,
    /// The run while it is not on the worker.
    pub(super) job: Option<DescentJob>,
    pub(super) status: Option<DescentStatus>,
    /// (iteration, loss) of the current run, for the chart.
    pub(super) losses: Vec<(f64, f64)>,
    training: bool,
    pub(super) seed: u64,
    /// Numbers the runs; results of other runs are ignored.
    run: u64,
    /// The note: how to start before the first run, the rate's formula under the chart.
    pub(super) note: ScrollText,
}

/// The parts of the panel's inside below its lines: the chart, and the note under it when
/// there is room to spare.
struct Parts {
    chart: Rect,
    note: Option<Rect>,
}

impl DescentPanel {
    pub(super) fn new(waker: &Waker) -> Self {
        DescentPanel {
            worker: WorkerPanel::new(Worker::new(waker, train_chunk), "training"),
            job: None,
            status: None,
            losses: Vec::new(),
            training: false,
            seed: 1,
            run: 0,
            note: ScrollText::new(),
        }
    }

    pub(super) fn training(&self) -> bool {
        self.training
    }

    pub(super) fn iterations(&self) -> usize {
        self.status.map_or(0, |s| s.iterations)
    }

    /// Drops the run (a new input): a chunk on the worker is no longer taken.
    pub(super) fn stop(&mut self) {
        self.forget_run();
        self.worker.set_error(None);
    }

    fn forget_run(&mut self) {
        self.run = self.run.wrapping_add(1);
        self.training = false;
        self.job = None;
        self.status = None;
        self.losses.clear();
    }

    /// Play/pause, rewind, a new random start; true when something changed.
    pub(super) fn act(&mut self, act: Act, ready: Option<&Ready>) -> bool {
        // Entries whose squares leave f64 cannot be trained on ([`refusal`]).
        let Some(ready) = ready.filter(|r| r.decomposition.squares_in_range()) else {
            return false;
        };
        match act {
            Act::Train => self.play_pause(ready),
            Act::Rewind => {
                self.start(ready);
                true
            }
            Act::NewDraw => {
                self.seed = self.seed.wrapping_add(1);
                self.start(ready);
                true
            }
            _ => false,
        }
    }

    /// Pauses a run in progress; resumes a paused one; continues one that stopped at its
    /// budget with [`DESCENT_BUDGET`] more iterations; otherwise starts a run at this rank.
    fn play_pause(&mut self, ready: &Ready) -> bool {
        if self.training {
            self.training = false;
            return true;
        }
        let same_rank = self.status.filter(|s| s.rank == ready.rank());
        match (same_rank.map(|s| s.standing), self.job.take()) {
            (Some(Standing::Running), Some(job)) => {
                self.training = true;
                self.worker.submit(job);
            }
            // Paused while a chunk was on the worker: it is resubmitted when it arrives.
            (Some(Standing::Running), None) if self.worker.busy() => {
                self.training = true;
            }
            (Some(Standing::AtBudget), Some(mut job)) => {
                job.budget = job.budget.saturating_add(DESCENT_BUDGET);
                self.status = Some(status_of(&job));
                self.training = true;
                self.worker.submit(job);
            }
            // Converged or diverged: there is nothing to continue (rewind replays, a new draw
            // starts elsewhere).
            (Some(Standing::Converged | Standing::Diverged), job) => {
                self.job = job;
                return false;
            }
            _ => self.start(ready),
        }
        true
    }

    /// A new run at the current rank from the random start of `seed`.
    fn start(&mut self, ready: &Ready) {
        let rank = ready.rank();
        let optimum = descent::optimal_loss(&ready.decomposition, rank);
        let descent =
            GradientDescent::new(Arc::clone(&ready.decomposition.matrix), rank, self.seed);
        let predicted_rate = descent::predicted_contraction(
            &ready.decomposition.svd.singular_values,
            rank,
            descent.step_size(),
        );
        self.forget_run();
        let job = DescentJob {
            run: self.run,
            descent,
            optimum,
            budget: DESCENT_BUDGET,
            predicted_rate,
        };
        self.losses = vec![(0.0, job.descent.loss())];
        self.status = Some(status_of(&job));
        self.worker.set_error(None);
        self.training = true;
        self.worker.submit(job);
    }

    fn accept(&mut self, taken: Taken<DescentJob>) {
        let job = match taken {
            Taken::Result(job) => job,
            Taken::Failed => {
                // The run's state was on the worker and is lost: its error says so; play
                // starts anew.
                self.forget_run();
                return;
            }
        };
        if job.run != self.run {
            return;
        }
        let known = self.losses.len();
        self.losses.extend(
            job.descent
                .losses()
                .iter()
                .enumerate()
                .skip(known)
                .map(|(i, loss)| (i as f64, *loss)),
        );
        let status = status_of(&job);
        self.status = Some(status);
        if self.training && status.standing == Standing::Running {
            self.worker.submit(job);
        } else {
            self.training = false;
            self.job = Some(job);
        }
    }

    /// Where it stands: training, paused, converged, at the budget (with the key that goes
    /// on, shorter when the long form is wider than `width`), diverged.
    fn state_text(&self, status: &DescentStatus, ui: &Ui, width: usize) -> String {
        if self.training {
            return format!("training{}", ui.glyphs.ellipsis);
        }
        if status.rank == 0 {
            return "nothing to train at rank 0: AB = 0, its loss is the optimum".to_string();
        }
        match status.standing {
            Standing::Converged => converged_text(status).to_string(),
            Standing::AtBudget => {
                let key = key_of(Act::Train, ui);
                let long = format!("stopped at the budget ({key}: {DESCENT_BUDGET} more)");
                if crate::text::width(&long) <= width {
                    long
                } else {
                    format!("stopped at the budget ({key}: +{DESCENT_BUDGET})")
                }
            }
            Standing::Diverged => "diverged".to_string(),
            Standing::Running => "paused".to_string(),
        }
    }

    /// The rate line: the observed contraction against the theory's, the long form with its
    /// formula where it fits in `width`.
    fn rate_line(status: &DescentStatus, ui: &Ui, width: usize) -> Line<'static> {
        let hint =
            |text: &str| Span::styled(spelled(text, ui.glyphs.unicode).into_owned(), ui.theme.hint);
        let number = |text: String| Span::styled(text, ui.theme.number);
        // No rate yet: a dash, spelled for the terminal ("-" in ASCII).
        let none = || spelled("–", ui.glyphs.unicode).into_owned();
        let Some(predicted) = status.predicted_rate else {
            return Line::from(hint("no rate at rank 0"));
        };
        let observed = status.observed_rate;
        let long = Line::from(vec![
            hint("gap ×"),
            number(observed.map_or_else(none, |x| rate_text(x, 3))),
            hint(&format!(" per iteration (last {RATE_WINDOW}), ")),
            hint(local_rate_formula(predicted.limit)),
            number(rate_text(predicted.factor, 3)),
        ]);
        if long.width() <= width {
            return long;
        }
        // Two significant digits of 1 − ρ² keep both numbers on a 36-column line.
        Line::from(vec![
            hint("gap ×"),
            number(observed.map_or_else(none, |x| rate_text(x, 2))),
            hint("/step, local ρ² "),
            number(rate_text(predicted.factor, 2)),
        ])
    }

    /// The figures above the chart, for an inside `width` × `height`.
    fn lines(
        &self,
        status: &DescentStatus,
        ui: &Ui,
        width: u16,
        height: u16,
    ) -> Vec<Line<'static>> {
        let hint =
            |text: &str| Span::styled(spelled(text, ui.glyphs.unicode).into_owned(), ui.theme.hint);
        let number = |text: String| Span::styled(text, ui.theme.number);
        let mut balance = vec![
            hint("‖AᵀA−BBᵀ‖ "),
            number(numfmt::general(status.imbalance_start, 2)),
            hint(" → "),
            number(numfmt::general(status.imbalance_now, 2)),
        ];
        let scale = [
            hint(", against ‖AᵀA‖ "),
            number(numfmt::general(status.gram_norm, 3)),
        ];
        if Line::from(balance.clone()).width() + Line::from(scale.to_vec()).width()
            <= width as usize
        {
            balance.extend(scale);
        }
        let mut lines = vec![
            Line::from(hint(&self.state_text(status, ui, width as usize))),
            Line::from(vec![
                hint(&format!("rank {}, iteration ", status.rank)),
                number(status.iterations.to_string()),
                hint(", gap "),
                number(gap_text(status.gap)),
            ]),
            Line::from(vec![
                hint("loss "),
                number(numfmt::general(status.loss, 6)),
                hint("  optimum "),
                number(numfmt::general(status.optimum, 6)),
            ]),
        ];
        if height >= 16 {
            lines.push(Line::from(vec![
                hint("step η = 0.9/σ₁ = "),
                number(numfmt::sci(status.step_size, 3)),
            ]));
        }
        lines.push(Self::rate_line(status, ui, width as usize));
        lines.push(Line::from(balance));
        lines
    }

    /// The chart's place under `used` rows of lines, and the note's with room to spare.
    fn parts(inner: Rect, used: u16) -> Parts {
        let rest = below(inner, used);
        if rest.height < 16 {
            return Parts {
                chart: rest,
                note: None,
            };
        }
        let [chart, note] =
            Layout::vertical([Constraint::Length(rest.height - 7), Constraint::Fill(1)])
                .areas(rest);
        Parts {
            chart,
            note: Some(below(note, 1)),
        }
    }

    /// The note shown in the panel at `area` and where: how to start, or the rate's formula.
    fn note_at(&self, area: Rect, ui: &Ui, pipeline: &Pipeline) -> Option<(String, Rect)> {
        let inner = inner(area);
        if inner.width == 0 || inner.height == 0 || self.worker.error().is_some() {
            return None;
        }
        if let Some(why) = refusal(pipeline) {
            return Some((why, inner));
        }
        let Some(status) = &self.status else {
            return pipeline
                .ready()
                .map(|_| (notes::descent_start(&key_of(Act::Train, ui)), inner));
        };
        let used = rows_used(
            self.lines(status, ui, inner.width, inner.height).len(),
            inner,
        );
        let note = Self::parts(inner, used).note?;
        Some((notes::descent_rate(&rate_facts(status)), note))
    }

    /// Records the extent of the note in the panel at `area` (`None`: not shown).
    pub(super) fn fit_note(&mut self, area: Option<Rect>, ui: &Ui, pipeline: &Pipeline) {
        match area.and_then(|area| self.note_at(area, ui, pipeline)) {
            Some((text, at)) => fit_note(&mut self.note, Some(at), ui, &text),
            None => fit_note(&mut self.note, None, ui, ""),
        }
    }

    pub(super) fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui, pipeline: &Pipeline) {
        let title = format!(
            "gradient descent ({}, {}, {})",
            key_of(Act::Train, ui),
            key_of(Act::Rewind, ui),
            key_of(Act::NewDraw, ui)
        );
        let inner = crate::widgets::panel(area, buf, ui, &title, false);
        if inner.width == 0 || inner.height == 0 {
            return;
        }
        if let Some(error) = self.worker.error() {
            let restart = notes::descent_lost(&key_of(Act::Train, ui));
            let text = format!("gradient descent: {error}. {restart}");
            put_wrapped(inner, buf, ui, &text, ui.theme.bad);
            return;
        }
        let status = self.status.as_ref().filter(|_| refusal(pipeline).is_none());
        let Some(status) = status else {
            match self.note_at(area, ui, pipeline) {
                Some((text, at)) => draw_note(at, buf, ui, &text, &self.note),
                None => pipeline.render_waiting(inner, buf, ui),
            }
            return;
        };
        let lines = self.lines(status, ui, inner.width, inner.height);
        let used = put_lines(inner, buf, ui, lines);
        let parts = Self::parts(inner, used);
        let chart = LogChart::new(vec![Series {
            label: "loss",
            points: &self.losses,
            index: 0,
        }])
        .x_scale(Scale::Linear)
        .y_scale(Scale::Log10)
        .x_bounds(0.0, status.iterations.max(10) as f64)
        .ref_line(RefLine {
            y: status.optimum,
            label: "optimum",
        })
        .x_name("iteration")
        .legend(false);
        chart.render(parts.chart, buf, ui);
        if let Some(note) = parts.note {
            let text = notes::descent_rate(&rate_facts(status));
            draw_note(note, buf, ui, &text, &self.note);
        }
    }

    /// The panel's figures for the readout: the run's iteration, loss, gap and rates.
    pub(super) fn readout(&self, ui: &Ui, pipeline: &Pipeline) -> Vec<String> {
        if let Some(error) = self.worker.error() {
            return vec![format!("lower panel: gradient descent: {error}")];
        }
        if let Some(why) = refusal(pipeline) {
            return vec![format!("lower panel: {why}")];
        }
        let Some(status) = &self.status else {
            return vec!["lower panel: gradient descent, no run yet".to_string()];
        };
        let mut out = vec![
            format!(
                "lower panel: gradient descent, {}",
                self.state_text(status, ui, usize::MAX)
            ),
            format!(
                "rank {}, iteration {} (budget {}), gap {}",
                status.rank,
                status.iterations,
                status.budget,
                gap_text(status.gap)
            ),
            format!(
                "loss {}, optimum {}",
                numfmt::general(status.loss, 6),
                numfmt::general(status.optimum, 6)
            ),
            format!("step η = 0.9/σ₁ = {}", numfmt::sci(status.step_size, 3)),
        ];
        let observed = status
            .observed_rate
            .map_or("–".to_string(), |x| rate_text(x, 3));
        out.push(match status.predicted_rate {
            Some(predicted) => format!(
                "gap × {observed} per iteration (last {RATE_WINDOW}), {}{}",
                local_rate_formula(predicted.limit),
                rate_text(predicted.factor, 3)
            ),
            None => "no rate at rank 0".to_string(),
        });
        out.push(format!(
            "‖AᵀA−BBᵀ‖ {} → {}, against ‖AᵀA‖ {}",
            numfmt::general(status.imbalance_start, 2),
            numfmt::general(status.imbalance_now, 2),
            numfmt::general(status.gram_norm, 3)
        ));
        out
    }
}

/// Why gradient descent is not run on the input shown: its entries' squares leave f64.
fn refusal(pipeline: &Pipeline) -> Option<String> {
    let decomposition = &pipeline.ready()?.decomposition;
    (!decomposition.squares_in_range())
        .then(|| notes::squares_out_of_range("Gradient descent", decomposition.largest_entry()))
}

/// What the rate note compares: the measured contraction against the local rate.
pub(super) fn rate_facts(status: &DescentStatus) -> notes::RateFacts {
    notes::RateFacts {
        observed: status.observed_rate,
        local: status.predicted_rate.map(|p| p.factor),
    }
}

/// The local rate near the optimum (not a bound on the run), by what sets it.
pub(super) fn local_rate_formula(limit: RateLimit) -> &'static str {
    match limit {
        RateLimit::SpectralGap => "local rate near the optimum (1 − η(σ_r − σ_{r+1}))² = ",
        RateLimit::LargestCurvature => "local rate near the optimum (1 − 2ησ₁)² = ",
    }
}

/// The gap L − L* as shown: a percentage of the optimum, the difference itself where the
/// optimum is 0 (or nearly), or rounding; never infinite, never negative.
pub(super) fn gap_text(gap: Gap) -> String {
    match gap {
        Gap::Percent(p) => format!("{}%", numfmt::general(p, 3)),
        Gap::Absolute(d) => numfmt::general(d, 3),
        Gap::Rounding => "0 up to rounding".to_string(),
    }
}

/// What "converged" means for this run's optimum: the rule that held.
pub(super) fn converged_text(status: &DescentStatus) -> &'static str {
    match descent::tolerance(status.optimum, status.data_loss) {
        Tolerance::Relative => "converged: gap ≤ 1e-5 × optimum",
        Tolerance::Absolute => "converged: gap ≤ 1e-10 × ½‖X‖²_F",
    }
}

impl Work for DescentPanel {
    fn poll(&mut self) -> bool {
        let taken = take(&mut self.worker, false);
        taken.map(|taken| self.accept(taken)).is_some()
    }

    fn settle_one(&mut self) -> bool {
        if !(self.training && self.worker.busy()) {
            return false;
        }
        let taken = take(&mut self.worker, true);
        taken.map(|taken| self.accept(taken)).is_some()
    }

    fn busy(&self) -> bool {
        self.training
    }

    fn busy_label(&self) -> Option<String> {
        self.training.then(|| "training".to_string())
    }
}
