//! The Scale-invariance tab: Problem 3 on the plane. The descent is drawn over the level sets
//! of f (wedges, since f only sees the direction), with the unit circle carrying the direction
//! u_k; charts follow ‖x_k‖, the effective step η/‖x_k‖² and the first-order gap over k, a
//! log–log panel shows the one-step gap against η, and a weight-decay run sits beside the plain
//! one. The tab holds view state and model results only; every number comes from
//! [`super::model::explore`].

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::model::{
    Exploration, Function, MAX_STEPS, Params, Run, default_start, explore, robust_norm,
};
use crate::jobs::{Waker, Worker};
use crate::keymap::{Binding, Key, Nav};
use crate::numfmt;
use crate::tab::Tab;
use crate::theme::Ui;
use crate::widgets::dots::{DotCanvas, Viewport};
use crate::widgets::log_chart::{LogChart, Scale, Series};
use crate::widgets::slider::{Slider, linear_position, log_position};
use crate::widgets::{lines, panel, readout};

/// Step sizes offered for η (a log ladder).
const LR_LADDER: [f64; 10] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0];
/// Scales offered for the λ of Problem 3a.
const LAMBDA_LADDER: [f64; 13] = [
    0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0,
];
/// Weight decays offered (0 first); the tab keeps η·λ_wd below 1.
const DECAY_LADDER: [f64; 9] = [0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0];
/// Run lengths offered.
const STEPS_LADDER: [usize; 6] = [50, 100, 200, 500, 1000, 2000];
/// How far one key press turns the start point, in degrees.
const ANGLE_STEP_DEG: f64 = 5.0;
/// How much one key press scales the start norm.
const NORM_FACTOR: f64 = 1.25;
/// Range of the start norm.
const NORM_RANGE: (f64, f64) = (0.05, 20.0);
/// An animation lasts about this many ticks, whatever the run length.
const ANIMATION_TICKS: usize = 90;
/// The tab opens with this weight decay, so the comparison shows a band at once.
const DEFAULT_DECAY: f64 = 0.5;
/// Below this size the tab shows one view at a time.
const WIDE: (u16, u16) = (120, 34);

/// The adjustable controls, in the order of the controls panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Function,
    Lr,
    Lambda,
    StartAngle,
    StartNorm,
    WeightDecay,
    Steps,
}

impl Control {
    const ALL: [Control; 7] = [
        Control::Function,
        Control::Lr,
        Control::Lambda,
        Control::StartAngle,
        Control::StartNorm,
        Control::WeightDecay,
        Control::Steps,
    ];

    fn label(self) -> &'static str {
        match self {
            Control::Function => "function",
            Control::Lr => "step η",
            Control::Lambda => "scale λ",
            Control::StartAngle => "start angle",
            Control::StartNorm => "start ‖x₀‖",
            Control::WeightDecay => "weight decay",
            Control::Steps => "steps",
        }
    }

    fn index(self) -> usize {
        Control::ALL.iter().position(|c| *c == self).unwrap_or(0)
    }
}

/// What the small layout shows above the controls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Plane,
    Charts,
}

/// Which run the plane and the per-step readout follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaneRun {
    WithoutDecay,
    WithDecay,
}

/// The tab's actions (see [`KEYS`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    PrevControl,
    NextControl,
    Decrease,
    Increase,
    PlayPause,
    StepForward,
    StepBack,
    Rewind,
    NextFunction,
    RotateLeft,
    RotateRight,
    NormDown,
    NormUp,
    ToggleDecayRun,
    ToggleView,
}

/// The tab's keys: dispatch, footer hints and help all read this table.
pub const KEYS: &[Binding<Act>] = &[
    Binding {
        keys: &[Key::ch(' ')],
        action: Act::PlayPause,
        help: "play or pause the descent",
        hint: Some("play"),
    },
    Binding {
        keys: &[Key::code(crossterm::event::KeyCode::Up), Key::ch('k')],
        action: Act::PrevControl,
        help: "select the control above",
        hint: Some("control"),
    },
    Binding {
        keys: &[Key::code(crossterm::event::KeyCode::Down), Key::ch('j')],
        action: Act::NextControl,
        help: "select the control below",
        hint: None,
    },
    Binding {
        keys: &[Key::code(crossterm::event::KeyCode::Left), Key::ch('h')],
        action: Act::Decrease,
        help: "lower the selected control",
        hint: Some("adjust"),
    },
    Binding {
        keys: &[Key::code(crossterm::event::KeyCode::Right), Key::ch('l')],
        action: Act::Increase,
        help: "raise the selected control",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('.')],
        action: Act::StepForward,
        help: "pause and go one step forward",
        hint: None,
    },
    Binding {
        keys: &[Key::ch(',')],
        action: Act::StepBack,
        help: "pause and go one step back",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('r')],
        action: Act::Rewind,
        help: "back to step 0 and play again",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('f')],
        action: Act::NextFunction,
        help: "next function: ratio, Rayleigh, logistic",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('[')],
        action: Act::RotateLeft,
        help: "turn the start point clockwise by 5 degrees",
        hint: None,
    },
    Binding {
        keys: &[Key::ch(']')],
        action: Act::RotateRight,
        help: "turn the start point anticlockwise by 5 degrees",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('-')],
        action: Act::NormDown,
        help: "move the start point inward (norm / 1.25)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('+'), Key::ch('=')],
        action: Act::NormUp,
        help: "move the start point outward (norm * 1.25)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('w')],
        action: Act::ToggleDecayRun,
        help: "the plane follows the run with or without weight decay",
        hint: Some("decay"),
    },
    Binding {
        keys: &[Key::ch('v')],
        action: Act::ToggleView,
        help: "small screens: switch between the plane and the charts",
        hint: Some("view"),
    },
];

/// Chart data prepared once per result, so a frame only slices and draws.
struct Prepared {
    exploration: Exploration,
    /// (k, ‖x_k‖) for [without decay, with decay].
    norms: [Vec<(f64, f64)>; 2],
    /// (k, η/‖x_k‖²).
    effective: [Vec<(f64, f64)>; 2],
    /// (k, first-order gap of step k).
    gaps: [Vec<(f64, f64)>; 2],
    /// (η, one-step gap) of the sweep from x_0.
    sweep: Vec<(f64, f64)>,
    /// The fitted line at the sweep's two ends.
    fit: Vec<(f64, f64)>,
    norm_bounds: Option<(f64, f64)>,
    effective_bounds: Option<(f64, f64)>,
    gap_bounds: Option<(f64, f64)>,
    /// Half-width of the plane shown, in data units (covers both runs and the unit circle).
    extent: f64,
}

