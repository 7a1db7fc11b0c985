//! Headless summaries of a built ResNet: a tree-drawn table in the spirit of torchinfo and a
//! JSON document, both read straight from [`Network`].

use std::fmt::Write as _;

use serde::Serialize;

use super::model::cost::{Cost, Costs, Dtype, Optimizer, costs};
use super::model::{Config, ConfigError, Count, Network, parse_input_size};
use crate::cli::{CommandError, ResnetFormat};
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
/// `receptive_field` and `jump` are `null` for the global pool and the classifier. Every count
/// is an exact integer, or `null` when it overflowed (see [`Report::overflow`]).
#[derive(Debug, Serialize)]
pub struct ModuleReport {
    pub activation_bytes: Count,
    pub depth: usize,
    pub flops_backward: Count,
    pub flops_forward: Count,
    pub jump: Option<Count>,
    pub macs: Count,
    pub name: String,
    pub output_shape: Vec<u64>,
    pub params: Count,
    pub receptive_field: Option<Count>,
    #[serde(rename = "type")]
    pub type_name: &'static str,
}

/// The per-module keys in the JSON's order: the CSV header and the markdown columns.
pub const MODULE_KEYS: [&str; 11] = [
    "activation_bytes",
    "depth",
    "flops_backward",
    "flops_forward",
    "jump",
    "macs",
    "name",
    "output_shape",
    "params",
    "receptive_field",
    "type",
];

impl ModuleReport {
    /// The values under [`MODULE_KEYS`], as text (shapes `64x112x112`, a global field empty,
    /// an overflowed count "overflow").
    pub fn cells(&self) -> [String; 11] {
        let opt = |v: Option<Count>| v.map(|v| v.to_string()).unwrap_or_default();
        let dims: Vec<String> = self.output_shape.iter().map(u64::to_string).collect();
        [
            self.activation_bytes.to_string(),
            self.depth.to_string(),
            self.flops_backward.to_string(),
            self.flops_forward.to_string(),
            opt(self.jump),
            self.macs.to_string(),
            self.name.clone(),
            dims.join("x"),
            self.params.to_string(),
            opt(self.receptive_field),
            self.type_name.to_string(),
        ]
    }

    /// The row's counts under their keys (a global field is no count).
    fn counts(&self) -> impl Iterator<Item = (&'static str, Count)> {
        [
            ("activation_bytes", Some(self.activation_bytes)),
            ("flops_backward", Some(self.flops_backward)),
            ("flops_forward", Some(self.flops_forward)),
            ("jump", self.jump),
            ("macs", Some(self.macs)),
            ("params", Some(self.params)),
            ("receptive_field", self.receptive_field),
        ]
        .into_iter()
        .filter_map(|(key, count)| Some((key, count?)))
    }
}

/// Problem 1(e)'s parameter groups.
#[derive(Debug, Serialize)]
pub struct GroupsReport {
    pub batchnorm: Count,
    pub bias: Count,
    pub rest: Count,
}

/// Problem 1(d)'s weight-decay split.
#[derive(Debug, Serialize)]
pub struct WeightDecayReport {
    pub decayed: Count,
    pub not_decayed: Count,
}

