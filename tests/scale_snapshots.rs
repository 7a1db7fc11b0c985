//! Whole-screen snapshots of the Scale-invariance tab, driven by keys through the headless app.

#![allow(clippy::unwrap_used)] // tests and benchmarks may fail loudly

use dlscope::keymap::parse_keys;
use dlscope::snapshot::buffer_text;
use dlscope::snapshot::capture;
use dlscope::tab::Options;
use dlscope::theme::{ColorDepth, Ui};
use ratatui::buffer::Buffer;

fn screen(width: u16, height: u16, keys: &str, ui: Ui) -> Buffer {
    let keys = parse_keys(keys).expect("key names");
    capture("scale", width, height, &keys, ui, &Options::default()).expect("a frame")
}

#[test]
fn opening_screen_80x24() {
    let text = buffer_text(&screen(80, 24, "", Ui::standard()));
    assert!(text.contains("3b  plain, step 200/200"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn opening_screen_160x48() {
    let text = buffer_text(&screen(160, 48, "", Ui::standard()));
    assert!(
        text.contains("one-step gap against η: slope 2.00"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn charts_view_80x24() {
    insta::assert_snapshot!(buffer_text(&screen(80, 24, "v", Ui::standard())));
}

#[test]
fn weight_decay_run_on_the_plane_160x48() {
    let text = buffer_text(&screen(160, 48, "w", Ui::standard()));
    assert!(text.contains("3b  with weight decay"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn ratio_runs_away_80x24() {
    // Rayleigh -> logistic -> ratio.
    let text = buffer_text(&screen(80, 24, "f f", Ui::standard()));
    assert!(text.contains("ran away at step 13"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn logistic_paused_mid_run_160x48() {
    // Logistic, back to step 0, then three single steps.
    let text = buffer_text(&screen(160, 48, "f Home . . .", Ui::standard()));
    assert!(text.contains("step 3/200 paused"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn larger_step_and_scale_after_control_keys_80x24() {
    // Down to η, two notches up (0.1 -> 0.5); down to λ, one notch up (2 -> 5).
    let text = buffer_text(&screen(80, 24, "j l l j l", Ui::standard()));
    assert!(
        text.contains("0.500") && text.contains("λ = 5.00"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn no_color_80x24() {
    insta::assert_snapshot!(buffer_text(&screen(
        80,
        24,
        "",
        Ui::new(ColorDepth::None, true)
    )));
}

#[test]
fn ascii_only_at_both_sizes() {
    for (w, h) in [(80, 24), (160, 48)] {
        for keys in ["", "v", "f f", "w"] {
            let text = buffer_text(&screen(w, h, keys, Ui::new(ColorDepth::Ansi16, false)));
            assert!(
                text.is_ascii(),
                "{w}x{h} after {keys:?}:\n{}",
                text.chars().filter(|c| !c.is_ascii()).collect::<String>()
            );
        }
    }
    insta::assert_snapshot!(buffer_text(&screen(
        80,
        24,
        "",
        Ui::new(ColorDepth::Ansi16, false)
    )));
}

#[test]
fn styled_80x24() {
    insta::assert_debug_snapshot!(screen(80, 24, "", Ui::standard()));
}
