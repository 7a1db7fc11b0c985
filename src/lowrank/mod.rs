//! Problem 2: the best rank-r approximation X ≈ AB of a matrix, found by the SVD
//! (Eckart–Young), its symmetries, the non-convexity of the factored objective, and plain
//! gradient descent on it.
//!
//! `input` turns images, `.npy` and CSV files (or a built-in) into a matrix, `model` does the
//! mathematics, `report` writes the headless summary and JSON.

pub mod input;
pub mod model;
pub mod partial;
pub mod report;
pub mod tab;
