//! Drawing the tab: reads the results and the view state; no mathematics beyond placing things
//! on screen. [`ScaleTab::areas`] and the panels' `*_parts` place everything, for the layout
//! step and for render alike.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::text::{Line, Span};
use strum::IntoEnumIterator;

use super::settings::setting;
use super::{Act, Control, KEYS, ScaleTab, View, WIDE, notes};
use crate::components::scroll::ScrollText;
use crate::keymap;
use crate::numfmt;
use crate::text::{fit, spelled};
use crate::theme::Ui;
use crate::widgets::log_chart::{LogChart, Scale, Series};
use crate::widgets::scroll::max_offset;
use crate::widgets::{fit_spans, lines, panel, readout};

/// Where the panels go at one size; a panel not shown has an empty area.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Areas {
    pub(super) plane: Rect,
    pub(super) scaling: Rect,
    pub(super) readouts: Rect,
    /// The four charts.
    pub(super) charts: Rect,
    pub(super) controls: Rect,
}

/// A computed value.
pub(super) fn num(v: f64) -> String {
    numfmt::general(v, 4)
}

/// The area inside a panel's border.
pub(super) fn inside(area: Rect) -> Rect {
    area.inner(Margin::new(1, 1))
}

/// The rows of `area` below the first `used`.
pub(super) fn below(area: Rect, used: u16) -> Rect {
    let [_, rest] = Layout::vertical([
        Constraint::Length(used.min(area.height)),
        Constraint::Fill(1),
    ])
    .areas(area);
    rest
}

/// True when a note has room to be drawn in `area`.
fn note_fits(area: Rect) -> bool {
    area.width >= 8 && area.height > 0
}

/// A note's lines wrapped for `area`, one column kept for the scroll marks.
fn note_lines(text: &str, area: Rect, ui: &Ui) -> Vec<Line<'static>> {
    ScrollText::lines(&spelled(text, ui.glyphs.unicode), area, ui.theme.dim)
}

pub(super) fn vector(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| num(*x)).collect();
    format!("({})", parts.join(", "))
}

/// `n·num/den` of a screen length, without overflowing u16.
fn fraction(n: u16, num: u32, den: u32) -> u16 {
    (u32::from(n) * num / den.max(1)).min(u32::from(u16::MAX)) as u16
}

