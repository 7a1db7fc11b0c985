//! Drawing the Low-rank tab: two layouts (one image and one lower panel when narrow, three
//! images and three panels when wide) and one function per panel. Everything drawn here was
//! computed before: this module only lays out, formats and fits (titles and lines that do not
//! fit end in an ellipsis, notes scroll).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{LowrankTab, Panel, Transform, View, notes};
use crate::lowrank::input::Source;
use crate::lowrank::model::descent::{RATE_WINDOW, RateLimit, Standing};
use crate::lowrank::model::symmetry;
use crate::numfmt;
use crate::text::{self, spelled};
use crate::theme::Ui;
use crate::widgets::image::GreyImage;
use crate::widgets::log_chart::{LogChart, RefLine, Scale, Series};
use crate::widgets::slider::{Slider, linear_position};
use crate::widgets::{self, scroll, split_h as split_columns, split_v as split_rows};

/// Below this body size the tab shows one image at a time and one lower panel.
pub(super) const WIDE_MIN: (u16, u16) = (120, 36);

/// Columns the readouts panel needs for its longest lines.
const READOUTS_WIDTH: u16 = 38;

fn shape_text(ui: &Ui, (m, n): (usize, usize)) -> String {
    format!("{m}{}{n}", ui.glyphs.times)
}

/// A bordered panel whose title is spelled for the glyph set and fitted with an ellipsis.
fn titled(area: Rect, buf: &mut Buffer, ui: &Ui, title: &str, focused: bool) -> Rect {
    let unicode = ui.glyphs.unicode;
    let room = area.width.saturating_sub(4) as usize;
    let title = text::fit(&spelled(title, unicode), room, unicode);
    widgets::panel(area, buf, ui, &title, focused)
}

