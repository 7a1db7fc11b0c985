//! Problem 2a: the factored objective is not convex. Its smallest case, one entry x and scalar
//! factors a, b, is g(a, b) = (x − ab)². Its minima (g = 0) form the hyperbola ab = x; the origin
//! is a critical point with an indefinite Hessian (a saddle); and for x ≠ 0 the two minima
//! (1, x) and (−1, −x) have the midpoint (0, 0) where g = x² > 0, which a convex function could
//! not allow.

use ndarray::Array2;

/// g(a, b) = (x − ab)².
pub fn objective(x: f64, a: f64, b: f64) -> f64 {
    let r = x - a * b;
    r * r
}

/// ∇g = (−2b(x − ab), −2a(x − ab)).
pub fn gradient(x: f64, a: f64, b: f64) -> [f64; 2] {
    let r = x - a * b;
    [-2.0 * b * r, -2.0 * a * r]
}

/// ∇²g = [[2b², 4ab − 2x], [4ab − 2x, 2a²]].
pub fn hessian(x: f64, a: f64, b: f64) -> [[f64; 2]; 2] {
    let off = 4.0 * a * b - 2.0 * x;
    [[2.0 * b * b, off], [off, 2.0 * a * a]]
}

/// Eigenvalues of a symmetric 2×2 matrix, ascending: (p + q)/2 ∓ √(((p − q)/2)² + s²).
pub fn symmetric_eigenvalues(h: [[f64; 2]; 2]) -> [f64; 2] {
    let mean = 0.5 * (h[0][0] + h[1][1]);
    let half_diff = 0.5 * (h[0][0] - h[1][1]);
    let radius = half_diff.hypot(h[0][1]);
    [mean - radius, mean + radius]
}

/// The rectangle [a_min, a_max] × [b_min, b_max] of the (a, b) plane shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub a_min: f64,
    pub a_max: f64,
    pub b_min: f64,
    pub b_max: f64,
}

impl Window {
    /// The square [−half_width, half_width]².
    pub fn square(half_width: f64) -> Self {
        Self {
            a_min: -half_width,
            a_max: half_width,
            b_min: -half_width,
            b_max: half_width,
        }
    }
}

/// g sampled on a grid: `values[(row, col)]` = g(a_values[col], b_values[row]); rows run from
/// b_max down to b_min, so row 0 is the top of a picture.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub a_values: Vec<f64>,
    pub b_values: Vec<f64>,
    pub values: Array2<f64>,
}

/// Sample g(a, b) = (x − ab)² at the centres of `cols` × `rows` cells covering the window.
pub fn objective_grid(x: f64, window: Window, cols: usize, rows: usize) -> Grid {
    let centre =
        |lo: f64, hi: f64, count: usize, i: usize| lo + (hi - lo) * (i as f64 + 0.5) / count as f64;
    let a_values: Vec<f64> = (0..cols)
        .map(|j| centre(window.a_min, window.a_max, cols, j))
        .collect();
    let b_values: Vec<f64> = (0..rows)
        .map(|i| centre(window.b_max, window.b_min, rows, i))
        .collect();
    let values = Array2::from_shape_fn((rows, cols), |(i, j)| {
        objective(x, a_values[j], b_values[i])
    });
    Grid {
        a_values,
        b_values,
        values,
    }
}

/// The critical point at the origin and what the second derivative says about it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Saddle {
    pub value: f64,
    pub gradient: [f64; 2],
    pub hessian: [[f64; 2]; 2],
    /// Ascending; −2|x| and +2|x|: one negative and one positive, so a saddle for x ≠ 0.
    pub eigenvalues: [f64; 2],
}

/// g, ∇g and ∇²g at (0, 0).
pub fn saddle_at_origin(x: f64) -> Saddle {
    let hessian = hessian(x, 0.0, 0.0);
    Saddle {
        value: objective(x, 0.0, 0.0),
        gradient: gradient(x, 0.0, 0.0),
        hessian,
        eigenvalues: symmetric_eigenvalues(hessian),
    }
}

impl Saddle {
    /// True when the Hessian has eigenvalues of both signs (an indefinite Hessian).
    pub fn is_saddle(&self) -> bool {
        self.eigenvalues[0] < 0.0 && self.eigenvalues[1] > 0.0
    }
}

/// Two minima whose midpoint is higher than both: a witness that g is not convex.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConvexityCounterexample {
    pub first: (f64, f64),
    pub second: (f64, f64),
    pub midpoint: (f64, f64),
    pub first_value: f64,
    pub second_value: f64,
    pub midpoint_value: f64,
}

impl ConvexityCounterexample {
    /// The points (1, x) and (−1, −x), both on ab = x, and their midpoint (0, 0).
    pub fn new(x: f64) -> Self {
        let first = (1.0, x);
        let second = (-1.0, -x);
        let midpoint = (0.5 * (first.0 + second.0), 0.5 * (first.1 + second.1));
        Self {
            first,
            second,
            midpoint,
            first_value: objective(x, first.0, first.1),
            second_value: objective(x, second.0, second.1),
            midpoint_value: objective(x, midpoint.0, midpoint.1),
        }
    }

