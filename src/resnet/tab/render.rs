//! Drawing the ResNet tab from its state: the layout for each width, the controls, the
//! summary, the selected module's panel and the homework check. Nothing here computes
//! mathematics; it reads the [`Network`](crate::resnet::model::Network) and the check rows.

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::notes;
use super::{Focus, ResnetTab, SIDE_LADDER};
use crate::controls::Cycle;
use crate::numfmt::{compact, group_thousands, percent};
use crate::resnet::model::homework::CheckRow;
use crate::resnet::model::{self, Arch, Mode, ModuleKind};
use crate::theme::{Glyphs, Ui};
use crate::widgets::slider::{Slider, linear_position, log_position};
use crate::widgets::{self, panel, scroll, split_h, split_v};

/// Width of the summary / controls column and of the homework-check column.
const SIDE_WIDTH: u16 = 46;
const CHECK_WIDTH: u16 = 48;
/// From this width on, all panels sit beside the tree.
const WIDE: u16 = 180;
/// From this width on, one column of panels sits beside the tree.
const MEDIUM: u16 = 110;
/// Rows the module panel keeps when the summary grows to show its notes.
const MODULE_MIN: u16 = 16;

/// One frame's drawing: reads the tab, writes the buffer.
pub(super) struct View<'a> {
    pub(super) tab: &'a ResnetTab,
    pub(super) ui: &'a Ui,
}

