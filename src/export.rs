//! Screens out of the terminal: a rendered frame (a ratatui `Buffer`) as plain text, as text
//! with ANSI colour codes, as SVG (background rectangles and one text run per stretch of
//! same-style cells) and as a standalone HTML page. The colours are the cells' own, so a frame
//! rendered without colour (NO_COLOR, `--color never`) exports without colour. A picture drawn
//! through a terminal image protocol survives only in ANSI (its escapes); the other formats
//! show its cells blank, so `dlscope snapshot` draws pictures as cells for them.

use std::fmt::Write as _;

use ratatui::buffer::{Buffer, Cell, CellDiffOption};
use ratatui::style::{Color, Modifier};

/// The formats `dlscope snapshot --format` and the export key write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Plain text, one line per row, trailing spaces removed.
    #[default]
    Text,
    /// Text with ANSI SGR colour and attribute codes, as a terminal would get it.
    Ansi,
    /// An SVG image: monospace text over background rectangles.
    Svg,
    /// A standalone HTML page with the frame in a `<pre>`.
    Html,
}

impl Format {
    /// The file extension for this format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Text => "txt",
            Format::Ansi => "ans",
            Format::Svg => "svg",
            Format::Html => "html",
        }
    }
}

/// The frame in `format`.
pub fn render(buf: &Buffer, format: Format) -> String {
    match format {
        Format::Text => crate::snapshot::buffer_text(buf),
        Format::Ansi => ansi(buf),
        Format::Svg => svg(buf),
        Format::Html => html(buf),
    }
}

/// The terminal's own colours for cells that do not set one (a dark terminal).
const DEFAULT_FG: (u8, u8, u8) = (0xd0, 0xd0, 0xd0);
const DEFAULT_BG: (u8, u8, u8) = (0x1c, 0x1c, 0x1c);

/// The xterm palette of the 16 named colours.
const ANSI16: [(u8, u8, u8); 16] = [
    (0x00, 0x00, 0x00),
    (0xcd, 0x00, 0x00),
    (0x00, 0xcd, 0x00),
    (0xcd, 0xcd, 0x00),
    (0x00, 0x00, 0xee),
    (0xcd, 0x00, 0xcd),
    (0x00, 0xcd, 0xcd),
    (0xe5, 0xe5, 0xe5),
    (0x7f, 0x7f, 0x7f),
    (0xff, 0x00, 0x00),
    (0x00, 0xff, 0x00),
    (0xff, 0xff, 0x00),
    (0x5c, 0x5c, 0xff),
    (0xff, 0x00, 0xff),
    (0x00, 0xff, 0xff),
    (0xff, 0xff, 0xff),
];

/// The index (0–15) of a named ANSI colour; `None` for the default, indexed and RGB colours.
fn named_index(color: Color) -> Option<u8> {
    Some(match color {
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
        Color::Reset | Color::Indexed(_) | Color::Rgb(..) => return None,
    })
}

/// The RGB value of a colour, `None` for the terminal's default.
pub fn rgb(color: Color) -> Option<(u8, u8, u8)> {
    match color {
        Color::Reset => None,
        Color::Rgb(r, g, b) => Some((r, g, b)),
        Color::Indexed(i) => Some(indexed(i)),
        named => named_index(named).map(|i| ANSI16[i as usize]),
    }
}

/// The xterm 256-colour palette: 16 named, a 6×6×6 cube, 24 greys.
fn indexed(i: u8) -> (u8, u8, u8) {
    match i {
        0..=15 => ANSI16[i as usize],
        16..=231 => {
            let n = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
            (level(n / 36), level((n / 6) % 6), level(n % 6))
        }
        _ => {
            let g = 8 + 10 * (i - 232);
            (g, g, g)
        }
    }
}

/// An RGB colour; `None` where the terminal's default applies.
type Rgb = Option<(u8, u8, u8)>;

