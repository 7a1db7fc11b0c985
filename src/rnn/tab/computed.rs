//! What the tab's worker computes for the screen: both runs on the same draws, their curves
//! on shared axes, and the spectral radius. A new draw reports its eigenproblems as progress.

use std::sync::Mutex;

use crate::components::worker::Progress;
use crate::jobs::{Cancel, Waker};
use crate::rnn::model::{self, BaseDraw, CellKind, DrawKey, Params, Run};

/// One curve ready for the chart: (t, value) for every t it has, non-finite values kept (the
/// chart pins them to its top edge and marks where the overflow begins).
#[derive(Clone, Debug, Default)]
pub struct Curve {
    pub points: Vec<(f64, f64)>,
}

impl Curve {
    /// Points (t, values[t]) for t ≥ `first_t`.
    pub(super) fn new(values: &[f64], first_t: usize) -> Curve {
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
    pub(super) fn reached(&self, cursor: usize) -> &[(f64, f64)] {
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
    pub(super) fn new(rnn: &Run, lstm: &Run) -> Curves {
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

/// The worker's computation: both runs from the base draw of the last request's key, kept
/// between requests, so a change of ρ, T, φ, input scale, forget bias or clipping solves no
/// eigenproblem again. A new draw reports its solves to `progress` ("eigenvalues k of n") and
/// stops between them (with `None`) once stale.
pub(super) fn compute_worker(
    waker: &Waker,
    progress: Progress,
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
            progress.set(format!("eigenvalues {k} of {n}"));
            waker.wake();
            !cancel.is_cancelled()
        });
        progress.clear();
        finished.then(|| Computed::from_base(base, params))
    }
}
