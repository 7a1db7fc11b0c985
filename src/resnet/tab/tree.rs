//! The module tree: one row per visible module, with the columns that fit the width.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::keys::{self, Act};
use super::render::{View, panel_inner, share_text};
use crate::resnet::model::{Count, Mode, ModuleKind, SequentialRole};
use crate::widgets::{self, panel};

/// The tree's viewport as the layout step records it for the next frame's keys and clicks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct TreeLayout {
    /// The first row shown.
    pub(super) offset: usize,
    /// Rows shown at once: a page for the page keys.
    pub(super) page: usize,
    /// Where the rows are on screen (empty: no tree drawn).
    pub(super) rows: Rect,
}

impl TreeLayout {
    /// No tree on screen (the batch-norm panel covers it): no rows to click; the offset and
    /// the page are kept for the tree's return.
    pub(super) fn hidden(offset: usize, page: usize) -> Self {
        TreeLayout {
            offset,
            page,
            rows: Rect::default(),
        }
    }
}

/// The parts of the tree's panel inside its border.
struct TreeAreas {
    inner: Rect,
    /// The filter's line, while there is a filter or one is typed.
    filter: Option<Rect>,
    header: Rect,
    body: Rect,
}

impl View<'_> {
    /// The parts of the tree's panel in `area`.
    fn tree_areas(&self, area: Rect) -> TreeAreas {
        use Constraint::{Fill, Length};
        let tab = self.tab;
        let inner = panel_inner(area);
        let filtering = !tab.filter.is_empty() || tab.typing;
        let [filter, header, body] =
            Layout::vertical([Length(u16::from(filtering)), Length(1), Fill(1)]).areas(inner);
        TreeAreas {
            inner,
            filter: filtering.then_some(filter),
            header,
            body,
        }
    }

    /// The tree's viewport in `area`: scrolled as little as it can be from the last layout's
    /// offset so that the selected row is on screen.
    pub(super) fn tree_layout(&self, area: Rect) -> TreeLayout {
        let tab = self.tab;
        let rows = tab.visible_rows();
        let areas = self.tree_areas(area);
        let height = usize::from(areas.body.height);
        let pos = rows.iter().position(|&r| r == tab.selected).unwrap_or(0);
        let drawn = areas.inner.width > 0 && areas.inner.height > 0;
        TreeLayout {
            offset: scrolled_offset(tab.tree_offset, pos, height, rows.len()),
            page: height.max(1),
            rows: if drawn { areas.body } else { Rect::default() },
        }
    }

    /// The tree's title: which rows are shown, the sort and the columns.
    fn tree_title(&self, rows: usize, offset: usize, height: usize) -> String {
        let tab = self.tab;
        let bullet = self.g().bullet;
        let mut title = if rows > height && height > 0 {
            format!(
                "Modules {}-{} of {rows}",
                offset + 1,
                (offset + height).min(rows),
            )
        } else {
            format!("Modules ({rows} shown of {})", tab.net.modules.len())
        };
        if let Some(key) = tab.sort {
            title.push_str(&format!(" {bullet} by {}", key.name()));
        }
        if tab.columns != ColumnSet::Sizes {
            title.push_str(&format!(" {bullet} {}", tab.columns.name()));
        }
        title
    }

    /// The module tree with its columns.
    pub(super) fn tree(&self, area: Rect, buf: &mut Buffer) {
        let rows = self.tab.visible_rows();
        let areas = self.tree_areas(area);
        let viewport = self.tree_layout(area);
        let (offset, height) = (viewport.offset, usize::from(areas.body.height));
        let title = self.tree_title(rows.len(), offset, height);
        let inner = panel(area, buf, self.ui, &title, false);
        if inner.width == 0 || inner.height == 0 {
            return;
        }
        let shown: Vec<usize> = rows.iter().skip(offset).take(height).copied().collect();
        let cells: Vec<RowCells> = shown.iter().map(|&i| self.row_cells(i)).collect();
        let columns = choose_columns(self.tab.columns, &cells, usize::from(inner.width));
        if let Some(line) = areas.filter {
            self.filter_line(line, buf, rows.len());
        }
        // Column headings over no rows (a filter that matches nothing) would only mislead.
        if !rows.is_empty() {
            let style = self.ui.theme.hint.add_modifier(Modifier::BOLD);
            let line = columns.line(&RowCells::header(), self.g().unicode, |_| style, None);
            widgets::lines(areas.header, buf, &[line]);
        }
        for ((&index, cells), row) in shown.iter().zip(&cells).zip(areas.body.rows()) {
            self.tree_row(row, buf, index, cells, &columns);
        }
    }

    /// One row of the tree: the selected row highlighted, filter matches marked.
    fn tree_row(
        &self,
        row: Rect,
        buf: &mut Buffer,
        index: usize,
        cells: &RowCells,
        columns: &Columns,
    ) {
        let tab = self.tab;
        let t = &self.ui.theme;
        let selected = index == tab.selected;
        let matched = if selected {
            t.selected.add_modifier(Modifier::UNDERLINED)
        } else {
            t.matched
        };
        let highlight = (!tab.filter.is_empty()).then_some((tab.filter.as_str(), matched));
        let style = |col| {
            if selected {
                t.selected
            } else {
                self.cell_style(index, col)
            }
        };
        let line = columns.line(cells, self.g().unicode, style, highlight);
        if selected {
            buf.set_style(row, t.selected);
        }
        widgets::lines(row, buf, &[line]);
    }

    /// The style of module `index`'s cell in `col` (not selected): dim zeros and frozen names,
    /// bold containers, the batch norms in the mode's style.
    fn cell_style(&self, index: usize, col: Column) -> Style {
        let tab = self.tab;
        let t = &self.ui.theme;
        let m = &tab.net.modules[index];
        let c = &tab.costs.modules[index];
        let frozen = tab.cost.is_frozen(&tab.net, index);
        let bn_style = match tab.mode {
            Mode::Train => t.accent,
            Mode::Eval => t.accent.add_modifier(Modifier::ITALIC),
        };
        use Column::*;
        match col {
            Name if frozen => t.dim,
            Name if m.is_container() => t.base.add_modifier(Modifier::BOLD),
            Name => t.base,
            Type if m.kind.differs_between_train_and_eval() => bn_style,
            Type | Share | MacsShare | SavedShare => t.dim,
            ParamsBar | MacsBar | SavedBar => t.accent,
            Shape | Field | Jump => t.base,
            Params if m.params.is_zero() => t.dim,
            Trainable if c.trainable_params.is_zero() => t.dim,
            MacsFull | MacsCompact if m.macs.is_zero() => t.dim,
            FlopsForward | FlopsForwardCompact if c.flops_forward.is_zero() => t.dim,
            FlopsBackward | FlopsBackwardCompact if c.flops_backward.is_zero() => t.dim,
            SavedFull | SavedCompact if c.activation_bytes().is_zero() => t.dim,
            Params | Trainable | MacsFull | MacsCompact | FlopsForward | FlopsForwardCompact
            | FlopsBackward | FlopsBackwardCompact | SavedFull | SavedCompact => t.number,
        }
    }

    fn row_cells(&self, index: usize) -> RowCells {
        let net = &self.tab.net;
        let m = &net.modules[index];
        let mut name = String::new();
        if self.tab.sort.is_some() || !self.tab.filter.is_empty() {
            // A flat list: the full dotted name says where the layer is.
            name.push_str(&m.name);
        } else {
            self.tree_name(index, &mut name);
        }
        self.cost_cells(index, name)
    }

    /// Tree lines, the expander and the local name of module `index`.
    fn tree_name(&self, index: usize, name: &mut String) {
        let net = &self.tab.net;
        let g = self.g();
        let m = &net.modules[index];
        for a in net.ancestors(index) {
            name.push_str(if net.is_last_child(a) {
                g.tree_space
            } else {
                g.tree_pipe
            });
        }
        name.push_str(if net.is_last_child(index) {
            g.tree_last
        } else {
            g.tree_branch
        });
        name.push(' ');
        name.push_str(if !m.is_container() {
            g.leaf
        } else if self.tab.expanded[index] {
            g.expanded
        } else {
            g.collapsed
        });
        name.push(' ');
        name.push_str(m.local_name());
    }

    /// Module `index`'s values in the columns the tree shows now (the widest set of the
    /// group, bars left out: their share is a column of its own), as (column, value).
    pub(super) fn column_values(&self, index: usize) -> Vec<(&'static str, String)> {
        let cells = self.cost_cells(index, String::new());
        let set = self.tab.columns.sets().first().copied().unwrap_or(&[]);
        set.iter()
            .filter(|c| {
                !matches!(
                    c,
                    Column::Name | Column::ParamsBar | Column::MacsBar | Column::SavedBar
                )
            })
            .map(|&c| (c.label(), c.text(&cells).to_string()))
            .collect()
    }

    /// The row's cells, the name given.
    fn cost_cells(&self, index: usize, mut name: String) -> RowCells {
        let tab = self.tab;
        let net = &tab.net;
        let g = self.g();
        let m = &net.modules[index];
        if tab.cost.is_frozen(net, index) {
            name.push_str(" (frozen)");
        }
        let c = &tab.costs.modules[index];
        let totals = &tab.costs.totals;
        // A share that overflowed draws no bar; its share column says "overflow".
        let bar = |part: Count, whole: Count| -> String {
            let share = part.share_of(whole).unwrap_or(0.0);
            let filled = (share * BAR_WIDTH as f64).round() as usize;
            g.slider_fill.repeat(filled.min(BAR_WIDTH))
        };
        let field = |f: Option<Count>| f.map_or_else(|| "global".to_string(), |v| v.to_string());
        let saved = c.activation_bytes();
        let mut cells = RowCells::default();
        let mut put = |col: Column, text: String| cells.0[col as usize] = text;
        use Column::*;
        put(Name, name);
        put(Type, self.type_text(index));
        put(Shape, self.shape(&m.output_shape));
        put(Params, m.params.grouped());
        put(Share, share_text(m.params, net.total_params()));
        put(ParamsBar, bar(m.params, net.total_params()));
        put(Trainable, c.trainable_params.grouped());
        put(MacsFull, m.macs.grouped());
        put(MacsCompact, m.macs.compact());
        put(MacsShare, share_text(m.macs, net.total_macs()));
        put(MacsBar, bar(m.macs, net.total_macs()));
        put(FlopsForward, c.flops_forward.grouped());
        put(FlopsForwardCompact, c.flops_forward.compact());
        put(FlopsBackward, c.flops_backward.grouped());
        put(FlopsBackwardCompact, c.flops_backward.compact());
        put(SavedFull, saved.grouped());
        put(SavedCompact, saved.compact());
        put(SavedShare, share_text(saved, totals.activation_bytes()));
        put(SavedBar, bar(saved, totals.activation_bytes()));
        put(Field, field(c.field.map(|f| f.receptive_field)));
        put(Jump, field(c.field.map(|f| f.jump)));
        cells
    }
}

