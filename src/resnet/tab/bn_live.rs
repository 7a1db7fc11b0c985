//! The batch-norm panel, "Batch norm, live" (issue 11): a 3×3 conv → BatchNorm2d → ReLU run on
//! batches of camera patches, drawn from [`bn_live`]. The panel keeps its own knobs (the batch
//! shape, how many batches were fed) and the model's figures for them, recomputed when a knob
//! changes (on the tab's worker thread: 200 batches of 64 patches take a while in a debug
//! build), never while drawing. The tab's mode key says which statistics normalise, its
//! bias key whether the conv has a bias; the batch keys step the panel's batch while it has
//! the focus.

use std::sync::{Arc, OnceLock};

use ndarray::{Array1, Array2, ArrayView2};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::keys::{self, Act};
use super::render::{View, pack_facts};
use super::{Focus, ResnetTab, notes};
use crate::components::scroll::ScrollAct;
use crate::components::worker::WorkerPanel;
use crate::jobs::{Waker, Worker};
use crate::resnet::model::Mode;
use crate::resnet::model::bn_live::{
    self, BatchStats, BnError, CHANNELS, ConvBnRelu, Live, LiveConfig, SEED, SPREAD_BATCHES,
};
use crate::text::{fit, fit_number};
use crate::widgets::{panel, scroll};

/// The batch shapes the batch keys step through in the panel, as (patches, side in pixels).
/// One 1×1 patch is the only way to one value per channel (N·H·W = 1); the others are 8×8 patches.
pub const SHAPES: [(usize, usize); 8] = [
    (1, 1),
    (1, 8),
    (2, 8),
    (4, 8),
    (8, 8),
    (16, 8),
    (32, 8),
    (64, 8),
];

/// The most batches the panel feeds: every change reruns the training from the first batch,
/// and by then the running statistics have long forgotten where they started (0.9^200 < 1e-9).
pub const MAX_STEPS: usize = 200;

/// Significant digits of the panel's numbers (fewer where a column is narrow).
const DIGITS: usize = 4;
/// Width of a number column (a gap and up to 9 characters: `-1.234e-17` drops a digit).
const COLUMN: usize = 10;
/// The label column: at most this wide, and the number columns shrink below this.
const LABEL_MAX: usize = 30;
const LABEL_MIN: usize = 16;

/// The panel's state: its knobs, and the model's figures for the settings last shown.
pub(super) struct BatchNormLive {
    /// Index into [`SHAPES`].
    shape: usize,
    /// Batches fed (training steps), 1 to [`MAX_STEPS`].
    steps: usize,
    /// Computes the figures (headless: at once, on the calling thread).
    worker: WorkerPanel<LiveConfig, Shown>,
    /// The settings last asked of the worker.
    requested: Option<LiveConfig>,
    /// The figures and the settings they were computed for.
    shown: Option<Shown>,
}

/// The camera image, loaded by the first job that needs it.
type Camera = Arc<OnceLock<Result<Array2<f64>, String>>>;

struct Shown {
    config: LiveConfig,
    outcome: Outcome,
}

/// What the model gave for the panel's settings.
pub(super) enum Outcome {
    Ready(Box<Figures>),
    /// The model (as PyTorch) refuses to train on the batch. `eval_output`: what eval mode
    /// makes of the same batch instead, the BN output per channel through the fresh layer.
    Refused {
        error: BnError,
        eval_output: Option<Vec<f64>>,
    },
    /// The camera image could not be loaded, or the computation failed.
    Failed(String),
}

/// Every figure the panel draws, from the model.
pub(super) struct Figures {
    pub live: Live,
    /// The running statistics before the last batch: after the one before it, or the fresh
    /// layer's (mean 0, var 1, 0 batches) before the first.
    pub before_mean: Array1<f64>,
    pub before_var: Array1<f64>,
    pub before_tracked: u64,
    /// Per-channel mean and (biased) variance of the last batch's BN output, train and eval.
    pub train_output: Option<BatchStats>,
    pub eval_output: Option<BatchStats>,
}

