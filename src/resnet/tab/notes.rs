//! The prose beside the module tree and in the panels: what a module does, why it sits where
//! it does, and how it behaves in train and eval mode (Problems 1a, 1b, 1d). Every sentence
//! that depends on the module (its stride, its shapes, its channels, what its batch norm feeds,
//! how often its ReLU runs) is written from the network, and every sentence that claims a
//! mechanism is chosen from facts the model computes, so it is shown only where it holds.
//!
//! Which test guards which sentence: [`GUARDS`].

use crate::numfmt::general;
use crate::resnet::model::batchnorm::{self, BnFeeds};
use crate::resnet::model::cost::{Cost, Costs};
use crate::resnet::model::{ConvRole, ConvSpec, Mode, ModuleKind, Network, SequentialRole};

/// Sentence (its start) → the test that computes its counterfactual over the tab's settings
/// and fails if the sentence is shown where its claim does not hold. `network` is
/// `resnet::tab::notes::tests::claims_sweep_over_the_network` (arch × input size × conv bias ×
/// mode × batch × frozen stem); `panel` is
/// `resnet::tab::bn_live::tests::claims_sweep_over_the_batch_norm_panel` (conv bias ×
/// batches fed × mode × batch shape).
#[cfg_attr(not(test), allow(dead_code))] // read by the tests, which keep it true
pub const GUARDS: &[(&str, &str)] = &[
    ("The stem: … times fewer positions", "network"),
    (
        "This one strides by … (halving height and width)",
        "network",
    ),
    (
        "A 1×1 convolution that narrows … / keeps …; later blocks narrow",
        "network",
    ),
    (
        "… before the 3×3 conv, which takes … times its MACs",
        "network",
    ),
    (
        "Its output is added to the shortcut, so its shape must match",
        "network",
    ),
    (
        "When a block changes resolution or channel count … projection",
        "network",
    ),
    ("ReLU … runs N times per forward pass", "network"),
    (
        "Max pooling … about a quarter of its height and of its width",
        "network",
    ),
    (
        "A stage: N residual blocks …; its first block strides/keeps",
        "network",
    ),
    (
        "The projection shortcut … exists only where a block changes shape",
        "network",
    ),
    (
        "A bottleneck block: a 1×1 conv narrows/keeps … widens to 4×",
        "network",
    ),
    (
        "Averages each channel … the classifier receives C numbers",
        "network",
    ),
    (
        "The classifier … changing the number of classes changes only",
        "network",
    ),
    ("… its bias is the only bias outside batch norm", "network"),
    (
        "Batch norm … feeds a ReLU / the residual sum / the shortcut",
        "network",
    ),
    (
        "… a conv bias before it is cancelled in train mode",
        "panel",
    ),
    (
        "Eval mode: … an image's output no longer depends on its batch",
        "panel",
    ),
    (
        "Only batch norm behaves differently in train and eval mode",
        "network",
    ),
    (
        "A conv bias b adds one constant per channel … (redundant-bias note)",
        "panel",
    ),
    (
        "Its bias (N) is redundant: in train mode … cancels it",
        "panel",
    ),
    (
        "Its bias (N) is redundant: in eval mode running_mean has taken in",
        "panel",
    ),
    (
        "Weight decay … γ is a scale … scale-invariant in train mode",
        "panel",
    ),
    (
        "… as counted above (not decayed = batch-norm + bias groups)",
        "network",
    ),
    (
        "FLOPs count … the stem conv computes none for its input",
        "network",
    ),
    (
        "Saved activations … the input image … in conv1's row",
        "network",
    ),
    (
        "PyTorch refuses this training step: … one value per channel",
        "network",
    ),
    (
        "Train mode: b moves every value and μ_B alike, so it cancels",
        "panel",
    ),
    (
        "Eval mode, same stats: taking b out, or putting b in",
        "panel",
    ),
    (
        "Eval mode, own stats: … (1−0.9^k)·b … 0.9^k·b·γ/√(running_var+ε)",
        "panel",
    ),
    (
        "Each batch fed … multiplies that difference by 0.9",
        "panel",
    ),
    ("Here the spread of μ_B falls at every larger N", "panel"),
    ("… both spreads are smallest at N = 32", "panel"),
    (
        "In eval mode a batch leaves running_mean … as they are",
        "panel",
    ),
    (
        "A variance needs two values … PyTorch raises … nothing is updated",
        "panel",
    ),
];

