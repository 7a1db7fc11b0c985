//! Problem 6: exploding and vanishing gradients in RNNs and LSTMs.
//!
//! `model` runs back-propagation through time exactly and reports the gradient norms;
//! `report` turns a run into text and JSON; `elementwise` holds the vectorisable exp, tanh
//! and σ the model's loops use.

pub mod elementwise;
pub mod model;
pub mod report;
pub mod tab;