/// The JSON summary: configuration, totals, Problem 1(e) groups, the weight-decay split and
/// every module in `named_modules()` order (containers carry subtotals).
/// Byte figures are for the run described by the [`Cost`] (batch, dtype, optimizer, frozen
/// modules); `trainable_params` leaves frozen parameters out.
///
/// Every count (parameters, elements, MACs, FLOPs, bytes) is computed exactly in 128 bits and
/// written as an exact JSON integer, which can pass 2⁵³ (the largest a double holds exactly)
/// and 2⁶⁴: read it with an arbitrary-precision integer parser (Python's `json` is one). A count
/// past 2¹²⁸ − 1 is `null` and its JSON pointer is listed in `overflow`; at the inputs the
/// command line accepts none is.
#[derive(Debug, Serialize)]
pub struct Report {
    pub activation_bytes: Count,
    pub arch: &'static str,
    pub buffer_elements: Count,
    pub conv_bias: bool,
    pub flops_backward: Count,
    pub flops_forward: Count,
    pub grad_bytes: Count,
    pub groups: GroupsReport,
    pub input_size: [u64; 2],
    pub modules: Vec<ModuleReport>,
    pub num_classes: u64,
    /// The batch norms PyTorch refuses to run in train mode at this batch and input size (one
    /// value per channel), in forward order; empty when the training step runs.
    pub one_value_per_channel: Vec<OneValueReport>,
    pub optimizer_bytes: Count,
    /// JSON pointers (RFC 6901) of the counts that overflowed and are `null`, e.g.
    /// `/flops_forward` or `/modules/3/flops_backward`; empty when every count is exact.
    pub overflow: Vec<String>,
    pub param_bytes: Count,
    /// The part of `activation_bytes` that is the input image, counted in the stem conv's
    /// row (`conv1`), which saves it; no module allocates it.
    pub saved_input_bytes: Count,
    pub total_macs: Count,
    pub total_params: Count,
    /// PyTorch's error for the first of `one_value_per_channel`, or null.
    pub train_step_error: Option<String>,
    pub trainable_params: Count,
    pub training_bytes: Count,
    pub weight_decay: WeightDecayReport,
}

