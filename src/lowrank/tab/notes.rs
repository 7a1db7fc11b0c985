//! The prose of the Low-rank tab, in our own words. Each note states only what the numbers
//! beside it show: a sentence about a mechanism is chosen from facts the model computed, and
//! [`GUARDS`] names the test that computes its counterfactual.

use crate::lowrank::model::symmetry::SymmetryReadout;
use crate::numfmt;

/// Which test guards which sentence (sentence start → test in `tab::tests` or `model::tests`).
/// The sweep `claims::every_lowrank_sentence_holds_where_it_is_shown` goes over every rank
/// (0 and full included) × every symmetry × every landscape x × descent at each rank on the
/// two built-in pictures at 24 pixels a side and the synthetic matrix area-averaged to 24×18.
#[cfg_attr(not(test), allow(dead_code))]
pub const GUARDS: &[(&str, &str)] = &[
    (
        "A*B* keeps the r largest terms",
        "claims::every_lowrank_sentence_holds_where_it_is_shown",
    ),
    (
        "The error computed from the matrices equals",
        "claims::every_lowrank_sentence_holds_where_it_is_shown",
    ),
    (
        "no other rank-r product does better",
        "claims::every_lowrank_sentence_holds_where_it_is_shown",
    ),
    (
        "The factors moved but their product did not",
        "claims::every_lowrank_sentence_holds_where_it_is_shown",
    ),
    (
        "This transform leaves the factors where they were",
        "claims::every_lowrank_sentence_holds_where_it_is_shown",
    ),
    (
        "Any invertible G keeps the product",
        "claims::every_lowrank_sentence_holds_where_it_is_shown",
    ),
    (
        "It keeps AᵀA − BBᵀ at 0",
        "claims::every_lowrank_sentence_holds_where_it_is_shown",
    ),
    (
        "It moves AᵀA − BBᵀ from 0 to",
        "claims::every_lowrank_sentence_holds_where_it_is_shown",
    ),
    (
        "Gradient flow would keep AᵀA − BBᵀ exactly",
        "model::tests::descent_drift_of_the_imbalance_is_eta_squared",
    ),
    (
        "ρ² is the local rate",
        "claims::every_lowrank_sentence_holds_where_it_is_shown",
    ),
    (
        "Here the last … shrank the gap (slower/faster/at)",
        "claims::every_lowrank_sentence_holds_where_it_is_shown",
    ),
    (
        "converged: gap ≤ …",
        "claims::every_lowrank_sentence_holds_where_it_is_shown",
    ),
    (
        "nothing to train at rank 0",
        "claims::every_lowrank_sentence_holds_where_it_is_shown",
    ),
    (
        "not convex / (saddle)",
        "claims::every_lowrank_sentence_holds_where_it_is_shown",
    ),
    (
        "energy left out at rank r (0 from r = …, not drawn)",
        "claims::every_lowrank_sentence_holds_where_it_is_shown",
    ),
];

/// Under the readouts (wide layout) once the whole spectrum is known: the Eckart–Young
/// identity the two error lines check. `identity_holds`: the two errors agree to rounding.
pub(super) fn eckart_young(identity_holds: bool) -> &'static str {
    if identity_holds {
        "A*B* keeps the r largest terms of the SVD. The error computed from the matrices equals \
         the sum of the dropped squared singular values, and no other rank-r product does \
         better (Eckart–Young)."
    } else {
        "A*B* keeps the r largest terms of the SVD; by Eckart–Young no other rank-r product \
         does better. Here the two errors differ by more than rounding: see the lines above."
    }
}

/// Under the readouts (wide layout) while only the leading singular values are known.
pub(super) const ECKART_YOUNG_PARTIAL: &str = "A*B* keeps the r largest terms of the SVD; by \
     Eckart–Young no other rank-r product does better. Until every singular value is known the \
     error is ‖X‖²_F minus the kept σᵢ², with the bound beside it.";

/// What the symmetry readout shows, as the symmetry note needs it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SymmetryFacts {
    /// ‖A − A*‖_F and ‖B − B*‖_F above rounding.
    pub moved: bool,
    /// ‖AB − A*B*‖_F and the error change at rounding.
    pub product_kept: bool,
    /// ‖AᵀA − BBᵀ‖_F after the transform at rounding.
    pub balanced_after: bool,
    /// ‖AᵀA − BBᵀ‖_F after.
    pub imbalance_after: f64,
}

/// Relative size below which a change is rounding.
pub const ROUNDING: f64 = 1e-9;

impl SymmetryFacts {
    /// The facts of one readout: a distance is rounding when below [`ROUNDING`] of the
    /// factors' size (at least 1).
    pub fn of(r: &SymmetryReadout, factor_scale: f64) -> SymmetryFacts {
        let tol = ROUNDING * factor_scale.max(1.0);
        SymmetryFacts {
            moved: r.a_distance > tol || r.b_distance > tol,
            product_kept: r.product_change <= tol * factor_scale.max(1.0)
                && r.error_change.abs() <= tol * factor_scale.max(1.0).powi(2),
            balanced_after: r.imbalance_after <= tol * factor_scale.max(1.0),
            imbalance_after: r.imbalance_after,
        }
    }
}

