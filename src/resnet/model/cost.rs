//! What a built ResNet costs to run and to train: FLOPs forward and backward, the bytes of
//! parameters, gradients, optimizer state and the activations autograd saves, and the
//! receptive field of every module.
//!
//! Every figure follows one simulated forward pass over the module tree, in the order
//! torchvision's `forward()` runs it (blocks: the main path's convs and batch norms, a ReLU
//! after every batch norm but the last, then `out += shortcut(x)` and the last ReLU), with
//! `requires_grad` carried along each tensor exactly as autograd carries it: a tensor needs a
//! gradient when any input or parameter of the operation that made it does.
//!
//! **FLOPs** are counted as `torch.utils.flop_counter.FlopCounterMode` counts them: 2 per
//! multiply–add of a convolution or a matrix product (biases, batch norm, ReLU, pooling and
//! the residual sum count 0), so the forward pass is 2 × [`Network::total_macs`]. The
//! backward pass of a conv or linear layer costs its forward FLOPs once for the weight
//! gradient (if the weight requires grad) and once for the input gradient (if the input
//! requires grad, i.e. depends through the graph, shortcuts included, on a trainable
//! parameter). The image never requires grad, so the stem conv computes no input gradient.
//!
//! **Saved activations** are the distinct storages autograd keeps for the backward pass,
//! parameters and buffers excluded. The rules, per operation (each applies only when the
//! operation records a backward node, i.e. when its input or its parameters require grad;
//! under `torch.no_grad()` no node is recorded and nothing is saved):
//! - `Conv2d` saves its input (and its weight, a parameter). `convolution`'s derivative is one
//!   formula for input, weight and bias, so PyTorch saves the input even when only the input
//!   gradient (which needs just the weight) is wanted.
//! - `BatchNorm2d` saves its input (the conv output) and, in train mode, the per-channel batch
//!   mean and inverse standard deviation (2·C values); in eval mode those two are empty and
//!   the running statistics it uses are buffers. One joint formula again: saved whenever the
//!   node exists, whether the affine parameters are frozen or not.
//! - `ReLU(inplace=True)` saves its result, which is the storage it overwrote (a batch norm's
//!   output, or the main path's output after the in-place `out += identity`).
//! - `MaxPool2d` saves its input and the int64 indices of the maxima.
//! - `AdaptiveAvgPool2d((1, 1))` runs as `mean` over H and W, which keeps only sizes.
//! - `Linear` (`addmm`) saves its input only if the weight requires grad (the input is what
//!   the weight gradient needs; the input gradient needs only the weight).
//! - the in-place residual sum saves nothing.
//!
//! A storage is counted once, at the module that allocated it: a conv output at the conv
//! (saved by its batch norm), a batch-norm output at the batch norm (saved by the ReLU), the
//! pool's output (saved by the next conv) and indices at the pool, the pooled features at
//! `avgpool` (saved by `fc`), and the image, which no module allocates, at the stem conv that
//! saves it ([`SavedBytes::input`] says how much of that row it is). Per-module figures
//! therefore sum to the total. Activations and statistics take
//! the model's dtype (`model.to(dtype)`), indices 8 bytes.
//!
//! **Receptive field and jump** follow the main path: r′ = r + (k − 1)·d·j and j′ = j·s from
//! r = j = 1 at the image (d = 1 throughout torchvision's ResNets); batch norms and ReLUs keep
//! them; the shortcut's field (a 1×1 conv on the block input) is never larger than the main
//! path's; global pooling and the classifier see the whole image (`None`).

use std::collections::BTreeSet;
use std::fmt;

use crate::resnet::model::{Count, Mode, ModuleKind, Network};

/// Largest batch the command line accepts (`--batch`). At it, with every other input at its
/// limit, the largest count (resnet152's backward FLOPs, about 6.1·10¹⁹) is still 18 decimal
/// orders below `u128::MAX`.
pub const MAX_BATCH: u64 = 1_000_000;

/// Bytes of one int64 element (max-pool indices, `num_batches_tracked`).
const INT64_BYTES: u64 = 8;
/// Bytes of Adam's `step`, a float32 scalar tensor per parameter tensor (torch ≥ 1.12).
const ADAM_STEP_BYTES: u64 = 4;