impl Prepared {
    fn new(exploration: Exploration) -> Prepared {
        let runs = [&exploration.without_decay, &exploration.with_decay];
        let indexed = |v: &[f64]| -> Vec<(f64, f64)> {
            v.iter().enumerate().map(|(k, y)| (k as f64, *y)).collect()
        };
        let norms = runs.map(|r| indexed(&r.norms));
        let effective = runs.map(|r| indexed(&r.effective_lr));
        let gaps = runs.map(|r| indexed(&r.first_order_gap));
        let plain = &exploration.without_decay;
        let sweep: Vec<(f64, f64)> = plain.eta_sweep.iter().map(|e| (e.eta, e.gap)).collect();
        let fit = match (
            plain.eta_sweep_fit,
            plain.eta_sweep.first(),
            plain.eta_sweep.last(),
        ) {
            (Some(fit), Some(a), Some(b)) => {
                vec![(a.eta, fit.gap_at(a.eta)), (b.eta, fit.gap_at(b.eta))]
            }
            _ => Vec::new(),
        };
        let all_norms = runs.iter().flat_map(|r| r.norms.iter().copied());
        let norm_bounds = linear_bounds(all_norms.clone());
        let largest = all_norms.filter(|v| v.is_finite()).fold(0.0, f64::max);
        let effective_bounds =
            decade_bounds(runs.iter().flat_map(|r| r.effective_lr.iter().copied()));
        let gap_bounds = decade_bounds(runs.iter().flat_map(|r| r.first_order_gap.iter().copied()));
        Prepared {
            exploration,
            norms,
            effective,
            gaps,
            sweep,
            fit,
            norm_bounds,
            effective_bounds,
            gap_bounds,
            extent: (largest * 1.08).max(1.15),
        }
    }
}

/// Data range with a little room above and below, for a linear axis.
fn linear_bounds(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return None;
    }
    let pad = ((hi - lo) * 0.05).max(hi.abs() * 1e-3).max(1e-12);
    // Norms are never negative: the axis need not go below 0.
    let floor = if lo >= 0.0 {
        (lo - pad).max(0.0)
    } else {
        lo - pad
    };
    Some((floor, hi + pad))
}

/// Whole decades around the positive finite values, for a log axis that does not jump while
/// the series is revealed.
fn decade_bounds(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return None;
    }
    let (a, b) = (lo.log10().floor(), hi.log10().ceil());
    let b = if b <= a { a + 1.0 } else { b };
    Some((10f64.powf(a), 10f64.powf(b)))
}

/// The Scale-invariance tab.
pub struct ScaleTab {
    function: Function,
    lr: f64,
    lambda: f64,
    start_angle_deg: f64,
    start_norm: f64,
    weight_decay: f64,
    steps: usize,
    focus: Control,
    view: View,
    plane_run: PlaneRun,
    worker: Worker<Params, Result<Exploration, String>>,
    shown: Option<Prepared>,
    error: Option<String>,
    frame: usize,
    playing: bool,
}

impl ScaleTab {
    /// The tab with the model's default parameters (and a weight decay to compare with).
    pub fn new(waker: &Waker) -> ScaleTab {
        let defaults = Params::default();
        let start = default_start(2);
        let mut tab = ScaleTab {
            function: defaults.function,
            lr: defaults.lr,
            lambda: defaults.lambda,
            start_angle_deg: start[1].atan2(start[0]).to_degrees(),
            start_norm: robust_norm(&start),
            weight_decay: DEFAULT_DECAY,
            steps: defaults.steps,
            focus: Control::Function,
            view: View::Plane,
            plane_run: PlaneRun::WithoutDecay,
            worker: Worker::new(waker, |p: Params| explore(&p)),
            shown: None,
            error: None,
            frame: 0,
            playing: false,
        };
        tab.submit();
        tab
    }

    /// The parameters the controls describe (always 2-D).
    pub fn params(&self) -> Params {
        let angle = self.start_angle_deg.to_radians();
        Params {
            function: self.function,
            dim: 2,
            lr: self.lr,
            steps: self.steps.min(MAX_STEPS),
            init: Some(vec![
                self.start_norm * angle.cos(),
                self.start_norm * angle.sin(),
            ]),
            lambda: self.lambda,
            weight_decay: self.weight_decay,
            seed: Params::default().seed,
        }
    }

    /// The selected control.
    pub fn focus(&self) -> Control {
        self.focus
    }

    /// The current animation frame (iterate index k).
    pub fn frame(&self) -> usize {
        self.frame
    }

    /// True while the descent plays.
    pub fn playing(&self) -> bool {
        self.playing
    }

    /// The current results, if any.
    pub fn exploration(&self) -> Option<&Exploration> {
        self.shown.as_ref().map(|s| &s.exploration)
    }

    fn submit(&mut self) {
        self.worker.submit(self.params());
    }

    /// The run the plane follows.
    fn plane(&self) -> Option<&Run> {
        let e = &self.shown.as_ref()?.exploration;
        Some(match self.plane_run {
            PlaneRun::WithoutDecay => &e.without_decay,
            PlaneRun::WithDecay => &e.with_decay,
        })
    }

    fn last_frame(&self) -> usize {
        self.plane().map_or(0, Run::steps_taken)
    }

    fn set_frame(&mut self, frame: usize) {
        self.frame = frame.min(self.last_frame());
    }

    /// y/x is undefined on the y axis: keep the ratio's start point off it.
    fn avoid_axis(&mut self) {
        if self.function == Function::Ratio && self.start_angle_deg.to_radians().cos().abs() < 1e-6
        {
            self.start_angle_deg += ANGLE_STEP_DEG;
        }
    }

    fn rotate(&mut self, degrees: f64) {
        let mut angle = self.start_angle_deg + degrees;
        if angle > 180.0 {
            angle -= 360.0;
        } else if angle <= -180.0 {
            angle += 360.0;
        }
        self.start_angle_deg = angle;
        if self.function == Function::Ratio && angle.to_radians().cos().abs() < 1e-6 {
            self.rotate(degrees);
        }
    }

    fn scale_norm(&mut self, factor: f64) {
        self.start_norm = (self.start_norm * factor).clamp(NORM_RANGE.0, NORM_RANGE.1);
    }

    /// Keeps η·λ_wd < 1 (the decay factor 1 − ηλ_wd must stay positive).
    fn fit_decay(&mut self) {
        if self.lr * self.weight_decay >= 1.0 {
            self.weight_decay = DECAY_LADDER
                .iter()
                .copied()
                .rfind(|d| self.lr * d < 1.0)
                .unwrap_or(0.0);
        }
    }