impl View<'_> {
    /// The filter's line above the rows: the text (with a cursor while typing) and how many
    /// modules match it.
    fn filter_line(&self, area: Rect, buf: &mut Buffer, shown: usize) {
        let tab = self.tab;
        let t = &self.ui.theme;
        let unicode = self.g().unicode;
        let total = tab.net.modules.len();
        let count = if tab.filter.is_empty() {
            "type a name or a type".to_string()
        } else if shown == 0 {
            "no module matches".to_string()
        } else if tab.sort.is_some() {
            format!("{shown} layers match")
        } else if shown == 1 {
            format!("1 of {total} modules matches")
        } else {
            format!("{shown} of {total} modules match")
        };
        let width = usize::from(area.width);
        let count_w = crate::text::width(&count) + 2;
        // The text keeps its end in view (where typing happens); the count gives way first.
        let room = width.saturating_sub(if width >= 24 + count_w { count_w } else { 0 });
        let cursor = usize::from(tab.typing);
        // The filter's key, as the prompt.
        let prompt = keys::key(Act::Filter, unicode);
        let text = crate::text::fit_start(
            &crate::text::spelled(&tab.filter, unicode),
            room.saturating_sub(crate::text::width(&prompt) + cursor),
            unicode,
        );
        let mut spans = vec![Span::styled(prompt, t.key), Span::styled(text, t.matched)];
        if tab.typing {
            spans.push(Span::styled(" ", t.cursor.add_modifier(Modifier::REVERSED)));
        }
        let used: usize = spans.iter().map(|s| s.width()).sum();
        if width >= used + count_w {
            spans.push(Span::raw(" ".repeat(width - used - count_w + 2)));
            spans.push(Span::styled(count, t.hint));
        }
        widgets::lines(area, buf, &[Line::from(spans)]);
    }

    /// The module's type; a collapsed stage names its blocks rolled up (`BasicBlock ×2`).
    fn type_text(&self, index: usize) -> String {
        let net = &self.tab.net;
        let m = &net.modules[index];
        let stage = matches!(m.kind, ModuleKind::Sequential(SequentialRole::Stage(_)));
        // Filtered rows are a flat list: the type itself, which is what the filter matched.
        if !stage || self.tab.expanded[index] || !self.tab.filter.is_empty() {
            return m.type_name().into();
        }
        // Runs of equal block types, in order: "Bottleneck ×3".
        let mut runs: Vec<(&str, usize)> = Vec::new();
        for &c in &m.children {
            let name = net.modules[c].type_name();
            match runs.last_mut() {
                Some((last, n)) if *last == name => *n += 1,
                _ => runs.push((name, 1)),
            }
        }
        let times = self.g().times;
        let parts: Vec<String> = runs
            .iter()
            .map(|(name, n)| format!("{name} {times}{n}"))
            .collect();
        parts.join(" + ")
    }
}

