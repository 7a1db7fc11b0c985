//! The prose of the Low-rank tab, in our own words. Each note states only what the numbers
//! beside it show; the tests in `tab` and `model` compute those claims.

/// Under the readouts (wide layout): the Eckart–Young identity the two error lines check.
pub(super) const ECKART_YOUNG: &str = "A*B* keeps the r largest terms of the SVD. The error \
     computed from the matrices equals the sum of the dropped squared singular values, and no \
     other rank-r product does better (Eckart–Young).";

/// Under the symmetry readout.
pub(super) const SYMMETRY: &str = "The factors move but their product does not, so the error \
     is the same: the best A and B are never unique. Any invertible G works, not only an \
     orthogonal Q or a scale e. Only an orthogonal Q keeps AᵀA − BBᵀ at 0; gradient descent \
     keeps it where it started (see the descent panel), so from a small start it ends balanced.";

/// The descent panel before the first run; `play` names the key that starts it.
pub(super) fn descent_start(play: &str) -> String {
    format!(
        "Press {play} to train A and B by plain gradient descent on ½‖X − AB‖²_F from a small \
         random start, at the current rank, and watch the loss approach the Eckart–Young \
         optimum ½Σ_{{i>r}} σᵢ². It stops when the gap is below 1e-5 of the optimum (converged) \
         or after 500 iterations ({play} continues)."
    )
}

/// After a failed descent job; `play` names the key that starts a new run.
pub(super) fn descent_lost(play: &str) -> String {
    format!("Press {play} to start a new run.")
}

/// Under the descent chart (wide layout): which formula the theory line uses.
pub(super) const DESCENT_RATE: &str = "Near the optimum the gap shrinks each iteration by a \
     factor of at most ρ², ρ = max(1 − η(σ_r − σ_{r+1}), |1 − 2ησ₁|), and by about ρ² once only \
     the slowest direction is left: its curvature is σ_r − σ_{r+1}, the fastest 2σ₁. AᵀA − BBᵀ would stay fixed under gradient \
     flow; each step moves it by η²(∇_Aᵀ∇_A − ∇_B∇_Bᵀ).";
