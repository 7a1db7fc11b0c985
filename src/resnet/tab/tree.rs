//! The module tree: one row per visible module, with the columns that fit the width.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::render::{View, fraction};
use crate::numfmt::{compact, group_thousands, percent};
use crate::resnet::model::Mode;
use crate::widgets::{self, panel};

impl View<'_> {
    /// The module tree with its columns.
    pub(super) fn tree(&self, area: Rect, buf: &mut Buffer) {
        let tab = self.tab;
        let net = &tab.net;
        let rows = tab.visible_rows();
        let outer = area.intersection(buf.area);
        // The title needs the viewport, which needs the inner area: compute it as panel will.
        let data_h = usize::from(outer.height.saturating_sub(3));
        let offset = scrolled_offset(
            tab.offset.get(),
            rows.iter().position(|&r| r == tab.selected).unwrap_or(0),
            data_h,
            rows.len(),
        );
        tab.offset.set(offset);
        tab.page.set(data_h.max(1));
        let title = if rows.len() > data_h && data_h > 0 {
            format!(
                "Modules {}-{} of {}",
                offset + 1,
                (offset + data_h).min(rows.len()),
                rows.len()
            )
        } else {
            format!("Modules ({} shown of {})", rows.len(), net.modules.len())
        };
        let inner = panel(area, buf, self.ui, &title, false);
        if inner.width == 0 || inner.height == 0 {
            tab.rows_area.set(Rect::default());
            return;
        }
        let cells: Vec<RowCells> = rows
            .iter()
            .skip(offset)
            .take(data_h)
            .map(|&i| self.row_cells(i))
            .collect();
        let columns = choose_columns(&cells, usize::from(inner.width));
        let t = &self.ui.theme;
        let header = RowCells {
            name: "module".into(),
            type_name: "type".into(),
            shape: "output".into(),
            params: "params".into(),
            share: "%".into(),
            macs_full: "MACs".into(),
            macs_compact: "MACs".into(),
        };
        let header_style = t.hint.add_modifier(Modifier::BOLD);
        let line = columns.line(&header, self.g().unicode, |_| header_style);
        widgets::lines(Rect { height: 1, ..inner }, buf, &[line]);
        let body = Rect {
            y: inner.y.saturating_add(1),
            height: inner.height.saturating_sub(1),
            ..inner
        };
        tab.rows_area.set(body);
        for (k, (&index, cells)) in rows.iter().skip(offset).zip(&cells).enumerate() {
            let y = body.y.saturating_add(k as u16);
            if y >= body.bottom() {
                break;
            }
            let m = &net.modules[index];
            let selected = index == tab.selected;
            let bn_style = match tab.mode {
                Mode::Train => t.accent,
                Mode::Eval => t.accent.add_modifier(Modifier::ITALIC),
            };
            let line = columns.line(cells, self.g().unicode, |col| {
                if selected {
                    return t.selected;
                }
                match col {
                    Column::Name if m.is_container() => t.base.add_modifier(Modifier::BOLD),
                    Column::Name => t.base,
                    Column::Type if m.kind.differs_between_train_and_eval() => bn_style,
                    Column::Type | Column::Share => t.dim,
                    Column::Shape => t.base,
                    Column::Params if m.params == 0 => t.dim,
                    Column::MacsFull | Column::MacsCompact if m.macs == 0 => t.dim,
                    Column::Params | Column::MacsFull | Column::MacsCompact => t.number,
                }
            });
            let row = Rect::new(body.x, y, body.width, 1);
            if selected {
                buf.set_style(row, t.selected);
            }
            widgets::lines(row, buf, &[line]);
        }
    }

    fn row_cells(&self, index: usize) -> RowCells {
        let net = &self.tab.net;
        let g = self.g();
        let m = &net.modules[index];
        let mut name = String::new();
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
        RowCells {
            name,
            type_name: m.type_name().into(),
            shape: self.shape(&m.output_shape),
            params: group_thousands(m.params),
            share: percent(fraction(m.params, net.total_params()), 1),
            macs_full: group_thousands(m.macs),
            macs_compact: compact(m.macs),
        }
    }
}

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

/// The texts of one tree row, before the columns are chosen.
struct RowCells {
    name: String,
    type_name: String,
    shape: String,
    params: String,
    share: String,
    macs_full: String,
    macs_compact: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Name,
    Type,
    Shape,
    Params,
    Share,
    MacsFull,
    MacsCompact,
}

impl Column {
    fn text(self, cells: &RowCells) -> &str {
        match self {
            Column::Name => &cells.name,
            Column::Type => &cells.type_name,
            Column::Shape => &cells.shape,
            Column::Params => &cells.params,
            Column::Share => &cells.share,
            Column::MacsFull => &cells.macs_full,
            Column::MacsCompact => &cells.macs_compact,
        }
    }

    fn right_aligned(self) -> bool {
        matches!(
            self,
            Column::Params | Column::Share | Column::MacsFull | Column::MacsCompact
        )
    }
}

/// The columns that fit, with their widths.
struct Columns {
    chosen: Vec<(Column, usize)>,
}

/// Richest column set first; the first that fits the width wins, the name column shrinking
/// last.
fn choose_columns(rows: &[RowCells], width: usize) -> Columns {
    use Column::*;
    const SETS: [&[Column]; 6] = [
        &[Name, Type, Shape, Params, Share, MacsFull],
        &[Name, Type, Shape, Params, Share, MacsCompact],
        &[Name, Type, Shape, Params, MacsCompact],
        &[Name, Shape, Params, MacsCompact],
        &[Name, Params, MacsCompact],
        &[Name, Params],
    ];
    let width_of = |col: Column| -> usize {
        let header = match col {
            Name => 6,
            Type => 4,
            Shape => 6,
            Params => 6,
            Share => 1,
            MacsFull | MacsCompact => 4,
        };
        rows.iter()
            .map(|r| col.text(r).chars().count())
            .max()
            .unwrap_or(0)
            .max(header)
    };
    let fits = |set: &[Column]| -> usize {
        set.iter().map(|&c| width_of(c)).sum::<usize>() + 2 * set.len().saturating_sub(1)
    };
    let set = SETS
        .iter()
        .find(|s| fits(s) <= width)
        .unwrap_or(&SETS[SETS.len() - 1]);
    let mut chosen: Vec<(Column, usize)> = set.iter().map(|&c| (c, width_of(c))).collect();
    // The name column takes what is left, or gives way when even the smallest set is too wide.
    let others: usize = chosen.iter().skip(1).map(|(_, w)| w + 2).sum();
    if let Some(name) = chosen.first_mut() {
        name.1 = width.saturating_sub(others);
    }
    Columns { chosen }
}

impl Columns {
    fn line(
        &self,
        cells: &RowCells,
        unicode: bool,
        style: impl Fn(Column) -> Style,
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
            spans.push(Span::styled(text, style(col)));
        }
        Line::from(spans)
    }
}
