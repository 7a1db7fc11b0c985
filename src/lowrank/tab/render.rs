//! Drawing the Low-rank tab: two layouts (one image and one lower panel when narrow, three
//! images and three panels when wide), computed by one function for the layout step and the
//! render, and the line helpers the panels share. Everything drawn was computed before: the
//! panels only lay out, format and fit (titles and lines that do not fit end in an ellipsis,
//! notes scroll).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::{LowrankTab, Panel, View};
use crate::components::scroll::ScrollText;
use crate::lowrank::model::Energy;
use crate::numfmt;
use crate::text::{self, spelled};
use crate::theme::Ui;
use crate::widgets::{self, scroll};

/// Below this body size the tab shows one image at a time and one lower panel.
pub(super) const WIDE_MIN: (u16, u16) = (120, 36);

/// Columns the readouts panel needs for its longest lines.
const READOUTS_WIDTH: u16 = 38;

/// Where the tab's panels go at one size.
pub(super) struct Areas {
    /// Three images side by side, else one (the view chosen).
    pub(super) wide: bool,
    /// The image panels and the image each shows.
    pub(super) images: Vec<(Rect, View)>,
    pub(super) readouts: Rect,
    /// The spectrum's own place (wide).
    pub(super) spectrum: Option<Rect>,
    /// The lower panel's place: under the readouts (narrow), or the lab place (wide).
    pub(super) lower: Rect,
}

/// The areas of the tab's panels in `area`, for the layout step and the render alike.
pub(super) fn areas(area: Rect, view: View) -> Areas {
    if area.width >= WIDE_MIN.0 && area.height >= WIDE_MIN.1 {
        wide_areas(area)
    } else {
        narrow_areas(area, view)
    }
}

fn narrow_areas(area: Rect, view: View) -> Areas {
    // A square image fills the height; the readouts keep the 38 columns their lines need
    // when the screen allows, else the screen is halved.
    let square = area
        .height
        .saturating_sub(2)
        .saturating_mul(2)
        .saturating_add(2);
    let room = if area.width >= READOUTS_WIDTH + 20 {
        area.width - READOUTS_WIDTH
    } else {
        area.width / 2
    };
    let [image, right] =
        Layout::horizontal([Constraint::Length(square.min(room)), Constraint::Fill(1)]).areas(area);
    let readouts_rows = 9.min(right.height / 2 + 1);
    let [readouts, lower] =
        Layout::vertical([Constraint::Length(readouts_rows), Constraint::Fill(1)]).areas(right);
    Areas {
        wide: false,
        images: vec![(image, view)],
        readouts,
        spectrum: None,
        lower,
    }
}

fn wide_areas(area: Rect) -> Areas {
    let [top, bottom] = Layout::vertical([
        Constraint::Length(area.height * 45 / 100),
        Constraint::Fill(1),
    ])
    .areas(area);
    let third = top.width / 3;
    let [first, second, last] = Layout::horizontal([
        Constraint::Length(third),
        Constraint::Length(third),
        Constraint::Fill(1),
    ])
    .areas(top);
    let readouts_w = bottom.width * 32 / 100;
    let [readouts, spectrum, lab] = Layout::horizontal([
        Constraint::Length(readouts_w),
        Constraint::Length((bottom.width - readouts_w) / 2),
        Constraint::Fill(1),
    ])
    .areas(bottom);
    Areas {
        wide: true,
        images: vec![
            (first, View::Original),
            (second, View::Approximation),
            (last, View::Residual),
        ],
        readouts,
        spectrum: Some(spectrum),
        lower: lab,
    }
}

impl LowrankTab {
    /// Draws the tab from its panels' results.
    pub(super) fn draw(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let area = area.intersection(buf.area);
        if area.width == 0 || area.height == 0 {
            return;
        }
        let areas = areas(area, self.view);
        let pipeline = &self.pipeline;
        for &(image, view) in &areas.images {
            pipeline.render_image_panel(image, buf, ui, view, !areas.wide);
        }
        pipeline.render_readouts(areas.readouts, buf, ui, areas.wide);
        if let Some(spectrum) = areas.spectrum {
            pipeline.render_spectrum(spectrum, buf, ui);
        }
        let lower = areas.lower;
        match self.panel {
            Panel::Spectrum if areas.wide => pipeline.render_left_out(lower, buf, ui),
            Panel::Spectrum => pipeline.render_spectrum(lower, buf, ui),
            Panel::Symmetry => self.symmetry.render(lower, buf, ui, pipeline),
            Panel::Landscape => self.landscape.render(lower, buf, ui),
            Panel::Descent => self.descent.render(lower, buf, ui, pipeline),
        }
    }

    /// Records the extent of every note shown at this size (and none for a note not shown),
    /// so the scroll keys stop where the text ends.
    pub(super) fn fit_notes(&mut self, area: Rect, ui: &Ui) {
        let areas = areas(area, self.view);
        let shown = |panel: Panel| (self.panel == panel).then_some(areas.lower);
        let (symmetry_area, descent_area) = (shown(Panel::Symmetry), shown(Panel::Descent));
        self.pipeline
            .fit_note(areas.wide.then_some(areas.readouts), ui);
        self.symmetry.fit_note(symmetry_area, ui, &self.pipeline);
        self.descent.fit_note(descent_area, ui, &self.pipeline);
    }
}

/// The inside of a bordered panel in `area` (what [`crate::widgets::panel`] returns).
pub(super) fn inner(area: Rect) -> Rect {
    Block::bordered().inner(area)
}

