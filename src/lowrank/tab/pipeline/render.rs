//! Drawing what the pipeline shows: the three images, the readouts at the rank (with the
//! Eckart–Young note on wide screens), the spectrum and the energy left out, and why there is
//! nothing yet (computing, or an error).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

use super::Pipeline;
use crate::lowrank::input::Source;
use crate::lowrank::tab::jobs::Ready;
use crate::lowrank::tab::render::{
    below, draw_note, energy_rounding_bound, fit_note, inner, put_lines, put_wrapped, rows_used,
};
use crate::lowrank::tab::{Act, View, key_of, notes};
use crate::numfmt;
use crate::text::{self, spelled};
use crate::theme::Ui;
use crate::widgets::image::GreyImage;
use crate::widgets::log_chart::{LogChart, RefLine, Scale, Series};
use crate::widgets::scroll;
use crate::widgets::slider::{Slider, linear_position};

fn shape_text(ui: &Ui, (m, n): (usize, usize)) -> String {
    format!("{m}{}{n}", ui.glyphs.times)
}

/// A readout's label, spelled and padded to 12 columns.
fn label(ui: &Ui, text: &str) -> Span<'static> {
    let text = spelled(text, ui.glyphs.unicode);
    let pad = 12usize.saturating_sub(text::width(&text)).max(1);
    Span::styled(format!("{text}{}", " ".repeat(pad)), ui.theme.hint)
}

/// A formula in its compact notation for the glyph set (the spelled-out ASCII forms,
/// "sum_{i>r} sigma_i^2", would push the numbers out of the 38 columns).
fn formula(ui: &Ui, unicode: &'static str, ascii: &'static str) -> &'static str {
    if ui.glyphs.unicode { unicode } else { ascii }
}

fn number(ui: &Ui, text: String) -> Span<'static> {
    Span::styled(text, ui.theme.number)
}

fn dim(ui: &Ui, text: String) -> Span<'static> {
    Span::styled(text, ui.theme.dim)
}

/// The parts of the readouts panel: its inside, the rank slider's row and the lines below.
struct ReadoutAreas {
    inner: Rect,
    slider: Rect,
    body: Rect,
}

fn readout_areas(area: Rect) -> ReadoutAreas {
    let inner = inner(area);
    let [slider, body] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    ReadoutAreas {
        inner,
        slider,
        body,
    }
}

/// The Eckart–Young note for what the readouts show: the identity's sentence only where both
/// errors are computed and agree to rounding (10⁻⁹ of ‖X‖²_F).
pub(in crate::lowrank::tab) fn eckart_young_note(ready: &Ready) -> &'static str {
    let first_view = ready.leading.is_some() && !ready.decomposition.spectrum_complete();
    if first_view {
        return notes::ECKART_YOUNG_PARTIAL;
    }
    let r = &ready.readouts;
    let total = ready.decomposition.total_energy();
    let agree = if total.scaled() > 0.0 {
        r.identity_gap.abs() <= notes::ROUNDING * total
    } else {
        r.identity_gap.scaled() == 0.0
    };
    notes::eckart_young(agree)
}

impl Pipeline {
    /// Why there is nothing to draw yet (computing or an error), wrapped to the area.
    pub(in crate::lowrank::tab) fn render_waiting(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let area = area.intersection(buf.area);
        if area.height == 0 || area.width == 0 {
            return;
        }
        let (text, style) = match (self.failure(), &self.loading) {
            (Some(error), _) => (error.to_string(), ui.theme.bad),
            (None, Some(name)) => {
                let text = match self.first_view_progress.get() {
                    Some(progress) => format!("computing the first view of {name}: {progress}"),
                    None => format!("computing the first view of {name}{}", ui.glyphs.ellipsis),
                };
                (text, ui.theme.warn)
            }
            (None, None) => (String::new(), ui.theme.dim),
        };
        put_wrapped(area, buf, ui, &text, style);
    }

