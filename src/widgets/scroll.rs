//! Text that may be longer than its box: wrapped with the one rule of `text::wrap`, drawn from
//! a scroll offset, with a visible mark on the right edge when there is more above or below.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;

use crate::theme::Ui;

/// Wraps `text` to `width` columns as lines in `style` (paragraphs split at `\n`).
pub fn wrap_lines(text: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    crate::text::wrap(text, width)
        .into_iter()
        .map(|l| Line::styled(l, style))
        .collect()
}

/// The largest useful offset for `total` lines in a box `height` rows tall.
pub fn max_offset(total: usize, height: u16) -> u16 {
    u16::try_from(total.saturating_sub(height as usize)).unwrap_or(u16::MAX)
}

/// Draws `lines` from row `offset` (clamped) into `area`. When they do not all fit, the last
/// column shows where the view is: an up mark at the top while lines are hidden above, a down
/// mark at the bottom while lines are hidden below, and a bar between. Callers should lay the
/// lines out one column narrower than `area` so the marks cover nothing. Returns the clamped
/// offset.
pub fn render(area: Rect, buf: &mut Buffer, ui: &Ui, lines: &[Line], offset: u16) -> u16 {
    let area = area.intersection(buf.area);
    if area.width == 0 || area.height == 0 {
        return 0;
    }
    let offset = offset.min(max_offset(lines.len(), area.height));
    super::lines(area, buf, &lines[(offset as usize).min(lines.len())..]);
    if lines.len() > area.height as usize {
        let x = area.x + area.width - 1;
        let style = ui.theme.key;
        let bottom = area.y + area.height - 1;
        for y in area.y..=bottom {
            buf.set_string(x, y, ui.glyphs.v_line, ui.theme.dim);
        }
        // The thumb: where the visible rows sit in the whole text.
        let h = area.height as usize;
        let total = lines.len();
        let thumb_len = (h * h).div_ceil(total).clamp(1, h);
        let thumb_at = (offset as usize * h) / total;
        for y in thumb_at..(thumb_at + thumb_len).min(h) {
            buf.set_string(x, area.y + y as u16, ui.glyphs.scroll_thumb, style);
        }
        if offset > 0 {
            buf.set_string(x, area.y, ui.glyphs.up, style);
        }
        if (offset as usize) + h < total {
            buf.set_string(x, bottom, ui.glyphs.down, style);
        }
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::buffer_text;

    #[test]
    fn marks_show_hidden_lines_and_offset_is_clamped() {
        let ui = Ui::new(crate::theme::ColorDepth::None, false);
        let lines: Vec<Line> = (0..10).map(|i| Line::raw(format!("line {i}"))).collect();
        let area = Rect::new(0, 0, 10, 4);
        let mut buf = Buffer::empty(area);
        assert_eq!(render(area, &mut buf, &ui, &lines, 0), 0);
        let text = buffer_text(&buf);
        assert!(text.starts_with("line 0"), "{text}");
        assert_eq!(buf[(9, 3)].symbol(), ui.glyphs.down, "more below is marked");
        let mut buf = Buffer::empty(area);
        assert_eq!(render(area, &mut buf, &ui, &lines, 100), 6, "clamped");
        assert_eq!(buf[(9, 0)].symbol(), ui.glyphs.up, "more above is marked");
        assert!(buffer_text(&buf).contains("line 9"));
        // Everything fits: no marks.
        let mut buf = Buffer::empty(area);
        render(area, &mut buf, &ui, &lines[..3], 5);
        assert_eq!(buf[(9, 0)].symbol(), " ");
        // Nothing panics on empty boxes.
        let mut buf = Buffer::empty(Rect::new(0, 0, 1, 1));
        render(Rect::new(0, 0, 0, 0), &mut buf, &ui, &lines, 3);
    }
}