    /// Moves the selected control one notch; returns true when a parameter changed.
    fn adjust(&mut self, up: bool) -> bool {
        let before = self.params();
        match self.focus {
            Control::Function => {
                self.function = if up {
                    self.function.next()
                } else {
                    self.function.prev()
                };
                self.avoid_axis();
            }
            Control::Lr => {
                self.lr = ladder_step(&LR_LADDER, self.lr, up);
                self.fit_decay();
            }
            Control::Lambda => self.lambda = ladder_step(&LAMBDA_LADDER, self.lambda, up),
            Control::StartAngle => self.rotate(if up { ANGLE_STEP_DEG } else { -ANGLE_STEP_DEG }),
            Control::StartNorm => self.scale_norm(if up { NORM_FACTOR } else { 1.0 / NORM_FACTOR }),
            Control::WeightDecay => {
                let next = ladder_step(&DECAY_LADDER, self.weight_decay, up);
                if self.lr * next < 1.0 {
                    self.weight_decay = next;
                }
            }
            Control::Steps => {
                let i = STEPS_LADDER
                    .iter()
                    .position(|s| *s >= self.steps)
                    .unwrap_or(STEPS_LADDER.len() - 1);
                let j = if up {
                    (i + 1).min(STEPS_LADDER.len() - 1)
                } else {
                    i.saturating_sub(1)
                };
                self.steps = STEPS_LADDER[j];
            }
        }
        self.changed(before)
    }

    /// Recomputes when the parameters differ from `before`.
    fn changed(&mut self, before: Params) -> bool {
        if self.params() != before {
            self.submit();
            self.poll();
        }
        true
    }

    fn step_per_tick(&self) -> usize {
        self.last_frame().div_ceil(ANIMATION_TICKS).max(1)
    }
}

/// The next value up or down a ladder from `current` (which need not be on it).
fn ladder_step(ladder: &[f64], current: f64, up: bool) -> f64 {
    let next = if up {
        ladder.iter().copied().find(|v| *v > current * (1.0 + 1e-9))
    } else {
        ladder
            .iter()
            .copied()
            .rfind(|v| *v < current * (1.0 - 1e-9))
    };
    next.unwrap_or(current)
}

impl Tab for ScaleTab {
    type Act = Act;

    fn title(&self) -> &'static str {
        "Scale invariance"
    }

    fn keys(&self) -> &'static [Binding<Act>] {
        KEYS
    }

    fn act(&mut self, act: Act) -> bool {
        let n = Control::ALL.len();
        match act {
            Act::PrevControl => self.focus = Control::ALL[(self.focus.index() + n - 1) % n],
            Act::NextControl => self.focus = Control::ALL[(self.focus.index() + 1) % n],
            Act::Decrease => return self.adjust(false),
            Act::Increase => return self.adjust(true),
            Act::PlayPause => {
                if self.frame >= self.last_frame() {
                    self.frame = 0;
                    self.playing = true;
                } else {
                    self.playing = !self.playing;
                }
            }
            Act::StepForward => {
                self.playing = false;
                self.set_frame(self.frame.saturating_add(1));
            }
            Act::StepBack => {
                self.playing = false;
                self.frame = self.frame.saturating_sub(1);
            }
            Act::Rewind => {
                self.frame = 0;
                self.playing = true;
            }
            Act::NextFunction => {
                let before = self.params();
                self.function = self.function.next();
                self.avoid_axis();
                return self.changed(before);
            }
            Act::RotateLeft | Act::RotateRight => {
                let before = self.params();
                self.rotate(if act == Act::RotateLeft {
                    -ANGLE_STEP_DEG
                } else {
                    ANGLE_STEP_DEG
                });
                return self.changed(before);
            }
            Act::NormDown | Act::NormUp => {
                let before = self.params();
                self.scale_norm(if act == Act::NormUp {
                    NORM_FACTOR
                } else {
                    1.0 / NORM_FACTOR
                });
                return self.changed(before);
            }
            Act::ToggleDecayRun => {
                self.plane_run = match self.plane_run {
                    PlaneRun::WithoutDecay => PlaneRun::WithDecay,
                    PlaneRun::WithDecay => PlaneRun::WithoutDecay,
                };
                self.set_frame(self.frame);
            }
            Act::ToggleView => {
                self.view = match self.view {
                    View::Plane => View::Charts,
                    View::Charts => View::Plane,
                }
            }
        }
        true
    }

    fn nav(&mut self, nav: Nav) -> bool {
        let page = self.step_per_tick().saturating_mul(10);
        match nav {
            Nav::Home => self.frame = 0,
            Nav::End => self.set_frame(usize::MAX),
            Nav::PageUp => self.frame = self.frame.saturating_sub(page),
            Nav::PageDown => self.set_frame(self.frame.saturating_add(page)),
            _ => return false,
        }
        self.playing = false;
        true
    }

    fn animating(&self) -> bool {
        self.playing && self.shown.is_some() && self.frame < self.last_frame()
    }

    fn tick(&mut self) -> bool {
        if !self.animating() {
            self.playing = false;
            return false;
        }
        self.set_frame(self.frame.saturating_add(self.step_per_tick()));
        if self.frame >= self.last_frame() {
            self.playing = false;
        }
        true
    }

    fn poll(&mut self) -> bool {
        match self
            .worker
            .take()
            .map(|r| r.map_err(|e| e.to_string()).and_then(|x| x))
        {
            Some(Ok(exploration)) => {
                self.shown = Some(Prepared::new(exploration));
                self.error = None;
                self.frame = 0;
                self.playing = true;
                true
            }
            Some(Err(message)) => {
                self.error = Some(message);
                true
            }
            None => false,
        }
    }

    fn busy(&self) -> bool {
        self.worker.busy()
    }

    fn settle(&mut self) {
        self.poll();
        // A playing animation jumps to its end; a frame the user paused on stays.
        if self.playing {
            self.set_frame(usize::MAX);
            self.playing = false;
        }
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let area = area.intersection(buf.area);
        if area.width < 4 || area.height < 3 {
            return;
        }
        if area.width >= WIDE.0 && area.height >= WIDE.1 {
            self.render_wide(area, buf, ui);
        } else {
            self.render_small(area, buf, ui);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering: reads `shown` and the view state; no mathematics beyond placing things on screen.

/// Text in the glyph set of `ui`: mathematical symbols spelled in ASCII when Unicode is off.
fn tr<'a>(ui: &Ui, text: &'a str) -> Cow<'a, str> {
    if ui.glyphs.unicode || text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            'η' => out.push_str("eta"),
            'λ' => {
                out.push_str("lambda");
                // "λx" reads as "lambda*x", not as a word "lambdax".
                if chars.peek().is_some_and(|n| n.is_alphanumeric()) {
                    out.push('*');
                }
            }
            'θ' => out.push_str("theta"),
            '‖' => out.push('|'),
            '∇' => out.push_str("grad "),
            '⟨' => out.push('<'),
            '⟩' => out.push('>'),
            '²' => out.push_str("^2"),
            '₀' => out.push('0'),
            '₁' => out.push('1'),
            'ₖ' => out.push('k'),
            '₊' => out.push('+'),
            '−' | '–' => out.push('-'),
            '—' => out.push_str("--"),
            '→' => out.push_str("->"),
            '←' => out.push_str("<-"),
            '…' => out.push_str("..."),
            '×' => out.push('x'),
            '÷' => out.push('/'),
            '·' => out.push('*'),
            '≈' => out.push('~'),
            '≤' => out.push_str("<="),
            '≥' => out.push_str(">="),
            '°' => out.push_str(" deg"),
            '±' => out.push_str("+-"),
            '▶' => out.push('>'),
            c if c.is_ascii() => out.push(c),
            _ => out.push('?'),
        }
    }
    Cow::Owned(out)
}

