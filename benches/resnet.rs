//! Benchmarks for the ResNet problem: building the deepest model with every count.

#![allow(clippy::unwrap_used)] // tests and benchmarks may fail loudly

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dlscope::app::render_to_buffer;
use dlscope::resnet::model::cost::{Cost, costs};
use dlscope::resnet::model::{Arch, Config, build};
use dlscope::snapshot::settled_app;
use dlscope::tab::Options;
use dlscope::theme::Ui;

/// Whole module tree, parameter and buffer lists, shapes, MACs and totals for resnet152.
fn resnet_model_resnet152(c: &mut Criterion) {
    let cfg = Config {
        arch: Arch::Resnet152,
        ..Config::default()
    };
    c.bench_function("resnet_model_resnet152", |b| {
        b.iter(|| {
            let net = build(black_box(&cfg));
            black_box((net.total_params(), net.total_macs(), net.groups()))
        })
    });
}

/// The same build plus every cost column (FLOPs, memory, receptive fields) for one setting.
fn resnet_model_and_cost_resnet152(c: &mut Criterion) {
    let cfg = Config {
        arch: Arch::Resnet152,
        ..Config::default()
    };
    let cost = Cost {
        batch: 2,
        ..Cost::default()
    };
    c.bench_function("resnet_model_and_cost_resnet152", |b| {
        b.iter(|| {
            let net = build(black_box(&cfg));
            black_box(costs(&net, black_box(&cost)).totals)
        })
    });
}

/// One whole frame of the ResNet tab at 160×48 (tree, controls, summary, module note).
fn render_resnet_160x48(c: &mut Criterion) {
    let Ok(mut app) = settled_app("resnet", Ui::standard(), &Options::default()) else {
        eprintln!("render_resnet_160x48: the ResNet tab is not registered; skipped");
        return;
    };
    c.bench_function("render_resnet_160x48", |b| {
        b.iter(|| black_box(render_to_buffer(black_box(&mut app), 160, 48)))
    });
}

criterion_group!(
    benches,
    resnet_model_resnet152,
    resnet_model_and_cost_resnet152,
    render_resnet_160x48
);
criterion_main!(benches);
