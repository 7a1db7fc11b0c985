//! A dot canvas: Braille dots (2×4 per cell) in Unicode, one mark per cell in ASCII. Charts,
//! the eigenvalue plane and the descent plane all draw through it, so every plot falls back to
//! ASCII the same way.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

const BRAILLE_BASE: u32 = 0x2800;
// Bit of the Braille dot at (column, row) within a cell, as Unicode numbers the dots.
const BRAILLE_BITS: [[u8; 4]; 2] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]];

#[derive(Clone, Copy, Default)]
struct CellInk {
    bits: u8,
    mark: Option<char>,
    style: Option<Style>,
    bg: Option<Style>,
}

/// A grid of dots over a `cols`×`rows` cell area. Dot (0, 0) is the top-left.
pub struct DotCanvas {
    cols: u16,
    rows: u16,
    unicode: bool,
    cells: Vec<CellInk>,
    texts: Vec<(u16, u16, String, Style)>,
}

impl DotCanvas {
    pub fn new(cols: u16, rows: u16, unicode: bool) -> Self {
        DotCanvas {
            cols,
            rows,
            unicode,
            cells: vec![CellInk::default(); cols as usize * rows as usize],
            texts: Vec::new(),
        }
    }

    /// Dots across.
    pub fn width(&self) -> i32 {
        self.cols as i32 * if self.unicode { 2 } else { 1 }
    }

    /// Dots down.
    pub fn height(&self) -> i32 {
        self.rows as i32 * if self.unicode { 4 } else { 1 }
    }

    pub fn is_unicode(&self) -> bool {
        self.unicode
    }

    fn cell_mut(&mut self, col: i32, row: i32) -> Option<&mut CellInk> {
        if col < 0 || row < 0 || col >= self.cols as i32 || row >= self.rows as i32 {
            return None;
        }
        self.cells
            .get_mut(row as usize * self.cols as usize + col as usize)
    }

    /// Sets the dot at (x, y); `mark` is the character used in ASCII mode. Outside: ignored.
    pub fn dot(&mut self, x: i32, y: i32, style: Style, mark: char) {
        let unicode = self.unicode;
        let (col, row) = if unicode {
            (x.div_euclid(2), y.div_euclid(4))
        } else {
            (x, y)
        };
        if x < 0 || y < 0 {
            return;
        }
        if let Some(cell) = self.cell_mut(col, row) {
            if unicode {
                cell.bits |= BRAILLE_BITS[(x % 2) as usize][(y % 4) as usize];
            } else {
                cell.mark = Some(mark);
            }
            cell.style = Some(style);
        }
    }