/// A computed value.
fn num(v: f64) -> String {
    numfmt::general(v, 4)
}

/// A control's setting (fewer digits than computed values).
fn setting(v: f64) -> String {
    numfmt::general(v, 3)
}

/// A short note in our own words, word-wrapped into `area`; left out when it does not fit
/// whole (a sentence cut in half says less than none).
fn note(area: Rect, buf: &mut Buffer, ui: &Ui, text: &str) {
    let area = area.intersection(buf.area);
    if area.width < 8 || area.height == 0 {
        return;
    }
    let text = tr(ui, text);
    let wrapped = wrap(&text, area.width as usize);
    if wrapped.len() > area.height as usize {
        return;
    }
    let rows: Vec<Line> = wrapped
        .into_iter()
        .map(|l| Line::styled(l, ui.theme.dim))
        .collect();
    lines(area, buf, &rows);
}

/// Greedy word wrap to `width` characters (a word longer than a line is cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let (have, add) = (line.chars().count(), word.chars().count());
        if have > 0 && have + 1 + add > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

/// Puts a one-line note on the last row of a chart panel when the chart keeps at least eight
/// rows; returns the rows left for the chart.
fn with_note(inner: Rect, buf: &mut Buffer, ui: &Ui, text: &str) -> Rect {
    if inner.height < 9 {
        return inner;
    }
    let (chart, last) = split_v(inner, inner.height - 1);
    note(last, buf, ui, text);
    chart
}

/// The rows of `area` below the first `used`.
fn below(area: Rect, used: u16) -> Rect {
    split_v(area, used).1
}

fn vector(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| num(*x)).collect();
    format!("({})", parts.join(", "))
}

/// `n·num/den` of a screen length, without overflowing u16.
fn fraction(n: u16, num: u32, den: u32) -> u16 {
    (u32::from(n) * num / den.max(1)).min(u32::from(u16::MAX)) as u16
}

/// Splits `area` into a top part of `top` rows and the rest.
fn split_v(area: Rect, top: u16) -> (Rect, Rect) {
    let top = top.min(area.height);
    (
        Rect::new(area.x, area.y, area.width, top),
        Rect::new(area.x, area.y + top, area.width, area.height - top),
    )
}

/// Splits `area` into a left part of `left` columns and the rest.
fn split_h(area: Rect, left: u16) -> (Rect, Rect) {
    let left = left.min(area.width);
    (
        Rect::new(area.x, area.y, left, area.height),
        Rect::new(area.x + left, area.y, area.width - left, area.height),
    )
}

impl ScaleTab {
    fn render_wide(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let left_w = fraction(area.width, 9, 20).max(56).min(area.width);
        let (left, right) = split_h(area, left_w);
        let controls_h = (Control::ALL.len() as u16 + 4).min(left.height);
        let (plane, controls) = split_v(left, left.height - controls_h);
        self.render_plane(plane, buf, ui);
        self.render_controls(controls, buf, ui, false);

        let (scaling, rest) = split_v(right, 10);
        self.render_scaling(scaling, buf, ui);
        let readout_h = 12.min(rest.height);
        let (charts, readouts) = split_v(rest, rest.height - readout_h);
        self.render_chart_grid(charts, buf, ui);
        self.render_readouts(readouts, buf, ui);
    }

    fn render_small(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let controls_h = 6.min(area.height);
        let (top, controls) = split_v(area, area.height - controls_h);
        match self.view {
            View::Plane => {
                let (plane, right) = split_h(top, fraction(top.width, 2, 5));
                self.render_plane(plane, buf, ui);
                let (scaling, readouts) = split_v(right, 8.min(right.height / 2));
                self.render_scaling(scaling, buf, ui);
                self.render_readouts(readouts, buf, ui);
            }
            View::Charts => self.render_chart_grid(top, buf, ui),
        }
        self.render_controls(controls, buf, ui, true);
    }

    /// "step k/K" and whether the descent plays, is paused or has finished.
    fn status(&self, ui: &Ui) -> String {
        if self.shown.is_none() {
            return format!("computing{}", ui.glyphs.ellipsis);
        }
        let state = if self.playing {
            " ▶"
        } else if self.frame >= self.last_frame() {
            ""
        } else {
            " paused"
        };
        format!("step {}/{}{state}", self.frame, self.last_frame())
    }

