//! The Scale-invariance tab: Problem 3 on the plane. The descent is drawn over the level sets
//! of f (wedges, since f only sees the direction), with the unit circle carrying the direction
//! u_k; charts follow ‖x_k‖, the effective step and the first-order gap over k, a log–log panel
//! shows the one-step gap against η, and a weight-decay run sits beside the plain one. The tab
//! holds view state and model results only; every number comes from [`super::model::explore`].

mod notes;
mod render;
#[cfg(test)]
mod tests;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::model::{
    DecayRegime, Exploration, Function, MAX_STEPS, Params, Run, ScaleError, decay_regime,
    default_start, explore, robust_norm,
};
use crate::controls::{Cycle, Ladder, Playback};
use crate::jobs::{Waker, Worker};
use crate::keymap::{Binding, Key};
use crate::tab::Tab;
use crate::theme::Ui;

/// Step sizes offered for η.
const LR_LADDER: Ladder<f64> = Ladder(&[0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]);
/// Scales offered for the λ of Problem 3a.
const LAMBDA_LADDER: Ladder<f64> = Ladder(&[
    0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0,
]);
/// Weight decays offered (0 first); the tab keeps η·λ_wd below 1.
const DECAY_LADDER: Ladder<f64> = Ladder(&[0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0]);
/// Gradient noise σ offered (0 first).
const NOISE_LADDER: Ladder<f64> = Ladder(&[0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]);
/// Run lengths offered.
const STEPS_LADDER: Ladder<usize> = Ladder(&[50, 100, 200, 500, 1000, 2000]);
/// How far one key press turns the start point, in degrees.
const ANGLE_STEP_DEG: f64 = 5.0;
/// How much one key press scales the start norm.
const NORM_FACTOR: f64 = 1.25;
/// Range of the start norm.
const NORM_RANGE: (f64, f64) = (0.05, 20.0);
/// The tab opens with this weight decay, so the comparison shows at once.
const DEFAULT_DECAY: f64 = 0.5;
/// Below this size the tab shows one view at a time.
const WIDE: (u16, u16) = (120, 34);
/// How far the notes can be scrolled (more than any note has lines).
const NOTE_SCROLL_MAX: u16 = 40;

/// The adjustable controls, in the order of the controls panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Function,
    Lr,
    Lambda,
    StartAngle,
    StartNorm,
    WeightDecay,
    Noise,
    Steps,
}

impl Cycle for Control {
    const ALL: &'static [Self] = &[
        Control::Function,
        Control::Lr,
        Control::Lambda,
        Control::StartAngle,
        Control::StartNorm,
        Control::WeightDecay,
        Control::Noise,
        Control::Steps,
    ];
}

impl Control {
    fn label(self) -> &'static str {
        match self {
            Control::Function => "function",
            Control::Lr => "step η",
            Control::Lambda => "scale λ",
            Control::StartAngle => "start angle",
            Control::StartNorm => "start ‖x₀‖",
            Control::WeightDecay => "weight decay",
            Control::Noise => "noise σ",
            Control::Steps => "steps",
        }
    }
}

/// What the small layout shows above the controls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Plane,
    Charts,
}

impl Cycle for View {
    const ALL: &'static [Self] = &[View::Plane, View::Charts];
}

/// Which run the plane and the per-step readout follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaneRun {
    WithoutDecay,
    WithDecay,
}

impl Cycle for PlaneRun {
    const ALL: &'static [Self] = &[PlaneRun::WithoutDecay, PlaneRun::WithDecay];
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
    Slower,
    Faster,
    Rewind,
    NextFunction,
    RotateLeft,
    RotateRight,
    NormDown,
    NormUp,
    ToggleDecayRun,
    ToggleView,
    NewSeed,
    First,
    Last,
    NotesUp,
    NotesDown,
}

