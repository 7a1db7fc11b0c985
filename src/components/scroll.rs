//! A scrolling text: a note longer than its box, wrapped with `text::wrap`, moved by the same
//! keys on every tab. The offset is clamped when a key moves it, to the extent the shell's
//! layout step recorded for the current size ([`ScrollText::fit`]); render never writes state.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;

use crate::keymap::{self, Action, Binding, Convention};
use crate::theme::Ui;
use crate::widgets::scroll as draw;

/// What the scroll keys do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScrollAct {
    Up,
    Down,
    PageUp,
    PageDown,
}

impl Action for ScrollAct {
    fn convention(self) -> Option<Convention> {
        Some(match self {
            ScrollAct::Up => Convention::ScrollUp,
            ScrollAct::Down => Convention::ScrollDown,
            ScrollAct::PageUp => Convention::PageUp,
            ScrollAct::PageDown => Convention::PageDown,
        })
    }
}

/// One line at a time: every tab with a note has these.
pub const LINE_KEYS: &[Binding<ScrollAct>] = &[
    Binding {
        keys: keymap::SCROLL_DOWN,
        action: ScrollAct::Down,
        help: "scroll the note down (a mark on its right edge shows more below)",
        hint: None,
    },
    Binding {
        keys: keymap::SCROLL_UP,
        action: ScrollAct::Up,
        help: "scroll the note up",
        hint: None,
    },
];

/// A page at a time: for tabs whose page keys move no list of their own.
pub const PAGE_KEYS: &[Binding<ScrollAct>] = &[
    Binding {
        keys: keymap::PAGE_DOWN,
        action: ScrollAct::PageDown,
        help: "scroll the note down a page",
        hint: None,
    },
    Binding {
        keys: keymap::PAGE_UP,
        action: ScrollAct::PageUp,
        help: "scroll the note up a page",
        hint: None,
    },
];

/// A scroll position in a text, with the extent recorded at the last layout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScrollText {
    offset: u16,
    /// The largest useful offset at the last layout (lines − rows).
    max: u16,
    /// Rows shown at the last layout.
    rows: u16,
}

impl ScrollText {
    pub fn new() -> Self {
        ScrollText::default()
    }

    /// The first line shown.
    pub fn offset(&self) -> u16 {
        self.offset
    }

    /// Back to the top (a new text).
    pub fn reset(&mut self) {
        self.offset = 0;
    }

    /// Records the extent of a text of `total` lines shown in `rows` rows, and clamps the
    /// offset to it. The shell's layout step calls this (through the tab) before a frame.
    pub fn set_extent(&mut self, total: usize, rows: u16) {
        self.max = draw::max_offset(total, rows);
        self.rows = rows;
        self.offset = self.offset.min(self.max);
    }

    /// Wraps `text` for `area` (one column is kept for the scroll marks) and records its
    /// extent; returns the wrapped lines.
    pub fn fit(&mut self, text: &str, area: Rect) -> usize {
        let total = crate::text::wrap(text, area.width.saturating_sub(1) as usize).len();
        self.set_extent(total, area.height);
        total
    }

    /// Moves the offset; true when it moved.
    pub fn act(&mut self, act: ScrollAct) -> bool {
        let page = self.rows.saturating_sub(1).max(1);
        let before = self.offset;
        self.offset = match act {
            ScrollAct::Up => self.offset.saturating_sub(1),
            ScrollAct::Down => self.offset.saturating_add(1),
            ScrollAct::PageUp => self.offset.saturating_sub(page),
            ScrollAct::PageDown => self.offset.saturating_add(page),
        }
        .min(self.max);
        self.offset != before
    }

    /// Wraps `text` to `area` (one column kept for the marks) in `style`.
    pub fn lines(text: &str, area: Rect, style: Style) -> Vec<Line<'static>> {
        draw::wrap_lines(text, area.width.saturating_sub(1) as usize, style)
    }

    /// Draws `lines` from the offset, with the marks of more above or below.
    pub fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui, lines: &[Line]) {
        draw::render(area, buf, ui, lines, self.offset);
    }

    /// Wraps and draws `text` in `style`.
    pub fn render_text(&self, area: Rect, buf: &mut Buffer, ui: &Ui, text: &str, style: Style) {
        self.render(area, buf, ui, &Self::lines(text, area, style));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::buffer_text;

    #[test]
    fn keys_stop_at_the_recorded_extent_and_back_up_at_once() {
        let mut s = ScrollText::new();
        s.set_extent(10, 4);
        for _ in 0..20 {
            s.act(ScrollAct::Down);
        }
        assert_eq!(s.offset(), 6, "clamped to 10 lines - 4 rows");
        assert!(!s.act(ScrollAct::Down), "at the end a key changes nothing");
        assert!(s.act(ScrollAct::Up), "one press up is visible at once");
        assert_eq!(s.offset(), 5);
        assert!(s.act(ScrollAct::PageUp));
        assert_eq!(s.offset(), 2, "a page is the rows shown less one");
        s.act(ScrollAct::PageDown);
        s.act(ScrollAct::PageDown);
        assert_eq!(s.offset(), 6);
        // A larger box: the offset comes down with the extent.
        s.set_extent(10, 8);
        assert_eq!(s.offset(), 2);
        s.set_extent(3, 8);
        assert_eq!(s.offset(), 0);
        assert!(!s.act(ScrollAct::Down), "a text that fits does not scroll");
    }

    #[test]
    fn fit_and_render_agree_on_the_wrapped_lines() {
        let ui = Ui::new(crate::theme::ColorDepth::None, false);
        let text = "one two three four five six seven eight nine ten eleven twelve";
        let area = Rect::new(0, 0, 11, 3);
        let mut s = ScrollText::new();
        let total = s.fit(text, area);
        assert_eq!(total, ScrollText::lines(text, area, Style::default()).len());
        while s.act(ScrollAct::Down) {}
        let mut buf = Buffer::empty(area);
        s.render_text(area, &mut buf, &ui, text, Style::default());
        assert!(
            buffer_text(&buf).contains("twelve"),
            "{}",
            buffer_text(&buf)
        );
    }

    #[test]
    fn conventions_hold() {
        assert!(crate::keymap::convention_problems(LINE_KEYS).is_empty());
        assert!(crate::keymap::convention_problems(PAGE_KEYS).is_empty());
    }
}
