//! The training lab: a one-layer RNN and an LSTM (PyTorch's semantics) trained on a task that
//! needs memory, two runs side by side, with and without gradient clipping.
//!
//! `model` trains (no terminal), `findings` says in words what the runs show, `report` writes
//! `dlscope train`, `tab` shows both runs live.

pub mod findings;
pub mod model;
pub mod report;
pub mod tab;