    /// Convexity requires g(midpoint) ≤ (g(first) + g(second)) / 2; true when that fails.
    pub fn violates_convexity(&self) -> bool {
        self.midpoint_value > 0.5 * (self.first_value + self.second_value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEP: f64 = 1e-5;

    fn finite_difference_gradient(x: f64, a: f64, b: f64) -> [f64; 2] {
        [
            (objective(x, a + STEP, b) - objective(x, a - STEP, b)) / (2.0 * STEP),
            (objective(x, a, b + STEP) - objective(x, a, b - STEP)) / (2.0 * STEP),
        ]
    }

    #[test]
    fn gradient_matches_finite_differences() {
        for &(x, a, b) in &[(1.0, 0.3, -0.7), (-2.0, 1.5, 0.2), (0.5, -1.0, -1.0)] {
            let analytic = gradient(x, a, b);
            let numeric = finite_difference_gradient(x, a, b);
            for k in 0..2 {
                assert!(
                    (analytic[k] - numeric[k]).abs() < 1e-6,
                    "{analytic:?} {numeric:?}"
                );
            }
        }
    }

    #[test]
    fn hessian_matches_finite_differences_of_the_gradient() {
        for &(x, a, b) in &[(1.0, 0.0, 0.0), (1.0, 0.3, -0.7), (-2.0, 1.5, 0.2)] {
            let h = hessian(x, a, b);
            let da = |f: fn(f64, f64, f64) -> [f64; 2]| {
                let p = f(x, a + STEP, b);
                let m = f(x, a - STEP, b);
                [(p[0] - m[0]) / (2.0 * STEP), (p[1] - m[1]) / (2.0 * STEP)]
            };
            let db = |f: fn(f64, f64, f64) -> [f64; 2]| {
                let p = f(x, a, b + STEP);
                let m = f(x, a, b - STEP);
                [(p[0] - m[0]) / (2.0 * STEP), (p[1] - m[1]) / (2.0 * STEP)]
            };
            let col_a = da(gradient);
            let col_b = db(gradient);
            assert!((h[0][0] - col_a[0]).abs() < 1e-6);
            assert!((h[1][0] - col_a[1]).abs() < 1e-6);
            assert!((h[0][1] - col_b[0]).abs() < 1e-6);
            assert!((h[1][1] - col_b[1]).abs() < 1e-6);
        }
    }

    #[test]
    fn origin_is_a_saddle_with_eigenvalues_plus_minus_two_x() {
        for x in [0.5, 1.0, -3.0] {
            let saddle = saddle_at_origin(x);
            assert_eq!(saddle.gradient, [0.0, 0.0]);
            assert_eq!(saddle.value, x * x);
            let expected = 2.0 * f64::abs(x);
            assert!((saddle.eigenvalues[0] + expected).abs() < 1e-14);
            assert!((saddle.eigenvalues[1] - expected).abs() < 1e-14);
            assert!(saddle.is_saddle());
        }
        // For x = ½ these are exactly ±1.
        assert_eq!(saddle_at_origin(0.5).eigenvalues, [-1.0, 1.0]);
    }

    #[test]
    fn eigenvalues_of_a_known_symmetric_matrix() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
        assert_eq!(symmetric_eigenvalues([[2.0, 1.0], [1.0, 2.0]]), [1.0, 3.0]);
    }

    #[test]
    fn two_minima_with_a_higher_midpoint() {
        for x in [1.0, 0.25, -2.0] {
            let c = ConvexityCounterexample::new(x);
            assert_eq!(c.first_value, 0.0);
            assert_eq!(c.second_value, 0.0);
            assert_eq!(c.midpoint, (0.0, 0.0));
            assert_eq!(c.midpoint_value, x * x);
            assert!(c.violates_convexity());
        }
        // At x = 0 the minima are the axes, which contain the midpoint: no violation there.
        assert!(!ConvexityCounterexample::new(0.0).violates_convexity());
    }

    #[test]
    fn the_hyperbola_is_where_g_vanishes() {
        let x = 1.5;
        for a in [-3.0, -0.5, 0.1, 2.0] {
            // On the curve of minima ab = x.
            let b = x / a;
            assert!(objective(x, a, b) < 1e-24);
            let g = gradient(x, a, b);
            assert!(g[0].abs() < 1e-12 && g[1].abs() < 1e-12);
        }
    }

    #[test]
    fn grid_samples_cell_centres_top_row_first() {
        let grid = objective_grid(1.0, Window::square(2.0), 4, 2);
        assert_eq!(grid.a_values, vec![-1.5, -0.5, 0.5, 1.5]);
        assert_eq!(grid.b_values, vec![1.0, -1.0]);
        assert_eq!(grid.values.dim(), (2, 4));
        assert_eq!(grid.values[(0, 3)], objective(1.0, 1.5, 1.0));
        assert_eq!(grid.values[(1, 0)], objective(1.0, -1.5, -1.0));
        // Empty grids are allowed and empty.
        assert_eq!(
            objective_grid(1.0, Window::square(1.0), 0, 0).values.len(),
            0
        );
    }
}
