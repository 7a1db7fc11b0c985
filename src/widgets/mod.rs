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
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};

use crate::theme::Ui;

/// A bordered panel with a title; returns the inner area. `focused` highlights the border.
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
                    title,
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

/// Splits `area` into a left part `left` columns wide (at most the whole) and the rest.
pub fn split_h(area: Rect, left: u16) -> (Rect, Rect) {
    let left = left.min(area.width);
    (
        Rect {
            width: left,
            ..area
        },
        Rect {
            x: area.x.saturating_add(left),
            width: area.width - left,
            ..area
        },
    )
}

/// Splits `area` into a top part `top` rows high (at most the whole) and the rest.
pub fn split_v(area: Rect, top: u16) -> (Rect, Rect) {
    let top = top.min(area.height);
    (
        Rect {
            height: top,
            ..area
        },
        Rect {
            y: area.y.saturating_add(top),
            height: area.height - top,
            ..area
        },
    )
}