mod settings;
pub use settings::{Dtype, Optimizer};

/// A bad cost option; `Display` is one line saying what is wrong with it (the command line adds
/// the flag's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CostError {
    UnknownDtype(String),
    UnknownOptimizer(String),
    /// A name of a module to freeze that is not a module; `closest` is the nearest module name.
    UnknownModule {
        name: String,
        closest: String,
    },
}

impl fmt::Display for CostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CostError::UnknownDtype(s) => write!(
                f,
                "unknown dtype {s:?}; valid names are float32, float16, bfloat16"
            ),
            CostError::UnknownOptimizer(s) => {
                write!(f, "unknown optimizer {s:?}; valid names are sgd, adam")
            }
            CostError::UnknownModule { name, closest } => {
                write!(f, "no module named {name:?}; the closest is {closest:?}")
            }
        }
    }
}

impl std::error::Error for CostError {}

/// How the network is run: batch, dtype, optimizer, mode, autograd and frozen modules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cost {
    /// Images per batch.
    pub batch: u64,
    pub dtype: Dtype,
    pub optimizer: Optimizer,
    /// Train mode saves batch statistics; eval mode does not.
    pub mode: Mode,
    /// False is `torch.no_grad()`: an inference pass that saves nothing, computes no
    /// backward pass and keeps no gradients or optimizer state.
    pub autograd: bool,
    /// Modules whose own parameters have `requires_grad = False` (indices into
    /// [`Network::modules`]); [`Cost::set_frozen`] fills whole subtrees, as
    /// `module.requires_grad_(False)` does. Indices of one architecture: clear the set when
    /// the architecture changes.
    pub frozen: BTreeSet<usize>,
}

impl Default for Cost {
    fn default() -> Self {
        Cost {
            batch: 1,
            dtype: Dtype::Float32,
            optimizer: Optimizer::Sgd,
            mode: Mode::Train,
            autograd: true,
            frozen: BTreeSet::new(),
        }
    }
}

impl Cost {
    /// `net.modules[index].requires_grad_(!frozen)`: every module of the subtree.
    pub fn set_frozen(&mut self, net: &Network, index: usize, frozen: bool) {
        for i in index..net.subtree_end(index) {
            if frozen {
                self.frozen.insert(i);
            } else {
                self.frozen.remove(&i);
            }
        }
    }

    /// True when the subtree has parameters and none of them requires grad.
    pub fn is_frozen(&self, net: &Network, index: usize) -> bool {
        let mut owners =
            (index..net.subtree_end(index)).filter(|&i| !net.modules[i].own_params.is_zero());
        let mut any = false;
        let all = owners.all(|i| {
            any = true;
            self.frozen.contains(&i)
        });
        any && all
    }

    /// Freezes the subtree at `index` unless it is wholly frozen, in which case unfreezes it.
    pub fn toggle_frozen(&mut self, net: &Network, index: usize) {
        let frozen = self.is_frozen(net, index);
        self.set_frozen(net, index, !frozen);
    }

    /// Freezes every named module's subtree (`--freeze conv1,bn1,layer1`). An unknown name is
    /// an error naming the closest module name; nothing is frozen then.
    pub fn freeze_names<S: AsRef<str>>(
        &mut self,
        net: &Network,
        names: &[S],
    ) -> Result<(), CostError> {
        let mut found = Vec::with_capacity(names.len());
        for name in names {
            let name = name.as_ref().trim();
            match net.find(name) {
                Some(i) => found.push(i),
                None => {
                    return Err(CostError::UnknownModule {
                        name: name.to_string(),
                        closest: closest_name(net, name),
                    });
                }
            }
        }
        for i in found {
            self.set_frozen(net, i, true);
        }
        Ok(())
    }
}

