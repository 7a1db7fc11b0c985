//! The "RNN vs LSTM" tab: the same sequence back-propagated through an RNN and an LSTM, the
//! gradient norms drawn on shared log axes while the backward pass plays from t = T to 0,
//! the recurrent matrix's eigenvalues against the unit circle, and the controls.
//!
//! The tab holds view state (focused control, animation position, side panel) and the
//! results of `model::run`; every number it shows comes from there.

use std::cell::Cell;

use crossterm::event::KeyCode;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use strum::{EnumCount, FromRepr};

use super::model::{self, Activation, CellKind, Clip, Init, Params, Run};
use crate::jobs::{Waker, Worker};
use crate::keymap::{Binding, Key};
use crate::numfmt;
use crate::tab::Tab;
use crate::theme::Ui;
use crate::widgets::dots::{DotCanvas, Viewport};
use crate::widgets::log_chart::{LogChart, Series};
use crate::widgets::slider::{Slider, linear_position, log_position};
use crate::widgets::{lines, panel, readout};

/// What the tab's keys do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    PlayPause,
    Step,
    Restart,
    ToEnd,
    FocusPrev,
    FocusNext,
    Decrease,
    Increase,
    RhoDown,
    RhoUp,
    RhoDownCoarse,
    RhoUpCoarse,
    NextActivation,
    ToggleInit,
    NextClip,
    NextSeed,
    ToggleStepSeries,
    SwitchPanel,
}

const fn code(c: KeyCode) -> Key {
    Key::code(c)
}

/// The tab's key table: dispatch, footer hints and the help overlay all come from here.
pub const KEYS: &[Binding<Act>] = &[
    Binding {
        keys: &[Key::ch(' ')],
        action: Act::PlayPause,
        help: "play or pause the backward pass (at the end: play it again)",
        hint: Some("play"),
    },
    Binding {
        keys: &[Key::ch('.')],
        action: Act::Step,
        help: "step the backward pass one frame towards t = 0",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('r'), code(KeyCode::Home)],
        action: Act::Restart,
        help: "restart the backward pass at t = T",
        hint: Some("restart"),
    },
    Binding {
        keys: &[code(KeyCode::End)],
        action: Act::ToEnd,
        help: "jump to the end of the backward pass (t = 0)",
        hint: None,
    },
    Binding {
        keys: &[code(KeyCode::Up), Key::ch('k')],
        action: Act::FocusPrev,
        help: "choose the previous control",
        hint: None,
    },
    Binding {
        keys: &[code(KeyCode::Down), Key::ch('j')],
        action: Act::FocusNext,
        help: "choose the next control",
        hint: None,
    },
    Binding {
        keys: &[code(KeyCode::Left), Key::ch('h')],
        action: Act::Decrease,
        help: "lower the chosen control (or the previous choice) and recompute",
        hint: Some("less"),
    },
    Binding {
        keys: &[code(KeyCode::Right), Key::ch('l')],
        action: Act::Increase,
        help: "raise the chosen control (or the next choice) and recompute",
        hint: Some("more"),
    },
    Binding {
        keys: &[Key::ch('-')],
        action: Act::RhoDown,
        help: "spectral radius rho down by 0.05",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('+'), Key::ch('=')],
        action: Act::RhoUp,
        help: "spectral radius rho up by 0.05",
        hint: None,
    },
    Binding {
        keys: &[code(KeyCode::PageDown)],
        action: Act::RhoDownCoarse,
        help: "spectral radius rho down by 0.5",
        hint: None,
    },
    Binding {
        keys: &[code(KeyCode::PageUp)],
        action: Act::RhoUpCoarse,
        help: "spectral radius rho up by 0.5",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('a')],
        action: Act::NextActivation,
        help: "next RNN activation (identity, tanh, relu, sigmoid)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('i')],
        action: Act::ToggleInit,
        help: "recurrent weights Gaussian or orthogonal",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('c')],
        action: Act::NextClip,
        help: "gradient clipping: none, by norm, by value",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('n')],
        action: Act::NextSeed,
        help: "new random draw (next seed)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('w')],
        action: Act::ToggleStepSeries,
        help: "show or hide each step's share of the W_hh gradient",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('v')],
        action: Act::SwitchPanel,
        help: "switch the side panel: eigenvalues, readout, notes 6a-6d (small screens)",
        hint: Some("panel"),
    },
];

/// The controls, in the order they are listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumCount, FromRepr)]
pub enum Control {
    Rho,
    Activation,
    Hidden,
    Steps,
    ForgetBias,
    Clip,
    ClipThreshold,
    InputScale,
    Init,
    Seed,
}

impl Control {
    fn next(self) -> Self {
        Self::from_repr((self as usize + 1) % Self::COUNT).unwrap_or(self)
    }
    fn prev(self) -> Self {
        Self::from_repr((self as usize + Self::COUNT - 1) % Self::COUNT).unwrap_or(self)
    }
    fn label(self) -> &'static str {
        match self {
            Control::Rho => "rho",
            Control::Activation => "activation",
            Control::Hidden => "hidden H",
            Control::Steps => "steps T",
            Control::ForgetBias => "forget bias",
            Control::Clip => "clip",
            Control::ClipThreshold => "clip c",
            Control::InputScale => "input std",
            Control::Init => "init",
            Control::Seed => "seed",
        }
    }
    fn all() -> impl Iterator<Item = Control> {
        (0..Self::COUNT).filter_map(Self::from_repr)
    }
}

/// Range of ρ on the slider (the model accepts up to `model::MAX_RHO`).
const RHO_MAX: f64 = 3.0;
const RHO_STEP: f64 = 0.05;
const HIDDEN_CHOICES: &[usize] = &[2, 4, 8, 16, 32, 64, 128, 256, 512];
const STEPS_CHOICES: &[usize] = &[10, 20, 50, 100, 200, 500, 1000, 2000];
const CLIP_CHOICES: &[f64] = &[
    0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0,
];
const FORGET_BIAS_RANGE: (f64, f64) = (-4.0, 6.0);
const FORGET_BIAS_STEP: f64 = 0.5;
const INPUT_SCALE_RANGE: (f64, f64) = (0.0, 4.0);
const INPUT_SCALE_STEP: f64 = 0.25;
/// The backward pass takes at most this many frames (3 s at 30 frames a second).
const ANIMATION_FRAMES: usize = 90;

/// What the side panel shows when there is room for only one of them (small screens).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SidePanel {
    Eigenvalues,
    Readout,
    /// One note at a time: index into `NOTES`.
    Note(usize),
}

