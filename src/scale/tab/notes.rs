//! The tab's prose, in our own words. Each sentence states only what the computation beside it
//! shows; the tests in `tests.rs` compute the claims.

/// Beside the plane.
pub const PLANE: &str = "f only sees the direction, so its level sets are wedges from 0. Each \
    step is at right angles to x: ‖x‖ grows while the direction u_k = x_k/‖x_k‖ slides downhill \
    on the unit circle.";

/// Beside the check of Problem 3a.
pub const SCALING: &str =
    "Scaling x by λ divides the gradient by λ, and the gradient is always perpendicular to x.";

/// Under the norm readouts.
pub const NORM_GROWTH: &str = "Without decay each step adds η²‖∇f‖² to ‖x‖²: the norm only grows \
    and the step felt on the circle, η/‖x‖², only shrinks. Decay pulls ‖x‖ in until that step is \
    big enough to throw u off the minimum; the norm then hovers in a band.";

/// One line under the ‖x_k‖ chart.
pub const NORM_CHART: &str = "plain only grows; decay makes it hover";
/// One line under the effective-step chart.
pub const EFFECTIVE_CHART: &str = "the step u feels on the unit circle";
/// One line under the first-order gap chart.
pub const GAP_CHART: &str = "new direction vs its first-order model";
/// One line under the η sweep.
pub const SWEEP_CHART: &str = "one step from x₀; slope 2 means O(η²)";
