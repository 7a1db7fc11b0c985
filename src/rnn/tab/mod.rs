//! The "RNN vs LSTM" tab: the same sequence back-propagated through an RNN and an LSTM, the
//! gradient norms drawn on shared log axes while the backward pass plays from t = T to 0,
//! the recurrent matrix's eigenvalues against the unit circle, and the controls.
//!
//! The tab holds view state (focused control, playback, side panel, scroll) and the results
//! of `model::run`; every number it shows comes from there. `render` draws, `notes` words.

mod notes;
mod render;

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crossterm::event::KeyCode;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::model::{self, BaseDraw, CellKind, Clip, DrawKey, Params, Run};
use crate::controls::{Cycle, Ladder, Playback};
use crate::jobs::{Cancel, JobError, Waker, Worker};
use crate::keymap::{Binding, Key};
use crate::numfmt;
use crate::tab::Tab;
use crate::theme::Ui;
use crate::widgets::slider::{linear_position, log_position};

pub use notes::NOTE_COUNT;

/// What the tab's keys do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    PlayPause,
    StepForward,
    StepBack,
    Slower,
    Faster,
    Rewind,
    ToEnd,
    Reset,
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
    ScrollUp,
    ScrollDown,
}

// Conventions: filled in as the tab moves to the shared components.
impl crate::keymap::Action for Act {}

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
        action: Act::StepForward,
        help: "pause and step the backward pass one t towards t = 0",
        hint: None,
    },
    Binding {
        keys: &[Key::ch(',')],
        action: Act::StepBack,
        help: "pause and step the backward pass one t back towards t = T",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('<')],
        action: Act::Slower,
        help: "play the backward pass slower (down to 1/8 of the normal pace)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('>')],
        action: Act::Faster,
        help: "play the backward pass faster (up to 8 times the normal pace)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('r'), Key::code(KeyCode::Home)],
        action: Act::Rewind,
        help: "rewind: play the backward pass again from t = T",
        hint: Some("rewind"),
    },
    Binding {
        keys: &[Key::code(KeyCode::End)],
        action: Act::ToEnd,
        help: "jump to the end of the backward pass (t = 0)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('R')],
        action: Act::Reset,
        help: "reset every control to its default",
        hint: None,
    },
    Binding {
        keys: &[Key::code(KeyCode::Up), Key::ch('k')],
        action: Act::FocusPrev,
        help: "choose the previous control",
        hint: None,
    },
    Binding {
        keys: &[Key::code(KeyCode::Down), Key::ch('j')],
        action: Act::FocusNext,
        help: "choose the next control",
        hint: None,
    },
    Binding {
        keys: &[Key::code(KeyCode::Left), Key::ch('h')],
        action: Act::Decrease,
        help: "lower the chosen control (or the previous choice) and recompute",
        hint: Some("less"),
    },
    Binding {
        keys: &[Key::code(KeyCode::Right), Key::ch('l')],
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
        keys: &[Key::code(KeyCode::PageDown)],
        action: Act::RhoDownCoarse,
        help: "spectral radius rho down by 0.5",
        hint: None,
    },
    Binding {
        keys: &[Key::code(KeyCode::PageUp)],
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
        help: "gradient clipping: none, by norm, by value (shows the readout)",
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
        help: "show or hide each step's term of the gradient of W_hh",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('v')],
        action: Act::SwitchPanel,
        help: "switch the side panel: eigenvalues, readout, notes 6a-6d (small screens)",
        hint: Some("panel"),
    },
    Binding {
        keys: &[Key::ch('[')],
        action: Act::ScrollUp,
        help: "scroll the notes (or the readout) up",
        hint: None,
    },
    Binding {
        keys: &[Key::ch(']')],
        action: Act::ScrollDown,
        help: "scroll the notes (or the readout) down",
        hint: None,
    },
];

/// The controls, in the order they are listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

impl Cycle for Control {
    const ALL: &'static [Self] = &[
        Control::Rho,
        Control::Activation,
        Control::Hidden,
        Control::Steps,
        Control::ForgetBias,
        Control::Clip,
        Control::ClipThreshold,
        Control::InputScale,
        Control::Init,
        Control::Seed,
    ];
}

impl Control {
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
}