impl View<'_> {
    pub(super) fn render(&self, area: Rect, buf: &mut Buffer) {
        let focus = self.tab.focus;
        if area.width >= WIDE {
            let tree_w = area.width - SIDE_WIDTH - CHECK_WIDTH;
            let (tree, rest) = split_h(area, tree_w);
            let (side, check) = split_h(rest, SIDE_WIDTH);
            self.tree_or_batch_norm(tree, buf);
            let controls_h = self.controls_height();
            let (controls, below) = split_v(side, controls_h);
            self.controls(controls, buf);
            let spare = below
                .height
                .saturating_sub(self.summary_height(0) + MODULE_MIN);
            let (summary, module) = split_v(below, self.summary_height(spare));
            self.summary(summary, buf, focus == Focus::Summary);
            self.module(module, buf, focus == Focus::Module);
            self.check(check, buf, focus == Focus::Check);
        } else if area.width >= MEDIUM {
            let (tree, side) = split_h(area, area.width - CHECK_WIDTH);
            self.tree_or_batch_norm(tree, buf);
            let (controls, below) = split_v(side, self.controls_height());
            self.controls(controls, buf);
            // The homework check wants every row it can get; the module note needs fewer.
            let spare = match focus {
                Focus::Check => 0,
                _ => below
                    .height
                    .saturating_sub(self.summary_height(0) + MODULE_MIN),
            };
            let (summary, slot) = split_v(below, self.summary_height(spare));
            self.summary(summary, buf, focus == Focus::Summary);
            if focus == Focus::Check {
                self.check(slot, buf, true);
            } else {
                self.module(slot, buf, focus == Focus::Module);
            }
        } else {
            let (header, body) = split_v(area, 1);
            self.header_line(header, buf);
            if focus == Focus::BatchNorm {
                // The batch-norm panel needs the rows more than the tree does.
                self.tree_or_batch_norm(body, buf);
                return;
            }
            let panel_h = if body.height >= 16 {
                // The summary keeps its numbers whole; the other panels scroll in 9 rows.
                let numbers = match focus {
                    Focus::Summary => {
                        item_rows(&self.summary_items(), body.width.saturating_sub(3)) as u16 + 2
                    }
                    _ => 0,
                };
                numbers.min(body.height / 2).max(9)
            } else {
                body.height / 2
            };
            let (tree, bottom) = split_v(body, body.height.saturating_sub(panel_h));
            self.tree(tree, buf);
            match focus {
                Focus::Module => self.module(bottom, buf, true),
                Focus::Check => self.check(bottom, buf, true),
                Focus::Summary => self.summary(bottom, buf, true),
                Focus::BatchNorm => {} // drawn in the whole body above
            }
        }
    }

    pub(super) fn g(&self) -> &Glyphs {
        &self.ui.glyphs
    }

    /// Text for this glyph set: Unicode as written, or folded to ASCII.
    pub(super) fn text<'s>(&self, s: &'s str) -> Cow<'s, str> {
        crate::text::spelled(s, self.g().unicode)
    }

    pub(super) fn shape(&self, shape: &[u64]) -> String {
        let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
        dims.join(self.g().times)
    }

    /// The narrow screens' one-line summary of the controls and totals.
    fn header_line(&self, area: Rect, buf: &mut Buffer) {
        let t = &self.ui.theme;
        let c = &self.tab.config;
        let net = &self.tab.net;
        let bias = if c.conv_bias { "bias on" } else { "bias off" };
        let (h, w) = c.input_hw;
        let spans = vec![
            Span::styled(c.arch.name(), t.title),
            Span::styled(
                format!(
                    "  {} {}",
                    group_thousands(c.num_classes),
                    model::class_noun(c.num_classes)
                ),
                t.number,
            ),
            Span::styled(format!("  {h}{}{w}", self.g().times), t.number),
            Span::styled(format!("  {bias}"), t.number),
            Span::styled(format!("  {}", self.tab.mode.name()), t.accent),
            Span::styled(format!("   {} params", compact(net.total_params())), t.hint),
            Span::styled(format!("  {} MACs", compact(net.total_macs())), t.hint),
        ];
        widgets::lines(area, buf, &[Line::from(spans)]);
    }

    fn controls_height(&self) -> u16 {
        8
    }

    /// Sliders for the architecture, classes and input sides, and the two switches.
    fn controls(&self, area: Rect, buf: &mut Buffer) {
        let inner = panel(area, buf, self.ui, "Controls", false);
        let c = &self.tab.config;
        let arch_pos = c.arch.index();
        let arch_last = Arch::ALL.len().saturating_sub(1) as f64;
        let classes = group_thousands(c.num_classes);
        let (h, w) = c.input_hw;
        let (hs, ws) = (h.to_string(), w.to_string());
        let side_max = SIDE_LADDER.bounds().map_or(1, |(_, top)| top) as f64;
        let sliders = [
            Slider {
                label: "arch   ",
                value: c.arch.name(),
                position: linear_position(arch_pos as f64, 0.0, arch_last),
                focused: false,
            },
            Slider {
                label: "classes",
                value: &classes,
                position: log_position(c.num_classes as f64, 1.0, model::MAX_NUM_CLASSES as f64),
                focused: false,
            },
            Slider {
                label: "height ",
                value: &hs,
                position: log_position(h as f64, 1.0, side_max),
                focused: false,
            },
            Slider {
                label: "width  ",
                value: &ws,
                position: log_position(w as f64, 1.0, side_max),
                focused: false,
            },
        ];
        for (k, s) in sliders.iter().enumerate() {
            let y = inner.y.saturating_add(k as u16);
            if y < inner.bottom() {
                s.render(Rect::new(inner.x, y, inner.width, 1), buf, self.ui);
            }
        }
        let t = &self.ui.theme;
        let on_off = |on: bool| if on { "on" } else { "off" };
        let switches = [
            Line::from(vec![
                Span::styled("conv bias ", t.hint),
                Span::styled(on_off(c.conv_bias), t.number),
            ]),
            Line::from(vec![
                Span::styled("mode      ", t.hint),
                Span::styled(self.tab.mode.name(), t.accent),
            ]),
        ];
        let rest = Rect {
            y: inner.y.saturating_add(4),
            height: inner.height.saturating_sub(4),
            ..inner
        };
        widgets::lines(rest, buf, &switches);
    }

    /// Lines of the summary panel: totals, groups, weight decay, redundant bias, buffers, mode.
    fn summary_items(&self) -> Vec<Item> {
        let net = &self.tab.net;
        let t = &self.ui.theme;
        let total = net.total_params();
        let share = |n: u64| percent(fraction(n, total), 1);
        let groups = net.groups();
        let wd = net.weight_decay();
        let bn_layers = net
            .modules
            .iter()
            .filter(|m| m.kind.differs_between_train_and_eval())
            .count();
        let redundant = net.redundant_params();
        let conv_bias = net.conv_bias_params();
        let redundant_style = if redundant > 0 { t.warn } else { t.number };
        let mode_text = match self.tab.mode {
            Mode::Train => format!("{bn_layers} BN layers use batch statistics"),
            Mode::Eval => format!("{bn_layers} BN layers use running averages"),
        };
        let totals = &self.tab.costs.totals;
        vec![
            Item::pair("total params", group_thousands(total), t.number),
            Item::pair(
                "trainable",
                group_thousands(totals.trainable_params),
                t.number,
            ),
            Item::pair(
                "MACs per image",
                group_thousands(net.total_macs()),
                t.number,
            ),
            Item::pair(
                "BN buffers (not trained)",
                group_thousands(net.buffer_elements()),
                t.number,
            ),
            Item::Heading("groups by name (1e)"),
            Item::pair(
                "batch-norm",
                format!(
                    "{} {:>6}",
                    group_thousands(groups.batchnorm),
                    share(groups.batchnorm)
                ),
                t.number,
            ),
            Item::pair(
                "bias",
                format!("{} {:>6}", group_thousands(groups.bias), share(groups.bias)),
                t.number,
            ),
            Item::pair(
                "rest",
                format!("{} {:>6}", group_thousands(groups.rest), share(groups.rest)),
                t.number,
            ),
            Item::Heading("weight decay (1d)"),
            Item::pair("decayed", group_thousands(wd.decayed), t.number),
            Item::pair("not decayed", group_thousands(wd.not_decayed), t.number),
            Item::pair(
                "redundant conv bias (1a)",
                format!(
                    "{} of {}",
                    group_thousands(redundant),
                    group_thousands(conv_bias)
                ),
                redundant_style,
            ),
            Item::pair(self.tab.mode.name(), mode_text, t.accent),
            Item::Heading("one training step"),
            Item::pair("run", self.run_text(), t.accent),
            Item::pair(
                "FLOPs forward",
                group_thousands(totals.flops_forward),
                t.number,
            ),
            Item::pair(
                "FLOPs backward",
                group_thousands(totals.flops_backward),
                t.number,
            ),
            Item::pair(
                "parameter bytes",
                group_thousands(totals.param_bytes),
                t.number,
            ),
            Item::pair(
                "buffer bytes",
                group_thousands(totals.buffer_bytes),
                t.number,
            ),
            Item::pair(
                "gradient bytes",
                group_thousands(totals.grad_bytes),
                t.number,
            ),
            Item::pair(
                "optimizer bytes",
                group_thousands(totals.optimizer_bytes),
                t.number,
            ),
            Item::pair(
                "saved activations",
                group_thousands(totals.activation_bytes()),
                t.number,
            ),
            Item::pair(
                "training bytes",
                group_thousands(totals.training_bytes()),
                t.number,
            ),
        ]
    }

    /// `batch 2, float32, sgd, 3 frozen`.
    fn run_text(&self) -> String {
        let cost = &self.tab.cost;
        let frozen = cost.frozen.len();
        let mut text = format!("batch {}, {}, {}", cost.batch, cost.dtype, cost.optimizer);
        if frozen > 0 {
            let noun = if frozen == 1 { "module" } else { "modules" };
            text.push_str(&format!(", {frozen} {noun} frozen"));
        }
        text
    }

    /// Why-notes under the summary's numbers (Problems 1a, 1b, 1d; FLOPs and memory), each
    /// wrapped to `width`.
    fn summary_notes(&self, width: u16) -> Vec<Vec<String>> {
        [
            notes::weight_decay_note(),
            notes::REDUNDANT_BIAS_NOTE.to_string(),
            notes::MODE_SUMMARY.to_string(),
            notes::FLOPS_NOTE.to_string(),
            notes::MEMORY_NOTE.to_string(),
        ]
        .iter()
        .map(|n| crate::text::wrap(&self.text(n), usize::from(width)))
        .collect()
    }

    /// Rows the summary panel wants: its numbers, plus up to `extra` rows of whole notes.
    fn summary_height(&self, extra: u16) -> u16 {
        let width = self.summary_inner_width();
        let base = item_rows(&self.summary_items(), width) as u16 + 2;
        let mut notes_h = 0u16;
        for note in self.summary_notes(width.saturating_sub(1)) {
            let h = note.len() as u16 + 1;
            if notes_h + h > extra {
                break;
            }
            notes_h += h;
        }
        base + notes_h
    }

    fn summary_inner_width(&self) -> u16 {
        SIDE_WIDTH.min(CHECK_WIDTH) - 2
    }

    /// The numbers (each heading kept with its rows), then the notes; the text scrolls.
    fn summary(&self, area: Rect, buf: &mut Buffer, focused: bool) {
        let inner = panel(area, buf, self.ui, "Summary", focused);
        let items = self.summary_items();
        let mut lines = item_lines(&items, inner.width.saturating_sub(1), self.ui);
        for note in self.summary_notes(inner.width.saturating_sub(1)) {
            lines.push(Line::default());
            lines.extend(note.into_iter().map(|l| Line::styled(l, self.ui.theme.dim)));
        }
        self.scrolled(Focus::Summary, inner, buf, &lines);
    }

    /// Draws `lines` into `area` from the panel's scroll offset, with the scroll marks.
    fn scrolled(&self, panel: Focus, area: Rect, buf: &mut Buffer, lines: &[Line]) {
        let wanted = self.tab.scroll_offset(panel);
        let shown = scroll::render(area, buf, self.ui, lines, wanted);
        self.tab.keep_scroll_offset(panel, shown);
    }

    /// Hyper-parameters of a module in words, e.g. `64→128 3×3 /2 pad 1`.
    fn details(&self, kind: &ModuleKind) -> String {
        let (to, x) = (self.g().right, self.g().times);
        match *kind {
            ModuleKind::Conv2d(c) => {
                let bias = if c.bias { ", bias" } else { "" };
                format!(
                    "{}{to}{} ch, {k}{x}{k}, stride {}, pad {}{bias}",
                    c.in_channels,
                    c.out_channels,
                    c.stride,
                    c.padding,
                    k = c.kernel
                )
            }
            ModuleKind::BatchNorm2d { num_features } => format!("{num_features} channels"),
            ModuleKind::MaxPool2d {
                kernel,
                stride,
                padding,
            } => format!("{kernel}{x}{kernel}, stride {stride}, pad {padding}"),
            ModuleKind::BasicBlock { stride } => format!("stride {stride}"),
            ModuleKind::Bottleneck { stride, width } => format!("width {width}, stride {stride}"),
            ModuleKind::AdaptiveAvgPool2d { output_hw } => {
                format!("to {}{x}{}", output_hw.0, output_hw.1)
            }
            ModuleKind::Linear {
                in_features,
                out_features,
            } => format!("{in_features}{to}{out_features}"),
            ModuleKind::ReLU | ModuleKind::Sequential(_) => String::new(),
        }
    }

    /// The selected module: type, counts, shape, our note, and its train/eval behaviour.
    fn module(&self, area: Rect, buf: &mut Buffer, focused: bool) {
        let net = &self.tab.net;
        let Some(m) = net.modules.get(self.tab.selected) else {
            panel(area, buf, self.ui, "Module", focused);
            return;
        };
        let title = format!("{} {} {}", m.name, self.g().bullet, m.type_name());
        let inner = panel(area, buf, self.ui, &title, focused);
        let t = &self.ui.theme;
        let share = |n: u64, of: u64| percent(fraction(n, of), 1);
        let details = self.details(&m.kind);
        let mut facts: Vec<Vec<Span>> = Vec::new();
        if !details.is_empty() {
            facts.push(vec![Span::styled(details, t.base)]);
        }
        facts.push(vec![
            Span::styled("params ", t.hint),
            Span::styled(group_thousands(m.params), t.number),
            Span::styled(format!(" ({})", share(m.params, net.total_params())), t.dim),
        ]);
        facts.push(vec![
            Span::styled("output ", t.hint),
            Span::styled(self.shape(&m.output_shape), t.number),
        ]);
        facts.push(vec![
            Span::styled("MACs ", t.hint),
            Span::styled(group_thousands(m.macs), t.number),
            Span::styled(format!(" ({})", share(m.macs, net.total_macs())), t.dim),
        ]);
        if m.buffer_elements > 0 {
            facts.push(vec![
                Span::styled("buffers ", t.hint),
                Span::styled(group_thousands(m.buffer_elements), t.number),
                Span::styled(" (not trained)", t.dim),
            ]);
        }
        // One column is kept free for the scroll marks.
        let width = usize::from(inner.width.saturating_sub(1));
        let mut lines = pack_facts(facts, width, self.g().bullet, t.dim);
        let mut prose = |text: &str, style: Style| {
            lines.extend(scroll::wrap_lines(&self.text(text), width, style));
        };
        let redundant: u64 = net
            .parameters_of(self.tab.selected)
            .filter(|p| p.redundant)
            .map(|p| p.numel)
            .sum();
        if redundant > 0 {
            let line = notes::redundant_bias_line(&group_thousands(redundant), self.tab.mode);
            prose(&line, t.warn);
        }
        prose(&notes::note(net, self.tab.selected), t.base);
        match notes::mode_behaviour(&m.kind, self.tab.mode) {
            Some(text) => prose(&text, t.accent),
            None => match net.mode_dependent_in(self.tab.selected) {
                0 => prose("Same computation in train and eval mode.", t.dim),
                n => prose(
                    &format!(
                        "Holds {n} batch-norm layer{} that {} with the mode ({}).",
                        if n == 1 { "" } else { "s" },
                        if n == 1 { "switches" } else { "switch" },
                        self.tab.mode.name()
                    ),
                    t.accent,
                ),
            },
        }
        self.scrolled(Focus::Module, inner, buf, &lines);
    }

    /// The homework's printed numbers, each marked as agreeing with the model or not.
    fn check(&self, area: Rect, buf: &mut Buffer, focused: bool) {
        let t = &self.ui.theme;
        let check = match &self.tab.check {
            Ok(check) => check,
            Err(e) => {
                let inner = panel(area, buf, self.ui, "Homework check", focused);
                Paragraph::new(Line::styled(self.text(&e.to_string()).into_owned(), t.bad))
                    .wrap(Wrap { trim: true })
                    .render(inner, buf);
                return;
            }
        };
        let title = format!(
            "Homework check: {}, {} {}",
            check.config.arch.name(),
            check.config.num_classes,
            model::class_noun(check.config.num_classes)
        );
        let inner = panel(area, buf, self.ui, &title, focused);
        if inner.width == 0 || inner.height == 0 {
            return;
        }
        let agree = check.rows.iter().filter(|r| r.matches).count();
        let total = check.rows.len();
        let summary_style = if agree == total { t.good } else { t.warn };
        let g = self.g();
        let mark_w = g.check.chars().count().max(g.cross.chars().count());
        let number_w = check
            .rows
            .iter()
            .flat_map(|r| [Some(r.printed), r.computed])
            .map(|n| n.map_or(1, |n| group_thousands(n).len()))
            .max()
            .unwrap_or(1);
        // One column is kept free for the scroll marks.
        let width = usize::from(inner.width.saturating_sub(1));
        let label_w = width.saturating_sub(mark_w + 2 * number_w + 3);
        let row_line = |r: &CheckRow| -> Line {
            let (mark, mark_style, printed_style) = if r.matches {
                (g.check, t.good, t.number)
            } else {
                (g.cross, t.bad, t.bad)
            };
            let ours = r.computed.map_or_else(|| "-".to_string(), group_thousands);
            Line::from(vec![
                Span::styled(format!("{mark:<mark_w$} "), mark_style),
                Span::styled(
                    format!(
                        "{:<label_w$}",
                        crate::text::fit_start(&r.label, label_w, g.unicode)
                    ),
                    t.base,
                ),
                Span::styled(
                    format!(" {:>number_w$}", group_thousands(r.printed)),
                    printed_style,
                ),
                Span::styled(format!(" {ours:>number_w$}"), t.number),
            ])
        };
        let header = Line::styled(
            format!(
                "{:<w$} {:>number_w$} {:>number_w$}",
                "",
                "printed",
                "ours",
                w = mark_w + 1 + label_w
            ),
            t.hint,
        );
        let mut lines = vec![
            Line::styled(
                format!("{agree} of {total} printed figures agree"),
                summary_style,
            ),
            header,
        ];
        let rows_and_headings = check.rows.len() + 3;
        if lines.len() + rows_and_headings <= usize::from(inner.height) {
            let mut section = None;
            for r in &check.rows {
                if section != Some(r.section) {
                    section = Some(r.section);
                    lines.push(Line::styled(r.section.title(), t.title));
                }
                lines.push(row_line(r));
            }
        } else {
            // Short of room: the disagreements first, then the rows that agree (scrolling).
            lines.extend(check.rows.iter().filter(|r| !r.matches).map(row_line));
            lines.extend(check.rows.iter().filter(|r| r.matches).map(row_line));
        }
        let mut notes = vec![
            "Each figure is recomputed from the model under the homework's own counting: a conv \
             row is the conv with its batch norm (as its label says), a block row the block as a \
             whole."
                .to_string(),
        ];
        let cov = &check.coverage;
        if !cov.missing.is_empty() {
            let missing: Vec<String> = cov
                .missing
                .iter()
                .map(|(name, n)| format!("{name} ({})", group_thousands(*n)))
                .collect();
            notes.push(format!(
                "The block table has no row for {}: its rows, corrected, sum to {}, {} short of \
                 the total {}.",
                missing.join(", "),
                group_thousands(cov.rows_sum),
                group_thousands(cov.total.saturating_sub(cov.rows_sum)),
                group_thousands(cov.total)
            ));
        }
        for note in notes {
            lines.push(Line::default());
            lines.extend(scroll::wrap_lines(&self.text(&note), width, t.dim));
        }
        self.scrolled(Focus::Check, inner, buf, &lines);
    }
}

