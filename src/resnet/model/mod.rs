//! torchvision's ResNet family as data: the module tree in `named_modules()` order, every
//! parameter and buffer with its torchvision name, output shapes, and multiply–accumulate counts;
//! the homework's printed figures checked against it; and batch norm's arithmetic in both modes.
//!
//! Mirrors `torchvision.models.resnet` (v1.5: a bottleneck block strides on its 3×3 conv).
//! Nothing here knows about the terminal; the tab, the headless report and the benchmark all
//! read the same [`Network`].
//!
//! - `count`: the exact-or-overflow [`Count`] every parameter, MAC, FLOP and byte figure is;
//! - `config`: which network (architecture, classes, input size, conv bias) and its errors;
//! - `network`: the built network's record types (one [`Module`] per `named_modules()` entry);
//! - `build`: the builder that follows torchvision's `resnet.py`;
//! - `homework`: the homework's printed counts and their check;
//! - `batchnorm`: one channel through batch norm in train and eval mode, and what each BN feeds;
//! - `cost`: FLOPs forward and backward, training memory and receptive fields per module;
//! - `bn_live`: a convolution, batch norm and ReLU run on camera patches, train vs eval.

pub mod batchnorm;
pub mod bn_live;
mod build;
mod config;
pub mod cost;
mod count;
pub mod homework;
mod network;

pub use build::{build, output_side};
pub use config::{
    Arch, BlockKind, Config, ConfigError, MAX_INPUT_SIDE, MAX_NUM_CLASSES, class_noun,
    parse_input_size,
};
pub use count::Count;
pub use network::{
    Buffer, ConvRole, ConvSpec, GroupTotals, Mode, Module, ModuleKind, Network, ParamGroup,
    Parameter, SequentialRole, TensorRole, WeightDecaySplit,
};

#[cfg(test)]
mod tests;