/// The largest difference the notes call rounding.
pub const ROUNDING: f64 = 1e-12;

/// What module `index` does and why it is where it is.
pub fn note(net: &Network, index: usize) -> String {
    let Some(module) = net.modules.get(index) else {
        return String::new();
    };
    match module.kind {
        ModuleKind::Conv2d(spec) => conv_note(net, index, &spec),
        ModuleKind::BatchNorm2d { .. } => batchnorm_note(batchnorm::feeds(net, index)),
        ModuleKind::ReLU => relu_note(batchnorm::relu_calls(net, index)),
        ModuleKind::MaxPool2d { kernel, stride, .. } => maxpool_note(net, index, kernel, stride),
        ModuleKind::Sequential(SequentialRole::Stage(_)) => stage_note(net, index),
        ModuleKind::Sequential(SequentialRole::Shortcut) => shortcut_note(net, index),
        ModuleKind::BasicBlock { .. } => BASIC_BLOCK_NOTE.to_string(),
        ModuleKind::Bottleneck { .. } => bottleneck_note(net, index),
        ModuleKind::AdaptiveAvgPool2d { .. } => avgpool_note(net, index),
        ModuleKind::Linear { .. } => classifier_note(net),
    }
}

/// `64×56×56` (or `[1000]` for a vector).
fn shape_text(shape: &[u64]) -> String {
    let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
    dims.join("×")
}

/// (H, W) of a C×H×W shape.
fn sides(shape: &[u64]) -> (u64, u64) {
    (
        shape.get(1).copied().unwrap_or(0),
        shape.get(2).copied().unwrap_or(0),
    )
}

/// Positions of the input per position of the output (H·W over H′·W′).
fn position_ratio(input: &[u64], output: &[u64]) -> f64 {
    let (h, w) = sides(input);
    let (ho, wo) = sides(output);
    // In floats: the products of two sides need not fit a u64 (below 2⁵³ they are exact).
    (h as f64 * w as f64) / (ho as f64 * wo as f64).max(1.0)
}

/// A ratio as the notes write it: whole numbers without decimals (`4`), others to 3 digits.
pub fn times(ratio: f64) -> String {
    if ratio.fract() == 0.0 && ratio.abs() < 1e15 {
        format!("{ratio:.0}")
    } else {
        general(ratio, 3)
    }
}

/// True when the output has exactly half the height and width of the input.
fn halves(input: &[u64], output: &[u64]) -> bool {
    let (h, w) = sides(input);
    let (ho, wo) = sides(output);
    ho.checked_mul(2) == Some(h) && wo.checked_mul(2) == Some(w)
}

/// A convolution, by its role in the network.
fn conv_note(net: &Network, index: usize, spec: &ConvSpec) -> String {
    let (cin, cout) = (spec.in_channels, spec.out_channels);
    let input = net.input_shape_of(index);
    let output = &net.modules[index].output_shape;
    let (from, to) = (shape_text(&input), shape_text(output));
    match spec.role {
        ConvRole::Stem => stem_note(spec, &input, output),
        ConvRole::Spatial => {
            let stride = if spec.stride > 1 {
                let half = if halves(&input, output) {
                    " (halving height and width)"
                } else {
                    ""
                };
                format!("This one strides by {}: {from} → {to}{half}.", spec.stride)
            } else {
                format!("This one keeps the resolution (stride 1), {cin}→{cout} channels.")
            };
            format!(
                "A 3×3 convolution: each output mixes a 3×3 neighbourhood across all \
                 input channels. {stride}"
            )
        }
        ConvRole::Reduce => reduce_note(net, index, cin, cout),
        ConvRole::Expand => format!(
            "A 1×1 convolution that widens the channels from {cin} to {cout}. Its output \
             is added to the shortcut, so its shape must match the shortcut's ({to})."
        ),
        ConvRole::Projection => format!(
            "The shortcut's 1×1 convolution ({cin}→{cout} channels, stride {}): {from} → {to}. \
             When a block changes resolution or channel count, its input can no longer be \
             added to its output as it is; this projection reshapes it so the sum is \
             defined.",
            spec.stride
        ),
    }
}

