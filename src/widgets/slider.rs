//! The one slider every tab uses: `label ━━━━●──── value`, with a focus style.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;

use crate::theme::Ui;

/// A horizontal slider. `position` is in [0, 1] along the track (the caller decides the
/// scale: linear, log, or an index among choices).
pub struct Slider<'a> {
    pub label: &'a str,
    pub value: &'a str,
    pub position: f64,
    pub focused: bool,
}

impl Slider<'_> {
    /// Draws on one row: the label, the track filling the middle, the value on the right.
    pub fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let area = area.intersection(buf.area);
        if area.height == 0 || area.width == 0 {
            return;
        }
        let t = &ui.theme;
        let g = &ui.glyphs;
        let label_style = if self.focused {
            t.key.add_modifier(Modifier::REVERSED)
        } else {
            t.hint
        };
        let label_w = self.label.chars().count() as u16;
        let value_w = self.value.chars().count() as u16;
        buf.set_stringn(area.x, area.y, self.label, area.width as usize, label_style);
        if area.width <= label_w + 1 {
            return;
        }
        let rest = area.width - label_w - 1;
        let track_w = rest.saturating_sub(value_w + 1);
        if track_w >= 3 {
            let pos = if self.position.is_finite() {
                self.position.clamp(0.0, 1.0)
            } else {
                0.0
            };
            let knob = ((track_w - 1) as f64 * pos).round() as u16;
            let x0 = area.x + label_w + 1;
            for i in 0..track_w {
                let (sym, style) = if i == knob {
                    (g.slider_knob, if self.focused { t.key } else { t.accent })
                } else if i < knob {
                    (g.slider_fill, t.accent)
                } else {
                    (g.slider_empty, t.dim)
                };
                if let Some(cell) = buf.cell_mut((x0 + i, area.y)) {
                    cell.set_symbol(sym).set_style(style);
                }
            }
            buf.set_string(x0 + track_w + 1, area.y, self.value, t.number);
        } else {
            buf.set_stringn(
                area.x + label_w + 1,
                area.y,
                self.value,
                rest as usize,
                t.number,
            );
        }
    }
}

/// Position of `value` on a log10 track from `lo` to `hi` (all positive).
pub fn log_position(value: f64, lo: f64, hi: f64) -> f64 {
    let p = (value.ln() - lo.ln()) / (hi.ln() - lo.ln());
    if p.is_finite() {
        p.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Position of `value` on a linear track from `lo` to `hi`.
pub fn linear_position(value: f64, lo: f64, hi: f64) -> f64 {
    let p = (value - lo) / (hi - lo);
    if p.is_finite() {
        p.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(buf: &Buffer) -> String {
        (0..buf.area.width).map(|x| buf[(x, 0)].symbol()).collect()
    }

    #[test]
    fn knob_sits_at_the_position() {
        let area = Rect::new(0, 0, 20, 1);
        let mut buf = Buffer::empty(area);
        Slider {
            label: "r",
            value: "5",
            position: 0.0,
            focused: false,
        }
        .render(area, &mut buf, &Ui::standard());
        assert_eq!(row(&buf), "r ●─────────────── 5");
        let mut buf = Buffer::empty(area);
        Slider {
            label: "r",
            value: "5",
            position: 1.0,
            focused: true,
        }
        .render(
            area,
            &mut buf,
            &Ui::new(crate::color::ColorDepth::None, false),
        );
        assert_eq!(row(&buf), "r ===============O 5");
        for w in 0..6 {
            let area = Rect::new(0, 0, w, 1);
            let mut buf = Buffer::empty(area);
            Slider {
                label: "label",
                value: "value",
                position: f64::NAN,
                focused: true,
            }
            .render(area, &mut buf, &Ui::standard());
        }
    }

    #[test]
    fn positions() {
        assert!((log_position(1e-2, 1e-4, 1.0) - 0.5).abs() < 1e-12);
        assert_eq!(linear_position(3.0, 1.0, 5.0), 0.5);
        assert_eq!(linear_position(3.0, 1.0, 1.0), 0.0);
    }
}
