//! torchvision's ResNet family as data: the module tree in `named_modules()` order, every
//! parameter and buffer with its torchvision name, output shapes, and multiply–accumulate counts.
//!
//! Mirrors `torchvision.models.resnet` (v1.5: a bottleneck block strides on its 3×3 conv).
//! Nothing here knows about the terminal; the tab, the headless report and the benchmark all
//! read the same [`Network`].

use std::fmt;
use std::str::FromStr;

use strum::{EnumIter, FromRepr, IntoEnumIterator};

/// Largest class count accepted (a 1,000,000-way classifier on ResNet-152 is ~2·10⁹ weights).
pub const MAX_NUM_CLASSES: u64 = 1_000_000;
/// Largest input side accepted, in pixels.
pub const MAX_INPUT_SIDE: u64 = 8192;

/// The five depths torchvision ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, EnumIter, FromRepr)]
pub enum Arch {
    #[default]
    Resnet18,
    Resnet34,
    Resnet50,
    Resnet101,
    Resnet152,
}

/// Which residual block an architecture stacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// Two 3×3 convs; output channels = planes.
    Basic,
    /// 1×1 reduce, 3×3, 1×1 expand; output channels = 4 × planes.
    Bottleneck,
}

impl BlockKind {
    /// Output channels per unit of `planes` (torchvision's `block.expansion`).
    pub fn expansion(self) -> u64 {
        match self {
            BlockKind::Basic => 1,
            BlockKind::Bottleneck => 4,
        }
    }
}

impl Arch {
    /// All architectures, shallowest first.
    pub const ALL: [Arch; 5] = [
        Arch::Resnet18,
        Arch::Resnet34,
        Arch::Resnet50,
        Arch::Resnet101,
        Arch::Resnet152,
    ];

    /// torchvision's constructor name, e.g. `"resnet50"`.
    pub fn name(self) -> &'static str {
        match self {
            Arch::Resnet18 => "resnet18",
            Arch::Resnet34 => "resnet34",
            Arch::Resnet50 => "resnet50",
            Arch::Resnet101 => "resnet101",
            Arch::Resnet152 => "resnet152",
        }
    }

    /// The block type stacked in every stage.
    pub fn block(self) -> BlockKind {
        match self {
            Arch::Resnet18 | Arch::Resnet34 => BlockKind::Basic,
            _ => BlockKind::Bottleneck,
        }
    }

    /// Blocks per stage (layer1..layer4).
    pub fn blocks_per_stage(self) -> [u64; 4] {
        match self {
            Arch::Resnet18 => [2, 2, 2, 2],
            Arch::Resnet34 | Arch::Resnet50 => [3, 4, 6, 3],
            Arch::Resnet101 => [3, 4, 23, 3],
            Arch::Resnet152 => [3, 8, 36, 3],
        }
    }

    /// The next architecture, wrapping from resnet152 to resnet18.
    pub fn next(self) -> Self {
        Self::from_repr((self as usize + 1) % Self::ALL.len()).unwrap_or_default()
    }

    /// The previous architecture, wrapping from resnet18 to resnet152.
    pub fn prev(self) -> Self {
        let n = Self::ALL.len();
        Self::from_repr((self as usize + n - 1) % n).unwrap_or_default()
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Arch {
    type Err = ConfigError;

    /// Accepts `resnet18` … `resnet152`, ignoring case and an optional hyphen (`ResNet-50`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('-', "");
        Arch::iter()
            .find(|a| a.name() == wanted)
            .ok_or_else(|| ConfigError::UnknownArch(s.trim().to_string()))
    }
}

/// A bad configuration value; `Display` is one line naming the option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    UnknownArch(String),
    NoClasses,
    TooManyClasses(u64),
    InputSideOutOfRange { side: &'static str, value: u64 },
    InputSizeSyntax(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::UnknownArch(s) => {
                let names: Vec<&str> = Arch::iter().map(Arch::name).collect();
                write!(
                    f,
                    "--arch: unknown architecture {s:?}; valid names are {}",
                    names.join(", ")
                )
            }
            ConfigError::NoClasses => f.write_str("--num-classes must be at least 1"),
            ConfigError::TooManyClasses(n) => {
                write!(
                    f,
                    "--num-classes must be at most {MAX_NUM_CLASSES} (got {n})"
                )
            }
            ConfigError::InputSideOutOfRange { side, value } => write!(
                f,
                "--input-size: {side} must be between 1 and {MAX_INPUT_SIDE} pixels (got {value})"
            ),
            ConfigError::InputSizeSyntax(s) => write!(
                f,
                "--input-size must be N or HxW in whole pixels, e.g. 224 or 224x160 (got {s:?})"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// What to build: the architecture and the knobs the tab exposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    pub arch: Arch,
    pub num_classes: u64,
    /// Input (height, width) in pixels; the input always has 3 colour channels.
    pub input_hw: (u64, u64),
    /// What-if of Problem 1(a): give every Conv2d a bias (torchvision uses `bias=False`).
    pub conv_bias: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            arch: Arch::Resnet18,
            num_classes: 1000,
            input_hw: (224, 224),
            conv_bias: false,
        }
    }
}

