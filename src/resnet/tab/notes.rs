//! Short explanations shown beside the module tree, kept as data: what a module does, why it
//! sits where it does, and how it behaves in train and eval mode (Problems 1a, 1b).

use super::model::{ConvRole, Mode, Module, ModuleKind, SequentialRole};

/// What this module does and why it is where it is (at most four short sentences).
pub fn note(module: &Module) -> &'static str {
    match module.kind {
        ModuleKind::Conv2d(spec) => match spec.role {
            ConvRole::Stem => {
                "The stem: a 7×7 convolution with stride 2 turns 3 colour channels into 64 \
                 feature maps at half the resolution. The big kernel sees a wide patch of \
                 pixels at once; the stride makes every later layer four times cheaper."
            }
            ConvRole::Spatial => {
                "A 3×3 convolution: each output mixes a 3×3 neighbourhood across all input \
                 channels. In the first block of layer2..layer4 it strides by 2, halving height \
                 and width while the channel count doubles."
            }
            ConvRole::Reduce => {
                "A 1×1 convolution that narrows the channels to the block's width before the \
                 costly 3×3 step. It mixes channels at each pixel without looking at \
                 neighbours. This squeeze is what keeps deep ResNets affordable."
            }
            ConvRole::Expand => {
                "A 1×1 convolution that widens the channels to four times the block's width. \
                 Its output is added to the shortcut, so its shape must match the shortcut's."
            }
            ConvRole::Projection => {
                "The shortcut's 1×1 convolution. When a block changes resolution or channel \
                 count, its input can no longer be added to its output as it is; this \
                 projection (with the block's stride) reshapes it so the sum is defined."
            }
        },
        ModuleKind::BatchNorm2d { .. } => {
            "Batch norm: brings each channel to zero mean and unit variance, then applies a \
             learned scale γ and shift β. Placed before the ReLU, it hands the ReLU centred \
             inputs, so about half the units stay active. It also cancels any bias of the conv \
             before it; β takes that role."
        }
        ModuleKind::ReLU => {
            "ReLU keeps positive values and zeroes the rest: the non-linearity between layers. \
             One ReLU object is reused at every activation point of its block, including after \
             the residual sum, so it is listed once. It has no parameters and no state."
        }
        ModuleKind::MaxPool2d { .. } => {
            "Max pooling over 3×3 windows with stride 2 halves the resolution again, right \
             after the stem. It keeps the strongest response in each window, so small shifts \
             of the image barely change the result. layer1 thus starts at a quarter of the \
             input size."
        }
        ModuleKind::Sequential(SequentialRole::Stage(_)) => {
            "A stage: a run of residual blocks at one resolution. Each stage after the first \
             opens with a stride-2 block that halves height and width and doubles the channels. \
             The deeper ResNets differ mostly in how many blocks each stage holds."
        }
        ModuleKind::Sequential(SequentialRole::Shortcut) => {
            "The projection shortcut: a 1×1 convolution and a batch norm on the skip path. It \
             exists only where a block changes shape; everywhere else the block's input is \
             added back unchanged."
        }
        ModuleKind::BasicBlock { .. } => {
            "A basic residual block: two 3×3 conv + batch-norm pairs, and the block's input is \
             added to the result before the last ReLU. The block only has to learn a correction \
             to its input, which keeps gradients flowing through deep stacks."
        }
        ModuleKind::Bottleneck { .. } => {
            "A bottleneck block: a 1×1 conv narrows the channels, a 3×3 conv works at that \
             width, a 1×1 conv widens them four-fold, and the input is added back before the \
             last ReLU. torchvision (v1.5) strides on the 3×3 conv, not the first 1×1."
        }
        ModuleKind::AdaptiveAvgPool2d { .. } => {
            "Averages each channel over all positions, whatever the spatial size, leaving one \
             number per channel. This is why the network accepts any input size: the \
             classifier always receives a vector of the same length."
        }
        ModuleKind::Linear { .. } => {
            "The classifier: a fully connected layer from the pooled features to one score per \
             class. Changing the number of classes changes only this layer. With torchvision's \
             bias-free convs, its bias is the only bias outside batch norm."
        }
    }
}

/// How a module behaves in `mode`, for the modules whose behaviour depends on it (BatchNorm2d
/// only: torchvision's ResNet has no dropout); `None` for all others.
pub fn mode_behaviour(module: &Module, mode: Mode) -> Option<&'static str> {
    if !module.kind.differs_between_train_and_eval() {
        return None;
    }
    Some(match mode {
        Mode::Train => {
            "Train mode: normalises by this batch's own mean and variance and blends them into \
             running_mean and running_var."
        }
        Mode::Eval => {
            "Eval mode: normalises by the stored running_mean and running_var, so an image's \
             output no longer depends on its batch."
        }
    })
}

/// Why only batch norm cares about `model.train()` / `model.eval()` in this network.
pub const MODE_SUMMARY: &str = "Only batch norm behaves differently in train and eval mode: \
     torchvision's ResNet has no dropout, and every other layer computes the same function in \
     both.";

/// Why conv biases in front of batch norm are wasted (Problem 1a).
pub const REDUNDANT_BIAS_NOTE: &str = "A conv bias adds one constant per channel; the batch \
     norm right after it subtracts the channel mean, which removes that constant, and then adds \
     its own shift β. So such a bias never changes the output.";

/// Why biases and BN parameters are kept out of weight decay (Problem 1d).
pub const WEIGHT_DECAY_NOTE: &str = "Weight decay pulls parameters towards zero. A bias or a \
     batch-norm shift only sets an offset, and penalising it would favour data centred at zero \
     over shifted data for no good reason. So biases and BN parameters are usually left \
     undecayed.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resnet::model::{Arch, Config, build};

    fn sentences(text: &str) -> usize {
        text.split(". ").filter(|s| !s.trim().is_empty()).count()
    }

    #[test]
    fn every_module_has_a_short_note() {
        for arch in [Arch::Resnet18, Arch::Resnet50] {
            let n = build(&Config {
                arch,
                ..Config::default()
            });
            for m in &n.modules {
                let text = note(m);
                assert!(!text.is_empty());
                assert!(sentences(text) <= 4, "{}: {text}", m.name);
                assert!(!text.contains("  "), "{}: stray spacing", m.name);
            }
        }
    }

    #[test]
    fn batchnorm_note_explains_order_and_bias() {
        let n = build(&Config::default());
        let bn = &n.modules[n.find("bn1").unwrap()];
        let text = note(bn);
        assert!(text.contains("before the ReLU"));
        assert!(text.contains("bias"));
    }

    #[test]
    fn only_batchnorm_has_mode_behaviour() {
        let n = build(&Config::default());
        for m in &n.modules {
            let is_bn = m.type_name() == "BatchNorm2d";
            for mode in [Mode::Train, Mode::Eval] {
                assert_eq!(mode_behaviour(m, mode).is_some(), is_bn, "{}", m.name);
            }
        }
        let bn = &n.modules[n.find("bn1").unwrap()];
        assert_ne!(
            mode_behaviour(bn, Mode::Train),
            mode_behaviour(bn, Mode::Eval)
        );
    }
}
