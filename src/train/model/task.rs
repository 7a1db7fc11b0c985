//! The tasks that need memory, drawn batch by batch from a seeded stream.

use rand::Rng;
use rand::rngs::StdRng;

/// What the network is trained to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    /// Two channels: a value uniform in [0, 1) and a marker that is 1 at one step of the
    /// first half and one step of the second half; the target is the sum of the two marked
    /// values (Le, Jaitly & Hinton 2015, after Hochreiter & Schmidhuber 1997). Mean squared
    /// error.
    Adding,
    /// K + 1 channels: at t = 0 a symbol out of K, one-hot in channels 0 … K−1; at every later
    /// step the blank channel K is 1; the target is the symbol. Cross-entropy.
    Recall { classes: usize },
}

impl Task {
    pub fn name(self) -> &'static str {
        match self {
            Task::Adding => "adding",
            Task::Recall { .. } => "recall",
        }
    }

    /// Input channels I.
    pub fn inputs(self) -> usize {
        match self {
            Task::Adding => 2,
            Task::Recall { classes } => classes + 1,
        }
    }

    /// Outputs of the head: 1 for adding, K for recall.
    pub fn outputs(self) -> usize {
        match self {
            Task::Adding => 1,
            Task::Recall { classes } => classes,
        }
    }

    /// The loss of the best input-blind prediction: predicting the mean 1 of a sum of two
    /// uniforms leaves its variance 2 · 1/12 = 1/6; predicting every class with probability
    /// 1/K costs ln K.
    pub fn baseline_loss(self) -> f64 {
        match self {
            Task::Adding => 1.0 / 6.0,
            Task::Recall { classes } => (classes as f64).ln(),
        }
    }

    /// Draws one batch of `batch` sequences of `steps` steps. Per sequence, adding draws the
    /// T values in order, then the marked step of the first half (uniform in 0 … ⌊T/2⌋−1),
    /// then that of the second half (⌊T/2⌋ … T−1); recall draws the symbol. `steps` ≥ 2 for
    /// adding, ≥ 1 for recall (checked by the configuration).
    pub fn batch(self, rng: &mut StdRng, batch: usize, steps: usize) -> Batch {
        let input = self.inputs();
        let mut inputs = vec![0.0; batch * steps * input];
        let targets = match self {
            Task::Adding => {
                let half = steps / 2;
                let mut sums = Vec::with_capacity(batch);
                for n in 0..batch {
                    let seq = &mut inputs[n * steps * input..(n + 1) * steps * input];
                    for t in 0..steps {
                        seq[t * input] = rng.random::<f64>();
                    }
                    let first = rng.random_range(0..half.max(1));
                    let second = rng.random_range(half..steps);
                    seq[first * input + 1] = 1.0;
                    seq[second * input + 1] = 1.0;
                    sums.push(seq[first * input] + seq[second * input]);
                }
                Targets::Values(sums)
            }
            Task::Recall { classes } => {
                let mut symbols = Vec::with_capacity(batch);
                for n in 0..batch {
                    let seq = &mut inputs[n * steps * input..(n + 1) * steps * input];
                    let symbol = rng.random_range(0..classes);
                    seq[symbol] = 1.0;
                    for t in 1..steps {
                        seq[t * input + classes] = 1.0;
                    }
                    symbols.push(symbol);
                }
                Targets::Classes(symbols)
            }
        };
        Batch {
            batch,
            steps,
            input,
            inputs,
            targets,
        }
    }
}

/// What the network should output for each sequence of a batch.
#[derive(Clone, Debug, PartialEq)]
pub enum Targets {
    /// Regression targets (adding).
    Values(Vec<f64>),
    /// Class indices (recall).
    Classes(Vec<usize>),
}

/// One batch, batch-first: `inputs[(n·T + t)·I + i]` is channel i of sequence n at step t.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    pub batch: usize,
    pub steps: usize,
    pub input: usize,
    pub inputs: Vec<f64>,
    pub targets: Targets,
}
