//! One chart for every tab: linear or log10 axes (ratatui has no log axis, so log10 values are
//! plotted with hand-made decade labels), per-column decimation so thousands of points cost no
//! more than the panel is wide, a cursor, reference lines, and values that overflow (inf, NaN)
//! pinned to the top edge with an "overflow from x = …" mark instead of being printed.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::dots::{DotCanvas, Viewport};
use crate::numfmt;
use crate::theme::Ui;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Linear,
    Log10,
}

impl Scale {
    /// Data value to plotted coordinate; `None` where a log axis cannot show it (≤ 0).
    fn map(self, v: f64) -> Option<f64> {
        match self {
            Scale::Linear => v.is_finite().then_some(v),
            Scale::Log10 => (v.is_finite() && v > 0.0).then(|| v.log10()),
        }
    }
}

/// One line on the chart. `index` picks its colour and, without colour, its mark.
#[derive(Clone, Copy)]
pub struct Series<'a> {
    pub label: &'a str,
    pub points: &'a [(f64, f64)],
    pub index: usize,
}

/// A horizontal reference line (an optimum, the level 1).
#[derive(Clone, Copy)]
pub struct RefLine<'a> {
    pub y: f64,
    pub label: &'a str,
}

/// Builder for a chart; `render` draws it.
#[derive(Clone)]
pub struct LogChart<'a> {
    series: Vec<Series<'a>>,
    x_scale: Scale,
    y_scale: Scale,
    x_bounds: Option<(f64, f64)>,
    y_bounds: Option<(f64, f64)>,
    cursor_x: Option<f64>,
    cursor_ticks: bool,
    ref_lines: Vec<RefLine<'a>>,
    x_name: &'a str,
    legend: bool,
    overflow_from_right: bool,
}

impl<'a> LogChart<'a> {
    /// A chart with a log10 y axis and a linear x axis.
    pub fn new(series: Vec<Series<'a>>) -> Self {
        LogChart {
            series,
            x_scale: Scale::Linear,
            y_scale: Scale::Log10,
            x_bounds: None,
            y_bounds: None,
            cursor_x: None,
            cursor_ticks: false,
            ref_lines: Vec::new(),
            x_name: "x",
            legend: true,
            overflow_from_right: false,
        }
    }
    pub fn x_scale(mut self, s: Scale) -> Self {
        self.x_scale = s;
        self
    }
    pub fn y_scale(mut self, s: Scale) -> Self {
        self.y_scale = s;
        self
    }
    /// Fixed x bounds in data units (else the data's range).
    pub fn x_bounds(mut self, lo: f64, hi: f64) -> Self {
        self.x_bounds = Some((lo, hi));
        self
    }
    /// Fixed y bounds in data units (else the data's range, widened to whole decades on a log axis).
    pub fn y_bounds(mut self, lo: f64, hi: f64) -> Self {
        self.y_bounds = Some((lo, hi));
        self
    }
    pub fn cursor(mut self, x: f64) -> Self {
        self.cursor_x = Some(x);
        self
    }
    /// A cursor drawn as two ticks (top and bottom edge) instead of a full-height rule: an
    /// animation moving it then rewrites four cells a frame, not two columns.
    pub fn cursor_ticks(mut self, x: f64) -> Self {
        self.cursor_x = Some(x);
        self.cursor_ticks = true;
        self
    }
    pub fn ref_line(mut self, line: RefLine<'a>) -> Self {
        self.ref_lines.push(line);
        self
    }
    /// The x variable's name, used in the overflow mark ("overflow from t = 12").
    pub fn x_name(mut self, name: &'a str) -> Self {
        self.x_name = name;
        self
    }
    pub fn legend(mut self, show: bool) -> Self {
        self.legend = show;
        self
    }
    /// Mark the largest overflowing x instead of the smallest: for a curve computed from the
    /// right (a backward pass from t = T), where the overflow begins.
    pub fn overflow_from_right(mut self, from_right: bool) -> Self {
        self.overflow_from_right = from_right;
        self
    }

