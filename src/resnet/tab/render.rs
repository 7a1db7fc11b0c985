//! Drawing the ResNet tab from its state: where each part goes at each width ([`Areas`], the
//! one layout that both the layout step and the drawing use), the controls, the selected
//! module's panel and the homework check. Nothing here computes mathematics; it reads the
//! [`Network`](crate::resnet::model::Network) and the check rows.

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use super::summary::item_rows;
use super::tree::TreeLayout;
use super::{Focus, HomeworkCheck, ResnetTab, SIDE_LADDER, notes};
use crate::controls::Cycle;
use crate::numfmt::{group_thousands, percent};
use crate::resnet::model::homework::CheckRow;
use crate::resnet::model::{self, Arch, Count, ModuleKind};
use crate::theme::{Glyphs, Ui};
use crate::widgets::slider::{Slider, linear_position, log_position};
use crate::widgets::{self, panel, scroll};

/// Width of the summary / controls column and of the homework-check column.
pub(super) const SIDE_WIDTH: u16 = 46;
pub(super) const CHECK_WIDTH: u16 = 48;
/// From this width on, all panels sit beside the tree.
const WIDE: u16 = 180;
/// From this width on, one column of panels sits beside the tree.
const MEDIUM: u16 = 110;
/// Rows the module panel keeps when the summary grows to show its notes.
const MODULE_MIN: u16 = 16;
/// Rows of the controls panel: four sliders, two switches, the border.
const CONTROLS_HEIGHT: u16 = 8;

/// One frame's drawing: reads the tab, writes the buffer.
pub(super) struct View<'a> {
    pub(super) tab: &'a ResnetTab,
    pub(super) ui: &'a Ui,
}

/// Where each part of the tab goes at one size; `None`: not shown at this size.
pub(super) struct Areas {
    /// The narrow screens' one-line summary of the model.
    header: Option<Rect>,
    /// The tree, or the batch-norm panel in its place while that has the focus.
    main: Rect,
    controls: Option<Rect>,
    summary: Option<Rect>,
    module: Option<Rect>,
    check: Option<Rect>,
}

/// What the layout step records for the keys and clicks of the next frame.
pub(super) struct Plan {
    pub(super) tree: TreeLayout,
    /// Per panel, in [`Focus`] order: (lines of its text, rows it shows them in), if shown.
    pub(super) extents: [Option<(usize, u16)>; 4],
}

/// The area inside a panel's border.
pub(super) fn panel_inner(area: Rect) -> Rect {
    Block::bordered().inner(area)
}

impl ResnetTab {
    /// Draws the tab into `area`.
    pub(super) fn draw(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let area = area.intersection(buf.area);
        if area.width == 0 || area.height == 0 {
            return;
        }
        View { tab: self, ui }.render(area, buf);
    }

    /// What the keys and clicks of the next frame in `area` need: the tree's viewport and the
    /// extent of every panel's text.
    pub(super) fn plan(&self, area: Rect, ui: &Ui) -> Plan {
        let view = View { tab: self, ui };
        let areas = view.areas(area);
        let tree = match self.focus {
            Focus::BatchNorm => TreeLayout::hidden(self.tree_offset, self.page),
            _ => view.tree_layout(areas.main),
        };
        let mut extents = [None; 4];
        let panels = [
            (Focus::Module, areas.module),
            (Focus::Check, areas.check),
            (Focus::Summary, areas.summary),
            (Focus::BatchNorm, Some(areas.main)),
        ];
        for (focus, area) in panels {
            if focus == Focus::BatchNorm && self.focus != Focus::BatchNorm {
                continue;
            }
            let Some(inner) = area.map(panel_inner) else {
                continue;
            };
            let lines = match focus {
                Focus::Module => view.module_lines(inner).len(),
                Focus::Check => view.check_lines(inner).map_or(0, |l| l.len()),
                Focus::Summary => view.summary_lines(inner).len(),
                Focus::BatchNorm => view.batch_norm_lines(inner).len(),
            };
            extents[focus.index()] = Some((lines, inner.height));
        }
        Plan { tree, extents }
    }
}