/// Range of ρ on the slider (the model accepts up to `model::MAX_RHO`).
const RHO_MAX: f64 = 3.0;
const RHO_STEP: f64 = 0.05;
const HIDDEN: Ladder<usize> = Ladder(&[2, 4, 8, 16, 32, 64, 128, 256, 512]);
const STEPS: Ladder<usize> = Ladder(&[10, 20, 50, 100, 200, 500, 1000, 2000]);
const CLIP_THRESHOLDS: Ladder<f64> = Ladder(&[
    0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0,
]);
const FORGET_BIAS_RANGE: (f64, f64) = (-4.0, 6.0);
const FORGET_BIAS_STEP: f64 = 0.5;
const INPUT_SCALE_RANGE: (f64, f64) = (0.0, 4.0);
const INPUT_SCALE_STEP: f64 = 0.25;

/// What the side panel shows when there is room for only one of them (small screens).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SidePanel {
    Eigenvalues,
    Readout,
    /// One note at a time: index into the notes (6a … 6d).
    Note(usize),
}

impl SidePanel {
    fn next(self) -> Self {
        match self {
            SidePanel::Eigenvalues => SidePanel::Readout,
            SidePanel::Readout => SidePanel::Note(0),
            SidePanel::Note(i) if i + 1 < NOTE_COUNT => SidePanel::Note(i + 1),
            SidePanel::Note(_) => SidePanel::Eigenvalues,
        }
    }
}

/// One curve ready for the chart: (t, value) for every t it has, non-finite values kept (the
/// chart pins them to its top edge and marks where the overflow begins).
#[derive(Clone, Debug, Default)]
pub struct Curve {
    pub points: Vec<(f64, f64)>,
}

impl Curve {
    /// Points (t, values[t]) for t ≥ `first_t`.
    fn new(values: &[f64], first_t: usize) -> Curve {
        Curve {
            points: values
                .iter()
                .enumerate()
                .skip(first_t)
                .map(|(t, &v)| (t as f64, v))
                .collect(),
        }
    }

    /// The part the backward pass has reached (t ≥ `cursor`).
    fn reached(&self, cursor: usize) -> &[(f64, f64)] {
        let from = self.points.partition_point(|p| p.0 < cursor as f64);
        &self.points[from..]
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
        let grad_c = lstm.bptt.grad_c.as_deref().unwrap_or(empty);
        let forget = lstm.bptt.forget_product.as_deref().unwrap_or(empty);
        // The gradient norms set the shared range. The forget product is left out: it can
        // fall hundreds of decades and would flatten every other curve; below the range it
        // runs along the bottom edge (the readout has its value).
        let y_range = decade_range(
            rnn.bptt
                .grad_h
                .iter()
                .chain(&rnn.bptt.grad_w_step)
                .chain(theory_values)
                .chain(&lstm.bptt.grad_h)
                .chain(&lstm.bptt.grad_w_step)
                .chain(grad_c),
        );
        // grad_w_step[t − 1] belongs to step t; there is no step 0.
        let steps_of =
            |w: &[f64]| -> Vec<f64> { std::iter::once(0.0).chain(w.iter().copied()).collect() };
        // The theory line is a reference: values beyond f64 are simply left out.
        let theory = Curve {
            points: Curve::new(theory_values, 0)
                .points
                .into_iter()
                .filter(|p| p.1.is_finite())
                .collect(),
        };
        Curves {
            rnn_h: Curve::new(&rnn.bptt.grad_h, 0),
            rnn_step: Curve::new(&steps_of(&rnn.bptt.grad_w_step), 1),
            theory,
            lstm_h: Curve::new(&lstm.bptt.grad_h, 0),
            lstm_c: Curve::new(grad_c, 0),
            lstm_step: Curve::new(&steps_of(&lstm.bptt.grad_w_step), 1),
            forget: Curve::new(forget, 0),
            y_range,
        }
    }
}

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
        Computed::from_base(&mut BaseDraw::new(&params), params)
    }

    /// `new` on the draws `base` gives (see `model::run_from`): the same result, without
    /// solving again the eigenvalues `base` holds.
    pub fn from_base(base: &mut BaseDraw, params: Params) -> Computed {
        let rnn = model::run_from(
            base,
            &Params {
                cell: CellKind::Rnn,
                ..params
            },
        );
        let lstm = model::run_from(
            base,
            &Params {
                cell: CellKind::Lstm,
                ..params
            },
        );
        let curves = Curves::new(&rnn, &lstm);
        let spectral_radius = model::spectral_radius(&rnn.draws.eigenvalues);
        Computed {
            params: rnn.params,
            rnn,
            lstm,
            curves,
            spectral_radius,
        }
    }
}

