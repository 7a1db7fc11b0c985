//! Screens exported as SVG and HTML: valid XML, the screen's text and its colours, and no
//! colour at all when the frame was drawn without colour.

#![allow(clippy::unwrap_used)] // tests may fail loudly

mod common;

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
