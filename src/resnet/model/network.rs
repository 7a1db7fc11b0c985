//! The built network as data: modules in `named_modules()` order, parameters and buffers with
//! their torchvision names, the Problem 1(e) groups, and the totals read by every view.

use strum::EnumIter;

use super::config::Config;
use super::count::Count;
use crate::controls::Cycle;

/// What a convolution is for, which decides its note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvRole {
    /// The 7×7/2 conv on the image.
    Stem,
    /// A 3×3 conv inside a residual block.
    Spatial,
    /// A bottleneck's first 1×1 conv, narrowing the channels.
    Reduce,
    /// A bottleneck's last 1×1 conv, widening the channels.
    Expand,
    /// The 1×1 conv on the shortcut path (`downsample.0`).
    Projection,
}

/// Hyper-parameters of one `Conv2d` (square kernel, groups = 1, dilation = 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvSpec {
    pub in_channels: u64,
    pub out_channels: u64,
    pub kernel: u64,
    pub stride: u64,
    pub padding: u64,
    pub bias: bool,
    pub role: ConvRole,
    /// The BatchNorm2d that `forward()` applies directly to this conv's output, if any.
    pub batchnorm: Option<usize>,
}

/// Which `Sequential` this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequentialRole {
    /// `layer1` … `layer4`; the number is 1-based.
    Stage(u8),
    /// A block's `downsample` (1×1 conv + BN on the shortcut path).
    Shortcut,
}

/// A module's type with the hyper-parameters needed for notes and details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleKind {
    Conv2d(ConvSpec),
    BatchNorm2d {
        num_features: u64,
    },
    ReLU,
    MaxPool2d {
        kernel: u64,
        stride: u64,
        padding: u64,
    },
    Sequential(SequentialRole),
    BasicBlock {
        stride: u64,
    },
    Bottleneck {
        stride: u64,
        width: u64,
    },
    AdaptiveAvgPool2d {
        output_hw: (u64, u64),
    },
    Linear {
        in_features: u64,
        out_features: u64,
    },
}

impl ModuleKind {
    /// The PyTorch class name.
    pub fn type_name(&self) -> &'static str {
        match self {
            ModuleKind::Conv2d(_) => "Conv2d",
            ModuleKind::BatchNorm2d { .. } => "BatchNorm2d",
            ModuleKind::ReLU => "ReLU",
            ModuleKind::MaxPool2d { .. } => "MaxPool2d",
            ModuleKind::Sequential(_) => "Sequential",
            ModuleKind::BasicBlock { .. } => "BasicBlock",
            ModuleKind::Bottleneck { .. } => "Bottleneck",
            ModuleKind::AdaptiveAvgPool2d { .. } => "AdaptiveAvgPool2d",
            ModuleKind::Linear { .. } => "Linear",
        }
    }

    /// True for BatchNorm2d, the only ResNet layer whose computation differs between
    /// `model.train()` and `model.eval()` (torchvision's ResNet has no dropout).
    pub fn differs_between_train_and_eval(&self) -> bool {
        matches!(self, ModuleKind::BatchNorm2d { .. })
    }
}

/// One entry of `named_modules()` (the root excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// Dotted torchvision name, e.g. `layer2.0.downsample.0`.
    pub name: String,
    pub kind: ModuleKind,
    /// 0 for direct children of the network.
    pub depth: usize,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    /// Parameters registered on this module itself (0 for containers).
    pub own_params: Count,
    /// Parameters of this module and all its descendants.
    pub params: Count,
    /// Output shape for one image: `[C, H, W]`, or `[N]` for the classifier.
    pub output_shape: Vec<u64>,
    /// Multiply–accumulates of this module itself per image (see [`Network::total_macs`]).
    pub own_macs: Count,
    /// Multiply–accumulates of this module and its descendants per image.
    pub macs: Count,
    /// Buffer elements (BN running statistics) of this module and its descendants.
    pub buffer_elements: Count,
}

impl Module {
    /// The PyTorch class name.
    pub fn type_name(&self) -> &'static str {
        self.kind.type_name()
    }

    /// The last component of the dotted name (`conv1` for `layer1.0.conv1`).
    pub fn local_name(&self) -> &str {
        self.name.rsplit('.').next().unwrap_or(&self.name)
    }

    /// True for modules that only group others (Sequential and the residual blocks).
    pub fn is_container(&self) -> bool {
        !self.children.is_empty()
    }
}

