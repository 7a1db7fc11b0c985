//! The tab's prose, in our own words. Each sentence states only what the computation beside it
//! shows; the sentences about a run are built from that run's numbers, and the tests in
//! `tests.rs` recompute every number they state.

use crate::numfmt;
use crate::scale::model::{AT_MINIMUM, Band, DecayRegime, NormStory, Run, Runaway};

/// Which test guards which sentence (sentence start → test). The sweep
/// `claims::every_scale_sentence_holds_where_it_is_shown` goes over every function × weight
/// decay {0, 0.1, 0.5, 2} × noise {0, 0.1} × step η {0.02, 0.1, 0.5} × start {default, near a
/// minimum, small} for 40 steps, runs each without decay and without noise beside it, and checks
/// every sentence shown against those runs.
#[cfg_attr(not(test), allow(dead_code))]
pub const GUARDS: &[(&str, &str)] = &[
    (
        "Each step −η∇f is at right angles to x",
        "claims::every_scale_sentence_holds_where_it_is_shown",
    ),
    (
        "With decay each step also pulls x toward 0",
        "claims::every_scale_sentence_holds_where_it_is_shown",
    ),
    (
        "The noise has a part along x",
        "claims::every_scale_sentence_holds_where_it_is_shown",
    ),
    (
        "Scaling x by λ divides the gradient by λ",
        "claims::every_scale_sentence_holds_where_it_is_shown",
    ),
    (
        "plain …; decay … (under the ‖x_k‖ chart)",
        "claims::every_scale_sentence_holds_where_it_is_shown",
    ),
    (
        "Without decay each step adds η²‖∇f‖²",
        "claims::every_scale_sentence_holds_where_it_is_shown",
    ),
    (
        "Without decay ‖x‖ went from",
        "claims::every_scale_sentence_holds_where_it_is_shown",
    ),
    (
        "With decay 0 both runs are the same",
        "claims::every_scale_sentence_holds_where_it_is_shown",
    ),
    (
        "With decay the run stopped at step",
        "claims::every_scale_sentence_holds_where_it_is_shown",
    ),
    (
        "With decay u sits at the minimum / ‖x‖ shrinks by 1 − ηλ",
        "claims::every_scale_sentence_holds_where_it_is_shown",
    ),
    (
        "With decay ‖x‖ shrank until the effective step passed",
        "claims::every_scale_sentence_holds_where_it_is_shown",
    ),
    (
        "With decay ‖x‖ settled where decay balances",
        "claims::every_scale_sentence_holds_where_it_is_shown",
    ),
    (
        "With decay ‖x‖ has not settled",
        "claims::every_scale_sentence_holds_where_it_is_shown",
    ),
    (
        "(decay pulls x toward 0 too / noise moves x too)",
        "claims::every_scale_sentence_holds_where_it_is_shown",
    ),
];

/// The plane's opening sentence (the wedges are f's level sets: it sees only the direction).
const WEDGES: &str = "f only sees the direction, so its level sets are wedges from 0.";

/// Beside the plane: what moved ‖x‖ in the run the plane follows, from that run's facts.
pub fn plane(run: &Run) -> String {
    let story = run.norm_story();
    let went = format!("here ‖x‖ went from {} to {}", n(story.first), n(story.last));
    let shrinking = if story.shrank == 0 {
        format!("{went} and no step shrank it{}.", beyond(&story))
    } else {
        format!(
            "{went}, shrinking in {} of {} steps.",
            story.shrank, story.steps
        )
    };
    if run.noise > 0.0 {
        let decay = if run.weight_decay > 0.0 {
            " and decay pulls x toward 0 by ηλx"
        } else {
            ""
        };
        return format!(
            "{WEDGES} The noise has a part along x, so a step can shrink ‖x‖{decay}: {shrinking}"
        );
    }
    if run.weight_decay > 0.0 {
        return format!(
            "{WEDGES} With decay each step also pulls x toward 0 by ηλx, so ‖x‖ can shrink: \
             {shrinking}"
        );
    }
    let verb = if story.only_grew() {
        "‖x‖ grows at every step".to_string()
    } else if story.shrank == 0 {
        format!("‖x‖ never shrinks{}", beyond(&story))
    } else {
        "‖x‖ should not shrink, yet it did".to_string()
    };
    format!(
        "{WEDGES} Each step −η∇f is at right angles to x, so {verb} ({} to {}) while the \
         direction u_k = x_k/‖x_k‖ moves on the unit circle (f from {} to {}).",
        n(story.first),
        n(story.last),
        n(story.loss_first),
        n(story.loss_last),
    )
}

