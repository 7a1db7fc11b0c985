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
    pub rows: Vec<(String, &'static str)>,
}

impl Section {
    pub fn from_table<A>(title: impl Into<String>, table: &[Binding<A>], unicode: bool) -> Self {
        Section {
            title: title.into(),
            rows: table
                .iter()
                .map(|b| (key_list(b.keys, unicode), b.help))
                .collect(),
        }
    }
}

/// `"q / C-c"`: the names of a binding's keys.
pub fn key_list(keys: &[Key], unicode: bool) -> String {
    keys.iter()
        .map(|k| k.name(unicode))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// The help overlay, scrolled by `scroll` rows; returns the number of rows it has in all.
pub fn render(area: Rect, buf: &mut Buffer, ui: &Ui, sections: &[Section], scroll: u16) -> u16 {
    let area = area.intersection(buf.area);
    let t = &ui.theme;
    let key_w = sections
        .iter()
        .flat_map(|s| s.rows.iter().map(|(k, _)| k.chars().count()))
        .max()
        .unwrap_or(0) as u16;
    // Descriptions wrap under themselves when the overlay is narrower than the longest row.
    let text_w = (area.width as usize)
        .saturating_sub(key_w as usize + 8)
        .max(12);
    let mut lines: Vec<Line> = Vec::new();
    for (i, s) in sections.iter().enumerate() {
        if i > 0 {
            lines.push(Line::raw(""));
        }
        lines.push(Line::from(Span::styled(s.title.clone(), t.title)));
        for (keys, help) in &s.rows {
            for (j, part) in wrap(help, text_w).into_iter().enumerate() {
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
    let total = lines.len() as u16;
    let widest = lines.iter().map(|l| l.width()).max().unwrap_or(0) as u16;
    let w = (widest + 4).min(area.width);
    let h = (total + 2).min(area.height);
    let popup = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    Clear.render(popup, buf);
    let more = total > h.saturating_sub(2);
    let title = if more {
        format!(
            "help ({}{} scroll, ? or Esc closes)",
            ui.glyphs.up, ui.glyphs.down
        )
    } else {
        "help (? or Esc closes)".to_string()
    };
    let inner = panel(popup, buf, ui, &title, true);
    let inner = Rect::new(
        inner.x + 1,
        inner.y,
        inner.width.saturating_sub(1),
        inner.height,
    );
    let max_scroll = total.saturating_sub(inner.height);
    let skip = scroll.min(max_scroll) as usize;
    super::lines(inner, buf, &lines[skip.min(lines.len())..]);
    total
}

/// Splits `text` into lines of at most `width` characters at spaces (a longer word is cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if needed > width && !line.is_empty() {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push(line);
    out
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wraps_at_spaces() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("short", 20), vec!["short"]);
        assert_eq!(wrap("", 5), vec![""]);
    }
}