/// Parameter groups of Problem 1(e), decided by the parameter's name alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter)]
pub enum ParamGroup {
    BatchNorm,
    Bias,
    Rest,
}

impl ParamGroup {
    /// The homework's rule: a name containing `bn` or `downsample.1` is batch-norm, otherwise
    /// one containing `bias` is a bias, otherwise the rest.
    pub fn of_name(name: &str) -> Self {
        if name.contains("bn") || name.contains("downsample.1") {
            ParamGroup::BatchNorm
        } else if name.contains("bias") {
            ParamGroup::Bias
        } else {
            ParamGroup::Rest
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ParamGroup::BatchNorm => "batch-norm",
            ParamGroup::Bias => "bias",
            ParamGroup::Rest => "rest",
        }
    }
}

/// Whether a tensor is a weight or a bias of its module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorRole {
    Weight,
    Bias,
}

/// One entry of `named_parameters()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    /// torchvision's name, e.g. `layer1.0.bn1.weight`.
    pub name: String,
    /// Index of the owning module in [`Network::modules`].
    pub module: usize,
    pub role: TensorRole,
    pub shape: Vec<u64>,
    pub numel: Count,
    pub group: ParamGroup,
    /// A conv bias whose output goes straight into a BatchNorm2d: BN subtracts the batch mean
    /// (a constant per channel shift cancels) and adds its own β, so this bias changes nothing.
    pub redundant: bool,
}

/// One entry of `named_buffers()`: BN state that is saved but not trained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buffer {
    /// e.g. `bn1.running_mean`.
    pub name: String,
    pub module: usize,
    pub numel: Count,
}

/// Parameter counts per Problem 1(e) group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupTotals {
    pub batchnorm: Count,
    pub bias: Count,
    pub rest: Count,
}

impl GroupTotals {
    pub fn total(&self) -> Count {
        self.batchnorm + self.bias + self.rest
    }

    pub fn get(&self, group: ParamGroup) -> Count {
        match group {
            ParamGroup::BatchNorm => self.batchnorm,
            ParamGroup::Bias => self.bias,
            ParamGroup::Rest => self.rest,
        }
    }
}

/// Weight-decay split of Problem 1(d): biases and BN affine parameters are left undecayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WeightDecaySplit {
    pub decayed: Count,
    pub not_decayed: Count,
}

/// Train or eval mode (`model.train()` / `model.eval()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Train,
    Eval,
}

/// The `t` key steps between the two modes.
impl Cycle for Mode {
    const ALL: &'static [Self] = &[Mode::Train, Mode::Eval];
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Train => "train",
            Mode::Eval => "eval",
        }
    }
}

/// A built ResNet: modules, parameters and buffers in torchvision order, with totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    pub config: Config,
    /// `named_modules()` order without the root: pre-order, children in attribute order.
    pub modules: Vec<Module>,
    /// `named_parameters()` order.
    pub parameters: Vec<Parameter>,
    /// `named_buffers()` order.
    pub buffers: Vec<Buffer>,
    pub(super) total_params: Count,
    pub(super) buffer_elements: Count,
    pub(super) total_macs: Count,
    pub(super) groups: GroupTotals,
    pub(super) redundant_params: Count,
}

impl Network {
    /// Number of parameter elements (`sum(p.numel() for p in model.parameters())`).
    pub fn total_params(&self) -> Count {
        self.total_params
    }

    /// Parameters with `requires_grad`: all of them in a freshly built ResNet.
    pub fn trainable_params(&self) -> Count {
        self.total_params
    }

    /// Buffer elements: per BatchNorm2d, running_mean (C) + running_var (C) +
    /// num_batches_tracked (1). Saved in the state dict, never touched by the optimiser.
    pub fn buffer_elements(&self) -> Count {
        self.buffer_elements
    }

    /// Multiply–accumulates for one image. Definition used throughout: a Conv2d costs
    /// out_C·out_H·out_W·in_C·k·k, a Linear in·out; biases, BatchNorm, ReLU, pooling and the
    /// residual additions count 0 (they are O(activations), not O(weights × positions)).
    pub fn total_macs(&self) -> Count {
        self.total_macs
    }

    /// Parameter counts per Problem 1(e) group.
    pub fn groups(&self) -> GroupTotals {
        self.groups
    }

    /// Decayed = the "rest" group; not decayed = batch-norm + bias groups.
    pub fn weight_decay(&self) -> WeightDecaySplit {
        WeightDecaySplit {
            decayed: self.groups.rest,
            not_decayed: self.groups.batchnorm + self.groups.bias,
        }
    }