/// The module name at the smallest edit distance from `name` (the first such, in order).
fn closest_name(net: &Network, name: &str) -> String {
    net.modules
        .iter()
        .min_by_key(|m| edit_distance(&m.name, name))
        .map(|m| m.name.clone())
        .unwrap_or_default()
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Receptive field (pixels of the input one output value sees, per side) and jump (input
/// pixels between neighbouring outputs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub receptive_field: Count,
    pub jump: Count,
}

impl Field {
    /// One input pixel.
    pub const IMAGE: Field = Field {
        receptive_field: Count::Exact(1),
        jump: Count::Exact(1),
    };

    /// After a window of `kernel` with `stride` (dilation 1): r + (k − 1)·j, j·s.
    pub fn through(self, kernel: u64, stride: u64) -> Field {
        Field {
            receptive_field: self.receptive_field + self.jump * (kernel.max(1) - 1),
            jump: self.jump * stride.max(1),
        }
    }
}

/// Saved bytes split by what they hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SavedBytes {
    /// Activations (and the image), in the model's dtype.
    pub values: Count,
    /// The part of `values` that is the input image (no module allocates it; it is booked at
    /// the stem conv that saves it), 0 when the image is not saved.
    pub input: Count,
    /// Max-pool indices, int64.
    pub indices: Count,
    /// Batch-norm batch mean and inverse std (train mode only), in the model's dtype.
    pub statistics: Count,
}

impl SavedBytes {
    pub fn total(&self) -> Count {
        self.values + self.indices + self.statistics
    }

    fn add(&mut self, other: SavedBytes) {
        self.values += other.values;
        self.input += other.input;
        self.indices += other.indices;
        self.statistics += other.statistics;
    }
}

/// The costs of one module (containers: the sum over their subtree).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModuleCost {
    /// FLOPs of the forward pass for the whole batch (2 per multiply–add).
    pub flops_forward: Count,
    /// FLOPs of the backward pass for the whole batch: weight and input gradients.
    pub flops_backward: Count,
    /// Storages this subtree allocated that autograd saves.
    pub saved: SavedBytes,
    /// Parameters that require grad.
    pub trainable_params: Count,
    /// The subtree has parameters and none requires grad.
    pub frozen: bool,
    /// A leaf's backward pass computes a weight gradient (conv, BN, linear).
    pub weight_grad: bool,
    /// The module's input requires grad, so its backward pass computes an input gradient.
    /// For containers: the container's input.
    pub input_grad: bool,
    /// Receptive field and jump of the output; `None` where it is global (avgpool, fc).
    pub field: Option<Field>,
}

impl ModuleCost {
    /// All saved bytes of this module.
    pub fn activation_bytes(&self) -> Count {
        self.saved.total()
    }
}

/// The whole network's costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub flops_forward: Count,
    pub flops_backward: Count,
    /// All parameters (frozen ones too), in the dtype.
    pub param_bytes: Count,
    /// Running mean and variance in the dtype, `num_batches_tracked` as int64.
    pub buffer_bytes: Count,
    /// One gradient per trainable parameter (0 under no_grad).
    pub grad_bytes: Count,
    /// Optimizer state for the trainable parameters (0 under no_grad).
    pub optimizer_bytes: Count,
    pub saved: SavedBytes,
    pub trainable_params: Count,
}

impl Totals {
    /// Bytes autograd saves for the backward pass.
    pub fn activation_bytes(&self) -> Count {
        self.saved.total()
    }

    /// Parameters + buffers + gradients + optimizer state + saved activations: what a
    /// training step holds at the end of the forward pass, gradients already allocated.
    pub fn training_bytes(&self) -> Count {
        self.param_bytes
            + self.buffer_bytes
            + self.grad_bytes
            + self.optimizer_bytes
            + self.saved.total()
    }
}

/// Costs per module (parallel to [`Network::modules`]) and for the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Costs {
    pub modules: Vec<ModuleCost>,
    pub totals: Totals,
    /// The batch norms PyTorch refuses to run in this mode (see [`one_value_per_channel`]);
    /// empty when the step runs.
    pub one_value_per_channel: Vec<OneValuePerChannel>,
}

/// A batch norm that sees one value per channel in train mode: its input is N×C×H×W with
/// N·H·W = 1, and `F.batch_norm` raises instead of running (a variance needs two values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneValuePerChannel {
    /// Index into [`Network::modules`].
    pub module: usize,
    /// The input's size as PyTorch prints it: [N, C, H, W].
    pub input_size: [u64; 4],
}