/// " beyond rounding" where some steps changed ‖x‖ by rounding only.
fn beyond(story: &NormStory) -> &'static str {
    if story.flat() > 0 {
        " beyond rounding"
    } else {
        ""
    }
}

/// Beside the check of Problem 3a.
pub const SCALING: &str =
    "Scaling x by λ divides the gradient by λ, and the gradient is always perpendicular to x.";

/// One line under the ‖x_k‖ chart: what each run's norm did.
pub fn norm_chart(plain: &Run, decay: &Run) -> String {
    let verb = |r: &Run| {
        let s = r.norm_story();
        // "holds": a step that changed ‖x‖ by rounding only.
        if s.steps == 0 || s.stayed() {
            "holds"
        } else if s.only_grew() {
            "only grows"
        } else if s.only_shrank() {
            "only shrinks"
        } else if s.shrank == 0 {
            "grows or holds"
        } else if s.grew == 0 {
            "shrinks or holds"
        } else {
            "up and down"
        }
    };
    if decay.weight_decay == 0.0 {
        return format!("plain {} (decay 0: the same run)", verb(plain));
    }
    format!("plain {}; decay {}", verb(plain), verb(decay))
}
/// One line under the effective-step chart.
pub const EFFECTIVE_CHART: &str = "η/((1−ηλ)‖x_k‖²), the step u feels";
/// One line under the first-order gap chart.
pub const GAP_CHART: &str = "new direction vs its first-order model";
/// One line under the η sweep.
pub const SWEEP_CHART: &str = "one step from x₀; slope 2 means O(η²)";

/// A number as the notes write it.
pub fn n(v: f64) -> String {
    numfmt::general(v, 3)
}

/// What the plain run shows: without noise the norm grows by η²‖∇f‖² each step and the
/// effective step shrinks; with noise, what the steps added against that.
pub fn plain(run: &Run) -> String {
    let story = run.norm_story();
    if run.noise > 0.0 {
        let shrank = if story.shrank == 0 {
            format!("no step shrank ‖x‖{}", beyond(&story))
        } else {
            format!("{} of {} steps shrank ‖x‖", story.shrank, story.steps)
        };
        return format!(
            "Without decay ‖x‖ went from {} to {} and the step felt on the circle from {} to {}. \
             With noise {shrank}; on average a step added {} to ‖x‖², against \
             η²(‖∇f‖² + dσ²) = {} averaged over the same steps.",
            n(story.first),
            n(story.last),
            n(story.effective_first),
            n(story.effective_last),
            n(story.mean_increment),
            n(story.mean_expected_increment),
        );
    }
    let (norm, step) = if story.only_grew() {
        ("only grows", "only shrinks")
    } else {
        ("never shrinks", "never grows")
    };
    format!(
        "Without decay each step adds η²‖∇f‖² to ‖x‖², so the norm {norm}{} ({} to {}) and \
         the step felt on the circle {step} ({} to {}).",
        beyond(&story),
        n(story.first),
        n(story.last),
        n(story.effective_first),
        n(story.effective_last),
    )
}

/// What the run with decay shows, from its regime.
pub fn decay(regime: &DecayRegime) -> String {
    match *regime {
        DecayRegime::NoDecay => "With decay 0 both runs are the same.".to_string(),
        DecayRegime::RanAway {
            runaway,
            norm_start,
            norm_end,
        } => ran_away(runaway, norm_start, norm_end),
        DecayRegime::Shrinking {
            band,
            rate,
            effective_end,
            distance_end,
            limit,
        } => shrinking(&band, rate, effective_end, distance_end, limit),
        DecayRegime::Unstable {
            band,
            crossed_at,
            distance_at_crossing,
            departure_max,
            shrank_before,
            limit,
        } => unstable(
            &band,
            crossed_at,
            (distance_at_crossing, departure_max),
            shrank_before,
            limit,
        ),
        DecayRegime::Settled { band, limit } => settled(&band, limit),
        DecayRegime::Unsettled { band } => format!(
            "With decay ‖x‖ has not settled at the balance of decay, gradient and noise ({}): \
             over steps {}–{} its RMS is {} and its mean moved by {} from the window's first \
             half to its second.",
            n(band.predicted_norm),
            band.from_step,
            band.to_step,
            n(band.rms_norm),
            numfmt::percent(band.drift, 1),
        ),
    }
}

/// The decay run stopped early: what happened, and no equilibrium.
fn ran_away(runaway: Runaway, norm_start: f64, norm_end: f64) -> String {
    format!(
        "With decay the run stopped at step {}: {}. ‖x‖ went from {} to {}; a run that stops \
         has no equilibrium to compare.",
        runaway.step,
        runaway.reason,
        n(norm_start),
        n(norm_end),
    )
}