/// `line` in at most `width` columns: unchanged if it fits, else cut where the room ends with
/// an ellipsis (the cut span's style carries the rest).
fn fitted(line: Line<'static>, width: usize, unicode: bool) -> Line<'static> {
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

/// Writes `lines` into `area` one per row, each fitted to the width; returns the rows used. Rows
/// that do not fit are cut with a scroll mark in the last column.
fn put_lines(area: Rect, buf: &mut Buffer, ui: &Ui, lines: Vec<Line<'static>>) -> u16 {
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

/// A note in our own words, in the dim style, wrapped to the area and scrolled with a mark when
/// it does not fit.
fn note(area: Rect, buf: &mut Buffer, ui: &Ui, text: &str, offset: u16) {
    let area = area.intersection(buf.area);
    if area.width < 2 || area.height == 0 {
        return;
    }
    let text = spelled(text, ui.glyphs.unicode);
    let mut lines = scroll::wrap_lines(&text, area.width as usize, ui.theme.dim);
    if lines.len() > area.height as usize {
        // Leave the last column to the scroll marks.
        lines = scroll::wrap_lines(&text, area.width as usize - 1, ui.theme.dim);
    }
    scroll::render(area, buf, ui, &lines, offset);
}

impl LowrankTab {
    pub(super) fn render_narrow(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
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
        let image_w = square.min(room);
        let (left, right) = split_columns(area, image_w);
        self.render_image_panel(left, buf, ui, self.view, true);
        let (top, bottom) = split_rows(right, 9.min(right.height / 2 + 1));
        self.render_readouts(top, buf, ui, false);
        match self.panel {
            Panel::Spectrum => self.render_spectrum(bottom, buf, ui),
            panel => self.render_lab(bottom, buf, ui, panel),
        }
    }

    pub(super) fn render_wide(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let (top, bottom) = split_rows(area, area.height * 45 / 100);
        let third = top.width / 3;
        let (first, rest) = split_columns(top, third);
        let (second, third_area) = split_columns(rest, third);
        self.render_image_panel(first, buf, ui, View::Original, false);
        self.render_image_panel(second, buf, ui, View::Approximation, false);
        self.render_image_panel(third_area, buf, ui, View::Residual, false);
        let (readouts, rest) = split_columns(bottom, bottom.width * 32 / 100);
        let (spectrum, lab) = split_columns(rest, rest.width / 2);
        self.render_readouts(readouts, buf, ui, true);
        self.render_spectrum(spectrum, buf, ui);
        match self.panel {
            Panel::Spectrum => self.render_left_out(lab, buf, ui),
            panel => self.render_lab(lab, buf, ui, panel),
        }
    }

    /// Why there is nothing to draw yet (computing or an error), wrapped to the area.
    pub(super) fn render_waiting(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let area = area.intersection(buf.area);
        if area.height == 0 || area.width == 0 {
            return;
        }
        let (text, style) = match (&self.error, &self.loading) {
            (Some(error), _) => (error.to_string(), ui.theme.bad),
            (None, Some(name)) => {
                let progress = self.first_view_progress.lock().ok().and_then(|p| *p);
                let text = match progress {
                    Some(progress) => format!("computing the first view of {name}: {progress}"),
                    None => format!("computing the first view of {name}{}", ui.glyphs.ellipsis),
                };
                (text, ui.theme.warn)
            }
            (None, None) => (String::new(), ui.theme.dim),
        };
        let text = spelled(&text, ui.glyphs.unicode);
        let lines = scroll::wrap_lines(&text, area.width as usize, style);
        scroll::render(area, buf, ui, &lines, 0);
    }

    pub(super) fn render_image_panel(
        &self,
        area: Rect,
        buf: &mut Buffer,
        ui: &Ui,
        view: View,
        hint: bool,
    ) {
        let title = match (&self.ready, view) {
            (Some(ready), View::Original) if ready.is_image => "original".to_string(),
            (Some(ready), View::Original) => format!(
                "X, grey from {} to {}",
                numfmt::general(ready.value_range.0, 3),
                numfmt::general(ready.value_range.1, 3)
            ),
            (Some(ready), View::Approximation) if hint => format!("rank {}", ready.rank()),
            (Some(ready), View::Approximation) => format!("rank {} approximation", ready.rank()),
            (Some(ready), View::Residual) => format!(
                "residual {}{}",
                spelled("±", ui.glyphs.unicode),
                numfmt::general(ready.residual_max, 2)
            ),
            (None, _) => "image".to_string(),
        };
        let title = if hint { format!("{title} (v)") } else { title };
        let inner = titled(area, buf, ui, &title, false);
        let Some(ready) = &self.ready else {
            self.render_waiting(inner, buf, ui);
            return;
        };
        let (rows, cols) = ready.shape;
        let x = &ready.decomposition.matrix;
        let approximation = ready.reconstruction.approximation();
        let original = |r: usize, c: usize| x.get((r, c)).copied().unwrap_or(f64::NAN);
        let approx = |r: usize, c: usize| approximation.get((r, c)).copied().unwrap_or(f64::NAN);
        let residual = |r: usize, c: usize| ready.residual.get((r, c)).copied().unwrap_or(f64::NAN);
        // A symmetric range puts zero at mid-grey; the floor keeps an exact fit drawable.
        let half = ready.residual_max.max(f64::MIN_POSITIVE);
        // The original changes only with the input; the others with the rank too.
        let (slot, revision, value, range): (_, _, &dyn Fn(usize, usize) -> f64, _) = match view {
            View::Original => (0, self.generation, &original, ready.value_range),
            View::Approximation => (1, ready.revision, &approx, ready.value_range),
            View::Residual => (2, ready.revision, &residual, (-half, half)),
        };
        let image = GreyImage {
            rows,
            cols,
            value,
            range,
        };
        self.pictures.render(slot, revision, &image, inner, buf, ui);
    }

    pub(super) fn render_readouts(&self, area: Rect, buf: &mut Buffer, ui: &Ui, wide: bool) {
        let inner = titled(area, buf, ui, "rank-r approximation", true);
        if inner.height == 0 || inner.width == 0 {
            return;
        }
        let Some(ready) = &self.ready else {
            self.render_waiting(inner, buf, ui);
            return;
        };
        let r = &ready.readouts;
        let k = ready.max_rank();
        let value = format!("{}/{k}", r.rank);
        Slider {
            label: "rank",
            value: &value,
            position: linear_position(r.rank as f64, 0.0, k as f64),
            focused: true,
        }
        .render(Rect::new(inner.x, inner.y, inner.width, 1), buf, ui);
        let label = |text: &str| {
            let text = spelled(text, ui.glyphs.unicode);
            let pad = 12usize.saturating_sub(text::width(&text)).max(1);
            Span::styled(format!("{text}{}", " ".repeat(pad)), ui.theme.hint)
        };
        // Two formulas have a compact ASCII notation of their own (the spelled-out forms,
        // "sum_{i>r} sigma_i^2", would push the numbers out of the 38 columns).
        let formula = |unicode: &'static str, ascii: &'static str| {
            if ui.glyphs.unicode { unicode } else { ascii }
        };
        let number = |text: String| Span::styled(text, ui.theme.number);
        let dim = |text: String| Span::styled(text, ui.theme.dim);
        let known = ready.decomposition.values_known();
        let spectrum_complete = ready.decomposition.spectrum_complete();
        let ranks = r
            .ranks_for_energy
            .iter()
            .map(|&(fraction, rank)| {
                // Beyond the leading values known, the rank needed is not known yet.
                if !spectrum_complete && ready.decomposition.energy_captured(rank) < fraction {
                    format!(">{known}")
                } else {
                    rank.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let mut input = format!("{} {}", ready.name, shape_text(ui, ready.shape));
        if let Some(from) = ready.downscaled_from {
            input.push_str(&format!(" from {}", shape_text(ui, from)));
        }
        let both_ways = vec![
            Line::from(vec![
                label(formula("‖X−A*B*‖²_F", "|X-A*B*|^2")),
                number(numfmt::general(r.error_sq, 8)),
            ]),
            Line::from(vec![
                label(formula("Σ_{i>r} σᵢ²", "sum_i>r s^2")),
                number(numfmt::general(r.error_sq_tail, 8)),
                dim(format!(
                    " {}{}",
                    formula("|Δ| ", "|diff| "),
                    rounding_bound(r.identity_gap)
                )),
            ]),
        ];
        let first_view = ready.leading.as_ref().filter(|_| !spectrum_complete);
        let error_lines = match first_view {
            // Only the leading values are known: the error by subtraction and how exact it is.
            Some(leading) => {
                let bound = leading.subtraction_bound(r.rank);
                let relative = if leading.frobenius_sq > 0.0 {
                    bound / leading.frobenius_sq
                } else {
                    0.0
                };
                vec![
                    Line::from(vec![
                        label(formula("‖X‖²−Σσᵢ²", "|X|^2-sum s^2")),
                        number(numfmt::general(r.error_sq_tail, 8)),
                        dim(format!(
                            " {}{}{}",
                            formula("±", "+-"),
                            numfmt::sci(relative, 1),
                            formula("‖X‖²", "|X|^2")
                        )),
                    ]),
                    Line::from(vec![
                        label(formula("σᵢ known", "s_i known")),
                        dim(format!("partial ({known} of {})", ready.max_rank())),
                    ]),
                ]
            }
            None => both_ways,
        };
        let mut lines = error_lines;
        if let Some(failure) = &self.completion_error {
            // The first view stays, with why the rest of the SVD is missing, wrapped whole.
            let text = format!("Not complete: {failure}");
            let text = spelled(&text, ui.glyphs.unicode);
            lines.extend(scroll::wrap_lines(
                &text,
                inner.width as usize,
                ui.theme.bad,
            ));
        }
        lines.extend([
            Line::from(vec![
                label("rel. error"),
                number(numfmt::percent(r.relative_error, 2)),
                dim("  energy ".to_string()),
                number(numfmt::percent(r.energy_captured, 2)),
            ]),
            Line::from(vec![
                label("storage"),
                number(numfmt::group_thousands(r.storage.factored)),
                dim(" of ".to_string()),
                number(numfmt::group_thousands(r.storage.dense)),
                dim(format!(" ({})", numfmt::percent(r.storage.ratio(), 1))),
            ]),
            Line::from(vec![
                label("90/99/99.9%"),
                dim("r = ".into()),
                number(ranks),
            ]),
            Line::from(vec![label("input (i)"), number(input)]),
        ]);
        if wide {
            let top = ready
                .spectrum
                .iter()
                .take(5)
                .map(|(_, s)| numfmt::general(*s, 4))
                .collect::<Vec<_>>()
                .join("  ");
            lines.push(Line::from(vec![label("σ₁ … σ₅"), number(top)]));
            lines.push(Line::raw(""));
            for (i, source) in self.inputs.iter().enumerate() {
                let chosen = i == self.input_index;
                let marker = if chosen { ui.glyphs.collapsed } else { " " };
                let about = match source {
                    Source::Builtin(b) => b.description().to_string(),
                    Source::Path(_) => "the --input file".to_string(),
                };
                let about = spelled(&about, ui.glyphs.unicode).into_owned();
                let style = if chosen {
                    ui.theme.accent
                } else {
                    ui.theme.hint
                };
                lines.push(Line::from(vec![
                    Span::styled(format!("{marker} {:<11}", source.to_string()), style),
                    Span::styled(about, ui.theme.dim),
                ]));
            }
        }
        let body = Rect::new(
            inner.x,
            inner.y.saturating_add(1),
            inner.width,
            inner.height.saturating_sub(1),
        );
        let used = put_lines(body, buf, ui, lines);
        if wide {
            let rest = split_rows(body, used.saturating_add(1)).1;
            note(rest, buf, ui, notes::ECKART_YOUNG, self.note_scroll);
        }
    }

    pub(super) fn render_spectrum(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let title = match &self.ready {
            Some(ready) if !ready.decomposition.spectrum_complete() => format!(
                "singular values σᵢ, partial ({} of {})",
                ready.decomposition.values_known(),
                ready.max_rank()
            ),
            _ => "singular values σᵢ".to_string(),
        };
        let inner = titled(area, buf, ui, &title, false);
        let Some(ready) = &self.ready else {
            self.render_waiting(inner, buf, ui);
            return;
        };
        let k = ready.max_rank().max(2) as f64;
        let chart = LogChart::new(vec![Series {
            label: "",
            points: &ready.spectrum,
            index: 0,
        }])
        .x_scale(Scale::Log10)
        .y_scale(Scale::Log10)
        .x_bounds(1.0, k)
        .cursor(ready.rank() as f64)
        .x_name("i")
        .legend(false);
        chart.render(inner, buf, ui);
    }

    pub(super) fn render_left_out(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let inner = titled(area, buf, ui, "energy left out at rank r", false);
        let Some(ready) = &self.ready else {
            self.render_waiting(inner, buf, ui);
            return;
        };
        let k = ready.max_rank().max(1) as f64;
        let chart = LogChart::new(vec![Series {
            label: "",
            points: &ready.left_out,
            index: 1,
        }])
        .x_scale(Scale::Linear)
        .y_scale(Scale::Log10)
        .x_bounds(0.0, k)
        // Below a millionth the fraction is rounding noise; it is pinned to the bottom edge.
        .y_bounds(1e-6, 1.0)
        .cursor(ready.rank() as f64)
        .ref_line(RefLine {
            y: 0.1,
            label: "90% kept",
        })
        .ref_line(RefLine {
            y: 0.01,
            label: "99%",
        })
        .ref_line(RefLine {
            y: 0.001,
            label: "99.9%",
        })
        .x_name("r")
        .legend(false);
        chart.render(inner, buf, ui);
    }

    pub(super) fn render_lab(&self, area: Rect, buf: &mut Buffer, ui: &Ui, panel_kind: Panel) {
        match panel_kind {
            Panel::Spectrum => self.render_spectrum(area, buf, ui),
            Panel::Symmetry => self.render_symmetry(area, buf, ui),
            Panel::Landscape => self.render_landscape(area, buf, ui),
            Panel::Descent => self.render_descent(area, buf, ui),
        }
    }

    pub(super) fn render_symmetry(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let inner = titled(area, buf, ui, "symmetry (n, g, e)", false);
        let Some(ready) = &self.ready else {
            self.render_waiting(inner, buf, ui);
            return;
        };
        let unicode = ui.glyphs.unicode;
        let hint = |text: &str| Span::styled(spelled(text, unicode).into_owned(), ui.theme.hint);
        let number = |text: String| Span::styled(text, ui.theme.number);
        if let Some(error) = &self.symmetry_error {
            let lines = scroll::wrap_lines(&error.to_string(), inner.width as usize, ui.theme.bad);
            scroll::render(inner, buf, ui, &lines, 0);
            return;
        }
        let transform = self.transform();
        let Some(view) = self.symmetry.as_ref().filter(|v| {
            (v.generation, v.rank, v.transform) == (self.generation, ready.rank(), transform)
        }) else {
            let waiting = format!("computing{}", ui.glyphs.ellipsis);
            put_lines(inner, buf, ui, vec![Line::styled(waiting, ui.theme.warn)]);
            return;
        };
        let mut lines = vec![Line::from(match view.transform {
            Transform::General { seed } => hint(&format!("A = A*G, B = G⁻¹B* (G no. {seed})")),
            Transform::Orthogonal { seed } => hint(&format!("A = A*Q, B = QᵀB* (Q no. {seed})")),
            Transform::Scale { e } => hint(&format!(
                "A = e A*, B = B*/e, e = {}",
                numfmt::general(e, 3)
            )),
        })];
        let Some(readout) = &view.readout else {
            lines.push(Line::styled(
                "rank 0: there are no factors to move",
                ui.theme.dim,
            ));
            put_lines(inner, buf, ui, lines);
            return;
        };
        lines.push(Line::from(vec![
            hint("‖A−A*‖ "),
            number(numfmt::general(readout.a_distance, 4)),
            hint("  ‖B−B*‖ "),
            number(numfmt::general(readout.b_distance, 4)),
        ]));
        // Columns of COLUMN characters after the 8-character label: a space, then the number
        // right-aligned in the rest, so neighbours never touch.
        const COLUMN: usize = 9;
        let shown = (inner.width.saturating_sub(8) as usize / COLUMN).max(1);
        let entries = |entries: &[symmetry::EntryChange], after: bool| {
            entries
                .iter()
                .take(shown)
                .map(|e| {
                    let v = if after { e.after } else { e.before };
                    let n = text::fit_number(v, 3, COLUMN - 1);
                    format!(" {n:>w$}", w = COLUMN - 1)
                })
                .collect::<String>()
        };
        lines.push(Line::from(vec![
            hint("A* row 1"),
            number(entries(&readout.a_entries, false)),
        ]));
        lines.push(Line::from(vec![
            hint("A  row 1"),
            number(entries(&readout.a_entries, true)),
        ]));
        lines.push(Line::from(vec![
            hint("‖AB − A*B*‖_F "),
            number(rounding_bound(readout.product_change)),
        ]));
        lines.push(Line::from(vec![
            hint("error change  "),
            number(rounding_bound(readout.error_change)),
        ]));
        lines.push(Line::from(vec![
            hint("‖AᵀA − BBᵀ‖_F "),
            number(small_or_bound(readout.imbalance_before, readout.a_distance)),
            hint(" → "),
            number(small_or_bound(readout.imbalance_after, readout.a_distance)),
        ]));
        let used = put_lines(inner, buf, ui, lines);
        note(
            split_rows(inner, used.saturating_add(1)).1,
            buf,
            ui,
            notes::SYMMETRY,
            self.note_scroll,
        );
    }

    pub(super) fn render_landscape(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let view = &self.landscape;
        let inner = titled(area, buf, ui, "g(a, b) = (x − ab)² (x)", false);
        if inner.width == 0 || inner.height == 0 {
            return;
        }
        let c = &view.counterexample;
        let e = view.saddle.eigenvalues;
        let g = short_number;
        let hint = |text: String| Span::styled(text, ui.theme.hint);
        let number = |text: String| Span::styled(text, ui.theme.number);
        let lines = vec![
            Line::from(vec![
                hint("x = ".into()),
                number(g(view.x)),
                hint("; minima on ab = x (dark)".into()),
            ]),
            Line::from(vec![
                hint(format!(
                    "o: g({}, {}) = g({}, {}) = ",
                    g(c.first.0),
                    g(c.first.1),
                    g(c.second.0),
                    g(c.second.1)
                )),
                number(g(c.first_value)),
            ]),
            Line::from(vec![
                hint("x: g(0, 0) = ".into()),
                number(g(c.midpoint_value)),
                hint(if c.violates_convexity() {
                    " > 0, not convex".into()
                } else {
                    String::new()
                }),
            ]),
            Line::from(vec![
                hint("Hessian at 0: ".into()),
                number(format!("{}, {}", g(e[0]), g(e[1]))),
                hint(if view.saddle.is_saddle() {
                    " (saddle)".into()
                } else {
                    String::new()
                }),
            ]),
        ];
        // Text beside the map when there is room, else below it.
        let text_w = lines.iter().map(|l| l.width()).max().unwrap_or(0) as u16;
        let map_w = inner.height.saturating_mul(2);
        let (map_area, text_area) = if inner.width >= map_w.saturating_add(text_w).saturating_add(1)
        {
            let (map, text) = split_columns(inner, map_w);
            (map, split_columns(text, 1).1)
        } else {
            let text_h = (lines.len() as u16).min(inner.height / 2);
            split_rows(inner, inner.height - text_h)
        };
        let shade = |r: usize, c: usize| view.shade.get((r, c)).copied().unwrap_or(f64::NAN);
        let image = GreyImage {
            rows: view.shade.nrows(),
            cols: view.shade.ncols(),
            value: &shade,
            range: (0.0, view.shade_max),
        };
        image.render(map_area, buf, ui);
        // The two minima (o) and the saddle between them (x), placed in the fitted picture.
        let fit = image.fitted(map_area.intersection(buf.area));
        if fit.width > 0 && fit.height > 0 {
            let w = view.window;
            let cell = |(a, b): (f64, f64)| {
                let fx = (a - w.a_min) / (w.a_max - w.a_min);
                let fy = (w.b_max - b) / (w.b_max - w.b_min);
                if !(0.0..=1.0).contains(&fx) || !(0.0..=1.0).contains(&fy) {
                    return None;
                }
                let cx = ((fx * fit.width as f64) as u16).min(fit.width - 1);
                let cy = ((fy * fit.height as f64) as u16).min(fit.height - 1);
                Some((fit.x + cx, fit.y + cy))
            };
            let marks = [
                (c.first, 'o', ui.theme.good),
                (c.second, 'o', ui.theme.good),
                (c.midpoint, 'x', ui.theme.bad),
            ];
            for (point, mark, style) in marks {
                if let Some(pos) = cell(point)
                    && let Some(target) = buf.cell_mut(pos)
                {
                    target.set_char(mark).set_style(style);
                }
            }
        }
        put_lines(text_area, buf, ui, lines);
    }

    pub(super) fn render_descent(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let inner = titled(area, buf, ui, "gradient descent (t, r, n)", false);
        if inner.width == 0 || inner.height == 0 {
            return;
        }
        let unicode = ui.glyphs.unicode;
        let hint = |text: &str| Span::styled(spelled(text, unicode).into_owned(), ui.theme.hint);
        let number = |text: String| Span::styled(text, ui.theme.number);
        if let Some(error) = &self.descent_error {
            let text = format!("{error}. {}", notes::DESCENT_LOST);
            let lines = scroll::wrap_lines(&text, inner.width as usize, ui.theme.bad);
            scroll::render(inner, buf, ui, &lines, 0);
            return;
        }
        let Some(status) = self.descent_status else {
            if self.ready.is_none() {
                self.render_waiting(inner, buf, ui);
            } else {
                note(inner, buf, ui, notes::DESCENT_START, self.note_scroll);
            }
            return;
        };
        let state = if self.training {
            format!("training{}", ui.glyphs.ellipsis)
        } else {
            match status.standing {
                Standing::Converged => "converged: gap ≤ 1e-5 × optimum".to_string(),
                Standing::AtBudget => {
                    format!("stopped at the budget (t: {} more)", super::DESCENT_BUDGET)
                }
                Standing::Diverged => "diverged".to_string(),
                Standing::Running => "paused".to_string(),
            }
        };
        // The long forms (with the formula and the scale of AᵀA) where they fit.
        let width = inner.width as usize;
        let rate = match (status.observed_rate, status.predicted_rate) {
            (observed, Some(predicted)) => {
                let formula = match predicted.limit {
                    RateLimit::SpectralGap => "≤ (1 − η(σ_r − σ_{r+1}))² = ",
                    RateLimit::LargestCurvature => "≤ (1 − 2ησ₁)² = ",
                };
                let long = Line::from(vec![
                    hint("gap ×"),
                    number(observed.map_or("–".to_string(), |x| rate_text(x, 3))),
                    hint(&format!(" per iteration (last {RATE_WINDOW}), theory ")),
                    hint(formula),
                    number(rate_text(predicted.factor, 3)),
                ]);
                if long.width() <= width {
                    long
                } else {
                    // Two significant digits of 1 − ρ² keep both numbers on a 36-column line.
                    Line::from(vec![
                        hint("gap ×"),
                        number(observed.map_or("–".to_string(), |x| rate_text(x, 2))),
                        hint("/step, theory ≤ "),
                        number(rate_text(predicted.factor, 2)),
                    ])
                }
            }
            (_, None) => Line::from(hint("no rate at rank 0")),
        };
        let mut balance = vec![
            hint("‖AᵀA−BBᵀ‖ "),
            number(numfmt::general(status.imbalance_start, 2)),
            hint(" → "),
            number(numfmt::general(status.imbalance_now, 2)),
        ];
        let scale = [
            hint(", against ‖AᵀA‖ "),
            number(numfmt::general(status.gram_norm, 3)),
        ];
        if Line::from(balance.clone()).width() + Line::from(scale.to_vec()).width() <= width {
            balance.extend(scale);
        }
        let mut lines = vec![
            Line::from(hint(&state)),
            Line::from(vec![
                hint(&format!("rank {}, iteration ", status.rank)),
                number(status.iterations.to_string()),
                hint(", gap "),
                number(format!("{}%", numfmt::general(status.gap_percent, 3))),
            ]),
            Line::from(vec![
                hint("loss "),
                number(numfmt::general(status.loss, 6)),
                hint("  optimum "),
                number(numfmt::general(status.optimum, 6)),
            ]),
        ];
        if inner.height >= 16 {
            lines.push(Line::from(vec![
                hint("step η = 0.9/σ₁ = "),
                number(numfmt::sci(status.step_size, 3)),
            ]));
        }
        lines.push(rate);
        lines.push(Line::from(balance));
        let used = put_lines(inner, buf, ui, lines);
        let rest = split_rows(inner, used).1;
        // With room to spare, the formulas under the chart.
        let (chart_area, note_area) = if rest.height >= 16 {
            split_rows(rest, rest.height - 7)
        } else {
            (rest, Rect::default())
        };
        let chart = LogChart::new(vec![Series {
            label: "loss",
            points: &self.descent_losses,
            index: 0,
        }])
        .x_scale(Scale::Linear)
        .y_scale(Scale::Log10)
        .x_bounds(0.0, status.iterations.max(10) as f64)
        .ref_line(RefLine {
            y: status.optimum,
            label: "optimum",
        })
        .x_name("iteration")
        .legend(false);
        chart.render(chart_area, buf, ui);
        if note_area.height > 0 {
            note(
                split_rows(note_area, 1).1,
                buf,
                ui,
                notes::DESCENT_RATE,
                self.note_scroll,
            );
        }
    }
}

/// A quantity that is zero up to rounding, shown as the power of ten it stays below
/// ("< 1e-13"), so the screen does not depend on the last bits of floating point.
fn rounding_bound(x: f64) -> String {
    if x == 0.0 {
        "= 0".to_string()
    } else if !x.is_finite() {
        numfmt::sci(x, 2)
    } else {
        format!("< 1e{}", x.abs().log10().floor() as i32 + 1)
    }
}

/// A contraction factor with enough decimals to tell it from 1: `digits` significant digits of
/// 1 − x (with 3: 0.678, 0.999710).
fn rate_text(x: f64, digits: usize) -> String {
    if !x.is_finite() || x >= 1.0 || x <= 0.0 {
        return numfmt::general(x, digits.max(1));
    }
    let decimals = ((-(1.0 - x).log10()).floor().max(0.0) as usize + digits).min(12);
    format!("{x:.decimals$}")
}

/// A norm that is 0 up to rounding (relative to `scale`) as a bound, else its value.
fn small_or_bound(x: f64, scale: f64) -> String {
    if x.abs() <= 1e-9 * scale.abs().max(1.0) {
        rounding_bound(x)
    } else {
        numfmt::general(x, 3)
    }
}

/// Whole numbers without decimals, others with three significant digits.
fn short_number(v: f64) -> String {
    if v.is_finite() && v == v.round() && v.abs() < 1e9 {
        format!("{}", v as i64)
    } else {
        numfmt::general(v, 3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_bounds_are_the_next_power_of_ten() {
        assert_eq!(rounding_bound(0.0), "= 0");
        assert_eq!(rounding_bound(-7e-14), "< 1e-13");
        assert_eq!(rounding_bound(6e-14), "< 1e-13");
        assert_eq!(rounding_bound(2.5), "< 1e1");
        assert_eq!(rounding_bound(f64::NAN), "NaN");
    }

    #[test]
    fn rates_show_enough_decimals_to_differ_from_one() {
        assert_eq!(rate_text(0.678, 3), "0.678");
        assert_eq!(rate_text(0.99971, 3), "0.999710");
        assert_eq!(rate_text(0.99971, 2), "0.99971");
        assert_eq!(rate_text(1.0, 3), "1.00");
    }

    #[test]
    fn titles_that_do_not_fit_end_in_an_ellipsis() {
        for (unicode, mark) in [(true, "…"), (false, "...")] {
            let ui = Ui::new(crate::theme::ColorDepth::None, unicode);
            for width in 8..=30u16 {
                let area = Rect::new(0, 0, width, 3);
                let mut buf = Buffer::empty(area);
                titled(area, &mut buf, &ui, "gradient descent (t, r, n)", false);
                let top = crate::snapshot::buffer_text(&buf);
                let top = top.lines().next().unwrap_or_default();
                assert_eq!(text::width(top), width as usize, "{top:?}");
                if width >= 30 {
                    assert!(top.contains("(t, r, n)"), "{top:?}");
                } else {
                    // Cut with a mark and both corners kept: never "(t, r" read as complete.
                    assert!(top.contains(mark), "{top:?} at {width}");
                }
            }
        }
    }

    #[test]
    fn fitted_lines_end_in_an_ellipsis() {
        let line = Line::from(vec![Span::raw("abc "), Span::raw("defgh")]);
        let cut = fitted(line.clone(), 6, true);
        assert_eq!(cut.to_string(), "abc d…");
        assert_eq!(fitted(line.clone(), 9, true).to_string(), "abc defgh");
        assert_eq!(fitted(line, 4, false).to_string(), "a...");
    }

    #[test]
    fn short_numbers_drop_zero_decimals() {
        assert_eq!(short_number(-1.0), "-1");
        assert_eq!(short_number(0.25), "0.250");
    }
}