/// Which eigenproblem of a new draw the worker is solving, k of n, packed as k·2³² + n
/// (0 while none is), so the tab bar can say how far it is.
#[derive(Clone, Default)]
struct EigenProgress(Arc<AtomicU64>);

impl EigenProgress {
    fn set(&self, k: usize, n: usize) {
        self.0.store(
            ((k as u64) << 32) | (n as u64 & 0xffff_ffff),
            Ordering::Relaxed,
        );
    }

    /// (k, n) while the k-th of n eigenproblems is being solved.
    fn get(&self) -> Option<(u64, u64)> {
        let packed = self.0.load(Ordering::Relaxed);
        (packed != 0).then_some((packed >> 32, packed & 0xffff_ffff))
    }
}

/// The worker's computation: both runs from the base draw of the last request's key, kept
/// between requests, so a change of ρ, T, φ, input scale, forget bias or clipping solves no
/// eigenproblem again. A new draw reports its solves to `progress` and stops between them
/// (with `None`) once stale.
fn compute_worker(
    waker: &Waker,
    progress: EigenProgress,
) -> impl Fn(Params, &Cancel) -> Option<Computed> + Send + Sync + 'static {
    let waker = waker.clone();
    let cache: Mutex<Option<BaseDraw>> = Mutex::new(None);
    move |params: Params, cancel: &Cancel| {
        let mut slot = match cache.lock() {
            Ok(slot) => slot,
            Err(poisoned) => {
                // A panic mid-draw may have left blocks half made: start that draw afresh.
                cache.clear_poison();
                let mut slot = poisoned.into_inner();
                *slot = None;
                slot
            }
        };
        let key = DrawKey::of(&params);
        if slot.as_ref().is_none_or(|base| base.key() != key) {
            *slot = Some(BaseDraw::new(&params));
        }
        let base = slot.as_mut()?;
        // The LSTM uses all four blocks, the RNN's among them.
        let finished = base.prepare(CellKind::Lstm, |k, n| {
            progress.set(k, n);
            waker.wake();
            !cancel.is_cancelled()
        });
        progress.set(0, 0);
        finished.then(|| Computed::from_base(base, params))
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
    /// First row shown of the side panel's text (notes, readout), clamped when drawn.
    scroll: u16,
    show_steps: bool,
    worker: Worker<Params, Option<Computed>>,
    /// How far the worker is with the eigenvalues of a new draw.
    progress: EigenProgress,
    result: Option<Computed>,
    /// Why the last computation gave no result (a panic in the worker), shown in the charts.
    error: Option<String>,
    /// The backward pass: position t, from T down to 0.
    playback: Playback,
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
        let progress = EigenProgress::default();
        let mut tab = RnnTab {
            params,
            clip_threshold: params.clip.threshold().unwrap_or(1.0),
            focus: Control::Rho,
            side: SidePanel::Eigenvalues,
            scroll: 0,
            show_steps: false,
            worker: Worker::cancellable(waker, compute_worker(waker, progress.clone())),
            progress,
            result: None,
            error: None,
            playback: Playback::reversed(params.steps + 1),
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

    /// The backward pass has reached t = cursor (it starts at T and ends at 0).
    pub fn cursor(&self) -> usize {
        self.playback.position()
    }

    pub fn playing(&self) -> bool {
        self.playback.playing()
    }

    /// The playback speed as a multiple of the normal pace.
    pub fn speed(&self) -> f64 {
        self.playback.speed()
    }

    pub fn side_panel(&self) -> SidePanel {
        self.side
    }

    pub fn result(&self) -> Option<&Computed> {
        self.result.as_ref()
    }

    /// The error of the last computation, if it failed.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    fn take_result(&mut self, result: Result<Option<Computed>, JobError>) {
        match result {
            // Only a stale request stops early, and take() never returns a stale result.
            Ok(None) => {}
            Ok(Some(result)) => {
                self.playback.restart_with(result.params.steps + 1);
                self.result = Some(result);
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
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
            Control::Hidden => p.hidden = HIDDEN.step(p.hidden, up),
            Control::Steps => p.steps = STEPS.step(p.steps, up),
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
                self.clip_threshold = CLIP_THRESHOLDS.step(self.clip_threshold, up);
                p.clip = p.clip.with_threshold(self.clip_threshold);
            }
            Control::InputScale => {
                p.input_scale = notch(p.input_scale, INPUT_SCALE_STEP, INPUT_SCALE_RANGE)
            }
            Control::Init => p.init = if up { p.init.next() } else { p.init.prev() },
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
        fn index<T: Cycle>(v: T) -> f64 {
            v.index() as f64 / (T::ALL.len().max(2) - 1) as f64
        }
        match c {
            Control::Rho => linear_position(p.rho, 0.0, RHO_MAX),
            Control::Activation => index(p.activation),
            Control::Hidden => log_position(p.hidden as f64, 2.0, 512.0),
            Control::Steps => log_position(p.steps as f64, 10.0, 2000.0),
            Control::ForgetBias => {
                linear_position(p.forget_bias, FORGET_BIAS_RANGE.0, FORGET_BIAS_RANGE.1)
            }
            Control::Clip => match p.clip {
                Clip::None => 0.0,
                Clip::Norm(_) => 0.5,
                Clip::Value(_) => 1.0,
            },
            Control::ClipThreshold => log_position(self.clip_threshold, 0.01, 100.0),
            Control::InputScale => {
                linear_position(p.input_scale, INPUT_SCALE_RANGE.0, INPUT_SCALE_RANGE.1)
            }
            Control::Init => index(p.init),
            Control::Seed => 0.0,
        }
    }
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
                self.playback.toggle();
                true
            }
            Act::StepForward | Act::StepBack => {
                let before = self.playback.clone();
                self.playback.step(act == Act::StepForward);
                self.playback != before
            }
            Act::Slower | Act::Faster => self.playback.change_speed(act == Act::Faster),
            Act::Rewind => {
                self.playback.restart();
                true
            }
            Act::ToEnd => {
                self.playback.finish();
                true
            }
            Act::Reset => {
                self.clip_threshold = 1.0;
                self.focus = Control::Rho;
                self.set_and_recompute(|p| *p = Params::default())
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
                // The readout holds the clipped norms: show it where only one panel fits.
                if self.side == SidePanel::Eigenvalues {
                    self.side = SidePanel::Readout;
                    self.scroll = 0;
                }
                self.set_and_recompute(|p| p.clip = p.clip.next(c))
            }
            Act::NextSeed => self.set_and_recompute(|p| p.seed = p.seed.wrapping_add(1)),
            Act::ToggleStepSeries => {
                self.show_steps = !self.show_steps;
                true
            }
            Act::SwitchPanel => {
                self.side = self.side.next();
                self.scroll = 0;
                true
            }
            Act::ScrollUp => {
                let before = self.scroll;
                self.scroll = self.scroll.saturating_sub(1);
                self.scroll != before
            }
            Act::ScrollDown => {
                // Clamped to the text when drawn.
                self.scroll = self.scroll.saturating_add(1);
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
                && let Some(&control) = Control::ALL.get(c * per_column + r)
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
        self.playback.playing() && self.result.is_some()
    }

    fn tick(&mut self) -> bool {
        self.result.is_some() && self.playback.tick()
    }

    fn poll(&mut self) -> bool {
        match self.worker.take() {
            Some(result) => {
                self.take_result(result);
                true
            }
            None => false,
        }
    }

    fn busy(&self) -> bool {
        self.worker.busy()
    }

    fn busy_label(&self) -> Option<String> {
        if !self.worker.busy() {
            return None;
        }
        Some(match self.progress.get() {
            Some((k, n)) => format!("eigenvalues {k} of {n}"),
            None => "forward and backward pass".to_string(),
        })
    }

    fn settle(&mut self) {
        // wait() would block on a result poll() has already taken, so only while busy.
        if self.worker.busy() {
            if let Some(result) = self.worker.wait() {
                self.take_result(result);
            }
        } else {
            self.poll();
        }
        self.playback.finish();
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        self.draw(area, buf, ui);
    }
}

#[cfg(test)]
mod tests;