impl OneValuePerChannel {
    /// PyTorch's message for it.
    pub fn message(&self) -> String {
        let [n, c, h, w] = self.input_size;
        format!(
            "Expected more than 1 value per channel when training, got input size \
             torch.Size([{n}, {c}, {h}, {w}])"
        )
    }
}

/// Every batch norm that would raise in `cost`'s run, in forward order: in train mode, those
/// whose input has batch × H × W = 1 (`size(0)·prod(size(2:)) == 1`, PyTorch's test); none in
/// eval mode, which uses the running statistics. The forward pass stops at the first.
pub fn one_value_per_channel(net: &Network, cost: &Cost) -> Vec<OneValuePerChannel> {
    if cost.mode != Mode::Train {
        return Vec::new();
    }
    net.modules
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            let ModuleKind::BatchNorm2d { num_features } = m.kind else {
                return None;
            };
            // A batch norm's output has its input's shape.
            let (h, w) = (*m.output_shape.get(1)?, *m.output_shape.get(2)?);
            // N·H·W = 1 exactly when each factor is 1.
            (cost.batch == 1 && h == 1 && w == 1).then_some(OneValuePerChannel {
                module: i,
                input_size: [cost.batch, num_features, h, w],
            })
        })
        .collect()
}

/// Computes every cost of `net` run as `cost` says (see the module documentation for the
/// rules).
pub fn costs(net: &Network, cost: &Cost) -> Costs {
    let mut walk = Walk::new(net, cost);
    let [c, h, w] = net.input_shape();
    let first = net.top_level().next().unwrap_or(0);
    let image = walk.values(first, product(&[c, h, w]));
    walk.storages[image].part = Part::Input;
    let mut x = Act {
        storage: image,
        requires_grad: false,
        field: Some(Field::IMAGE),
    };
    for i in net.top_level() {
        x = walk.module(i, x);
    }
    walk.finish()
}

/// Receptive field and jump of every module's output (`None`: global); needs no [`Cost`].
pub fn receptive_fields(net: &Network) -> Vec<Option<Field>> {
    let cost = Cost {
        autograd: false,
        ..Cost::default()
    };
    costs(net, &cost).modules.iter().map(|m| m.field).collect()
}

#[derive(Debug, Clone, Copy)]
enum Part {
    /// The input image: values, booked at the module that saves it.
    Input,
    Values,
    Indices,
    Statistics,
}

/// One tensor storage created during the forward pass.
#[derive(Debug, Clone, Copy)]
struct Storage {
    owner: usize,
    bytes: Count,
    part: Part,
    saved: bool,
}

/// A tensor flowing through the forward pass.
#[derive(Debug, Clone, Copy)]
struct Act {
    storage: usize,
    requires_grad: bool,
    field: Option<Field>,
}

struct Walk<'a> {
    net: &'a Network,
    cost: &'a Cost,
    storages: Vec<Storage>,
    rows: Vec<ModuleCost>,
}

