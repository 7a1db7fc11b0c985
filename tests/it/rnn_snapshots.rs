//! Whole-screen snapshots of the RNN vs LSTM tab (the body, without the tab bar), driven by keys
//! as a user would.

use crate::common::{assert_colours, body_text, screen};
use dlscope::app::render_to_buffer;
use dlscope::keymap::{Key, parse_keys};
use dlscope::snapshot::{Moment, buffer_text, capture_at, settled_app};
use dlscope::tab::Options;
use dlscope::theme::{ColorDepth, Ui};

fn text(width: u16, height: u16, keys: &str) -> String {
    body_text(&screen(
        "rnn",
        width,
        height,
        keys,
        Ui::standard(),
        &Options::default(),
    ))
}

#[test]
fn default_80x24() {
    let buf = screen("rnn", 80, 24, "", Ui::standard(), &Options::default());
    assert_colours(&buf, true);
    insta::assert_snapshot!(body_text(&buf));
}

#[test]
fn default_160x48() {
    insta::assert_snapshot!(text(160, 48, ""));
}

#[test]
fn no_color_80x24() {
    let buf = screen(
        "rnn",
        80,
        24,
        "",
        Ui::new(ColorDepth::None, true),
        &Options::default(),
    );
    assert_colours(&buf, false);
    insta::assert_snapshot!(body_text(&buf));
}

#[test]
fn ascii_80x24_is_ascii_everywhere() {
    let ui = || Ui::new(ColorDepth::Ansi16, false);
    let first = body_text(&screen("rnn", 80, 24, "", ui(), &Options::default()));
    insta::assert_snapshot!(first);
    // Every side panel, the step series and both layouts, in ASCII.
    let mut app = settled_app("rnn", ui(), &Options::default()).expect("rnn tab");
    for keys in ["v", "v", "v v v", "w a", "c c", "?"] {
        for key in parse_keys(keys).expect("key names") {
            app.handle_key(key);
        }
        app.settle();
        for (w, h) in [(80, 24), (160, 48)] {
            let t = buffer_text(&render_to_buffer(&mut app, w, h));
            assert!(t.is_ascii(), "non-ASCII after {keys:?} at {w}x{h}:\n{t}");
        }
    }
}

#[test]
fn identity_orthogonal_with_theory_line_80x24() {
    // a a a: tanh -> relu -> sigmoid -> identity; i: orthogonal; v: the readout panel.
    let t = text(80, 24, "a a a i v");
    assert!(t.contains("RNN (identity)") && t.contains("ρ^(T−t)"), "{t}");
    insta::assert_snapshot!(t);
}

#[test]
fn relu_rho_3_overflows_160x48() {
    // rho 1 -> 3 in forty steps of 0.05, relu, then T = 100 -> 2000.
    let keys = format!("{} a j j j l l l l", ["+"; 40].join(" "));
    let t = text(160, 48, &keys);
    assert!(t.contains("overflow from t = 1999"), "{t}");
    insta::assert_snapshot!(t);
}

#[test]
fn lstm_notes_and_clipping_80x24() {
    insta::assert_snapshot!(text(80, 24, "v v v v v c"));
}

#[test]
fn mid_animation_shows_part_of_the_pass() {
    // capture() settles after every key (which ends the animation), so drive the app directly.
    let mut app = settled_app("rnn", Ui::standard(), &Options::default()).expect("rnn tab");
    app.handle_key(Key::ch('r'));
    assert!(app.animating());
    // One t per step: T = 100 -> 70.
    for _ in 0..30 {
        app.handle_key(Key::ch('.'));
    }
    assert!(!app.animating(), "stepping pauses the animation");
    app.handle_key(Key::ch(','));
    let t = body_text(&render_to_buffer(&mut app, 80, 24));
    assert!(t.contains("t=71 "), "{t}");
    insta::assert_snapshot!(t);
    // Ticks run it to t = 0 and then stop: 71 of the 100 steps at the normal pace of 180
    // ticks for the whole pass.
    app.handle_key(Key::ch(' '));
    let mut frames = 0;
    while app.animating() {
        app.tick();
        frames += 1;
    }
    assert!((frames as f64 - 0.71 * 180.0).abs() <= 2.0, "{frames}");
}

/// The t a frame shows in the RNN chart's readout row ("t=37 ").
fn shown_t(text: &str) -> usize {
    let at = text.find("t=").expect("a t= readout") + 2;
    let digits: String = text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().expect("a number after t=")
}

#[test]
fn snapshot_frames_take_the_pass_mid_way() {
    // At the normal pace the whole pass (T = 100) takes 180 frames: 90 frames is half-way.
    let frame = |frames| {
        let buf = capture_at(
            "rnn",
            80,
            24,
            &[],
            Ui::standard(),
            &Options::default(),
            Moment::AfterFrames(frames),
        )
        .expect("rnn tab");
        shown_t(&body_text(&buf))
    };
    let half = frame(90);
    assert!((49..=51).contains(&half), "{half}");
    assert_eq!(frame(0), 100);
    assert_eq!(frame(1000), 0);
}

#[test]
fn large_screens_render() {
    let t = text(200, 60, "w");
    assert!(t.contains("Notes") && t.contains("Readout") && t.contains("Eigenvalues"));
}
