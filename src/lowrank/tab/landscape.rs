//! The landscape panel: the scalar problem g(a, b) = (x − ab)² drawn on [−2, 2]², with its two
//! minima whose midpoint is higher (not convex) and the saddle at the origin. Cheap enough to
//! compute on the spot: no worker.

use ndarray::Array2;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

use super::render::{put_lines, short_number};
use super::{Act, key_of};
use crate::lowrank::model::landscape::{self, ConvexityCounterexample, Saddle, Window};
use crate::theme::Ui;
use crate::widgets::image::GreyImage;

/// The entries x the panel cycles through.
pub const LANDSCAPE_X: [f64; 4] = [1.0, 0.5, 2.0, -1.0];
/// The landscape is drawn on [−2, 2]², sampled on a square grid of this many points a side.
const HALF_WIDTH: f64 = 2.0;
const SAMPLES: usize = 96;

/// The scalar landscape g(a, b) = (x − ab)² prepared for drawing.
pub(super) struct LandscapeView {
    pub(super) x: f64,
    window: Window,
    /// ln(1 + g) on the grid (row 0 at the top, b = b_max), so the valley ab = x is dark.
    shade: Array2<f64>,
    shade_max: f64,
    pub(super) saddle: Saddle,
    pub(super) counterexample: ConvexityCounterexample,
}

pub(super) fn landscape_view(x: f64) -> LandscapeView {
    let window = Window::square(HALF_WIDTH);
    let grid = landscape::objective_grid(x, window, SAMPLES, SAMPLES);
    let shade = grid.values.mapv(f64::ln_1p);
    let shade_max = shade.iter().copied().fold(0.0, f64::max);
    LandscapeView {
        x,
        window,
        shade,
        shade_max,
        saddle: landscape::saddle_at_origin(x),
        counterexample: ConvexityCounterexample::new(x),
    }
}

/// The landscape panel's state: which x, and its view.
pub(super) struct LandscapePanel {
    index: usize,
    pub(super) view: LandscapeView,
}

impl LandscapePanel {
    pub(super) fn new() -> Self {
        LandscapePanel {
            index: 0,
            view: landscape_view(LANDSCAPE_X[0]),
        }
    }

    pub(super) fn x(&self) -> f64 {
        self.view.x
    }

    /// `x`: the next entry x.
    pub(super) fn act(&mut self, act: Act) {
        if act == Act::NextX {
            self.index = (self.index + 1) % LANDSCAPE_X.len();
            self.view = landscape_view(LANDSCAPE_X[self.index]);
        }
    }

    /// The figures beside the map: x, the two minima and the midpoint, the Hessian at 0.
    fn lines(&self, ui: &Ui) -> Vec<Line<'static>> {
        let view = &self.view;
        let c = &view.counterexample;
        let e = view.saddle.eigenvalues;
        let g = short_number;
        let hint = |text: String| Span::styled(text, ui.theme.hint);
        let number = |text: String| Span::styled(text, ui.theme.number);
        vec![
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
        ]
    }

    pub(super) fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let title = format!("g(a, b) = (x − ab)² ({})", key_of(Act::NextX, ui));
        let inner = crate::widgets::panel(area, buf, ui, &title, false);
        if inner.width == 0 || inner.height == 0 {
            return;
        }
        let lines = self.lines(ui);
        // Text beside the map when there is room, else below it.
        let text_w = lines.iter().map(|l| l.width()).max().unwrap_or(0) as u16;
        let map_w = inner.height.saturating_mul(2);
        let (map_area, text_area) = if inner.width >= map_w.saturating_add(text_w).saturating_add(1)
        {
            let [map, _, text] = Layout::horizontal([
                Constraint::Length(map_w),
                Constraint::Length(1),
                Constraint::Fill(1),
            ])
            .areas(inner);
            (map, text)
        } else {
            let text_h = (lines.len() as u16).min(inner.height / 2);
            let [map, text] = Layout::vertical([
                Constraint::Length(inner.height - text_h),
                Constraint::Fill(1),
            ])
            .areas(inner);
            (map, text)
        };
        self.render_map(map_area, buf, ui);
        put_lines(text_area, buf, ui, lines);
    }

    /// The shaded map with the two minima (o) and the saddle between them (x), placed in the
    /// fitted picture.
    fn render_map(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let view = &self.view;
        let shade = |r: usize, c: usize| view.shade.get((r, c)).copied().unwrap_or(f64::NAN);
        let image = GreyImage {
            rows: view.shade.nrows(),
            cols: view.shade.ncols(),
            value: &shade,
            range: (0.0, view.shade_max),
        };
        image.render(area, buf, ui);
        let fit = image.fitted(area.intersection(buf.area));
        if fit.width == 0 || fit.height == 0 {
            return;
        }
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
        let c = &view.counterexample;
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

    /// The panel's figures for the readout.
    pub(super) fn readout(&self) -> Vec<String> {
        let view = &self.view;
        let c = &view.counterexample;
        let e = view.saddle.eigenvalues;
        let g = short_number;
        vec![
            format!(
                "lower panel: landscape g(a, b) = (x − ab)², x = {}",
                g(view.x)
            ),
            format!(
                "minima: g({}, {}) = g({}, {}) = {}",
                g(c.first.0),
                g(c.first.1),
                g(c.second.0),
                g(c.second.1),
                g(c.first_value)
            ),
            format!(
                "midpoint: g(0, 0) = {}{}",
                g(c.midpoint_value),
                if c.violates_convexity() {
                    ", not convex"
                } else {
                    ""
                }
            ),
            format!(
                "Hessian at 0: eigenvalues {}, {}{}",
                g(e[0]),
                g(e[1]),
                if view.saddle.is_saddle() {
                    " (saddle)"
                } else {
                    ""
                }
            ),
        ]
    }
}