impl SidePanel {
    fn next(self) -> Self {
        match self {
            SidePanel::Eigenvalues => SidePanel::Readout,
            SidePanel::Readout => SidePanel::Note(0),
            SidePanel::Note(i) if i + 1 < NOTES.len() => SidePanel::Note(i + 1),
            SidePanel::Note(_) => SidePanel::Eigenvalues,
        }
    }
}

/// One curve ready for the chart: its finite points, the point where it first overflows
/// going backward from T (kept non-finite so the chart pins it and marks "overflow from
/// t = …"), and the overflowed stretch below that, pinned to the top edge.
#[derive(Clone, Debug, Default)]
pub struct Curve {
    pub points: Vec<(f64, f64)>,
    pub overflow: Option<(f64, f64)>,
    pub pinned: Vec<(f64, f64)>,
}

impl Curve {
    /// Points (t, values[t]) for t ≥ `first_t`; `top` is the chart's top edge.
    fn new(values: &[f64], first_t: usize, top: f64) -> Curve {
        let mut curve = Curve::default();
        let first_bad = (first_t..values.len())
            .rev()
            .find(|&t| !values[t].is_finite());
        for (t, &v) in values.iter().enumerate().skip(first_t) {
            let point = (t as f64, v);
            if v.is_finite() {
                curve.points.push(point);
            } else if Some(t) == first_bad {
                curve.overflow = Some(point);
            } else {
                curve.pinned.push((t as f64, top));
            }
        }
        curve
    }

    /// The part the backward pass has reached (t ≥ `cursor`), in order of t; with `mark`,
    /// the overflow point that makes the chart write its mark.
    fn reached(&self, cursor: usize, mark: bool) -> Vec<(f64, f64)> {
        let from = |pts: &[(f64, f64)]| pts.partition_point(|p| p.0 < cursor as f64);
        let mut pts: Vec<(f64, f64)> = self.points[from(&self.points)..].to_vec();
        pts.extend_from_slice(&self.pinned[from(&self.pinned)..]);
        if mark && let Some(p) = self.overflow.filter(|p| p.0 >= cursor as f64) {
            pts.push(p);
        }
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        pts
    }

    /// The t of the overflow point, if the backward pass has reached it.
    fn overflow_reached(&self, cursor: usize) -> Option<f64> {
        self.overflow.map(|p| p.0).filter(|&t| t >= cursor as f64)
    }
}

/// The curves of both charts and their shared axes.
#[derive(Clone, Debug, Default)]
pub struct Curves {
    pub rnn_h: Curve,
    pub rnn_step: Curve,
    pub theory: Curve,
    pub lstm_h: Curve,
    pub lstm_c: Curve,
    pub lstm_step: Curve,
    pub forget: Curve,
    /// Shared y range (data units) of both charts.
    pub y_range: (f64, f64),
}

/// Smallest and largest finite positive value over some curves, widened to whole decades.
fn decade_range<'a>(all: impl Iterator<Item = &'a f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &v in all {
        if v.is_finite() && v > 0.0 {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if lo > hi {
        return (0.1, 10.0);
    }
    let (a, b) = (lo.log10().floor(), hi.log10().ceil());
    let b = if b <= a { a + 1.0 } else { b };
    (
        10f64.powf(a).max(f64::MIN_POSITIVE),
        10f64.powf(b).min(f64::MAX),
    )
}

impl Curves {
    fn new(rnn: &Run, lstm: &Run) -> Curves {
        let empty: &[f64] = &[];
        let theory_values = rnn.linear_theory.as_deref().unwrap_or(empty);
        let grad_c = lstm.grad_c.as_deref().unwrap_or(empty);
        let forget = lstm.forget_product.as_deref().unwrap_or(empty);
        // The gradient norms set the shared range. The forget product is left out: it can
        // fall hundreds of decades and would flatten every other curve; below the range it
        // runs along the bottom edge (the readout has its value).
        let y_range = decade_range(
            rnn.grad_h
                .iter()
                .chain(&rnn.grad_w_step)
                .chain(theory_values)
                .chain(&lstm.grad_h)
                .chain(&lstm.grad_w_step)
                .chain(grad_c),
        );
        let top = y_range.1;
        // grad_w_step[t − 1] belongs to step t; there is no step 0.
        let steps_of =
            |w: &[f64]| -> Vec<f64> { std::iter::once(0.0).chain(w.iter().copied()).collect() };
        let rnn_h = Curve::new(&rnn.grad_h, 0, top);
        let rnn_step = Curve::new(&steps_of(&rnn.grad_w_step), 1, top);
        let lstm_h = Curve::new(&lstm.grad_h, 0, top);
        let lstm_c = Curve::new(grad_c, 0, top);
        let forget = Curve::new(forget, 0, top);
        let lstm_step = Curve::new(&steps_of(&lstm.grad_w_step), 1, top);
        // The theory line is a reference: values beyond f64 are simply left out.
        let theory = Curve {
            points: theory_values
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite())
                .map(|(t, &v)| (t as f64, v))
                .collect(),
            ..Curve::default()
        };
        Curves {
            rnn_h,
            rnn_step,
            theory,
            lstm_h,
            lstm_c,
            lstm_step,
            forget,
            y_range,
        }
    }
}

/// A series as handed to the chart: label, points (t, value), colour index.
type Plotted<'a> = (&'a str, Vec<(f64, f64)>, usize);

/// Both runs for one parameter set, with everything the screen needs prepared.
pub struct Computed {
    pub params: Params,
    pub rnn: Run,
    pub lstm: Run,
    pub curves: Curves,
    /// max |λ| of the RNN's W_hh (the LSTM's g block), from its eigenvalues.
    pub spectral_radius: f64,
}

impl Computed {
    /// Runs the RNN and the LSTM on the same draws (see `model`'s draw order).
    pub fn new(params: Params) -> Computed {
        let rnn = model::run(&Params {
            cell: CellKind::Rnn,
            ..params
        });
        let lstm = model::run(&Params {
            cell: CellKind::Lstm,
            ..params
        });
        let curves = Curves::new(&rnn, &lstm);
        let spectral_radius = model::spectral_radius(&rnn.eigenvalues);
        Computed {
            params: rnn.params,
            rnn,
            lstm,
            curves,
            spectral_radius,
        }
    }
}

/// Where the last frame put things, for mouse clicks.
#[derive(Clone, Copy, Default)]
struct HitAreas {
    /// (area of the control rows, controls per column, columns)
    controls: (Rect, usize, usize),
    side: Rect,
}

pub struct RnnTab {
    params: Params,
    /// Threshold c kept while clipping is off, so switching it back on restores it.
    clip_threshold: f64,
    focus: Control,
    side: SidePanel,
    show_steps: bool,
    worker: Worker<Params, Computed>,
    result: Option<Computed>,
    /// The backward pass has reached t = cursor (it starts at T and ends at 0).
    cursor: usize,
    playing: bool,
    hits: Cell<HitAreas>,
}