/// The stem conv, from the image's shape to its output's.
fn stem_note(spec: &ConvSpec, input: &[u64], output: &[u64]) -> String {
    let ratio = position_ratio(input, output);
    let fewer = if ratio > 1.0 {
        format!(
            ", {} times fewer positions for every later layer to work on",
            times(ratio)
        )
    } else {
        String::new()
    };
    format!(
        "The stem: a {k}×{k} convolution with stride {s} turns {cin} colour channels into \
         {cout} feature maps: {} → {}{fewer}. The big kernel sees a {k}×{k} patch of pixels \
         at once.",
        shape_text(input),
        shape_text(output),
        k = spec.kernel,
        s = spec.stride,
        cin = spec.in_channels,
        cout = spec.out_channels,
    )
}

/// The convs of module `block` (a residual block), by role.
fn block_conv(net: &Network, block: usize, role: ConvRole) -> Option<(usize, ConvSpec)> {
    net.modules[block]
        .children
        .iter()
        .find_map(|&c| match net.modules[c].kind {
            ModuleKind::Conv2d(spec) if spec.role == role => Some((c, spec)),
            _ => None,
        })
}

/// A bottleneck's first 1×1 conv: narrows or keeps the channels, and what the 3×3 costs.
fn reduce_note(net: &Network, index: usize, cin: u64, cout: u64) -> String {
    let later_narrow = net.modules[index + 1..].iter().any(|m| {
        matches!(m.kind, ModuleKind::Conv2d(s) if s.role == ConvRole::Reduce
            && s.in_channels > s.out_channels)
    });
    let what = if cin > cout {
        format!("narrows the channels from {cin} to {cout}")
    } else {
        let later = if later_narrow {
            "; later blocks narrow"
        } else {
            ""
        };
        format!(
            "keeps {cin} channels here ({cin}→{cout}): its input already has the block's width{later}"
        )
    };
    let own = net.modules[index].own_macs;
    let spatial = net.modules[index]
        .parent
        .and_then(|b| block_conv(net, b, ConvRole::Spatial))
        .map(|(c, _)| net.modules[c].own_macs);
    // The 3×3 conv's MACs over this conv's (`None` if either overflowed).
    let ratio = spatial
        .filter(|&macs| macs > own && !own.is_zero())
        .and_then(|macs| macs.share_of(own));
    let step = match ratio {
        Some(ratio) => format!(
            "before the 3×3 conv, which takes {} times its MACs",
            times(ratio)
        ),
        None => "before the 3×3 conv".to_string(),
    };
    format!(
        "A 1×1 convolution that {what}, {step}. It mixes channels at each pixel without \
         looking at neighbours."
    )
}

/// A ReLU that runs `calls` times per forward pass (once: the stem's).
fn relu_note(calls: usize) -> String {
    match calls {
        1 => "The stem's ReLU: it keeps positive values and zeroes the rest, once, on bn1's \
              output. It has no parameters and no state."
            .to_string(),
        calls => format!(
            "ReLU keeps positive values and zeroes the rest. One ReLU object serves its \
             whole block: it runs {calls} times per forward pass, the last after the \
             residual sum, so it is listed once. It has no parameters and no state."
        ),
    }
}

/// Whether `side` is within an eighth of four times `pooled`.
fn about_a_quarter(side: u64, pooled: u64) -> bool {
    let (side, pooled) = (u128::from(side), u128::from(pooled));
    (pooled * 4).abs_diff(side) * 8 <= side
}

/// The max pool after the stem, from its input's shape to its output's.
fn maxpool_note(net: &Network, index: usize, kernel: u64, stride: u64) -> String {
    let input = net.input_shape_of(index);
    let output = &net.modules[index].output_shape;
    let (h, w) = net.config.input_hw;
    let (ph, pw) = sides(output);
    let half = if halves(&input, output) {
        " halves the resolution again"
    } else {
        ""
    };
    let quarter = if about_a_quarter(h, ph) && about_a_quarter(w, pw) {
        let exact = if ph.checked_mul(4) == Some(h) && pw.checked_mul(4) == Some(w) {
            "a quarter"
        } else {
            "about a quarter"
        };
        format!(": {exact} of its height and of its width")
    } else {
        String::new()
    };
    format!(
        "Max pooling over {kernel}×{kernel} windows with stride {stride}{half}, right after \
         the stem: {} → {}. It keeps the strongest response in each window. layer1 thus \
         starts at {ph}×{pw} from a {h}×{w} input{quarter}.",
        shape_text(&input),
        shape_text(output)
    )
}

