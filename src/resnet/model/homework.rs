//! The parameter counts the homework's solutions print for resnet18 (Problem 1c, 1e), kept as
//! data in `assets/hw2_printed.json`, and a check of each one against our own computation.
//!
//! Nothing here knows which printed figures are wrong: every row is recomputed from the model
//! under the definition the homework's table uses, and compared.

use std::fmt;

use serde::Deserialize;

use super::config::{Arch, Config, ConfigError};
use super::count::Count;
use super::network::{ModuleKind, Network};

const ASSET_PATH: &str = "assets/hw2_printed.json";
const PRINTED_JSON: &str = include_str!("../../../assets/hw2_printed.json");

/// The embedded asset could not be used; `Display` is one line naming the file.
#[derive(Debug)]
pub enum AssetError {
    /// The JSON does not parse into [`PrintedFigures`].
    Parse(serde_json::Error),
    /// The configuration it names is not one we can build.
    Config(ConfigError),
}

impl fmt::Display for AssetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssetError::Parse(e) => write!(f, "{ASSET_PATH} (embedded): {e}"),
            AssetError::Config(e) => write!(f, "{ASSET_PATH} (embedded): {e}"),
        }
    }
}

impl std::error::Error for AssetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AssetError::Parse(e) => Some(e),
            AssetError::Config(e) => Some(e),
        }
    }
}

/// The printed figures, as stored in the asset.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrintedFigures {
    pub about: String,
    pub config: PrintedConfig,
    pub blocks: Vec<PrintedBlock>,
    pub layers: Vec<PrintedLayer>,
    pub groups: Vec<PrintedGroup>,
}

/// The configuration the homework counted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrintedConfig {
    pub arch: String,
    pub num_classes: u64,
    pub input_size: [u64; 2],
}

/// A row of the block table: a top-level module, or the whole network when `module` is null.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrintedBlock {
    pub label: String,
    pub module: Option<String>,
    pub printed: u64,
}

/// A row of the per-layer list: a conv (counted with its batch norm), a shortcut or the fc.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrintedLayer {
    pub module: String,
    pub printed: u64,
}

/// A row of the parameter-group table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrintedGroup {
    pub label: String,
    pub group: GroupName,
    pub printed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupName {
    Batchnorm,
    Bias,
    Rest,
    Total,
}

/// The homework's printed figures, parsed from the embedded asset.
pub fn printed_figures() -> Result<PrintedFigures, AssetError> {
    serde_json::from_str(PRINTED_JSON).map_err(AssetError::Parse)
}

impl PrintedFigures {
    /// The configuration the homework's numbers refer to.
    pub fn model_config(&self) -> Result<Config, AssetError> {
        let arch: Arch = self.config.arch.parse().map_err(AssetError::Config)?;
        let cfg = Config {
            arch,
            num_classes: self.config.num_classes,
            input_hw: (self.config.input_size[0], self.config.input_size[1]),
            conv_bias: false,
        };
        cfg.validate().map_err(AssetError::Config)?;
        Ok(cfg)
    }
}

/// Which table of the homework a row comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Problem 1(c), parameters per block.
    Blocks,
    /// Problem 1(c), parameters per layer (conv counted with its batch norm).
    Layers,
    /// Problem 1(e), parameter groups.
    Groups,
}

impl Section {
    pub fn title(self) -> &'static str {
        match self {
            Section::Blocks => "per block (1c)",
            Section::Layers => "per layer (1c)",
            Section::Groups => "groups (1e)",
        }
    }
}

/// One printed figure next to our computation under the same definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRow {
    pub section: Section,
    pub label: String,
    pub printed: u64,
    /// `None` when the network has no such module (it is not the homework's resnet18).
    pub computed: Option<Count>,
    pub matches: bool,
    /// What is counted, e.g. "conv + its batch norm".
    pub definition: &'static str,
}