/// Cells a share bar spans at 100 %.
const BAR_WIDTH: usize = 10;

/// Scroll position that keeps row `pos` inside a viewport of `height` rows, moving as little
/// as possible from `previous`.
pub(super) fn scrolled_offset(previous: usize, pos: usize, height: usize, rows: usize) -> usize {
    if height == 0 {
        return pos.min(rows.saturating_sub(1));
    }
    let mut offset = previous.min(rows.saturating_sub(height));
    if pos < offset {
        offset = pos;
    } else if pos >= offset + height {
        offset = pos + 1 - height;
    }
    offset
}

/// The texts of one tree row, before the columns are chosen, indexed by [`Column`].
#[derive(Default)]
struct RowCells([String; COLUMNS]);

impl RowCells {
    fn header() -> Self {
        let mut cells = RowCells::default();
        for (cell, col) in cells
            .0
            .iter_mut()
            .zip(<Column as strum::VariantArray>::VARIANTS)
        {
            *cell = col.header().to_string();
        }
        cells
    }
}

const COLUMNS: usize = <Column as strum::EnumCount>::COUNT;

#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumCount, strum::VariantArray)]
enum Column {
    Name,
    Type,
    Shape,
    Params,
    Share,
    ParamsBar,
    Trainable,
    MacsFull,
    MacsCompact,
    MacsShare,
    MacsBar,
    FlopsForward,
    FlopsForwardCompact,
    FlopsBackward,
    FlopsBackwardCompact,
    SavedFull,
    SavedCompact,
    SavedShare,
    SavedBar,
    Field,
    Jump,
}