    fn data_bounds(&self, axis: usize, scale: Scale) -> Option<(f64, f64)> {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for s in &self.series {
            for p in s.points {
                let v = if axis == 0 { p.0 } else { p.1 };
                if let Some(m) = scale.map(v) {
                    lo = lo.min(m);
                    hi = hi.max(m);
                }
            }
        }
        if axis == 1 {
            for r in &self.ref_lines {
                if let Some(m) = scale.map(r.y) {
                    lo = lo.min(m);
                    hi = hi.max(m);
                }
            }
        }
        (lo <= hi).then_some((lo, hi))
    }

    /// Plotted (mapped) bounds of both axes.
    fn bounds(&self) -> ((f64, f64), (f64, f64)) {
        let mapped = |b: Option<(f64, f64)>, scale: Scale| {
            b.and_then(|(lo, hi)| Some((scale.map(lo)?, scale.map(hi)?)))
        };
        let x = mapped(self.x_bounds, self.x_scale)
            .or_else(|| self.data_bounds(0, self.x_scale))
            .unwrap_or((0.0, 1.0));
        let mut y = mapped(self.y_bounds, self.y_scale)
            .or_else(|| self.data_bounds(1, self.y_scale))
            .unwrap_or((0.0, 1.0));
        if self.y_scale == Scale::Log10 && self.y_bounds.is_none() {
            y = (y.0.floor(), y.1.ceil());
        }
        (widen(x, self.x_scale), widen(y, self.y_scale))
    }

