//! What the linear theory predicts for the size of the back-propagated gradient.

/// ρ^{T−t} for t = 0 … T: the size of ∂ℓ/∂h_t = (W_hhᵀ)^{T−t} v when W_hh = ρQ, Q orthogonal.
pub fn linear_theory(rho: f64, steps: usize) -> Vec<f64> {
    (0..=steps)
        .map(|t| rho.powi(i32::try_from(steps - t).unwrap_or(i32::MAX)))
        .collect()
}
