//! One training iteration (a batch drawn, forward, backpropagation through time, clipping and
//! the optimizer's step) of each preset's runs: long-memory's RNN and LSTM (T = 50, H = 32,
//! batch 32, Adam) and exploding's clipped RNN (T = 20, SGD with momentum); and issue 20's
//! configuration (adding, T = 50, batch 32, Adam at 0.01, norm clipping at 1) for the RNN and
//! the LSTM at H = 32 and H = 128, which `benches/train_torch_speed.py` times in PyTorch.

#![allow(clippy::unwrap_used)] // tests and benchmarks may fail loudly

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dlscope::grad::Clip;
use dlscope::train::model::{
    Activation, Cell, MAX_ITERATIONS, Optimizer, Preset, RunConfig, Task, Trainer,
};

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

/// `dlscope train --task adding --cell C --steps 50 --hidden H --batch 32 --optimizer adam
/// --lr 0.01 --clip norm:1` (seed 1).
fn issue_config(cell: Cell, hidden: usize) -> RunConfig {
    RunConfig {
        task: Task::Adding,
        cell,
        activation: Activation::Tanh,
        steps: 50,
        hidden,
        batch: 32,
        iterations: MAX_ITERATIONS,
        optimizer: Optimizer::Adam,
        lr: 0.01,
        clip: Clip::Norm(1.0),
        rho: None,
        forget_bias: None,
        seed: 1,
    }
}

fn against_pytorch(c: &mut Criterion) {
    for (cell, name) in [(Cell::Rnn, "rnn"), (Cell::Lstm, "lstm")] {
        for hidden in [32, 128] {
            let id = format!("train_iteration_{name}_h{hidden}_b32_t50_adam");
            bench_run(c, &id, issue_config(cell, hidden));
        }
    }
}

criterion_group!(benches, presets, against_pytorch);
criterion_main!(benches);