    /// Draws the chart into `area` (no border: wrap it in a panel).
    pub fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let area = area.intersection(buf.area);
        if area.width < 8 || area.height < 3 {
            return;
        }
        let ((x0, x1), y) = self.bounds();
        let (y0, y1, y_ticks) = self.y_ticks(y, area.height);
        let label_w = y_ticks
            .iter()
            .map(|(_, s)| s.chars().count())
            .max()
            .unwrap_or(1) as u16;
        let plot = Rect::new(
            area.x + label_w + 1,
            area.y,
            area.width.saturating_sub(label_w + 1),
            area.height - 1,
        );
        if plot.width < 2 || plot.height < 1 {
            return;
        }
        let mut canvas = DotCanvas::new(plot.width, plot.height, ui.glyphs.unicode);
        let view = Viewport {
            x: (x0, x1),
            y: (y0, y1),
        };
        self.draw_ref_lines(&mut canvas, &view, plot, ui);
        let overflow_at = self.draw_series(&mut canvas, &view, ui);
        canvas.render(plot, buf);
        if let Some(cx) = self.cursor_x.and_then(|c| self.x_scale.map(c))
            && let Some((dx, _)) = canvas_dot(&view, &canvas, cx, y0)
        {
            let (col, _) = canvas.cell_of(dx, 0);
            if self.cursor_ticks {
                draw_cursor_ticks(plot, buf, col, ui);
            } else {
                draw_cursor(plot, buf, col, ui);
            }
        }
        draw_y_axis(buf, area, plot, label_w, (y0, y1), &y_ticks, ui);
        self.draw_x_axis(buf, area, plot, (x0, x1), ui);
        if self.legend {
            self.draw_legend(buf, plot, ui);
        }
        if let Some(at) = overflow_at {
            let arrow = ui.glyphs.up;
            let text = format!("{arrow} overflow from {} = {}", self.x_name, x_label(at));
            let w = (text.chars().count() as u16).min(plot.width);
            let row = plot.y + u16::from(self.legend && plot.height > 2);
            buf.set_stringn(plot.x, row, &text, w as usize, ui.theme.bad);
        }
    }

    /// The plotted y range and its labelled ticks for a chart `height` rows tall (the range
    /// grows on a log axis so that its decade ticks sit on evenly spaced rows).
    fn y_ticks(&self, (y0, y1): (f64, f64), height: u16) -> (f64, f64, Vec<(f64, String)>) {
        // The plot is height − 1 rows tall: its rows are that many minus one apart.
        let row_gaps = (height as usize).saturating_sub(2);
        match self.y_scale {
            Scale::Log10 => even_decades(y0, y1, row_gaps),
            _ => (
                y0,
                y1,
                ticks(
                    y0,
                    y1,
                    self.y_scale,
                    (height as usize - 1).div_ceil(2).max(2),
                ),
            ),
        }
    }

    /// Reference lines, dotted, under the data, each with its label above (or below) it.
    fn draw_ref_lines(&self, canvas: &mut DotCanvas, view: &Viewport, plot: Rect, ui: &Ui) {
        let theme = &ui.theme;
        for r in &self.ref_lines {
            if let Some(y) = self.y_scale.map(r.y)
                && let Some((_, dy)) = canvas_dot(view, canvas, view.x.0, y)
            {
                for dx in (0..canvas.width()).step_by(if canvas.is_unicode() { 3 } else { 2 }) {
                    canvas.dot(dx, dy, theme.dim, '.');
                }
                if !r.label.is_empty() {
                    let (col, row) = canvas.cell_of(0, dy);
                    let len = r.label.chars().count() as u16;
                    let col = plot
                        .width
                        .saturating_sub(len + 1)
                        .min(col.max(0) as u16 + 1);
                    let row = if row > 0 { row - 1 } else { row + 1 };
                    if row >= 0 {
                        canvas.text(col, row as u16, r.label, theme.dim);
                    }
                }
            }
        }
    }

    /// Every series as a line (or, without colour, one mark per cell for all but the first);
    /// returns the x at which a series first overflowed, if one did.
    fn draw_series(&self, canvas: &mut DotCanvas, view: &Viewport, ui: &Ui) -> Option<f64> {
        let theme = &ui.theme;
        let mut overflow_at: Option<f64> = None;
        for s in &self.series {
            let style = theme.series[s.index % theme.series.len()];
            let mark = ui.glyphs.series_marks[s.index % ui.glyphs.series_marks.len()]
                .chars()
                .next()
                .unwrap_or('*');
            // Without colour, every series but the first is drawn one mark per cell so the
            // lines stay distinguishable.
            let marks_only = !ui.has_color() && s.index > 0;
            let pts = self.decimate(s.points, view, canvas, &mut overflow_at);
            let mut prev: Option<(i32, i32)> = None;
            for p in pts {
                match p {
                    Some((dx, dy)) => {
                        if marks_only {
                            let (c, r) = canvas.cell_of(dx, dy);
                            canvas.mark_cell(c, r, mark, style);
                        } else if let Some((px, py)) = prev {
                            canvas.line(px, py, dx, dy, style, mark);
                        } else {
                            canvas.dot(dx, dy, style, mark);
                        }
                        prev = Some((dx, dy));
                    }
                    None => prev = None,
                }
            }
        }
        overflow_at
    }

    /// The x bounds at the bottom corners and, where there is room, the x variable's name
    /// between them.
    fn draw_x_axis(&self, buf: &mut Buffer, area: Rect, plot: Rect, (x0, x1): (f64, f64), ui: &Ui) {
        let theme = &ui.theme;
        let bottom = area.y + area.height - 1;
        let left = axis_label(x0, self.x_scale);
        let right = axis_label(x1, self.x_scale);
        buf.set_stringn(plot.x, bottom, &left, plot.width as usize, theme.dim);
        let rw = right.chars().count() as u16;
        if plot.width > rw + left.chars().count() as u16 + 1 {
            buf.set_string(plot.x + plot.width - rw, bottom, &right, theme.dim);
            let name = self.x_name;
            let nw = name.chars().count() as u16;
            if plot.width > rw + nw + left.chars().count() as u16 + 4 {
                buf.set_string(plot.x + (plot.width - nw) / 2, bottom, name, theme.dim);
            }
        }
    }

    /// The legend on the top row, right-aligned, as many series as fit.
    fn draw_legend(&self, buf: &mut Buffer, plot: Rect, ui: &Ui) {
        let theme = &ui.theme;
        let mut x = plot.x + plot.width;
        for s in self.series.iter().rev().filter(|s| !s.label.is_empty()) {
            let mark = ui.glyphs.series_marks[s.index % ui.glyphs.series_marks.len()];
            let text = format!(" {mark} {}", s.label);
            let w = text.chars().count() as u16;
            if x < plot.x + w {
                break;
            }
            x -= w;
            let style = theme.series[s.index % theme.series.len()];
            buf.set_string(x, plot.y, &text, style);
        }
    }

    /// Keeps, per dot column, the first, lowest, highest and last point (in order), so the
    /// drawn line has the same envelope as the full series. `None` breaks the line (a value a
    /// log axis cannot show). Overflowing values are pinned to the top edge.
    fn decimate(
        &self,
        points: &[(f64, f64)],
        view: &Viewport,
        canvas: &DotCanvas,
        overflow_at: &mut Option<f64>,
    ) -> Vec<Option<(i32, i32)>> {
        let mut out: Vec<Option<(i32, i32)>> = Vec::new();
        let mut column: Vec<(i32, i32)> = Vec::new();
        let mut current_dx: Option<i32> = None;
        let flush = |column: &mut Vec<(i32, i32)>, out: &mut Vec<Option<(i32, i32)>>| {
            if column.is_empty() {
                return;
            }
            let first = column[0];
            let last = column[column.len() - 1];
            let lo = *column.iter().max_by_key(|p| p.1).unwrap_or(&first);
            let hi = *column.iter().min_by_key(|p| p.1).unwrap_or(&first);
            for p in [first, lo, hi, last] {
                if out.last() != Some(&Some(p)) {
                    out.push(Some(p));
                }
            }
            column.clear();
        };
        for &(x, y) in points {
            let Some(mx) = self.x_scale.map(x) else {
                continue;
            };
            let my = if y.is_nan() || y == f64::INFINITY {
                // Overflow: pin to the top and remember where it began.
                let first = if self.overflow_from_right {
                    overflow_at.is_none_or(|at| x > at)
                } else {
                    overflow_at.is_none_or(|at| x < at)
                };
                if first {
                    *overflow_at = Some(x);
                }
                Some(view.y.1)
            } else {
                match self.y_scale.map(y) {
                    Some(v) => Some(v.clamp(view.y.0, view.y.1 + (view.y.1 - view.y.0))),
                    // Zero or below on a log axis: pinned to the bottom edge.
                    None if self.y_scale == Scale::Log10 && y.is_finite() => Some(view.y.0),
                    None => None,
                }
            };
            let Some(my) = my else {
                flush(&mut column, &mut out);
                out.push(None);
                current_dx = None;
                continue;
            };
            let Some((dx, dy)) = canvas_dot(view, canvas, mx, my) else {
                continue;
            };
            let dy = dy.max(0);
            if current_dx != Some(dx) {
                flush(&mut column, &mut out);
                current_dx = Some(dx);
            }
            column.push((dx, dy));
        }
        flush(&mut column, &mut out);
        out
    }
}