impl RnnTab {
    /// The tab with the default parameters (computed at once headless, else in the background).
    pub fn new(waker: &Waker) -> Self {
        RnnTab::with_params(waker, Params::default())
    }

    /// The tab for `params` (brought into range with `Params::sanitized`).
    pub fn with_params(waker: &Waker, params: Params) -> Self {
        let params = params.sanitized();
        let mut tab = RnnTab {
            params,
            clip_threshold: params.clip.threshold().unwrap_or(1.0),
            focus: Control::Rho,
            side: SidePanel::Eigenvalues,
            show_steps: false,
            worker: Worker::new(waker, Computed::new),
            result: None,
            cursor: params.steps,
            playing: true,
            hits: Cell::new(HitAreas::default()),
        };
        tab.worker.submit(params);
        tab.poll();
        tab
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    pub fn focus(&self) -> Control {
        self.focus
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn playing(&self) -> bool {
        self.playing
    }

    pub fn side_panel(&self) -> SidePanel {
        self.side
    }

    pub fn result(&self) -> Option<&Computed> {
        self.result.as_ref()
    }

    /// Steps of t per animation frame: the whole pass takes at most `ANIMATION_FRAMES`.
    fn stride(&self) -> usize {
        let steps = self.shown_steps();
        steps.div_ceil(ANIMATION_FRAMES).max(1)
    }

    fn shown_steps(&self) -> usize {
        self.result
            .as_ref()
            .map_or(self.params.steps, |r| r.params.steps)
    }

    fn restart(&mut self) {
        self.cursor = self.shown_steps();
        self.playing = true;
    }

    fn recompute(&mut self) {
        self.params = self.params.sanitized();
        self.worker.submit(self.params);
        self.poll();
    }

    /// Moves the focused control one notch; returns false when it is already at its end.
    fn adjust(&mut self, up: bool) -> bool {
        let p = &mut self.params;
        let before = *p;
        let notch = |v: f64, step: f64, (lo, hi): (f64, f64)| {
            let n = (v / step).round() + if up { 1.0 } else { -1.0 };
            (n * step).clamp(lo, hi)
        };
        match self.focus {
            Control::Rho => p.rho = notch(p.rho, RHO_STEP, (0.0, RHO_MAX)),
            Control::Activation => {
                p.activation = if up {
                    p.activation.next()
                } else {
                    p.activation.prev()
                }
            }
            Control::Hidden => p.hidden = choose(HIDDEN_CHOICES, p.hidden, up),
            Control::Steps => p.steps = choose(STEPS_CHOICES, p.steps, up),
            Control::ForgetBias => {
                p.forget_bias = notch(p.forget_bias, FORGET_BIAS_STEP, FORGET_BIAS_RANGE)
            }
            Control::Clip => {
                p.clip = if up {
                    p.clip.next(self.clip_threshold)
                } else {
                    p.clip.prev(self.clip_threshold)
                }
            }
            Control::ClipThreshold => {
                self.clip_threshold = choose_f64(CLIP_CHOICES, self.clip_threshold, up);
                p.clip = p.clip.with_threshold(self.clip_threshold);
            }
            Control::InputScale => {
                p.input_scale = notch(p.input_scale, INPUT_SCALE_STEP, INPUT_SCALE_RANGE)
            }
            Control::Init => {
                p.init = if up { p.init.next() } else { p.init.prev() };
            }
            Control::Seed => {
                p.seed = if up {
                    p.seed.saturating_add(1)
                } else {
                    p.seed.saturating_sub(1)
                }
            }
        }
        let changed = *p != before;
        if changed {
            self.recompute();
        }
        // The threshold itself changed even when clipping is off (nothing to recompute).
        changed || self.focus == Control::ClipThreshold
    }

    fn set_and_recompute(&mut self, f: impl FnOnce(&mut Params)) -> bool {
        let before = self.params;
        f(&mut self.params);
        if self.params != before {
            self.recompute();
        }
        true
    }

    /// The value of a control as shown.
    fn value_text(&self, c: Control) -> String {
        let p = &self.params;
        match c {
            Control::Rho => format!("{:.2}", p.rho),
            Control::Activation => p.activation.name().to_string(),
            Control::Hidden => p.hidden.to_string(),
            Control::Steps => p.steps.to_string(),
            Control::ForgetBias => format!("{:.1}", p.forget_bias),
            Control::Clip => p.clip.name().to_string(),
            Control::ClipThreshold => numfmt::general(self.clip_threshold, 2),
            Control::InputScale => format!("{:.2}", p.input_scale),
            Control::Init => p.init.name().to_string(),
            Control::Seed => p.seed.to_string(),
        }
    }

    /// Where the control's value sits on its track, in [0, 1].
    fn position(&self, c: Control) -> f64 {
        let p = &self.params;
        let index = |i: usize, n: usize| i as f64 / (n.max(2) - 1) as f64;
        match c {
            Control::Rho => linear_position(p.rho, 0.0, RHO_MAX),
            Control::Activation => index(p.activation as usize, Activation::COUNT),
            Control::Hidden => log_position(p.hidden as f64, 2.0, 512.0),
            Control::Steps => log_position(p.steps as f64, 10.0, 2000.0),
            Control::ForgetBias => {
                linear_position(p.forget_bias, FORGET_BIAS_RANGE.0, FORGET_BIAS_RANGE.1)
            }
            Control::Clip => index(
                match p.clip {
                    Clip::None => 0,
                    Clip::Norm(_) => 1,
                    Clip::Value(_) => 2,
                },
                3,
            ),
            Control::ClipThreshold => log_position(self.clip_threshold, 0.01, 100.0),
            Control::InputScale => {
                linear_position(p.input_scale, INPUT_SCALE_RANGE.0, INPUT_SCALE_RANGE.1)
            }
            Control::Init => index(p.init as usize, Init::COUNT),
            Control::Seed => 0.0,
        }
    }
}

/// The next (or previous) entry of a sorted list of choices, from the nearest one to `v`.
fn choose(choices: &[usize], v: usize, up: bool) -> usize {
    let i = choices
        .iter()
        .position(|&c| c >= v)
        .unwrap_or(choices.len().saturating_sub(1));
    let exact = choices.get(i) == Some(&v);
    let j = match (up, exact) {
        (true, true) => (i + 1).min(choices.len().saturating_sub(1)),
        (true, false) => i,
        (false, _) => i.saturating_sub(1),
    };
    choices.get(j).copied().unwrap_or(v)
}

fn choose_f64(choices: &[f64], v: f64, up: bool) -> f64 {
    let i = choices
        .iter()
        .position(|&c| c >= v * (1.0 - 1e-9))
        .unwrap_or(choices.len().saturating_sub(1));
    let exact = choices
        .get(i)
        .is_some_and(|&c| (c - v).abs() <= 1e-9 * v.abs());
    let j = match (up, exact) {
        (true, true) => (i + 1).min(choices.len().saturating_sub(1)),
        (true, false) => i,
        (false, _) => i.saturating_sub(1),
    };
    choices.get(j).copied().unwrap_or(v)
}

/// Text in Unicode or its ASCII spelling.
fn pick(ui: &Ui, unicode: &'static str, ascii: &'static str) -> &'static str {
    if ui.glyphs.unicode { unicode } else { ascii }
}

fn num(x: f64) -> String {
    numfmt::general(x, 3)
}

/// The value at index t, if there is one.
fn at(values: &[f64], t: usize) -> Option<f64> {
    values.get(t).copied()
}

/// Notes in our own words, one per part of the problem: (part, Unicode, ASCII).
const NOTES: [(&str, &str, &str); 4] = [
    (
        "6a",
        "Each step back multiplies the gradient by W_hhᵀ and φ′. With φ = identity its size tracks ρ^(T−t): it explodes for ρ > 1 and vanishes for ρ < 1.",
        "Each step back multiplies the gradient by W_hh^T and phi'. With phi = identity its size tracks rho^(T-t): it explodes for rho > 1 and vanishes for rho < 1.",
    ),
    (
        "6b",
        "tanh and sigmoid have φ′ ≤ 1 (sigmoid ≤ 1/4), near 0 when saturated: more vanishing. relu passes or blocks each unit, so ρ decides.",
        "tanh and sigmoid have phi' <= 1 (sigmoid <= 1/4), near 0 when saturated: more vanishing. relu passes or blocks each unit, so rho decides.",
    ),
    (
        "6c",
        "Clipping acts on the parameter gradient: norm:c rescales it to length c in the same direction; value:c caps each entry at ±c.",
        "Clipping acts on the parameter gradient: norm:c rescales it to length c in the same direction; value:c caps each entry at +-c.",
    ),
    (
        "6d",
        "The LSTM's cell path is multiplied by forget gates, not by W_hh: with f near 1 (forget bias > 0) the gradient lasts far longer.",
        "The LSTM's cell path is multiplied by forget gates, not by W_hh: with f near 1 (forget bias > 0) the gradient lasts far longer.",
    ),
];

/// Splits `text` into lines of at most `width` characters at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let need = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if need > width && !line.is_empty() {
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

impl Tab for RnnTab {
    type Act = Act;

