//! What a BatchNorm2d computes on one channel in train and eval mode, how it keeps its running
//! statistics, and what each batch norm of the network feeds (a ReLU or the residual sum).
//!
//! A channel is a slice of values: one conv output channel over the batch and all positions.
//! Defaults are PyTorch's: ε = 1e-5, momentum 0.1, running_mean 0 and running_var 1 at start.

use super::network::{ModuleKind, Network, SequentialRole};

/// PyTorch's default `eps`.
pub const EPS: f64 = 1e-5;
/// PyTorch's default `momentum`: new = (1 − momentum)·old + momentum·batch value.
pub const MOMENTUM: f64 = 0.1;

/// The learned scale γ (`weight`) and shift β (`bias`) of one channel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    pub gamma: f64,
    pub beta: f64,
}

impl Default for Affine {
    /// PyTorch's initialisation: γ = 1, β = 0.
    fn default() -> Self {
        Affine {
            gamma: 1.0,
            beta: 0.0,
        }
    }
}

/// The buffers of one channel: `running_mean`, `running_var`, and the layer's
/// `num_batches_tracked`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunningStats {
    pub mean: f64,
    pub var: f64,
    pub num_batches_tracked: u64,
}

impl Default for RunningStats {
    /// PyTorch's initialisation: mean 0, variance 1, no batch seen.
    fn default() -> Self {
        RunningStats {
            mean: 0.0,
            var: 1.0,
            num_batches_tracked: 0,
        }
    }
}

/// The batch's mean, its biased variance (divided by n, used to normalise) and its unbiased
/// variance (divided by n − 1, stored in running_var; equal to the biased one when n < 2).
pub fn batch_statistics(x: &[f64]) -> (f64, f64, f64) {
    if x.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let biased = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let unbiased = if x.len() > 1 {
        biased * n / (n - 1.0)
    } else {
        biased
    };
    (mean, biased, unbiased)
}

/// `model.train()`: y = γ·(x − μ_B)/√(σ²_B + ε) + β with the batch's own mean and biased
/// variance; then running_mean ← (1 − m)·running_mean + m·μ_B, running_var ← (1 − m)·running_var
/// + m·σ²_B·n/(n − 1) with m = [`MOMENTUM`], and num_batches_tracked grows by one.
pub fn train_forward(x: &[f64], affine: Affine, stats: &mut RunningStats) -> Vec<f64> {
    let (mean, biased, unbiased) = batch_statistics(x);
    stats.mean = (1.0 - MOMENTUM) * stats.mean + MOMENTUM * mean;
    stats.var = (1.0 - MOMENTUM) * stats.var + MOMENTUM * unbiased;
    stats.num_batches_tracked = stats.num_batches_tracked.saturating_add(1);
    normalise(x, affine, mean, biased)
}

/// `model.eval()`: y = γ·(x − running_mean)/√(running_var + ε) + β; the batch plays no part.
pub fn eval_forward(x: &[f64], affine: Affine, stats: &RunningStats) -> Vec<f64> {
    normalise(x, affine, stats.mean, stats.var)
}

fn normalise(x: &[f64], affine: Affine, mean: f64, var: f64) -> Vec<f64> {
    let scale = affine.gamma / (var + EPS).sqrt();
    x.iter().map(|v| (v - mean) * scale + affine.beta).collect()
}

/// What a batch norm's output goes into, read from where it sits in the module tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BnFeeds {
    /// A ReLU comes next (the stem's bn1, and every block's BNs but its last).
    Relu,
    /// The block's last BN: its output is added to the shortcut; the ReLU acts on the sum.
    ResidualSum,
    /// The shortcut's BN (`downsample.1`): its output is the other term of the residual sum.
    Shortcut,
}

/// What the batch norm at `index` feeds; `None` when that module is not a batch norm.
pub fn feeds(net: &Network, index: usize) -> Option<BnFeeds> {
    let module = net.modules.get(index)?;
    if !matches!(module.kind, ModuleKind::BatchNorm2d { .. }) {
        return None;
    }
    let Some(parent) = module.parent else {
        // The stem: conv1, bn1, relu, maxpool.
        return Some(BnFeeds::Relu);
    };
    match net.modules[parent].kind {
        ModuleKind::Sequential(SequentialRole::Shortcut) => Some(BnFeeds::Shortcut),
        _ => {
            // In a block the BNs run in order; the last one's output meets the shortcut.
            let last_bn = net.modules[parent]
                .children
                .iter()
                .rev()
                .find(|&&c| matches!(net.modules[c].kind, ModuleKind::BatchNorm2d { .. }));
            Some(if last_bn == Some(&index) {
                BnFeeds::ResidualSum
            } else {
                BnFeeds::Relu
            })
        }
    }
}

/// How many times the ReLU at `index` runs in one forward pass: once per batch norm of its
/// block that feeds it, plus once after the residual sum; once in the stem.
pub fn relu_calls(net: &Network, index: usize) -> usize {
    let Some(module) = net.modules.get(index) else {
        return 0;
    };
    match module.parent {
        None => 1,
        Some(block) => {
            let before_sum = net.modules[block]
                .children
                .iter()
                .filter(|&&c| feeds(net, c) == Some(BnFeeds::Relu))
                .count();
            before_sum + 1
        }
    }
}
