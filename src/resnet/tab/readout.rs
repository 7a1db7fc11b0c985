//! The tab's readout: what it shows now, as plain lines (the copy key's text and
//! `snapshot --readout`). The model and its run, the summary's figures, the tree's state, the
//! selected module's values in the columns shown, and the focused panel's figures; each
//! number comes from the same place its panel draws it from.

use super::bn_live::{self, GridTable, Outcome};
use super::render::View;
use super::summary::Item;
use super::{Focus, HomeworkCheck, ResnetTab};
use crate::numfmt::group_thousands;
use crate::resnet::model;
use crate::text::fit_number;
use crate::theme::{ColorDepth, Ui};

/// Significant digits of the batch-norm panel's numbers in the readout, as on screen.
const DIGITS: usize = 4;

impl ResnetTab {
    /// Every figure and setting the tab shows now, one fact a line.
    pub(super) fn readout_text(&self) -> String {
        let ui = Ui::new(ColorDepth::None, true);
        let view = View { tab: self, ui: &ui };
        let mut out = vec![self.model_line(), format!("run: {}", self.run_text())];
        out.push("summary:".to_string());
        out.extend(view.summary_items().iter().map(item_text));
        for r in &self.costs.one_value_per_channel {
            let name = self
                .net
                .modules
                .get(r.module)
                .map_or("", |m| m.name.as_str());
            out.push(format!("  train step refused at {name}: {}", r.message()));
        }
        out.extend(self.tree_lines());
        out.extend(self.selected_lines(&view));
        out.extend(match self.focus {
            Focus::Module => self.module_panel_lines(&view),
            Focus::Check => self.check_panel_lines(),
            Focus::Summary => vec!["focused panel: summary (its figures above)".to_string()],
            Focus::BatchNorm => self.batch_norm_panel_lines(),
        });
        let mut text = out.join("\n");
        text.push('\n');
        text
    }

    /// `ResNet: resnet18, 1,000 classes, input 224×224, conv bias off, train mode`.
    fn model_line(&self) -> String {
        let c = &self.config;
        let (h, w) = c.input_hw;
        format!(
            "ResNet: {}, {} {}, input {h}×{w}, conv bias {}, {} mode",
            c.arch.name(),
            group_thousands(c.num_classes),
            model::class_noun(c.num_classes),
            if c.conv_bias { "on" } else { "off" },
            self.mode.name()
        )
    }

    /// The tree: rows shown, the columns, the sort and the filter.
    fn tree_lines(&self) -> Vec<String> {
        let shown = self.visible_rows().len();
        let total = self.net.modules.len();
        let mut lines = vec![format!(
            "tree: {shown} of {total} modules shown, columns: {}",
            self.columns.name()
        )];
        if let Some(key) = self.sort {
            lines.push(format!("sort: layers by {}, largest first", key.name()));
        }
        if !self.filter.is_empty() || self.typing {
            let typing = if self.typing { " (typing)" } else { "" };
            lines.push(format!("filter: \"{}\"{typing}", self.filter));
        }
        lines
    }

    /// The selected module and its value in every column shown.
    fn selected_lines(&self, view: &View) -> Vec<String> {
        let Some(m) = self.net.modules.get(self.selected) else {
            return vec!["selected: none".to_string()];
        };
        let frozen = if self.cost.is_frozen(&self.net, self.selected) {
            ", frozen"
        } else {
            ""
        };
        let mut lines = vec![format!("selected: {} ({}{frozen})", m.name, m.type_name())];
        lines.extend(
            view.column_values(self.selected)
                .into_iter()
                .map(|(column, value)| format!("  {column}: {value}")),
        );
        lines
    }

    /// The module panel's figures beyond the columns: its hyper-parameters, buffers and the
    /// conv bias batch norm makes redundant.
    fn module_panel_lines(&self, view: &View) -> Vec<String> {
        let mut lines = vec!["focused panel: module".to_string()];
        let Some(m) = self.net.modules.get(self.selected) else {
            return lines;
        };
        let details = view.details(&m.kind);
        if !details.is_empty() {
            lines.push(format!("  {details}"));
        }
        lines.push(format!("  params: {}", m.params.grouped()));
        lines.push(format!("  output: {}", view.shape(&m.output_shape)));
        lines.push(format!("  MACs: {}", m.macs.grouped()));
        if !m.buffer_elements.is_zero() {
            let n = m.buffer_elements.grouped();
            lines.push(format!("  buffers: {n} (not trained)"));
        }
        let redundant = self.redundant_bias_of_selected();
        if !redundant.is_zero() {
            let n = redundant.grouped();
            lines.push(format!("  redundant bias: {n}"));
        }
        lines
    }