/// The y axis: tick labels (decades or nice numbers) right-aligned left of the plot, each with
/// a tick mark, and the axis line on the rows between them.
fn draw_y_axis(
    buf: &mut Buffer,
    area: Rect,
    plot: Rect,
    label_w: u16,
    (y0, y1): (f64, f64),
    y_ticks: &[(f64, String)],
    ui: &Ui,
) {
    let theme = &ui.theme;
    for (v, label) in y_ticks {
        let frac = (v - y0) / (y1 - y0);
        if !(-1e-9..=1.0 + 1e-9).contains(&frac) {
            continue;
        }
        let row = plot.y + ((1.0 - frac) * (plot.height - 1) as f64).round() as u16;
        let w = label.chars().count() as u16;
        buf.set_stringn(area.x + label_w - w, row, label, w as usize, theme.dim);
        if let Some(cell) = buf.cell_mut((plot.x - 1, row)) {
            cell.set_symbol(if ui.glyphs.unicode { "┤" } else { "+" });
            cell.set_style(theme.dim);
        }
    }
    for row in plot.y..plot.y + plot.height {
        if let Some(cell) = buf.cell_mut((plot.x - 1, row))
            && cell.symbol() == " "
        {
            cell.set_symbol(ui.glyphs.v_line);
            cell.set_style(theme.dim);
        }
    }
}

