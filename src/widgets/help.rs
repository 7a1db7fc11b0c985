//! The `?` overlay: every global key and every key of the current tab, straight from the key
//! tables (so it cannot drift from what the keys do).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Widget};

use super::panel;
use crate::keymap::{Binding, Key};
use crate::theme::Ui;

/// A titled group of (keys, description) rows.
pub struct Section {
    pub title: String,
    pub rows: Vec<(String, String)>,
}

impl Section {
    pub fn from_table<A>(title: impl Into<String>, table: &[Binding<A>], unicode: bool) -> Self {
        Section {
            title: title.into(),
            rows: table
                .iter()
                .map(|b| (key_list(b.keys, unicode), b.help.to_string()))
                .collect(),
        }
    }
}

/// `"q / C-c"`: the names of a binding's keys; a run of three or more consecutive digits is
/// written as a range (`1-9`).
pub fn key_list(keys: &[Key], unicode: bool) -> String {
    let digits: Vec<u32> = keys
        .iter()
        .filter_map(|k| match (k.code, k.ctrl) {
            (crossterm::event::KeyCode::Char(c), false) => c.to_digit(10),
            _ => None,
        })
        .collect();
    if digits.len() == keys.len()
        && digits.len() >= 3
        && digits.windows(2).all(|w| w[1] == w[0] + 1)
    {
        return format!("{}-{}", digits[0], digits[digits.len() - 1]);
    }
    keys.iter()
        .map(|k| k.name(unicode))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// The help overlay's lines for `area`, and the box they scroll in.
fn overlay_lines(area: Rect, ui: &Ui, sections: &[Section]) -> (Vec<Line<'static>>, Rect) {
    let t = &ui.theme;
    let key_w = sections
        .iter()
        .flat_map(|s| s.rows.iter().map(|(k, _)| k.chars().count()))
        .max()
        .unwrap_or(0) as u16;
    // Descriptions wrap under themselves when the overlay is narrower than the longest row.
    let text_w = (area.width as usize)
        .saturating_sub(key_w as usize + 9)
        .max(12);
    let mut lines: Vec<Line> = Vec::new();
    for (i, s) in sections.iter().enumerate() {
        if i > 0 {
            lines.push(Line::raw(""));
        }
        lines.push(Line::from(Span::styled(s.title.clone(), t.title)));
        for (keys, help) in &s.rows {
            for (j, part) in crate::text::wrap(help, text_w).into_iter().enumerate() {
                let key = if j == 0 { keys.as_str() } else { "" };
                let pad = key_w as usize - key.chars().count();
                lines.push(Line::from(vec![
                    Span::raw("  "),
                    Span::styled(key.to_string(), t.key),
                    Span::raw(" ".repeat(pad + 2)),
                    Span::styled(part, t.base),
                ]));
            }
        }
    }
    // Inside the border, one column of margin on the left.
    let inner = Rect::new(
        area.x.saturating_add(2),
        area.y.saturating_add(1),
        area.width.saturating_sub(3),
        area.height.saturating_sub(2),
    );
    (lines, inner)
}

/// The largest scroll offset the overlay's content allows in `area`.
pub fn max_scroll(area: Rect, ui: &Ui, sections: &[Section]) -> u16 {
    let (lines, inner) = overlay_lines(area, ui, sections);
    super::scroll::max_offset(lines.len(), inner.height)
}

/// The keys the overlay's title names, from the global key table.
pub struct TitleKeys {
    /// The keys that scroll it ("↑↓").
    pub scroll: String,
    /// The keys that close it ("? or Esc").
    pub close: String,
}

/// The help overlay over the whole of `area`, scrolled by `scroll` rows (clamped).
pub fn render(
    area: Rect,
    buf: &mut Buffer,
    ui: &Ui,
    sections: &[Section],
    scroll: u16,
    keys: &TitleKeys,
) {
    let area = area.intersection(buf.area);
    let (lines, _) = overlay_lines(area, ui, sections);
    // The overlay covers the whole body: a box inset over the tab's own panels would show
    // their corners and glyphs in its margins.
    let popup = area;
    Clear.render(popup, buf);
    let more = lines.len() > popup.height.saturating_sub(2) as usize;
    let title = if more {
        format!("help ({} scroll, {} closes)", keys.scroll, keys.close)
    } else {
        format!("help ({} closes)", keys.close)
    };
    let inner = panel(popup, buf, ui, &title, true);
    let inner = Rect::new(
        inner.x + 1,
        inner.y,
        inner.width.saturating_sub(1),
        inner.height,
    );
    super::scroll::render(inner, buf, ui, &lines, scroll);
}