impl View<'_> {
    /// Where each part goes in `area`: from [`WIDE`] on every panel beside the tree, from
    /// [`MEDIUM`] on one column of them, below that the tree over the focused panel.
    pub(super) fn areas(&self, area: Rect) -> Areas {
        use Constraint::{Fill, Length};
        let focus = self.tab.focus;
        if area.width >= MEDIUM {
            let wide = area.width >= WIDE;
            let [main, side, check] = Layout::horizontal([
                Fill(1),
                Length(if wide { SIDE_WIDTH } else { 0 }),
                Length(CHECK_WIDTH),
            ])
            .areas(area);
            // A medium screen has one column: the controls and the summary over the module
            // note or the homework check.
            let side = if wide { side } else { check };
            let [controls, below] =
                Layout::vertical([Length(CONTROLS_HEIGHT), Fill(1)]).areas(side);
            // The homework check wants every row it can get; the module note needs fewer.
            let spare = if !wide && focus == Focus::Check {
                0
            } else {
                let base = self.summary_height(0) + MODULE_MIN;
                below.height.saturating_sub(base)
            };
            let [summary, slot] =
                Layout::vertical([Length(self.summary_height(spare)), Fill(1)]).areas(below);
            let check_shown = wide || focus == Focus::Check;
            return Areas {
                header: None,
                main,
                controls: Some(controls),
                summary: Some(summary),
                module: (wide || focus != Focus::Check).then_some(slot),
                check: check_shown.then_some(if wide { check } else { slot }),
            };
        }
        let [header, body] = Layout::vertical([Length(1), Fill(1)]).areas(area);
        let mut areas = Areas {
            header: Some(header),
            main: body,
            controls: None,
            summary: None,
            module: None,
            check: None,
        };
        if focus == Focus::BatchNorm {
            // The batch-norm panel needs the rows more than the tree does.
            return areas;
        }
        let [tree, bottom] =
            Layout::vertical([Fill(1), Length(self.bottom_height(body))]).areas(body);
        areas.main = tree;
        match focus {
            Focus::Module => areas.module = Some(bottom),
            Focus::Check => areas.check = Some(bottom),
            Focus::Summary => areas.summary = Some(bottom),
            Focus::BatchNorm => {}
        }
        areas
    }

    /// Rows of the focused panel under the tree on a narrow screen of `body`.
    fn bottom_height(&self, body: Rect) -> u16 {
        if body.height < 16 {
            return body.height / 2;
        }
        // The summary keeps its numbers whole; the other panels scroll in 9 rows.
        let numbers = match self.tab.focus {
            Focus::Summary => {
                item_rows(&self.summary_items(), body.width.saturating_sub(3)) as u16 + 2
            }
            _ => 0,
        };
        numbers.min(body.height / 2).max(9)
    }

    pub(super) fn render(&self, area: Rect, buf: &mut Buffer) {
        let areas = self.areas(area);
        let focus = self.tab.focus;
        if let Some(header) = areas.header {
            self.header_line(header, buf);
        }
        if focus == Focus::BatchNorm {
            self.batch_norm(areas.main, buf);
        } else {
            self.tree(areas.main, buf);
        }
        if let Some(controls) = areas.controls {
            self.controls(controls, buf);
        }
        if let Some(summary) = areas.summary {
            self.summary(summary, buf, focus == Focus::Summary);
        }
        if let Some(module) = areas.module {
            self.module(module, buf, focus == Focus::Module);
        }
        if let Some(check) = areas.check {
            self.check(check, buf, focus == Focus::Check);
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

    /// Draws `lines` into the inner `area` of `panel` from its scroll offset, with the marks.
    pub(super) fn scrolled(&self, panel: Focus, area: Rect, buf: &mut Buffer, lines: &[Line]) {
        self.tab.scroll[panel.index()].render(area, buf, self.ui, lines);
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
            Span::styled(
                format!("   {} params", net.total_params().compact()),
                t.hint,
            ),
            Span::styled(format!("  {} MACs", net.total_macs().compact()), t.hint),
        ];
        // Too wide (a million classes at 8192×8192): whole parts give way to an ellipsis.
        let line = widgets::fit_spans(&Line::from(spans), usize::from(area.width), self.ui);
        widgets::lines(area, buf, &[line]);
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
        let slider = |label, value, position| Slider {
            label,
            value,
            position,
            focused: false,
        };
        let sliders = [
            slider(
                "arch   ",
                c.arch.name(),
                linear_position(arch_pos as f64, 0.0, arch_last),
            ),
            slider(
                "classes",
                classes.as_str(),
                log_position(c.num_classes as f64, 1.0, model::MAX_NUM_CLASSES as f64),
            ),
            slider(
                "height ",
                hs.as_str(),
                log_position(h as f64, 1.0, side_max),
            ),
            slider(
                "width  ",
                ws.as_str(),
                log_position(w as f64, 1.0, side_max),
            ),
        ];
        let [slider_rows, switch_rows] =
            Layout::vertical([Constraint::Length(4), Constraint::Fill(1)]).areas(inner);
        for (s, row) in sliders.iter().zip(slider_rows.rows()) {
            s.render(row, buf, self.ui);
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
        widgets::lines(switch_rows, buf, &switches);
    }

    /// Hyper-parameters of a module in words, e.g. `64→128 3×3 /2 pad 1`.
    pub(super) fn details(&self, kind: &ModuleKind) -> String {
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
        let title = match self.tab.net.modules.get(self.tab.selected) {
            Some(m) => format!("{} {} {}", m.name, self.g().bullet, m.type_name()),
            None => "Module".to_string(),
        };
        let inner = panel(area, buf, self.ui, &title, focused);
        let lines = self.module_lines(inner);
        self.scrolled(Focus::Module, inner, buf, &lines);
    }

    /// The selected module's facts (as short items packed into lines), then its prose.
    fn module_facts(&self, width: usize) -> Vec<Line<'static>> {
        let net = &self.tab.net;
        let Some(m) = net.modules.get(self.tab.selected) else {
            return Vec::new();
        };
        let t = &self.ui.theme;
        let details = self.details(&m.kind);
        let mut facts: Vec<Vec<Span>> = Vec::new();
        if !details.is_empty() {
            facts.push(vec![Span::styled(details, t.base)]);
        }
        facts.push(vec![
            Span::styled("params ", t.hint),
            Span::styled(m.params.grouped(), t.number),
            Span::styled(
                format!(" ({})", share_text(m.params, net.total_params())),
                t.dim,
            ),
        ]);
        facts.push(vec![
            Span::styled("output ", t.hint),
            Span::styled(self.shape(&m.output_shape), t.number),
        ]);
        facts.push(vec![
            Span::styled("MACs ", t.hint),
            Span::styled(m.macs.grouped(), t.number),
            Span::styled(
                format!(" ({})", share_text(m.macs, net.total_macs())),
                t.dim,
            ),
        ]);
        if !m.buffer_elements.is_zero() {
            facts.push(vec![
                Span::styled("buffers ", t.hint),
                Span::styled(m.buffer_elements.grouped(), t.number),
                Span::styled(" (not trained)", t.dim),
            ]);
        }
        pack_facts(facts, width, self.g().bullet, t.dim)
    }

    /// Every line of the module panel for its `inner` area (one column kept for the marks).
    pub(super) fn module_lines(&self, inner: Rect) -> Vec<Line<'static>> {
        let net = &self.tab.net;
        let index = self.tab.selected;
        let Some(m) = net.modules.get(index) else {
            return Vec::new();
        };
        let t = &self.ui.theme;
        let width = usize::from(inner.width.saturating_sub(1));
        let mut lines = self.module_facts(width);
        let mut prose = |text: &str, style: Style| {
            lines.extend(scroll::wrap_lines(&self.text(text), width, style));
        };
        let redundant = self.tab.redundant_bias_of_selected();
        if !redundant.is_zero() {
            let line = notes::redundant_bias_line(&redundant.grouped(), self.tab.mode);
            prose(&line, t.warn);
        }
        let refused = &self.tab.costs.one_value_per_channel;
        if let Some(r) = refused.iter().find(|r| r.module == index) {
            prose(&notes::refused_module_line(r.input_size), t.bad);
        }
        prose(&notes::note(net, index), t.base);
        match notes::mode_behaviour(&m.kind, self.tab.mode) {
            Some(text) => prose(&text, t.accent),
            None => match net.mode_dependent_in(index) {
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
        lines
    }

    /// The homework's printed numbers, each marked as agreeing with the model or not.
    fn check(&self, area: Rect, buf: &mut Buffer, focused: bool) {
        let title = match &self.tab.check {
            Ok(check) => format!(
                "Homework check: {}, {} {}",
                check.config.arch.name(),
                check.config.num_classes,
                model::class_noun(check.config.num_classes)
            ),
            Err(_) => "Homework check".to_string(),
        };
        let inner = panel(area, buf, self.ui, &title, focused);
        if inner.width == 0 || inner.height == 0 {
            return;
        }
        match (&self.tab.check, self.check_lines(inner)) {
            (_, Some(lines)) => self.scrolled(Focus::Check, inner, buf, &lines),
            (Err(e), None) => {
                Paragraph::new(Line::styled(
                    self.text(&e.to_string()).into_owned(),
                    self.ui.theme.bad,
                ))
                .wrap(Wrap { trim: true })
                .render(inner, buf);
            }
            (Ok(_), None) => {}
        }
    }

    /// Every line of the check panel for its `inner` area; `None` when the printed figures
    /// could not be read.
    pub(super) fn check_lines(&self, inner: Rect) -> Option<Vec<Line<'static>>> {
        let check = self.tab.check.as_ref().ok()?;
        let t = &self.ui.theme;
        let agree = check.rows.iter().filter(|r| r.matches).count();
        let total = check.rows.len();
        let summary_style = if agree == total { t.good } else { t.warn };
        let table = CheckTable::new(self, check, inner);
        let mut lines = vec![
            Line::styled(
                format!("{agree} of {total} printed figures agree"),
                summary_style,
            ),
            table.header(self),
        ];
        let rows_and_headings = check.rows.len() + 3;
        if lines.len() + rows_and_headings <= usize::from(inner.height) {
            let mut section = None;
            for r in &check.rows {
                if section != Some(r.section) {
                    section = Some(r.section);
                    lines.push(Line::styled(r.section.title(), t.title));
                }
                lines.push(table.row(self, r));
            }
        } else {
            // Short of room: the disagreements first, then the rows that agree (scrolling).
            lines.extend(
                check
                    .rows
                    .iter()
                    .filter(|r| !r.matches)
                    .map(|r| table.row(self, r)),
            );
            lines.extend(
                check
                    .rows
                    .iter()
                    .filter(|r| r.matches)
                    .map(|r| table.row(self, r)),
            );
        }
        for note in check_notes(check) {
            lines.push(Line::default());
            lines.extend(scroll::wrap_lines(&self.text(&note), table.width, t.dim));
        }
        Some(lines)
    }
}

