//! The parameter counts the homework's solutions print for resnet18 (Problem 1c, 1e), kept as
//! data in `assets/hw2_printed.json`, and a check of each one against our own computation.
//!
//! Nothing here knows which printed figures are wrong: every row is recomputed from the model
//! under the definition the homework's table uses, and compared.

use std::fmt;

use serde::Deserialize;

use super::model::{Arch, Config, ModuleKind, Network};

const ASSET_PATH: &str = "assets/hw2_printed.json";
const PRINTED_JSON: &str = include_str!("../../assets/hw2_printed.json");

/// The embedded asset could not be read; `Display` names the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetError(String);

impl fmt::Display for AssetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{ASSET_PATH} (embedded): {}", self.0)
    }
}

impl std::error::Error for AssetError {}

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
    serde_json::from_str(PRINTED_JSON).map_err(|e| AssetError(e.to_string()))
}

impl PrintedFigures {
    /// The configuration the homework's numbers refer to.
    pub fn model_config(&self) -> Result<Config, AssetError> {
        let arch: Arch = self
            .config
            .arch
            .parse()
            .map_err(|e: super::model::ConfigError| AssetError(e.to_string()))?;
        let cfg = Config {
            arch,
            num_classes: self.config.num_classes,
            input_hw: (self.config.input_size[0], self.config.input_size[1]),
            conv_bias: false,
        };
        cfg.validate().map_err(|e| AssetError(e.to_string()))?;
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
    pub computed: Option<u64>,
    pub matches: bool,
    /// What is counted, e.g. "conv + its batch norm".
    pub definition: &'static str,
}

/// Checks every printed figure against `net` (meant for resnet18, 1000 classes).
pub fn homework_check(net: &Network) -> Result<Vec<CheckRow>, AssetError> {
    Ok(check_against(&printed_figures()?, net))
}

/// Checks the given printed figures against `net`.
pub fn check_against(printed: &PrintedFigures, net: &Network) -> Vec<CheckRow> {
    let row = |section, label: &str, printed: u64, computed: Option<u64>, definition| CheckRow {
        section,
        label: label.to_string(),
        printed,
        computed,
        matches: computed == Some(printed),
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
                    let bn = spec.batchnorm.map_or(0, |b| net.modules[b].params);
                    (
                        Some(net.modules[i].params.saturating_add(bn)),
                        "conv + its batch norm",
                    )
                }
                _ => (Some(net.modules[i].params), "all parameters of the module"),
            },
            None => (None, "module not in this network"),
        };
        rows.push(row(
            Section::Layers,
            &l.module,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resnet::model::build;

    fn reference_rows() -> Vec<CheckRow> {
        let printed = printed_figures().expect("embedded asset parses");
        let cfg = printed.model_config().expect("asset config is valid");
        assert_eq!(cfg, Config::default());
        check_against(&printed, &build(&cfg))
    }

    #[test]
    fn asset_holds_every_printed_figure() {
        let p = printed_figures().unwrap();
        assert_eq!(p.blocks.len(), 7);
        assert_eq!(p.layers.len(), 21);
        assert_eq!(p.groups.len(), 4);
        // The homework says "18 layers": 17 convs + fc; shortcuts are listed on top.
        let shortcuts = p
            .layers
            .iter()
            .filter(|l| l.module.ends_with("downsample"))
            .count();
        assert_eq!(p.layers.len() - shortcuts, 18);
    }

    #[test]
    fn check_finds_the_mistaken_figures_with_correct_values() {
        let rows = reference_rows();
        let wrong: Vec<(&str, u64, Option<u64>)> = rows
            .iter()
            .filter(|r| !r.matches)
            .map(|r| (r.label.as_str(), r.printed, r.computed))
            .collect();
        assert_eq!(
            wrong,
            [
                ("Basic Block 4", 8_393_688, Some(8_393_728)),
                ("Total", 11_698_512, Some(11_689_512)),
                ("layer4.1.conv2", 236_032, Some(2_360_320)),
            ]
        );
        assert_eq!(rows.len(), 32);
        for r in &rows {
            assert_eq!(r.matches, r.computed == Some(r.printed));
        }
    }

    #[test]
    fn matching_rows_have_the_independently_known_values() {
        let rows = reference_rows();
        let get = |label: &str| rows.iter().find(|r| r.label == label).unwrap();
        // conv weights + 2 × channels of the BN after it, by hand.
        assert_eq!(get("conv1").computed, Some(3 * 64 * 49 + 128));
        assert_eq!(get("layer3.0.conv1").computed, Some(128 * 256 * 9 + 512));
        assert_eq!(get("layer4.0.downsample").computed, Some(256 * 512 + 1024));
        assert_eq!(get("7x7 conv").computed, Some(9408));
        assert_eq!(get("FC").computed, Some(512 * 1000 + 1000));
        assert_eq!(get("batch-norm").computed, Some(9600));
        assert_eq!(get("biases").computed, Some(1000));
        assert_eq!(get("rest").computed, Some(11_678_912));
        assert_eq!(get("total").computed, Some(11_689_512));
        assert!(get("total").matches);
    }

    #[test]
    fn check_on_another_network_recomputes_and_flags_missing_modules() {
        let net = build(&Config {
            arch: Arch::Resnet50,
            ..Config::default()
        });
        let rows = homework_check(&net).unwrap();
        let l4 = rows.iter().find(|r| r.label == "layer4.1.conv2").unwrap();
        // resnet50's layer4.1.conv2 is a 512→512 3×3 conv: a different count, honestly computed.
        assert_eq!(l4.computed, Some(512 * 512 * 9 + 1024));
        let mut printed = printed_figures().unwrap();
        printed.layers[0].module = "layer5.0.conv1".into();
        let rows = check_against(&printed, &net);
        let missing = rows.iter().find(|r| r.label == "layer5.0.conv1").unwrap();
        assert_eq!((missing.computed, missing.matches), (None, false));
    }

    #[test]
    fn asset_error_is_one_line_and_names_the_file() {
        let err = serde_json::from_str::<PrintedFigures>("{")
            .map_err(|e| AssetError(e.to_string()))
            .unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("assets/hw2_printed.json"));
        assert!(!text.contains('\n'));
    }
}