    fn title(&self) -> &'static str {
        "RNN vs LSTM"
    }

    fn keys(&self) -> &'static [Binding<Act>] {
        KEYS
    }

    fn act(&mut self, act: Act) -> bool {
        match act {
            Act::PlayPause => {
                if self.cursor == 0 {
                    self.restart();
                } else {
                    self.playing = !self.playing;
                }
                true
            }
            Act::Step => {
                self.playing = false;
                let before = self.cursor;
                self.cursor = self.cursor.saturating_sub(self.stride());
                self.cursor != before
            }
            Act::Restart => {
                self.restart();
                true
            }
            Act::ToEnd => {
                self.cursor = 0;
                self.playing = false;
                true
            }
            Act::FocusPrev => {
                self.focus = self.focus.prev();
                true
            }
            Act::FocusNext => {
                self.focus = self.focus.next();
                true
            }
            Act::Decrease => self.adjust(false),
            Act::Increase => self.adjust(true),
            Act::RhoDown | Act::RhoUp => {
                let focus = self.focus;
                self.focus = Control::Rho;
                let changed = self.adjust(act == Act::RhoUp);
                self.focus = focus;
                changed
            }
            Act::RhoDownCoarse | Act::RhoUpCoarse => {
                let step = if act == Act::RhoUpCoarse { 0.5 } else { -0.5 };
                self.set_and_recompute(|p| {
                    p.rho = ((p.rho + step) / RHO_STEP).round() * RHO_STEP;
                    p.rho = p.rho.clamp(0.0, RHO_MAX);
                })
            }
            Act::NextActivation => self.set_and_recompute(|p| p.activation = p.activation.next()),
            Act::ToggleInit => self.set_and_recompute(|p| p.init = p.init.next()),
            Act::NextClip => {
                let c = self.clip_threshold;
                self.set_and_recompute(|p| p.clip = p.clip.next(c))
            }
            Act::NextSeed => self.set_and_recompute(|p| p.seed = p.seed.wrapping_add(1)),
            Act::ToggleStepSeries => {
                self.show_steps = !self.show_steps;
                true
            }
            Act::SwitchPanel => {
                self.side = self.side.next();
                true
            }
        }
    }

    fn click(&mut self, col: u16, row: u16) -> bool {
        let hits = self.hits.get();
        let (area, per_column, columns) = hits.controls;
        let inside = |r: Rect| col >= r.x && col < r.right() && row >= r.y && row < r.bottom();
        if inside(area) && per_column > 0 && columns > 0 {
            let column_width = (area.width / columns as u16).max(1);
            let c = ((col - area.x) / column_width) as usize;
            let r = (row - area.y) as usize;
            if r < per_column
                && let Some(control) = Control::from_repr(c * per_column + r)
            {
                self.focus = control;
                return true;
            }
        }
        if inside(hits.side) {
            return self.act(Act::SwitchPanel);
        }
        false
    }

    fn animating(&self) -> bool {
        self.playing && self.cursor > 0 && self.result.is_some()
    }

    fn tick(&mut self) -> bool {
        if !self.animating() {
            return false;
        }
        self.cursor = self.cursor.saturating_sub(self.stride());
        if self.cursor == 0 {
            self.playing = false;
        }
        true
    }

    fn poll(&mut self) -> bool {
        match self.worker.take() {
            Some(Ok(result)) => {
                self.result = Some(result);
                self.restart();
                true
            }
            Some(Err(_)) | None => false,
        }
    }

    fn busy(&self) -> bool {
        self.worker.busy()
    }

    fn settle(&mut self) {
        // wait() would block on a result poll() has already taken, so only while busy.
        if self.worker.busy() {
            if let Some(Ok(result)) = self.worker.wait() {
                self.result = Some(result);
            }
        } else {
            self.poll();
        }
        self.cursor = 0;
        self.playing = false;
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let area = area.intersection(buf.area);
        if area.width < 4 || area.height < 3 {
            return;
        }
        let wide = area.width >= 130 && area.height >= 36;
        let bottom_h = if wide {
            (area.height * 2 / 5 + 2).clamp(14, 24)
        } else {
            9
        };
        let [charts, bottom] = Layout::vertical([
            Constraint::Min(0),
            Constraint::Length(bottom_h.min(area.height.saturating_sub(6))),
        ])
        .areas(area);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(charts);
        self.render_chart(left, buf, ui, CellKind::Rnn);
        self.render_chart(right, buf, ui, CellKind::Lstm);
        let mut hits = HitAreas::default();
        if wide {
            let [controls, eigen, readout_area, notes] = Layout::horizontal([
                Constraint::Length(44),
                // A cell is about twice as tall as wide: this keeps the complex plane square.
                Constraint::Length((bottom.height * 2).saturating_sub(4).min(bottom.width / 4)),
                Constraint::Length(36),
                Constraint::Min(20),
            ])
            .areas(bottom);
            hits.controls = self.render_controls(controls, buf, ui, false);
            self.render_eigenvalues(eigen, buf, ui);
            self.render_readout(readout_area, buf, ui);
            self.render_notes(notes, buf, ui, 0..NOTES.len());
        } else {
            let [controls, side] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(bottom);
            hits.controls = self.render_controls(controls, buf, ui, true);
            hits.side = side;
            match self.side {
                SidePanel::Eigenvalues => self.render_eigenvalues(side, buf, ui),
                SidePanel::Readout => self.render_readout(side, buf, ui),
                SidePanel::Note(i) => self.render_notes(side, buf, ui, i..i + 1),
            }
        }
        self.hits.set(hits);
    }
}

