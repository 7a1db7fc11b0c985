//! dlscope: explore the fundamentals of deep learning from a terminal.
//!
//! One module per homework problem (`resnet`, `lowrank`, `scale`, `rnn`), each with a pure
//! `model` (no terminal) and a thin `tab` that renders it; the shell (`app`, `runtime`,
//! `keymap`, `theme`, `widgets`) is shared by all of them.

pub mod app;
pub mod cli;
pub mod color;
pub mod config;
pub mod controls;
pub mod export;
pub mod grad;
pub mod graphics;
pub mod jobs;
pub mod keymap;
pub mod lowrank;
pub mod numfmt;
pub mod resnet;
pub mod rnn;
pub mod runtime;
pub mod scale;
pub mod snapshot;
pub mod tab;
pub mod tabs;
pub mod text;
pub mod theme;
pub mod train;
pub mod widgets;
