//! Batch norm, live (Problem 1(a) and 1(b)): a 3×3 convolution → `BatchNorm2d` → ReLU run on
//! batches of grey patches of the built-in camera image, with PyTorch's semantics.
//!
//! Train mode normalises each channel with the batch's own mean μ_B and biased variance σ²_B
//! over N·H·W values: y = γ·(x − μ_B)/√(σ²_B + ε) + β, then updates the running statistics
//! with momentum m = 0.1 as running ← (1 − m)·running + m·batch, using the *unbiased*
//! variance σ²_B·n/(n − 1) for `running_var`, and counts `num_batches_tracked`. Eval mode uses
//! the running statistics instead. A conv bias b shifts x and μ_B alike, so it cancels
//! exactly in train mode. In eval mode there are two what-ifs: taking b out of a trained
//! layer (its running statistics kept) shifts the output by b·γ/√(running_var + ε); a layer
//! trained from the start without b, on the same k batches, has a running_mean lower by
//! (1 − (1 − m)^k)·b, so the two differ by only (1 − m)^k·b·γ/√(running_var + ε). With one
//! value per channel (N·H·W = 1) the variance is undefined and PyTorch refuses to train.
//!
//! Arithmetic is f64; no terminal here.

use std::fmt;

use ndarray::{Array1, Array2, Array3, Array4, ArrayView2, ArrayView4, Axis};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::lowrank::input::{Builtin, InputError, Source, load};

/// Output channels of the convolution.
pub const CHANNELS: usize = 4;
/// Side of the square kernel (padding 1, stride 1: outputs keep the patch size).
pub const KERNEL: usize = 3;
/// PyTorch's default `BatchNorm2d(momentum=0.1)`.
pub const MOMENTUM: f64 = 0.1;
/// PyTorch's default `BatchNorm2d(eps=1e-5)`.
pub const EPS: f64 = 1e-5;
/// Seed of the conv weights and of the patch positions.
pub const SEED: u64 = 2024;
/// The batch sizes whose statistics the panel compares.
pub const SPREAD_BATCHES: [usize; 4] = [1, 2, 8, 32];

/// A batch the layer cannot run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BnError {
    /// Train mode with N·H·W = 1: PyTorch's `ValueError` from `F.batch_norm`.
    OneValuePerChannel { input_size: [usize; 4] },
    /// A batch of zero patches or a zero-sized patch.
    Empty,
    /// The patch does not fit in the image.
    PatchTooLarge { side: usize, image: (usize, usize) },
}

impl fmt::Display for BnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BnError::OneValuePerChannel {
                input_size: [n, c, h, w],
            } => write!(
                f,
                "Expected more than 1 value per channel when training, got input size torch.Size([{n}, {c}, {h}, {w}])"
            ),
            BnError::Empty => f.write_str("a batch needs at least one patch of at least 1×1"),
            BnError::PatchTooLarge { side, image } => write!(
                f,
                "a {side}×{side} patch does not fit in the {}×{} image",
                image.0, image.1
            ),
        }
    }
}

impl std::error::Error for BnError {}

/// The camera image as grey levels in [0, 1] (512×512).
pub fn camera() -> Result<Array2<f64>, InputError> {
    load(&Source::Builtin(Builtin::Camera), 1024).map(|loaded| loaded.matrix)
}