    fn image_title(&self, ui: &Ui, view: View, hint: bool) -> String {
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
        if hint {
            format!("{title} ({})", key_of(Act::NextView, ui))
        } else {
            title
        }
    }

    /// One of the three images; `hint` names the key that changes it (narrow screens).
    pub(in crate::lowrank::tab) fn render_image_panel(
        &self,
        area: Rect,
        buf: &mut Buffer,
        ui: &Ui,
        view: View,
        hint: bool,
    ) {
        let inner = crate::widgets::panel(area, buf, ui, &self.image_title(ui, view, hint), false);
        let Some(ready) = &self.ready else {
            self.render_waiting(inner, buf, ui);
            return;
        };
        let (rows, cols) = ready.shape;
        let x = &ready.decomposition.matrix;
        let approximation = ready.reconstruction.approximation();
        let original = |r: usize, c: usize| x.get((r, c)).copied().unwrap_or(f64::NAN);
        let approx = |r: usize, c: usize| approximation.get((r, c)).copied().unwrap_or(f64::NAN);
        let residual =
            |r: usize, c: usize| ready.reconstruction.residual_at(r, c).unwrap_or(f64::NAN);
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

    /// The error at the rank, both ways (from the matrices and from the dropped σ), or, from
    /// the first view, by subtraction with its bound.
    fn error_lines(ready: &Ready, ui: &Ui) -> Vec<Line<'static>> {
        let r = &ready.readouts;
        let spectrum_complete = ready.decomposition.spectrum_complete();
        let first_view = ready.leading.as_ref().filter(|_| !spectrum_complete);
        let Some(leading) = first_view else {
            return vec![
                Line::from(vec![
                    label(ui, formula(ui, "‖X−A*B*‖²_F", "|X-A*B*|^2")),
                    number(ui, r.error_sq.general(8)),
                ]),
                Line::from(vec![
                    label(ui, formula(ui, "Σ_{i>r} σᵢ²", "sum_i>r s^2")),
                    number(ui, r.error_sq_tail.general(8)),
                    dim(
                        ui,
                        format!(
                            " {}{}",
                            formula(ui, "|Δ| ", "|diff| "),
                            energy_rounding_bound(r.identity_gap)
                        ),
                    ),
                ]),
            ];
        };
        // Only the leading values are known: the error by subtraction and how exact it is.
        let bound = leading.subtraction_bound(r.rank);
        let relative = if leading.frobenius_sq.scaled() > 0.0 {
            bound / leading.frobenius_sq
        } else {
            0.0
        };
        let known = ready.decomposition.values_known();
        vec![
            Line::from(vec![
                label(ui, formula(ui, "‖X‖²−Σσᵢ²", "|X|^2-sum s^2")),
                number(ui, r.error_sq_tail.general(8)),
                dim(
                    ui,
                    format!(
                        " {}{}{}",
                        formula(ui, "±", "+-"),
                        numfmt::sci(relative, 1),
                        formula(ui, "‖X‖²", "|X|^2")
                    ),
                ),
            ]),
            Line::from(vec![
                label(ui, formula(ui, "σᵢ known", "s_i known")),
                dim(ui, format!("partial ({known} of {})", ready.max_rank())),
            ]),
        ]
    }

