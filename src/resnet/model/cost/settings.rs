//! The settings a cost is computed for: the model's dtype and the optimizer.

use std::fmt;
use std::str::FromStr;

use super::CostError;
use crate::controls::Cycle;

/// Floating-point type of parameters, activations and optimizer state (`model.to(dtype)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dtype {
    #[default]
    Float32,
    Float16,
    Bfloat16,
}

impl Cycle for Dtype {
    const ALL: &'static [Self] = &[Dtype::Float32, Dtype::Float16, Dtype::Bfloat16];
}

impl Dtype {
    /// Bytes per element: 4, 2, 2.
    pub fn bytes(self) -> u64 {
        match self {
            Dtype::Float32 => 4,
            Dtype::Float16 | Dtype::Bfloat16 => 2,
        }
    }

    /// PyTorch's name, e.g. `float16`.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::Float32 => "float32",
            Dtype::Float16 => "float16",
            Dtype::Bfloat16 => "bfloat16",
        }
    }
}

impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dtype {
    type Err = CostError;

    /// `float32`, `float16` or `bfloat16` (case ignored; `torch.` prefix allowed).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        let wanted = wanted.strip_prefix("torch.").unwrap_or(&wanted);
        Dtype::ALL
            .iter()
            .copied()
            .find(|d| d.name() == wanted)
            .ok_or_else(|| CostError::UnknownDtype(s.trim().to_string()))
    }
}

/// The optimizer, which decides how many state buffers each trainable parameter gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Optimizer {
    /// Plain SGD (μ = 0): no state.
    #[default]
    Sgd,
    /// SGD with momentum μ > 0: one `momentum_buffer`.
    SgdMomentum,
    /// Adam: `exp_avg` and `exp_avg_sq`, plus a float32 `step` scalar per parameter tensor.
    Adam,
}

impl Cycle for Optimizer {
    const ALL: &'static [Self] = &[Optimizer::Sgd, Optimizer::SgdMomentum, Optimizer::Adam];
}

impl Optimizer {
    /// `torch.optim.SGD(momentum=μ)`: one buffer when μ > 0 (as in `dlscope train`).
    pub fn sgd(momentum: f64) -> Self {
        if momentum > 0.0 {
            Optimizer::SgdMomentum
        } else {
            Optimizer::Sgd
        }
    }

    /// State buffers of a parameter's size kept per trainable parameter.
    pub fn state_buffers(self) -> u64 {
        match self {
            Optimizer::Sgd => 0,
            Optimizer::SgdMomentum => 1,
            Optimizer::Adam => 2,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Optimizer::Sgd => "sgd",
            Optimizer::SgdMomentum => "sgd+momentum",
            Optimizer::Adam => "adam",
        }
    }
}

impl fmt::Display for Optimizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Optimizer {
    type Err = CostError;

    /// `sgd` or `adam` as on the command line (momentum comes from `--momentum`, see
    /// [`Optimizer::sgd`]); `sgd+momentum` is accepted too.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Optimizer::ALL
            .iter()
            .copied()
            .find(|o| o.name() == wanted)
            .ok_or_else(|| CostError::UnknownOptimizer(s.trim().to_string()))
    }
}