impl RnnTab {
    fn render_chart(&self, area: Rect, buf: &mut Buffer, ui: &Ui, cell: CellKind) {
        let busy = if self.worker.busy() {
            format!(" computing{}", ui.glyphs.ellipsis)
        } else {
            String::new()
        };
        let title = match cell {
            CellKind::Rnn => format!("RNN ({}){busy}", self.params.activation),
            CellKind::Lstm => format!("LSTM (forget bias {:.1}){busy}", self.params.forget_bias),
        };
        let inner = panel(area, buf, ui, &title, false);
        let Some(result) = &self.result else {
            lines(
                inner,
                buf,
                &[Line::styled(
                    format!("computing{}", ui.glyphs.ellipsis),
                    ui.theme.warn,
                )],
            );
            return;
        };
        if inner.height < 2 {
            return;
        }
        let chart_area = Rect::new(inner.x, inner.y, inner.width, inner.height - 1);
        let readout_row = Rect::new(inner.x, inner.y + inner.height - 1, inner.width, 1);
        let c = &result.curves;
        let t = self.cursor;
        let h_label = pick(ui, "‖∂ℓ/∂h‖", "|dl/dh|");
        let step_label = pick(ui, "‖ΔW_hh‖", "|dW_hh|");
        let mut shown: Vec<(&str, &Curve, usize)> = Vec::new();
        match cell {
            CellKind::Rnn => {
                shown.push((h_label, &c.rnn_h, 0));
                if self.show_steps {
                    shown.push((step_label, &c.rnn_step, 2));
                }
            }
            CellKind::Lstm => {
                shown.push((h_label, &c.lstm_h, 0));
                shown.push((pick(ui, "‖∂ℓ/∂c‖", "|dl/dc|"), &c.lstm_c, 1));
                if self.show_steps {
                    shown.push((step_label, &c.lstm_step, 2));
                }
                shown.push((pick(ui, "max∏f", "max prod f"), &c.forget, 3));
            }
        }
        // The chart marks the smallest overflowing t it is given; the backward pass overflows
        // first at the largest, so only the curve that overflows first keeps its mark.
        let first_overflow = shown
            .iter()
            .filter_map(|(_, curve, _)| curve.overflow_reached(t))
            .max_by(f64::total_cmp);
        let mut owned: Vec<Plotted> = Vec::new();
        let mut marked = false;
        for (label, curve, index) in shown {
            let mark =
                !marked && first_overflow.is_some() && curve.overflow_reached(t) == first_overflow;
            marked |= mark;
            owned.push((label, curve.reached(t, mark), index));
        }
        if cell == CellKind::Rnn && result.rnn.linear_theory.is_some() {
            // The reference line is drawn whole: it is what the curve should follow.
            owned.push((pick(ui, "ρ^(T−t)", "rho^(T-t)"), c.theory.points.clone(), 3));
        }
        let series: Vec<Series> = owned
            .iter()
            .map(|(label, points, index)| Series {
                label,
                points,
                index: *index,
            })
            .collect();
        let steps = result.params.steps as f64;
        LogChart::new(series)
            .x_bounds(0.0, steps)
            .y_bounds(c.y_range.0, c.y_range.1)
            .cursor_ticks(t as f64)
            .x_name("t")
            .legend(chart_area.height >= 6)
            .render(chart_area, buf, ui);

        let run = match cell {
            CellKind::Rnn => &result.rnn,
            CellKind::Lstm => &result.lstm,
        };
        let mut spans = vec![
            Span::styled(format!("t={t} "), ui.theme.cursor),
            Span::styled(pick(ui, "‖∂ℓ/∂h‖ ", "|dl/dh| "), ui.theme.hint),
            Span::styled(
                at(&run.grad_h, t).map_or_else(String::new, num),
                ui.theme.series[0],
            ),
        ];
        if let Some(v) = run.grad_c.as_deref().and_then(|g| at(g, t)) {
            spans.push(Span::styled(
                pick(ui, " ‖∂ℓ/∂c‖ ", " |dl/dc| "),
                ui.theme.hint,
            ));
            spans.push(Span::styled(num(v), ui.theme.series[1]));
        }
        if let Some(v) = run.linear_theory.as_deref().and_then(|g| at(g, t)) {
            spans.push(Span::styled(
                pick(ui, " ρ^(T−t) ", " rho^(T-t) "),
                ui.theme.hint,
            ));
            spans.push(Span::styled(num(v), ui.theme.series[3]));
        }
        lines(readout_row, buf, &[Line::from(spans)]);
    }