impl Column {
    fn header(self) -> &'static str {
        use Column::*;
        match self {
            Name => "module",
            Type => "type",
            Shape => "output",
            Params => "params",
            Share | MacsShare | SavedShare => "%",
            ParamsBar | MacsBar | SavedBar => "",
            Trainable => "trainable",
            MacsFull | MacsCompact => "MACs",
            FlopsForward | FlopsForwardCompact => "FLOPs fwd",
            FlopsBackward | FlopsBackwardCompact => "FLOPs bwd",
            SavedFull | SavedCompact => "saved bytes",
            Field => "field",
            Jump => "jump",
        }
    }

    /// The column's name in the readout, where the header alone is ambiguous (three `%`).
    fn label(self) -> &'static str {
        match self {
            Column::Share => "params share",
            Column::MacsShare => "MACs share",
            Column::SavedShare => "saved share",
            other => other.header(),
        }
    }

    fn text(self, cells: &RowCells) -> &str {
        &cells.0[self as usize]
    }

    fn right_aligned(self) -> bool {
        use Column::*;
        !matches!(self, Name | Type | Shape | ParamsBar | MacsBar | SavedBar)
    }
}

/// Which group of columns the tree shows (`v`/`V`); each group narrows through its own sets
/// as the width shrinks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnSet {
    /// Output shapes, parameters and MACs.
    Sizes,
    /// FLOPs forward and backward for the batch.
    Flops,
    /// Bytes autograd saves, and trainable parameters.
    Memory,
    /// Receptive field and jump.
    Field,
}

impl crate::controls::Cycle for ColumnSet {
    const ALL: &'static [Self] = &[
        ColumnSet::Sizes,
        ColumnSet::Flops,
        ColumnSet::Memory,
        ColumnSet::Field,
    ];
}