// Conventions: filled in as the tab moves to the shared components.
impl crate::keymap::Action for Act {}

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
        keys: &[Key::ch('<')],
        action: Act::Slower,
        help: "slower animation (down to x1/8)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('>')],
        action: Act::Faster,
        help: "faster animation (up to x8)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('r')],
        action: Act::Rewind,
        help: "rewind: back to step 0 and play again",
        hint: None,
    },
    Binding {
        keys: &[Key::code(crossterm::event::KeyCode::Home)],
        action: Act::First,
        help: "pause at step 0",
        hint: None,
    },
    Binding {
        keys: &[Key::code(crossterm::event::KeyCode::End)],
        action: Act::Last,
        help: "pause at the last step",
        hint: None,
    },
    Binding {
        keys: &[Key::code(crossterm::event::KeyCode::PageUp)],
        action: Act::NotesUp,
        help: "scroll the notes up",
        hint: None,
    },
    Binding {
        keys: &[Key::code(crossterm::event::KeyCode::PageDown)],
        action: Act::NotesDown,
        help: "scroll the notes down",
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
        keys: &[Key::ch('n')],
        action: Act::NewSeed,
        help: "next seed: a new draw of the noise (and of the logistic data)",
        hint: None,
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
    /// (k, effective step at x_k).
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
    /// What weight decay did in the run with decay.
    regime: Option<DecayRegime>,
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
        let regime = decay_regime(&exploration.with_decay, exploration.profile.as_ref());
        Prepared {
            regime,
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
    noise: f64,
    seed: u64,
    steps: usize,
    focus: Control,
    view: View,
    plane_run: PlaneRun,
    worker: Worker<Params, Result<Exploration, ScaleError>>,
    shown: Option<Prepared>,
    error: Option<String>,
    /// The descent animation: frame k shows x_0 … x_k.
    playback: Playback,
    /// How many rows the notes are scrolled down (PgDn / PgUp).
    note_scroll: u16,
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
            noise: defaults.noise,
            seed: defaults.seed,
            steps: defaults.steps,
            focus: Control::Function,
            view: View::Plane,
            plane_run: PlaneRun::WithoutDecay,
            worker: Worker::new(waker, |p: Params| explore(&p)),
            shown: None,
            error: None,
            playback: Playback::new(1),
            note_scroll: 0,
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
            noise: self.noise,
            seed: self.seed,
        }
    }

    /// The selected control.
    pub fn focus(&self) -> Control {
        self.focus
    }

    /// The current animation frame (iterate index k).
    pub fn frame(&self) -> usize {
        self.playback.position()
    }

    /// True while the descent plays.
    pub fn playing(&self) -> bool {
        self.playback.playing()
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
                .0
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
                self.lr = LR_LADDER.step(self.lr, up);
                self.fit_decay();
            }
            Control::Lambda => self.lambda = LAMBDA_LADDER.step(self.lambda, up),
            Control::StartAngle => self.rotate(if up { ANGLE_STEP_DEG } else { -ANGLE_STEP_DEG }),
            Control::StartNorm => self.scale_norm(if up { NORM_FACTOR } else { 1.0 / NORM_FACTOR }),
            Control::WeightDecay => {
                let next = DECAY_LADDER.step(self.weight_decay, up);
                if self.lr * next < 1.0 {
                    self.weight_decay = next;
                }
            }
            Control::Noise => self.noise = NOISE_LADDER.step(self.noise, up),
            Control::Steps => self.steps = STEPS_LADDER.step(self.steps, up),
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
        match act {
            Act::PrevControl => self.focus = self.focus.prev(),
            Act::NextControl => self.focus = self.focus.next(),
            Act::Decrease => return self.adjust(false),
            Act::Increase => return self.adjust(true),
            Act::PlayPause => self.playback.toggle(),
            Act::StepForward => self.playback.step(true),
            Act::StepBack => self.playback.step(false),
            Act::Slower => return self.playback.change_speed(false),
            Act::Faster => return self.playback.change_speed(true),
            Act::Rewind => self.playback.restart(),
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
                self.plane_run = self.plane_run.next();
                // The other run may be shorter (one that ran away).
                let k = self.frame();
                let playing = self.playback.playing();
                self.playback = Playback::new(self.last_frame() + 1);
                self.playback.seek(k);
                if playing {
                    self.playback.toggle();
                }
            }
            Act::ToggleView => self.view = self.view.next(),
            Act::First => self.playback.seek(0),
            Act::Last => self.playback.finish(),
            Act::NotesUp => self.note_scroll = self.note_scroll.saturating_sub(1),
            Act::NotesDown => self.note_scroll = (self.note_scroll + 1).min(NOTE_SCROLL_MAX),
            Act::NewSeed => {
                let before = self.params();
                self.seed = self.seed.wrapping_add(1);
                return self.changed(before);
            }
        }
        true
    }

    fn animating(&self) -> bool {
        self.shown.is_some() && self.playback.playing()
    }

    fn tick(&mut self) -> bool {
        self.playback.tick()
    }

    fn poll(&mut self) -> bool {
        let Some(result) = self.worker.take() else {
            return false;
        };
        match result {
            Ok(Ok(exploration)) => {
                self.shown = Some(Prepared::new(exploration));
                self.error = None;
                self.playback.restart_with(self.last_frame() + 1);
            }
            Ok(Err(e)) => self.error = Some(e.to_string()),
            Err(e) => self.error = Some(e.to_string()),
        }
        true
    }

    fn busy(&self) -> bool {
        self.worker.busy()
    }

    fn settle(&mut self) {
        self.poll();
        // A playing animation jumps to its end; a frame the user paused on stays.
        if self.playback.playing() {
            self.playback.finish();
        }
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        render::render(self, area, buf, ui);
    }
}