    /// The homework check: how many printed figures agree, then every row.
    fn check_panel_lines(&self) -> Vec<String> {
        let check: &HomeworkCheck = match &self.check {
            Ok(check) => check,
            Err(e) => return vec![format!("focused panel: homework check: {e}")],
        };
        let agree = check.rows.iter().filter(|r| r.matches).count();
        let mut lines = vec![format!(
            "focused panel: homework check of {}, {} {}: {agree} of {} printed figures agree",
            check.config.arch.name(),
            check.config.num_classes,
            model::class_noun(check.config.num_classes),
            check.rows.len()
        )];
        let mut section = None;
        for r in &check.rows {
            if section != Some(r.section) {
                section = Some(r.section);
                lines.push(format!("  {}:", r.section.title()));
            }
            let ours = r
                .computed
                .map_or_else(|| "-".to_string(), model::Count::grouped);
            let verdict = if r.matches { "agrees" } else { "differs" };
            lines.push(format!(
                "    {}: printed {}, ours {ours} ({verdict})",
                r.label,
                group_thousands(r.printed)
            ));
        }
        lines
    }

    /// The batch-norm panel: its batch, the batches fed, and every table it shows.
    fn batch_norm_panel_lines(&self) -> Vec<String> {
        let mut lines = vec!["focused panel: batch norm, live (conv 3×3 → BN → ReLU)".to_string()];
        let Some((cfg, outcome)) = self.batch_norm.outcome() else {
            lines.push("  no figures yet".to_string());
            return lines;
        };
        let (n, s) = (cfg.batch, cfg.side);
        lines.push(format!(
            "  batch: {n} camera patches of {s}×{s}, n = N·H·W = {} values per channel",
            n * s * s
        ));
        match outcome {
            Outcome::Ready(f) => {
                let k = f.live.model.num_batches_tracked;
                lines.push(format!("  batches fed: {k}"));
                lines.push(format!("  num_batches_tracked: {} → {k}", f.before_tracked));
                let mode = self.mode;
                for table in [
                    bn_live::conv_table(f, mode),
                    bn_live::output_table(f, mode),
                    bn_live::spread_table(f, cfg),
                    bn_live::bias_table(f, cfg, mode),
                ] {
                    lines.extend(table_lines(&table));
                }
            }
            Outcome::Refused { error, eval_output } => {
                lines.push(format!(
                    "  train mode refuses the batch: ValueError: {error}"
                ));
                if let Some(values) = eval_output {
                    lines.push(format!("  eval mode, BN output: {}", numbers(values)));
                }
            }
            Outcome::Failed(e) => lines.push(format!("  failed: {e}")),
        }
        lines
    }
}

/// A summary item as a readout line: headings end in a colon, values lose their padding.
fn item_text(item: &Item) -> String {
    match item {
        Item::Heading(text) => format!("  {text}:"),
        Item::Pair(label, value, _) => {
            let value: Vec<&str> = value.split_whitespace().collect();
            format!("    {label}: {}", value.join(" "))
        }
    }
}

/// A table of the batch-norm panel: its heading, then one row a line; the marked rows say
/// what the panel's marker means.
fn table_lines(table: &GridTable) -> Vec<String> {
    let mut lines = vec![format!("  {} (per channel):", table.heading)];
    for row in &table.rows {
        let used = if row.marked {
            format!(" ({})", table.marked_means)
        } else {
            String::new()
        };
        lines.push(format!("    {}{used}: {}", row.label, numbers(&row.values)));
    }
    lines
}

/// Numbers as the panel shows them (four significant digits), space-separated.
fn numbers(values: &[f64]) -> String {
    let shown: Vec<String> = values.iter().map(|&x| fit_number(x, DIGITS, 9)).collect();
    shown.join(" ")
}
