//! The integration tests, as the modules of one test binary: the library is linked once for all
//! of them, not once per file.

#![allow(clippy::unwrap_used)] // tests may fail loudly

mod common;

mod cli;
mod config;
mod e2e;
mod export;
mod lowrank_data;
mod lowrank_input;
mod lowrank_memory;
mod lowrank_snapshots;
mod resnet_counts;
mod resnet_snapshots;
mod rnn_snapshots;
mod scale_snapshots;
mod shell;
mod svd_worker;
mod train_cli;
mod train_snapshots;
