//! Benchmarks for the ResNet problem: building the deepest model with every count.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dlscope::resnet::model::{Arch, Config, build};

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

criterion_group!(benches, resnet_model_resnet152);
criterion_main!(benches);
