//! One training iteration (a batch drawn, forward, backpropagation through time, clipping and
//! the optimizer's step) of each preset's runs: long-memory's RNN and LSTM (T = 50, H = 32,
//! batch 32, Adam) and exploding's clipped RNN (T = 20, SGD with momentum).

#![allow(clippy::unwrap_used)] // tests and benchmarks may fail loudly

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dlscope::train::model::{MAX_ITERATIONS, Preset, RunConfig, Trainer};

fn bench_run(c: &mut Criterion, name: &str, config: RunConfig) {
    // Never finishes inside the measurement.
    let mut trainer = Trainer::new(RunConfig {
        iterations: MAX_ITERATIONS,
        ..config
    })
    .unwrap();
    c.bench_function(name, |b| {
        b.iter(|| {
            let r = trainer.step();
            if trainer.finished() {
                trainer = Trainer::new(trainer.config().clone()).unwrap();
            }
            black_box(r)
        })
    });
}

fn presets(c: &mut Criterion) {
    let long = Preset::LongMemory.lab().runs();
    bench_run(c, "train_iteration_long_memory_rnn", long[0].clone());
    bench_run(c, "train_iteration_long_memory_lstm", long[1].clone());
    let exploding = Preset::Exploding.lab().runs();
    bench_run(
        c,
        "train_iteration_exploding_rnn_clipped",
        exploding[1].clone(),
    );
}

criterion_group!(benches, presets);
criterion_main!(benches);