/// The model's figures for `cfg` on `image`.
fn compute(image: ArrayView2<f64>, cfg: &LiveConfig) -> Outcome {
    match bn_live::live(image, cfg) {
        Ok(live) => {
            let fresh = ConvBnRelu::new(SEED, cfg.conv_bias);
            let previous = live
                .steps
                .len()
                .checked_sub(2)
                .and_then(|k| live.steps.get(k));
            let (before_mean, before_var, before_tracked) = match previous {
                Some(step) => (
                    step.running_mean.clone(),
                    step.running_var.clone(),
                    step.num_batches_tracked,
                ),
                None => (
                    fresh.running_mean,
                    fresh.running_var,
                    fresh.num_batches_tracked,
                ),
            };
            let train_output = bn_live::batch_stats(live.train.normalized.view()).ok();
            let eval_output = bn_live::batch_stats(live.eval.normalized.view()).ok();
            Outcome::Ready(Box::new(Figures {
                live,
                before_mean,
                before_var,
                before_tracked,
                train_output,
                eval_output,
            }))
        }
        Err(error) => {
            let eval_output = bn_live::first_batch_in_eval(image, cfg)
                .ok()
                .map(|forward| forward.normalized.iter().copied().collect());
            Outcome::Refused { error, eval_output }
        }
    }
}

/// The worker's job: the figures for `config`.
fn job(camera: &Camera, config: LiveConfig) -> Shown {
    let image = camera.get_or_init(|| bn_live::camera().map_err(|e| e.to_string()));
    let outcome = match image {
        Ok(image) => compute(image.view(), &config),
        Err(e) => Outcome::Failed(e.clone()),
    };
    Shown { config, outcome }
}

impl BatchNormLive {
    pub(super) fn new(waker: &Waker) -> Self {
        let camera = Camera::default();
        BatchNormLive {
            shape: default_shape(),
            steps: default_steps(),
            worker: WorkerPanel::new(
                Worker::new(waker, move |config| job(&camera, config)),
                "batch norm",
            ),
            requested: None,
            shown: None,
        }
    }

    /// The model's settings for the panel's knobs and the tab's conv bias.
    pub(super) fn config(&self, conv_bias: bool) -> LiveConfig {
        let (batch, side) = SHAPES.get(self.shape).copied().unwrap_or(SHAPES[0]);
        LiveConfig {
            batch,
            side,
            steps: self.steps,
            conv_bias,
            ..LiveConfig::default()
        }
    }

    /// Asks for the figures when the panel is `visible` and they were not asked for its
    /// settings yet.
    pub(super) fn sync(&mut self, visible: bool, conv_bias: bool) {
        let config = self.config(conv_bias);
        if !visible || self.requested == Some(config) {
            return;
        }
        self.requested = Some(config);
        self.worker.submit(config);
        self.poll();
    }

    /// Takes finished figures; true when there were some. A computation that failed (a panic
    /// in it) shows as the panel's failure, for the settings asked.
    pub(super) fn poll(&mut self) -> bool {
        // The error slot is cleared first, so an error after `poll` is this poll's.
        self.worker.set_error(None);
        if let Some(shown) = self.worker.poll() {
            self.shown = Some(shown);
            return true;
        }
        let Some(error) = self.worker.error() else {
            return false;
        };
        self.shown = Some(Shown {
            config: self.requested.unwrap_or_default(),
            outcome: Outcome::Failed(error.to_string()),
        });
        true
    }

    /// True while the worker computes figures not yet shown.
    pub(super) fn busy(&self) -> bool {
        self.worker.busy()
    }

    /// What runs, for the tab bar.
    pub(super) fn busy_label(&self) -> Option<String> {
        self.worker.busy_label()
    }

    /// What the model gave, and for which settings (`None` before the panel is first shown).
    pub(super) fn outcome(&self) -> Option<(&LiveConfig, &Outcome)> {
        self.shown.as_ref().map(|s| (&s.config, &s.outcome))
    }