impl Config {
    /// Checks the class count and both input sides against their limits.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.num_classes == 0 {
            return Err(ConfigError::NoClasses);
        }
        if self.num_classes > MAX_NUM_CLASSES {
            return Err(ConfigError::TooManyClasses(self.num_classes));
        }
        check_side("height", self.input_hw.0)?;
        check_side("width", self.input_hw.1).map(drop)
    }
}

fn check_side(side: &'static str, value: u64) -> Result<u64, ConfigError> {
    if (1..=MAX_INPUT_SIDE).contains(&value) {
        Ok(value)
    } else {
        Err(ConfigError::InputSideOutOfRange { side, value })
    }
}

/// Parses an input size: `"224"` (square) or `"HxW"` such as `"224x160"` (also `X` or `×`).
pub fn parse_input_size(text: &str) -> Result<(u64, u64), ConfigError> {
    let syntax = || ConfigError::InputSizeSyntax(text.trim().to_string());
    let parts: Vec<&str> = text.trim().split(['x', 'X', '×']).map(str::trim).collect();
    let number = |s: &str| -> Result<u64, ConfigError> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(syntax());
        }
        // All digits but too long for u64: certainly above the limit.
        Ok(s.parse::<u64>().unwrap_or(u64::MAX))
    };
    match parts.as_slice() {
        [side] => {
            let n = number(side)?;
            check_side("height", n)?;
            Ok((n, n))
        }
        [h, w] => Ok((
            check_side("height", number(h)?)?,
            check_side("width", number(w)?)?,
        )),
        _ => Err(syntax()),
    }
}

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
    pub own_params: u64,
    /// Parameters of this module and all its descendants.
    pub params: u64,
    /// Output shape for one image: `[C, H, W]`, or `[N]` for the classifier.
    pub output_shape: Vec<u64>,
    /// Multiply–accumulates of this module itself per image (see [`Network::total_macs`]).
    pub own_macs: u64,
    /// Multiply–accumulates of this module and its descendants per image.
    pub macs: u64,
    /// Buffer elements (BN running statistics) of this module and its descendants.
    pub buffer_elements: u64,
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
    pub numel: u64,
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
    pub numel: u64,
}

/// Parameter counts per Problem 1(e) group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupTotals {
    pub batchnorm: u64,
    pub bias: u64,
    pub rest: u64,
}

impl GroupTotals {
    pub fn total(&self) -> u64 {
        self.batchnorm
            .saturating_add(self.bias)
            .saturating_add(self.rest)
    }

    pub fn get(&self, group: ParamGroup) -> u64 {
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
    pub decayed: u64,
    pub not_decayed: u64,
}

/// Train or eval mode (`model.train()` / `model.eval()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Train,
    Eval,
}

impl Mode {
    pub fn toggled(self) -> Self {
        match self {
            Mode::Train => Mode::Eval,
            Mode::Eval => Mode::Train,
        }
    }

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
    total_params: u64,
    buffer_elements: u64,
    total_macs: u64,
    groups: GroupTotals,
    redundant_params: u64,
}

impl Network {
    /// Number of parameter elements (`sum(p.numel() for p in model.parameters())`).
    pub fn total_params(&self) -> u64 {
        self.total_params
    }

    /// Parameters with `requires_grad`: all of them in a freshly built ResNet.
    pub fn trainable_params(&self) -> u64 {
        self.total_params
    }

    /// Buffer elements: per BatchNorm2d, running_mean (C) + running_var (C) +
    /// num_batches_tracked (1). Saved in the state dict, never touched by the optimiser.
    pub fn buffer_elements(&self) -> u64 {
        self.buffer_elements
    }

    /// Multiply–accumulates for one image. Definition used throughout: a Conv2d costs
    /// out_C·out_H·out_W·in_C·k·k, a Linear in·out; biases, BatchNorm, ReLU, pooling and the
    /// residual additions count 0 (they are O(activations), not O(weights × positions)).
    pub fn total_macs(&self) -> u64 {
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
            not_decayed: self.groups.batchnorm.saturating_add(self.groups.bias),
        }
    }

    /// Elements of conv biases that a following BatchNorm2d cancels.
    pub fn redundant_params(&self) -> u64 {
        self.redundant_params
    }

    /// Elements of all conv biases (0 unless `conv_bias` is on).
    pub fn conv_bias_params(&self) -> u64 {
        self.parameters
            .iter()
            .filter(|p| {
                p.role == TensorRole::Bias
                    && matches!(self.modules[p.module].kind, ModuleKind::Conv2d(_))
            })
            .fold(0u64, |acc, p| acc.saturating_add(p.numel))
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

    /// Shape of the image the network was built for: `[3, H, W]`.
    pub fn input_shape(&self) -> [u64; 3] {
        [3, self.config.input_hw.0, self.config.input_hw.1]
    }
}

/// Output side of a conv or pool: ⌊(n + 2p − k)/s⌋ + 1, or 0 when the window does not fit.
pub fn output_side(n: u64, kernel: u64, stride: u64, padding: u64) -> u64 {
    n.saturating_add(padding.saturating_mul(2))
        .checked_sub(kernel)
        .map_or(0, |span| span / stride.max(1) + 1)
}

fn product(dims: &[u64]) -> u64 {
    dims.iter().fold(1u64, |acc, &d| acc.saturating_mul(d))
}