/// The label of a per-layer row: a conv's name with its batch norm's (`layer4.1.conv2 + bn2`),
/// since the homework counts the two together; any other module by its name.
pub fn layer_label(net: &Network, name: &str) -> String {
    let bn = net.find(name).and_then(|i| match net.modules[i].kind {
        ModuleKind::Conv2d(spec) => spec.batchnorm,
        _ => None,
    });
    match bn {
        Some(b) => format!("{name} + {}", net.modules[b].local_name()),
        None => name.to_string(),
    }
}

/// What the printed block table covers: the sum of its rows (as we compute them, the total
/// row left out) and the top-level modules with parameters that no row names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockCoverage {
    /// Our figures for the block rows, summed.
    pub rows_sum: Count,
    /// The network's total.
    pub total: Count,
    /// Top-level modules with parameters that no block row names, with their parameters.
    pub missing: Vec<(String, Count)>,
}

impl BlockCoverage {
    /// How far the rows fall short of the total; `None` if either overflowed.
    pub fn shortfall(&self) -> Option<Count> {
        self.total.checked_sub(self.rows_sum)
    }
}

/// How far the block table's rows, corrected, fall short of the total, and why.
pub fn block_coverage(printed: &PrintedFigures, net: &Network) -> BlockCoverage {
    let named: Vec<&str> = printed
        .blocks
        .iter()
        .filter_map(|b| b.module.as_deref())
        .collect();
    let rows_sum = named
        .iter()
        .filter_map(|name| net.find(name))
        .map(|i| net.modules[i].params)
        .sum();
    let missing = net
        .top_level()
        .map(|i| &net.modules[i])
        .filter(|m| !m.params.is_zero() && !named.contains(&m.name.as_str()))
        .map(|m| (m.name.clone(), m.params))
        .collect();
    BlockCoverage {
        rows_sum,
        total: net.total_params(),
        missing,
    }
}

/// Checks every printed figure against `net` (meant for resnet18, 1000 classes).
pub fn homework_check(net: &Network) -> Result<Vec<CheckRow>, AssetError> {
    Ok(check_against(&printed_figures()?, net))
}

/// Checks the given printed figures against `net`.
pub fn check_against(printed: &PrintedFigures, net: &Network) -> Vec<CheckRow> {
    let row = |section, label: &str, printed: u64, computed: Option<Count>, definition| CheckRow {
        section,
        label: label.to_string(),
        printed,
        computed,
        matches: computed == Some(Count::from(printed)),
        definition,
    };
    let module_params = |name: &str| net.find(name).map(|i| net.modules[i].params);
    let mut rows = Vec::with_capacity(printed.blocks.len() + printed.layers.len() + 4);
    for b in &printed.blocks {
        rows.push(match &b.module {
            Some(name) => row(
                Section::Blocks,
                &b.label,
                b.printed,
                module_params(name),
                "all parameters of the module",
            ),
            None => row(
                Section::Blocks,
                &b.label,
                b.printed,
                Some(net.total_params()),
                "all parameters of the network",
            ),
        });
    }
    for l in &printed.layers {
        let (computed, definition) = match net.find(&l.module) {
            Some(i) => match net.modules[i].kind {
                ModuleKind::Conv2d(spec) => {
                    let bn = spec
                        .batchnorm
                        .map_or(Count::ZERO, |b| net.modules[b].params);
                    (Some(net.modules[i].params + bn), "conv + its batch norm")
                }
                _ => (Some(net.modules[i].params), "all parameters of the module"),
            },
            None => (None, "module not in this network"),
        };
        rows.push(row(
            Section::Layers,
            &layer_label(net, &l.module),
            l.printed,
            computed,
            definition,
        ));
    }
    let groups = net.groups();
    for g in &printed.groups {
        let computed = match g.group {
            GroupName::Batchnorm => groups.batchnorm,
            GroupName::Bias => groups.bias,
            GroupName::Rest => groups.rest,
            GroupName::Total => groups.total(),
        };
        let definition = "names containing bn/downsample.1, then bias, then the rest";
        rows.push(row(
            Section::Groups,
            &g.label,
            g.printed,
            Some(computed),
            definition,
        ));
    }
    rows
}