    /// A straight line of dots from (x0, y0) to (x1, y1) (Bresenham), clipped to the canvas.
    pub fn line(&mut self, x0: i32, y0: i32, x1: i32, y1: i32, style: Style, mark: char) {
        // Far-off points (a chart's clipped values) are pulled in so the loop stays short.
        let lim = 4 * (self.width().max(self.height()) + 4);
        let clamp = |v: i32| v.clamp(-lim, lim);
        let (mut x, mut y, x1, y1) = (clamp(x0), clamp(y0), clamp(x1), clamp(y1));
        let dx = (x1 - x).abs();
        let dy = -(y1 - y).abs();
        let sx = if x < x1 { 1 } else { -1 };
        let sy = if y < y1 { 1 } else { -1 };
        let mut err = dx + dy;
        loop {
            self.dot(x, y, style, mark);
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// Gives a whole cell a background style (shading under the dots).
    pub fn shade(&mut self, col: u16, row: u16, bg: Style) {
        if let Some(cell) = self.cell_mut(col as i32, row as i32) {
            cell.bg = Some(bg);
        }
    }

    /// Puts a character in a cell in both modes (a marker that must stand out, e.g. the iterate).
    pub fn mark_cell(&mut self, col: i32, row: i32, mark: char, style: Style) {
        if let Some(cell) = self.cell_mut(col, row) {
            cell.mark = Some(mark);
            cell.bits = 0;
            cell.style = Some(style);
        }
    }

    /// The cell holding dot (x, y).
    pub fn cell_of(&self, x: i32, y: i32) -> (i32, i32) {
        if self.unicode {
            (x.div_euclid(2), y.div_euclid(4))
        } else {
            (x, y)
        }
    }

    /// Text drawn over the dots at a cell position (labels).
    pub fn text(&mut self, col: u16, row: u16, text: impl Into<String>, style: Style) {
        self.texts.push((col, row, text.into(), style));
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        for row in 0..self.rows.min(area.height) {
            for col in 0..self.cols.min(area.width) {
                let ink = self.cells[row as usize * self.cols as usize + col as usize];
                let pos = (area.x + col, area.y + row);
                let Some(cell) = buf.cell_mut(pos) else {
                    continue;
                };
                if let Some(bg) = ink.bg {
                    cell.set_style(bg);
                }
                let ch = match (ink.mark, ink.bits) {
                    (Some(m), _) => Some(m),
                    (None, 0) => None,
                    (None, bits) => char::from_u32(BRAILLE_BASE + bits as u32),
                };
                if let Some(ch) = ch {
                    cell.set_char(ch);
                    if let Some(style) = ink.style {
                        cell.set_style(style);
                    }
                }
            }
        }
        for (col, row, text, style) in &self.texts {
            if *row < area.height && *col < area.width {
                let max = (area.width - col) as usize;
                buf.set_stringn(area.x + col, area.y + row, text, max, *style);
            }
        }
    }
}

/// Maps data coordinates onto a canvas's dots (y grows upward in data, downward in dots).
#[derive(Clone, Copy, Debug)]
pub struct Viewport {
    pub x: (f64, f64),
    pub y: (f64, f64),
}

impl Viewport {
    /// The dot for a data point, unclipped (may fall outside); `None` for non-finite input.
    pub fn to_dot(&self, canvas: &DotCanvas, x: f64, y: f64) -> Option<(i32, i32)> {
        let fx = (x - self.x.0) / (self.x.1 - self.x.0);
        let fy = (y - self.y.0) / (self.y.1 - self.y.0);
        if !fx.is_finite() || !fy.is_finite() {
            return None;
        }
        let w = (canvas.width() - 1).max(0) as f64;
        let h = (canvas.height() - 1).max(0) as f64;
        let dx = (fx * w).round().clamp(-1e6, 1e6) as i32;
        let dy = ((1.0 - fy) * h).round().clamp(-1e6, 1e6) as i32;
        Some((dx, dy))
    }

    /// The data point at the centre of a dot (inverse of `to_dot`).
    pub fn from_dot(&self, canvas: &DotCanvas, dx: i32, dy: i32) -> (f64, f64) {
        let w = (canvas.width() - 1).max(1) as f64;
        let h = (canvas.height() - 1).max(1) as f64;
        (
            self.x.0 + (dx as f64 / w) * (self.x.1 - self.x.0),
            self.y.0 + (1.0 - dy as f64 / h) * (self.y.1 - self.y.0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(c: &DotCanvas) -> String {
        let area = Rect::new(0, 0, c.cols, c.rows);
        let mut buf = Buffer::empty(area);
        c.render(area, &mut buf);
        (0..c.rows)
            .map(|y| {
                (0..c.cols)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn braille_bits_follow_unicode_numbering() {
        let mut c = DotCanvas::new(1, 1, true);
        c.dot(0, 0, Style::default(), '*');
        assert_eq!(rendered(&c), "⠁");
        c.dot(1, 3, Style::default(), '*');
        assert_eq!(rendered(&c), "⢁");
    }

    #[test]
    fn ascii_mode_uses_marks_and_lines_clip() {
        let mut c = DotCanvas::new(3, 2, false);
        c.line(-100, 0, 100, 0, Style::default(), '*');
        assert_eq!(rendered(&c), "***\n   ");
        c.line(0, 0, i32::MAX, i32::MIN, Style::default(), '+');
    }

    #[test]
    fn viewport_round_trip() {
        let c = DotCanvas::new(10, 5, true);
        let v = Viewport {
            x: (-1.0, 1.0),
            y: (0.0, 2.0),
        };
        assert_eq!(v.to_dot(&c, -1.0, 2.0), Some((0, 0)));
        assert_eq!(v.to_dot(&c, 1.0, 0.0), Some((19, 19)));
        assert_eq!(v.to_dot(&c, f64::NAN, 0.0), None);
        let (x, y) = v.from_dot(&c, 19, 0);
        assert!((x - 1.0).abs() < 1e-12 && (y - 2.0).abs() < 1e-12);
    }
}