    fn render_plane(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let which = match (self.plane_run, area.width >= 48) {
            (PlaneRun::WithoutDecay, true) => "plain descent",
            (PlaneRun::WithDecay, true) => "with weight decay",
            (PlaneRun::WithoutDecay, false) => "plain",
            (PlaneRun::WithDecay, false) => "decay",
        };
        let title = format!("3b  {which}, {}", self.status(ui));
        let inner = panel(area, buf, ui, &tr(ui, &title), false);
        if inner.width < 4 || inner.height < 3 {
            return;
        }
        let t = &ui.theme;
        let Some(shown) = &self.shown else {
            let text = match &self.error {
                Some(e) => e.clone(),
                None => format!("computing{}", ui.glyphs.ellipsis),
            };
            lines(
                inner,
                buf,
                &[Line::styled(tr(ui, &text).into_owned(), t.warn)],
            );
            return;
        };
        let Some(run) = self.plane() else {
            return;
        };
        let runaway_text = run.runaway.map(|r| {
            wrap(
                &tr(ui, &format!("ran away at step {}: {}", r.step, r.reason)),
                inner.width as usize,
            )
        });
        let runaway_h = runaway_text.as_ref().map_or(0, |l| l.len().min(4) as u16);
        let legend_h = if inner.height >= 16 { 4 } else { 1 } + runaway_h;
        let (plot, legend) = split_v(inner, inner.height.saturating_sub(legend_h));
        let mut canvas = DotCanvas::new(plot.width, plot.height, ui.glyphs.unicode);
        // Cells are about twice as tall as wide: keep circles round.
        let aspect = plot.width as f64 / (2.0 * plot.height.max(1) as f64);
        let r = shown.extent;
        let view = if aspect >= 1.0 {
            Viewport {
                x: (-r * aspect, r * aspect),
                y: (-r, r),
            }
        } else {
            Viewport {
                x: (-r, r),
                y: (-r / aspect, r / aspect),
            }
        };

        // Level sets: f depends on the direction only, so each cell is shaded by the band of
        // its angle; denser shading means higher f.
        let shade = ui.glyphs.leaf;
        if let Some(profile) = &shown.exploration.profile {
            for row in 0..plot.height {
                for col in 0..plot.width {
                    let (dx, dy) = if canvas.is_unicode() {
                        (col as i32 * 2 + 1, row as i32 * 4 + 2)
                    } else {
                        (col as i32, row as i32)
                    };
                    let (x, y) = view.from_dot(&canvas, dx, dy);
                    let band = profile.band_at(y.atan2(x));
                    let show = match band {
                        0 => false,
                        1 => (col + 2 * row).is_multiple_of(4),
                        2 => (col + row).is_multiple_of(2),
                        _ => true,
                    };
                    if show && let Some(cell) = buf.cell_mut((plot.x + col, plot.y + row)) {
                        cell.set_symbol(shade).set_style(t.dim);
                    }
                }
            }
        }

        // The unit circle, where the direction u_k lives.
        let circle_dots = 4 * (canvas.width() + canvas.height()).max(8);
        for i in 0..circle_dots {
            let phi = std::f64::consts::TAU * i as f64 / circle_dots as f64;
            if let Some((dx, dy)) = view.to_dot(&canvas, phi.cos(), phi.sin()) {
                canvas.dot(dx, dy, t.hint, '.');
            }
        }

        // The path x_0 … x_k.
        let style = t.series[match self.plane_run {
            PlaneRun::WithoutDecay => 0,
            PlaneRun::WithDecay => 1,
        }];
        let mark = ui.glyphs.series_marks[0].chars().next().unwrap_or('*');
        let k = self.frame.min(run.steps_taken());
        let mut prev: Option<(i32, i32)> = None;
        for x in run.iterates().take(k + 1) {
            if let Some(p) = view.to_dot(&canvas, x[0], x[1]) {
                match prev {
                    Some((px, py)) => canvas.line(px, py, p.0, p.1, style, mark),
                    None => canvas.dot(p.0, p.1, style, mark),
                }
                prev = Some(p);
            }
        }

        let first = |s: &str| s.chars().next().unwrap_or('*');
        if let Some((c, r)) = view
            .to_dot(&canvas, 0.0, 0.0)
            .map(|(dx, dy)| canvas.cell_of(dx, dy))
        {
            canvas.mark_cell(c, r, first(ui.glyphs.series_marks[1]), t.dim);
        }
        if let Some(profile) = &shown.exploration.profile {
            for phi in &profile.minima {
                if let Some((dx, dy)) = view.to_dot(&canvas, phi.cos(), phi.sin()) {
                    let (c, r) = canvas.cell_of(dx, dy);
                    canvas.mark_cell(c, r, first(ui.glyphs.series_marks[2]), t.good);
                }
            }
        }
        if let (Some(x), Some(norm)) = (run.point(k), run.norms.get(k)) {
            // u_k = x_k/‖x_k‖ drawn on the circle, then the iterate itself on top.
            if let Some((dx, dy)) = view.to_dot(&canvas, x[0] / norm, x[1] / norm) {
                let (c, r) = canvas.cell_of(dx, dy);
                canvas.mark_cell(c, r, first(ui.glyphs.series_marks[3]), t.accent);
            }
            if let Some((dx, dy)) = view.to_dot(&canvas, x[0], x[1]) {
                let (c, r) = canvas.cell_of(dx, dy);
                canvas.mark_cell(c, r, first(ui.glyphs.slider_knob), t.cursor);
            }
        }
        canvas.render(plot, buf);

        let g = &ui.glyphs;
        let key = Line::from(vec![
            Span::styled(format!("{} ", g.slider_knob), t.cursor),
            Span::styled("x_k  ", t.hint),
            Span::styled(format!("{} ", g.series_marks[3]), t.accent),
            Span::styled("u_k  ", t.hint),
            Span::styled(format!("{} ", g.series_marks[2]), t.good),
            Span::styled("min  ", t.hint),
            Span::styled(format!("{} ", g.leaf), t.dim),
            Span::styled("high f", t.hint),
        ]);
        let mut text = vec![own(ui, key)];
        for line in runaway_text.into_iter().flatten().take(4) {
            text.push(Line::styled(line, t.bad));
        }
        let used = lines(legend, buf, &text);
        note(
            below(legend, used),
            buf,
            ui,
            "f only sees the direction, so its level sets are wedges from 0. Each step is at \
             right angles to x: ‖x‖ grows while the direction u_k = x_k/‖x_k‖ slides downhill \
             on the unit circle.",
        );
    }