/// A stage: its blocks, its shapes, what its first block does, the blocks of every stage.
fn stage_note(net: &Network, index: usize) -> String {
    let stage = &net.modules[index];
    let input = net.input_shape_of(index);
    let blocks = stage.children.len();
    let first = stage.children.first().map(|&b| net.modules[b].kind);
    let opens = match first {
        Some(ModuleKind::BasicBlock { stride } | ModuleKind::Bottleneck { stride, .. })
            if stride > 1 =>
        {
            format!("its first block strides by {stride}")
        }
        _ => "its first block has stride 1".to_string(),
    };
    let counts: Vec<String> = net
        .top_level()
        .filter(|&i| {
            matches!(
                net.modules[i].kind,
                ModuleKind::Sequential(SequentialRole::Stage(_))
            )
        })
        .map(|i| net.modules[i].children.len().to_string())
        .collect();
    let noun = if blocks == 1 { "block" } else { "blocks" };
    format!(
        "A stage: {blocks} residual {noun}, {} → {}; {opens}, and the others keep the \
         shape. The stages of {} hold {} blocks; the deeper ResNets hold more.",
        shape_text(&input),
        shape_text(&stage.output_shape),
        net.config.arch.name(),
        counts.join(", ")
    )
}

/// The projection shortcut, with the block's input and output shapes.
fn shortcut_note(net: &Network, index: usize) -> String {
    format!(
        "The projection shortcut: a 1×1 convolution and a batch norm on the skip path, \
         here {} → {}. It exists only where a block changes shape; everywhere else the \
         block's input is added back unchanged.",
        shape_text(&net.input_shape_of(index)),
        shape_text(&net.modules[index].output_shape)
    )
}

const BASIC_BLOCK_NOTE: &str = "A basic residual block: two 3×3 conv + batch-norm pairs, and the \
     block's input (or its projection) is added to the result before the last ReLU.";

/// A bottleneck block, from its own convs.
fn bottleneck_note(net: &Network, index: usize) -> String {
    let spec = |role| block_conv(net, index, role).map(|(_, s)| s);
    let (Some(reduce), Some(spatial), Some(expand)) = (
        spec(ConvRole::Reduce),
        spec(ConvRole::Spatial),
        spec(ConvRole::Expand),
    ) else {
        return "A bottleneck block.".to_string();
    };
    let first = if reduce.in_channels > reduce.out_channels {
        format!(
            "narrows the channels from {} to {}",
            reduce.in_channels, reduce.out_channels
        )
    } else {
        format!("keeps {} channels", reduce.in_channels)
    };
    let width = spatial.out_channels;
    let times = expand.out_channels / width.max(1);
    format!(
        "A bottleneck block: a 1×1 conv {first}, a 3×3 conv works at that width ({width}, \
         stride {}), a 1×1 conv widens it {times}-fold to {}, and the input is added back \
         before the last ReLU. torchvision (v1.5) strides on the 3×3 conv, not the first \
         1×1.",
        spatial.stride, expand.out_channels
    )
}

/// The global pool: its input's positions and the vector it leaves.
fn avgpool_note(net: &Network, index: usize) -> String {
    let input = net.input_shape_of(index);
    let (h, w) = sides(&input);
    let c = input.first().copied().unwrap_or(0);
    format!(
        "Averages each channel over all {h}×{w} positions, leaving one number per channel: \
         whatever the input size, the classifier receives these {c} numbers."
    )
}

/// The classifier; the sentence on biases depends on the conv bias.
fn classifier_note(net: &Network) -> String {
    let bias = if net.conv_bias_params().is_zero() {
        "With torchvision's bias-free convs, its bias is the only bias outside batch norm."
            .to_string()
    } else {
        format!(
            "With the conv bias on, the convs add {} bias elements of their own.",
            net.conv_bias_params().grouped()
        )
    };
    format!(
        "The classifier: a fully connected layer from the pooled features to one score per \
         class. Changing the number of classes changes only this layer. {bias}"
    )
}