/// `count` patches of `side`×`side` at seeded positions: an N×1×side×side batch.
pub fn patches(
    image: ArrayView2<f64>,
    count: usize,
    side: usize,
    seed: u64,
) -> Result<Array4<f64>, BnError> {
    let (rows, cols) = image.dim();
    if count == 0 || side == 0 {
        return Err(BnError::Empty);
    }
    if side > rows || side > cols {
        return Err(BnError::PatchTooLarge {
            side,
            image: (rows, cols),
        });
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut batch = Array4::zeros((count, 1, side, side));
    for n in 0..count {
        let top = rng.random_range(0..=rows - side);
        let left = rng.random_range(0..=cols - side);
        let patch = image.slice(ndarray::s![top..top + side, left..left + side]);
        batch.slice_mut(ndarray::s![n, 0, .., ..]).assign(&patch);
    }
    Ok(batch)
}

/// Per-channel statistics of one batch (N·H·W values per channel).
#[derive(Debug, Clone, PartialEq)]
pub struct BatchStats {
    /// Values per channel, N·H·W.
    pub count: usize,
    pub mean: Array1<f64>,
    /// Biased: Σ(x − μ)²/n, what train mode normalises with.
    pub var: Array1<f64>,
    /// Unbiased: Σ(x − μ)²/(n − 1), what `running_var` is updated with.
    pub var_unbiased: Array1<f64>,
}

/// Mean, biased and unbiased variance per channel of an N×C×H×W batch; errors as PyTorch's
/// train mode does when a channel has one value.
pub fn batch_stats(x: ArrayView4<f64>) -> Result<BatchStats, BnError> {
    let (n, c, h, w) = x.dim();
    let count = n * h * w;
    if count == 0 || c == 0 {
        return Err(BnError::Empty);
    }
    if count == 1 {
        return Err(BnError::OneValuePerChannel {
            input_size: [n, c, h, w],
        });
    }
    let mut mean = Array1::zeros(c);
    let mut var = Array1::zeros(c);
    for (ch, lane) in x.axis_iter(Axis(1)).enumerate() {
        let mu = lane.sum() / count as f64;
        mean[ch] = mu;
        var[ch] = lane.fold(0.0, |acc, &v| acc + (v - mu) * (v - mu)) / count as f64;
    }
    let var_unbiased = &var * (count as f64 / (count - 1) as f64);
    Ok(BatchStats {
        count,
        mean,
        var,
        var_unbiased,
    })
}

/// Conv 3×3 (1 → [`CHANNELS`], padding 1) → `BatchNorm2d` → ReLU, with PyTorch's state.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvBnRelu {
    /// C × 3 × 3 (one input channel).
    pub weight: Array3<f64>,
    /// The conv bias (zeros when the conv has none, as `bias=False`).
    pub bias: Array1<f64>,
    /// BN scale γ (PyTorch initialises it to 1).
    pub gamma: Array1<f64>,
    /// BN shift β (initialised to 0).
    pub beta: Array1<f64>,
    /// Initialised to 0.
    pub running_mean: Array1<f64>,
    /// Initialised to 1.
    pub running_var: Array1<f64>,
    pub num_batches_tracked: u64,
}

/// Outputs of one forward pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Forward {
    /// The conv's output, N×C×H×W.
    pub conv: Array4<f64>,
    /// The batch norm's output (before the ReLU).
    pub normalized: Array4<f64>,
    /// After the ReLU.
    pub output: Array4<f64>,
}