    /// Draws the controls; returns (area, controls per column, columns) for mouse hits.
    fn render_controls(
        &self,
        area: Rect,
        buf: &mut Buffer,
        ui: &Ui,
        compact: bool,
    ) -> (Rect, usize, usize) {
        let inner = panel(
            area,
            buf,
            ui,
            pick(ui, "Controls ↑↓ choose ←→ change", "Controls (arrows)"),
            true,
        );
        if inner.width == 0 || inner.height == 0 {
            return (Rect::default(), 0, 0);
        }
        let t = &ui.theme;
        let label_w = 12u16;
        if !compact && inner.height as usize >= Control::COUNT {
            for (i, c) in Control::all().enumerate() {
                let row = Rect::new(inner.x, inner.y + i as u16, inner.width, 1);
                let value = self.value_text(c);
                let label = format!("{:<w$}", c.label(), w = label_w as usize);
                if c == Control::Seed {
                    let style = if c == self.focus {
                        t.key.add_modifier(Modifier::REVERSED)
                    } else {
                        t.hint
                    };
                    lines(
                        row,
                        buf,
                        &[Line::from(vec![
                            Span::styled(label, style),
                            Span::raw(" "),
                            Span::styled(value, t.number),
                        ])],
                    );
                } else {
                    Slider {
                        label: &label,
                        value: &value,
                        position: self.position(c),
                        focused: c == self.focus,
                    }
                    .render(row, buf, ui);
                }
            }
            let rows = Rect::new(inner.x, inner.y, inner.width, Control::COUNT as u16);
            return (rows, Control::COUNT, 1);
        }
        // Compact: the values in two columns, then the focused control as a slider.
        let per_column = Control::COUNT.div_ceil(2);
        let grid_h = (per_column as u16).min(inner.height.saturating_sub(1));
        let column_w = inner.width / 2;
        for (i, c) in Control::all().enumerate() {
            let (col, row) = (i / per_column, i % per_column);
            if row as u16 >= grid_h {
                continue;
            }
            let x = inner.x + col as u16 * column_w;
            let style = if c == self.focus {
                t.key.add_modifier(Modifier::REVERSED)
            } else {
                t.hint
            };
            // Labels padded to the longest of their column.
            let pad = Control::all()
                .skip(col * per_column)
                .take(per_column)
                .map(|c| c.label().len())
                .max()
                .unwrap_or(0);
            let text = format!("{:<pad$}", c.label());
            let line = Line::from(vec![
                Span::styled(text, style),
                Span::raw(" "),
                Span::styled(self.value_text(c), t.number),
            ]);
            lines(
                Rect::new(x, inner.y + row as u16, column_w, 1),
                buf,
                &[line],
            );
        }
        if inner.height > grid_h {
            let row = Rect::new(inner.x, inner.y + grid_h, inner.width, 1);
            let value = self.value_text(self.focus);
            if self.focus == Control::Seed {
                lines(row, buf, &[readout(ui, "seed", value)]);
            } else {
                Slider {
                    label: self.focus.label(),
                    value: &value,
                    position: self.position(self.focus),
                    focused: true,
                }
                .render(row, buf, ui);
            }
        }
        if inner.height > grid_h + 1 {
            let row = Rect::new(inner.x, inner.y + grid_h + 1, inner.width, 1);
            let keys = "a act i init c clip n seed w dW . step";
            lines(row, buf, &[Line::styled(keys, t.dim)]);
        }
        let grid = Rect::new(inner.x, inner.y, column_w.saturating_mul(2), grid_h);
        (grid, per_column, 2)
    }

    fn render_eigenvalues(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let title = pick(ui, "Eigenvalues of W_hh (ℂ)", "Eigenvalues of W_hh");
        let inner = panel(area, buf, ui, title, false);
        let Some(result) = &self.result else {
            return;
        };
        if inner.width < 4 || inner.height < 3 {
            return;
        }
        let t = &ui.theme;
        let lambda = pick(ui, "λ", "ev");
        let caption = format!(
            "max|{lambda}| = {}, dots: |{lambda}| = 1",
            numfmt::general(result.spectral_radius, 3),
        );
        lines(
            Rect::new(inner.x, inner.y + inner.height - 1, inner.width, 1),
            buf,
            &[Line::styled(caption, t.dim)],
        );
        let plane = Rect::new(inner.x, inner.y, inner.width, inner.height - 1);
        let mut canvas = DotCanvas::new(plane.width, plane.height, ui.glyphs.unicode);
        // Equal scales on both axes: a cell is about twice as tall as it is wide.
        let (phys_w, phys_h) = (plane.width as f64, 2.0 * plane.height as f64);
        let reach = result.spectral_radius.max(1.0) * 1.15;
        let scale = phys_w.min(phys_h) / (2.0 * reach);
        let view = Viewport {
            x: (-phys_w / (2.0 * scale), phys_w / (2.0 * scale)),
            y: (-phys_h / (2.0 * scale), phys_h / (2.0 * scale)),
        };
        // Axes, then the unit circle, then the eigenvalues on top.
        let (w, h) = (canvas.width(), canvas.height());
        if let (Some((x0, y0)), Some((x1, _))) = (
            view.to_dot(&canvas, view.x.0, 0.0),
            view.to_dot(&canvas, view.x.1, 0.0),
        ) {
            for x in (x0..=x1).step_by(2) {
                canvas.dot(x, y0, t.border, '-');
            }
        }
        if let Some((x0, _)) = view.to_dot(&canvas, 0.0, 0.0) {
            for y in (0..h).step_by(2) {
                canvas.dot(x0, y, t.border, '|');
            }
        }
        let samples = 4 * (w + h).max(8);
        for k in 0..samples {
            let angle = std::f64::consts::TAU * k as f64 / samples as f64;
            if let Some((x, y)) = view.to_dot(&canvas, angle.cos(), angle.sin()) {
                canvas.dot(x, y, t.dim, '.');
            }
        }
        let mark = ui.glyphs.series_marks[0].chars().next().unwrap_or('*');
        for &(re, im) in &result.rnn.eigenvalues {
            if let Some((x, y)) = view.to_dot(&canvas, re, im) {
                if ui.glyphs.unicode {
                    canvas.dot(x, y, t.series[0], mark);
                } else {
                    let (col, row) = canvas.cell_of(x, y);
                    canvas.mark_cell(col, row, mark, t.series[0]);
                }
            }
        }
        canvas.render(plane, buf);
    }