pub(super) fn fraction(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Packs short facts into as few lines as the width allows, separated by ` • `.
pub(super) fn pack_facts(
    facts: Vec<Vec<Span<'static>>>,
    width: usize,
    bullet: &str,
    sep_style: Style,
) -> Vec<Line<'static>> {
    let sep = format!(" {bullet} ");
    let sep_w = sep.chars().count();
    let mut lines = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for fact in facts {
        let w: usize = fact.iter().map(Span::width).sum();
        if !current.is_empty() && used + sep_w + w > width {
            lines.push(Line::from(std::mem::take(&mut current)));
            used = 0;
        }
        if !current.is_empty() {
            current.push(Span::styled(sep.clone(), sep_style));
            used += sep_w;
        }
        current.extend(fact);
        used += w;
    }
    if !current.is_empty() {
        lines.push(Line::from(current));
    }
    lines
}

/// A line of the summary panel.
enum Item {
    Heading(&'static str),
    Pair(Cow<'static, str>, String, Style),
}

impl Item {
    fn pair(label: impl Into<Cow<'static, str>>, value: String, style: Style) -> Self {
        Item::Pair(label.into(), value, style)
    }
}

/// The summary's items in sections: a heading and the rows under it (the rows before the first
/// heading form a section of their own).
fn sections(items: &[Item]) -> Vec<&[Item]> {
    let mut out = Vec::new();
    let mut start = 0;
    for (k, item) in items.iter().enumerate() {
        if matches!(item, Item::Heading(_)) && k > start {
            out.push(&items[start..k]);
            start = k;
        }
    }
    if start < items.len() {
        out.push(&items[start..]);
    }
    out
}

/// Where to break the sections into two columns (sections before the break go left) so the
/// taller column is as short as it can be; never inside a section.
fn column_break(sections: &[&[Item]]) -> usize {
    let total: usize = sections.iter().map(|s| s.len()).sum();
    let mut best = (total, sections.len());
    let mut left = 0;
    for (k, s) in sections.iter().enumerate() {
        left += s.len();
        let taller = left.max(total - left);
        if taller < best.0 {
            best = (taller, k + 1);
        }
    }
    best.1
}

/// From this width on, the summary's numbers sit in two columns.
const TWO_COLUMNS: u16 = 70;

/// Rows the items take at `width`.
fn item_rows(items: &[Item], width: u16) -> usize {
    if width < TWO_COLUMNS {
        return items.len();
    }
    let sections = sections(items);
    let cut = column_break(&sections);
    let left: usize = sections[..cut].iter().map(|s| s.len()).sum();
    left.max(items.len() - left)
}

/// One item as a line `width` columns wide: label left, value flush right.
fn item_line(item: &Item, width: usize, ui: &Ui) -> Line<'static> {
    match item {
        Item::Heading(text) => Line::styled(format!("{text:<width$}"), ui.theme.title),
        Item::Pair(label, value, style) => {
            let value_w = crate::text::width(value);
            let gap = width.saturating_sub(crate::text::width(label) + value_w);
            if gap == 0 {
                Line::from(vec![
                    Span::styled(value.clone(), *style),
                    Span::styled(format!(" {label}"), ui.theme.hint),
                ])
            } else {
                Line::from(vec![
                    Span::styled(label.to_string(), ui.theme.hint),
                    Span::raw(" ".repeat(gap)),
                    Span::styled(value.clone(), *style),
                ])
            }
        }
    }
}

/// Label/value items as lines, values flush right; from [`TWO_COLUMNS`] on in two columns that
/// break between sections, so a heading stays with its rows.
fn item_lines(items: &[Item], width: u16, ui: &Ui) -> Vec<Line<'static>> {
    let width = usize::from(width);
    if width < usize::from(TWO_COLUMNS) {
        return items.iter().map(|i| item_line(i, width, ui)).collect();
    }
    let sections = sections(items);
    let cut = column_break(&sections);
    let left: Vec<&Item> = sections[..cut].iter().flat_map(|s| s.iter()).collect();
    let right: Vec<&Item> = sections[cut..].iter().flat_map(|s| s.iter()).collect();
    let col_w = width / 2;
    let (left_w, right_w) = (col_w.saturating_sub(2), width - col_w);
    (0..left.len().max(right.len()))
        .map(|k| {
            let mut spans = match left.get(k) {
                Some(item) => item_line(item, left_w, ui).spans,
                None => vec![Span::raw(" ".repeat(left_w))],
            };
            spans.push(Span::raw("  "));
            if let Some(item) = right.get(k) {
                spans.extend(item_line(item, right_w, ui).spans);
            }
            Line::from(spans)
        })
        .collect()
}