/// A line with its own text, in the glyph set of `ui`.
pub(super) fn own(ui: &Ui, line: Line<'_>) -> Line<'static> {
    Line::from(
        line.spans
            .iter()
            .map(|s| Span::styled(spelled(&s.content, ui.glyphs.unicode).into_owned(), s.style))
            .collect::<Vec<_>>(),
    )
    .style(line.style)
}

/// Lines written into `area`, each fitted to its width: a line too long ends in an ellipsis
/// instead of being cut. Returns the rows used.
fn fitted_lines(area: Rect, buf: &mut Buffer, ui: &Ui, rows: &[Line]) -> u16 {
    let width = usize::from(area.width);
    let fitted: Vec<Line> = rows.iter().map(|l| fit_spans(l, width, ui)).collect();
    lines(area, buf, &fitted)
}

/// The row under the sliders: the tab's other keys, named from its table.
fn control_hints(unicode: bool) -> String {
    const HINTS: &[(&[Act], &str)] = &[
        (&[Act::RotateLeft, Act::RotateRight], "turn"),
        (&[Act::NormDown, Act::NormUp], "scale x₀"),
        (&[Act::PlayPause], "play"),
        (&[Act::Slower, Act::Faster], "speed"),
    ];
    let hints: Vec<String> = HINTS
        .iter()
        .map(|(acts, what)| {
            let keys: Vec<String> = acts
                .iter()
                .map(|a| keymap::keys_of(&KEYS, *a, unicode))
                .collect();
            format!("{} {what}", keys.join(" "))
        })
        .collect();
    spelled(&hints.join("  "), unicode).into_owned()
}

#[derive(Clone, Copy)]
enum SeriesKind {
    Norm,
    EffectiveStep,
    Gap,
}

impl ScaleTab {
    /// Draws the tab: both views side by side on a wide screen, one at a time on a small one.
    pub(super) fn draw(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let area = area.intersection(buf.area);
        let a = self.areas(area);
        if a == Areas::default() {
            return;
        }
        for (rect, render) in [
            (
                a.plane,
                ScaleTab::render_plane as fn(&ScaleTab, Rect, &mut Buffer, &Ui),
            ),
            (a.scaling, ScaleTab::render_scaling),
            (a.readouts, ScaleTab::render_readouts),
            (a.charts, ScaleTab::render_chart_grid),
        ] {
            if !rect.is_empty() {
                render(self, rect, buf, ui);
            }
        }
        self.controls.render_sliders(
            a.controls,
            buf,
            ui,
            &self.settings,
            &control_hints(ui.glyphs.unicode),
        );
    }

    /// Where the panels go in `area`.
    pub(super) fn areas(&self, area: Rect) -> Areas {
        if area.width < 4 || area.height < 3 {
            return Areas::default();
        }
        if area.width >= WIDE.0 && area.height >= WIDE.1 {
            let left_w = fraction(area.width, 9, 20).max(56).min(area.width);
            let [left, right] =
                Layout::horizontal([Constraint::Length(left_w), Constraint::Fill(1)]).areas(area);
            let controls_h = (Control::iter().count() as u16 + 4).min(left.height);
            let [plane, controls] =
                Layout::vertical([Constraint::Fill(1), Constraint::Length(controls_h)]).areas(left);
            let [scaling, charts, readouts] = Layout::vertical([
                Constraint::Length(10),
                Constraint::Fill(1),
                Constraint::Length(12),
            ])
            .areas(right);
            return Areas {
                plane,
                scaling,
                readouts,
                charts,
                controls,
            };
        }
        let [top, controls] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(6.min(area.height))])
                .areas(area);
        match self.view {
            View::Plane => {
                let [plane, right] = Layout::horizontal([
                    Constraint::Length(fraction(top.width, 2, 5)),
                    Constraint::Fill(1),
                ])
                .areas(top);
                let [scaling, readouts] = Layout::vertical([
                    Constraint::Length(8.min(right.height / 2)),
                    Constraint::Fill(1),
                ])
                .areas(right);
                Areas {
                    plane,
                    scaling,
                    readouts,
                    controls,
                    ..Areas::default()
                }
            }
            View::Charts => Areas {
                charts: top,
                controls,
                ..Areas::default()
            },
        }
    }

    /// Every note shown at `area`'s size, with where it goes.
    fn notes(&self, a: &Areas, ui: &Ui) -> Vec<(String, Rect)> {
        let mut out = Vec::new();
        if self.shown.is_none() {
            return out;
        }
        if !a.plane.is_empty()
            && let Some(run) = self.plane()
        {
            out.push((notes::plane(run), self.plane_parts(a.plane, ui).note));
        }
        if !a.scaling.is_empty() {
            out.push((
                notes::SCALING.to_string(),
                self.scaling_note_area(a.scaling),
            ));
        }
        if !a.readouts.is_empty()
            && let Some(story) = self.story()
        {
            let inner = inside(a.readouts);
            let used = self.readout_lines(ui, inner.height).len() as u16;
            out.push((story, below(inner, used)));
        }
        out.retain(|(_, area)| note_fits(*area));
        out
    }

    /// Records what the keys and clicks need of the next frame: the notes' scroll extent (the
    /// note with the most lines hidden sets it) and where the controls are.
    pub(super) fn record_layout(&mut self, area: Rect, ui: &Ui) {
        let a = self.areas(area);
        let (total, rows) = self
            .notes(&a, ui)
            .iter()
            .map(|(text, rect)| (note_lines(text, *rect, ui).len(), rect.height))
            .max_by_key(|&(total, rows)| max_offset(total, rows))
            .unwrap_or((0, 0));
        self.note.set_extent(total, rows);
        self.controls.layout_sliders(a.controls);
    }

    /// A note in `area`, from the notes' scroll offset (each stops at its own end).
    pub(super) fn render_note(&self, area: Rect, buf: &mut Buffer, ui: &Ui, text: &str) {
        if note_fits(area) {
            self.note.render(area, buf, ui, &note_lines(text, area, ui));
        }
    }

    /// "step k/K", whether the descent plays, is paused or has finished, and its speed.
    pub(super) fn status(&self, ui: &Ui) -> String {
        if self.shown.is_none() {
            return format!("computing{}", ui.glyphs.ellipsis);
        }
        let state = if self.playback.playing() {
            " ▶"
        } else if self.playback.at_end() {
            ""
        } else {
            " paused"
        };
        let speed = self.playback.speed();
        let speed = if speed == 1.0 {
            String::new()
        } else if speed < 1.0 {
            format!(" ×1/{}", (1.0 / speed).round())
        } else {
            format!(" ×{speed}")
        };
        format!(
            "step {} of {}{state}{speed}",
            self.frame(),
            self.last_frame()
        )
    }

    /// The plain run's story, then the decay run's.
    pub(super) fn story(&self) -> Option<String> {
        let shown = self.shown.as_ref()?;
        let plain = notes::plain(&shown.exploration.without_decay);
        Some(match &shown.regime {
            Some(regime) => format!("{plain} {}", notes::decay(regime)),
            None => plain,
        })
    }

    /// The rows of the 3a panel: x, λ, both sides of the scaling law and ⟨x, ∇f(x)⟩.
    fn scaling_lines(&self, ui: &Ui) -> Vec<Line<'static>> {
        let Some(shown) = &self.shown else {
            return Vec::new();
        };
        let gs = &shown.exploration.without_decay.grad_scaling;
        [
            readout(
                ui,
                "x = x₀",
                format!("{}   λ = {}", vector(&gs.x), setting(gs.lambda)),
            ),
            readout(
                ui,
                "f(x), f(λx)",
                format!("{}, {}", num(gs.value_at_x), num(gs.value_at_lambda_x)),
            ),
            readout(ui, "∇f(λx) ", vector(&gs.grad_at_lambda_x)),
            readout(ui, "∇f(x)/λ", vector(&gs.grad_over_lambda)),
            readout(ui, "largest |difference|", num(gs.max_abs_diff)),
            readout(ui, "⟨x, ∇f(x)⟩", num(gs.inner_product_x_grad)),
        ]
        .into_iter()
        .map(|l| own(ui, l))
        .collect()
    }

    /// The rows under the 3a panel's figures.
    fn scaling_note_area(&self, area: Rect) -> Rect {
        below(inside(area), 6)
    }

    fn render_scaling(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let inner = panel(
            area,
            buf,
            ui,
            &spelled("3a gradient at λx", ui.glyphs.unicode),
            false,
        );
        if self.shown.is_none() {
            return;
        }
        fitted_lines(inner, buf, ui, &self.scaling_lines(ui));
        self.render_note(self.scaling_note_area(area), buf, ui, notes::SCALING);
    }

    /// The rows of the norm-growth panel at the step shown, for a panel `height` rows inside.
    pub(super) fn readout_lines(&self, ui: &Ui, height: u16) -> Vec<Line<'static>> {
        let (Some(shown), Some(run)) = (&self.shown, self.plane()) else {
            return Vec::new();
        };
        let t = &ui.theme;
        let at = |series: &[f64], k: usize| series.get(k).copied().unwrap_or(f64::NAN);
        let mut text: Vec<Line<'static>> = Vec::new();
        let taken = run.steps_taken();
        if taken > 0 {
            let k = self.frame().min(taken - 1);
            text.push(own(
                ui,
                Line::from(vec![
                    Span::styled(format!("k {k}  ‖x_k‖ "), t.hint),
                    Span::styled(num(at(&run.norms, k)), t.number),
                    Span::styled("  step on circle ", t.hint),
                    Span::styled(num(at(&run.effective_lr, k)), t.number),
                ]),
            ));
            let increment = at(&run.norm_sq_increment, k);
            let predicted = at(&run.grad_norm_sq_times_lr_sq, k);
            let mut growth = readout(ui, "  ‖x_k+1‖² − ‖x_k‖²", num(increment));
            if let Some(why) = Self::growth_remark(run, increment, predicted) {
                growth.push_span(Span::styled(format!("  ({why})"), t.dim));
            }
            text.push(own(ui, growth));
            text.push(own(ui, readout(ui, "  η²‖∇f(x_k)‖²      ", num(predicted))));
            if height >= 9 {
                text.push(own(
                    ui,
                    readout(ui, "  first-order gap   ", num(at(&run.first_order_gap, k))),
                ));
            }
        } else {
            text.push(Line::styled("no step taken", t.warn));
        }
        let decay_run = &shown.exploration.with_decay;
        // A run that stopped early has no balance to compare with.
        if decay_run.weight_decay > 0.0
            && decay_run.runaway.is_none()
            && let Some(b) = decay_run.band()
        {
            text.push(own(
                ui,
                Line::from(vec![
                    Span::styled("decay ", t.series[1]),
                    Span::styled("RMS ‖x‖ ", t.hint),
                    Span::styled(num(b.rms_norm), t.number),
                    Span::styled(" vs balance ", t.hint),
                    Span::styled(num(b.predicted_norm), t.number),
                ]),
            ));
        }
        text
    }

    /// Why the norm's growth differs from η²‖∇f‖², where it does.
    pub(super) fn growth_remark(
        run: &crate::scale::model::Run,
        increment: f64,
        predicted: f64,
    ) -> Option<&'static str> {
        match (run.weight_decay > 0.0, run.noise > 0.0) {
            (true, true) => Some("decay and noise move x too"),
            (true, false) => Some("decay pulls x toward 0 too"),
            (false, true) => Some("noise moves x too"),
            (false, false) if increment == 0.0 && predicted > 0.0 => Some("below rounding"),
            (false, false) => None,
        }
    }

    fn render_readouts(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let title = spelled("norm growth and weight decay", ui.glyphs.unicode);
        let inner = panel(area, buf, ui, &title, false);
        let text = self.readout_lines(ui, inner.height);
        let used = fitted_lines(inner, buf, ui, &text);
        if let Some(story) = self.story() {
            self.render_note(below(inner, used), buf, ui, &story);
        }
    }

    fn render_chart_grid(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let halves = |r: Rect, vertical: bool| -> [Rect; 2] {
            if vertical {
                Layout::vertical([Constraint::Length(r.height / 2), Constraint::Fill(1)]).areas(r)
            } else {
                Layout::horizontal([Constraint::Length(r.width / 2), Constraint::Fill(1)]).areas(r)
            }
        };
        let [top, bottom] = halves(area, true);
        let [a, b] = halves(top, false);
        let [c, d] = halves(bottom, false);
        self.render_series_chart(a, buf, ui, SeriesKind::Norm);
        self.render_series_chart(b, buf, ui, SeriesKind::EffectiveStep);
        self.render_series_chart(c, buf, ui, SeriesKind::Gap);
        self.render_sweep(d, buf, ui);
    }

    fn render_series_chart(&self, area: Rect, buf: &mut Buffer, ui: &Ui, kind: SeriesKind) {
        let title = match kind {
            SeriesKind::Norm => "‖x_k‖ over k",
            SeriesKind::EffectiveStep => "effective step over k",
            SeriesKind::Gap => "first-order gap over k",
        };
        let inner = panel(area, buf, ui, &spelled(title, ui.glyphs.unicode), false);
        let Some(shown) = &self.shown else {
            return;
        };
        let e = &shown.exploration;
        let explanation = match kind {
            SeriesKind::Norm => notes::norm_chart(&e.without_decay, &e.with_decay),
            SeriesKind::EffectiveStep => notes::EFFECTIVE_CHART.to_string(),
            SeriesKind::Gap => notes::GAP_CHART.to_string(),
        };
        let inner = with_note(inner, buf, ui, &explanation);
        let (data, bounds) = match kind {
            SeriesKind::Norm => (&shown.norms, shown.norm_bounds),
            SeriesKind::EffectiveStep => (&shown.effective, shown.effective_bounds),
            SeriesKind::Gap => (&shown.gaps, shown.gap_bounds),
        };
        // Iterate series reveal x_0 … x_k, step series the steps before k.
        let frame = self.frame();
        let reveal = match kind {
            SeriesKind::Gap => frame,
            _ => frame.saturating_add(1),
        };
        let series = vec![
            Series {
                label: "plain",
                points: &data[0][..reveal.min(data[0].len())],
                index: 0,
            },
            Series {
                label: "decay",
                points: &data[1][..reveal.min(data[1].len())],
                index: 1,
            },
        ];
        let mut chart = LogChart::new(series)
            .x_bounds(0.0, self.settings.steps as f64)
            .x_name("k")
            .cursor_ticks(frame as f64)
            .y_scale(match kind {
                SeriesKind::Norm => Scale::Linear,
                _ => Scale::Log10,
            });
        if let Some((lo, hi)) = bounds {
            chart = chart.y_bounds(lo, hi);
        }
        chart.render(inner, buf, ui);
    }

    fn render_sweep(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let slope = self
            .shown
            .as_ref()
            .and_then(|s| s.exploration.without_decay.eta_sweep_slope());
        let title = match slope {
            Some(s) => format!("one-step gap against η: slope {s:.2}"),
            None => "one-step gap against η".to_string(),
        };
        let inner = panel(area, buf, ui, &spelled(&title, ui.glyphs.unicode), false);
        let Some(shown) = &self.shown else {
            return;
        };
        let inner = with_note(inner, buf, ui, notes::SWEEP_CHART);
        let eta = spelled("η", ui.glyphs.unicode).into_owned();
        let fit_label = match slope {
            Some(s) => format!("fit, slope {s:.2}"),
            None => "no fit (zero gap)".to_string(),
        };
        LogChart::new(vec![
            Series {
                label: "gap",
                points: &shown.sweep,
                index: 0,
            },
            Series {
                label: &fit_label,
                points: &shown.fit,
                index: 2,
            },
        ])
        .x_scale(Scale::Log10)
        .y_scale(Scale::Log10)
        .x_name(&eta)
        .render(inner, buf, ui);
    }
}

/// Puts a one-line note on the last row of a chart panel when the chart keeps at least eight
/// rows; returns the rows left for the chart.
fn with_note(inner: Rect, buf: &mut Buffer, ui: &Ui, text: &str) -> Rect {
    if inner.height < 9 {
        return inner;
    }
    let [chart, last] = Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
    let u = ui.glyphs.unicode;
    let line = fit(&spelled(text, u), usize::from(last.width), u);
    lines(last, buf, &[Line::styled(line, ui.theme.dim)]);
    chart
}
