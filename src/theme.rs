//! Colours and glyphs: the 16 named ANSI colours by default, no colour at all for NO_COLOR,
//! deeper greys only where the terminal says it has them, and ASCII glyphs where the locale
//! is not UTF-8.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;

pub use crate::color::{ColorChoice, ColorDepth};
use crate::graphics::Images;

/// Named styles; every widget takes its colours from here.
#[derive(Clone, Debug)]
pub struct Theme {
    pub base: Style,
    pub title: Style,
    pub border: Style,
    pub border_focus: Style,
    pub tab_active: Style,
    pub tab_inactive: Style,
    pub key: Style,
    pub hint: Style,
    pub dim: Style,
    pub accent: Style,
    pub selected: Style,
    pub good: Style,
    pub bad: Style,
    pub warn: Style,
    pub number: Style,
    pub cursor: Style,
    /// The part of a name a filter matched.
    pub matched: Style,
    /// Line styles for chart series, in order; distinct in colour and, without colour, in glyph.
    pub series: [Style; 4],
}

impl Theme {
    /// The default theme in the 16 named ANSI colours.
    pub fn ansi() -> Self {
        Theme {
            base: Style::default(),
            title: Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            border: Style::default().fg(Color::DarkGray),
            border_focus: Style::default().fg(Color::Cyan),
            tab_active: Style::default()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            tab_inactive: Style::default().fg(Color::Gray),
            key: Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            hint: Style::default().fg(Color::Gray),
            dim: Style::default().fg(Color::DarkGray),
            accent: Style::default().fg(Color::Magenta),
            selected: Style::default()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            good: Style::default().fg(Color::Green),
            bad: Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            warn: Style::default().fg(Color::Yellow),
            number: Style::default().fg(Color::White),
            cursor: Style::default().fg(Color::Yellow),
            matched: Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            series: [
                Style::default().fg(Color::Cyan),
                Style::default().fg(Color::Magenta),
                Style::default().fg(Color::Green),
                Style::default().fg(Color::Yellow),
            ],
        }
    }

    /// No colour at all: emphasis is bold, reverse and underline only.
    pub fn mono() -> Self {
        let plain = Style::default();
        let bold = plain.add_modifier(Modifier::BOLD);
        Theme {
            base: plain,
            title: bold,
            border: plain,
            border_focus: bold,
            tab_active: plain.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            tab_inactive: plain,
            key: bold,
            hint: plain,
            dim: plain,
            accent: bold,
            selected: plain.add_modifier(Modifier::REVERSED),
            good: plain,
            bad: bold,
            warn: bold,
            number: plain,
            cursor: bold,
            matched: bold.add_modifier(Modifier::UNDERLINED),
            series: [plain, plain, plain, plain],
        }
    }
}

/// Every glyph the app draws, in Unicode or in plain ASCII.
#[derive(Clone, Debug)]
pub struct Glyphs {
    pub unicode: bool,
    pub border: border::Set<'static>,
    pub tree_branch: &'static str,
    pub tree_last: &'static str,
    pub tree_pipe: &'static str,
    pub tree_space: &'static str,
    pub expanded: &'static str,
    pub collapsed: &'static str,
    pub leaf: &'static str,
    pub left: &'static str,
    pub right: &'static str,
    pub up: &'static str,
    pub down: &'static str,
    pub slider_fill: &'static str,
    pub slider_empty: &'static str,
    pub slider_knob: &'static str,
    pub check: &'static str,
    pub cross: &'static str,
    pub ellipsis: &'static str,
    pub bullet: &'static str,
    pub h_line: &'static str,
    pub v_line: &'static str,
    pub times: &'static str,
    pub approx: &'static str,
    /// The thumb of a scroll bar.
    pub scroll_thumb: &'static str,
    /// One mark per chart series, used when a series is drawn one point per cell.
    pub series_marks: [&'static str; 4],
}

impl Glyphs {
    pub fn unicode() -> Self {
        Glyphs {
            unicode: true,
            border: border::ROUNDED,
            tree_branch: "├─",
            tree_last: "└─",
            tree_pipe: "│ ",
            tree_space: "  ",
            expanded: "▾",
            collapsed: "▸",
            leaf: "·",
            left: "←",
            right: "→",
            up: "↑",
            down: "↓",
            slider_fill: "━",
            slider_empty: "─",
            slider_knob: "●",
            check: "✓",
            cross: "✗",
            ellipsis: "…",
            bullet: "•",
            h_line: "─",
            v_line: "│",
            times: "×",
            approx: "≈",
            scroll_thumb: "┃",
            series_marks: ["•", "+", "x", "o"],
        }
    }