/// The batch-norm note, for what this batch norm feeds.
fn batchnorm_note(feeds: Option<BnFeeds>) -> String {
    let what = "Batch norm: normalises each channel (in train mode by the batch's own mean and \
                variance, in eval mode by the stored running statistics), then applies a \
                learned scale γ and shift β.";
    let place = match feeds {
        Some(BnFeeds::Relu) | None => {
            "This one feeds a ReLU. The homework's reasons for this order: normalised inputs \
             keep an activation out of saturation (which matters most for sigmoid and tanh), \
             and a conv bias before it is cancelled in train mode. At initialisation (γ = 1, \
             β = 0) the ReLU receives, in train mode, inputs of mean zero per channel. The \
             other order, ReLU then batch norm, is also used."
        }
        Some(BnFeeds::ResidualSum) => {
            "This one feeds the residual sum, not a ReLU: its output is added to the shortcut, \
             and the block's ReLU acts on the sum."
        }
        Some(BnFeeds::Shortcut) => {
            "This one sits on the shortcut: it normalises the 1×1 projection, and its output \
             goes straight into the residual sum with no ReLU of its own."
        }
    };
    format!("{what} {place}")
}

/// How a module behaves in `mode`, for the modules whose behaviour depends on it (BatchNorm2d
/// only: torchvision's ResNet has no dropout); `None` for all others.
pub fn mode_behaviour(kind: &ModuleKind, mode: Mode) -> Option<String> {
    if !kind.differs_between_train_and_eval() {
        return None;
    }
    let m = batchnorm::MOMENTUM;
    Some(match mode {
        Mode::Train => format!(
            "Train mode: normalises by this batch's own mean and variance, then updates the \
             buffers with momentum {m}: running_mean ← {keep}·running_mean + {m}·batch mean, \
             running_var ← {keep}·running_var + {m}·batch variance (unbiased, n/(n−1)), and \
             num_batches_tracked grows by 1.",
            keep = 1.0 - m
        ),
        Mode::Eval => "Eval mode: normalises by the stored running_mean and running_var, so an \
                       image's output no longer depends on its batch."
            .to_string(),
    })
}

/// Why only batch norm cares about `model.train()` / `model.eval()` in this network.
pub const MODE_SUMMARY: &str = "Only batch norm behaves differently in train and eval mode: \
     torchvision's ResNet has no dropout, and every other layer computes the same function in \
     both.";

/// Why conv biases in front of batch norm are wasted (Problem 1a).
pub const REDUNDANT_BIAS_NOTE: &str = "A conv bias b adds one constant per channel. In train \
     mode the batch norm right after it subtracts the batch mean, which removes b exactly. In \
     eval mode it subtracts running_mean, which after k train batches has taken in \
     (1−0.9^k)·b: a layer trained with b differs from one trained without by \
     0.9^k·b·γ/√(running_var+ε), which fades as training goes on, while taking b out of a \
     trained layer would shift its output by the whole b·γ/√(running_var+ε). β can make any \
     such shift, so the bias is redundant.";

/// The homework problem on scale invariance, which the weight-decay note points to.
const SCALE_PROBLEM: u8 = 3;

/// Which parameters weight decay should spare, and why (Problem 1d, Problem 3).
pub fn weight_decay_note() -> String {
    let scale_tab = match crate::tabs::for_problem(SCALE_PROBLEM) {
        Some((key, title)) => format!("Problem {SCALE_PROBLEM}, the {title} tab, key {key}"),
        None => format!("Problem {SCALE_PROBLEM}"),
    };
    format!(
        "Weight decay pulls parameters towards zero. The homework's reason to spare biases and \
         β: penalising an offset favours data centred at zero for no good reason. γ is a scale: \
         decaying it shrinks the spread of the layer's output around β. Both practices are \
         used: the original ResNet recipe decays every parameter; many recent recipes leave \
         batch-norm parameters and biases out, as counted above. In train mode a conv weight \
         that feeds a batch norm is scale-invariant up to ε ({scale_tab}): decay shrinks ‖w‖ \
         while the output changes only through ε, so it mainly raises the effective step \
         η/‖w‖²."
    )
}

