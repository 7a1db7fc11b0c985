//! Back-propagation through time at H = 128, T = 200, and the LSTM at the tab's largest
//! setting (H = 512, T = 2000): forward, backward, every reported norm and the clipped
//! gradient (the weights are drawn once, outside the timed loop). The floor of the large one
//! is its 4,000 matrix–vector products with the 2048×512 W_hh (`benches/README.md`).
//! Compare with `benches/rnn_numpy.py`, which times the same computation in numpy.

#![allow(clippy::unwrap_used)] // tests and benchmarks may fail loudly

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dlscope::app::render_to_buffer;
use dlscope::rnn::model::{CellKind, Clip, Params, bptt, clip_gradient, draw};
use dlscope::snapshot::settled_app;
use dlscope::tab::Options;
use dlscope::theme::Ui;

fn bench_cell(c: &mut Criterion, name: &str, cell: CellKind, hidden: usize, steps: usize) {
    let p = Params {
        cell,
        hidden,
        steps,
        clip: Clip::Norm(1.0),
        ..Params::default()
    };
    let d = draw(&p);
    c.bench_function(name, |b| {
        b.iter(|| {
            let out = bptt(
                p.cell,
                p.activation,
                black_box(&d.weights),
                black_box(&d.inputs),
                black_box(&d.v),
            )
            .expect("draw() makes the shapes agree");
            let clipped = clip_gradient(&out.grad, p.clip);
            black_box((out, clipped.global_norm()))
        })
    });
}

fn bptt_benches(c: &mut Criterion) {
    bench_cell(c, "bptt_rnn_h128_t200", CellKind::Rnn, 128, 200);
    bench_cell(c, "bptt_lstm_h128_t200", CellKind::Lstm, 128, 200);
}

/// The LSTM at the tab's largest setting, about half a second an iteration.
fn large_bench(c: &mut Criterion) {
    bench_cell(c, "bptt_lstm_h512_t2000", CellKind::Lstm, 512, 2000);
}

/// One frame of the tab at 160×48 with default parameters (results already computed).
fn render_bench(c: &mut Criterion) {
    let mut app = settled_app("rnn", Ui::standard(), &Options::default()).expect("rnn tab");
    c.bench_function("render_rnn_160x48", |b| {
        b.iter(|| black_box(render_to_buffer(black_box(&mut app), 160, 48)))
    });
}

criterion_group!(benches, bptt_benches, render_bench);
criterion_group! {
    name = large;
    // Ten samples are enough to see a change of a few percent at this size.
    config = Criterion::default().sample_size(10);
    targets = large_bench
}
criterion_main!(benches, large);