    fn render_controls(&self, area: Rect, buf: &mut Buffer, ui: &Ui, compact: bool) {
        let inner = panel(area, buf, ui, "controls", true);
        if inner.width < 4 || inner.height == 0 {
            return;
        }
        let values: Vec<(Control, String, f64)> = Control::ALL
            .iter()
            .map(|c| {
                let (value, position) = match c {
                    Control::Function => (
                        self.function.name().to_string(),
                        self.function as usize as f64 / (Function::ALL.len() - 1) as f64,
                    ),
                    Control::Lr => (setting(self.lr), log_position(self.lr, 1e-3, 1.0)),
                    Control::Lambda => (setting(self.lambda), log_position(self.lambda, 1e-2, 1e2)),
                    Control::StartAngle => (
                        format!("{:.1}°", self.start_angle_deg),
                        linear_position(self.start_angle_deg, -180.0, 180.0),
                    ),
                    Control::StartNorm => (
                        setting(self.start_norm),
                        log_position(self.start_norm, NORM_RANGE.0, NORM_RANGE.1),
                    ),
                    Control::WeightDecay => (
                        setting(self.weight_decay),
                        linear_position(
                            DECAY_LADDER
                                .iter()
                                .position(|d| *d >= self.weight_decay)
                                .unwrap_or(0) as f64,
                            0.0,
                            (DECAY_LADDER.len() - 1) as f64,
                        ),
                    ),
                    Control::Steps => (
                        self.steps.to_string(),
                        log_position(self.steps as f64, 50.0, 2000.0),
                    ),
                };
                (*c, tr(ui, &value).into_owned(), position)
            })
            .collect();
        let label_w = 13usize;
        let rows_per_col = if compact {
            inner.height.max(1) as usize
        } else {
            Control::ALL.len()
        };
        let cols = Control::ALL.len().div_ceil(rows_per_col).max(1);
        let col_w = inner.width / cols as u16;
        for (i, (control, value, position)) in values.iter().enumerate() {
            let (col, row) = (i / rows_per_col, i % rows_per_col);
            if row as u16 >= inner.height {
                continue;
            }
            let label = format!("{:<label_w$}", tr(ui, control.label()));
            let slot = Rect::new(
                inner.x + col as u16 * col_w,
                inner.y + row as u16,
                col_w.saturating_sub(1),
                1,
            );
            Slider {
                label: &label,
                value,
                position: *position,
                focused: *control == self.focus,
            }
            .render(slot, buf, ui);
        }
        if !compact && inner.height > Control::ALL.len() as u16 {
            let g = &ui.glyphs;
            let help = format!(
                "{}{} choose, {}{} adjust, [ ] turn and - + scale the start, space plays",
                g.up, g.down, g.left, g.right
            );
            let row = Rect::new(
                inner.x,
                inner.y + Control::ALL.len() as u16,
                inner.width,
                inner.height - Control::ALL.len() as u16,
            );
            lines(row, buf, &[Line::styled(help, ui.theme.dim)]);
        }
    }

    fn render_scaling(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let inner = panel(area, buf, ui, &tr(ui, "3a  gradient at λx"), false);
        let Some(shown) = &self.shown else {
            return;
        };
        let gs = &shown.exploration.without_decay.grad_scaling;
        let text = [
            readout(
                ui,
                "x = x₀",
                format!("{}   λ = {}", vector(&gs.x), setting(gs.lambda)),
            ),
            readout(
                ui,
                "f(x), f(λx)",
                format!("{}, {}", num(gs.value_at_x), num(gs.value_at_lambda_x)),
            ),
            readout(ui, "∇f(λx) ", vector(&gs.grad_at_lambda_x)),
            readout(ui, "∇f(x)/λ", vector(&gs.grad_over_lambda)),
            readout(ui, "largest |difference|", num(gs.max_abs_diff)),
            readout(ui, "⟨x, ∇f(x)⟩", num(gs.inner_product_x_grad)),
        ];
        let used = lines(inner, buf, &translate_lines(ui, &text));
        note(
            below(inner, used),
            buf,
            ui,
            "Scaling x by λ divides the gradient by λ, and the gradient is always \
             perpendicular to x.",
        );
    }

    fn render_readouts(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let inner = panel(area, buf, ui, "norm growth and weight decay", false);
        let (Some(shown), Some(run)) = (&self.shown, self.plane()) else {
            return;
        };
        let t = &ui.theme;
        let at = |series: &[f64], k: usize| series.get(k).copied().unwrap_or(f64::NAN);
        let mut text: Vec<Line<'static>> = Vec::new();
        let taken = run.steps_taken();
        if taken > 0 {
            let k = self.frame.min(taken - 1);
            let label = format!("step {k}");
            text.push(own(
                ui,
                readout(
                    ui,
                    &label,
                    format!(
                        " ‖x_k‖ {}  η/‖x_k‖² {}",
                        num(at(&run.norms, k)),
                        num(at(&run.effective_lr, k)),
                    ),
                ),
            ));
            let increment = at(&run.norm_sq_increment, k);
            let predicted = at(&run.grad_norm_sq_times_lr_sq, k);
            let mut growth = readout(ui, "  ‖x_k+1‖² − ‖x_k‖²", num(increment));
            if self.plane_run == PlaneRun::WithDecay {
                growth.push_span(Span::styled("  (decay shrinks x too)", t.dim));
            } else if increment == 0.0 && predicted > 0.0 {
                growth.push_span(Span::styled("  (below rounding)", t.dim));
            }
            text.push(own(ui, growth));
            text.push(own(ui, readout(ui, "  η²‖∇f(x_k)‖²      ", num(predicted))));
            if inner.height >= 9 {
                text.push(own(
                    ui,
                    readout(ui, "  first-order gap   ", num(at(&run.first_order_gap, k))),
                ));
            }
        } else {
            text.push(Line::styled("no step taken", t.warn));
        }
        let runs = [
            ("plain", &shown.exploration.without_decay, t.series[0]),
            ("decay", &shown.exploration.with_decay, t.series[1]),
        ];
        text.push(own(
            ui,
            Line::styled(
                format!(
                    "{:<16}{:<15}{}",
                    "last quarter", "‖x‖ range", "η/‖x‖² range"
                ),
                t.hint,
            ),
        ));
        for (name, r, style) in runs {
            if let Some(b) = r.band() {
                let norms = format!("{} – {}", setting(b.norm_min), setting(b.norm_max));
                let steps = format!(
                    "{} – {}",
                    setting(b.effective_lr_min),
                    setting(b.effective_lr_max)
                );
                let window = format!("{name} {}–{}", b.from_step, b.to_step);
                text.push(own(
                    ui,
                    Line::from(vec![
                        Span::styled(format!("{window:<16}"), style),
                        Span::styled(format!("{norms:<15}{steps}"), t.number),
                    ]),
                ));
            }
        }
        let used = lines(inner, buf, &text);
        note(
            below(inner, used),
            buf,
            ui,
            "Without decay each step adds η²‖∇f‖² to ‖x‖²: the norm only grows and the step \
             felt on the circle, η/‖x‖², only shrinks. Decay pulls ‖x‖ in until that step is \
             big enough to throw u off the minimum; the norm then hovers in a band.",
        );
    }

    fn render_chart_grid(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let (top, bottom) = split_v(area, area.height / 2);
        let (a, b) = split_h(top, top.width / 2);
        let (c, d) = split_h(bottom, bottom.width / 2);
        self.render_series_chart(a, buf, ui, SeriesKind::Norm);
        self.render_series_chart(b, buf, ui, SeriesKind::EffectiveStep);
        self.render_series_chart(c, buf, ui, SeriesKind::Gap);
        self.render_sweep(d, buf, ui);
    }

