//! The prose beside the module tree: what a module does, why it sits where it does, and how it
//! behaves in train and eval mode (Problems 1a, 1b, 1d). Every sentence that depends on the
//! module (its stride, its channels, what its batch norm feeds, how often its ReLU runs) is
//! written from the network, so it is true of the module it is shown for.

use crate::resnet::model::batchnorm::{self, BnFeeds};
use crate::resnet::model::bn_live;
use crate::resnet::model::{ConvRole, ConvSpec, Mode, ModuleKind, Network, SequentialRole};

/// What module `index` does and why it is where it is.
pub fn note(net: &Network, index: usize) -> String {
    let Some(module) = net.modules.get(index) else {
        return String::new();
    };
    match module.kind {
        ModuleKind::Conv2d(spec) => conv_note(&spec),
        ModuleKind::BatchNorm2d { .. } => batchnorm_note(batchnorm::feeds(net, index)),
        ModuleKind::ReLU => relu_note(batchnorm::relu_calls(net, index)),
        ModuleKind::MaxPool2d { kernel, stride, .. } => {
            maxpool_note(kernel, stride, net.config.input_hw, &module.output_shape)
        }
        ModuleKind::Sequential(SequentialRole::Stage(_)) => STAGE_NOTE.to_string(),
        ModuleKind::Sequential(SequentialRole::Shortcut) => SHORTCUT_NOTE.to_string(),
        ModuleKind::BasicBlock { .. } => BASIC_BLOCK_NOTE.to_string(),
        ModuleKind::Bottleneck { .. } => BOTTLENECK_NOTE.to_string(),
        ModuleKind::AdaptiveAvgPool2d { .. } => AVGPOOL_NOTE.to_string(),
        ModuleKind::Linear { .. } => CLASSIFIER_NOTE.to_string(),
    }
}

