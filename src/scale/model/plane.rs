//! The plane of a 2-D objective: f around the unit circle, its level bands and its minima.

use super::{Function, Objective};

/// Number of directions at which f is sampled around the unit circle.
pub const PROFILE_SAMPLES: usize = 720;
/// Number of level bands the circle is split into (equal shares of the samples).
pub const PROFILE_BANDS: u8 = 4;

/// f on the unit circle of the plane. Because f(λx) = f(x), f anywhere off the origin equals f
/// at its direction, so this one table gives every level set of the plane: wedges from 0.
#[derive(Clone, Debug, PartialEq)]
pub struct AngularProfile {
    /// f(cos φ_j, sin φ_j) at φ_j = −π + 2π(j + ½)/n, n = [`PROFILE_SAMPLES`].
    pub values: Vec<f64>,
    /// Level band of each sample: 0 for the lowest quarter of the values, up to
    /// [`PROFILE_BANDS`] − 1 for the highest.
    pub bands: Vec<u8>,
    /// Directions (angles in radians) where f is smallest on the circle; empty when f is
    /// unbounded below (ratio: y/x → −∞ as x → 0⁺ with y < 0).
    pub minima: Vec<f64>,
    /// d²f(cos φ, sin φ)/dφ² at each minimum (central differences): the curvature of f on the
    /// circle, which sets the stability limit 2/curvature of the effective step there.
    pub curvatures: Vec<f64>,
}

impl AngularProfile {
    /// The profile of a 2-D objective; `None` in other dimensions.
    pub fn new(obj: &Objective) -> Option<AngularProfile> {
        if obj.dim() != 2 {
            return None;
        }
        let n = PROFILE_SAMPLES;
        let values: Vec<f64> = (0..n)
            .map(|j| {
                let phi = sample_angle(j, n);
                obj.value(&[phi.cos(), phi.sin()])
            })
            .collect();
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        let edges: Vec<f64> = (1..PROFILE_BANDS)
            .filter_map(|b| sorted.get(sorted.len() * b as usize / PROFILE_BANDS as usize))
            .copied()
            .collect();
        let bands = values
            .iter()
            .map(|v| {
                if v.is_finite() {
                    edges.iter().filter(|e| **e <= *v).count() as u8
                } else {
                    PROFILE_BANDS - 1
                }
            })
            .collect();
        let minima = match obj.function() {
            Function::Ratio => Vec::new(),
            // The Rayleigh quotient is even: both ±v_min are minima.
            Function::Rayleigh => obj
                .rayleigh_eigen()
                .map(|e| {
                    let v = &e.vectors[0];
                    let phi = v[1].atan2(v[0]);
                    vec![phi, wrap_angle(phi + std::f64::consts::PI)]
                })
                .unwrap_or_default(),
            Function::Logistic => {
                let lowest = sorted.first().copied().unwrap_or(f64::NAN);
                values
                    .iter()
                    .position(|v| *v == lowest)
                    .map(|j| vec![sample_angle(j, n)])
                    .unwrap_or_default()
            }
        };
        let on_circle = |phi: f64| obj.value(&[phi.cos(), phi.sin()]);
        let h = 1e-4;
        let curvatures = minima
            .iter()
            .map(|&phi| (on_circle(phi + h) - 2.0 * on_circle(phi) + on_circle(phi - h)) / (h * h))
            .collect();
        Some(AngularProfile {
            values,
            bands,
            minima,
            curvatures,
        })
    }

    /// The angle of sample j.
    pub fn angle(&self, j: usize) -> f64 {
        sample_angle(j, self.values.len())
    }

    /// The sample whose direction is nearest to `angle` (any real angle; NaN gives sample 0).
    pub fn index_of(&self, angle: f64) -> usize {
        let n = self.values.len();
        if n == 0 || !angle.is_finite() {
            return 0;
        }
        let turns = (angle + std::f64::consts::PI).rem_euclid(std::f64::consts::TAU)
            / std::f64::consts::TAU;
        ((turns * n as f64).floor() as usize).min(n - 1)
    }

    /// The minimum nearest to the direction `angle`: (its angle, the angle between them, the
    /// curvature there); `None` when f has no minimum on the circle.
    pub fn nearest_minimum(&self, angle: f64) -> Option<(f64, f64, f64)> {
        self.minima
            .iter()
            .zip(&self.curvatures)
            .map(|(&phi, &c)| (phi, wrap_angle(angle - phi).abs(), c))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// The level band of the direction `angle`.
    pub fn band_at(&self, angle: f64) -> u8 {
        self.bands.get(self.index_of(angle)).copied().unwrap_or(0)
    }
}

fn sample_angle(j: usize, n: usize) -> f64 {
    -std::f64::consts::PI + std::f64::consts::TAU * (j as f64 + 0.5) / n.max(1) as f64
}

/// The same angle in (−π, π].
pub(super) fn wrap_angle(phi: f64) -> f64 {
    let w = (phi + std::f64::consts::PI).rem_euclid(std::f64::consts::TAU) - std::f64::consts::PI;
    if w == -std::f64::consts::PI {
        std::f64::consts::PI
    } else {
        w
    }
}
