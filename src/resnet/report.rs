//! Headless summaries of a built ResNet: a tree-drawn table in the spirit of torchinfo and a
//! JSON document, both read straight from [`Network`].

use std::fmt::Write as _;

use serde::Serialize;

use super::model::{Config, Network, parse_input_size};
use crate::cli::CommandError;
pub use crate::numfmt::group_thousands;

/// `[512, 7, 7]`.
pub fn shape_text(shape: &[u64]) -> String {
    let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
    format!("[{}]", dims.join(", "))
}

/// The tree lines in front of module `index`: one column of `│  ` or spaces per ancestor, then
/// `├─ ` or `└─ ` (ASCII: `|  `, `|- `, `` `- ``).
pub fn tree_prefix(net: &Network, index: usize, ascii: bool) -> String {
    let (pipe, tee, corner) = if ascii {
        ("|  ", "|- ", "`- ")
    } else {
        ("│  ", "├─ ", "└─ ")
    };
    let mut out = String::new();
    for a in net.ancestors(index) {
        out.push_str(if net.is_last_child(a) { "   " } else { pipe });
    }
    out.push_str(if net.is_last_child(index) {
        corner
    } else {
        tee
    });
    out
}

/// One entry of the JSON's `modules` list. Fields in alphabetical order: the JSON has always
/// listed its keys sorted, and these structs keep that order.
#[derive(Debug, Serialize)]
pub struct ModuleReport {
    pub depth: usize,
    pub macs: u64,
    pub name: String,
    pub output_shape: Vec<u64>,
    pub params: u64,
    #[serde(rename = "type")]
    pub type_name: &'static str,
}

/// Problem 1(e)'s parameter groups.
#[derive(Debug, Serialize)]
pub struct GroupsReport {
    pub batchnorm: u64,
    pub bias: u64,
    pub rest: u64,
}

/// Problem 1(d)'s weight-decay split.
#[derive(Debug, Serialize)]
pub struct WeightDecayReport {
    pub decayed: u64,
    pub not_decayed: u64,
}

/// The JSON summary: configuration, totals, Problem 1(e) groups, the weight-decay split and
/// every module in `named_modules()` order (containers carry subtotals).
#[derive(Debug, Serialize)]
pub struct Report {
    pub arch: &'static str,
    pub buffer_elements: u64,
    pub conv_bias: bool,
    pub groups: GroupsReport,
    pub input_size: [u64; 2],
    pub modules: Vec<ModuleReport>,
    pub num_classes: u64,
    pub total_macs: u64,
    pub total_params: u64,
    pub trainable_params: u64,
    pub weight_decay: WeightDecayReport,
}

/// The report of `net`, built for `cfg`.
pub fn report(cfg: &Config, net: &Network) -> Report {
    let groups = net.groups();
    let wd = net.weight_decay();
    Report {
        arch: cfg.arch.name(),
        buffer_elements: net.buffer_elements(),
        conv_bias: cfg.conv_bias,
        groups: GroupsReport {
            batchnorm: groups.batchnorm,
            bias: groups.bias,
            rest: groups.rest,
        },
        input_size: [cfg.input_hw.0, cfg.input_hw.1],
        modules: net
            .modules
            .iter()
            .map(|m| ModuleReport {
                depth: m.depth,
                macs: m.macs,
                name: m.name.clone(),
                output_shape: m.output_shape.clone(),
                params: m.params,
                type_name: m.type_name(),
            })
            .collect(),
        num_classes: cfg.num_classes,
        total_macs: net.total_macs(),
        total_params: net.total_params(),
        trainable_params: net.trainable_params(),
        weight_decay: WeightDecayReport {
            decayed: wd.decayed,
            not_decayed: wd.not_decayed,
        },
    }
}