impl Report {
    /// The report's counts outside `modules` under their JSON pointers.
    fn counts(&self) -> [(&'static str, Count); 17] {
        [
            ("/activation_bytes", self.activation_bytes),
            ("/buffer_elements", self.buffer_elements),
            ("/flops_backward", self.flops_backward),
            ("/flops_forward", self.flops_forward),
            ("/grad_bytes", self.grad_bytes),
            ("/groups/batchnorm", self.groups.batchnorm),
            ("/groups/bias", self.groups.bias),
            ("/groups/rest", self.groups.rest),
            ("/optimizer_bytes", self.optimizer_bytes),
            ("/param_bytes", self.param_bytes),
            ("/saved_input_bytes", self.saved_input_bytes),
            ("/total_macs", self.total_macs),
            ("/total_params", self.total_params),
            ("/trainable_params", self.trainable_params),
            ("/training_bytes", self.training_bytes),
            ("/weight_decay/decayed", self.weight_decay.decayed),
            ("/weight_decay/not_decayed", self.weight_decay.not_decayed),
        ]
    }

    /// JSON pointers of every count that overflowed, in the document's order.
    fn overflowed(&self) -> Vec<String> {
        let top = self
            .counts()
            .into_iter()
            .filter(|(_, c)| c.is_overflow())
            .map(|(pointer, _)| pointer.to_string());
        let modules = self.modules.iter().enumerate().flat_map(|(i, m)| {
            m.counts()
                .filter(|(_, c)| c.is_overflow())
                .map(move |(key, _)| format!("/modules/{i}/{key}"))
        });
        top.chain(modules).collect()
    }
}

/// A batch norm that sees one value per channel in train mode.
#[derive(Debug, Serialize)]
pub struct OneValueReport {
    pub input_size: [u64; 4],
    pub name: String,
}

/// The report of `net`, built for `cfg` and run as `cost` says.
pub fn report(cfg: &Config, net: &Network, cost: &Cost) -> Report {
    let groups = net.groups();
    let wd = net.weight_decay();
    let Costs {
        modules: module_costs,
        totals,
        one_value_per_channel,
    } = costs(net, cost);
    let train_step_error = one_value_per_channel.first().map(|r| r.message());
    let one_value_per_channel = one_value_per_channel
        .iter()
        .map(|r| OneValueReport {
            input_size: r.input_size,
            name: net
                .modules
                .get(r.module)
                .map_or_else(String::new, |m| m.name.clone()),
        })
        .collect();
    let mut report = Report {
        activation_bytes: totals.activation_bytes(),
        arch: cfg.arch.name(),
        buffer_elements: net.buffer_elements(),
        conv_bias: cfg.conv_bias,
        flops_backward: totals.flops_backward,
        flops_forward: totals.flops_forward,
        grad_bytes: totals.grad_bytes,
        groups: GroupsReport {
            batchnorm: groups.batchnorm,
            bias: groups.bias,
            rest: groups.rest,
        },
        input_size: [cfg.input_hw.0, cfg.input_hw.1],
        modules: net
            .modules
            .iter()
            .zip(&module_costs)
            .map(|(m, c)| ModuleReport {
                activation_bytes: c.activation_bytes(),
                depth: m.depth,
                flops_backward: c.flops_backward,
                flops_forward: c.flops_forward,
                jump: c.field.map(|f| f.jump),
                macs: m.macs,
                name: m.name.clone(),
                output_shape: m.output_shape.clone(),
                params: m.params,
                receptive_field: c.field.map(|f| f.receptive_field),
                type_name: m.type_name(),
            })
            .collect(),
        num_classes: cfg.num_classes,
        one_value_per_channel,
        optimizer_bytes: totals.optimizer_bytes,
        overflow: Vec::new(),
        param_bytes: totals.param_bytes,
        saved_input_bytes: totals.saved.input,
        total_macs: net.total_macs(),
        total_params: net.total_params(),
        train_step_error,
        trainable_params: totals.trainable_params,
        training_bytes: totals.training_bytes(),
        weight_decay: WeightDecayReport {
            decayed: wd.decayed,
            not_decayed: wd.not_decayed,
        },
    };
    report.overflow = report.overflowed();
    report
}

/// One CSV row per module under a header of [`MODULE_KEYS`], in the JSON's order.
pub fn csv(report: &Report) -> Result<String, CommandError> {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    writer.write_record(MODULE_KEYS).map_err(CommandError::of)?;
    for m in &report.modules {
        writer.write_record(m.cells()).map_err(CommandError::of)?;
    }
    let bytes = writer.into_inner().map_err(CommandError::of)?;
    String::from_utf8(bytes).map_err(CommandError::of)
}

/// A GitHub-flavoured markdown table of the modules, columns as in [`csv`]; numbers align
/// right.
pub fn markdown(report: &Report) -> String {
    let numeric = |key: &str| !matches!(key, "name" | "output_shape" | "type");
    let mut out = String::new();
    let _ = writeln!(out, "| {} |", MODULE_KEYS.join(" | "));
    let rule: Vec<&str> = MODULE_KEYS
        .iter()
        .map(|k| if numeric(k) { "---:" } else { "---" })
        .collect();
    let _ = writeln!(out, "| {} |", rule.join(" | "));
    for m in &report.modules {
        // Names and types hold no `|`; escape anyway so a cell can never split the row.
        let cells: Vec<String> = m.cells().iter().map(|c| c.replace('|', "\\|")).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}

/// A tree-drawn table of every module (type, output shape, parameters, MACs) followed by the
/// totals, parameter groups, weight-decay split, redundant conv bias and buffers.
pub fn table(cfg: &Config, net: &Network, cost: &Cost, ascii: bool) -> String {
    let (times, dot, rule) = if ascii {
        ("x", "|", '-')
    } else {
        ("×", "·", '─')
    };
    let rows: Vec<[String; 5]> = net
        .modules
        .iter()
        .enumerate()
        .map(|(i, m)| {
            [
                format!("{}{}", tree_prefix(net, i, ascii), m.name),
                m.type_name().to_string(),
                shape_text(&m.output_shape),
                m.params.grouped(),
                m.macs.grouped(),
            ]
        })
        .collect();
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
    write_module_rows(&mut out, &rows, rule);
    write_totals(&mut out, net, cost);
    out
}

/// The module table: a header, a rule, one row per module and a rule; text columns align
/// left, numbers right.
fn write_module_rows(out: &mut String, rows: &[[String; 5]], rule: char) {
    let header = ["Module", "Type", "Output shape", "Params", "MACs"];
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line_width = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
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
    push_row(out, header);
    let _ = writeln!(out, "{rule_line}");
    for row in rows {
        push_row(out, [&row[0], &row[1], &row[2], &row[3], &row[4]]);
    }
    let _ = writeln!(out, "{rule_line}");
}

/// The totals under the table, labels left and numbers right: parameters, MACs, FLOPs, the
/// bytes of a training step, the parameter groups (1e), the weight-decay split (1d), the
/// redundant conv bias (1a) and the batch-norm buffers.
fn write_totals(out: &mut String, net: &Network, cost: &Cost) {
    let groups = net.groups();
    let wd = net.weight_decay();
    let totals = costs(net, cost).totals;
    let run = format!(
        "batch {}, {}, {}, {}",
        cost.batch,
        cost.dtype,
        cost.optimizer,
        cost.mode.name()
    );
    let activation_label = format!("Saved activation bytes ({run})");
    let summary: [(&str, Count); 18] = [
        ("Total params", net.total_params()),
        ("Trainable params", totals.trainable_params),
        ("Total MACs per image (conv + fc)", net.total_macs()),
        (
            "FLOPs forward (2 per MAC, whole batch)",
            totals.flops_forward,
        ),
        ("FLOPs backward (whole batch)", totals.flops_backward),
        ("Parameter bytes", totals.param_bytes),
        ("Gradient bytes", totals.grad_bytes),
        ("Optimizer state bytes", totals.optimizer_bytes),
        (&activation_label, totals.activation_bytes()),
        (
            "  of which the input image (in conv1's row)",
            totals.saved.input,
        ),
        (
            "Training bytes (params, buffers, grads, state, saved)",
            totals.training_bytes(),
        ),
        ("Batch-norm params (1e)", groups.batchnorm),
        ("Bias params (1e)", groups.bias),
        ("Rest params (1e)", groups.rest),
        ("Weight-decayed params (1d)", wd.decayed),
        ("Params kept out of weight decay (1d)", wd.not_decayed),
        ("Redundant conv-bias params (1a)", net.redundant_params()),
        ("BN buffer elements (not trainable)", net.buffer_elements()),
    ];
    let label_width = summary
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    let values: Vec<String> = summary.iter().map(|(_, v)| v.grouped()).collect();
    let value_width = values.iter().map(String::len).max().unwrap_or(0);
    for ((label, _), value) in summary.iter().zip(&values) {
        let _ = writeln!(out, "{label:<label_width$}  {value:>value_width$}");
    }
    let refused = costs(net, cost).one_value_per_channel;
    if let Some(first) = refused.first() {
        let name = net
            .modules
            .get(first.module)
            .map_or("", |m| m.name.as_str());
        let more = match refused.len() - 1 {
            0 => " sees".to_string(),
            1 => " and 1 more batch norm see".to_string(),
            n => format!(" and {n} more batch norms see"),
        };
        let _ = writeln!(
            out,
            "PyTorch refuses this training step: in {} mode {name}{more} one value per \
             channel, and F.batch_norm raises \"{}\"",
            cost.mode.name(),
            first.message()
        );
    }
}

/// `dlscope resnet`: the table, or JSON, of the configured network.
pub fn command(args: &crate::cli::ResnetArgs, unicode: bool) -> Result<String, CommandError> {
    let cfg = Config {
        arch: args.arch.parse().map_err(flagged)?,
        num_classes: args.num_classes,
        input_hw: parse_input_size(&args.input_size).map_err(flagged)?,
        conv_bias: args.conv_bias,
    };
    cfg.validate().map_err(flagged)?;
    let net = super::model::build(&cfg);
    let cost = cost_of(args, &net)?;
    let format = if args.json {
        ResnetFormat::Json
    } else {
        args.format
    };
    match format {
        ResnetFormat::Table => Ok(crate::cli::emit_text(
            &table(&cfg, &net, &cost, !unicode),
            unicode,
        )),
        ResnetFormat::Json => crate::cli::emit_json(&report(&cfg, &net, &cost)),
        ResnetFormat::Csv => csv(&report(&cfg, &net, &cost)),
        ResnetFormat::Markdown => Ok(markdown(&report(&cfg, &net, &cost))),
    }
}

/// A refused configuration as the command line reports it: under the flag that sets it.
fn flagged(e: ConfigError) -> CommandError {
    let flag = match e {
        ConfigError::UnknownArch(_) => "--arch",
        ConfigError::NoClasses | ConfigError::TooManyClasses(_) => "--num-classes",
        ConfigError::InputSideOutOfRange { .. } | ConfigError::InputSizeSyntax(_) => "--input-size",
    };
    CommandError::flag(flag, e)
}

/// The run the flags describe: `--batch`, `--dtype`, `--optimizer`/`--momentum`, `--freeze`.
fn cost_of(args: &crate::cli::ResnetArgs, net: &Network) -> Result<Cost, CommandError> {
    let dtype: Dtype = args
        .dtype
        .parse()
        .map_err(|e| CommandError::flag("--dtype", e))?;
    if !(args.momentum.is_finite() && (0.0..1.0).contains(&args.momentum)) {
        return Err(CommandError::flag(
            "--momentum",
            format!("{} is not in [0, 1)", args.momentum),
        ));
    }
    let optimizer = match args
        .optimizer
        .parse()
        .map_err(|e| CommandError::flag("--optimizer", e))?
    {
        Optimizer::Sgd | Optimizer::SgdMomentum => Optimizer::sgd(args.momentum),
        Optimizer::Adam => Optimizer::Adam,
    };
    let mut cost = Cost {
        batch: args.batch,
        dtype,
        optimizer,
        ..Cost::default()
    };
    let names: Vec<&str> = args
        .freeze
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .collect();
    cost.freeze_names(net, &names)
        .map_err(|e| CommandError::flag("--freeze", e))?;
    Ok(cost)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resnet::model::{Arch, build};
    use serde_json::{Value, json};

    #[test]
    fn a_refused_configuration_is_reported_under_its_flag() {
        assert_eq!(
            flagged(ConfigError::NoClasses).to_string(),
            "--num-classes: the number of classes must be at least 1"
        );
        let e = parse_input_size("224x").expect_err("no width");
        assert!(flagged(e).to_string().starts_with("--input-size: "));
        let e = "resnet19".parse::<Arch>().expect_err("no resnet19");
        assert!(
            flagged(e)
                .to_string()
                .starts_with("--arch: unknown architecture")
        );
    }

    fn json(cfg: &Config, net: &Network) -> Value {
        serde_json::to_value(report(cfg, net, &Cost::default())).unwrap()
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
                "activation_bytes",
                "arch",
                "buffer_elements",
                "conv_bias",
                "flops_backward",
                "flops_forward",
                "grad_bytes",
                "groups",
                "input_size",
                "modules",
                "num_classes",
                "one_value_per_channel",
                "optimizer_bytes",
                "overflow",
                "param_bytes",
                "saved_input_bytes",
                "total_macs",
                "total_params",
                "train_step_error",
                "trainable_params",
                "training_bytes",
                "weight_decay"
            ]
        );
        assert_eq!(keys(&v["groups"]), ["batchnorm", "bias", "rest"]);
        assert_eq!(keys(&v["weight_decay"]), ["decayed", "not_decayed"]);
        let modules = v["modules"].as_array().unwrap();
        assert_eq!(modules.len(), net.modules.len());
        for m in modules {
            assert_eq!(keys(m), MODULE_KEYS);
        }
        assert_eq!(v["total_params"], 11_689_512);
        assert_eq!(v["total_macs"], 1_814_073_344u64);
        assert_eq!(v["input_size"], json!([224, 224]));
        assert_eq!(v["overflow"], json!([]));
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
        let text = table(&cfg, &net, &Cost::default(), false);
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
        // One line per module, plus title, header, two rules and 18 summary lines.
        assert_eq!(text.lines().count(), net.modules.len() + 22);
        assert!(text.contains("3,628,146,688") && text.contains("7,020,265,472"));
    }