    /// The figures, when the model ran.
    pub(super) fn figures(&self) -> Option<&Figures> {
        match self.outcome() {
            Some((_, Outcome::Ready(f))) => Some(f),
            _ => None,
        }
    }

    fn refused(&self) -> bool {
        matches!(self.outcome(), Some((_, Outcome::Refused { .. })))
    }

    /// One more batch, in train mode only (eval mode updates nothing).
    fn feed(&mut self, mode: Mode) -> bool {
        if mode == Mode::Eval || self.refused() || self.steps >= MAX_STEPS {
            return false;
        }
        self.steps += 1;
        true
    }

    /// The state one batch earlier.
    fn back(&mut self) -> bool {
        if self.steps <= 1 || self.refused() {
            return false;
        }
        self.steps -= 1;
        true
    }

    /// From the fresh running statistics, the first batch again.
    fn rewind(&mut self) -> bool {
        if self.refused() {
            return false;
        }
        let changed = self.steps != 1;
        self.steps = 1;
        changed
    }

    /// The next batch shape up or down.
    fn resize(&mut self, larger: bool) -> bool {
        crate::controls::step_index(&mut self.shape, SHAPES.len(), larger)
    }

    /// The panel's knobs back to the model's defaults; false if they were.
    pub(super) fn reset(&mut self) -> bool {
        let (shape, steps) = (default_shape(), default_steps());
        let changed = (self.shape, self.steps) != (shape, steps);
        self.shape = shape;
        self.steps = steps;
        changed
    }

    /// Batches fed so far.
    pub(super) fn steps(&self) -> usize {
        self.steps
    }
}

/// The model's default number of batches, within what the panel feeds.
fn default_steps() -> usize {
    LiveConfig::default().steps.clamp(1, MAX_STEPS)
}

/// The position of the model's default batch shape in [`SHAPES`].
fn default_shape() -> usize {
    let d = LiveConfig::default();
    SHAPES
        .iter()
        .position(|&s| s == (d.batch, d.side))
        .unwrap_or(SHAPES.len() / 2)
}

impl ResnetTab {
    /// The panel's own actions (next batch, back, rewind, and the batch keys while it has the
    /// focus); false when the panel does not have the focus or there is nothing to do.
    pub(super) fn batch_norm_act(&mut self, act: Act) -> bool {
        if self.focus != Focus::BatchNorm {
            return false;
        }
        let panel = &mut self.batch_norm;
        match act {
            Act::FeedBatch => panel.feed(self.mode),
            Act::BackOneBatch => panel.back(),
            Act::Rewind => panel.rewind(),
            Act::LargerBatch => panel.resize(true),
            Act::SmallerBatch => panel.resize(false),
            _ => false,
        }
    }
}

/// The label column and one number column per channel, fitted to a width.
#[derive(Clone, Copy)]
struct Grid {
    label_w: usize,
    col_w: usize,
}

impl Grid {
    /// `None` when the width cannot hold a label and four readable numbers.
    fn new(width: usize) -> Option<Grid> {
        let col_w = (width.saturating_sub(LABEL_MIN) / CHANNELS).min(COLUMN);
        if col_w < 6 {
            return None;
        }
        let label_w = (width - col_w * CHANNELS).min(LABEL_MAX);
        Some(Grid { label_w, col_w })
    }

    /// A number right-aligned in its column, shortened (never cut) to fit.
    fn number(&self, x: f64) -> String {
        format!(
            "{:>w$}",
            fit_number(x, DIGITS, self.col_w - 1),
            w = self.col_w
        )
    }
}