/// The colours a cell is drawn with, after `REVERSED`: (foreground, background).
fn cell_colours(cell: &Cell) -> (Rgb, Rgb) {
    let (fg, bg) = (rgb(cell.fg), rgb(cell.bg));
    if cell.modifier.contains(Modifier::REVERSED) {
        (bg.or(Some(DEFAULT_BG)), fg.or(Some(DEFAULT_FG)))
    } else {
        (fg, bg)
    }
}

fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// The SGR parameters that set a cell's style from a reset state.
fn sgr(cell: &Cell) -> String {
    let mut codes: Vec<String> = Vec::new();
    let m = cell.modifier;
    for (flag, code) in [
        (Modifier::BOLD, "1"),
        (Modifier::DIM, "2"),
        (Modifier::ITALIC, "3"),
        (Modifier::UNDERLINED, "4"),
        (Modifier::REVERSED, "7"),
        (Modifier::CROSSED_OUT, "9"),
    ] {
        if m.contains(flag) {
            codes.push(code.into());
        }
    }
    let colour = |c: Color, base: u8| -> Option<String> {
        match c {
            Color::Reset => None,
            Color::Indexed(i) => Some(format!("{};5;{i}", base + 8)),
            Color::Rgb(r, g, b) => Some(format!("{};2;{r};{g};{b}", base + 8)),
            named => named_index(named).map(|i| {
                if i < 8 {
                    format!("{}", base + i)
                } else {
                    format!("{}", base + 60 + i - 8)
                }
            }),
        }
    };
    codes.extend(colour(cell.fg, 30));
    codes.extend(colour(cell.bg, 40));
    codes.join(";")
}

/// The frame with ANSI SGR codes: each change of style resets and sets the new one; every
/// line ends reset. A cell holding image escapes (kitty, sixel, iTerm2) sends them with the
/// cursor saved and restored (DECSC, DECRC) and then steps over the cell; the cells the image
/// covers are stepped over (CUF), not written, so the picture is not erased.
pub fn ansi(buf: &Buffer) -> String {
    let a = buf.area;
    let mut out = String::new();
    for y in a.y..a.y + a.height {
        let mut current = String::new();
        let mut line = String::new();
        let mut covered = 0u16;
        for x in a.x..a.x + a.width {
            let cell = &buf[(x, y)];
            if cell.diff_option == CellDiffOption::Skip {
                covered += 1;
                continue;
            }
            if covered > 0 {
                let _ = write!(line, "\x1b[{covered}C");
                covered = 0;
            }
            let style = sgr(cell);
            if style != current {
                line.push_str("\x1b[0m");
                if !style.is_empty() {
                    let _ = write!(line, "\x1b[{style}m");
                }
                current = style;
            }
            if cell.symbol().contains('\x1b') {
                let _ = write!(line, "\x1b7{}\x1b8\x1b[C", cell.symbol());
            } else {
                line.push_str(cell.symbol());
            }
        }
        if !current.is_empty() {
            line.push_str("\x1b[0m");
        }
        out.push_str(trim_end(&line));
        out.push_str("\x1b[0m\n");
    }
    out
}

/// A line without what carries nothing at its end: default-styled spaces, a reset (one ends
/// every line anyway) and steps over cells an image covers.
fn trim_end(line: &str) -> &str {
    let mut t = line;
    loop {
        let before = t.len();
        t = t.trim_end_matches(' ');
        t = t.strip_suffix("\x1b[0m").unwrap_or(t);
        if let Some(head) = t.strip_suffix('C')
            && let Some(start) = head.rfind("\x1b[")
            && head[start + 2..].bytes().all(|b| b.is_ascii_digit())
        {
            t = &t[..start];
        }
        if t.len() == before {
            return t;
        }
    }
}

fn escape_xml(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 has no place for other control characters.
            c if (c as u32) < 0x20 => out.push(' '),
            c => out.push(c),
        }
    }
}

/// Cell size in the SVG, in pixels.
pub const CELL_W: u32 = 10;
pub const CELL_H: u32 = 20;