impl ConvBnRelu {
    /// Seeded weights drawn as PyTorch's default init draws them (uniform in ±1/√fan_in,
    /// fan_in = 9), the bias too when `conv_bias` (else zeros); γ = 1, β = 0, fresh running
    /// statistics.
    pub fn new(seed: u64, conv_bias: bool) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let bound = 1.0 / ((KERNEL * KERNEL) as f64).sqrt();
        let weight = Array3::from_shape_simple_fn((CHANNELS, KERNEL, KERNEL), || {
            rng.random_range(-bound..bound)
        });
        let bias = Array1::from_shape_simple_fn(CHANNELS, || {
            if conv_bias {
                rng.random_range(-bound..bound)
            } else {
                0.0
            }
        });
        ConvBnRelu {
            weight,
            bias,
            gamma: Array1::ones(CHANNELS),
            beta: Array1::zeros(CHANNELS),
            running_mean: Array1::zeros(CHANNELS),
            running_var: Array1::ones(CHANNELS),
            num_batches_tracked: 0,
        }
    }

    /// The convolution: out[n, c, i, j] = b_c + Σ_{di,dj} w[c, di, dj]·x[n, 0, i+di−1, j+dj−1]
    /// (zero padding), for the first input channel of `x`.
    pub fn conv(&self, x: ArrayView4<f64>) -> Array4<f64> {
        let (n, _, h, w) = x.dim();
        let channels = self.weight.len_of(Axis(0));
        let mut out = Array4::zeros((n, channels, h, w));
        for ((b, c, i, j), v) in out.indexed_iter_mut() {
            let mut sum = self.bias[c];
            for di in 0..KERNEL {
                for dj in 0..KERNEL {
                    let (Some(y), Some(xx)) = ((i + di).checked_sub(1), (j + dj).checked_sub(1))
                    else {
                        continue;
                    };
                    if y < h && xx < w {
                        sum += self.weight[[c, di, dj]] * x[[b, 0, y, xx]];
                    }
                }
            }
            *v = sum;
        }
        out
    }

    /// γ·(x − mean)/√(var + ε) + β per channel, then the ReLU.
    fn normalize(&self, conv: Array4<f64>, mean: &Array1<f64>, var: &Array1<f64>) -> Forward {
        let mut normalized = conv.clone();
        for (c, mut lane) in normalized.axis_iter_mut(Axis(1)).enumerate() {
            let scale = self.gamma[c] / (var[c] + EPS).sqrt();
            lane.mapv_inplace(|v| (v - mean[c]) * scale + self.beta[c]);
        }
        let output = normalized.mapv(|v| v.max(0.0));
        Forward {
            conv,
            normalized,
            output,
        }
    }

    /// `model.train()` forward: normalise with the batch statistics, then update the running
    /// statistics (momentum 0.1, unbiased variance) and `num_batches_tracked`. On error the
    /// state is unchanged, as in PyTorch, which raises before touching it.
    pub fn train_step(&mut self, x: ArrayView4<f64>) -> Result<(Forward, BatchStats), BnError> {
        let conv = self.conv(x);
        let stats = batch_stats(conv.view())?;
        let forward = self.normalize(conv, &stats.mean, &stats.var);
        self.running_mean = &self.running_mean * (1.0 - MOMENTUM) + &stats.mean * MOMENTUM;
        self.running_var = &self.running_var * (1.0 - MOMENTUM) + &stats.var_unbiased * MOMENTUM;
        self.num_batches_tracked += 1;
        Ok((forward, stats))
    }

    /// Train-mode output without updating anything (what the same batch gives in train mode).
    pub fn train_forward(&self, x: ArrayView4<f64>) -> Result<Forward, BnError> {
        let conv = self.conv(x);
        let stats = batch_stats(conv.view())?;
        Ok(self.normalize(conv, &stats.mean, &stats.var))
    }

    /// `model.eval()` forward: normalise with the running statistics; any batch size works.
    pub fn eval_forward(&self, x: ArrayView4<f64>) -> Forward {
        let conv = self.conv(x);
        self.normalize(conv, &self.running_mean, &self.running_var)
    }
}

/// How much the batch mean and variance wander from batch to batch at one batch size.
#[derive(Debug, Clone, PartialEq)]
pub struct Spread {
    /// Patches per batch.
    pub batch: usize,
    /// Per channel: standard deviation (population) of the batch mean over the batches.
    pub mean_std: Array1<f64>,
    /// Per channel: standard deviation of the biased batch variance over the batches.
    pub var_std: Array1<f64>,
}

/// For each batch size: `batches` batches (batch k drawn with seed `seed + k`), the spread
/// of their per-channel statistics under `model`'s conv.
pub fn batch_size_spread(
    model: &ConvBnRelu,
    image: ArrayView2<f64>,
    sizes: &[usize],
    batches: usize,
    side: usize,
    seed: u64,
) -> Result<Vec<Spread>, BnError> {
    sizes
        .iter()
        .map(|&batch| {
            let mut means = Array2::zeros((batches, CHANNELS));
            let mut vars = Array2::zeros((batches, CHANNELS));
            for k in 0..batches {
                let x = patches(image, batch, side, seed.wrapping_add(k as u64))?;
                let stats = batch_stats(model.conv(x.view()).view())?;
                means.row_mut(k).assign(&stats.mean);
                vars.row_mut(k).assign(&stats.var);
            }
            Ok(Spread {
                batch,
                mean_std: means.std_axis(Axis(0), 0.0),
                var_std: vars.std_axis(Axis(0), 0.0),
            })
        })
        .collect()
}

