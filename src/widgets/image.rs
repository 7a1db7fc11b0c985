//! Grey images and heatmaps in a terminal: two pixel rows per cell with the upper half block,
//! greys in truecolor or the 256-colour ramp where the terminal has them, else (16 colours, no
//! colour, or `--graphics ascii`) a character ramp, one cell per pixel pair. The same sampling
//! gives the pixels a terminal image protocol draws (`widgets::picture`).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};

use crate::color::ColorDepth;
use crate::graphics::Drawing;
use crate::theme::Ui;

/// Dark to light, for terminals without greys.
const ASCII_RAMP: &[u8] = b" .:-=+*#%@";

/// A grey image of `rows`×`cols` values, read through `value(row, col)` and mapped from
/// `range` to black..white (so a residual with range (−m, m) has zero at mid-grey).
pub struct GreyImage<'a> {
    pub rows: usize,
    pub cols: usize,
    pub value: &'a dyn Fn(usize, usize) -> f64,
    pub range: (f64, f64),
}

impl GreyImage<'_> {
    /// The size in cells the image takes in `area` with its aspect ratio kept (a cell is one
    /// pixel wide and two tall in half-block mode).
    pub fn fitted(&self, area: Rect) -> Rect {
        if self.rows == 0 || self.cols == 0 || area.width == 0 || area.height == 0 {
            return Rect::new(area.x, area.y, 0, 0);
        }
        let sx = area.width as f64 / self.cols as f64;
        let sy = (area.height as f64 * 2.0) / self.rows as f64;
        let s = sx.min(sy);
        let w = ((self.cols as f64 * s).floor() as u16).clamp(1, area.width);
        let h = ((self.rows as f64 * s / 2.0).floor() as u16).clamp(1, area.height);
        Rect::new(
            area.x + (area.width - w) / 2,
            area.y + (area.height - h) / 2,
            w,
            h,
        )
    }

    /// Mean of the source pixels that fall in output pixel (py, px) of a `ph`×`pw` grid.
    fn sample(&self, py: usize, px: usize, ph: usize, pw: usize) -> f64 {
        let r0 = py * self.rows / ph;
        let r1 = ((py + 1) * self.rows / ph).max(r0 + 1).min(self.rows);
        let c0 = px * self.cols / pw;
        let c1 = ((px + 1) * self.cols / pw).max(c0 + 1).min(self.cols);
        // Large reductions sample a bounded grid so one frame stays cheap.
        let step_r = ((r1 - r0) / 4).max(1);
        let step_c = ((c1 - c0) / 4).max(1);
        let mut sum = 0.0;
        let mut n = 0usize;
        for r in (r0..r1).step_by(step_r) {
            for c in (c0..c1).step_by(step_c) {
                let v = (self.value)(r, c);
                if v.is_finite() {
                    sum += v;
                    n += 1;
                }
            }
        }
        if n == 0 { f64::NAN } else { sum / n as f64 }
    }

    fn unit(&self, v: f64) -> f64 {
        let t = (v - self.range.0) / (self.range.1 - self.range.0);
        if t.is_finite() {
            t.clamp(0.0, 1.0)
        } else {
            0.5
        }
    }

    /// The image as `width`×`height` grey bytes, row by row (black 0, white 255; an undefined
    /// value is mid-grey), each pixel the mean of the source values under it.
    pub fn pixels(&self, width: usize, height: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(width * height);
        if self.rows == 0 || self.cols == 0 {
            out.resize(width * height, 128);
            return out;
        }
        for py in 0..height {
            for px in 0..width {
                let t = self.unit(self.sample(py, px, height, width));
                out.push((t * 255.0).round() as u8);
            }
        }
        out
    }

    /// Draws the image fitted and centred in `area`.
    pub fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let area = area.intersection(buf.area);
        let fit = self.fitted(area);
        if fit.width == 0 || fit.height == 0 {
            return;
        }
        let blocks = ui.images.drawing != Drawing::Characters;
        let pw = fit.width as usize;
        let ph = fit.height as usize * 2;
        for cy in 0..fit.height as usize {
            for cx in 0..pw {
                let top = self.unit(self.sample(2 * cy, cx, ph, pw));
                let bottom = self.unit(self.sample(2 * cy + 1, cx, ph, pw));
                let Some(cell) = buf.cell_mut((fit.x + cx as u16, fit.y + cy as u16)) else {
                    continue;
                };
                match ui.depth {
                    ColorDepth::TrueColor | ColorDepth::Ansi256 if ui.glyphs.unicode && blocks => {
                        cell.set_symbol("▀").set_style(
                            Style::default()
                                .fg(grey(top, ui.depth))
                                .bg(grey(bottom, ui.depth)),
                        );
                    }
                    _ => {
                        cell.set_char(ramp_char((top + bottom) / 2.0))
                            .set_style(ui.theme.base);
                    }
                }
            }
        }
    }
}