/// The notes under the check's rows: how a figure is recomputed, and the rows the printed
/// block table lacks.
fn check_notes(check: &HomeworkCheck) -> Vec<String> {
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
            .map(|(name, n)| format!("{name} ({})", n.grouped()))
            .collect();
        let total = cov.total.grouped();
        let short = cov.shortfall().map_or_else(
            || format!("; the total is {total}"),
            |n| format!(", {} short of the total {total}", n.grouped()),
        );
        notes.push(format!(
            "The block table has no row for {}: its rows, corrected, sum to {}{short}.",
            missing.join(", "),
            cov.rows_sum.grouped(),
        ));
    }
    notes
}

/// The check's columns: the mark, the label, the printed and the computed figure.
struct CheckTable {
    mark_w: usize,
    label_w: usize,
    number_w: usize,
    /// The text width (one column of the panel is kept for the scroll marks).
    width: usize,
}

impl CheckTable {
    fn new(view: &View, check: &HomeworkCheck, inner: Rect) -> Self {
        let g = view.g();
        let mark_w = g.check.chars().count().max(g.cross.chars().count());
        let number_w = check
            .rows
            .iter()
            .flat_map(|r| [Some(Count::from(r.printed)), r.computed])
            .map(|n| n.map_or(1, |n| n.grouped().len()))
            .max()
            .unwrap_or(1);
        let width = usize::from(inner.width.saturating_sub(1));
        let label_w = width.saturating_sub(mark_w + 2 * number_w + 3);
        CheckTable {
            mark_w,
            label_w,
            number_w,
            width,
        }
    }