/// Under the symmetry readout: what this transform did, then what gradient flow and descent do
/// to the balance.
pub(super) fn symmetry(f: &SymmetryFacts) -> String {
    let mut s = String::new();
    match (f.moved, f.product_kept) {
        (true, true) => s.push_str(
            "The factors moved but their product did not, so the error is the same: the best \
             A and B are not unique. ",
        ),
        (false, true) => s.push_str(
            "This transform leaves the factors where they were (it is the identity here). ",
        ),
        (_, false) => {
            s.push_str("Here the product changed by more than rounding: see the lines above. ")
        }
    }
    s.push_str("Any invertible G keeps the product, not only an orthogonal Q or a scale e. ");
    if f.balanced_after {
        s.push_str("It keeps AᵀA − BBᵀ at 0, as A* and B* have it. ");
    } else {
        s.push_str(&format!(
            "It moves AᵀA − BBᵀ from 0 to a norm of {}. ",
            numfmt::general(f.imbalance_after, 3)
        ));
    }
    s.push_str(
        "Gradient flow would keep AᵀA − BBᵀ exactly where it started; each descent step of \
         size η changes it by η²(∇_Aᵀ∇_A − ∇_B∇_Bᵀ), so descent keeps it only up to O(η²) per \
         step (the descent panel shows it).",
    );
    s
}

/// The descent panel before the first run; `play` names the key that starts it.
pub(super) fn descent_start(play: &str) -> String {
    format!(
        "Press {play} to train A and B by plain gradient descent on ½‖X − AB‖²_F from a small \
         random start, at the current rank, and watch the loss approach the Eckart–Young \
         optimum ½Σ_{{i>r}} σᵢ². It stops when the gap is at most 1e-5 of the optimum, or \
         1e-10 of ½‖X‖²_F where the optimum is 0 (converged), or after 500 iterations \
         ({play} continues)."
    )
}

/// Why a panel that works on X itself (gradient descent, the symmetry readout) shows nothing
/// for an input whose entries are beyond 2^±300 (`largest` = max |xᵢⱼ|): the squares of its
/// entries leave f64's range, while the SVD's figures are computed on X scaled by a power of two.
pub(super) fn squares_out_of_range(what: &str, largest: f64) -> String {
    format!(
        "{what} is not computed for this input: its largest entry is {}, and it works on \
         squares of the entries, which f64 holds only for entries between about 5e-91 and \
         2e90 (2^±300). The SVD and the figures beside it are computed on X scaled by a power \
         of two and hold.",
        numfmt::general(largest, 3)
    )
}

/// After a failed descent job; `play` names the key that starts a new run.
pub(super) fn descent_lost(play: &str) -> String {
    format!("Press {play} to start a new run.")
}

/// The measured contraction of the gap beside the local rate ρ².
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateFacts {
    /// The gap's factor per iteration over the last window, if measurable.
    pub observed: Option<f64>,
    /// ρ², if the rank has one.
    pub local: Option<f64>,
}

/// How far (relative) the measured rate may be from ρ² and still be "at" it.
pub const AT_RATE: f64 = 1e-3;

/// How the measured rate compares with ρ².
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateComparison {
    Slower,
    At,
    Faster,
}

impl RateFacts {
    /// Slower (a factor nearer 1), at, or faster than ρ², when both are known.
    pub fn comparison(&self) -> Option<RateComparison> {
        let (o, l) = (self.observed?, self.local?);
        Some(if o > l * (1.0 + AT_RATE) {
            RateComparison::Slower
        } else if o < l * (1.0 - AT_RATE) {
            RateComparison::Faster
        } else {
            RateComparison::At
        })
    }
}

/// Under the descent chart (wide layout): what ρ² is, how the run compares with it, and what
/// a step does to AᵀA − BBᵀ.
pub(super) fn descent_rate(f: &RateFacts) -> String {
    let mut s = String::from(
        "ρ² is the local rate: once the iterate is near the optimum the gap shrinks by about \
         ρ² per iteration, ρ = max(|1 − η(σ_r − σ_{r+1})|, |1 − 2ησ₁|), the slowest \
         direction's curvature being σ_r − σ_{r+1} and the fastest 2σ₁. It is not a bound on \
         the run. ",
    );
    if let (Some(c), Some(o), Some(l)) = (f.comparison(), f.observed, f.local) {
        let how = match c {
            RateComparison::Slower => "more slowly than",
            RateComparison::At => "at",
            RateComparison::Faster => "faster than",
        };
        s.push_str(&format!(
            "Here the last iterations shrank the gap {how} ρ² (×{} against {}). ",
            numfmt::general(o, 6),
            numfmt::general(l, 6)
        ));
    }
    s.push_str(
        "Gradient flow would keep AᵀA − BBᵀ exactly where it started; each step of size η \
         changes it by η²(∇_Aᵀ∇_A − ∇_B∇_Bᵀ).",
    );
    s
}
