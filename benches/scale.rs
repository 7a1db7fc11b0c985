//! Benchmarks of Problem 3: a 2000-step descent with every reported series.

#![allow(clippy::unwrap_used)] // tests and benchmarks may fail loudly

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dlscope::app::render_to_buffer;
use dlscope::scale::model::{Params, run};
use dlscope::snapshot::settled_app;
use dlscope::tab::Options;
use dlscope::theme::Ui;

/// 2000 steps of descent on the 2-D Rayleigh quotient, recording every per-iterate and per-step
/// series, including the 3a scaling check and the 12-point η sweep (both run once per call).
fn scale_descent_2000(c: &mut Criterion) {
    let p = Params {
        steps: 2000,
        ..Params::default()
    };
    c.bench_function("scale_descent_2000", |b| {
        b.iter(|| run(black_box(&p)).map(|r| r.steps_taken()))
    });
    let logistic = Params {
        function: dlscope::scale::model::Function::Logistic,
        steps: 2000,
        ..Params::default()
    };
    c.bench_function("scale_descent_2000_logistic", |b| {
        b.iter(|| run(black_box(&logistic)).map(|r| r.steps_taken()))
    });
}

/// One frame of the Scale-invariance tab at 160×48 (plane with level shading, four charts).
fn render_scale_160x48(c: &mut Criterion) {
    let mut app = settled_app("scale", Ui::standard(), &Options::default()).expect("the tab");
    c.bench_function("render_scale_160x48", |b| {
        b.iter(|| render_to_buffer(black_box(&mut app), 160, 48))
    });
}

criterion_group!(benches, scale_descent_2000, render_scale_160x48);
criterion_main!(benches);
