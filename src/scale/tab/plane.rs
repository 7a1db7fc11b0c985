//! The plane panel of Problem 3b: the descent over the level sets of f, the unit circle where
//! the direction u_k lives, the minima, and a legend with the run's warnings and the note.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::render::{below, inside, own};
use super::{PlaneRun, ScaleTab, notes};
use crate::controls::Cycle;
use crate::scale::model::{AngularProfile, Run};
use crate::text::{spelled, wrap};
use crate::theme::Ui;
use crate::widgets::dots::{DotCanvas, Viewport};
use crate::widgets::{lines, panel};

/// Where the plane panel's parts go, and the warnings its legend shows.
pub(super) struct PlaneParts {
    pub(super) inner: Rect,
    plot: Rect,
    legend: Rect,
    /// The rows under the legend, for the note.
    pub(super) note: Rect,
    /// The computation's error and the run's runaway, wrapped to the panel (at most four).
    warnings: Vec<String>,
}

impl ScaleTab {
    /// The plane panel's parts in `area` (the panel with its border).
    pub(super) fn plane_parts(&self, area: Rect, ui: &Ui) -> PlaneParts {
        let inner = inside(area);
        let width = usize::from(inner.width);
        let u = ui.glyphs.unicode;
        let mut warnings: Vec<String> = self
            .worker
            .error()
            .iter()
            .flat_map(|e| wrap(&spelled(e, u), width))
            .collect();
        if self.shown.is_some()
            && let Some(r) = self.plane().and_then(|run| run.runaway)
        {
            let text = format!("ran away at step {}: {}", r.step, r.reason);
            warnings.extend(wrap(&spelled(&text, u), width));
        }
        if warnings.len() > 4 {
            // The fourth row says that more was cut.
            warnings.truncate(4);
            let last = format!("{} {}", warnings[3], ui.glyphs.ellipsis);
            warnings[3] = crate::text::fit(&last, width, u);
        }
        let legend_h = if inner.height >= 16 { 4 } else { 1 } + warnings.len() as u16;
        let [plot, legend] = Layout::vertical([
            Constraint::Fill(1),
            Constraint::Length(legend_h.min(inner.height)),
        ])
        .areas(inner);
        let used = (1 + warnings.len() as u16).min(legend.height);
        PlaneParts {
            inner,
            plot,
            legend,
            note: below(legend, used),
            warnings,
        }
    }

    /// The panel's title: the run it follows and the step shown, shortened to fit.
    fn plane_title(&self, width: u16, ui: &Ui) -> String {
        let (long, short) = match self.plane_run {
            PlaneRun::WithoutDecay => ("plain descent", "plain"),
            PlaneRun::WithDecay => ("with weight decay", "decay"),
        };
        let status = self.status(ui);
        let room = usize::from(width.saturating_sub(4));
        [
            format!("3b {long}, {status}"),
            format!("3b {short}, {status}"),
            format!("{short}, {status}"),
        ]
        .into_iter()
        .find(|t| crate::text::width(&spelled(t, ui.glyphs.unicode)) <= room)
        .unwrap_or(status)
    }

    pub(super) fn render_plane(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let title = self.plane_title(area.width, ui);
        panel(area, buf, ui, &spelled(&title, ui.glyphs.unicode), false);
        let parts = self.plane_parts(area, ui);
        let inner = parts.inner;
        if inner.width < 4 || inner.height < 3 {
            return;
        }
        let t = &ui.theme;
        let Some(shown) = &self.shown else {
            let rows: Vec<Line> = match self.worker.error() {
                None => vec![Line::styled(
                    format!("computing{}", ui.glyphs.ellipsis),
                    t.warn,
                )],
                Some(e) => wrap(&spelled(e, ui.glyphs.unicode), usize::from(inner.width))
                    .into_iter()
                    .map(|l| Line::styled(l, t.bad))
                    .collect(),
            };
            lines(inner, buf, &rows);
            return;
        };
        let Some(run) = self.plane() else {
            return;
        };
        let plot = parts.plot;
        let mut canvas = DotCanvas::new(plot.width, plot.height, ui.glyphs.unicode);
        let view = viewport(plot, shown.extent);
        let profile = shown.exploration.profile.as_ref();
        if let Some(profile) = profile {
            shade_level_sets(plot, buf, &canvas, &view, profile, ui);
        }
        draw_circle(&mut canvas, &view, ui);
        let k = self.frame().min(run.steps_taken());
        self.draw_path(&mut canvas, &view, run, k, ui);
        draw_marks(&mut canvas, &view, run, k, profile, ui);
        canvas.render(plot, buf);

        let mut text = vec![own(ui, legend(ui))];
        for line in &parts.warnings {
            text.push(Line::styled(line.clone(), t.bad));
        }
        lines(parts.legend, buf, &text);
        self.render_note(parts.note, buf, ui, &notes::plane(run));
    }