    /// The ranks keeping 90, 99 and 99.9 % of the energy (">k" beyond the values known).
    pub(in crate::lowrank::tab) fn ranks_for_energy(ready: &Ready) -> String {
        let known = ready.decomposition.values_known();
        let spectrum_complete = ready.decomposition.spectrum_complete();
        ready
            .readouts
            .ranks_for_energy
            .iter()
            .map(|&(fraction, rank)| {
                if !spectrum_complete && ready.decomposition.energy_captured(rank) < fraction {
                    format!(">{known}")
                } else {
                    rank.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The matrix decomposed: its size, and "whole" or the size of the picture it was resized
    /// from.
    fn decomposed_text(ready: &Ready, ui: &Ui) -> String {
        let shape = shape_text(ui, ready.shape);
        match ready.downscaled_from {
            Some(from) => format!("{shape} resized from {}", shape_text(ui, from)),
            None => format!("{shape} whole"),
        }
    }

    /// The input's name and the matrix decomposed ([`Self::decomposed_text`]).
    pub(in crate::lowrank::tab) fn input_text(ready: &Ready, ui: &Ui) -> String {
        format!("{} {}", ready.name, Self::decomposed_text(ready, ui))
    }

    /// The input line of the readouts in `width` columns: a name too long for the line is cut
    /// (with an ellipsis) before the size is.
    fn input_line(ready: &Ready, ui: &Ui, width: u16) -> Line<'static> {
        let label = label(ui, &format!("input ({})", key_of(Act::NextInput, ui)));
        let size = format!(" {}", Self::decomposed_text(ready, ui));
        let room = (width as usize).saturating_sub(label.width() + text::width(&size));
        let name = text::fit(&ready.name, room, ui.glyphs.unicode);
        Line::from(vec![label, number(ui, name), number(ui, size)])
    }

    /// Relative error and energy, storage, the ranks for the energy, the input.
    fn summary_lines(ready: &Ready, ui: &Ui, width: u16) -> Vec<Line<'static>> {
        let r = &ready.readouts;
        vec![
            Line::from(vec![
                label(ui, "rel. error"),
                number(ui, numfmt::percent(r.relative_error, 2)),
                dim(ui, "  energy ".to_string()),
                number(ui, numfmt::percent(r.energy_captured, 2)),
            ]),
            Line::from(vec![
                label(ui, "storage"),
                number(ui, numfmt::group_thousands(r.storage.factored)),
                dim(ui, " of ".to_string()),
                number(ui, numfmt::group_thousands(r.storage.dense)),
                dim(ui, format!(" ({})", numfmt::percent(r.storage.ratio(), 1))),
            ]),
            Line::from(vec![
                label(ui, "90/99/99.9%"),
                dim(ui, "r = ".into()),
                number(ui, Self::ranks_for_energy(ready)),
            ]),
            Self::input_line(ready, ui, width),
        ]
    }

    /// The leading singular values and the list of inputs (wide screens).
    fn wide_lines(&self, ready: &Ready, ui: &Ui) -> Vec<Line<'static>> {
        let top = ready
            .spectrum
            .iter()
            .take(5)
            .map(|(_, s)| numfmt::general(*s, 4))
            .collect::<Vec<_>>()
            .join("  ");
        let mut lines = vec![
            Line::from(vec![label(ui, "σ₁ … σ₅"), number(ui, top)]),
            Line::raw(""),
        ];
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
        lines
    }

    /// Every line under the rank slider, for a body `width` columns wide.
    fn readout_lines(&self, ready: &Ready, ui: &Ui, width: u16, wide: bool) -> Vec<Line<'static>> {
        let mut lines: Vec<Line<'static>> = Self::error_lines(ready, ui);
        if let Some(failure) = self.completion_failure() {
            // The first view stays, with why the rest of the SVD is missing, wrapped whole.
            let text = format!("Not complete: {failure}");
            let text = spelled(&text, ui.glyphs.unicode);
            lines.extend(scroll::wrap_lines(&text, width as usize, ui.theme.bad));
        }
        lines.extend(Self::summary_lines(ready, ui, width));
        if wide {
            lines.extend(self.wide_lines(ready, ui));
        }
        // Lines wider than the panel lose whole spans (a bound, a remark), never digits.
        lines
            .iter()
            .map(|l| crate::widgets::fit_spans(l, width as usize, ui))
            .collect()
    }