/// Builds the network. Call with a validated config; degenerate values still never panic.
pub fn build(cfg: &Config) -> Network {
    let mut b = Builder::new(cfg.conv_bias);
    let [_, h, w] = [3, cfg.input_hw.0, cfg.input_hw.1];
    let mut x = [3, h, w];
    x = b.conv_bn(None, "conv1", "bn1", ConvRole::Stem, x, 64, 7, 2, 3);
    b.add(None, "relu", ModuleKind::ReLU, x.to_vec(), 0);
    let (pk, ps, pp) = (3, 2, 1);
    x = [
        x[0],
        output_side(x[1], pk, ps, pp),
        output_side(x[2], pk, ps, pp),
    ];
    let pool = ModuleKind::MaxPool2d {
        kernel: pk,
        stride: ps,
        padding: pp,
    };
    b.add(None, "maxpool", pool, x.to_vec(), 0);

    let block = cfg.arch.block();
    for (stage, (&planes, &blocks)) in [64u64, 128, 256, 512]
        .iter()
        .zip(cfg.arch.blocks_per_stage().iter())
        .enumerate()
    {
        let stage_number = u8::try_from(stage + 1).unwrap_or(u8::MAX);
        let name = format!("layer{stage_number}");
        let seq = ModuleKind::Sequential(SequentialRole::Stage(stage_number));
        let layer = b.add(None, &name, seq, Vec::new(), 0);
        let first_stride = if stage == 0 { 1 } else { 2 };
        for i in 0..blocks {
            let stride = if i == 0 { first_stride } else { 1 };
            x = match block {
                BlockKind::Basic => b.basic_block(layer, i, x, planes, stride),
                BlockKind::Bottleneck => b.bottleneck(layer, i, x, planes, stride),
            };
        }
        b.modules[layer].output_shape = x.to_vec();
    }

    let pooled = ModuleKind::AdaptiveAvgPool2d { output_hw: (1, 1) };
    b.add(None, "avgpool", pooled, vec![x[0], 1, 1], 0);
    let fc = ModuleKind::Linear {
        in_features: x[0],
        out_features: cfg.num_classes,
    };
    b.add(
        None,
        "fc",
        fc,
        vec![cfg.num_classes],
        x[0].saturating_mul(cfg.num_classes),
    );
    b.finish(*cfg)
}

struct Builder {
    conv_bias: bool,
    modules: Vec<Module>,
    parameters: Vec<Parameter>,
    buffers: Vec<Buffer>,
}

impl Builder {
    fn new(conv_bias: bool) -> Self {
        Builder {
            conv_bias,
            modules: Vec::with_capacity(512),
            parameters: Vec::with_capacity(512),
            buffers: Vec::with_capacity(512),
        }
    }

    /// Appends a module (pre-order), registering its parameters and buffers.
    fn add(
        &mut self,
        parent: Option<usize>,
        local: &str,
        kind: ModuleKind,
        output_shape: Vec<u64>,
        own_macs: u64,
    ) -> usize {
        let (name, depth) = match parent {
            Some(p) => (
                format!("{}.{local}", self.modules[p].name),
                self.modules[p].depth + 1,
            ),
            None => (local.to_string(), 0),
        };
        let index = self.modules.len();
        let own_params = self.register_tensors(index, &name, &kind);
        let buffer_elements = self
            .buffers
            .iter()
            .rev()
            .take_while(|b| b.module == index)
            .fold(0u64, |acc, b| acc.saturating_add(b.numel));
        self.modules.push(Module {
            name,
            kind,
            depth,
            parent,
            children: Vec::new(),
            own_params,
            params: own_params,
            output_shape,
            own_macs,
            macs: own_macs,
            buffer_elements,
        });
        if let Some(p) = parent {
            self.modules[p].children.push(index);
        }
        index
    }

    /// Registers the tensors PyTorch creates for a module of this kind; returns their size.
    fn register_tensors(&mut self, index: usize, name: &str, kind: &ModuleKind) -> u64 {
        let mut own = 0u64;
        let mut param = |role: TensorRole, suffix: &str, shape: Vec<u64>| {
            let full = format!("{name}.{suffix}");
            let numel = product(&shape);
            own = own.saturating_add(numel);
            self.parameters.push(Parameter {
                group: ParamGroup::of_name(&full),
                name: full,
                module: index,
                role,
                shape,
                numel,
                redundant: false,
            });
        };
        match *kind {
            ModuleKind::Conv2d(c) => {
                let shape = vec![c.out_channels, c.in_channels, c.kernel, c.kernel];
                param(TensorRole::Weight, "weight", shape);
                if c.bias {
                    param(TensorRole::Bias, "bias", vec![c.out_channels]);
                }
            }
            ModuleKind::BatchNorm2d { num_features } => {
                param(TensorRole::Weight, "weight", vec![num_features]);
                param(TensorRole::Bias, "bias", vec![num_features]);
                for (suffix, numel) in [
                    ("running_mean", num_features),
                    ("running_var", num_features),
                    ("num_batches_tracked", 1),
                ] {
                    self.buffers.push(Buffer {
                        name: format!("{name}.{suffix}"),
                        module: index,
                        numel,
                    });
                }
            }
            ModuleKind::Linear {
                in_features,
                out_features,
            } => {
                param(
                    TensorRole::Weight,
                    "weight",
                    vec![out_features, in_features],
                );
                param(TensorRole::Bias, "bias", vec![out_features]);
            }
            _ => {}
        }
        own
    }