    fn render_series_chart(&self, area: Rect, buf: &mut Buffer, ui: &Ui, kind: SeriesKind) {
        let title = match kind {
            SeriesKind::Norm => "‖x_k‖ over k",
            SeriesKind::EffectiveStep => "effective step η/‖x_k‖² over k",
            SeriesKind::Gap => "first-order gap over k",
        };
        let inner = panel(area, buf, ui, &tr(ui, title), false);
        let Some(shown) = &self.shown else {
            return;
        };
        let explanation = match kind {
            SeriesKind::Norm => "plain only grows; decay makes it hover",
            SeriesKind::EffectiveStep => "the step u feels on the unit circle",
            SeriesKind::Gap => "new direction vs its first-order model",
        };
        let inner = with_note(inner, buf, ui, explanation);
        let (data, bounds) = match kind {
            SeriesKind::Norm => (&shown.norms, shown.norm_bounds),
            SeriesKind::EffectiveStep => (&shown.effective, shown.effective_bounds),
            SeriesKind::Gap => (&shown.gaps, shown.gap_bounds),
        };
        // Iterate series reveal x_0 … x_k, step series the steps before k.
        let reveal = match kind {
            SeriesKind::Gap => self.frame,
            _ => self.frame.saturating_add(1),
        };
        let series = vec![
            Series {
                label: "plain",
                points: &data[0][..reveal.min(data[0].len())],
                index: 0,
            },
            Series {
                label: "decay",
                points: &data[1][..reveal.min(data[1].len())],
                index: 1,
            },
        ];
        let mut chart = LogChart::new(series)
            .x_bounds(0.0, self.steps as f64)
            .x_name("k")
            .cursor_ticks(self.frame as f64)
            .y_scale(match kind {
                SeriesKind::Norm => Scale::Linear,
                _ => Scale::Log10,
            });
        if let Some((lo, hi)) = bounds {
            chart = chart.y_bounds(lo, hi);
        }
        chart.render(inner, buf, ui);
    }

    fn render_sweep(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let slope = self
            .shown
            .as_ref()
            .and_then(|s| s.exploration.without_decay.eta_sweep_slope());
        let title = match slope {
            Some(s) => format!("one-step gap against η: slope {s:.2}"),
            None => "one-step gap against η".to_string(),
        };
        let inner = panel(area, buf, ui, &tr(ui, &title), false);
        let Some(shown) = &self.shown else {
            return;
        };
        let inner = with_note(inner, buf, ui, "one step from x₀; slope 2 means O(η²)");
        let eta = tr(ui, "η").into_owned();
        let fit_label = match slope {
            Some(s) => format!("fit, slope {s:.2}"),
            None => "no fit (zero gap)".to_string(),
        };
        LogChart::new(vec![
            Series {
                label: "gap",
                points: &shown.sweep,
                index: 0,
            },
            Series {
                label: &fit_label,
                points: &shown.fit,
                index: 2,
            },
        ])
        .x_scale(Scale::Log10)
        .y_scale(Scale::Log10)
        .x_name(&eta)
        .render(inner, buf, ui);
    }
}

