//! Problem 2: the best rank-r approximation X ≈ AB of a matrix, found by the SVD
//! (Eckart–Young), its symmetries, the non-convexity of the factored objective, and plain
//! gradient descent on it.
//!
//! `model` does the mathematics, `report` writes the headless summary and JSON, `tab` draws it.
//! `input` sits beside `model` as its own module because it is not mathematics: it turns image
//! files, `.npy` and CSV files (or a built-in) into the matrix X, with the file checks, decoders
//! and error messages that the model, the command and the tab all share.

pub mod input;
pub mod model;
pub mod report;
pub mod svd_worker;
pub mod tab;
