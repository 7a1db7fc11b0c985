//! dlscope: explore the fundamentals of deep learning from a terminal.
//!
//! One module per homework problem (`resnet` for Problem 1, `lowrank` 2, `scale` 3, `rnn` 6,
//! and `train`, Problem 6 in practice), each the same shape: a pure `model` (no terminal), a
//! `report` for the headless command, and a `tab` composed of the shared `components` (control
//! list, scrolling text, worker panel). Above them the shell: `tab` (the trait a tab
//! implements), `tabs` (the one list of tabs), `app` (keys, overlays, layout), `runtime` (the
//! terminal loop; `input` joins escape sequences split by a slow link), `keymap` (key tables
//! and conventions), `theme`, `text`, `widgets`.

pub mod app;
pub mod cli;
pub mod color;
pub mod components;
pub mod config;
pub mod controls;
pub mod elementwise;
pub mod export;
pub mod grad;
pub mod graphics;
pub mod input;
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

#[cfg(test)]
mod source_tests;