/// ‖x‖ shrinks by 1 − ηλ per step, so the effective step grows; u at (or near) the minimum.
fn shrinking(
    band: &Band,
    rate: f64,
    effective_end: f64,
    distance_end: f64,
    limit: Option<f64>,
) -> String {
    let at_minimum = distance_end < AT_MINIMUM;
    let where_u = if at_minimum {
        format!("u sits at the minimum ({} rad away)", n(distance_end))
    } else if distance_end.is_finite() {
        format!("u is {} rad from the nearest minimum", n(distance_end))
    } else {
        "f has no minimum on the circle".to_string()
    };
    let mut s = format!(
        "With decay {where_u} and ‖x‖ shrinks by 1 − ηλ = {} per step (measured {} over steps \
         {}–{}); the effective step has grown to {}",
        n(rate),
        n(band.ratio_per_step),
        band.from_step,
        band.to_step,
        n(effective_end),
    );
    match limit {
        Some(l) if effective_end > l && at_minimum => s.push_str(&format!(
            ", past the stability limit {} (2 over the curvature of f on the circle): \
             the minimum is unstable, but nothing has pushed u off it yet.",
            n(l)
        )),
        Some(l) if effective_end > l => s.push_str(&format!(
            ", past the stability limit {} (2 over the curvature of f on the circle).",
            n(l)
        )),
        Some(l) => s.push_str(&format!(
            ", still below the stability limit {} (2 over the curvature of f on the \
             circle).",
            n(l)
        )),
        None => s.push('.'),
    }
    s
}

/// The effective step passed the stability limit; whether u has left the minimum since.
fn unstable(
    band: &Band,
    crossed_at: usize,
    (distance_at_crossing, departure_max): (f64, f64),
    shrank_before: bool,
    limit: f64,
) -> String {
    let how = if shrank_before {
        "‖x‖ shrank until the effective step passed"
    } else {
        "the effective step passed"
    };
    let mut s = format!(
        "With decay {how} the stability limit {} (2 over the curvature of f on the circle) at \
         step {crossed_at}, with u {} rad from the minimum. ",
        n(limit),
        n(distance_at_crossing),
    );
    if left_minimum(distance_at_crossing, departure_max) {
        let seed = if distance_at_crossing < 1e-12 {
            "rounding errors".to_string()
        } else {
            format!("that {} rad", n(distance_at_crossing))
        };
        s.push_str(&format!(
            "Past the limit the minimum repels u: with no noise the departure grew from {seed} \
             to {} rad. ",
            n(departure_max)
        ));
    } else {
        s.push_str(&format!(
            "Past the limit the minimum is unstable, but u has not left it yet (at most {} \
             rad). ",
            n(departure_max)
        ));
    }
    s.push_str(&format!(
        "Over steps {}–{} ‖x‖ lies between {} and {}.",
        band.from_step,
        band.to_step,
        n(band.norm_min),
        n(band.norm_max),
    ));
    s
}

/// u has left the minimum: its largest angle from it since the crossing is well past the
/// angle at the crossing (ten times) and past [`AT_MINIMUM`].
pub fn left_minimum(distance_at_crossing: f64, departure_max: f64) -> bool {
    departure_max > 10.0 * distance_at_crossing && departure_max > AT_MINIMUM
}

/// ‖x‖ settled where decay balances gradient and noise (the drift test held).
fn settled(band: &Band, limit: Option<f64>) -> String {
    let mut s = format!(
        "With decay ‖x‖ settled where decay balances gradient and noise: over steps \
         {}–{} its mean moved by {} between the window's halves, its RMS is {}, and \
         E‖x‖² = η²(E‖∇f‖² + dσ²)/(1 − (1−ηλ)²) predicts {}. The effective step ranges over \
         {}–{}",
        band.from_step,
        band.to_step,
        numfmt::percent(band.drift, 1),
        n(band.rms_norm),
        n(band.predicted_norm),
        n(band.effective_lr_min),
        n(band.effective_lr_max),
    );
    match limit {
        Some(l) if band.effective_lr_max < l => {
            s.push_str(&format!(", below the stability limit {}.", n(l)));
        }
        Some(l) if band.effective_lr_min > l => {
            s.push_str(&format!(", above the stability limit {}.", n(l)));
        }
        Some(l) => s.push_str(&format!(", either side of the stability limit {}.", n(l))),
        None => s.push('.'),
    }
    s
}