    /// Elements of conv biases that a following BatchNorm2d cancels.
    pub fn redundant_params(&self) -> Count {
        self.redundant_params
    }

    /// Elements of all conv biases (0 unless `conv_bias` is on).
    pub fn conv_bias_params(&self) -> Count {
        self.parameters
            .iter()
            .filter(|p| {
                p.role == TensorRole::Bias
                    && matches!(self.modules[p.module].kind, ModuleKind::Conv2d(_))
            })
            .map(|p| p.numel)
            .sum()
    }

    /// One past the last index of the subtree rooted at `index` (pre-order keeps it contiguous).
    pub fn subtree_end(&self, index: usize) -> usize {
        let Some(root) = self.modules.get(index) else {
            return index;
        };
        self.modules[index + 1..]
            .iter()
            .position(|m| m.depth <= root.depth)
            .map_or(self.modules.len(), |k| index + 1 + k)
    }

    /// Index of the module with this dotted name.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.modules.iter().position(|m| m.name == name)
    }

    /// Indices of the direct children of the network, in order.
    pub fn top_level(&self) -> impl Iterator<Item = usize> + '_ {
        self.modules
            .iter()
            .enumerate()
            .filter(|(_, m)| m.parent.is_none())
            .map(|(i, _)| i)
    }

    /// True when `index` is the last child of its parent (or the last top-level module).
    pub fn is_last_child(&self, index: usize) -> bool {
        let Some(module) = self.modules.get(index) else {
            return true;
        };
        match module.parent {
            Some(p) => self.modules[p].children.last() == Some(&index),
            None => self.modules.iter().rposition(|m| m.parent.is_none()) == Some(index),
        }
    }

    /// Ancestors of `index`, outermost first.
    pub fn ancestors(&self, index: usize) -> Vec<usize> {
        let mut chain = Vec::new();
        let mut cursor = self.modules.get(index).and_then(|m| m.parent);
        while let Some(p) = cursor {
            chain.push(p);
            cursor = self.modules[p].parent;
        }
        chain.reverse();
        chain
    }

    /// Parameters owned by module `index` itself.
    pub fn parameters_of(&self, index: usize) -> impl Iterator<Item = &Parameter> + '_ {
        self.parameters.iter().filter(move |p| p.module == index)
    }

    /// Number of modules in the subtree of `index` (itself included) that behave differently
    /// in train and eval mode.
    pub fn mode_dependent_in(&self, index: usize) -> usize {
        let Some(module) = self.modules.get(index) else {
            return 0;
        };
        usize::from(module.kind.differs_between_train_and_eval())
            + module
                .children
                .iter()
                .map(|&c| self.mode_dependent_in(c))
                .sum::<usize>()
    }

    /// Shape of the tensor module `index` receives for one image, as torchvision's
    /// `forward()` passes it: the image for the first module; a shortcut's (and a block's
    /// first conv's) input is the block's input; otherwise the output of the conv, batch norm
    /// or other module before it among its siblings (a block's ReLU works in place and is
    /// skipped).
    pub fn input_shape_of(&self, index: usize) -> Vec<u64> {
        let Some(module) = self.modules.get(index) else {
            return Vec::new();
        };
        let siblings: Vec<usize> = match module.parent {
            Some(p) => self.modules[p].children.clone(),
            None => self.top_level().collect(),
        };
        let in_block = module.parent.is_some_and(|p| {
            matches!(
                self.modules[p].kind,
                ModuleKind::BasicBlock { .. } | ModuleKind::Bottleneck { .. }
            )
        });
        let shortcut = matches!(
            module.kind,
            ModuleKind::Sequential(SequentialRole::Shortcut)
        );
        let position = siblings.iter().position(|&s| s == index).unwrap_or(0);
        let before = siblings[..position]
            .iter()
            .rfind(|&&s| !(in_block && matches!(self.modules[s].kind, ModuleKind::ReLU)));
        match (before, module.parent) {
            (Some(&b), _) if !shortcut => self.modules[b].output_shape.clone(),
            (_, Some(p)) => self.input_shape_of(p),
            (_, None) => self.input_shape().to_vec(),
        }
    }

    /// Shape of the image the network was built for: `[3, H, W]`.
    pub fn input_shape(&self) -> [u64; 3] {
        [3, self.config.input_hw.0, self.config.input_hw.1]
    }
}
