//! torch.optim's SGD (with or without momentum) and Adam over one flat parameter vector: the
//! update that is taken, and the same update computed without taking it (what a step would
//! have been with another gradient, e.g. the unclipped one).

/// The optimizer (torch.optim, no weight decay).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Optimizer {
    /// `torch.optim.SGD(lr, momentum=μ)`: dampening 0, no Nesterov; with μ = 0 no buffer.
    Sgd { momentum: f64 },
    /// `torch.optim.Adam(lr)`: β = (0.9, 0.999), ε = 1e-8, bias-corrected.
    Adam,
}

impl Optimizer {
    pub fn name(self) -> &'static str {
        match self {
            Optimizer::Sgd { .. } => "sgd",
            Optimizer::Adam => "adam",
        }
    }
    pub fn momentum(self) -> Option<f64> {
        match self {
            Optimizer::Sgd { momentum } => Some(momentum),
            Optimizer::Adam => None,
        }
    }
}

/// Adam's constants as torch.optim.Adam's defaults.
pub const ADAM_BETA1: f64 = 0.9;
pub const ADAM_BETA2: f64 = 0.999;
pub const ADAM_EPS: f64 = 1e-8;

/// The optimizer's state for all parameters (flat, same layout as the parameters).
#[derive(Clone, Debug)]
pub enum OptState {
    Sgd { momentum_buffer: Option<Vec<f64>> },
    Adam { step: i32, m: Vec<f64>, v: Vec<f64> },
}

impl OptState {
    /// The state before the first step, for `n` parameters.
    pub fn new(kind: Optimizer, n: usize) -> Self {
        match kind {
            Optimizer::Sgd { .. } => OptState::Sgd {
                momentum_buffer: None,
            },
            Optimizer::Adam => OptState::Adam {
                step: 0,
                m: vec![0.0; n],
                v: vec![0.0; n],
            },
        }
    }

    /// The momentum buffer b (SGD with μ > 0, after its first step).
    pub fn momentum_buffer(&self) -> Option<&[f64]> {
        match self {
            OptState::Sgd { momentum_buffer } => momentum_buffer.as_deref(),
            OptState::Adam { .. } => None,
        }
    }

    /// torch.optim's update of `params` with gradient `grads`.
    ///
    /// SGD: b ← g on the first step, b ← μ b + g after (dampening 0); p ← p − η b (p ← p − η g
    /// when μ = 0). Adam at step k: m ← m + (1−β₁)(g − m), v ← β₂ v + (1−β₂) g²,
    /// p ← p − (η / (1−β₁ᵏ)) · m / (√v / √(1−β₂ᵏ) + ε).
    pub fn step(&mut self, kind: Optimizer, lr: f64, params: &mut [f64], grads: &[f64]) {
        match self {
            OptState::Sgd { momentum_buffer } => {
                let momentum = kind.momentum().unwrap_or(0.0);
                if momentum == 0.0 {
                    for (p, g) in params.iter_mut().zip(grads) {
                        *p -= lr * g;
                    }
                    return;
                }
                match momentum_buffer {
                    None => {
                        for (p, g) in params.iter_mut().zip(grads) {
                            *p -= lr * g;
                        }
                        *momentum_buffer = Some(grads.to_vec());
                    }
                    Some(buf) => {
                        for ((p, g), b) in params.iter_mut().zip(grads).zip(buf.iter_mut()) {
                            *b = momentum * *b + g;
                            *p -= lr * *b;
                        }
                    }
                }
            }
            OptState::Adam { step, m, v } => {
                *step += 1;
                let (step_size, bias2_sqrt) = adam_factors(lr, *step);
                for (((p, g), m), v) in params
                    .iter_mut()
                    .zip(grads)
                    .zip(m.iter_mut())
                    .zip(v.iter_mut())
                {
                    *m += (1.0 - ADAM_BETA1) * (g - *m);
                    *v = ADAM_BETA2 * *v + (1.0 - ADAM_BETA2) * g * g;
                    let denom = v.sqrt() / bias2_sqrt + ADAM_EPS;
                    *p -= step_size * *m / denom;
                }
            }
        }
    }

    /// The change −Δθ that [`OptState::step`] would subtract from the parameters for gradient
    /// `grads`, written to `delta`; the state does not move. The same formulas, so it is the
    /// step taken when `grads` is the gradient used, and the counterfactual step otherwise.
    pub fn update(&self, kind: Optimizer, lr: f64, grads: &[f64], delta: &mut [f64]) {
        match self {
            OptState::Sgd { momentum_buffer } => {
                let momentum = kind.momentum().unwrap_or(0.0);
                match momentum_buffer {
                    Some(buf) if momentum != 0.0 => {
                        for ((d, g), b) in delta.iter_mut().zip(grads).zip(buf) {
                            *d = lr * (momentum * *b + g);
                        }
                    }
                    _ => {
                        for (d, g) in delta.iter_mut().zip(grads) {
                            *d = lr * g;
                        }
                    }
                }
            }
            OptState::Adam { step, m, v } => {
                let (step_size, bias2_sqrt) = adam_factors(lr, *step + 1);
                for (((d, g), m), v) in delta.iter_mut().zip(grads).zip(m).zip(v) {
                    let m = m + (1.0 - ADAM_BETA1) * (g - m);
                    let v = ADAM_BETA2 * v + (1.0 - ADAM_BETA2) * g * g;
                    *d = step_size * m / (v.sqrt() / bias2_sqrt + ADAM_EPS);
                }
            }
        }
    }
}

/// Adam's step size η/(1−β₁ᵏ) and √(1−β₂ᵏ) at step k.
fn adam_factors(lr: f64, k: i32) -> (f64, f64) {
    let bias1 = 1.0 - ADAM_BETA1.powi(k);
    (lr / bias1, (1.0 - ADAM_BETA2.powi(k)).sqrt())
}