    /// A Conv2d and the BatchNorm2d applied to its output; returns the output shape.
    #[allow(clippy::too_many_arguments)]
    fn conv_bn(
        &mut self,
        parent: Option<usize>,
        conv_name: &str,
        bn_name: &str,
        role: ConvRole,
        input: [u64; 3],
        out_channels: u64,
        kernel: u64,
        stride: u64,
        padding: u64,
    ) -> [u64; 3] {
        let [in_channels, h, w] = input;
        let out = [
            out_channels,
            output_side(h, kernel, stride, padding),
            output_side(w, kernel, stride, padding),
        ];
        let spec = ConvSpec {
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
            bias: self.conv_bias,
            role,
            batchnorm: None,
        };
        let macs = product(&out).saturating_mul(product(&[in_channels, kernel, kernel]));
        let conv = self.add(
            parent,
            conv_name,
            ModuleKind::Conv2d(spec),
            out.to_vec(),
            macs,
        );
        let bn_kind = ModuleKind::BatchNorm2d {
            num_features: out_channels,
        };
        let bn = self.add(parent, bn_name, bn_kind, out.to_vec(), 0);
        if let ModuleKind::Conv2d(spec) = &mut self.modules[conv].kind {
            spec.batchnorm = Some(bn);
        }
        out
    }

    /// The shortcut projection, present when the block changes stride or channel count.
    fn shortcut_if_needed(
        &mut self,
        block: usize,
        input: [u64; 3],
        out_channels: u64,
        stride: u64,
    ) -> Option<[u64; 3]> {
        if stride == 1 && input[0] == out_channels {
            return None;
        }
        let seq = ModuleKind::Sequential(SequentialRole::Shortcut);
        let downsample = self.add(Some(block), "downsample", seq, Vec::new(), 0);
        let role = ConvRole::Projection;
        let out = self.conv_bn(
            Some(downsample),
            "0",
            "1",
            role,
            input,
            out_channels,
            1,
            stride,
            0,
        );
        self.modules[downsample].output_shape = out.to_vec();
        Some(out)
    }

    /// torchvision `BasicBlock`; attribute order conv1, bn1, relu, conv2, bn2, downsample.
    fn basic_block(
        &mut self,
        layer: usize,
        index: u64,
        input: [u64; 3],
        planes: u64,
        stride: u64,
    ) -> [u64; 3] {
        let kind = ModuleKind::BasicBlock { stride };
        let block = self.add(Some(layer), &index.to_string(), kind, Vec::new(), 0);
        let p = Some(block);
        let x = self.conv_bn(
            p,
            "conv1",
            "bn1",
            ConvRole::Spatial,
            input,
            planes,
            3,
            stride,
            1,
        );
        let relu = self.add(p, "relu", ModuleKind::ReLU, x.to_vec(), 0);
        let out = self.conv_bn(p, "conv2", "bn2", ConvRole::Spatial, x, planes, 3, 1, 1);
        self.shortcut_if_needed(block, input, planes, stride);
        // The one ReLU object runs twice; its last call (after the residual sum) is shown.
        self.modules[relu].output_shape = out.to_vec();
        self.modules[block].output_shape = out.to_vec();
        out
    }

    /// torchvision `Bottleneck` (v1.5, stride on the 3×3); attribute order conv1, bn1, conv2,
    /// bn2, conv3, bn3, relu, downsample.
    fn bottleneck(
        &mut self,
        layer: usize,
        index: u64,
        input: [u64; 3],
        planes: u64,
        stride: u64,
    ) -> [u64; 3] {
        let width = planes; // base_width 64, groups 1
        let out_channels = planes.saturating_mul(BlockKind::Bottleneck.expansion());
        let kind = ModuleKind::Bottleneck { stride, width };
        let block = self.add(Some(layer), &index.to_string(), kind, Vec::new(), 0);
        let p = Some(block);
        let x = self.conv_bn(p, "conv1", "bn1", ConvRole::Reduce, input, width, 1, 1, 0);
        let x = self.conv_bn(p, "conv2", "bn2", ConvRole::Spatial, x, width, 3, stride, 1);
        let out = self.conv_bn(
            p,
            "conv3",
            "bn3",
            ConvRole::Expand,
            x,
            out_channels,
            1,
            1,
            0,
        );
        // The one ReLU object runs three times; its last call (after the residual sum) is shown.
        self.add(p, "relu", ModuleKind::ReLU, out.to_vec(), 0);
        self.shortcut_if_needed(block, input, out_channels, stride);
        self.modules[block].output_shape = out.to_vec();
        out
    }