/// The conv bias in numbers: the same layer and running statistics with and without it.
#[derive(Debug, Clone, PartialEq)]
pub struct BiasEffect {
    /// The bias added to each channel.
    pub bias: Array1<f64>,
    /// Largest |difference| of the train-mode batch-norm outputs (0 up to rounding).
    pub train_max_difference: f64,
    /// Per channel: the eval-mode batch-norm output's shift, measured (largest |difference|
    /// from the predicted value is [`BiasEffect::eval_prediction_error`]).
    pub eval_shift: Array1<f64>,
    /// Per channel: b·γ/√(running_var + ε).
    pub predicted_shift: Array1<f64>,
    /// Largest |measured − predicted| over every eval-mode output value.
    pub eval_prediction_error: f64,
}

/// Runs `x` through `model` as it is (its own bias) and with `bias` added to the conv's,
/// in train mode (batch statistics, nothing updated) and eval mode (the same running
/// statistics for both).
pub fn bias_effect(
    model: &ConvBnRelu,
    bias: &Array1<f64>,
    x: ArrayView4<f64>,
) -> Result<BiasEffect, BnError> {
    let mut biased = model.clone();
    biased.bias = &model.bias + bias;
    let plain_train = model.train_forward(x)?;
    let biased_train = biased.train_forward(x)?;
    let train_max_difference =
        max_abs_difference(&plain_train.normalized, &biased_train.normalized);
    let plain_eval = model.eval_forward(x);
    let biased_eval = biased.eval_forward(x);
    let predicted_shift = Array1::from_shape_fn(CHANNELS, |c| {
        bias[c] * model.gamma[c] / (model.running_var[c] + EPS).sqrt()
    });
    let difference = &biased_eval.normalized - &plain_eval.normalized;
    let eval_shift = difference
        .mean_axis(Axis(0))
        .and_then(|m| m.mean_axis(Axis(1)))
        .and_then(|m| m.mean_axis(Axis(1)))
        .unwrap_or_else(|| Array1::zeros(CHANNELS));
    let eval_prediction_error = difference
        .axis_iter(Axis(1))
        .enumerate()
        .flat_map(|(c, lane)| {
            let shift = predicted_shift[c];
            lane.iter()
                .map(move |&d| (d - shift).abs())
                .collect::<Vec<_>>()
        })
        .fold(0.0, f64::max);
    Ok(BiasEffect {
        bias: bias.clone(),
        train_max_difference,
        eval_shift,
        predicted_shift,
        eval_prediction_error,
    })
}

fn max_abs_difference(a: &Array4<f64>, b: &Array4<f64>) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// What the panel shows, for one setting of its knobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveConfig {
    /// Patches per batch.
    pub batch: usize,
    /// Side of each patch in pixels.
    pub side: usize,
    /// Training steps taken (one fresh batch each) before the snapshot.
    pub steps: usize,
    /// Give the conv a (seeded) bias.
    pub conv_bias: bool,
    /// Batches per batch size in the spread table.
    pub spread_batches: usize,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            batch: 8,
            side: 8,
            steps: 10,
            conv_bias: false,
            spread_batches: 20,
        }
    }
}

/// The running statistics after one training step.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub stats: BatchStats,
    pub running_mean: Array1<f64>,
    pub running_var: Array1<f64>,
    pub num_batches_tracked: u64,
}

/// The conv bias against a layer trained from the start without it: two layers with the same
/// weights, one with the conv bias b and one without, fed the same k batches in train mode,
/// each keeping its own running statistics; then both run the same batch in eval mode.
///
/// Each batch's mean moves by b, so after k batches running_mean has moved by
/// Σ_j m·(1 − m)^(k−1−j)·b = (1 − (1 − m)^k)·b (from 0); the running variances agree (a shift
/// leaves a variance as it is); so the eval outputs differ by (1 − m)^k·b·γ/√(running_var + ε).
#[derive(Debug, Clone, PartialEq)]
pub struct FromStart {
    /// Batches both layers were fed, k.
    pub batches: u64,
    /// (1 − m)^k: the share of b·γ/√(running_var + ε) that is left.
    pub remaining: f64,
    /// Per channel: running_mean with b minus running_mean without, measured.
    pub absorbed: Array1<f64>,
    /// Per channel: (1 − (1 − m)^k)·b.
    pub absorbed_predicted: Array1<f64>,
    /// Per channel: the eval-mode BN output with b minus without, measured (mean over the
    /// channel's values).
    pub eval_shift: Array1<f64>,
    /// Per channel: (1 − m)^k·b·γ/√(running_var + ε), with the layer with b's running_var.
    pub predicted_shift: Array1<f64>,
    /// Largest |measured − predicted| over every eval-mode output value and every channel of
    /// running_mean.
    pub prediction_error: f64,
}