    pub fn ascii() -> Self {
        Glyphs {
            unicode: false,
            border: border::Set {
                top_left: "+",
                top_right: "+",
                bottom_left: "+",
                bottom_right: "+",
                vertical_left: "|",
                vertical_right: "|",
                horizontal_top: "-",
                horizontal_bottom: "-",
            },
            tree_branch: "|-",
            tree_last: "`-",
            tree_pipe: "| ",
            tree_space: "  ",
            expanded: "v",
            collapsed: ">",
            leaf: "-",
            left: "<-",
            right: "->",
            up: "^",
            down: "v",
            slider_fill: "=",
            slider_empty: "-",
            slider_knob: "O",
            check: "ok",
            cross: "X",
            ellipsis: "...",
            bullet: "*",
            h_line: "-",
            v_line: "|",
            times: "x",
            approx: "~",
            scroll_thumb: "#",
            series_marks: ["*", "+", "x", "o"],
        }
    }

    /// True when the locale (LC_ALL, then LC_CTYPE, then LANG: the first that is set) is UTF-8.
    pub fn locale_is_utf8(env: &dyn Fn(&str) -> Option<String>) -> bool {
        ["LC_ALL", "LC_CTYPE", "LANG"]
            .iter()
            .filter_map(|k| env(k).filter(|v| !v.is_empty()))
            .next()
            .is_some_and(|v| {
                let v = v.to_ascii_lowercase();
                v.contains("utf-8") || v.contains("utf8")
            })
    }
}

/// Everything a tab needs to draw: styles, glyphs, the colour depth and how pictures are drawn.
#[derive(Clone, Debug)]
pub struct Ui {
    pub theme: Theme,
    pub glyphs: Glyphs,
    pub depth: ColorDepth,
    /// Pictures through an image protocol or as cells (`--graphics`).
    pub images: Images,
}

impl Ui {
    pub fn new(depth: ColorDepth, unicode: bool) -> Self {
        Ui {
            theme: if depth == ColorDepth::None {
                Theme::mono()
            } else {
                Theme::ansi()
            },
            glyphs: if unicode {
                Glyphs::unicode()
            } else {
                Glyphs::ascii()
            },
            depth,
            images: Images::cells(depth, unicode),
        }
    }

    /// The same, drawing pictures as `images` says.
    pub fn with_images(mut self, images: Images) -> Self {
        self.images = images;
        self
    }

    /// The same with pictures as cells (for text, SVG and the clipboard): a protocol's cells
    /// hold escapes, not text.
    pub fn cells_only(&self) -> Ui {
        let mut ui = self.clone();
        if ui.images.protocol().is_some() {
            ui.images = Images::cells(self.depth, self.glyphs.unicode);
        }
        ui
    }

    /// The theme of tests and README snapshots: 16 colours, Unicode glyphs.
    pub fn standard() -> Self {
        Ui::new(ColorDepth::Ansi16, true)
    }

    pub fn has_color(&self) -> bool {
        self.depth != ColorDepth::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::color::env_of;

    #[test]
    fn locale_decides_unicode() {
        assert!(Glyphs::locale_is_utf8(&env_of(&[("LANG", "en_US.UTF-8")])));
        assert!(!Glyphs::locale_is_utf8(&env_of(&[("LANG", "C")])));
        assert!(!Glyphs::locale_is_utf8(&env_of(&[])));
        // LC_ALL overrides LANG.
        assert!(!Glyphs::locale_is_utf8(&env_of(&[
            ("LC_ALL", "POSIX"),
            ("LANG", "en_US.utf8")
        ])));
    }

    #[test]
    fn ascii_glyphs_are_ascii() {
        let g = Glyphs::ascii();
        let all = [
            g.tree_branch,
            g.tree_last,
            g.tree_pipe,
            g.expanded,
            g.collapsed,
            g.leaf,
            g.left,
            g.right,
            g.up,
            g.down,
            g.slider_fill,
            g.slider_empty,
            g.slider_knob,
            g.check,
            g.cross,
            g.ellipsis,
            g.bullet,
            g.h_line,
            g.v_line,
            g.times,
            g.approx,
            g.border.top_left,
            g.border.horizontal_top,
            g.border.vertical_left,
        ];
        for s in all.iter().chain(g.series_marks.iter()) {
            assert!(s.is_ascii(), "{s:?} is not ASCII");
        }
    }
}
