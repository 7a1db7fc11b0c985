//! Which network to build: the five architectures, the knobs the tab and the command line
//! expose, their limits, and the typed error of a bad value.

use std::fmt;
use std::str::FromStr;

use crate::controls::Cycle;

/// Largest class count accepted (a 1,000,000-way classifier on ResNet-152 is ~2·10⁹ weights).
pub const MAX_NUM_CLASSES: u64 = 1_000_000;
/// Largest input side accepted, in pixels.
pub const MAX_INPUT_SIDE: u64 = 8192;

/// The five depths torchvision ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
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

/// All architectures, shallowest first: the depth keys step through them in this order.
impl Cycle for Arch {
    const ALL: &'static [Self] = &[
        Arch::Resnet18,
        Arch::Resnet34,
        Arch::Resnet50,
        Arch::Resnet101,
        Arch::Resnet152,
    ];
}

impl Arch {
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
        Arch::ALL
            .iter()
            .copied()
            .find(|a| a.name() == wanted)
            .ok_or_else(|| ConfigError::UnknownArch(s.trim().to_string()))
    }
}

/// A bad configuration value; `Display` is one line saying what is wrong with it (the command
/// line adds the flag's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    UnknownArch(String),
    NoClasses,
    TooManyClasses(u64),
    /// A side outside 1..=[`MAX_INPUT_SIDE`]; `value` as given (it may not fit a `u64`).
    InputSideOutOfRange {
        side: &'static str,
        value: String,
    },
    InputSizeSyntax(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::UnknownArch(s) => {
                let names: Vec<&str> = Arch::ALL.iter().map(|a| a.name()).collect();
                write!(
                    f,
                    "unknown architecture {s:?}; valid names are {}",
                    names.join(", ")
                )
            }
            ConfigError::NoClasses => f.write_str("the number of classes must be at least 1"),
            ConfigError::TooManyClasses(n) => {
                write!(
                    f,
                    "the number of classes must be at most {MAX_NUM_CLASSES} (got {n})"
                )
            }
            ConfigError::InputSideOutOfRange { side, value } => write!(
                f,
                "{side} must be between 1 and {MAX_INPUT_SIDE} pixels (got {value})"
            ),
            ConfigError::InputSizeSyntax(s) => write!(
                f,
                "the input size must be N or HxW in whole pixels, e.g. 224 or 224x160 (got {s:?})"
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

/// The noun for `n` output classes: "class" for one, "classes" otherwise.
pub fn class_noun(n: u64) -> &'static str {
    if n == 1 { "class" } else { "classes" }
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
        Err(ConfigError::InputSideOutOfRange {
            side,
            value: value.to_string(),
        })
    }
}

/// Parses an input size: `"224"` (square) or `"HxW"` such as `"224x160"` (also `X` or `×`).
pub fn parse_input_size(text: &str) -> Result<(u64, u64), ConfigError> {
    let syntax = || ConfigError::InputSizeSyntax(text.trim().to_string());
    let parts: Vec<&str> = text.trim().split(['x', 'X', '×']).map(str::trim).collect();
    let number = |side: &'static str, s: &str| -> Result<u64, ConfigError> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(syntax());
        }
        // All digits but too long for a u64: certainly above the limit, echoed as given.
        let n = s
            .parse::<u64>()
            .map_err(|_| ConfigError::InputSideOutOfRange {
                side,
                value: s.to_string(),
            })?;
        check_side(side, n)
    };
    match parts.as_slice() {
        [side] => {
            let n = number("height", side)?;
            Ok((n, n))
        }
        [h, w] => Ok((number("height", h)?, number("width", w)?)),
        _ => Err(syntax()),
    }
}