    /// The path x_0 … x_k.
    fn draw_path(&self, canvas: &mut DotCanvas, view: &Viewport, run: &Run, k: usize, ui: &Ui) {
        let style = ui.theme.series[self.plane_run.index()];
        let mark = ui.glyphs.series_marks[0].chars().next().unwrap_or('*');
        let mut prev: Option<(i32, i32)> = None;
        for x in run.iterates().take(k + 1) {
            if let Some(p) = view.to_dot(canvas, x[0], x[1]) {
                match prev {
                    Some((px, py)) => canvas.line(px, py, p.0, p.1, style, mark),
                    None => canvas.dot(p.0, p.1, style, mark),
                }
                prev = Some(p);
            }
        }
    }
}

/// The square of data space ±`extent` shown in `plot`, widened along the longer side; cells are
/// about twice as tall as wide, so circles stay round.
fn viewport(plot: Rect, extent: f64) -> Viewport {
    let aspect = plot.width as f64 / (2.0 * plot.height.max(1) as f64);
    let r = extent;
    if aspect >= 1.0 {
        Viewport {
            x: (-r * aspect, r * aspect),
            y: (-r, r),
        }
    } else {
        Viewport {
            x: (-r, r),
            y: (-r / aspect, r / aspect),
        }
    }
}

/// Level sets: f depends on the direction only, so each cell is shaded by the band of its
/// angle; denser shading means higher f.
fn shade_level_sets(
    plot: Rect,
    buf: &mut Buffer,
    canvas: &DotCanvas,
    view: &Viewport,
    profile: &AngularProfile,
    ui: &Ui,
) {
    for row in 0..plot.height {
        for col in 0..plot.width {
            let (dx, dy) = if canvas.is_unicode() {
                (col as i32 * 2 + 1, row as i32 * 4 + 2)
            } else {
                (col as i32, row as i32)
            };
            let (x, y) = view.from_dot(canvas, dx, dy);
            let show = match profile.band_at(y.atan2(x)) {
                0 => false,
                1 => (col + 2 * row).is_multiple_of(4),
                2 => (col + row).is_multiple_of(2),
                _ => true,
            };
            if show && let Some(cell) = buf.cell_mut((plot.x + col, plot.y + row)) {
                cell.set_symbol(ui.glyphs.leaf).set_style(ui.theme.dim);
            }
        }
    }
}

/// The unit circle, where the direction u_k lives.
fn draw_circle(canvas: &mut DotCanvas, view: &Viewport, ui: &Ui) {
    let circle_dots = 4 * (canvas.width() + canvas.height()).max(8);
    for i in 0..circle_dots {
        let phi = std::f64::consts::TAU * i as f64 / circle_dots as f64;
        if let Some((dx, dy)) = view.to_dot(canvas, phi.cos(), phi.sin()) {
            canvas.dot(dx, dy, ui.theme.hint, '.');
        }
    }
}

/// The origin, u_k = x_k/‖x_k‖ on the circle, the iterate x_k on top of it, and every minimum
/// on the circle (±v both minimise the Rayleigh quotient) on top of all.
fn draw_marks(
    canvas: &mut DotCanvas,
    view: &Viewport,
    run: &Run,
    k: usize,
    profile: Option<&AngularProfile>,
    ui: &Ui,
) {
    let t = &ui.theme;
    let first = |s: &str| s.chars().next().unwrap_or('*');
    let mark = |canvas: &mut DotCanvas, x: f64, y: f64, glyph: &str, style: Style| {
        if let Some((dx, dy)) = view.to_dot(canvas, x, y) {
            let (c, r) = canvas.cell_of(dx, dy);
            canvas.mark_cell(c, r, first(glyph), style);
        }
    };
    mark(canvas, 0.0, 0.0, ui.glyphs.series_marks[1], t.dim);
    if let (Some(x), Some(norm)) = (run.point(k), run.norms.get(k)) {
        mark(
            canvas,
            x[0] / norm,
            x[1] / norm,
            ui.glyphs.series_marks[3],
            t.accent,
        );
        mark(canvas, x[0], x[1], ui.glyphs.slider_knob, t.cursor);
    }
    for phi in profile.iter().flat_map(|p| &p.minima) {
        mark(
            canvas,
            phi.cos(),
            phi.sin(),
            ui.glyphs.series_marks[2],
            t.good,
        );
    }
}

/// What the marks on the plane are.
fn legend(ui: &Ui) -> Line<'static> {
    let (g, t) = (&ui.glyphs, &ui.theme);
    Line::from(vec![
        Span::styled(format!("{} ", g.slider_knob), t.cursor),
        Span::styled("x_k  ", t.hint),
        Span::styled(format!("{} ", g.series_marks[3]), t.accent),
        Span::styled("u_k  ", t.hint),
        Span::styled(format!("{} ", g.series_marks[2]), t.good),
        Span::styled("min  ", t.hint),
        Span::styled(format!("{} ", g.leaf), t.dim),
        Span::styled("high f", t.hint),
    ])
}