    fn render_readout(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let inner = panel(area, buf, ui, "Readout", false);
        let Some(r) = &self.result else {
            return;
        };
        let t = self.cursor;
        let th = &ui.theme;
        let w = 12usize;
        let row = |label: &str, a: Option<f64>, b: Option<f64>| -> Line<'static> {
            let cell =
                |v: Option<f64>| v.map_or_else(|| "-".to_string(), |x| numfmt::general(x, 3));
            Line::from(vec![
                Span::styled(format!("{label:<w$}"), th.hint),
                Span::styled(format!("{:<11}", cell(a)), th.number),
                Span::styled(cell(b), th.number),
            ])
        };
        let ratio = |run: &Run| -> Option<f64> {
            let first = *run.grad_h.first()?;
            let last = *run.grad_h.last()?;
            Some(first / last)
        };
        let overflow = |run: &Run| -> String {
            match run.overflow_from {
                Some(t) => format!("t={t}"),
                None => "none".into(),
            }
        };
        let clip = match r.params.clip {
            Clip::None => "no clipping".to_string(),
            c => format!("clip {c}"),
        };
        let mut out = vec![
            Line::from(vec![
                Span::styled(format!("{:<w$}", format!("t = {t}")), th.cursor),
                Span::styled(format!("{:<11}", "RNN"), th.title),
                Span::styled("LSTM", th.title),
            ]),
            row(
                pick(ui, "‖∂ℓ/∂h_t‖", "|dl/dh_t|"),
                at(&r.rnn.grad_h, t),
                at(&r.lstm.grad_h, t),
            ),
            row(
                pick(ui, "‖∂ℓ/∂c_t‖", "|dl/dc_t|"),
                None,
                r.lstm.grad_c.as_deref().and_then(|g| at(g, t)),
            ),
            row(
                pick(ui, "max∏f", "max prod f"),
                None,
                r.lstm.forget_product.as_deref().and_then(|g| at(g, t)),
            ),
            row(
                pick(ui, "ρ^(T−t)", "rho^(T-t)"),
                r.rnn.linear_theory.as_deref().and_then(|g| at(g, t)),
                None,
            ),
            row("ratio 0/T", ratio(&r.rnn), ratio(&r.lstm)),
            row(
                pick(ui, "‖∇θ ℓ‖", "|grad|"),
                Some(r.rnn.param_grad_norm),
                Some(r.lstm.param_grad_norm),
            ),
            row(
                "clipped",
                Some(r.rnn.clipped_param_grad_norm),
                Some(r.lstm.clipped_param_grad_norm),
            ),
            Line::from(vec![
                Span::styled(format!("{:<w$}", "overflow"), th.hint),
                Span::styled(format!("{:<11}", overflow(&r.rnn)), th.bad),
                Span::styled(overflow(&r.lstm), th.bad),
            ]),
            Line::styled(clip, th.dim),
        ];
        if !r.rnn.warnings.is_empty() || !r.lstm.warnings.is_empty() {
            for w in r.rnn.warnings.iter().chain(&r.lstm.warnings) {
                out.push(Line::styled(w.clone(), th.warn));
            }
        }
        lines(inner, buf, &out);
    }

    fn render_notes(&self, area: Rect, buf: &mut Buffer, ui: &Ui, which: std::ops::Range<usize>) {
        let title = if which.len() == 1 {
            format!("Note {}/{} (v: next)", which.start + 1, NOTES.len())
        } else {
            "Notes".to_string()
        };
        let inner = panel(area, buf, ui, &title, false);
        if inner.width < 6 {
            return;
        }
        let mut out: Vec<Line> = Vec::new();
        for &(tag, unicode, ascii) in NOTES.get(which).unwrap_or_default() {
            let text = if ui.glyphs.unicode { unicode } else { ascii };
            for (i, l) in wrap(text, inner.width.saturating_sub(3) as usize)
                .into_iter()
                .enumerate()
            {
                let head = if i == 0 {
                    Span::styled(format!("{tag} "), ui.theme.key)
                } else {
                    Span::raw("   ")
                };
                out.push(Line::from(vec![head, Span::styled(l, ui.theme.base)]));
            }
        }
        lines(inner, buf, &out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tab() -> RnnTab {
        RnnTab::with_params(
            &Waker::headless(),
            Params {
                hidden: 8,
                steps: 20,
                ..Params::default()
            },
        )
    }

    #[test]
    fn animation_plays_backward_and_stops_at_zero() {
        let mut t = tab();
        assert_eq!(t.cursor(), 20);
        assert!(t.animating());
        let mut frames = 0;
        while t.tick() {
            frames += 1;
            assert!(frames <= ANIMATION_FRAMES);
        }
        assert_eq!(t.cursor(), 0);
        assert!(!t.animating() && !t.playing());
        // Space at the end starts again from t = T.
        t.act(Act::PlayPause);
        assert_eq!(t.cursor(), 20);
        assert!(t.playing());
        t.act(Act::PlayPause);
        assert!(!t.playing() && !t.animating());
        t.act(Act::Step);
        assert_eq!(t.cursor(), 19);
        t.act(Act::ToEnd);
        assert_eq!(t.cursor(), 0);
        t.act(Act::Restart);
        assert_eq!(t.cursor(), 20);
    }

    #[test]
    fn long_sequences_animate_in_bounded_frames() {
        let mut t = RnnTab::with_params(
            &Waker::headless(),
            Params {
                hidden: 4,
                steps: 2000,
                ..Params::default()
            },
        );
        let mut frames = 0;
        while t.tick() {
            frames += 1;
        }
        assert!(frames <= ANIMATION_FRAMES, "{frames}");
        assert_eq!(t.cursor(), 0);
    }

    #[test]
    fn controls_change_the_parameters_and_recompute() {
        let mut t = tab();
        assert_eq!(t.focus(), Control::Rho);
        t.act(Act::Increase);
        assert!((t.params().rho - 1.05).abs() < 1e-12);
        let r = t.result().expect("computed");
        assert!((r.params.rho - 1.05).abs() < 1e-12);
        assert!((r.spectral_radius - 1.05).abs() < 1e-9);
        assert_eq!(t.cursor(), 20, "a recompute restarts the animation");
        t.act(Act::FocusNext);
        assert_eq!(t.focus(), Control::Activation);
        t.act(Act::Increase);
        assert_eq!(t.params().activation, Activation::Relu);
        t.act(Act::FocusNext);
        t.act(Act::Decrease);
        assert_eq!(t.params().hidden, 4);
        t.act(Act::FocusNext);
        t.act(Act::Increase);
        assert_eq!(t.params().steps, 50);
        assert_eq!(t.result().expect("computed").rnn.grad_h.len(), 51);
        t.act(Act::FocusNext);
        t.act(Act::Decrease);
        assert_eq!(t.params().forget_bias, 0.5);
        t.act(Act::FocusNext);
        t.act(Act::Increase);
        assert_eq!(t.params().clip, Clip::Norm(1.0));
        t.act(Act::FocusNext);
        t.act(Act::Decrease);
        assert_eq!(t.params().clip, Clip::Norm(0.5));
        let r = t.result().expect("computed");
        let norm = r.rnn.param_grad_norm;
        let want = norm * (0.5 / (norm + 1e-6)).min(1.0);
        assert!((r.rnn.clipped_param_grad_norm - want).abs() < 1e-12);
        t.act(Act::FocusNext);
        t.act(Act::Increase);
        assert_eq!(t.params().input_scale, 1.25);
        t.act(Act::FocusNext);
        t.act(Act::Increase);
        assert_eq!(t.params().init, Init::Orthogonal);
        t.act(Act::FocusNext);
        t.act(Act::Increase);
        assert_eq!(t.params().seed, 1);
        t.act(Act::FocusNext);
        assert_eq!(t.focus(), Control::Rho, "focus wraps around");
        t.act(Act::FocusPrev);
        assert_eq!(t.focus(), Control::Seed);
    }

    #[test]
    fn controls_stop_at_their_ends() {
        let mut t = tab();
        for _ in 0..100 {
            t.act(Act::RhoUp);
        }
        assert_eq!(t.params().rho, RHO_MAX);
        for _ in 0..100 {
            t.act(Act::RhoDown);
        }
        assert_eq!(t.params().rho, 0.0);
        t.act(Act::RhoUpCoarse);
        assert_eq!(t.params().rho, 0.5);
        for _ in 0..10 {
            t.act(Act::RhoUpCoarse);
        }
        assert_eq!(t.params().rho, RHO_MAX);
        t.act(Act::RhoDownCoarse);
        assert_eq!(t.params().rho, 2.5);
        // (The top end, 512, is covered by `choices_step_from_the_nearest`: computing it is slow.)
        t.focus = Control::Hidden;
        for _ in 0..20 {
            t.act(Act::Decrease);
        }
        assert_eq!(t.params().hidden, 2);
        t.focus = Control::Seed;
        t.act(Act::Decrease);
        assert_eq!(t.params().seed, 0);
    }

    #[test]
    fn clipping_keeps_its_threshold_while_off() {
        let mut t = tab();
        t.focus = Control::ClipThreshold;
        t.act(Act::Increase);
        assert_eq!(t.params().clip, Clip::None);
        t.act(Act::NextClip);
        assert_eq!(t.params().clip, Clip::Norm(2.0));
        t.act(Act::NextClip);
        assert_eq!(t.params().clip, Clip::Value(2.0));
        t.act(Act::NextClip);
        assert_eq!(t.params().clip, Clip::None);
    }

    #[test]
    fn letter_keys_do_what_the_help_says() {
        let mut t = tab();
        t.act(Act::NextActivation);
        assert_eq!(t.params().activation, Activation::Relu);
        t.act(Act::ToggleInit);
        assert_eq!(t.params().init, Init::Orthogonal);
        t.act(Act::NextSeed);
        assert_eq!(t.params().seed, 1);
        assert_eq!(t.side_panel(), SidePanel::Eigenvalues);
        t.act(Act::SwitchPanel);
        assert_eq!(t.side_panel(), SidePanel::Readout);
        for i in 0..NOTES.len() {
            t.act(Act::SwitchPanel);
            assert_eq!(t.side_panel(), SidePanel::Note(i));
        }
        t.act(Act::SwitchPanel);
        assert_eq!(t.side_panel(), SidePanel::Eigenvalues);
        assert!(!t.show_steps);
        t.act(Act::ToggleStepSeries);
        assert!(t.show_steps);
    }

    #[test]
    fn curves_pin_overflow_and_mark_the_first_backward_step() {
        let values = [1.0, f64::NAN, f64::INFINITY, 5.0, 2.0];
        let c = Curve::new(&values, 0, 100.0);
        assert_eq!(c.points, vec![(0.0, 1.0), (3.0, 5.0), (4.0, 2.0)]);
        assert_eq!(c.overflow.map(|p| p.0), Some(2.0));
        assert_eq!(c.pinned, vec![(1.0, 100.0)]);
        assert_eq!(c.reached(3, true), vec![(3.0, 5.0), (4.0, 2.0)]);
        assert_eq!(c.overflow_reached(3), None);
        let all = c.reached(0, true);
        assert_eq!(all.len(), 5);
        assert!(all[2].1.is_infinite() && all[1] == (1.0, 100.0));
        assert_eq!(c.reached(0, false).len(), 4);
    }

    #[test]
    fn overflowing_run_renders_with_a_mark() {
        let t = RnnTab::with_params(
            &Waker::headless(),
            Params {
                rho: 3.0,
                steps: 2000,
                activation: Activation::Relu,
                ..Params::default()
            },
        );
        let mut t = t;
        t.settle();
        let area = Rect::new(0, 0, 160, 46);
        let mut buf = Buffer::empty(area);
        t.render(area, &mut buf, &Ui::standard());
        let text = crate::snapshot::buffer_text(&buf);
        assert!(text.contains("overflow from t = 1999"), "{text}");
    }

    #[test]
    fn wrap_keeps_words_whole() {
        assert_eq!(wrap("a bb ccc dddd", 6), vec!["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("", 5), Vec::<String>::new());
        assert_eq!(wrap("longword", 3), vec!["longword"]);
    }

    #[test]
    fn choices_step_from_the_nearest() {
        assert_eq!(choose(HIDDEN_CHOICES, 64, true), 128);
        assert_eq!(choose(HIDDEN_CHOICES, 64, false), 32);
        assert_eq!(choose(HIDDEN_CHOICES, 100, true), 128);
        assert_eq!(choose(HIDDEN_CHOICES, 100, false), 64);
        assert_eq!(choose(HIDDEN_CHOICES, 512, true), 512);
        assert_eq!(choose(HIDDEN_CHOICES, 2, false), 2);
        assert_eq!(choose_f64(CLIP_CHOICES, 1.0, true), 2.0);
        assert_eq!(choose_f64(CLIP_CHOICES, 0.3, false), 0.2);
    }

    #[test]
    fn render_is_total() {
        let t = tab();
        for (w, h) in [
            (0, 0),
            (1, 1),
            (2, 50),
            (4, 3),
            (30, 8),
            (64, 18),
            (80, 22),
            (300, 100),
        ] {
            let area = Rect::new(0, 0, w, h);
            let mut buf = Buffer::empty(area);
            for ui in [
                Ui::standard(),
                Ui::new(crate::theme::ColorDepth::None, false),
            ] {
                t.render(area, &mut buf, &ui);
            }
        }
    }

    #[test]
    fn clicks_focus_controls() {
        let mut t = tab();
        let area = Rect::new(0, 0, 80, 22);
        let mut buf = Buffer::empty(area);
        t.render(area, &mut buf, &Ui::standard());
        let (grid, per_column, _) = t.hits.get().controls;
        assert!(t.click(grid.x + grid.width / 2 + 1, grid.y + 1));
        assert_eq!(
            t.focus(),
            Control::from_repr(per_column + 1).expect("control")
        );
    }
}