/// A line with its own text, in the glyph set of `ui`.
fn own(ui: &Ui, line: Line<'_>) -> Line<'static> {
    Line::from(
        line.spans
            .iter()
            .map(|s| Span::styled(tr(ui, &s.content).into_owned(), s.style))
            .collect::<Vec<_>>(),
    )
    .style(line.style)
}

fn translate_lines(ui: &Ui, text: &[Line<'_>]) -> Vec<Line<'static>> {
    text.iter().map(|line| own(ui, line.clone())).collect()
}

#[derive(Clone, Copy)]
enum SeriesKind {
    Norm,
    EffectiveStep,
    Gap,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::buffer_text;
    use crate::theme::ColorDepth;

    fn tab() -> ScaleTab {
        let mut t = ScaleTab::new(&Waker::headless());
        t.settle();
        t
    }

    fn draw(t: &ScaleTab, w: u16, h: u16, ui: &Ui) -> Buffer {
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        t.render(area, &mut buf, ui);
        buf
    }

    #[test]
    fn help_and_hints_are_ascii() {
        // The help overlay prints these as they are, also in ASCII mode.
        for b in KEYS {
            assert!(b.help.is_ascii(), "{}", b.help);
            assert!(b.hint.is_none_or(str::is_ascii));
        }
    }

    #[test]
    fn opens_on_the_model_defaults_with_a_finished_run() {
        let t = tab();
        let p = t.params();
        let d = Params::default();
        assert_eq!(
            (p.function, p.lr, p.lambda, p.steps),
            (d.function, d.lr, d.lambda, d.steps)
        );
        let init = p.init.unwrap();
        assert!((init[0] - 1.0).abs() < 1e-12 && (init[1] - 0.3).abs() < 1e-12);
        assert_eq!(t.frame(), 200);
        assert!(!t.playing() && !t.animating());
        let e = t.exploration().unwrap();
        assert_eq!(e.params.weight_decay, DEFAULT_DECAY);
        assert_eq!(e.without_decay.steps_taken(), 200);
    }

    #[test]
    fn controls_move_and_adjust_as_their_help_says() {
        let mut t = tab();
        assert_eq!(t.focus(), Control::Function);
        t.act(Act::Increase);
        assert_eq!(t.params().function, Function::Logistic);
        assert_eq!(t.exploration().unwrap().params.function, Function::Logistic);
        t.act(Act::NextControl);
        assert_eq!(t.focus(), Control::Lr);
        t.act(Act::Increase);
        assert_eq!(t.params().lr, 0.2);
        t.act(Act::Decrease);
        t.act(Act::Decrease);
        assert_eq!(t.params().lr, 0.05);
        t.act(Act::NextControl);
        t.act(Act::Increase);
        assert_eq!(t.params().lambda, 5.0);
        t.act(Act::NextControl);
        let before = t.start_angle_deg;
        t.act(Act::Increase);
        assert!((t.start_angle_deg - before - ANGLE_STEP_DEG).abs() < 1e-12);
        t.act(Act::NextControl);
        t.act(Act::Decrease);
        assert!((t.start_norm - robust_norm(&[1.0, 0.3]) / NORM_FACTOR).abs() < 1e-12);
        t.act(Act::NextControl);
        t.act(Act::Increase);
        assert_eq!(t.params().weight_decay, 1.0);
        t.act(Act::NextControl);
        t.act(Act::Increase);
        assert_eq!(t.params().steps, 500);
        t.act(Act::NextControl);
        assert_eq!(t.focus(), Control::Function, "wraps around");
        t.act(Act::PrevControl);
        assert_eq!(t.focus(), Control::Steps);
        // Every change was recomputed.
        assert_eq!(t.exploration().unwrap().params, t.params());
    }

    #[test]
    fn decay_stays_below_one_over_eta() {
        let mut t = tab();
        t.focus = Control::WeightDecay;
        for _ in 0..10 {
            t.act(Act::Increase);
        }
        assert_eq!(t.weight_decay, 2.0);
        t.focus = Control::Lr;
        for _ in 0..10 {
            t.act(Act::Increase);
        }
        assert_eq!(t.lr, 1.0);
        assert!(t.lr * t.weight_decay < 1.0);
        assert!(t.params().validate().is_ok());
        t.focus = Control::WeightDecay;
        t.act(Act::Increase);
        assert!(t.lr * t.weight_decay < 1.0);
    }

    #[test]
    fn playback_keys() {
        let mut t = tab();
        t.act(Act::Rewind);
        assert_eq!(t.frame(), 0);
        assert!(t.playing() && t.animating());
        assert!(t.tick());
        assert_eq!(t.frame(), t.step_per_tick());
        t.act(Act::PlayPause);
        assert!(!t.playing() && !t.animating());
        t.act(Act::StepForward);
        assert_eq!(t.frame(), t.step_per_tick() + 1);
        t.act(Act::StepBack);
        t.act(Act::StepBack);
        assert_eq!(t.frame(), t.step_per_tick() - 1);
        t.nav(Nav::End);
        assert_eq!(t.frame(), 200);
        t.act(Act::StepForward);
        assert_eq!(t.frame(), 200, "no step past the end");
        // Space at the end starts over.
        t.act(Act::PlayPause);
        assert_eq!(t.frame(), 0);
        assert!(t.playing());
        let mut ticks = 0;
        while t.animating() && ticks < 1000 {
            t.tick();
            ticks += 1;
        }
        assert_eq!(t.frame(), 200);
        assert!(!t.playing(), "stops ticking when finished");
        assert!(ticks <= ANIMATION_TICKS + 1);
        t.nav(Nav::Home);
        assert_eq!(t.frame(), 0);
        t.settle();
        assert_eq!(t.frame(), 0, "settling keeps a paused frame");
        t.nav(Nav::PageDown);
        assert_eq!(t.frame(), 10 * t.step_per_tick());
        assert!(!t.nav(Nav::Left));
    }

    #[test]
    fn start_point_keys() {
        let mut t = tab();
        let angle = t.start_angle_deg;
        t.act(Act::RotateRight);
        t.act(Act::RotateRight);
        t.act(Act::RotateLeft);
        assert!((t.start_angle_deg - angle - ANGLE_STEP_DEG).abs() < 1e-12);
        let norm = t.start_norm;
        t.act(Act::NormUp);
        assert!((t.start_norm - norm * NORM_FACTOR).abs() < 1e-12);
        t.act(Act::NormDown);
        t.act(Act::NormDown);
        assert!((t.start_norm - norm / NORM_FACTOR).abs() < 1e-12);
        for _ in 0..100 {
            t.act(Act::NormDown);
        }
        assert_eq!(t.start_norm, NORM_RANGE.0);
        let x0 = t
            .exploration()
            .unwrap()
            .without_decay
            .point(0)
            .unwrap()
            .to_vec();
        assert!((robust_norm(&x0) - NORM_RANGE.0).abs() < 1e-12);
    }

    #[test]
    fn ratio_start_never_sits_on_the_y_axis() {
        let mut t = tab();
        t.function = Function::Ratio;
        t.start_angle_deg = 85.0;
        t.act(Act::RotateRight);
        assert_eq!(t.start_angle_deg, 95.0);
        assert!(t.params().validate().is_ok());
        // Switching to ratio while on the axis moves off it.
        let mut t = tab();
        t.start_angle_deg = 90.0;
        t.act(Act::NextFunction); // rayleigh -> logistic
        t.act(Act::NextFunction); // logistic -> ratio
        assert_eq!(t.params().function, Function::Ratio);
        assert_eq!(t.start_angle_deg, 95.0);
        let e = t.exploration().unwrap();
        assert!(e.without_decay.runaway.is_some(), "y/x runs away");
    }

    #[test]
    fn toggles() {
        let mut t = tab();
        t.act(Act::ToggleDecayRun);
        assert_eq!(t.plane_run, PlaneRun::WithDecay);
        t.act(Act::ToggleView);
        assert_eq!(t.view, View::Charts);
        t.act(Act::ToggleView);
        assert_eq!(t.view, View::Plane);
    }

    #[test]
    fn ascii_mode_draws_only_ascii() {
        let mut t = tab();
        let ui = Ui::new(ColorDepth::Ansi16, false);
        for (w, h) in [(80, 22), (160, 46), (200, 58)] {
            for view in [View::Plane, View::Charts] {
                t.view = view;
                let text = buffer_text(&draw(&t, w, h, &ui));
                assert!(text.is_ascii(), "{w}x{h}:\n{text}");
            }
        }
        t.function = Function::Ratio;
        t.submit();
        t.settle();
        let text = buffer_text(&draw(&t, 160, 46, &ui));
        assert!(text.is_ascii(), "{text}");
        assert!(text.contains("ran away at step"));
    }

    #[test]
    fn render_is_total() {
        let t = tab();
        let ui = Ui::standard();
        for (w, h) in [
            (0, 0),
            (1, 1),
            (2, 50),
            (50, 2),
            (10, 5),
            (64, 18),
            (119, 33),
            (300, 100),
        ] {
            draw(&t, w, h, &ui);
        }
        let fresh = ScaleTab {
            shown: None,
            ..tab()
        };
        let text = buffer_text(&draw(&fresh, 80, 22, &ui));
        assert!(text.contains("computing"));
    }

    #[test]
    fn notes_wrap_on_words() {
        assert_eq!(wrap("a bb ccc dddd", 6), vec!["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("", 5), Vec::<String>::new());
        assert_eq!(wrap("toolongword x", 4), vec!["toolongword", "x"]);
        // A note that does not fit whole is left out.
        let ui = Ui::standard();
        let area = Rect::new(0, 0, 10, 1);
        let mut buf = Buffer::empty(area);
        note(area, &mut buf, &ui, "one two three four");
        assert_eq!(buffer_text(&buf).trim(), "");
        let area = Rect::new(0, 0, 10, 2);
        let mut buf = Buffer::empty(area);
        note(area, &mut buf, &ui, "one two three four");
        assert_eq!(buffer_text(&buf), "one two\nthree four\n");
    }

    #[test]
    fn ladders_step_from_any_value() {
        assert_eq!(ladder_step(&LR_LADDER, 0.1, true), 0.2);
        assert_eq!(ladder_step(&LR_LADDER, 0.15, false), 0.1);
        assert_eq!(ladder_step(&LR_LADDER, 1.0, true), 1.0);
        assert_eq!(ladder_step(&DECAY_LADDER, 0.0, false), 0.0);
    }
}