    /// Marks redundant biases, rolls counts up to containers and sums the totals.
    fn finish(mut self, config: Config) -> Network {
        for p in &mut self.parameters {
            if let ModuleKind::Conv2d(spec) = self.modules[p.module].kind {
                p.redundant = p.role == TensorRole::Bias && spec.batchnorm.is_some();
            }
        }
        // Pre-order puts every child after its parent, so one backward sweep sums subtrees.
        for i in (0..self.modules.len()).rev() {
            if let Some(p) = self.modules[i].parent {
                let (params, macs, buffers) = {
                    let m = &self.modules[i];
                    (m.params, m.macs, m.buffer_elements)
                };
                let parent = &mut self.modules[p];
                parent.params = parent.params.saturating_add(params);
                parent.macs = parent.macs.saturating_add(macs);
                parent.buffer_elements = parent.buffer_elements.saturating_add(buffers);
            }
        }
        let mut groups = GroupTotals::default();
        let mut total_params = 0u64;
        let mut redundant_params = 0u64;
        for p in &self.parameters {
            total_params = total_params.saturating_add(p.numel);
            let slot = match p.group {
                ParamGroup::BatchNorm => &mut groups.batchnorm,
                ParamGroup::Bias => &mut groups.bias,
                ParamGroup::Rest => &mut groups.rest,
            };
            *slot = slot.saturating_add(p.numel);
            if p.redundant {
                redundant_params = redundant_params.saturating_add(p.numel);
            }
        }
        let buffer_elements = self
            .buffers
            .iter()
            .fold(0u64, |acc, b| acc.saturating_add(b.numel));
        let total_macs = self
            .modules
            .iter()
            .filter(|m| m.parent.is_none())
            .fold(0u64, |acc, m| acc.saturating_add(m.macs));
        Network {
            config,
            modules: self.modules,
            parameters: self.parameters,
            buffers: self.buffers,
            total_params,
            buffer_elements,
            total_macs,
            groups,
            redundant_params,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(arch: Arch) -> Network {
        build(&Config {
            arch,
            ..Config::default()
        })
    }

    /// Closed-form parameter count per block type, written independently of the builder.
    fn closed_form_params(arch: Arch, num_classes: u64, conv_bias: bool) -> u64 {
        let b = u64::from(conv_bias);
        let conv = |cin: u64, cout: u64, k: u64| cin * cout * k * k + b * cout;
        let bn = |c: u64| 2 * c;
        let mut total = conv(3, 64, 7) + bn(64);
        let mut inplanes = 64;
        for (stage, &blocks) in arch.blocks_per_stage().iter().enumerate() {
            let planes = 64u64 << stage;
            for i in 0..blocks {
                let stride = if stage > 0 && i == 0 { 2 } else { 1 };
                let out = planes * arch.block().expansion();
                total += match arch.block() {
                    BlockKind::Basic => conv(inplanes, planes, 3) + conv(planes, planes, 3),
                    BlockKind::Bottleneck => {
                        conv(inplanes, planes, 1) + conv(planes, planes, 3) + conv(planes, out, 1)
                    }
                };
                total += match arch.block() {
                    BlockKind::Basic => 2 * bn(planes),
                    BlockKind::Bottleneck => 2 * bn(planes) + bn(out),
                };
                if stride != 1 || inplanes != out {
                    total += conv(inplanes, out, 1) + bn(out);
                }
                inplanes = out;
            }
        }
        total + inplanes * num_classes + num_classes
    }

    #[test]
    fn torchvision_totals_for_1000_classes() {
        let published = [
            (Arch::Resnet18, 11_689_512),
            (Arch::Resnet34, 21_797_672),
            (Arch::Resnet50, 25_557_032),
            (Arch::Resnet101, 44_549_160),
            (Arch::Resnet152, 60_192_808),
        ];
        for (arch, count) in published {
            let n = net(arch);
            assert_eq!(n.total_params(), count, "{arch}");
            assert_eq!(n.trainable_params(), count, "{arch}");
            assert_eq!(
                closed_form_params(arch, 1000, false),
                count,
                "{arch} closed form"
            );
        }
    }

    #[test]
    fn closed_form_agrees_for_other_class_counts_and_conv_bias() {
        for arch in Arch::ALL {
            for (classes, bias) in [(1, false), (10, true), (1000, true), (21_843, false)] {
                let cfg = Config {
                    arch,
                    num_classes: classes,
                    input_hw: (64, 48),
                    conv_bias: bias,
                };
                let n = build(&cfg);
                assert_eq!(n.total_params(), closed_form_params(arch, classes, bias));
            }
        }
    }

    #[test]
    fn macs_at_224() {
        assert_eq!(net(Arch::Resnet18).total_macs(), 1_814_073_344);
        // The widely quoted 4.09 GMACs of ResNet-50 (conv + fc only).
        assert_eq!(net(Arch::Resnet50).total_macs(), 4_089_184_256);
    }

    /// MACs a second way: every conv costs (weights without bias) × (output positions).
    #[test]
    fn macs_equal_weights_times_output_positions() {
        for arch in Arch::ALL {
            let n = build(&Config {
                arch,
                input_hw: (97, 131),
                ..Config::default()
            });
            let mut expected = 0u64;
            for p in n.parameters.iter().filter(|p| p.role == TensorRole::Weight) {
                let m = &n.modules[p.module];
                match m.kind {
                    ModuleKind::Conv2d(_) => {
                        expected += p.numel * m.output_shape[1] * m.output_shape[2];
                    }
                    ModuleKind::Linear { .. } => expected += p.numel,
                    _ => {}
                }
            }
            assert_eq!(n.total_macs(), expected, "{arch}");
        }
    }

    #[test]
    fn resnet18_groups_match_problem_1e() {
        let n = net(Arch::Resnet18);
        let g = n.groups();
        assert_eq!(g.batchnorm, 9600);
        assert_eq!(g.bias, 1000);
        assert_eq!(g.rest, 11_678_912);
        assert_eq!(g.total(), n.total_params());
        let bias_names: Vec<&str> = n
            .parameters
            .iter()
            .filter(|p| p.group == ParamGroup::Bias)
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(bias_names, ["fc.bias"]);
        let wd = n.weight_decay();
        assert_eq!(wd.decayed, 11_678_912);
        assert_eq!(wd.not_decayed, 10_600);
    }

    #[test]
    fn group_rule_follows_the_name() {
        assert_eq!(
            ParamGroup::of_name("layer1.0.bn1.weight"),
            ParamGroup::BatchNorm
        );
        assert_eq!(
            ParamGroup::of_name("layer2.0.downsample.1.bias"),
            ParamGroup::BatchNorm
        );
        assert_eq!(
            ParamGroup::of_name("layer2.0.downsample.0.bias"),
            ParamGroup::Bias
        );
        assert_eq!(ParamGroup::of_name("fc.bias"), ParamGroup::Bias);
        assert_eq!(ParamGroup::of_name("conv1.weight"), ParamGroup::Rest);
    }

    #[test]
    fn resnet18_per_layer_counts() {
        let n = net(Arch::Resnet18);
        let params = |name: &str| n.modules[n.find(name).expect(name)].params;
        let expected = [
            ("conv1", 9408),
            ("bn1", 128),
            ("layer1.0.conv1", 36_864),
            ("layer1.0.bn1", 128),
            ("layer2.0.conv1", 73_728),
            ("layer2.0.conv2", 147_456),
            ("layer2.0.downsample", 8448),
            ("layer3.0.conv1", 294_912),
            ("layer3.0.downsample", 33_280),
            ("layer4.0.conv1", 1_179_648),
            ("layer4.1.conv2", 2_359_296),
            ("layer4.1.bn2", 1024),
            ("layer4.0.downsample", 132_096),
            ("layer1", 147_968),
            ("layer2", 525_568),
            ("layer3", 2_099_712),
            ("layer4", 8_393_728),
            ("fc", 513_000),
        ];
        for (name, count) in expected {
            assert_eq!(params(name), count, "{name}");
        }
    }

    #[test]
    fn named_modules_order_matches_torchvision() {
        let n = net(Arch::Resnet18);
        let names: Vec<&str> = n.modules.iter().take(17).map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "conv1",
                "bn1",
                "relu",
                "maxpool",
                "layer1",
                "layer1.0",
                "layer1.0.conv1",
                "layer1.0.bn1",
                "layer1.0.relu",
                "layer1.0.conv2",
                "layer1.0.bn2",
                "layer1.1",
                "layer1.1.conv1",
                "layer1.1.bn1",
                "layer1.1.relu",
                "layer1.1.conv2",
                "layer1.1.bn2",
            ]
        );
        let start = n.find("layer2.0").unwrap();
        let names: Vec<&str> = n.modules[start..start + 9]
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "layer2.0",
                "layer2.0.conv1",
                "layer2.0.bn1",
                "layer2.0.relu",
                "layer2.0.conv2",
                "layer2.0.bn2",
                "layer2.0.downsample",
                "layer2.0.downsample.0",
                "layer2.0.downsample.1",
            ]
        );
        let last: Vec<&str> = n
            .modules
            .iter()
            .rev()
            .take(2)
            .map(|m| m.name.as_str())
            .collect();
        assert_eq!(last, ["fc", "avgpool"]);
        // resnet18 has 68 entries in named_modules() including the root.
        assert_eq!(n.modules.len() + 1, 68);

        let n = net(Arch::Resnet50);
        let start = n.find("layer1.0").unwrap();
        let locals: Vec<&str> = n.modules[start + 1..start + 12]
            .iter()
            .map(|m| m.local_name())
            .collect();
        assert_eq!(
            locals,
            [
                "conv1",
                "bn1",
                "conv2",
                "bn2",
                "conv3",
                "bn3",
                "relu",
                "downsample",
                "0",
                "1",
                "1"
            ]
        );
        assert_eq!(n.modules[start + 11].name, "layer1.1");
        // resnet50's named_modules() has 151 entries including the root.
        assert_eq!(n.modules.len() + 1, 151);
    }

    #[test]
    fn parameter_names_follow_torchvision() {
        let n = net(Arch::Resnet18);
        let names: Vec<&str> = n
            .parameters
            .iter()
            .take(5)
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "conv1.weight",
                "bn1.weight",
                "bn1.bias",
                "layer1.0.conv1.weight",
                "layer1.0.bn1.weight"
            ]
        );
        // resnet18's state dict: 62 parameters, 60 buffers (20 BNs × 3).
        assert_eq!(n.parameters.len(), 62);
        assert_eq!(n.buffers.len(), 60);
        assert_eq!(n.buffers[2].name, "bn1.num_batches_tracked");
        assert_eq!(n.buffer_elements(), 9600 + 20);
        let biased = build(&Config {
            conv_bias: true,
            ..Config::default()
        });
        assert_eq!(biased.parameters[1].name, "conv1.bias");
    }

    #[test]
    fn num_classes_changes_only_fc() {
        for arch in Arch::ALL {
            let a = net(arch);
            let b = build(&Config {
                arch,
                num_classes: 37,
                ..Config::default()
            });
            assert_eq!(a.modules.len(), b.modules.len());
            for (ma, mb) in a.modules.iter().zip(&b.modules) {
                let touches_fc = ma.name == "fc";
                assert_eq!(ma == mb, !touches_fc, "{}", ma.name);
            }
            let in_features = 512 * arch.block().expansion();
            assert_eq!(
                a.total_params() - b.total_params(),
                (1000 - 37) * (in_features + 1)
            );
        }
    }

    #[test]
    fn leaves_sum_to_total_and_containers_to_children() {
        for arch in Arch::ALL {
            let n = build(&Config {
                arch,
                conv_bias: true,
                ..Config::default()
            });
            let leaves = n.modules.iter().filter(|m| m.children.is_empty());
            let leaf_params: u64 = leaves.clone().map(|m| m.params).sum();
            let leaf_macs: u64 = leaves.clone().map(|m| m.macs).sum();
            let leaf_buffers: u64 = leaves.map(|m| m.buffer_elements).sum();
            assert_eq!(leaf_params, n.total_params());
            assert_eq!(leaf_macs, n.total_macs());
            assert_eq!(leaf_buffers, n.buffer_elements());
            for m in n.modules.iter().filter(|m| m.is_container()) {
                let sum = |f: fn(&Module) -> u64| -> u64 {
                    m.children.iter().map(|&c| f(&n.modules[c])).sum()
                };
                assert_eq!(m.own_params, 0);
                assert_eq!(m.params, sum(|c| c.params), "{}", m.name);
                assert_eq!(m.macs, sum(|c| c.macs), "{}", m.name);
                assert_eq!(m.buffer_elements, sum(|c| c.buffer_elements));
            }
            for (i, m) in n.modules.iter().enumerate() {
                let own: u64 = n.parameters_of(i).map(|p| p.numel).sum();
                assert_eq!(own, m.own_params, "{}", m.name);
                if let Some(p) = m.parent {
                    assert_eq!(n.modules[p].depth + 1, m.depth);
                    assert!(m.name.starts_with(&format!("{}.", n.modules[p].name)));
                }
            }
        }
    }

    #[test]
    fn conv_bias_adds_out_channels_and_all_of_it_is_redundant() {
        for arch in Arch::ALL {
            let plain = net(arch);
            let biased = build(&Config {
                arch,
                conv_bias: true,
                ..Config::default()
            });
            let out_channels: u64 = plain
                .modules
                .iter()
                .filter_map(|m| match m.kind {
                    ModuleKind::Conv2d(c) => Some(c.out_channels),
                    _ => None,
                })
                .sum();
            assert_eq!(biased.total_params() - plain.total_params(), out_channels);
            assert_eq!(biased.conv_bias_params(), out_channels);
            assert_eq!(biased.redundant_params(), out_channels, "{arch}");
            assert_eq!(plain.redundant_params(), 0);
            assert_eq!(biased.groups().bias - plain.groups().bias, out_channels);
            // Every conv feeds a BN that sits right after it in the tree.
            for (i, m) in biased.modules.iter().enumerate() {
                if let ModuleKind::Conv2d(c) = m.kind {
                    let bn = c.batchnorm.expect("every ResNet conv is followed by BN");
                    assert_eq!(bn, i + 1);
                    assert_eq!(biased.modules[bn].type_name(), "BatchNorm2d");
                }
            }
        }
        assert_eq!(
            build(&Config {
                conv_bias: true,
                ..Config::default()
            })
            .redundant_params(),
            64 + 4 * 64 + 5 * 128 + 5 * 256 + 5 * 512
        );
    }

    #[test]
    fn output_shapes_at_224() {
        let n = net(Arch::Resnet18);
        let shape = |name: &str| n.modules[n.find(name).unwrap()].output_shape.clone();
        assert_eq!(shape("conv1"), [64, 112, 112]);
        assert_eq!(shape("maxpool"), [64, 56, 56]);
        assert_eq!(shape("layer1"), [64, 56, 56]);
        assert_eq!(shape("layer2.0.downsample"), [128, 28, 28]);
        assert_eq!(shape("layer3"), [256, 14, 14]);
        assert_eq!(shape("layer4"), [512, 7, 7]);
        assert_eq!(shape("avgpool"), [512, 1, 1]);
        assert_eq!(shape("fc"), [1000]);
        let n = net(Arch::Resnet50);
        let shape = |name: &str| n.modules[n.find(name).unwrap()].output_shape.clone();
        assert_eq!(shape("layer1"), [256, 56, 56]);
        assert_eq!(shape("layer1.0.downsample"), [256, 56, 56]);
        assert_eq!(shape("layer2.0.conv1"), [128, 56, 56]);
        assert_eq!(shape("layer2.0.conv2"), [128, 28, 28]);
        assert_eq!(shape("layer4"), [2048, 7, 7]);
    }

    #[test]
    fn odd_and_tiny_inputs_do_not_panic() {
        for arch in Arch::ALL {
            for hw in [
                (1, 1),
                (31, 17),
                (2, 8192),
                (8192, 8192),
                (0, 0),
                (u64::MAX, 3),
            ] {
                let n = build(&Config {
                    arch,
                    input_hw: hw,
                    ..Config::default()
                });
                assert_eq!(n.modules.last().unwrap().output_shape, [1000]);
            }
        }
        let n = build(&Config {
            input_hw: (31, 17),
            ..Config::default()
        });
        let shape = |name: &str| n.modules[n.find(name).unwrap()].output_shape.clone();
        assert_eq!(shape("conv1"), [64, 16, 9]);
        assert_eq!(shape("maxpool"), [64, 8, 5]);
        assert_eq!(shape("layer2"), [128, 4, 3]);
        assert_eq!(shape("layer3"), [256, 2, 2]);
        assert_eq!(shape("layer4"), [512, 1, 1]);
        let n = build(&Config {
            input_hw: (1, 1),
            ..Config::default()
        });
        assert!(
            n.modules
                .iter()
                .all(|m| m.output_shape.iter().all(|&d| d >= 1))
        );
        // Parameters never depend on the input size.
        assert_eq!(n.total_params(), 11_689_512);
    }

    #[test]
    fn output_side_formula() {
        assert_eq!(output_side(224, 7, 2, 3), 112);
        assert_eq!(output_side(112, 3, 2, 1), 56);
        assert_eq!(output_side(1, 1, 2, 0), 1);
        assert_eq!(output_side(2, 7, 1, 0), 0);
        assert_eq!(output_side(u64::MAX, 3, 1, 1), u64::MAX - 2);
        assert_eq!(output_side(5, 3, 0, 0), 3);
    }

    #[test]
    fn arch_parsing_and_cycling() {
        assert_eq!("resnet50".parse::<Arch>(), Ok(Arch::Resnet50));
        assert_eq!("ResNet-152".parse::<Arch>(), Ok(Arch::Resnet152));
        let err = "resnet19".parse::<Arch>().unwrap_err().to_string();
        assert!(err.contains("resnet18, resnet34, resnet50, resnet101, resnet152"));
        assert!(!err.contains('\n'));
        for a in Arch::ALL {
            assert_eq!(a.next().prev(), a);
            assert_eq!(a.name().parse::<Arch>(), Ok(a));
        }
        assert_eq!(Arch::Resnet152.next(), Arch::Resnet18);
        assert_eq!(Arch::Resnet18.prev(), Arch::Resnet152);
    }

    #[test]
    fn config_validation() {
        assert_eq!(Config::default().validate(), Ok(()));
        let bad = |cfg: Config| cfg.validate().unwrap_err().to_string();
        let d = Config::default();
        assert_eq!(
            bad(Config {
                num_classes: 0,
                ..d
            }),
            "--num-classes must be at least 1"
        );
        assert!(
            bad(Config {
                num_classes: MAX_NUM_CLASSES + 1,
                ..d
            })
            .contains("at most")
        );
        assert!(
            bad(Config {
                input_hw: (224, 0),
                ..d
            })
            .contains("width")
        );
        assert!(
            Config {
                num_classes: MAX_NUM_CLASSES,
                input_hw: (MAX_INPUT_SIDE, 1),
                ..d
            }
            .validate()
            .is_ok()
        );
    }

    #[test]
    fn input_size_parsing() {
        assert_eq!(parse_input_size("224"), Ok((224, 224)));
        assert_eq!(parse_input_size(" 224x160 "), Ok((224, 160)));
        assert_eq!(parse_input_size("31X17"), Ok((31, 17)));
        assert_eq!(parse_input_size("1×1"), Ok((1, 1)));
        for bad in [
            "0x5", "5x0", "0", "", "x", "224x", "1x2x3", "-4", "2.5", "abc", "9999",
        ] {
            let err = parse_input_size(bad).unwrap_err();
            assert!(!err.to_string().contains('\n'), "{bad}");
        }
        assert!(matches!(
            parse_input_size("0x5"),
            Err(ConfigError::InputSideOutOfRange {
                side: "height",
                value: 0
            })
        ));
        assert!(parse_input_size("99999999999999999999999").is_err());
    }

    #[test]
    fn only_batchnorm_differs_between_train_and_eval() {
        let n = net(Arch::Resnet50);
        let bns = n
            .modules
            .iter()
            .filter(|m| m.kind.differs_between_train_and_eval())
            .count();
        assert_eq!(
            bns,
            n.modules
                .iter()
                .filter(|m| m.type_name() == "BatchNorm2d")
                .count()
        );
        let layer1 = n.find("layer1").unwrap();
        // 3 blocks × 3 BNs + 1 shortcut BN.
        assert_eq!(n.mode_dependent_in(layer1), 10);
        assert_eq!(Mode::Train.toggled(), Mode::Eval);
    }

    #[test]
    fn tree_helpers() {
        let n = net(Arch::Resnet18);
        let fc = n.find("fc").unwrap();
        assert!(n.is_last_child(fc));
        assert!(!n.is_last_child(n.find("conv1").unwrap()));
        let ds1 = n.find("layer2.0.downsample.1").unwrap();
        assert!(n.is_last_child(ds1));
        let names: Vec<&str> = n
            .ancestors(ds1)
            .iter()
            .map(|&i| n.modules[i].name.as_str())
            .collect();
        assert_eq!(names, ["layer2", "layer2.0", "layer2.0.downsample"]);
        assert_eq!(n.top_level().count(), 10);
        let layer2 = n.find("layer2").unwrap();
        assert_eq!(n.subtree_end(layer2), n.find("layer3").unwrap());
        assert_eq!(n.subtree_end(fc), n.modules.len());
        let ds = n.find("layer2.0.downsample").unwrap();
        assert_eq!(n.subtree_end(ds), n.find("layer2.1").unwrap());
    }
}