impl ColumnSet {
    pub fn name(self) -> &'static str {
        match self {
            ColumnSet::Sizes => "sizes",
            ColumnSet::Flops => "FLOPs",
            ColumnSet::Memory => "memory",
            ColumnSet::Field => "receptive field",
        }
    }

    /// Richest column set first; the first that fits the width wins.
    fn sets(self) -> &'static [&'static [Column]] {
        use Column::*;
        match self {
            ColumnSet::Sizes => &[
                &[
                    Name, Type, Shape, Params, Share, ParamsBar, MacsFull, MacsShare, MacsBar,
                ],
                &[Name, Type, Shape, Params, Share, MacsFull],
                &[Name, Type, Shape, Params, Share, MacsCompact],
                &[Name, Type, Shape, Params, MacsCompact],
                &[Name, Shape, Params, MacsCompact],
                &[Name, Params, MacsCompact],
                &[Name, Params],
            ],
            ColumnSet::Flops => &[
                &[
                    Name,
                    Type,
                    Shape,
                    FlopsForward,
                    FlopsBackward,
                    MacsShare,
                    MacsBar,
                ],
                &[Name, Type, FlopsForward, FlopsBackward, MacsShare],
                &[Name, FlopsForward, FlopsBackward],
                &[Name, FlopsForwardCompact, FlopsBackwardCompact, MacsShare],
                &[Name, FlopsForwardCompact, FlopsBackwardCompact],
            ],
            ColumnSet::Memory => &[
                &[
                    Name, Type, Shape, SavedFull, SavedShare, SavedBar, Trainable,
                ],
                &[Name, Type, SavedFull, SavedShare, SavedBar],
                &[Name, SavedFull, SavedShare, SavedBar],
                &[Name, SavedCompact, SavedShare],
                &[Name, SavedCompact],
            ],
            ColumnSet::Field => &[
                &[Name, Type, Shape, Field, Jump],
                &[Name, Type, Field, Jump],
                &[Name, Field, Jump],
            ],
        }
    }
}

/// The columns that fit, with their widths.
struct Columns {
    chosen: Vec<(Column, usize)>,
}

/// The first set of `group` that fits the width, the name column shrinking last.
fn choose_columns(group: ColumnSet, rows: &[RowCells], width: usize) -> Columns {
    let sets = group.sets();
    let width_of = |col: Column| -> usize {
        let header = match col {
            Column::ParamsBar | Column::MacsBar | Column::SavedBar => BAR_WIDTH,
            _ => col.header().chars().count(),
        };
        rows.iter()
            .map(|r| col.text(r).chars().count())
            .max()
            .unwrap_or(0)
            .max(header)
    };
    // The name column needs room for its tree and a few letters.
    let fits = |set: &[Column]| -> usize {
        set.iter().map(|&c| width_of(c)).sum::<usize>() + 2 * set.len().saturating_sub(1)
    };
    let set = sets
        .iter()
        .find(|s| fits(s) <= width)
        .or(sets.last())
        .copied()
        .unwrap_or(&[Column::Name]);
    let mut chosen: Vec<(Column, usize)> = set.iter().map(|&c| (c, width_of(c))).collect();
    // The name column takes what is left, or gives way when even the smallest set is too wide.
    let others: usize = chosen.iter().skip(1).map(|(_, w)| w + 2).sum();
    if let Some(name) = chosen.first_mut() {
        name.1 = width.saturating_sub(others);
    }
    Columns { chosen }
}

impl Columns {
    /// One row; with `highlight` (a filter and its style), the first match in the name and type
    /// cells, as drawn, takes that style.
    fn line(
        &self,
        cells: &RowCells,
        unicode: bool,
        style: impl Fn(Column) -> Style,
        highlight: Option<(&str, Style)>,
    ) -> Line<'static> {
        let mut spans = Vec::with_capacity(self.chosen.len() * 2);
        for (k, &(col, w)) in self.chosen.iter().enumerate() {
            if k > 0 {
                spans.push(Span::styled("  ", style(Column::Name)));
            }
            let text = crate::text::fit(col.text(cells), w, unicode);
            let text = if col.right_aligned() {
                format!("{text:>w$}")
            } else {
                format!("{text:<w$}")
            };
            let found = match highlight {
                Some((needle, _)) if matches!(col, Column::Name | Column::Type) => {
                    super::filter_match(&text, needle)
                }
                _ => None,
            };
            match (found, highlight) {
                (Some(range), Some((_, matched))) if !range.is_empty() => {
                    let (before, rest) = text.split_at(range.start);
                    let (hit, after) = rest.split_at(range.len());
                    spans.push(Span::styled(before.to_string(), style(col)));
                    spans.push(Span::styled(hit.to_string(), matched));
                    spans.push(Span::styled(after.to_string(), style(col)));
                }
                _ => spans.push(Span::styled(text, style(col))),
            }
        }
        Line::from(spans)
    }
}