/// A convolution, by its role in the network.
fn conv_note(spec: &ConvSpec) -> String {
    let (cin, cout) = (spec.in_channels, spec.out_channels);
    match spec.role {
        ConvRole::Stem => format!(
            "The stem: a {k}×{k} convolution with stride {s} turns {cin} colour channels \
             into {cout} feature maps at half the height and width. The big kernel sees \
             a wide patch of pixels at once; the stride makes every later layer four \
             times cheaper.",
            k = spec.kernel,
            s = spec.stride,
        ),
        ConvRole::Spatial => {
            let stride = if spec.stride > 1 {
                format!(
                    "This one strides by {}, dividing height and width by {} while the \
                     channels go from {cin} to {cout}.",
                    spec.stride, spec.stride
                )
            } else {
                format!("This one keeps the resolution (stride 1), {cin}→{cout} channels.")
            };
            format!(
                "A 3×3 convolution: each output mixes a 3×3 neighbourhood across all \
                 input channels. {stride}"
            )
        }
        ConvRole::Reduce => {
            let what = if cin > cout {
                format!("narrows the channels from {cin} to {cout}")
            } else {
                format!(
                    "keeps {cin} channels here ({cin}→{cout}): the stem already gives the \
                     block's width; later blocks narrow"
                )
            };
            format!(
                "A 1×1 convolution that {what} before the costly 3×3 step. It mixes \
                 channels at each pixel without looking at neighbours."
            )
        }
        ConvRole::Expand => format!(
            "A 1×1 convolution that widens the channels from {cin} to {cout}. Its output \
             is added to the shortcut, so its shape must match the shortcut's."
        ),
        ConvRole::Projection => format!(
            "The shortcut's 1×1 convolution ({cin}→{cout} channels, stride {}). When a \
             block changes resolution or channel count, its input can no longer be \
             added to its output as it is; this projection reshapes it so the sum is \
             defined.",
            spec.stride
        ),
    }
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

/// The max pool after the stem, for an `input_hw` input pooled to `pooled` (C×H×W).
fn maxpool_note(kernel: u64, stride: u64, input_hw: (u64, u64), pooled: &[u64]) -> String {
    let (h, w) = input_hw;
    let (ph, pw) = (
        pooled.get(1).copied().unwrap_or(0),
        pooled.get(2).copied().unwrap_or(0),
    );
    format!(
        "Max pooling over {kernel}×{kernel} windows with stride {stride} halves the \
         resolution again, right after the stem. It keeps the strongest response in each \
         window, so small shifts of the image barely change the result. layer1 thus \
         starts at {ph}×{pw} from a {h}×{w} input: about a quarter of its height and of \
         its width."
    )
}

const STAGE_NOTE: &str = "A stage: a run of residual blocks at one resolution. Each stage after \
     the first opens with a stride-2 block that halves height and width and doubles the \
     channels. The deeper ResNets differ mostly in how many blocks each stage holds.";

const SHORTCUT_NOTE: &str = "The projection shortcut: a 1×1 convolution and a batch norm on the \
     skip path. It exists only where a block changes shape; everywhere else the block's input \
     is added back unchanged.";

const BASIC_BLOCK_NOTE: &str = "A basic residual block: two 3×3 conv + batch-norm pairs, and the \
     block's input is added to the result before the last ReLU. The block only has to learn a \
     correction to its input, which keeps gradients flowing through deep stacks.";

const BOTTLENECK_NOTE: &str = "A bottleneck block: a 1×1 conv narrows the channels, a 3×3 conv \
     works at that width, a 1×1 conv widens them four-fold, and the input is added back before \
     the last ReLU. torchvision (v1.5) strides on the 3×3 conv, not the first 1×1.";

const AVGPOOL_NOTE: &str = "Averages each channel over all positions, whatever the spatial size, \
     leaving one number per channel. This is why the network accepts any input size: the \
     classifier always receives a vector of the same length.";

const CLASSIFIER_NOTE: &str = "The classifier: a fully connected layer from the pooled features \
     to one score per class. Changing the number of classes changes only this layer. With \
     torchvision's bias-free convs, its bias is the only bias outside batch norm.";

/// The batch-norm note, for what this batch norm feeds.
fn batchnorm_note(feeds: Option<BnFeeds>) -> String {
    let what = "Batch norm: brings each channel to zero mean and unit variance, then applies a \
                learned scale γ and shift β.";
    let place = match feeds {
        Some(BnFeeds::Relu) | None => {
            "This one feeds a ReLU. The homework's reason for this order: normalised inputs keep \
             an activation out of saturation (which matters most for sigmoid and tanh), and in \
             train mode a conv bias before it has no effect. At initialisation (γ = 1, β = 0) the ReLU sees \
             centred inputs, so about half the units are active; once γ and β are trained, they \
             set that share. The other order, ReLU then batch norm, is also used: it gives \
             every layer's input the same scale."
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
     eval mode it subtracts running_mean instead, so b shifts the output by b·γ/√(running_var+ε) \
     until running_mean has taken it in; β can make the same shift. So the bias is redundant.";

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
         decaying it shrinks the layer's output. Both practices are used: the original ResNet \
         recipe decays every parameter; many recent recipes leave batch-norm parameters and \
         biases out, as counted above. A conv weight that feeds a batch norm is scale-invariant \
         ({scale_tab}): decay does not change what it computes, it shrinks ‖w‖ and so mainly \
         raises the effective step η/‖w‖²."
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
            "Its bias ({numel}) is redundant: in eval mode it shifts the output by \
             b·γ/√(running_var+ε), a shift running_mean and β take in."
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

/// Which activations autograd keeps for the backward pass (the rules of `model::cost`).
pub const MEMORY_NOTE: &str = "Saved activations are the tensors autograd keeps for the \
backward pass, counted once each, at the module that allocated them, so the rows sum to the \
total: the image (saved by conv1), every conv output (saved by its batch norm), every \
batch-norm output that feeds a ReLU (the in-place ReLU and += share its storage; the \
downsample's batch-norm output is not saved), the max pool's output and its int64 indices, 2 \
values per channel of batch statistics per batch norm in train mode (none in eval mode), and \
the classifier's input if its weight is trainable. Under torch.no_grad() nothing is saved. \
Parameters and gradients take the dtype; SGD keeps no state, SGD with momentum one buffer per \
parameter, Adam two (and a float32 step per tensor).";

/// The batch-norm panel: which statistics normalise in `mode`; `marker` is the glyph beside
/// the rows it names.
pub fn bn_live_normalises(mode: Mode, marker: &str) -> String {
    match mode {
        Mode::Train => format!(
            "{marker} Train mode normalises each channel with this batch's own μ_B and biased σ²_B, \
             then updates the running statistics."
        ),
        Mode::Eval => format!(
            "{marker} Eval mode normalises with running_mean and running_var; the batch's own \
             statistics are not used."
        ),
    }
}

/// The batch-norm panel: the running-statistics update for `count` = N·H·W values per channel.
pub fn bn_live_update(count: usize) -> String {
    let m = bn_live::MOMENTUM;
    format!(
        "Update, momentum {m}: after = {keep}·before + {m}·batch; running_var takes the \
         unbiased σ²_B·n/(n−1), here n/(n−1) = {count}/{less}.",
        keep = 1.0 - m,
        less = count.saturating_sub(1)
    )
}

/// The batch-norm panel in eval mode: why the next-batch key feeds no batch; `mode_key`
/// switches to train mode.
pub fn bn_live_eval_feeds(mode_key: &str) -> String {
    format!(
        "In eval mode a batch leaves running_mean, running_var and num_batches_tracked as they \
         are: batches are fed in train mode ({mode_key})."
    )
}

/// The batch-norm panel: what the spread table shows (`largest`: its largest batch size;
/// `smaller_key` steps the panel's batch down).
pub fn bn_live_spread(batches: usize, largest: usize, smaller_key: &str) -> String {
    format!(
        "Each row: the standard deviation, over {batches} batches of N fresh patches, of one \
         channel's μ_B or σ²_B. Small batches give noisy statistics: here the spread of μ_B \
         falls at every larger N, and both spreads are smallest at N = {largest}. One 1×1 patch \
         ({smaller_key} to the end) leaves one value per channel."
    )
}

/// The batch-norm panel: the conv bias in train and eval mode.
pub const BN_LIVE_BIAS: &str = "Train mode: b moves every value and μ_B alike, so it cancels; \
     the largest difference is rounding. Eval mode: running_mean does not move with b, so the \
     output moves by b·γ/√(running_var+ε) per channel (γ = 1: BN's initial scale).";

/// The batch-norm panel: where the conv bias b of the bias rows comes from.
pub fn bn_live_bias_source(conv_bias: bool) -> &'static str {
    if conv_bias {
        "b is on: this is the conv's own bias; \"without\" is the same layer with it removed."
    } else {
        "b is off: the conv has no bias; this b is the seeded one b on would give it, added \
         as a what-if to the same layer."
    }
}

/// The batch-norm panel when PyTorch refuses the batch (one value per channel).
pub const BN_LIVE_REFUSED: &str = "A variance needs two values, and train mode has one per \
     channel: PyTorch raises before touching the running statistics, so nothing is updated. \
     Eval mode needs no batch statistics and runs the same batch; with the fresh layer's \
     running statistics (mean 0, var 1) its BN output per channel is:";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resnet::model::{Arch, Config, build};

    fn net(arch: Arch) -> Network {
        build(&Config {
            arch,
            ..Config::default()
        })
    }

    /// Issue 9 point 13: each batch norm's note says what that batch norm feeds, as the module
    /// tree has it, and "about half active" only comes with "at initialisation".
    #[test]
    fn batch_norm_notes_follow_what_each_feeds() {
        for arch in [Arch::Resnet18, Arch::Resnet50] {
            let n = net(arch);
            for i in 0..n.modules.len() {
                let Some(feeds) = batchnorm::feeds(&n, i) else {
                    continue;
                };
                let text = note(&n, i);
                let name = &n.modules[i].name;
                assert_eq!(
                    text.contains("feeds a ReLU"),
                    feeds == BnFeeds::Relu,
                    "{name}"
                );
                assert_eq!(
                    text.contains("feeds the residual sum, not a ReLU"),
                    feeds == BnFeeds::ResidualSum,
                    "{name}"
                );
                assert_eq!(
                    text.contains("no ReLU of its own"),
                    feeds == BnFeeds::Shortcut,
                    "{name}"
                );
                if text.contains("about half") {
                    assert!(text.contains("At initialisation (γ = 1, β = 0)"));
                    assert!(text.contains("The other order, ReLU then batch norm, is also used"));
                    assert!(text.contains("saturation"));
                }
            }
        }
    }

    /// Point 16: the stride sentence only where the conv strides; the reduce conv of layer1.0
    /// does not narrow; the pool's "quarter" is of height and width; the stem ReLU has no block.
    #[test]
    fn conv_pool_and_relu_notes_match_their_module() {
        let n = net(Arch::Resnet50);
        for (i, m) in n.modules.iter().enumerate() {
            let text = note(&n, i);
            if let ModuleKind::Conv2d(spec) = m.kind {
                if spec.role == ConvRole::Spatial {
                    assert_eq!(
                        text.contains("strides by 2"),
                        spec.stride == 2,
                        "{}",
                        m.name
                    );
                    assert_eq!(text.contains("stride 1"), spec.stride == 1, "{}", m.name);
                }
                if spec.role == ConvRole::Reduce {
                    let narrows = spec.in_channels > spec.out_channels;
                    assert_eq!(text.contains("narrows"), narrows, "{}", m.name);
                }
            }
        }
        let reduce = |name: &str| note(&n, n.find(name).unwrap());
        assert!(reduce("layer1.0.conv1").contains("64→64"));
        assert!(reduce("layer1.1.conv1").contains("narrows the channels from 256 to 64"));
        assert!(reduce("layer2.0.conv1").contains("from 256 to 128"));

        let pool = n.find("maxpool").unwrap();
        let [_, ph, pw] = n.modules[pool].output_shape[..] else {
            panic!("a C×H×W shape")
        };
        let (h, w) = n.config.input_hw;
        assert_eq!((ph * 4, pw * 4), (h, w), "a quarter of each side at 224");
        let text = note(&n, pool);
        assert!(text.contains(&format!("{ph}×{pw} from a {h}×{w} input")));
        assert!(text.contains("a quarter of its height and of its width"));

        let stem = note(&n, n.find("relu").unwrap());
        assert!(stem.contains("once") && !stem.contains("block"), "{stem}");
        let block = note(&n, n.find("layer2.1.relu").unwrap());
        assert!(block.contains("runs 3 times"), "{block}");
        let basic = net(Arch::Resnet18);
        let block = note(&basic, basic.find("layer2.1.relu").unwrap());
        assert!(block.contains("runs 2 times"), "{block}");
    }

    /// Point 15: the train-mode text states the momentum and the update the model performs.
    #[test]
    fn train_mode_text_states_the_update() {
        let kind = ModuleKind::BatchNorm2d { num_features: 64 };
        let text = mode_behaviour(&kind, Mode::Train).unwrap();
        let m = batchnorm::MOMENTUM;
        assert!(text.contains(&format!("momentum {m}")));
        assert!(text.contains(&format!("{}·running_mean + {m}·batch mean", 1.0 - m)));
        assert!(text.contains("unbiased, n/(n−1)"));
        assert!(text.contains("num_batches_tracked grows by 1"));
        // The update it describes, done by the model: mean 2.5, unbiased variance 5/3.
        let mut stats = batchnorm::RunningStats::default();
        batchnorm::train_forward(&[1.0, 2.0, 3.0, 4.0], Default::default(), &mut stats);
        assert!((stats.mean - m * 2.5).abs() < 1e-15);
        assert!((stats.var - ((1.0 - m) + m * 5.0 / 3.0)).abs() < 1e-15);
        assert_eq!(stats.num_batches_tracked, 1);
        assert!(mode_behaviour(&ModuleKind::ReLU, Mode::Train).is_none());
    }

    /// Point 12: the bias note names both modes and the eval-mode shift the model computes.
    #[test]
    fn bias_notes_say_train_cancels_and_eval_shifts() {
        for text in [
            REDUNDANT_BIAS_NOTE.to_string(),
            redundant_bias_line("64", Mode::Eval),
        ] {
            assert!(text.contains("b·γ/√(running_var+ε)"), "{text}");
        }
        assert!(REDUNDANT_BIAS_NOTE.contains("In train mode"));
        assert!(REDUNDANT_BIAS_NOTE.contains("removes b exactly"));
        assert!(redundant_bias_line("64", Mode::Train).contains("cancels it"));
    }

    /// Point 14: the weight-decay note names the Scale tab by its real key, says γ is a scale,
    /// and gives both practices.
    #[test]
    fn weight_decay_note_names_the_scale_tab_and_both_practices() {
        let text = weight_decay_note();
        let (key, title) = crate::tabs::for_problem(SCALE_PROBLEM).unwrap();
        assert_eq!((key, title), (3, "Scale invariance"));
        assert!(text.contains(&format!("Problem 3, the {title} tab, key {key}")));
        assert!(text.contains("γ is a scale"));
        assert!(text.contains("decays every parameter"));
        assert!(text.contains("leave batch-norm parameters and biases out"));
        assert!(text.contains("scale-invariant"));
        assert!(text.contains("effective step η/‖w‖²"));
    }
}