    #[test]
    fn one_class_is_singular() {
        let cfg = Config {
            num_classes: 1,
            ..Config::default()
        };
        let text = table(&cfg, &build(&cfg), &Cost::default(), false);
        assert!(text.starts_with("resnet18 · 1 class · input"), "{text}");
        let cfg = Config {
            num_classes: 2,
            ..Config::default()
        };
        assert!(
            table(&cfg, &build(&cfg), &Cost::default(), false).starts_with("resnet18 · 2 classes")
        );
    }

    #[test]
    fn ascii_table_is_pure_ascii() {
        let cfg = Config {
            arch: Arch::Resnet50,
            conv_bias: true,
            ..Config::default()
        };
        let net = build(&cfg);
        let text = table(&cfg, &net, &Cost::default(), true);
        assert!(text.is_ascii());
        assert!(text.contains("|- conv1"));
        assert!(text.contains("`- fc"));
        assert!(text.contains("conv bias on"));
    }

    /// Issue 20 point 2: past 2⁶⁴ the JSON keeps every digit. The FLOPs at a batch of a
    /// million are a million times those at a batch of one, read back as exact integers.
    #[test]
    fn json_counts_past_u64_are_exact_integers() {
        #[derive(serde::Deserialize)]
        struct Counts {
            flops_forward: u128,
            flops_backward: u128,
            total_macs: u128,
            overflow: Vec<String>,
        }
        let cfg = Config {
            arch: Arch::Resnet152,
            input_hw: (8192, 8192),
            ..Config::default()
        };
        let net = build(&cfg);
        let counts = |batch: u64| -> Counts {
            let cost = Cost {
                batch,
                ..Cost::default()
            };
            let text = crate::cli::emit_json(&report(&cfg, &net, &cost)).unwrap();
            serde_json::from_str(&text).unwrap()
        };
        let (one, all) = (counts(1), counts(1_000_000));
        assert_eq!(all.flops_forward, 1_000_000 * one.flops_forward);
        assert_eq!(all.flops_backward, 1_000_000 * one.flops_backward);
        assert_eq!(all.flops_forward, 2 * 1_000_000 * one.total_macs);
        assert!(all.flops_forward > u128::from(u64::MAX));
        assert!(all.overflow.is_empty() && one.overflow.is_empty());
    }

