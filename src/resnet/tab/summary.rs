//! The summary panel: the network's totals, the parameter groups (1e), the weight-decay split
//! (1d), redundant conv biases (1a), the mode, and one training step's FLOPs and bytes, as
//! label/value items in sections, then the notes that explain them.

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::Focus;
use super::keys::{self, Act};
use super::notes;
use super::render::{CHECK_WIDTH, SIDE_WIDTH, View, share_text};
use crate::resnet::model::{Count, Mode};
use crate::theme::Ui;
use crate::widgets::panel;

/// A line of the summary panel.
pub(super) enum Item {
    Heading(&'static str),
    Pair(Cow<'static, str>, String, Style),
}

impl Item {
    fn pair(label: impl Into<Cow<'static, str>>, value: String, style: Style) -> Self {
        Item::Pair(label.into(), value, style)
    }
}

impl View<'_> {
    /// Lines of the summary panel: totals, groups, weight decay, redundant bias, buffers, mode,
    /// one training step.
    pub(super) fn summary_items(&self) -> Vec<Item> {
        let mut items = self.total_items();
        items.extend(self.group_items());
        items.extend(self.decay_items());
        items.extend(self.step_items());
        items
    }

    /// Parameters, MACs and buffers of the whole network.
    fn total_items(&self) -> Vec<Item> {
        let net = &self.tab.net;
        let n = self.ui.theme.number;
        let totals = &self.tab.costs.totals;
        vec![
            Item::pair("total params", net.total_params().grouped(), n),
            Item::pair("trainable", totals.trainable_params.grouped(), n),
            Item::pair("MACs per image", net.total_macs().grouped(), n),
            Item::pair(
                "BN buffers (not trained)",
                net.buffer_elements().grouped(),
                n,
            ),
        ]
    }

    /// The parameters grouped by name, as Problem 1e groups them, with their shares.
    fn group_items(&self) -> Vec<Item> {
        let net = &self.tab.net;
        let n = self.ui.theme.number;
        let total = net.total_params();
        let groups = net.groups();
        let row = |count: Count| format!("{} {:>6}", count.grouped(), share_text(count, total));
        vec![
            Item::Heading("groups by name (1e)"),
            Item::pair("batch-norm", row(groups.batchnorm), n),
            Item::pair("bias", row(groups.bias), n),
            Item::pair("rest", row(groups.rest), n),
        ]
    }

    /// Weight decay's split (1d), the redundant conv biases (1a) and what the mode changes.
    fn decay_items(&self) -> Vec<Item> {
        let net = &self.tab.net;
        let t = &self.ui.theme;
        let wd = net.weight_decay();
        let bn_layers = net
            .modules
            .iter()
            .filter(|m| m.kind.differs_between_train_and_eval())
            .count();
        let redundant = net.redundant_params();
        let redundant_style = if redundant.is_zero() {
            t.number
        } else {
            t.warn
        };
        let mode_text = match self.tab.mode {
            Mode::Train => format!("{bn_layers} BN layers use batch statistics"),
            Mode::Eval => format!("{bn_layers} BN layers use running averages"),
        };
        vec![
            Item::Heading("weight decay (1d)"),
            Item::pair("decayed", wd.decayed.grouped(), t.number),
            Item::pair("not decayed", wd.not_decayed.grouped(), t.number),
            Item::pair(
                "redundant conv bias (1a)",
                format!(
                    "{} of {}",
                    redundant.grouped(),
                    net.conv_bias_params().grouped()
                ),
                redundant_style,
            ),
            Item::pair(self.tab.mode.name(), mode_text, t.accent),
        ]
    }

    /// One training step as run now: its FLOPs and the bytes it holds.
    fn step_items(&self) -> Vec<Item> {
        let t = &self.ui.theme;
        let totals = &self.tab.costs.totals;
        let figures = [
            ("FLOPs forward", totals.flops_forward),
            ("FLOPs backward", totals.flops_backward),
            ("parameter bytes", totals.param_bytes),
            ("buffer bytes", totals.buffer_bytes),
            ("gradient bytes", totals.grad_bytes),
            ("optimizer bytes", totals.optimizer_bytes),
            ("saved activations", totals.activation_bytes()),
            ("  of which the image", totals.saved.input),
            ("training bytes", totals.training_bytes()),
        ];
        let mut items = vec![
            Item::Heading("one training step"),
            Item::pair("run", self.tab.run_text(), t.accent),
        ];
        if !self.tab.costs.one_value_per_channel.is_empty() {
            items.push(Item::pair(
                "PyTorch",
                "refuses it: see below".to_string(),
                t.bad,
            ));
        }
        items.extend(
            figures
                .into_iter()
                .map(|(label, n)| Item::pair(label, n.grouped(), t.number)),
        );
        items
    }

    /// Why-notes under the summary's numbers (Problems 1a, 1b, 1d; FLOPs and memory), each
    /// wrapped to `width`.
    fn summary_notes(&self, width: u16) -> Vec<Vec<String>> {
        let freeze_key = keys::key(Act::ToggleFreeze, self.g().unicode);
        let tab = self.tab;
        notes::refused_step_note(&tab.net, &tab.costs, &tab.cost)
            .into_iter()
            .chain([
                notes::weight_decay_note(),
                notes::REDUNDANT_BIAS_NOTE.to_string(),
                notes::MODE_SUMMARY.to_string(),
                notes::flops_note(&freeze_key),
                notes::memory_note(&tab.costs),
            ])
            .collect::<Vec<_>>()
            .iter()
            .map(|n| crate::text::wrap(&self.text(n), usize::from(width)))
            .collect()
    }

    /// Rows the summary panel wants: its numbers, plus up to `extra` rows of whole notes.
    pub(super) fn summary_height(&self, extra: u16) -> u16 {
        let width = SIDE_WIDTH.min(CHECK_WIDTH) - 2;
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

    /// The numbers (each heading kept with its rows), then the notes; the text scrolls.
    pub(super) fn summary(&self, area: Rect, buf: &mut Buffer, focused: bool) {
        let inner = panel(area, buf, self.ui, "Summary", focused);
        let lines = self.summary_lines(inner);
        self.scrolled(Focus::Summary, inner, buf, &lines);
    }

    /// Every line of the summary panel for its `inner` area (one column kept for the marks).
    pub(super) fn summary_lines(&self, inner: Rect) -> Vec<Line<'static>> {
        let width = inner.width.saturating_sub(1);
        let mut lines = item_lines(&self.summary_items(), width, self.ui);
        for note in self.summary_notes(width) {
            lines.push(Line::default());
            lines.extend(note.into_iter().map(|l| Line::styled(l, self.ui.theme.dim)));
        }
        lines
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
pub(super) fn item_rows(items: &[Item], width: u16) -> usize {
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