/// (1 − m)^k with m = [`MOMENTUM`]: what is left of a shift of every batch mean after k batches.
pub fn remaining_after(batches: u64) -> f64 {
    (1.0 - MOMENTUM).powi(i32::try_from(batches).unwrap_or(i32::MAX))
}

/// Compares `with_b` and `without_b` (same weights, same batches fed, the conv bias the only
/// difference) in eval mode on `x`; see [`FromStart`].
pub fn from_start(with_b: &ConvBnRelu, without_b: &ConvBnRelu, x: ArrayView4<f64>) -> FromStart {
    let bias = &with_b.bias - &without_b.bias;
    let batches = with_b.num_batches_tracked;
    let remaining = remaining_after(batches);
    let absorbed = &with_b.running_mean - &without_b.running_mean;
    let absorbed_predicted = &bias * (1.0 - remaining);
    let predicted_shift = Array1::from_shape_fn(CHANNELS, |c| {
        remaining * bias[c] * with_b.gamma[c] / (with_b.running_var[c] + EPS).sqrt()
    });
    let difference = &with_b.eval_forward(x).normalized - &without_b.eval_forward(x).normalized;
    let (eval_shift, eval_error) = per_channel(&difference, &predicted_shift);
    let absorbed_error = (&absorbed - &absorbed_predicted)
        .iter()
        .fold(0.0, |m: f64, d| m.max(d.abs()));
    FromStart {
        batches,
        remaining,
        absorbed,
        absorbed_predicted,
        eval_shift,
        predicted_shift,
        prediction_error: eval_error.max(absorbed_error),
    }
}

/// Per channel, the mean of `difference`; and the largest |difference − predicted| over
/// every value.
fn per_channel(difference: &Array4<f64>, predicted: &Array1<f64>) -> (Array1<f64>, f64) {
    let mean = Array1::from_shape_fn(CHANNELS, |c| {
        difference.index_axis(Axis(1), c).mean().unwrap_or(0.0)
    });
    let error = difference
        .axis_iter(Axis(1))
        .enumerate()
        .flat_map(|(c, lane)| {
            let p = predicted[c];
            lane.iter().map(move |&d| (d - p).abs()).collect::<Vec<_>>()
        })
        .fold(0.0, f64::max);
    (mean, error)
}

/// What the spread table shows, in facts: for every channel, does the spread of μ_B fall at
/// every larger batch size, and are both spreads smallest at the largest batch size?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpreadFacts {
    pub mean_falls: bool,
    pub smallest_at_largest: bool,
}

/// The facts of `spread` (batch sizes in any order).
pub fn spread_facts(spread: &[Spread]) -> SpreadFacts {
    let mut sorted: Vec<&Spread> = spread.iter().collect();
    sorted.sort_by_key(|s| s.batch);
    let mean_falls = !sorted.is_empty()
        && sorted.windows(2).all(|w| {
            w[0].mean_std
                .iter()
                .zip(&w[1].mean_std)
                .all(|(small, large)| large < small)
        });
    let smallest_at_largest = sorted.last().is_some_and(|largest| {
        sorted.iter().all(|s| {
            (0..CHANNELS)
                .all(|c| largest.mean_std[c] <= s.mean_std[c] && largest.var_std[c] <= s.var_std[c])
        })
    });
    SpreadFacts {
        mean_falls,
        smallest_at_largest,
    }
}

