//! The batch-norm panel, "Batch norm, live" (issue 11): a 3×3 conv → BatchNorm2d → ReLU run on
//! batches of camera patches, drawn from [`bn_live`]. The panel keeps its own knobs (the batch
//! shape, how many batches were fed) and the model's figures for them, recomputed when a knob
//! changes (on the tab's worker thread: 200 batches of 64 patches take a while in a debug
//! build), never while drawing. The tab's `t` (train/eval) says which statistics normalise,
//! its `b` whether the conv has a bias; `z`/`Z` step the panel's batch while it has the focus.

use std::cell::Cell;
use std::sync::{Arc, OnceLock};

use ndarray::{Array1, Array2, ArrayView2};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::render::{View, pack_facts};
use super::{Act, Focus, ResnetTab, notes};
use crate::jobs::{Waker, Worker};
use crate::keymap::Nav;
use crate::resnet::model::Mode;
use crate::resnet::model::bn_live::{
    self, BatchStats, BnError, CHANNELS, ConvBnRelu, Live, LiveConfig, SEED, SPREAD_BATCHES,
};
use crate::text::{fit, fit_number};
use crate::widgets::{panel, scroll};

/// The batch shapes `z`/`Z` step through in the panel, as (patches, side in pixels). One 1×1
/// patch is the only way to one value per channel (N·H·W = 1); the others are 8×8 patches.
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
    worker: Worker<LiveConfig, Shown>,
    /// The settings last asked of the worker.
    requested: Option<LiveConfig>,
    /// The figures and the settings they were computed for.
    shown: Option<Shown>,
    /// Rows of the panel's text when last drawn, for paging.
    page: Cell<u16>,
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
            worker: Worker::new(waker, move |config| job(&camera, config)),
            requested: None,
            shown: None,
            page: Cell::new(1),
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

    /// Takes finished figures; true when there were some.
    pub(super) fn poll(&mut self) -> bool {
        let Some(result) = self.worker.take() else {
            return false;
        };
        self.shown = Some(match result {
            Ok(shown) => shown,
            Err(e) => Shown {
                config: self.requested.unwrap_or_default(),
                outcome: Outcome::Failed(e.to_string()),
            },
        });
        true
    }

    /// True while the worker computes figures not yet shown.
    pub(super) fn busy(&self) -> bool {
        self.worker.busy()
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

    /// `.`: one more batch, in train mode only (eval mode updates nothing).
    fn feed(&mut self, mode: Mode) -> bool {
        if mode == Mode::Eval || self.refused() || self.steps >= MAX_STEPS {
            return false;
        }
        self.steps += 1;
        true
    }

    /// `,`: the state one batch earlier.
    fn back(&mut self) -> bool {
        if self.steps <= 1 || self.refused() {
            return false;
        }
        self.steps -= 1;
        true
    }

    /// `r`: from the fresh running statistics, the first batch again.
    fn rewind(&mut self) -> bool {
        if self.refused() {
            return false;
        }
        let changed = self.steps != 1;
        self.steps = 1;
        changed
    }

    /// `z`/`Z`: the next batch shape up or down.
    fn resize(&mut self, larger: bool) -> bool {
        crate::controls::step_index(&mut self.shape, SHAPES.len(), larger)
    }

    /// `R`: the panel's knobs back to the model's defaults; false if they were.
    pub(super) fn reset(&mut self) -> bool {
        let (shape, steps) = (default_shape(), default_steps());
        let changed = (self.shape, self.steps) != (shape, steps);
        self.shape = shape;
        self.steps = steps;
        changed
    }

    /// Batches fed so far.
    #[cfg(test)]
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
    /// The panel's own actions (`.` `,` `r`, and `z`/`Z` while it has the focus); false when
    /// the panel does not have the focus or there is nothing to do.
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

    /// Movement keys while the panel replaces the tree: they scroll its text.
    pub(super) fn batch_norm_nav(&mut self, nav: Nav) -> bool {
        let offset = self.scroll_offset(Focus::BatchNorm);
        let page = self.batch_norm.page.get().max(1);
        let next = match nav {
            Nav::Up => offset.saturating_sub(1),
            Nav::Down => offset.saturating_add(1),
            Nav::PageUp => offset.saturating_sub(page),
            Nav::PageDown => offset.saturating_add(page),
            Nav::Home => 0,
            Nav::End => u16::MAX,
            Nav::Left | Nav::Right => return false,
        };
        self.keep_scroll_offset(Focus::BatchNorm, next);
        next != offset
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
    /// The tree, or this panel in its place while the panel has the focus.
    pub(super) fn tree_or_batch_norm(&self, area: Rect, buf: &mut Buffer) {
        if self.tab.focus == Focus::BatchNorm {
            // No tree on screen: clicks must not select its hidden rows.
            self.tab.rows_area.set(Rect::default());
            self.batch_norm(area, buf);
        } else {
            self.tree(area, buf);
        }
    }

    /// The panel: a frame, its lines from the scroll offset, the scroll marks.
    fn batch_norm(&self, area: Rect, buf: &mut Buffer) {
        let arrow = self.g().right;
        let mut title = format!("Batch norm, live: conv 3×3 {arrow} BN {arrow} ReLU");
        if self.tab.batch_norm.busy() {
            title.push_str(" (computing…)");
        }
        let room = usize::from(area.width.saturating_sub(4));
        let title = fit(&self.text(&title), room, self.g().unicode);
        let inner = panel(area, buf, self.ui, &title, true);
        if inner.width == 0 || inner.height == 0 {
            return;
        }
        self.tab.batch_norm.page.set(inner.height);
        // One column is kept free for the scroll marks.
        let width = usize::from(inner.width.saturating_sub(1));
        let lines = self.batch_norm_lines(width, usize::from(inner.height));
        let wanted = self.tab.scroll_offset(Focus::BatchNorm);
        let shown = scroll::render(inner, buf, self.ui, &lines, wanted);
        self.tab.keep_scroll_offset(Focus::BatchNorm, shown);
    }

    /// Every line of the panel at `width`; `height` decides whether the scroll keys are worth
    /// showing.
    fn batch_norm_lines(&self, width: usize, height: usize) -> Vec<Line<'static>> {
        let t = &self.ui.theme;
        let Some((cfg, outcome)) = self.tab.batch_norm.outcome() else {
            return scroll::wrap_lines("(no figures yet)", width, t.dim);
        };
        let mut body = Vec::new();
        let keys = match outcome {
            Outcome::Ready(figures) => {
                self.ready_lines(&mut body, cfg, figures, width);
                let steps = self.tab.batch_norm.steps;
                let mut keys = Vec::new();
                if self.tab.mode == Mode::Train && steps < MAX_STEPS {
                    keys.push((".", "next batch"));
                }
                if steps > 1 {
                    keys.extend([(",", "back"), ("r", "rewind")]);
                }
                keys.extend([("z/Z", "batch"), ("t", "mode"), ("b", "conv bias")]);
                keys
            }
            Outcome::Refused { error, eval_output } => {
                self.refused_lines(&mut body, error, eval_output.as_deref(), width);
                vec![("z", "larger batch"), ("t", "mode"), ("b", "conv bias")]
            }
            Outcome::Failed(e) => {
                body.extend(scroll::wrap_lines(&self.text(e), width, t.bad));
                Vec::new()
            }
        };
        let mut lines = self.setup_lines(cfg, width);
        let with_scroll = [keys.clone(), vec![("J/K", "scroll")]].concat();
        let key_lines = self.key_lines(&with_scroll, width);
        let key_lines = if lines.len() + key_lines.len() + body.len() > height {
            key_lines
        } else {
            self.key_lines(&keys, width)
        };
        lines.extend(key_lines);
        lines.push(Line::default());
        lines.extend(body);
        lines
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
    fn key_lines(&self, keys: &[(&'static str, &'static str)], width: usize) -> Vec<Line<'static>> {
        let t = &self.ui.theme;
        let facts = keys
            .iter()
            .map(|&(k, label)| {
                vec![
                    Span::styled(k, t.key),
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

    fn prose(&self, lines: &mut Vec<Line<'static>>, text: &str, width: usize, style: Style) {
        lines.extend(scroll::wrap_lines(&self.text(text), width, style));
    }

    /// The figures of a batch the model trained on.
    fn ready_lines(
        &self,
        lines: &mut Vec<Line<'static>>,
        cfg: &LiveConfig,
        f: &Figures,
        width: usize,
    ) {
        let t = &self.ui.theme;
        let Some(grid) = Grid::new(width) else {
            let narrow = fit("(too narrow for the table)", width, self.g().unicode);
            lines.push(Line::styled(narrow, t.dim));
            return;
        };
        let live = &f.live;
        let last = &live.last;
        let train = self.tab.mode == Mode::Train;
        let k = live.model.num_batches_tracked;
        let row = |marked: bool, label: &str, values: &Array1<f64>| {
            self.grid_row(grid, marked, label, values.as_slice().unwrap_or(&[]))
        };
        lines.push(self.grid_heading(grid, &format!("conv output, batch {k}")));
        lines.push(row(train, "μ_B batch mean", &last.mean));
        lines.push(row(train, "σ²_B biased var", &last.var));
        lines.push(row(false, "unbiased ·n/(n−1)", &last.var_unbiased));
        lines.push(row(false, "running_mean before", &f.before_mean));
        lines.push(row(!train, "running_mean after", &live.model.running_mean));
        lines.push(row(false, "running_var before", &f.before_var));
        lines.push(row(!train, "running_var after", &live.model.running_var));
        let marker = self.g().collapsed;
        self.prose(
            lines,
            &notes::bn_live_normalises(self.tab.mode, marker),
            width,
            t.accent,
        );
        self.prose(lines, &notes::bn_live_update(last.count), width, t.base);
        let arrow = self.g().right;
        lines.push(Line::from(vec![
            Span::styled("num_batches_tracked ", t.hint),
            Span::styled(format!("{} {arrow} {k}", f.before_tracked), t.number),
        ]));
        if !train {
            self.prose(lines, notes::BN_LIVE_EVAL_FEEDS, width, t.dim);
        }

        lines.push(Line::default());
        lines.push(self.grid_heading(grid, &format!("BN output, batch {k}")));
        for (mode, stats) in [(Mode::Train, &f.train_output), (Mode::Eval, &f.eval_output)] {
            if let Some(stats) = stats {
                let marked = self.tab.mode == mode;
                let name = mode.name();
                lines.push(row(marked, &format!("{name}: output mean"), &stats.mean));
                lines.push(row(marked, &format!("{name}: output var"), &stats.var));
            }
        }

        lines.push(Line::default());
        let batches = cfg.spread_batches;
        lines.push(self.grid_heading(grid, &format!("spread over {batches} batches")));
        for s in &live.spread {
            let n = s.batch;
            let current = n == cfg.batch;
            lines.push(row(current, &format!("N = {n}: std of μ_B"), &s.mean_std));
            lines.push(row(current, &format!("N = {n}: std of σ²_B"), &s.var_std));
        }
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
        self.prose(
            lines,
            &notes::bn_live_spread(batches, largest),
            width,
            t.dim,
        );

        lines.push(Line::default());
        let b = &live.bias;
        let heading = if cfg.conv_bias {
            "conv bias b"
        } else {
            "conv bias b, what-if"
        };
        lines.push(self.grid_heading(grid, heading));
        lines.push(row(false, "b", &b.bias));
        lines.push(self.grid_row(grid, train, "train: max |Δ|", &[b.train_max_difference]));
        lines.push(row(!train, "eval: Δ, measured", &b.eval_shift));
        lines.push(row(!train, "eval: b·γ/√(var+ε)", &b.predicted_shift));
        lines.push(self.grid_row(
            grid,
            false,
            "eval: largest miss",
            &[b.eval_prediction_error],
        ));
        self.prose(
            lines,
            &format!(
                "Δ: BN output with b minus without; largest miss: the largest |Δ − \
                 b·γ/√(running_var+ε)| over every output value. {}",
                notes::bn_live_bias_source(cfg.conv_bias)
            ),
            width,
            t.base,
        );
        self.prose(lines, notes::BN_LIVE_BIAS, width, t.dim);
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

#[cfg(test)]
mod tests;
