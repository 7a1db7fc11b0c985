//! Benchmarks for Problem 2: the thin SVD of the built-in camera (compare with
//! benches/lowrank_numpy.py), one rank slider step, one gradient-descent iteration, and one
//! full frame of the tab.

#![allow(clippy::unwrap_used)] // tests and benchmarks may fail loudly

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use dlscope::lowrank::input::{Builtin, Source, load};
use dlscope::lowrank::model::descent::GradientDescent;
use dlscope::lowrank::model::{Decomposition, Reconstruction, thin_svd, thin_svd_with};
use faer::Par;

fn camera() -> ndarray::Array2<f64> {
    load(&Source::Builtin(Builtin::Camera), 1024)
        .expect("the built-in camera loads")
        .matrix
}

fn svd(c: &mut Criterion) {
    let x = camera();
    let mut group = c.benchmark_group("svd");
    group.sample_size(20);
    group.bench_function("svd_camera_512", |b| {
        b.iter(|| thin_svd(black_box(x.view())).expect("the SVD converges"))
    });
    group.bench_function("svd_camera_512_seq", |b| {
        b.iter(|| thin_svd_with(black_box(x.view()), Par::Seq).expect("the SVD converges"))
    });
    group.bench_function("svd_camera_512_rayon2", |b| {
        b.iter(|| thin_svd_with(black_box(x.view()), Par::rayon(2)).expect("the SVD converges"))
    });
    group.finish();
}

fn rank_step(c: &mut Criterion) {
    let decomposition = Arc::new(Decomposition::compute(camera()).expect("the SVD converges"));
    let mut reconstruction = Reconstruction::new(decomposition);
    reconstruction.set_rank(100);
    // Alternate between ranks 100 and 101: each iteration is one slider step (one rank-one term).
    let mut up = true;
    c.bench_function("rank_step_512", |b| {
        b.iter(|| {
            let target = if up { 101 } else { 100 };
            up = !up;
            black_box(reconstruction.set_rank(black_box(target)))
        })
    });
}

fn descent_iteration(c: &mut Criterion) {
    let x = Arc::new(camera());
    let mut descent = GradientDescent::new(x, 10, 1);
    c.bench_function("descent_iteration_camera_r10", |b| {
        b.iter(|| {
            descent.step(1);
            black_box(descent.loss())
        })
    });
}

fn render(c: &mut Criterion) {
    let mut app = dlscope::snapshot::settled_app(
        "lowrank",
        dlscope::theme::Ui::standard(),
        &dlscope::tab::Options::default(),
    )
    .expect("the tab builds");
    c.bench_function("render_lowrank_160x48", |b| {
        b.iter(|| black_box(dlscope::app::render_to_buffer(&mut app, 160, 48)))
    });
    let mut truecolor = dlscope::snapshot::settled_app(
        "lowrank",
        dlscope::theme::Ui::new(dlscope::theme::ColorDepth::TrueColor, true),
        &dlscope::tab::Options::default(),
    )
    .expect("the tab builds");
    c.bench_function("render_lowrank_160x48_truecolor", |b| {
        b.iter(|| black_box(dlscope::app::render_to_buffer(&mut truecolor, 160, 48)))
    });
}

criterion_group!(benches, svd, rank_step, descent_iteration, render);
criterion_main!(benches);
