//! Whole-screen snapshots of the Scale-invariance tab, driven by keys through the headless app.

use crate::common;
use dlscope::snapshot::{Moment, capture_at};
use dlscope::tab::Options;
use dlscope::theme::{ColorDepth, Ui};
use ratatui::buffer::Buffer;

fn screen(width: u16, height: u16, keys: &str, ui: Ui) -> Buffer {
    common::screen("scale", width, height, keys, ui, &Options::default())
}

/// The body of a settled frame (without the tab bar row).
fn body(width: u16, height: u16, keys: &str, ui: Ui) -> String {
    common::body_text(&screen(width, height, keys, ui))
}

#[test]
fn opening_screen_80x24() {
    let text = body(80, 24, "", Ui::standard());
    assert!(text.contains("3b plain, step 200 of 200"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn opening_screen_160x48() {
    let text = body(160, 48, "", Ui::standard());
    assert!(
        text.contains("one-step gap against η: slope 2.00"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn charts_view_80x24() {
    insta::assert_snapshot!(body(80, 24, "v", Ui::standard()));
}

#[test]
fn weight_decay_run_on_the_plane_160x48() {
    let text = body(160, 48, "w", Ui::standard());
    assert!(text.contains("3b with weight decay"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn ratio_runs_away_80x24() {
    // Rayleigh -> logistic -> ratio.
    let text = body(80, 24, "f f", Ui::standard());
    assert!(text.contains("ran away at step 13"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn logistic_paused_mid_run_160x48() {
    // Logistic, back to step 0, then three single steps.
    let text = body(160, 48, "f Home . . .", Ui::standard());
    assert!(text.contains("step 3 of 200 paused"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn larger_step_and_scale_after_control_keys_80x24() {
    // Down to η, two notches up (0.1 -> 0.5); down to λ, one notch up (2 -> 5).
    let text = body(80, 24, "j l l j l", Ui::standard());
    assert!(
        text.contains("0.500") && text.contains("λ = 5.00"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn no_color_80x24() {
    let buf = screen(80, 24, "", Ui::new(ColorDepth::None, true));
    common::assert_colours(&buf, false);
    common::assert_colours(&screen(80, 24, "", Ui::standard()), true);
    insta::assert_snapshot!(common::body_text(&buf));
}

#[test]
fn ascii_only_at_both_sizes() {
    for (w, h) in [(80, 24), (160, 48)] {
        for keys in ["", "v", "f f", "w"] {
            let text = body(w, h, keys, Ui::new(ColorDepth::Ansi16, false));
            assert!(
                text.is_ascii(),
                "{w}x{h} after {keys:?}:\n{}",
                text.chars().filter(|c| !c.is_ascii()).collect::<String>()
            );
        }
    }
    insta::assert_snapshot!(body(80, 24, "", Ui::new(ColorDepth::Ansi16, false)));
}

#[test]
fn styled_80x24() {
    insta::assert_debug_snapshot!(screen(80, 24, "", Ui::standard()));
}

#[test]
fn mid_run_frame_shows_the_descent_part_way() {
    // Rewind, then 60 of the 180 frames a whole run takes at normal speed.
    let keys = dlscope::keymap::parse_keys("r").unwrap();
    let buf = capture_at(
        "scale",
        160,
        48,
        &keys,
        Ui::standard(),
        &Options::default(),
        Moment::AfterFrames(60),
    )
    .unwrap();
    let text = common::body_text(&buf);
    let k: usize = text
        .split("step ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(
        (60..=70).contains(&k),
        "a third of 200 steps, got step {k}:\n{text}"
    );
    assert!(text.contains(&format!("step {k} of 200 ▶")), "{text}");
}
