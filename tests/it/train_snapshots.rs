//! Whole-screen snapshots of the training lab after a short headless run (20 iterations), at
//! 80×24 and 160×48, in ASCII and without colour.

use crate::common::{assert_colours, body_text, screen};
use dlscope::tab::Options;
use dlscope::theme::{ColorDepth, Ui};

/// To the iterations control, down to 20 iterations, then train.
const SHORT_RUN: &str = "End Left Left Left Left Left Left Left Space";

fn body(width: u16, height: u16, keys: &str, ui: Ui) -> String {
    body_text(&screen(
        "train",
        width,
        height,
        keys,
        ui,
        &Options::default(),
    ))
}

#[test]
fn long_memory_20_iterations_80x24() {
    insta::assert_snapshot!(body(80, 24, SHORT_RUN, Ui::standard()));
}

#[test]
fn long_memory_20_iterations_160x48() {
    insta::assert_snapshot!(body(160, 48, SHORT_RUN, Ui::standard()));
}

#[test]
fn exploding_20_iterations_80x24_ascii_gradient_norm() {
    let keys = format!("e {SHORT_RUN} v");
    let text = body(80, 24, &keys, Ui::new(ColorDepth::Ansi16, false));
    assert!(text.is_ascii(), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn before_training_the_charts_say_how_to_start() {
    let text = body(80, 24, "", Ui::standard());
    assert!(text.contains("Space starts both runs"), "{text}");
    assert!(text.contains("preset long-memory"), "{text}");
}

#[test]
fn no_color_has_no_coloured_cell_and_colour_has_some() {
    let buf = screen(
        "train",
        80,
        24,
        SHORT_RUN,
        Ui::new(ColorDepth::None, true),
        &Options::default(),
    );
    assert_colours(&buf, false);
    let buf = screen(
        "train",
        80,
        24,
        SHORT_RUN,
        Ui::standard(),
        &Options::default(),
    );
    assert_colours(&buf, true);
}

#[test]
fn recall_shows_accuracy_at_200x60() {
    // task → recall, then the short run; the large layout has an accuracy chart.
    let keys = format!("Home Right {SHORT_RUN}");
    let text = body(200, 60, &keys, Ui::standard());
    assert!(text.contains("Accuracy per iteration"), "{text}");
    // 1/8 with the digit that keeps it apart from an accuracy of 12.7%.
    assert!(text.contains("guessing gives 12.5% (1/8)"), "{text}");
    assert!(text.contains("chance 12.5%"), "{text}");
}