impl View<'_> {
    /// The panel: a frame, its lines from the scroll offset, the scroll marks.
    pub(super) fn batch_norm(&self, area: Rect, buf: &mut Buffer) {
        let arrow = self.g().right;
        let mut title = format!("Batch norm, live: conv 3×3 {arrow} BN {arrow} ReLU");
        if self.tab.batch_norm.busy() {
            title.push_str(" (computing…)");
        }
        let inner = panel(area, buf, self.ui, &self.text(&title), true);
        if inner.width == 0 || inner.height == 0 {
            return;
        }
        let lines = self.batch_norm_lines(inner);
        self.scrolled(Focus::BatchNorm, inner, buf, &lines);
    }

    /// Every line of the panel for its `inner` area (one column kept for the scroll marks);
    /// the scroll keys are named only when the text is taller than the area.
    pub(super) fn batch_norm_lines(&self, inner: Rect) -> Vec<Line<'static>> {
        let t = &self.ui.theme;
        let width = usize::from(inner.width.saturating_sub(1));
        let Some((cfg, outcome)) = self.tab.batch_norm.outcome() else {
            return scroll::wrap_lines("(no figures yet)", width, t.dim);
        };
        let mut body = Vec::new();
        match outcome {
            Outcome::Ready(figures) => self.ready_lines(&mut body, cfg, figures, width),
            Outcome::Refused { error, eval_output } => {
                self.refused_lines(&mut body, error, eval_output.as_deref(), width);
            }
            Outcome::Failed(e) => body.extend(scroll::wrap_lines(&self.text(e), width, t.bad)),
        }
        let keys = self.panel_keys(outcome);
        let mut lines = self.setup_lines(cfg, width);
        let scroll_keys = (
            keys::key_pair(
                Act::Scroll(ScrollAct::Down),
                Act::Scroll(ScrollAct::Up),
                self.g().unicode,
            ),
            "scroll",
        );
        let with_scroll = [keys.clone(), vec![scroll_keys]].concat();
        let key_lines = self.key_lines(&with_scroll, width);
        let key_lines = if lines.len() + key_lines.len() + body.len() > usize::from(inner.height) {
            key_lines
        } else {
            self.key_lines(&keys, width)
        };
        lines.extend(key_lines);
        lines.push(Line::default());
        lines.extend(body);
        lines
    }

    /// The keys that do something now in the panel, named from the key table.
    fn panel_keys(&self, outcome: &Outcome) -> Vec<(String, &'static str)> {
        let u = self.g().unicode;
        let key = |act| keys::key(act, u);
        let mode_and_bias = [
            (key(Act::ToggleMode), "mode"),
            (key(Act::ToggleConvBias), "conv bias"),
        ];
        match outcome {
            Outcome::Ready(_) => {
                let steps = self.tab.batch_norm.steps();
                let mut keys = Vec::new();
                if self.tab.mode == Mode::Train && steps < MAX_STEPS {
                    keys.push((key(Act::FeedBatch), "next batch"));
                }
                if steps > 1 {
                    keys.push((key(Act::BackOneBatch), "back"));
                    keys.push((key(Act::Rewind), "rewind"));
                }
                keys.push((
                    keys::key_pair(Act::LargerBatch, Act::SmallerBatch, u),
                    "batch",
                ));
                keys.extend(mode_and_bias);
                keys
            }
            Outcome::Refused { .. } => {
                let mut keys = vec![(key(Act::LargerBatch), "larger batch")];
                keys.extend(mode_and_bias);
                keys
            }
            Outcome::Failed(_) => Vec::new(),
        }
    }

    /// What runs: the batch, values per channel, batches fed, mode and conv bias.
    fn setup_lines(&self, cfg: &LiveConfig, width: usize) -> Vec<Line<'static>> {
        let t = &self.ui.theme;
        let x = self.g().times;
        let (n, s) = (cfg.batch, cfg.side);
        let patches = if n == 1 { "patch" } else { "patches" };
        let count = n * s * s;
        let per = if count == 1 { "value" } else { "values" };
        let mut facts = vec![
            vec![
                Span::styled("batch ", t.hint),
                Span::styled(format!("{n} camera {patches} of {s}{x}{s}"), t.number),
            ],
            vec![
                Span::styled(self.text("n = N·H·W = ").into_owned(), t.hint),
                Span::styled(format!("{count} {per} per channel"), t.number),
            ],
        ];
        if let Some(f) = self.tab.batch_norm.figures() {
            facts.push(vec![
                Span::styled("batches fed ", t.hint),
                Span::styled(f.live.model.num_batches_tracked.to_string(), t.number),
            ]);
        }
        facts.push(vec![Span::styled(
            format!("{} mode", self.tab.mode.name()),
            t.accent,
        )]);
        facts.push(vec![
            Span::styled("conv bias ", t.hint),
            Span::styled(if cfg.conv_bias { "on" } else { "off" }, t.number),
        ]);
        pack_facts(facts, width, self.g().bullet, t.dim)
    }

    /// The keys that do something now, as `key label` facts.
    fn key_lines(&self, keys: &[(String, &'static str)], width: usize) -> Vec<Line<'static>> {
        let t = &self.ui.theme;
        let facts = keys
            .iter()
            .map(|(k, label)| {
                vec![
                    Span::styled(k.clone(), t.key),
                    Span::styled(format!(" {label}"), t.hint),
                ]
            })
            .collect();
        pack_facts(facts, width, " ", t.dim)
    }

    /// A section heading in the label column over the channel numbers.
    fn grid_heading(&self, grid: Grid, heading: &str) -> Line<'static> {
        let t = &self.ui.theme;
        let heading = fit(&self.text(heading), grid.label_w, self.g().unicode);
        let pad = grid.label_w.saturating_sub(crate::text::width(&heading));
        let mut spans = vec![Span::styled(
            format!("{heading}{}", " ".repeat(pad)),
            t.title,
        )];
        for c in 0..CHANNELS {
            let name = format!("ch {c}");
            spans.push(Span::styled(format!("{name:>w$}", w = grid.col_w), t.title));
        }
        Line::from(spans)
    }

    /// A row of numbers; `marked` rows carry the marker (the statistics in use).
    fn grid_row(&self, grid: Grid, marked: bool, label: &str, values: &[f64]) -> Line<'static> {
        let t = &self.ui.theme;
        let mark = if marked { self.g().collapsed } else { " " };
        let text_w = grid.label_w.saturating_sub(2);
        let label = fit(&self.text(label), text_w, self.g().unicode);
        let pad = text_w.saturating_sub(crate::text::width(&label));
        let label_style = if marked { t.accent } else { t.hint };
        let mut spans = vec![
            Span::styled(format!("{mark} "), t.accent),
            Span::styled(format!("{label}{}", " ".repeat(pad)), label_style),
        ];
        spans.extend(
            values
                .iter()
                .take(CHANNELS)
                .map(|&v| Span::styled(grid.number(v), t.number)),
        );
        Line::from(spans)
    }

    /// A table: its heading, then its rows.
    fn grid_table(&self, lines: &mut Vec<Line<'static>>, grid: Grid, table: &GridTable) {
        lines.push(self.grid_heading(grid, &table.heading));
        for row in &table.rows {
            lines.push(self.grid_row(grid, row.marked, &row.label, &row.values));
        }
    }

    fn prose(&self, lines: &mut Vec<Line<'static>>, text: &str, width: usize, style: Style) {
        lines.extend(scroll::wrap_lines(&self.text(text), width, style));
    }

    /// The figures of a batch the model trained on: four tables with what they show.
    fn ready_lines(
        &self,
        lines: &mut Vec<Line<'static>>,
        cfg: &LiveConfig,
        f: &Figures,
        width: usize,
    ) {
        let Some(grid) = Grid::new(width) else {
            let narrow = fit("(too narrow for the table)", width, self.g().unicode);
            lines.push(Line::styled(narrow, self.ui.theme.dim));
            return;
        };
        let mode = self.tab.mode;
        self.grid_table(lines, grid, &conv_table(f, mode));
        self.update_prose(lines, f, width);
        lines.push(Line::default());
        self.grid_table(lines, grid, &output_table(f, mode));
        lines.push(Line::default());
        self.grid_table(lines, grid, &spread_table(f, cfg));
        self.spread_prose(lines, cfg, f, width);
        lines.push(Line::default());
        self.grid_table(lines, grid, &bias_table(f, cfg, mode));
        self.prose(
            lines,
            &format!(
                "Δ: eval-mode output with b minus without. {}",
                notes::bn_live_bias_source(cfg.conv_bias)
            ),
            width,
            self.ui.theme.base,
        );
        for sentence in self.bias_sentences(f, cfg) {
            self.prose(lines, &sentence, width, self.ui.theme.dim);
        }
    }

    /// The bias sentences for the figures shown, naming the keys that act now.
    pub(super) fn bias_sentences(&self, f: &Figures, cfg: &LiveConfig) -> Vec<String> {
        let u = self.g().unicode;
        let mode = self.tab.mode;
        let can_feed = mode == Mode::Train && self.tab.batch_norm.steps() < MAX_STEPS;
        let feed = can_feed.then(|| keys::key(Act::FeedBatch, u));
        let mode_key = keys::key(Act::ToggleMode, u);
        let keys = notes::BiasKeys {
            feed: feed.as_deref(),
            mode: &mode_key,
        };
        notes::bn_live_bias(&f.live, cfg.conv_bias, mode, &keys)
    }

    /// Under the conv table: which statistics normalise, the update rule, the batch count.
    fn update_prose(&self, lines: &mut Vec<Line<'static>>, f: &Figures, width: usize) {
        let t = &self.ui.theme;
        let mode = self.tab.mode;
        let k = f.live.model.num_batches_tracked;
        let marker = self.g().collapsed;
        self.prose(
            lines,
            &notes::bn_live_normalises(mode, marker),
            width,
            t.accent,
        );
        self.prose(
            lines,
            &notes::bn_live_update(f.live.last.count),
            width,
            t.base,
        );
        let arrow = self.g().right;
        lines.push(Line::from(vec![
            Span::styled("num_batches_tracked ", t.hint),
            Span::styled(format!("{} {arrow} {k}", f.before_tracked), t.number),
        ]));
        if mode == Mode::Eval {
            let mode_key = keys::key(Act::ToggleMode, self.g().unicode);
            self.prose(lines, &notes::bn_live_eval_feeds(&mode_key), width, t.dim);
        }
    }

    /// Under the spread table: the panel's batch size among the rows, and what they show.
    fn spread_prose(
        &self,
        lines: &mut Vec<Line<'static>>,
        cfg: &LiveConfig,
        f: &Figures,
        width: usize,
    ) {
        let t = &self.ui.theme;
        let marker = self.g().collapsed;
        if SPREAD_BATCHES.contains(&cfg.batch) {
            let n = cfg.batch;
            self.prose(
                lines,
                &format!("{marker} N = {n}: this panel's batch size."),
                width,
                t.accent,
            );
        }
        let largest = SPREAD_BATCHES.iter().copied().max().unwrap_or(0);
        let smaller = keys::key(Act::SmallerBatch, self.g().unicode);
        let facts = bn_live::spread_facts(&f.live.spread);
        let text = notes::bn_live_spread(cfg.spread_batches, largest, &smaller, facts);
        self.prose(lines, &text, width, t.dim);
    }

    /// PyTorch's refusal, and what eval mode makes of the same batch.
    fn refused_lines(
        &self,
        lines: &mut Vec<Line<'static>>,
        error: &BnError,
        eval_output: Option<&[f64]>,
        width: usize,
    ) {
        let t = &self.ui.theme;
        if !matches!(error, BnError::OneValuePerChannel { .. }) {
            self.prose(lines, &error.to_string(), width, t.bad);
            return;
        }
        lines.push(Line::styled(
            fit("PyTorch, train mode:", width, self.g().unicode),
            t.hint,
        ));
        self.prose(lines, &format!("ValueError: {error}"), width, t.bad);
        lines.push(Line::default());
        self.prose(lines, notes::BN_LIVE_REFUSED, width, t.base);
        if let (Some(values), Some(grid)) = (eval_output, Grid::new(width)) {
            lines.push(self.grid_heading(grid, "eval mode"));
            lines.push(self.grid_row(grid, self.tab.mode == Mode::Eval, "BN output", values));
        }
    }
}

mod tables;
pub(super) use tables::{GridTable, bias_table, conv_table, output_table, spread_table};

#[cfg(test)]
mod tests;