/// The cursor: a vertical rule through the plot that keeps the data visible where it crosses.
fn draw_cursor(plot: Rect, buf: &mut Buffer, col: i32, ui: &Ui) {
    if !(0..plot.width as i32).contains(&col) {
        return;
    }
    let x = plot.x + col as u16;
    for row in plot.y..plot.y + plot.height {
        if let Some(cell) = buf.cell_mut((x, row)) {
            if cell.symbol() == " " {
                cell.set_symbol(ui.glyphs.v_line);
            }
            cell.set_style(ui.theme.cursor);
        }
    }
}

/// The cursor as a tick on the top and the bottom edge of the plot.
fn draw_cursor_ticks(plot: Rect, buf: &mut Buffer, col: i32, ui: &Ui) {
    if !(0..plot.width as i32).contains(&col) || plot.height < 2 {
        return;
    }
    let x = plot.x + col as u16;
    for (row, glyph) in [
        (plot.y, ui.glyphs.down),
        (plot.y + plot.height - 1, ui.glyphs.up),
    ] {
        if let Some(cell) = buf.cell_mut((x, row)) {
            cell.set_symbol(glyph).set_style(ui.theme.cursor);
        }
    }
}

fn canvas_dot(view: &Viewport, canvas: &DotCanvas, x: f64, y: f64) -> Option<(i32, i32)> {
    view.to_dot(canvas, x, y)
}

/// A degenerate range (one value) is opened up so the mapping stays finite.
fn widen((lo, hi): (f64, f64), scale: Scale) -> (f64, f64) {
    if hi > lo {
        return (lo, hi);
    }
    match scale {
        Scale::Log10 => (lo - 1.0, hi + 1.0),
        Scale::Linear => {
            let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
            (lo - pad, hi + pad)
        }
    }
}

/// Decades steps a log axis may tick at.
const DECADE_STEPS: [f64; 14] = [
    1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0, 1000.0, 2000.0,
];

/// A log10 axis over at least [lo, hi] (plotted units, i.e. decades) with its ticks on whole
/// rows an equal number apart: `row_gaps` is the number of row intervals of the plot (its
/// height minus one). The axis starts at the decade below `lo` and covers `row_gaps · s / k`
/// decades, with a tick every s decades, k rows apart (k ≥ 2 when there is room, so labels
/// never touch). Of the choices that cover [lo, hi] the cheapest wins: the share of the axis
/// the data fills, plus a little for every row the ticks are spaced away from 3 (so two
/// ticks far apart do not beat several that waste a decade). Returns the axis's (bottom,
/// top) and its ticks.
fn even_decades(lo: f64, hi: f64, row_gaps: usize) -> (f64, f64, Vec<(f64, String)>) {
    let bottom = (lo + 1e-9).floor();
    let need = (hi - bottom - 1e-9).ceil().max(1.0);
    let rows = row_gaps.max(1);
    let min_gap = if rows >= 2 { 2 } else { 1 };
    // (cost, rows per tick, decades per tick, decades covered)
    let mut best: Option<(f64, usize, f64, f64)> = None;
    for &s in &DECADE_STEPS {
        for k in min_gap..=rows {
            let span = rows as f64 * s / k as f64;
            if span + 1e-9 < need {
                break; // a larger k only shortens the span
            }
            let cost = span / need + 0.05 * (k as f64 - 3.0).abs();
            let better = best.is_none_or(|(b_cost, b_k, _, _)| {
                cost < b_cost - 1e-9 || ((cost - b_cost).abs() <= 1e-9 && k < b_k)
            });
            if better {
                best = Some((cost, k, s, span));
            }
        }
    }
    // A range too wide for any step: one tick at the bottom, the top where the data ends.
    let Some((_, k, s, span)) = best else {
        return (
            bottom,
            bottom.max(hi),
            vec![(bottom, format!("1e{}", bottom as i64))],
        );
    };
    let ticks = (0..=rows / k)
        .map(|i| {
            let d = bottom + i as f64 * s;
            (d, format!("1e{}", d as i64))
        })
        .collect();
    (bottom, bottom + span, ticks)
}