impl<'a> Walk<'a> {
    fn new(net: &'a Network, cost: &'a Cost) -> Self {
        let rows = net
            .modules
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let trainable = !cost.frozen.contains(&i);
                ModuleCost {
                    trainable_params: if trainable { m.own_params } else { Count::ZERO },
                    ..ModuleCost::default()
                }
            })
            .collect();
        Walk {
            net,
            cost,
            storages: Vec::with_capacity(4 * net.modules.len()),
            rows,
        }
    }

    /// Whether module `i`'s own parameters take part in autograd.
    fn weights_require_grad(&self, i: usize) -> bool {
        self.cost.autograd
            && !self.net.modules[i].own_params.is_zero()
            && !self.cost.frozen.contains(&i)
    }

    fn push(&mut self, owner: usize, bytes: Count, part: Part) -> usize {
        self.storages.push(Storage {
            owner,
            bytes,
            part,
            saved: false,
        });
        self.storages.len() - 1
    }

    /// A new activation storage of `elements` per image.
    fn values(&mut self, owner: usize, elements: Count) -> usize {
        let bytes = elements * self.cost.batch * self.cost.dtype.bytes();
        self.push(owner, bytes, Part::Values)
    }

    fn output(&mut self, i: usize) -> usize {
        let elements = product(&self.net.modules[i].output_shape);
        self.values(i, elements)
    }

    fn save(&mut self, storage: usize) {
        if let Some(s) = self.storages.get_mut(storage) {
            s.saved = true;
        }
    }

    /// FLOPs of a conv or linear layer: forward, and backward for the gradients asked for.
    fn matmul_flops(&mut self, i: usize, weight_grad: bool, input_grad: bool) {
        let forward = self.net.modules[i].own_macs * 2 * self.cost.batch;
        let row = &mut self.rows[i];
        row.flops_forward = forward;
        row.flops_backward = forward * (u64::from(weight_grad) + u64::from(input_grad));
    }

    /// Runs module `i` on `x` and returns its output.
    fn module(&mut self, i: usize, x: Act) -> Act {
        let net = self.net;
        let module = &net.modules[i];
        let weight_grad = self.weights_require_grad(i);
        let records = x.requires_grad || weight_grad;
        self.rows[i].input_grad = x.requires_grad;
        let y = match module.kind {
            ModuleKind::Conv2d(spec) => {
                if records {
                    self.save(x.storage);
                }
                self.matmul_flops(i, weight_grad, x.requires_grad);
                self.rows[i].weight_grad = weight_grad;
                Act {
                    storage: self.output(i),
                    requires_grad: records,
                    field: x.field.map(|f| f.through(spec.kernel, spec.stride)),
                }
            }
            ModuleKind::BatchNorm2d { num_features } => {
                self.batch_norm(i, x, num_features, weight_grad)
            }
            ModuleKind::ReLU => {
                if x.requires_grad {
                    self.save(x.storage);
                }
                x
            }
            ModuleKind::MaxPool2d { kernel, stride, .. } => self.max_pool(i, x, kernel, stride),
            ModuleKind::Sequential(_) => module
                .children
                .iter()
                .fold(x, |acc, &c| self.module(c, acc)),
            ModuleKind::BasicBlock { .. } | ModuleKind::Bottleneck { .. } => self.block(i, x),
            ModuleKind::AdaptiveAvgPool2d { .. } => Act {
                storage: self.output(i),
                requires_grad: x.requires_grad,
                field: None,
            },
            ModuleKind::Linear { .. } => {
                if weight_grad {
                    self.save(x.storage);
                }
                self.matmul_flops(i, weight_grad, x.requires_grad);
                self.rows[i].weight_grad = weight_grad;
                Act {
                    storage: self.output(i),
                    requires_grad: records,
                    field: None,
                }
            }
        };
        self.rows[i].field = y.field;
        y
    }

    /// Batch norm: saves its input when anything needs a gradient, and in train mode the batch
    /// mean and inverse deviation (two per feature).
    fn batch_norm(&mut self, i: usize, x: Act, num_features: u64, weight_grad: bool) -> Act {
        let records = x.requires_grad || weight_grad;
        if records {
            self.save(x.storage);
            if self.cost.mode == Mode::Train {
                let bytes = Count::from(num_features) * 2 * self.cost.dtype.bytes();
                let stats = self.push(i, bytes, Part::Statistics);
                self.save(stats);
            }
        }
        self.rows[i].weight_grad = weight_grad;
        Act {
            storage: self.output(i),
            requires_grad: records,
            field: x.field,
        }
    }

    /// Max pooling: saves its input and the int64 index of every output's maximum when the
    /// input needs a gradient.
    fn max_pool(&mut self, i: usize, x: Act, kernel: u64, stride: u64) -> Act {
        let out = self.output(i);
        if x.requires_grad {
            self.save(x.storage);
            let elements = product(&self.net.modules[i].output_shape);
            let bytes = elements * self.cost.batch * INT64_BYTES;
            let indices = self.push(i, bytes, Part::Indices);
            self.save(indices);
        }
        Act {
            storage: out,
            requires_grad: x.requires_grad,
            field: x.field.map(|f| f.through(kernel, stride)),
        }
    }

    /// A residual block as torchvision's `forward()` runs it: the main path's convs and batch
    /// norms in attribute order with the block's ReLU after every batch norm but the last,
    /// then `out += downsample(x)` (or `x`) in place on the last batch norm's output, then the
    /// ReLU.
    fn block(&mut self, i: usize, x: Act) -> Act {
        let net = self.net;
        let children = &net.modules[i].children;
        let kind = |c: usize| net.modules[c].kind;
        let relu = children
            .iter()
            .copied()
            .find(|&c| matches!(kind(c), ModuleKind::ReLU));
        let shortcut = children
            .iter()
            .copied()
            .find(|&c| matches!(kind(c), ModuleKind::Sequential(_)));
        let last_bn = children
            .iter()
            .copied()
            .rfind(|&c| matches!(kind(c), ModuleKind::BatchNorm2d { .. }));
        let mut y = x;
        for &c in children {
            match kind(c) {
                ModuleKind::Conv2d(_) => y = self.module(c, y),
                ModuleKind::BatchNorm2d { .. } => {
                    y = self.module(c, y);
                    if Some(c) != last_bn
                        && let Some(r) = relu
                    {
                        y = self.module(r, y);
                    }
                }
                _ => {}
            }
        }
        let identity = match shortcut {
            Some(d) => self.module(d, x),
            None => x,
        };
        // `out += identity` writes into the main path's storage and saves nothing.
        y.requires_grad |= identity.requires_grad;
        if let Some(r) = relu {
            y = self.module(r, y);
        }
        y
    }

    /// Books every saved storage at its owner, rolls subtrees up and sums the totals.
    fn finish(mut self) -> Costs {
        for s in self.storages.iter().filter(|s| s.saved) {
            let saved = &mut self.rows[s.owner].saved;
            if let Part::Input = s.part {
                saved.input += s.bytes;
            }
            let slot = match s.part {
                Part::Input | Part::Values => &mut saved.values,
                Part::Indices => &mut saved.indices,
                Part::Statistics => &mut saved.statistics,
            };
            *slot += s.bytes;
        }
        let net = self.net;
        for i in (0..net.modules.len()).rev() {
            if let Some(p) = net.modules[i].parent {
                let child = self.rows[i];
                let parent = &mut self.rows[p];
                parent.flops_forward += child.flops_forward;
                parent.flops_backward += child.flops_backward;
                parent.saved.add(child.saved);
                parent.trainable_params += child.trainable_params;
            }
        }
        for (row, m) in self.rows.iter_mut().zip(&net.modules) {
            row.frozen = !m.params.is_zero() && row.trainable_params.is_zero();
        }

        let cost = self.cost;
        let dtype = cost.dtype.bytes();
        let mut totals = Totals::default();
        for i in net.top_level() {
            let row = &self.rows[i];
            totals.flops_forward += row.flops_forward;
            totals.flops_backward += row.flops_backward;
            totals.saved.add(row.saved);
            totals.trainable_params += row.trainable_params;
        }
        totals.param_bytes = net.total_params() * dtype;
        totals.buffer_bytes = net
            .buffers
            .iter()
            .map(|b| {
                let size = if b.name.ends_with("num_batches_tracked") {
                    INT64_BYTES
                } else {
                    dtype
                };
                b.numel * size
            })
            .sum();
        if cost.autograd {
            totals.grad_bytes = totals.trainable_params * dtype;
            totals.optimizer_bytes = totals.grad_bytes * cost.optimizer.state_buffers();
            if cost.optimizer == Optimizer::Adam {
                let tensors = net
                    .parameters
                    .iter()
                    .filter(|p| !cost.frozen.contains(&p.module))
                    .count();
                totals.optimizer_bytes += Count::from(tensors) * ADAM_STEP_BYTES;
            }
        }
        Costs {
            modules: self.rows,
            totals,
            one_value_per_channel: one_value_per_channel(net, cost),
        }
    }
}

/// Elements of a tensor of this shape.
fn product(dims: &[u64]) -> Count {
    dims.iter().map(|&d| Count::from(d)).product()
}

#[cfg(test)]
mod tests;
