//! Shared widgets: one slider, one chart, one dot canvas, one grey image (as cells, or as a
//! picture through a terminal image protocol), one help overlay, scrolling text, and the panel
//! frame and area splits every tab draws its parts in.

pub mod dots;
pub mod help;
pub mod image;
pub mod log_chart;
pub mod picture;
pub mod scroll;
pub mod slider;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};

use crate::theme::Ui;

/// A bordered panel with a title (spelled for the glyph set and fitted with an ellipsis);
/// returns the inner area. `focused` highlights the border.
pub fn panel(area: Rect, buf: &mut Buffer, ui: &Ui, title: &str, focused: bool) -> Rect {
    let area = area.intersection(buf.area);
    let t = &ui.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(ui.glyphs.border)
        .border_style(if focused { t.border_focus } else { t.border })
        .title(Span::styled(
            format!(
                " {} ",
                crate::text::fit(
                    &crate::text::spelled(title, ui.glyphs.unicode),
                    area.width.saturating_sub(4) as usize,
                    ui.glyphs.unicode
                )
            ),
            t.title,
        ));
    let inner = block.inner(area);
    block.render(area, buf);
    inner
}

/// A `label  value` line with the theme's hint and number styles.
pub fn readout<'a>(ui: &Ui, label: &'a str, value: String) -> Line<'a> {
    Line::from(vec![
        Span::styled(label, ui.theme.hint),
        Span::raw(" "),
        Span::styled(value, ui.theme.number),
    ])
}

/// `line` in at most `width` columns: its spans as they are when they fit, else the spans that
/// fit whole and an ellipsis. A span that does not fit is left out whole, so a number is never
/// cut to its first digits.
pub fn fit_spans<'a>(line: &Line<'a>, width: usize, ui: &Ui) -> Line<'a> {
    if line.width() <= width {
        return line.clone();
    }
    let mark_w = crate::text::width(ui.glyphs.ellipsis);
    let mut out: Vec<Span<'a>> = Vec::new();
    let mut used = 0;
    for span in &line.spans {
        let w = span.width();
        if used + w + mark_w <= width {
            out.push(span.clone());
            used += w;
            continue;
        }
        out.push(Span::styled(ui.glyphs.ellipsis, span.style));
        break;
    }
    Line::from(out).style(line.style)
}

/// Writes lines into `area`, one per row, cut at the right edge; returns the rows used.
pub fn lines(area: Rect, buf: &mut Buffer, lines: &[Line]) -> u16 {
    let area = area.intersection(buf.area);
    let mut used = 0;
    for (i, line) in lines.iter().enumerate().take(area.height as usize) {
        buf.set_line(area.x, area.y + i as u16, line, area.width);
        used = i as u16 + 1;
    }
    used
}

/// Splits `area` into a left part `left` columns wide (at most the whole) and the rest: the
/// one shorthand over ratatui's `Layout` for the commonest split.
pub fn split_h(area: Rect, left: u16) -> (Rect, Rect) {
    let [a, b] = Layout::horizontal([
        Constraint::Length(left.min(area.width)),
        Constraint::Fill(1),
    ])
    .areas(area);
    (a, b)
}

/// Splits `area` into a top part `top` rows high (at most the whole) and the rest.
pub fn split_v(area: Rect, top: u16) -> (Rect, Rect) {
    let [a, b] = Layout::vertical([
        Constraint::Length(top.min(area.height)),
        Constraint::Fill(1),
    ])
    .areas(area);
    (a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_cover_the_area_and_never_overflow() {
        for (w, cut) in [(10u16, 3u16), (10, 0), (10, 10), (10, 50), (0, 4)] {
            let area = Rect::new(2, 3, w, 5);
            let (a, b) = split_h(area, cut);
            assert_eq!(
                (a.x, a.width, b.x, a.width + b.width),
                (2, cut.min(w), 2 + cut.min(w), w)
            );
            let area = Rect::new(2, 3, 5, w);
            let (a, b) = split_v(area, cut);
            assert_eq!(
                (a.y, a.height, b.y, a.height + b.height),
                (3, cut.min(w), 3 + cut.min(w), w)
            );
        }
    }
}
