//! Screens exported as SVG and HTML: valid XML, the screen's text and its colours, and no
//! colour at all when the frame was drawn without colour; ANSI with the image escapes of
//! `--graphics kitty|sixel|iterm2`, the other formats with the pictures as cells.

use std::process::Command;

fn snapshot(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dlscope"));
    cmd.arg("snapshot").args(args).env_remove("NO_COLOR");
    cmd.env("LANG", "en_US.UTF-8");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The text of each `<text>` element, in document order.
fn svg_texts(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").to_string())
        .collect()
}

fn fills(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter_map(|n| n.attribute("fill").map(str::to_string))
        .collect()
}

#[test]
fn svg_is_valid_xml_with_the_screens_text_and_colours() {
    let plain = snapshot(&["--tab", "resnet", "--width", "80", "--height", "24"], &[]);
    let svg = snapshot(
        &[
            "--tab", "resnet", "--width", "80", "--height", "24", "--format", "svg",
        ],
        &[],
    );
    let doc = roxmltree::Document::parse(&svg).expect("valid XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("width"), Some("800"));
    assert_eq!(root.attribute("height"), Some("480"));
    let texts = svg_texts(&doc).concat();
    for word in ["dlscope", "ResNet", "conv1", "118,013,952"] {
        assert!(plain.contains(word), "the text frame lacks {word}");
        assert!(texts.contains(word), "the SVG lacks {word}");
    }
    // Colours: more than the default foreground and background.
    let mut distinct = fills(&doc);
    distinct.sort();
    distinct.dedup();
    assert!(distinct.len() >= 4, "{distinct:?}");
}

#[test]
fn without_colour_the_svg_has_only_the_default_colours() {
    let svg = snapshot(
        &[
            "--tab", "scale", "--width", "80", "--height", "24", "--format", "svg",
        ],
        &[("NO_COLOR", "1")],
    );
    let doc = roxmltree::Document::parse(&svg).expect("valid XML");
    let mut distinct = fills(&doc);
    distinct.sort();
    distinct.dedup();
    // The page background, the default text colour, and reversed cells' swap of the two.
    for f in &distinct {
        assert!(
            f == "#1c1c1c" || f == "#d0d0d0",
            "colour {f} under NO_COLOR"
        );
    }
}

#[test]
fn html_is_a_standalone_page_and_ansi_has_codes() {
    let html = snapshot(&["--tab", "rnn", "--format", "html"], &[]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("RNN vs LSTM"));
    assert!(html.contains("<span style=\"color:#"));
    let ansi = snapshot(&["--tab", "rnn", "--format", "ansi"], &[]);
    assert!(ansi.contains("\x1b["));
    let ansi_plain = snapshot(
        &["--tab", "rnn", "--format", "ansi", "--color", "never"],
        &[],
    );
    assert!(
        !ansi_plain.contains("\x1b[3") && !ansi_plain.contains("\x1b[4"),
        "colour codes under --color never"
    );
}

/// The low-rank tab at 120×40 (the wide layout: three images) with `extra` flags.
fn lowrank(extra: &[&str]) -> String {
    let mut args = vec!["--tab", "lowrank"];
    args.extend_from_slice(extra);
    // 256 colours, so the cell fallback is half blocks.
    snapshot(&args, &[("TERM", "xterm-256color"), ("COLORTERM", "")])
}

/// `s=W,v=H` of each kitty transmission: the pixel sizes of the images sent.
fn kitty_sizes(ansi: &str) -> Vec<(u32, u32)> {
    ansi.split("\x1b_Gq=2,i=")
        .skip(1)
        .filter_map(|t| {
            let head = t.split(';').next()?;
            let field = |k: &str| {
                head.split(',')
                    .find_map(|f| f.strip_prefix(k))
                    .and_then(|v| v.parse::<u32>().ok())
            };
            Some((field("s=")?, field("v=")?))
        })
        .collect()
}

#[test]
fn ansi_carries_kitty_images_as_a_terminal_gets_them() {
    let ansi = lowrank(&["--graphics", "kitty", "--format", "ansi"]);
    // Three images (original, approximation, residual), each transmitted once.
    assert_eq!(
        ansi.matches("\x1b_Gq=2,i=").count(),
        3,
        "three transmissions"
    );
    // Placed by kitty's Unicode placeholders, 30×15 cells each at 10×20 pixels a cell.
    assert_eq!(kitty_sizes(&ansi), vec![(300, 300); 3]);
    assert_eq!(ansi.matches('\u{10EEEE}').count(), 3 * 30 * 15);
    // The frame's text is all there.
    for text in ["rank 10 approximation", "residual", "singular values"] {
        assert!(ansi.contains(text), "{text}");
    }
    // Another cell size: the same cells, other pixels.
    let ansi = lowrank(&[
        "--graphics",
        "kitty",
        "--format",
        "ansi",
        "--cell-size",
        "8x16",
    ]);
    assert_eq!(kitty_sizes(&ansi), vec![(240, 240); 3]);
}

#[test]
fn ansi_carries_sixel_and_iterm2_images_without_erasing_them() {
    let ansi = lowrank(&["--graphics", "sixel", "--format", "ansi"]);
    // A DCS sixel sequence per image, sent with the cursor saved and restored.
    let sixels: Vec<&str> = ansi.split("\x1b7").skip(1).collect();
    assert_eq!(sixels.len(), 3, "three images");
    for s in &sixels {
        let dcs = s.find("\x1bP").expect("a DCS");
        let q = s[dcs..].find('q').expect("the sixel introducer");
        assert!(
            s[dcs + 2..dcs + q]
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b';'),
            "{:?}",
            &s[dcs..dcs + q + 1]
        );
        assert!(s.contains("\x1b\\\x1b8"), "ends, then the cursor goes back");
    }
    // The cells under an image are stepped over (CUF), never overwritten with spaces.
    assert!(
        ansi.contains("\x1b[29C"),
        "the rest of an image's first row"
    );
    let iterm2 = lowrank(&["--graphics", "iterm2", "--format", "ansi"]);
    assert_eq!(iterm2.matches("\x1b]1337;File=inline=1;").count(), 3);
}

#[test]
fn text_svg_and_html_draw_protocol_images_as_cells() {
    let plain = lowrank(&[]);
    assert!(plain.contains('▀'), "half blocks at 256 colours");
    for protocol in ["kitty", "sixel", "iterm2"] {
        assert_eq!(lowrank(&["--graphics", protocol]), plain, "{protocol}");
        for format in ["svg", "html"] {
            assert_eq!(
                lowrank(&["--graphics", protocol, "--format", format]),
                lowrank(&["--format", format]),
                "{protocol} {format}"
            );
        }
    }
    assert_eq!(lowrank(&["--graphics", "blocks"]), plain);
    assert_eq!(lowrank(&["--graphics", "auto"]), plain);
}

#[test]
fn ascii_pictures_follow_ascii_unless_graphics_says_otherwise() {
    let ascii = lowrank(&["--ascii"]);
    assert!(ascii.is_ascii());
    assert_eq!(lowrank(&["--ascii", "--graphics", "ascii"]), ascii);
    // Only the pictures: the ramp in a Unicode frame.
    let ramp = lowrank(&["--graphics", "ascii"]);
    assert!(
        !ramp.contains('▀') && ramp.contains('╭') && ramp.contains("####"),
        "{ramp}"
    );
    // --graphics wins over --ascii: kitty images in an ASCII frame.
    let ansi = lowrank(&["--ascii", "--graphics", "kitty", "--format", "ansi"]);
    assert_eq!(ansi.matches("\x1b_Gq=2,i=").count(), 3);
    assert!(ansi.contains("+-"), "ASCII borders");
}