/// A stretch of cells on one row with the same look.
struct Run {
    x: u16,
    cells: u16,
    text: String,
    fg: Rgb,
    bg: Rgb,
    modifier: Modifier,
}

/// The row's cells grouped into runs of the same colours and attributes.
fn runs(buf: &Buffer, y: u16) -> Vec<Run> {
    let a = buf.area;
    let mut out: Vec<Run> = Vec::new();
    for x in a.x..a.x + a.width {
        let cell = &buf[(x, y)];
        let (fg, bg) = cell_colours(cell);
        let modifier = cell.modifier - Modifier::REVERSED;
        let symbol = crate::snapshot::visible(cell.symbol());
        match out.last_mut() {
            Some(r) if r.fg == fg && r.bg == bg && r.modifier == modifier => {
                r.cells += 1;
                r.text.push_str(symbol);
            }
            _ => out.push(Run {
                x,
                cells: 1,
                text: symbol.to_string(),
                fg,
                bg,
                modifier,
            }),
        }
    }
    out
}

/// The frame as an SVG image: one background rectangle per run with a colour of its own, one
/// `<text>` per run with visible characters, cells `CELL_W`×`CELL_H` pixels.
pub fn svg(buf: &Buffer) -> String {
    let a = buf.area;
    let (w, h) = (u32::from(a.width) * CELL_W, u32::from(a.height) * CELL_H);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="16">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="100%" height="100%" fill="{}"/>"#,
        hex(DEFAULT_BG)
    );
    for y in a.y..a.y + a.height {
        let row = u32::from(y - a.y);
        for r in runs(buf, y) {
            let x = u32::from(r.x - a.x) * CELL_W;
            if let Some(bg) = r.bg {
                let _ = writeln!(
                    out,
                    r#"<rect x="{x}" y="{}" width="{}" height="{CELL_H}" fill="{}"/>"#,
                    row * CELL_H,
                    u32::from(r.cells) * CELL_W,
                    hex(bg)
                );
            }
            if r.text.trim().is_empty() {
                continue;
            }
            let mut attrs = format!(r#" fill="{}""#, hex(r.fg.unwrap_or(DEFAULT_FG)));
            if r.modifier.contains(Modifier::BOLD) {
                attrs.push_str(r#" font-weight="bold""#);
            }
            if r.modifier.contains(Modifier::ITALIC) {
                attrs.push_str(r#" font-style="italic""#);
            }
            if r.modifier.contains(Modifier::DIM) {
                attrs.push_str(r#" fill-opacity="0.6""#);
            }
            if r.modifier.contains(Modifier::UNDERLINED) {
                attrs.push_str(r#" text-decoration="underline""#);
            }
            let _ = write!(
                out,
                r#"<text x="{x}" y="{}" textLength="{}" lengthAdjust="spacingAndGlyphs" xml:space="preserve"{attrs}>"#,
                row * CELL_H + CELL_H * 3 / 4,
                u32::from(r.cells) * CELL_W,
            );
            escape_xml(&r.text, &mut out);
            out.push_str("</text>\n");
        }
    }
    out.push_str("</svg>\n");
    out
}

/// The frame as a standalone HTML page: a `<pre>` with one `<span>` per styled run.
pub fn html(buf: &Buffer) -> String {
    let a = buf.area;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>dlscope</title>\n<style>\nbody {{ background: {bg}; margin: 1em; }}\npre {{ color: {fg}; background: {bg}; font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 14px; line-height: 1.25; }}\n</style>\n</head>\n<body>\n<pre>",
        bg = hex(DEFAULT_BG),
        fg = hex(DEFAULT_FG)
    );
    for y in a.y..a.y + a.height {
        for r in runs(buf, y) {
            let mut style = String::new();
            if let Some(fg) = r.fg {
                let _ = write!(style, "color:{};", hex(fg));
            }
            if let Some(bg) = r.bg {
                let _ = write!(style, "background:{};", hex(bg));
            }
            if r.modifier.contains(Modifier::BOLD) {
                style.push_str("font-weight:bold;");
            }
            if r.modifier.contains(Modifier::ITALIC) {
                style.push_str("font-style:italic;");
            }
            if r.modifier.contains(Modifier::DIM) {
                style.push_str("opacity:0.6;");
            }
            if r.modifier.contains(Modifier::UNDERLINED) {
                style.push_str("text-decoration:underline;");
            }
            if style.is_empty() {
                escape_xml(&r.text, &mut out);
            } else {
                let _ = write!(out, "<span style=\"{style}\">");
                escape_xml(&r.text, &mut out);
                out.push_str("</span>");
            }
        }
        out.push('\n');
    }
    out.push_str("</pre>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    fn sample() -> Buffer {
        let mut buf = Buffer::empty(Rect::new(0, 0, 12, 2));
        buf.set_string(0, 0, "a<b & \"c\"", Style::default().fg(Color::Red));
        buf.set_string(
            0,
            1,
            "‖x‖ ok",
            Style::default()
                .bg(Color::Indexed(236))
                .add_modifier(Modifier::BOLD),
        );
        buf
    }

    #[test]
    fn palette_matches_xterm() {
        assert_eq!(indexed(16), (0, 0, 0));
        assert_eq!(indexed(231), (255, 255, 255));
        assert_eq!(indexed(196), (255, 0, 0));
        assert_eq!(indexed(232), (8, 8, 8));
        assert_eq!(indexed(255), (238, 238, 238));
        assert_eq!(rgb(Color::Reset), None);
    }

    #[test]
    fn ansi_sets_and_resets_styles() {
        let text = ansi(&sample());
        assert!(text.contains("\x1b[31ma<b"), "{text:?}");
        assert!(text.contains("\x1b[1;48;5;236m‖x‖ ok"), "{text:?}");
        assert_eq!(text.lines().count(), 2);
        let plain: String = text
            .split('\x1b')
            .map(|p| p.split_once('m').map_or(p, |(_, rest)| rest))
            .collect();
        assert!(plain.starts_with("a<b & \"c\""), "{plain:?}");
    }

    #[test]
    fn svg_escapes_and_keeps_colours() {
        let s = svg(&sample());
        assert!(s.contains("a&lt;b &amp; &quot;c&quot;"), "{s}");
        assert!(s.contains("fill=\"#cd0000\""), "red text: {s}");
        assert!(s.contains("fill=\"#303030\""), "grey 236 background: {s}");
        assert!(s.contains("font-weight=\"bold\""));
        assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn image_cells_are_sent_in_ansi_and_blank_elsewhere() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 2));
        buf.set_string(0, 0, "ab", Style::default());
        buf[(2, 0)].set_symbol("\x1bPq#0~-\x1b\\");
        for (x, y) in [(3, 0), (2, 1), (3, 1)] {
            buf[(x, y)].set_diff_option(CellDiffOption::Skip);
        }
        buf.set_string(4, 0, "z", Style::default());
        let text = ansi(&buf);
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("ab\x1b7\x1bPq#0~-\x1b\\\x1b8\x1b[C\x1b[1Cz\x1b[0m")
        );
        // Covered cells at the end of a row are simply left.
        assert_eq!(lines.next(), Some("\x1b[0m"));
        assert_eq!(crate::snapshot::buffer_text(&buf), "ab  z\n\n");
        assert!(!svg(&buf).contains('\x1b'));
        assert!(!html(&buf).contains('\x1b'));
    }

    #[test]
    fn html_is_a_page_with_the_text() {
        let h = html(&sample());
        assert!(h.starts_with("<!DOCTYPE html>"));
        assert!(h.contains("<span style=\"color:#cd0000;\">a&lt;b &amp; &quot;c&quot;"));
        assert!(h.contains("‖x‖ ok"));
    }
}
