//! Problem 6: exploding and vanishing gradients in RNNs and LSTMs.
//!
//! `model` runs back-propagation through time exactly and reports the gradient norms;
//! `report` turns a run into text and JSON; `tab` draws both cells' backward passes.

pub mod model;
pub mod report;
pub mod tab;