    /// Where the Eckart–Young note goes in the readouts panel at `area` (wide screens).
    fn note_area(&self, area: Rect, ui: &Ui) -> Option<Rect> {
        let ready = self.ready.as_ref()?;
        let parts = readout_areas(area);
        if parts.inner.height == 0 || parts.inner.width == 0 {
            return None;
        }
        let lines = self.readout_lines(ready, ui, parts.inner.width, true);
        Some(below(parts.body, rows_used(lines.len(), parts.body) + 1))
    }

    /// Records the extent of the Eckart–Young note in the readouts panel at `area` (wide
    /// screens; `None` when it is not shown).
    pub(in crate::lowrank::tab) fn fit_note(&mut self, area: Option<Rect>, ui: &Ui) {
        let note_area = area.and_then(|area| self.note_area(area, ui));
        let text = self.ready.as_ref().map_or("", eckart_young_note);
        fit_note(&mut self.note, note_area, ui, text);
    }

    /// The rank slider and the readouts at the rank; on wide screens the leading values, the
    /// inputs and the Eckart–Young note too.
    pub(in crate::lowrank::tab) fn render_readouts(
        &self,
        area: Rect,
        buf: &mut Buffer,
        ui: &Ui,
        wide: bool,
    ) {
        let parts = readout_areas(area.intersection(buf.area));
        let inner = crate::widgets::panel(area, buf, ui, "rank-r approximation", true);
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
        .render(parts.slider, buf, ui);
        let lines = self.readout_lines(ready, ui, inner.width, wide);
        let used = put_lines(parts.body, buf, ui, lines);
        if wide {
            let rest = below(parts.body, used.saturating_add(1));
            draw_note(rest, buf, ui, eckart_young_note(ready), &self.note);
        }
    }