/// Tick positions (in plotted units) and labels, at most `max` of them.
fn ticks(lo: f64, hi: f64, scale: Scale, max: usize) -> Vec<(f64, String)> {
    match scale {
        Scale::Log10 => {
            let first = lo.ceil() as i64;
            let last = hi.floor() as i64;
            let count = (last - first + 1).max(1) as usize;
            let step = count.div_ceil(max.max(1)).max(1) as i64;
            let mut out = Vec::new();
            let mut d = first;
            while d <= last && out.len() < 64 {
                out.push((d as f64, format!("1e{d}")));
                d += step;
            }
            out
        }
        Scale::Linear => {
            let n = max.clamp(2, 5);
            (0..n)
                .map(|i| {
                    let v = lo + (hi - lo) * i as f64 / (n - 1) as f64;
                    (v, numfmt::general(v, 3))
                })
                .collect()
        }
    }
}

fn axis_label(v: f64, scale: Scale) -> String {
    match scale {
        Scale::Linear => x_label(v),
        Scale::Log10 => {
            let r = v.round();
            if (v - r).abs() < 1e-9 {
                format!("1e{}", r as i64)
            } else {
                numfmt::sci(10f64.powf(v), 2)
            }
        }
    }
}

fn x_label(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e12 {
        format!("{}", v as i64)
    } else {
        numfmt::general(v, 3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(buf: &Buffer) -> String {
        let a = buf.area;
        (a.y..a.y + a.height)
            .map(|y| {
                (a.x..a.x + a.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn decades_are_labelled_and_overflow_is_marked() {
        let pts: Vec<(f64, f64)> = (0..=20)
            .map(|t| {
                (
                    t as f64,
                    if t < 15 {
                        10f64.powi(t - 10)
                    } else {
                        f64::INFINITY
                    },
                )
            })
            .collect();
        let chart = LogChart::new(vec![Series {
            label: "norm",
            points: &pts,
            index: 0,
        }])
        .x_name("t");
        let area = Rect::new(0, 0, 40, 12);
        let mut buf = Buffer::empty(area);
        chart.render(area, &mut buf, &Ui::standard());
        let s = text(&buf);
        assert!(s.contains("1e-10"), "{s}");
        assert!(s.contains("1e2"), "{s}");
        assert!(s.contains("overflow from t = 15"), "{s}");
        assert!(!s.contains("inf") && !s.contains("NaN"), "{s}");
    }

    #[test]
    fn decade_ticks_sit_on_evenly_spaced_rows() {
        for (lo, hi) in [
            (-25.0, 1.0),
            (-7.0, -1.0),
            (-300.0, 300.0),
            (0.0, 1.0),
            (-3.0, 2.0),
        ] {
            let pts = [(0.0, 10f64.powf(lo)), (1.0, 10f64.powf(hi))];
            for height in [5u16, 8, 9, 11, 13, 17, 24, 40] {
                let chart = LogChart::new(vec![Series {
                    label: "",
                    points: &pts,
                    index: 0,
                }])
                .y_bounds(10f64.powf(lo), 10f64.powf(hi))
                .legend(false);
                let area = Rect::new(0, 0, 40, height);
                let mut buf = Buffer::empty(area);
                chart.render(area, &mut buf, &Ui::standard());
                let s = text(&buf);
                let ticks: Vec<(usize, i64)> = s
                    .lines()
                    .enumerate()
                    .filter_map(|(row, line)| {
                        let at = line.find("1e")?;
                        let exp: String = line[at + 2..]
                            .chars()
                            .take_while(|c| *c == '-' || c.is_ascii_digit())
                            .collect();
                        Some((row, exp.parse().ok()?))
                    })
                    .filter(|&(row, _)| row + 1 < height as usize)
                    .collect();
                assert!(!ticks.is_empty(), "{lo}..{hi} at {height}:\n{s}");
                let rows: Vec<usize> = ticks.windows(2).map(|w| w[1].0 - w[0].0).collect();
                let decades: Vec<i64> = ticks.windows(2).map(|w| w[0].1 - w[1].1).collect();
                assert!(rows.windows(2).all(|w| w[0] == w[1]), "rows {rows:?}:\n{s}");
                assert!(
                    decades.windows(2).all(|w| w[0] == w[1]),
                    "{decades:?}:\n{s}"
                );
                assert!(rows.iter().all(|&r| r >= 2 || height < 5), "{rows:?}:\n{s}");
                // The lowest tick is the bottom decade, and the axis covers the data.
                assert_eq!(ticks.last().map(|t| t.1), Some(lo as i64), "{s}");
                let (_, top, _) = even_decades(lo, hi, height as usize - 2);
                assert!(top >= hi - 1e-9, "{top} < {hi}");
            }
        }
    }

    #[test]
    fn overflow_can_be_marked_from_the_right() {
        // Finite, overflowing from x = 3 to 6, finite again: from the right it begins at 6.
        let pts: Vec<(f64, f64)> = (0..=9)
            .map(|x| (x as f64, if (3..=6).contains(&x) { f64::NAN } else { 1.0 }))
            .collect();
        let series = || {
            vec![Series {
                label: "",
                points: &pts,
                index: 0,
            }]
        };
        let area = Rect::new(0, 0, 40, 8);
        let draw = |chart: LogChart| {
            let mut buf = Buffer::empty(area);
            chart.x_name("t").render(area, &mut buf, &Ui::standard());
            text(&buf)
        };
        assert!(draw(LogChart::new(series())).contains("overflow from t = 3"));
        let right = draw(LogChart::new(series()).overflow_from_right(true));
        assert!(right.contains("overflow from t = 6"), "{right}");
    }

    #[test]
    fn tiny_and_empty_charts_do_not_panic() {
        let chart = LogChart::new(vec![Series {
            label: "",
            points: &[],
            index: 0,
        }]);
        for (w, h) in [(0, 0), (1, 1), (8, 3), (9, 4)] {
            let area = Rect::new(0, 0, w, h);
            let mut buf = Buffer::empty(area);
            chart.render(area, &mut buf, &Ui::standard());
        }
        let pts = [(0.0, 0.0), (1.0, -1.0), (f64::NAN, 1.0), (2.0, f64::NAN)];
        let chart = LogChart::new(vec![Series {
            label: "odd",
            points: &pts,
            index: 1,
        }])
        .cursor(1.0)
        .ref_line(RefLine {
            y: 1.0,
            label: "one",
        });
        let area = Rect::new(0, 0, 30, 8);
        let mut buf = Buffer::empty(area);
        chart.render(
            area,
            &mut buf,
            &Ui::new(crate::color::ColorDepth::None, false),
        );
        assert!(text(&buf).is_ascii());
    }

    #[test]
    fn tick_cursor_marks_only_the_edges() {
        let pts = [(0.0, 1.0), (10.0, 10.0)];
        let series = vec![Series {
            label: "",
            points: &pts,
            index: 0,
        }];
        let area = Rect::new(0, 0, 30, 8);
        let cells = |chart: LogChart| {
            let mut buf = Buffer::empty(area);
            chart.render(area, &mut buf, &Ui::standard());
            buf.content
                .iter()
                .filter(|c| c.fg == Ui::standard().theme.cursor.fg.unwrap_or_default())
                .count()
        };
        let rule = cells(LogChart::new(series.clone()).cursor(5.0));
        let ticks = cells(LogChart::new(series).cursor_ticks(5.0));
        assert_eq!(ticks, 2);
        assert!(rule >= 7, "{rule}");
    }

    #[test]
    fn decimation_keeps_the_envelope() {
        // A fast oscillation between 1 and 100 over many points: every column must reach both.
        let pts: Vec<(f64, f64)> = (0..10_000)
            .map(|i| (i as f64, if i % 2 == 0 { 1.0 } else { 100.0 }))
            .collect();
        let chart = LogChart::new(vec![Series {
            label: "",
            points: &pts,
            index: 0,
        }]);
        let canvas = DotCanvas::new(20, 10, true);
        let view = Viewport {
            x: (0.0, 9999.0),
            y: (0.0, 2.0),
        };
        let mut overflow = None;
        let dec = chart.decimate(&pts, &view, &canvas, &mut overflow);
        assert!(dec.len() <= 4 * 40);
        let ys: Vec<i32> = dec.iter().flatten().map(|p| p.1).collect();
        assert!(ys.contains(&0) && ys.contains(&39));
    }
}