/// Everything the panel draws.
#[derive(Debug, Clone, PartialEq)]
pub struct Live {
    /// The layer after the training steps.
    pub model: ConvBnRelu,
    /// One entry per training step, oldest first.
    pub steps: Vec<Step>,
    /// The last batch through the layer in train mode (its own statistics)…
    pub train: Forward,
    /// …and the same batch in eval mode (the running statistics).
    pub eval: Forward,
    /// Statistics of that last batch.
    pub last: BatchStats,
    /// Batch-to-batch spread at [`SPREAD_BATCHES`].
    pub spread: Vec<Spread>,
    /// The conv bias (the seeded one, or one drawn for the what-if when the conv has none),
    /// taken out of or put into this layer after its training, running statistics kept.
    pub bias: BiasEffect,
    /// The same b against a layer trained from the start with the other setting of the bias.
    pub from_start: FromStart,
}

/// Batch `k` of a run of `cfg` on `image` (seed [`SEED`] + k), as [`live`] draws it.
pub fn run_batch(
    image: ArrayView2<f64>,
    cfg: &LiveConfig,
    k: usize,
) -> Result<Array4<f64>, BnError> {
    patches(image, cfg.batch, cfg.side, SEED.wrapping_add(k as u64))
}

/// What eval mode makes of the first batch of a run, through the fresh layer: the output the
/// panel shows beside PyTorch's refusal when train mode cannot take that batch.
pub fn first_batch_in_eval(image: ArrayView2<f64>, cfg: &LiveConfig) -> Result<Forward, BnError> {
    let x = run_batch(image, cfg, 0)?;
    Ok(ConvBnRelu::new(SEED, cfg.conv_bias).eval_forward(x.view()))
}

/// A layer trained on the batches of a run, and what it recorded.
struct Run {
    model: ConvBnRelu,
    steps: Vec<Step>,
    /// The last batch, its train-mode output and its statistics.
    x: Array4<f64>,
    train: Forward,
    last: BatchStats,
}

/// Trains a fresh layer (with the conv bias or not) `steps` steps (at least one), step k on
/// [`run_batch`] k.
fn train_run(image: ArrayView2<f64>, cfg: &LiveConfig, conv_bias: bool) -> Result<Run, BnError> {
    let mut model = ConvBnRelu::new(SEED, conv_bias);
    let mut steps = Vec::with_capacity(cfg.steps.max(1));
    let mut last = None;
    for k in 0..cfg.steps.max(1) {
        let x = run_batch(image, cfg, k)?;
        let (train, stats) = model.train_step(x.view())?;
        steps.push(Step {
            stats: stats.clone(),
            running_mean: model.running_mean.clone(),
            running_var: model.running_var.clone(),
            num_batches_tracked: model.num_batches_tracked,
        });
        last = Some((x, train, stats));
    }
    let (x, train, last) = last.ok_or(BnError::Empty)?;
    Ok(Run {
        model,
        steps,
        x,
        train,
        last,
    })
}

/// Trains the layer `steps` steps on batches of `image` (step k uses [`run_batch`] k) and
/// gathers every figure of the panel; the layer with the other setting of the conv bias is
/// trained on the same batches for [`Live::from_start`]. `steps` = 0 still runs the last batch
/// (one step).
pub fn live(image: ArrayView2<f64>, cfg: &LiveConfig) -> Result<Live, BnError> {
    let run = train_run(image, cfg, cfg.conv_bias)?;
    let other = train_run(image, cfg, !cfg.conv_bias)?;
    let Run {
        model,
        steps,
        x,
        train,
        last,
    } = run;
    let eval = model.eval_forward(x.view());
    let spread = batch_size_spread(
        &model,
        image,
        &SPREAD_BATCHES,
        cfg.spread_batches,
        cfg.side,
        SEED.wrapping_mul(31),
    )?;
    let what_if = if cfg.conv_bias {
        model.bias.clone()
    } else {
        ConvBnRelu::new(SEED, true).bias
    };
    let plain = ConvBnRelu {
        bias: Array1::zeros(CHANNELS),
        ..model.clone()
    };
    let bias = bias_effect(&plain, &what_if, x.view())?;
    let (with_b, without_b) = if cfg.conv_bias {
        (&model, &other.model)
    } else {
        (&other.model, &model)
    };
    let from_start = from_start(with_b, without_b, x.view());
    Ok(Live {
        model,
        steps,
        train,
        eval,
        last,
        spread,
        bias,
        from_start,
    })
}

#[cfg(test)]
mod tests;