    fn header(&self, view: &View) -> Line<'static> {
        let number_w = self.number_w;
        Line::styled(
            format!(
                "{:<w$} {:>number_w$} {:>number_w$}",
                "",
                "printed",
                "ours",
                w = self.mark_w + 1 + self.label_w
            ),
            view.ui.theme.hint,
        )
    }

    fn row(&self, view: &View, r: &CheckRow) -> Line<'static> {
        let (g, t) = (view.g(), &view.ui.theme);
        let (mark_w, label_w, number_w) = (self.mark_w, self.label_w, self.number_w);
        let (mark, mark_style, printed_style) = if r.matches {
            (g.check, t.good, t.number)
        } else {
            (g.cross, t.bad, t.bad)
        };
        let ours = r.computed.map_or_else(|| "-".to_string(), Count::grouped);
        let label = crate::text::fit_start(&r.label, label_w, g.unicode);
        Line::from(vec![
            Span::styled(format!("{mark:<mark_w$} "), mark_style),
            Span::styled(format!("{label:<label_w$}"), t.base),
            Span::styled(
                format!(" {:>number_w$}", group_thousands(r.printed)),
                printed_style,
            ),
            Span::styled(format!(" {ours:>number_w$}"), t.number),
        ])
    }
}

/// `part` as a percentage of `whole` (`12.3%`), or "overflow" when either count overflowed.
pub(super) fn share_text(part: Count, whole: Count) -> String {
    part.share_of(whole)
        .map_or_else(|| Count::OVERFLOW_TEXT.to_string(), |f| percent(f, 1))
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