    /// A network built past the command line's limits: the table, the CSV and the markdown
    /// say "overflow" where a count passed 2¹²⁸ − 1, the JSON has `null` there and lists its
    /// pointer; the parameters stay exact.
    #[test]
    fn an_overflowed_count_says_so_in_every_format() {
        let cfg = Config {
            input_hw: (u64::MAX, u64::MAX),
            ..Config::default()
        };
        let net = build(&cfg);
        let cost = Cost::default();
        let text = table(&cfg, &net, &cost, false);
        let line = |label: &str| text.lines().find(|l| l.starts_with(label)).unwrap();
        assert!(
            line("Total MACs per image").ends_with(" overflow"),
            "{text}"
        );
        assert!(line("FLOPs forward").ends_with(" overflow"), "{text}");
        assert!(line("Training bytes").ends_with(" overflow"), "{text}");
        assert!(line("Total params").ends_with(" 11,689,512"), "{text}");
        let conv1 = text.lines().find(|l| l.contains("─ conv1")).unwrap();
        assert!(conv1.ends_with("9,408  overflow"), "{conv1}");
        assert!(!text.contains("18,446,744,073,709,551,615"), "{text}");

        let r = report(&cfg, &net, &cost);
        let v = serde_json::to_value(&r).unwrap();
        assert!(v["total_macs"].is_null() && v["flops_forward"].is_null());
        assert_eq!(v["total_params"], 11_689_512);
        let fc = net.find("fc").unwrap();
        assert_eq!(v["modules"][fc]["macs"], 512_000);
        for pointer in ["/total_macs", "/flops_forward", "/modules/0/macs"] {
            assert!(r.overflow.iter().any(|p| p == pointer), "{pointer}");
        }
        // Every listed count is null, and every count not listed is a number.
        for pointer in &r.overflow {
            assert!(v.pointer(pointer).unwrap().is_null(), "{pointer}");
        }
        let listed = |p: &str| r.overflow.iter().any(|o| o == p);
        for (pointer, _) in r.counts() {
            assert_eq!(v.pointer(pointer).unwrap().is_null(), listed(pointer));
        }
        for (i, m) in r.modules.iter().enumerate() {
            for key in ["params", "macs", "flops_forward", "flops_backward"] {
                let pointer = format!("/modules/{i}/{key}");
                let null = v.pointer(&pointer).unwrap().is_null();
                assert_eq!(null, listed(&pointer), "{} {key}", m.name);
            }
        }

        let csv = csv(&r).unwrap();
        let row = csv.lines().find(|l| l.contains(",conv1,")).unwrap();
        assert!(row.contains(",overflow,"), "{row}");
        let md = markdown(&r);
        let row = md.lines().find(|l| l.contains("| conv1 |")).unwrap();
        assert!(row.contains("| overflow |"), "{row}");
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