    pub(in crate::lowrank::tab) fn render_spectrum(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let title = match &self.ready {
            Some(ready) if !ready.decomposition.spectrum_complete() => format!(
                "singular values σᵢ, partial ({} of {})",
                ready.decomposition.values_known(),
                ready.max_rank()
            ),
            _ => "singular values σᵢ".to_string(),
        };
        let inner = crate::widgets::panel(area, buf, ui, &title, false);
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

    pub(in crate::lowrank::tab) fn render_left_out(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let Some(ready) = &self.ready else {
            let inner = crate::widgets::panel(area, buf, ui, "energy left out at rank r", false);
            self.render_waiting(inner, buf, ui);
            return;
        };
        let chart = left_out_chart(&ready.left_out);
        let inner = crate::widgets::panel(area, buf, ui, &chart.title, false);
        let k = ready.max_rank().max(1) as f64;
        LogChart::new(vec![Series {
            label: "",
            points: &chart.drawn,
            index: 1,
        }])
        .x_scale(Scale::Linear)
        .y_scale(Scale::Log10)
        .x_bounds(0.0, k)
        .y_bounds(chart.floor, 1.0)
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
        .legend(false)
        .render(inner, buf, ui);
    }

    /// The input, the rank and the figures at it, for the tab's readout.
    pub(in crate::lowrank::tab) fn readout(&self, ui: &Ui) -> Vec<String> {
        let Some(ready) = &self.ready else {
            return vec![match (self.failure(), &self.loading) {
                (Some(error), _) => format!("no input shown: {error}"),
                (None, Some(name)) => format!("computing the first view of {name}"),
                (None, None) => "no input shown".to_string(),
            }];
        };
        let r = &ready.readouts;
        let mut out = vec![
            format!("input: {}", Self::input_text(ready, ui)),
            format!("rank r = {} of {}", r.rank, ready.max_rank()),
        ];
        match ready
            .leading
            .as_ref()
            .filter(|_| !ready.decomposition.spectrum_complete())
        {
            Some(leading) => {
                let bound = leading.subtraction_bound(r.rank);
                let relative = if leading.frobenius_sq.scaled() > 0.0 {
                    bound / leading.frobenius_sq
                } else {
                    0.0
                };
                out.push(format!(
                    "error at rank r: ‖X‖²_F − Σ_{{i≤r}} σᵢ² = {} ± {}‖X‖²_F (first view: {} of {} singular values known)",
                    r.error_sq_tail.general(8),
                    numfmt::sci(relative, 1),
                    ready.decomposition.values_known(),
                    ready.max_rank()
                ));
            }
            None => out.extend([
                format!(
                    "error at rank r: ‖X − A*B*‖²_F = {} (from the matrices)",
                    r.error_sq.general(8)
                ),
                format!(
                    "error at rank r: Σ_{{i>r}} σᵢ² = {} (the dropped singular values), |Δ| {}",
                    r.error_sq_tail.general(8),
                    energy_rounding_bound(r.identity_gap)
                ),
            ]),
        }
        if let Some(failure) = self.completion_failure() {
            out.push(format!("not complete: {failure}"));
        }
        let top = ready
            .spectrum
            .iter()
            .take(5)
            .map(|(_, s)| numfmt::general(*s, 4));
        out.extend([
            format!(
                "relative error {}, energy kept {}",
                numfmt::percent(r.relative_error, 2),
                numfmt::percent(r.energy_captured, 2)
            ),
            format!(
                "storage {} of {} numbers ({})",
                numfmt::group_thousands(r.storage.factored),
                numfmt::group_thousands(r.storage.dense),
                numfmt::percent(r.storage.ratio(), 1)
            ),
            format!(
                "rank for 90/99/99.9% of the energy: {}",
                Self::ranks_for_energy(ready)
            ),
            format!("σ₁ … σ₅: {}", top.collect::<Vec<_>>().join(", ")),
        ]);
        out
    }

    /// The spectrum panel's lines for the readout.
    pub(in crate::lowrank::tab) fn spectrum_readout(&self) -> Vec<String> {
        let partial = self
            .ready
            .as_ref()
            .filter(|ready| !ready.decomposition.spectrum_complete())
            .map(|ready| {
                format!(
                    ", partial ({} of {})",
                    ready.decomposition.values_known(),
                    ready.max_rank()
                )
            });
        vec![format!(
            "lower panel: singular values σᵢ{} (wide screens: the energy left out at rank r too)",
            partial.unwrap_or_default()
        )]
    }
}

/// The smallest lower edge of the energy chart: a millionth, or lower to reach every value.
const LEFT_OUT_FLOOR: f64 = 1e-6;

/// The energy chart: every positive fraction drawn on an axis that reaches down to the decade
/// of the smallest (nothing is pinned to a floor), and the title saying which ranks leave
/// nothing out (a log axis has no place for 0).
pub(in crate::lowrank::tab) struct LeftOutChart {
    pub(in crate::lowrank::tab) drawn: Vec<(f64, f64)>,
    pub(in crate::lowrank::tab) floor: f64,
    pub(in crate::lowrank::tab) title: String,
}

pub(in crate::lowrank::tab) fn left_out_chart(left_out: &[(f64, f64)]) -> LeftOutChart {
    let drawn: Vec<(f64, f64)> = left_out
        .iter()
        .copied()
        .filter(|(_, f)| f.is_finite() && *f > 0.0)
        .collect();
    let smallest = drawn.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let floor = if smallest < LEFT_OUT_FLOOR {
        10f64.powf(smallest.log10().floor())
    } else {
        LEFT_OUT_FLOOR
    };
    let zero_from = left_out
        .iter()
        .filter(|(_, f)| !(f.is_finite() && *f > 0.0))
        .map(|p| p.0)
        .fold(f64::INFINITY, f64::min);
    let title = if zero_from.is_finite() {
        format!("energy left out at rank r (r ≥ {zero_from}: 0, not drawn)")
    } else {
        "energy left out at rank r".to_string()
    };
    LeftOutChart {
        drawn,
        floor,
        title,
    }
}