/// The module panel's line on a conv's own bias, for the mode shown.
pub fn redundant_bias_line(numel: &str, mode: Mode) -> String {
    match mode {
        Mode::Train => format!(
            "Its bias ({numel}) is redundant: in train mode the batch norm after it subtracts \
             the batch mean, which cancels it."
        ),
        Mode::Eval => format!(
            "Its bias ({numel}) is redundant: in eval mode running_mean has taken in all but \
             0.9^k of it after k train batches, and β can make any constant shift."
        ),
    }
}

/// How the FLOPs columns are counted (the rules of `model::cost`); `freeze_key` freezes the
/// selected module.
pub fn flops_note(freeze_key: &str) -> String {
    format!("{FLOPS_RULES} ({freeze_key} freezes the selected module).")
}

/// The counting rules of [`flops_note`].
const FLOPS_RULES: &str = "FLOPs count as PyTorch's FlopCounterMode counts them: 2 per \
multiply-add of a convolution or the classifier, so forward FLOPs are 2 × MACs × batch; batch \
norm, ReLU, pooling and the residual sum count 0. Backward, a conv or linear layer costs its \
forward FLOPs once for the weight gradient, if its weight is trainable, and once for the input \
gradient, if its input depends (through the graph, shortcuts included) on a trainable \
parameter. The image needs no gradient, so the stem conv computes none for its input; nor \
does a layer with only frozen layers before it";

/// Which activations autograd keeps for the backward pass (the rules of `model::cost`), and
/// where the input image is counted in `costs`.
pub fn memory_note(costs: &Costs) -> String {
    let input = costs.totals.saved.input;
    let image = if !input.is_zero() {
        format!(
            "The input image ({} bytes here) is allocated by no module: it is counted in \
             conv1's row, as conv1 saves it, so the rows sum to the total.",
            input.grouped()
        )
    } else {
        "The input image is not saved here (conv1's weight is frozen and the image needs no \
         gradient), so the rows sum to the total."
            .to_string()
    };
    format!("{MEMORY_RULES} {image}")
}

/// The counting rules of [`memory_note`].
const MEMORY_RULES: &str = "Saved activations are the tensors autograd keeps for the \
backward pass, counted once each, at the module that allocated them: every conv output (saved \
by its batch norm), every batch-norm output that feeds a ReLU (the in-place ReLU and += share \
its storage; the downsample's batch-norm output is not saved), the max pool's output and its \
int64 indices, 2 values per channel of batch statistics per batch norm in train mode (none in \
eval mode), and the classifier's input if its weight is trainable; each only where its \
operation records a backward node (its input or its own parameters need a gradient), so \
frozen layers at the start save less. Under torch.no_grad() nothing is saved. Parameters and \
gradients take the dtype; SGD keeps no state, SGD with momentum one buffer per parameter, \
Adam two (and a float32 step per tensor).";

/// The summary's note when PyTorch refuses the training step (`None` when it runs): which
/// batch norm raises first, and what would run instead.
pub fn refused_step_note(net: &Network, costs: &Costs, cost: &Cost) -> Option<String> {
    let first = costs.one_value_per_channel.first()?;
    let name = net
        .modules
        .get(first.module)
        .map_or("", |m| m.name.as_str());
    let more = match costs.one_value_per_channel.len() - 1 {
        0 => String::new(),
        1 => " (and 1 more batch norm after it)".to_string(),
        n => format!(" (and {n} more batch norms after it)"),
    };
    Some(format!(
        "PyTorch refuses this training step: in train mode at batch {}, {name} sees one value \
         per channel{more}, and F.batch_norm raises \"{}\". The figures above are what the \
         step would cost; eval mode, or a batch of 2, runs.",
        cost.batch,
        first.message()
    ))
}

/// The module panel's line for a batch norm that PyTorch refuses to run in train mode.
pub fn refused_module_line(input_size: [u64; 4]) -> String {
    let [n, c, h, w] = input_size;
    format!(
        "At batch {n} in train mode this batch norm sees one value per channel (input \
         [{n}, {c}, {h}, {w}]): PyTorch raises here, as a variance needs two values."
    )
}

mod panel;
pub use panel::*;

#[cfg(test)]
mod tests;