/// A tree-drawn table of every module (type, output shape, parameters, MACs) followed by the
/// totals, parameter groups, weight-decay split, redundant conv bias and buffers.
pub fn table(cfg: &Config, net: &Network, ascii: bool) -> String {
    let (times, dot, rule) = if ascii {
        ("x", "|", '-')
    } else {
        ("×", "·", '─')
    };
    let header = ["Module", "Type", "Output shape", "Params", "MACs"];
    let rows: Vec<[String; 5]> = net
        .modules
        .iter()
        .enumerate()
        .map(|(i, m)| {
            [
                format!("{}{}", tree_prefix(net, i, ascii), m.name),
                m.type_name().to_string(),
                shape_text(&m.output_shape),
                group_thousands(m.params),
                group_thousands(m.macs),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line_width = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
    let mut out = String::new();
    let (h, w) = cfg.input_hw;
    let bias = if cfg.conv_bias { "on" } else { "off" };
    let _ = writeln!(
        out,
        "{} {dot} {} {} {dot} input 3{times}{h}{times}{w} {dot} conv bias {bias}",
        cfg.arch.name(),
        cfg.num_classes,
        super::model::class_noun(cfg.num_classes)
    );
    let push_row = |out: &mut String, cells: [&str; 5]| {
        let mut line = String::new();
        for (k, (cell, &width)) in cells.iter().zip(&widths).enumerate() {
            let pad = width.saturating_sub(cell.chars().count());
            if k > 0 {
                line.push_str("  ");
            }
            // Text columns align left, numbers right.
            if k < 3 {
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', pad));
            } else {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    };
    let rule_line: String = std::iter::repeat_n(rule, line_width).collect();
    push_row(&mut out, header);
    let _ = writeln!(out, "{rule_line}");
    for row in &rows {
        push_row(&mut out, [&row[0], &row[1], &row[2], &row[3], &row[4]]);
    }
    let _ = writeln!(out, "{rule_line}");

    let groups = net.groups();
    let wd = net.weight_decay();
    let summary: [(&str, u64); 10] = [
        ("Total params", net.total_params()),
        ("Trainable params", net.trainable_params()),
        ("Total MACs per image (conv + fc)", net.total_macs()),
        ("Batch-norm params (1e)", groups.batchnorm),
        ("Bias params (1e)", groups.bias),
        ("Rest params (1e)", groups.rest),
        ("Weight-decayed params (1d)", wd.decayed),
        ("Params kept out of weight decay (1d)", wd.not_decayed),
        ("Redundant conv-bias params (1a)", net.redundant_params()),
        ("BN buffer elements (not trainable)", net.buffer_elements()),
    ];
    let label_width = summary.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    let values: Vec<String> = summary.iter().map(|(_, v)| group_thousands(*v)).collect();
    let value_width = values.iter().map(String::len).max().unwrap_or(0);
    for ((label, _), value) in summary.iter().zip(&values) {
        let _ = writeln!(out, "{label:<label_width$}  {value:>value_width$}");
    }
    out
}

/// `dlscope resnet`: the table, or JSON, of the configured network.
pub fn command(args: &crate::cli::ResnetArgs, unicode: bool) -> Result<String, CommandError> {
    let cfg = Config {
        arch: args.arch.parse().map_err(CommandError::of)?,
        num_classes: args.num_classes,
        input_hw: parse_input_size(&args.input_size).map_err(CommandError::of)?,
        conv_bias: args.conv_bias,
    };
    cfg.validate().map_err(CommandError::of)?;
    let net = super::model::build(&cfg);
    if args.json {
        return crate::cli::emit_json(&report(&cfg, &net));
    }
    Ok(crate::cli::emit_text(&table(&cfg, &net, !unicode), unicode))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resnet::model::{Arch, build};
    use serde_json::{Value, json};

    fn json(cfg: &Config, net: &Network) -> Value {
        serde_json::to_value(report(cfg, net)).unwrap()
    }

    #[test]
    fn json_has_exactly_the_listed_keys() {
        let cfg = Config::default();
        let net = build(&cfg);
        let v = json(&cfg, &net);
        let keys = |v: &Value| -> Vec<String> {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(
            keys(&v),
            [
                "arch",
                "buffer_elements",
                "conv_bias",
                "groups",
                "input_size",
                "modules",
                "num_classes",
                "total_macs",
                "total_params",
                "trainable_params",
                "weight_decay"
            ]
        );
        assert_eq!(keys(&v["groups"]), ["batchnorm", "bias", "rest"]);
        assert_eq!(keys(&v["weight_decay"]), ["decayed", "not_decayed"]);
        let modules = v["modules"].as_array().unwrap();
        assert_eq!(modules.len(), net.modules.len());
        for m in modules {
            assert_eq!(
                keys(m),
                ["depth", "macs", "name", "output_shape", "params", "type"]
            );
        }
        assert_eq!(v["total_params"], 11_689_512);
        assert_eq!(v["total_macs"], 1_814_073_344u64);
        assert_eq!(v["input_size"], json!([224, 224]));
        assert_eq!(modules[0]["name"], "conv1");
        let layer4 = modules.iter().find(|m| m["name"] == "layer4").unwrap();
        assert_eq!(layer4["output_shape"], json!([512, 7, 7]));
        assert_eq!(layer4["params"], 8_393_728);
        // The JSON round-trips through text.
        let text = serde_json::to_string(&v).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), v);
    }

    #[test]
    fn table_draws_the_tree_and_totals() {
        let cfg = Config::default();
        let net = build(&cfg);
        let text = table(&cfg, &net, false);
        assert!(text.starts_with("resnet18 · 1000 classes · input 3×224×224 · conv bias off"));
        assert!(text.contains("├─ conv1"));
        assert!(text.contains("│  ├─ layer1.0"));
        assert!(text.contains("│  │     └─ layer2.0.downsample.1"));
        assert!(text.contains("└─ fc"));
        assert!(text.contains("11,689,512"));
        assert!(text.contains("1,814,073,344"));
        let fc_line = text.lines().find(|l| l.contains("└─ fc")).unwrap();
        assert!(fc_line.contains("Linear") && fc_line.contains("[1000]"));
        let numbers: Vec<&str> = fc_line.split_whitespace().rev().take(2).collect();
        assert_eq!(numbers, ["512,000", "513,000"]);
        // One line per module, plus title, header, two rules and ten summary lines.
        assert_eq!(text.lines().count(), net.modules.len() + 14);
    }

    #[test]
    fn one_class_is_singular() {
        let cfg = Config {
            num_classes: 1,
            ..Config::default()
        };
        let text = table(&cfg, &build(&cfg), false);
        assert!(text.starts_with("resnet18 · 1 class · input"), "{text}");
        let cfg = Config {
            num_classes: 2,
            ..Config::default()
        };
        assert!(table(&cfg, &build(&cfg), false).starts_with("resnet18 · 2 classes"));
    }

    #[test]
    fn ascii_table_is_pure_ascii() {
        let cfg = Config {
            arch: Arch::Resnet50,
            conv_bias: true,
            ..Config::default()
        };
        let net = build(&cfg);
        let text = table(&cfg, &net, true);
        assert!(text.is_ascii());
        assert!(text.contains("|- conv1"));
        assert!(text.contains("`- fc"));
        assert!(text.contains("conv bias on"));
    }

    #[test]
    fn tree_prefix_depth() {
        let net = build(&Config::default());
        let i = net.find("layer4.1.bn2").unwrap();
        // layer4 is not the last top-level module (avgpool, fc follow); layer4.1 is last.
        assert_eq!(tree_prefix(&net, i, false), "│     └─ ");
        assert_eq!(tree_prefix(&net, i, true), "|     `- ");
    }
}
