//! Whole-screen snapshots of the RNN vs LSTM tab, driven by keys as a user would.

#![allow(clippy::unwrap_used)] // tests and benchmarks may fail loudly

use dlscope::app::render_to_buffer;
use dlscope::keymap::{Key, parse_keys};
use dlscope::snapshot::buffer_text;
use dlscope::snapshot::{capture, settled_app};
use dlscope::tab::Options;
use dlscope::theme::{ColorDepth, Ui};
use ratatui::buffer::Buffer;

fn screen(width: u16, height: u16, keys: &str, ui: Ui) -> Buffer {
    let keys = parse_keys(keys).expect("key names");
    capture("rnn", width, height, &keys, ui, &Options::default()).expect("rnn tab")
}

fn text(width: u16, height: u16, keys: &str) -> String {
    buffer_text(&screen(width, height, keys, Ui::standard()))
}

#[test]
fn default_80x24() {
    insta::assert_snapshot!(text(80, 24, ""));
}

#[test]
fn default_160x48() {
    insta::assert_snapshot!(text(160, 48, ""));
}

#[test]
fn default_80x24_styled() {
    insta::assert_debug_snapshot!(screen(80, 24, "", Ui::standard()));
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
fn ascii_80x24_is_ascii_everywhere() {
    let ui = || Ui::new(ColorDepth::Ansi16, false);
    let first = buffer_text(&screen(80, 24, "", ui()));
    insta::assert_snapshot!(first);
    // Every side panel, the step series and both layouts, in ASCII.
    let mut app = settled_app("rnn", ui(), &Options::default()).expect("rnn tab");
    for keys in ["v", "v", "v v v", "w a", "c c", "?"] {
        for key in parse_keys(keys).expect("key names") {
            app.handle_key(key);
        }
        app.settle();
        for (w, h) in [(80, 24), (160, 48)] {
            let t = buffer_text(&render_to_buffer(&app, w, h));
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
    // rho 1 -> 3 in four coarse steps, relu, then T = 100 -> 2000.
    let t = text(160, 48, "PgUp PgUp PgUp PgUp a j j j l l l l");
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
    // T = 100 in at most 90 frames: 2 steps of t a frame.
    for _ in 0..30 {
        app.handle_key(Key::ch('.'));
    }
    assert!(!app.animating(), "stepping pauses the animation");
    let t = buffer_text(&render_to_buffer(&app, 80, 24));
    assert!(t.contains("t=40 "), "{t}");
    insta::assert_snapshot!(t);
    // Ticks run it to t = 0 and then stop.
    app.handle_key(Key::ch(' '));
    let mut frames = 0;
    while app.animating() {
        app.tick();
        frames += 1;
    }
    assert_eq!(frames, 20);
}

#[test]
fn large_screens_render() {
    let t = text(200, 60, "w");
    assert!(t.contains("Notes") && t.contains("Readout") && t.contains("Eigenvalues"));
}
