//! Building a [`Network`] the way torchvision's `resnet.py` does: the stem, four stages of
//! blocks, pooling and the classifier, with shapes, MACs and parameter counts on the way.

use super::config::{BlockKind, Config};
use super::count::Count;
use super::network::{
    Buffer, ConvRole, ConvSpec, GroupTotals, Module, ModuleKind, Network, ParamGroup, Parameter,
    SequentialRole, TensorRole,
};

/// Output side of a conv or pool, exactly: ⌊(n + 2p − k)/s⌋ + 1, or 0 when the window does not
/// fit; `None` when the side would not fit in a `u64`, which needs 2p ≥ k (with 2p < k, as in
/// every window of a ResNet, the output side is at most n).
pub fn output_side(n: u64, kernel: u64, stride: u64, padding: u64) -> Option<u64> {
    let padded = u128::from(n) + 2 * u128::from(padding);
    let side = padded
        .checked_sub(u128::from(kernel))
        .map_or(0, |span| span / u128::from(stride.max(1)) + 1);
    u64::try_from(side).ok()
}

/// A ResNet window's output side: its 2p < k keeps it at most `n` (see [`output_side`]).
fn side(n: u64, kernel: u64, stride: u64, padding: u64) -> u64 {
    output_side(n, kernel, stride, padding).unwrap_or(n)
}

/// Elements of a tensor of this shape.
fn product(dims: &[u64]) -> Count {
    dims.iter().map(|&d| Count::from(d)).product()
}

/// Builds the network. Call with a validated config; degenerate values still never panic.
pub fn build(cfg: &Config) -> Network {
    let mut b = Builder::new(cfg.conv_bias);
    let [_, h, w] = [3, cfg.input_hw.0, cfg.input_hw.1];
    let mut x = [3, h, w];
    x = b.conv_bn(None, "conv1", "bn1", ConvRole::Stem, x, 64, 7, 2, 3);
    b.add(None, "relu", ModuleKind::ReLU, x.to_vec(), Count::ZERO);
    let (pk, ps, pp) = (3, 2, 1);
    x = [x[0], side(x[1], pk, ps, pp), side(x[2], pk, ps, pp)];
    let pool = ModuleKind::MaxPool2d {
        kernel: pk,
        stride: ps,
        padding: pp,
    };
    b.add(None, "maxpool", pool, x.to_vec(), Count::ZERO);

    let block = cfg.arch.block();
    for (stage, (&planes, &blocks)) in [64u64, 128, 256, 512]
        .iter()
        .zip(cfg.arch.blocks_per_stage().iter())
        .enumerate()
    {
        let stage_number = u8::try_from(stage + 1).unwrap_or(u8::MAX);
        let name = format!("layer{stage_number}");
        let seq = ModuleKind::Sequential(SequentialRole::Stage(stage_number));
        let layer = b.add(None, &name, seq, Vec::new(), Count::ZERO);
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
    b.add(None, "avgpool", pooled, vec![x[0], 1, 1], Count::ZERO);
    let fc = ModuleKind::Linear {
        in_features: x[0],
        out_features: cfg.num_classes,
    };
    b.add(
        None,
        "fc",
        fc,
        vec![cfg.num_classes],
        Count::from(x[0]) * cfg.num_classes,
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
        own_macs: Count,
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
            .map(|b| b.numel)
            .sum();
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
    fn register_tensors(&mut self, index: usize, name: &str, kind: &ModuleKind) -> Count {
        let mut own = Count::ZERO;
        let mut param = |role: TensorRole, suffix: &str, shape: Vec<u64>| {
            let full = format!("{name}.{suffix}");
            let numel = product(&shape);
            own += numel;
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
                        numel: Count::from(numel),
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
            side(h, kernel, stride, padding),
            side(w, kernel, stride, padding),
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
        let macs = product(&out) * product(&[in_channels, kernel, kernel]);
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
        let bn = self.add(parent, bn_name, bn_kind, out.to_vec(), Count::ZERO);
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
        let downsample = self.add(Some(block), "downsample", seq, Vec::new(), Count::ZERO);
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
        let block = self.add(
            Some(layer),
            &index.to_string(),
            kind,
            Vec::new(),
            Count::ZERO,
        );
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
        let relu = self.add(p, "relu", ModuleKind::ReLU, x.to_vec(), Count::ZERO);
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
        // planes ≤ 512 and the expansion is 4: the product is a small constant.
        let out_channels = planes * BlockKind::Bottleneck.expansion();
        let kind = ModuleKind::Bottleneck { stride, width };
        let block = self.add(
            Some(layer),
            &index.to_string(),
            kind,
            Vec::new(),
            Count::ZERO,
        );
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
        self.add(p, "relu", ModuleKind::ReLU, out.to_vec(), Count::ZERO);
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
                parent.params += params;
                parent.macs += macs;
                parent.buffer_elements += buffers;
            }
        }
        let mut groups = GroupTotals::default();
        let mut total_params = Count::ZERO;
        let mut redundant_params = Count::ZERO;
        for p in &self.parameters {
            total_params += p.numel;
            let slot = match p.group {
                ParamGroup::BatchNorm => &mut groups.batchnorm,
                ParamGroup::Bias => &mut groups.bias,
                ParamGroup::Rest => &mut groups.rest,
            };
            *slot += p.numel;
            if p.redundant {
                redundant_params += p.numel;
            }
        }
        let buffer_elements = self.buffers.iter().map(|b| b.numel).sum();
        let total_macs = self
            .modules
            .iter()
            .filter(|m| m.parent.is_none())
            .map(|m| m.macs)
            .sum();
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