/// `area` below its first `rows` rows.
pub(super) fn below(area: Rect, rows: u16) -> Rect {
    let [_, rest] = Layout::vertical([
        Constraint::Length(rows.min(area.height)),
        Constraint::Fill(1),
    ])
    .areas(area);
    rest
}

/// `line` in at most `width` columns: unchanged if it fits, else cut where the room ends with
/// an ellipsis (the cut span's style carries the rest).
pub(super) fn fitted(line: Line<'static>, width: usize, unicode: bool) -> Line<'static> {
    if line.width() <= width {
        return line;
    }
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    let all = line.spans;
    for (i, span) in all.iter().enumerate() {
        let w = text::width(&span.content);
        if used + w < width {
            spans.push(span.clone());
            used += w;
            continue;
        }
        let rest: String = all[i..].iter().map(|s| s.content.as_ref()).collect();
        spans.push(Span::styled(
            text::fit(&rest, width - used, unicode),
            span.style,
        ));
        break;
    }
    Line::from(spans)
}

/// The rows [`put_lines`] uses for `count` lines in `area`.
pub(super) fn rows_used(count: usize, area: Rect) -> u16 {
    u16::try_from(count).unwrap_or(u16::MAX).min(area.height)
}

/// Writes `lines` into `area` one per row, each fitted to the width; returns the rows used. Rows
/// that do not fit are cut with a scroll mark in the last column.
pub(super) fn put_lines(area: Rect, buf: &mut Buffer, ui: &Ui, lines: Vec<Line<'static>>) -> u16 {
    // Lines that do not all fit leave the last column to the scroll marks, so a cut shows.
    let overflow = lines.len() > area.height as usize;
    let width = (area.width as usize).saturating_sub(usize::from(overflow));
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|l| fitted(l, width, ui.glyphs.unicode))
        .collect();
    if overflow {
        scroll::render(area, buf, ui, &lines, 0);
        return area.height;
    }
    widgets::lines(area, buf, &lines)
}

/// `text` wrapped whole into `area` in `style`, from its first line (an error, a wait).
pub(super) fn put_wrapped(
    area: Rect,
    buf: &mut Buffer,
    ui: &Ui,
    text: &str,
    style: ratatui::style::Style,
) {
    let text = spelled(text, ui.glyphs.unicode);
    let lines = scroll::wrap_lines(&text, area.width as usize, style);
    scroll::render(area, buf, ui, &lines, 0);
}

/// A note in our own words as drawn in `area`: in the dim style, wrapped to the width, one
/// column narrower when it does not fit (the scroll marks take it).
fn note_lines(area: Rect, ui: &Ui, text: &str) -> Vec<Line<'static>> {
    if area.width < 2 || area.height == 0 {
        return Vec::new();
    }
    let text = spelled(text, ui.glyphs.unicode);
    let lines = scroll::wrap_lines(&text, area.width as usize, ui.theme.dim);
    if lines.len() <= area.height as usize {
        return lines;
    }
    scroll::wrap_lines(&text, area.width as usize - 1, ui.theme.dim)
}

/// Records the extent of a note shown in `area` (none when it is not shown).
pub(super) fn fit_note(note: &mut ScrollText, area: Option<Rect>, ui: &Ui, text: &str) {
    match area {
        Some(area) => note.set_extent(note_lines(area, ui, text).len(), area.height),
        None => note.set_extent(0, 0),
    }
}

/// Draws a note in `area` from its scroll offset, with a mark when it does not fit.
pub(super) fn draw_note(area: Rect, buf: &mut Buffer, ui: &Ui, text: &str, note: &ScrollText) {
    let area = area.intersection(buf.area);
    note.render(area, buf, ui, &note_lines(area, ui, text));
}

/// A quantity that is zero up to rounding, shown as the power of ten it stays below
/// ("< 1e-13"), so the screen does not depend on the last bits of floating point.
pub(super) fn rounding_bound(x: f64) -> String {
    if x == 0.0 {
        "= 0".to_string()
    } else if !x.is_finite() {
        numfmt::sci(x, 2)
    } else {
        format!("< 1e{}", x.abs().log10().floor() as i32 + 1)
    }
}

/// [`rounding_bound`] of a sum of squares, for one beyond f64's range too.
pub(super) fn energy_rounding_bound(x: Energy) -> String {
    match (x.representable(), x.log10_abs()) {
        (Some(value), _) => rounding_bound(value),
        (None, Some(log10)) => format!("< 1e{}", log10.floor() as i32 + 1),
        (None, None) => x.sci(2),
    }
}

/// A contraction factor with enough decimals to tell it from 1: `digits` significant digits of
/// 1 − x (with 3: 0.678, 0.999710).
pub(super) fn rate_text(x: f64, digits: usize) -> String {
    if !x.is_finite() || x >= 1.0 || x <= 0.0 {
        return numfmt::general(x, digits.max(1));
    }
    let decimals = ((-(1.0 - x).log10()).floor().max(0.0) as usize + digits).min(12);
    format!("{x:.decimals$}")
}

/// A norm that is 0 up to rounding (relative to `scale`) as a bound, else its value.
pub(super) fn small_or_bound(x: f64, scale: f64) -> String {
    if x.abs() <= 1e-9 * scale.abs().max(1.0) {
        rounding_bound(x)
    } else {
        numfmt::general(x, 3)
    }
}

/// Whole numbers without decimals, others with three significant digits.
pub(super) fn short_number(v: f64) -> String {
    if v.is_finite() && v == v.round() && v.abs() < 1e9 {
        format!("{}", v as i64)
    } else {
        numfmt::general(v, 3)
    }
}