/// A grey of brightness `t` in [0, 1] at the given depth (`Reset` where there are no greys).
pub fn grey(t: f64, depth: ColorDepth) -> Color {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.5
    };
    match depth {
        ColorDepth::TrueColor => {
            let v = (t * 255.0).round() as u8;
            Color::Rgb(v, v, v)
        }
        ColorDepth::Ansi256 => {
            // 16 (black), the 24-step ramp 232..=255, then 231 (white).
            let level = (t * 25.0).round() as u8;
            match level {
                0 => Color::Indexed(16),
                25 => Color::Indexed(231),
                l => Color::Indexed(231 + l),
            }
        }
        ColorDepth::Ansi16 => match (t * 3.0).round() as u8 {
            0 => Color::Black,
            1 => Color::DarkGray,
            2 => Color::Gray,
            _ => Color::White,
        },
        ColorDepth::None => Color::Reset,
    }
}

/// The character for brightness `t` on the ASCII ramp.
pub fn ramp_char(t: f64) -> char {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let i = (t * (ASCII_RAMP.len() - 1) as f64).round() as usize;
    ASCII_RAMP[i.min(ASCII_RAMP.len() - 1)] as char
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_keeps_the_aspect_ratio() {
        let f = |_: usize, _: usize| 0.0;
        let img = GreyImage {
            rows: 512,
            cols: 512,
            value: &f,
            range: (0.0, 1.0),
        };
        // A square image in a wide panel: as many cells across as half-cells down.
        let fit = img.fitted(Rect::new(0, 0, 100, 20));
        assert_eq!((fit.width, fit.height), (40, 20));
        assert_eq!(fit.x, 30);
        let fit = img.fitted(Rect::new(0, 0, 10, 40));
        assert_eq!((fit.width, fit.height), (10, 5));
    }

    #[test]
    fn greys_and_ramp_span_black_to_white() {
        assert_eq!(grey(0.0, ColorDepth::TrueColor), Color::Rgb(0, 0, 0));
        assert_eq!(grey(1.0, ColorDepth::TrueColor), Color::Rgb(255, 255, 255));
        assert_eq!(grey(0.0, ColorDepth::Ansi256), Color::Indexed(16));
        assert_eq!(grey(0.5, ColorDepth::Ansi256), Color::Indexed(244));
        assert_eq!(grey(1.0, ColorDepth::Ansi256), Color::Indexed(231));
        assert_eq!(ramp_char(0.0), ' ');
        assert_eq!(ramp_char(1.0), '@');
        assert_eq!(ramp_char(f64::NAN), '+');
    }

    #[test]
    fn ascii_graphics_draw_the_ramp_even_with_greys() {
        let f = |_: usize, c: usize| c as f64;
        let img = GreyImage {
            rows: 2,
            cols: 10,
            value: &f,
            range: (0.0, 9.0),
        };
        let area = Rect::new(0, 0, 10, 1);
        let ui = Ui::new(ColorDepth::TrueColor, true);
        let mut buf = Buffer::empty(area);
        img.render(area, &mut buf, &ui);
        assert_eq!(buf[(0, 0)].symbol(), "▀");
        let images = crate::graphics::Images {
            drawing: Drawing::Characters,
            ..ui.images
        };
        let ui = ui.with_images(images);
        let mut buf = Buffer::empty(area);
        img.render(area, &mut buf, &ui);
        let row: String = (0..10).map(|x| buf[(x, 0)].symbol()).collect();
        assert_eq!(row, " .:-=+*#%@");
    }

    #[test]
    fn pixels_span_the_range_and_average() {
        let f = |r: usize, c: usize| if r == 0 { c as f64 } else { f64::NAN };
        let img = GreyImage {
            rows: 2,
            cols: 4,
            value: &f,
            range: (0.0, 3.0),
        };
        assert_eq!(img.pixels(4, 1), vec![0, 85, 170, 255]);
        assert_eq!(img.pixels(2, 1), vec![43, 213]);
        // The row of NaNs is mid-grey.
        assert_eq!(img.pixels(1, 2)[1], 128);
        assert_eq!(img.pixels(3, 5).len(), 15);
    }

    #[test]
    fn renders_at_every_depth_without_panic() {
        let f = |r: usize, c: usize| (r * 7 + c) as f64 / 100.0;
        let img = GreyImage {
            rows: 9,
            cols: 13,
            value: &f,
            range: (0.0, 1.0),
        };
        for depth in [
            ColorDepth::None,
            ColorDepth::Ansi16,
            ColorDepth::Ansi256,
            ColorDepth::TrueColor,
        ] {
            for (w, h) in [(0, 0), (1, 1), (5, 2), (40, 12)] {
                let area = Rect::new(0, 0, w, h);
                let mut buf = Buffer::empty(area);
                img.render(area, &mut buf, &Ui::new(depth, true));
            }
        }
    }
}
