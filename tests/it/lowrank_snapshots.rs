//! Whole-screen snapshots of the Low-rank tab, driven by keys through the headless app. Each
//! snapshot is the tab's body (the frame without the tab bar), so adding a tab elsewhere does
//! not rewrite these files.

use crate::common::{self, assert_colours, body_text};
use dlscope::tab::Options;
use dlscope::theme::{ColorDepth, Ui};

fn options(input: Option<&str>) -> Options {
    Options {
        lowrank_input: input.map(Into::into),
        max_side: None,
        max_bytes: None,
        svd_worker: None,
    }
}

fn screen(width: u16, height: u16, keys: &str, ui: Ui, input: Option<&str>) -> String {
    body_text(&common::screen(
        "lowrank",
        width,
        height,
        keys,
        ui,
        &options(input),
    ))
}

#[test]
fn camera_80x24() {
    insta::assert_snapshot!(screen(80, 24, "", Ui::standard(), None));
}

#[test]
fn camera_at_the_smallest_size_64x20() {
    insta::assert_snapshot!(screen(64, 20, "p", Ui::standard(), None));
}

#[test]
fn camera_160x48() {
    insta::assert_snapshot!(screen(160, 48, "", Ui::standard(), None));
}

#[test]
fn camera_200x60_rank_50_symmetry() {
    insta::assert_snapshot!(screen(200, 60, "+ + + + n", Ui::standard(), None));
}

#[test]
fn camera_80x24_no_color() {
    let buf = common::screen(
        "lowrank",
        80,
        24,
        "",
        Ui::new(ColorDepth::None, true),
        &options(None),
    );
    assert_colours(&buf, false);
    insta::assert_snapshot!(body_text(&buf));
    let buf = common::screen("lowrank", 80, 24, "", Ui::standard(), &options(None));
    assert_colours(&buf, true);
}

#[test]
fn camera_80x24_styled() {
    let buf = common::screen("lowrank", 80, 24, "", Ui::standard(), &options(None));
    insta::assert_debug_snapshot!(buf);
}

#[test]
fn ascii_screens_have_only_ascii() {
    let ascii = Ui::new(ColorDepth::Ansi16, false);
    let text = screen(80, 24, "", ascii.clone(), None);
    assert!(text.is_ascii(), "{text}");
    insta::assert_snapshot!("camera_80x24_ascii", text);
    for list in [
        "p", "p p", "p p p", "v", "v v", "e", "g", "n", "x", "Space", "End",
    ] {
        for (w, h) in [(80, 24), (160, 48)] {
            let text = screen(w, h, list, ascii.clone(), Some("synthetic"));
            assert!(text.is_ascii(), "after {list} at {w}x{h}:\n{text}");
        }
    }
}

#[test]
fn residual_view_at_rank_one_80x24() {
    insta::assert_snapshot!(screen(80, 24, "Home l v", Ui::standard(), None));
}

#[test]
fn symmetry_scale_80x24() {
    insta::assert_snapshot!(screen(80, 24, "e e", Ui::standard(), None));
}

#[test]
fn symmetry_general_g_80x24() {
    insta::assert_snapshot!(screen(80, 24, "p", Ui::standard(), Some("synthetic")));
}

#[test]
fn landscape_160x48() {
    insta::assert_snapshot!(screen(160, 48, "x", Ui::standard(), None));
}

#[test]
fn landscape_80x24() {
    insta::assert_snapshot!(screen(80, 24, "p p", Ui::standard(), None));
}

#[test]
fn descent_on_synthetic_rank_5_160x48() {
    insta::assert_snapshot!(screen(
        160,
        48,
        "Home l l l l l Space",
        Ui::standard(),
        Some("synthetic")
    ));
}

#[test]
fn descent_on_synthetic_rank_5_80x24() {
    insta::assert_snapshot!(screen(
        80,
        24,
        "Home l l l l l Space",
        Ui::standard(),
        Some("synthetic")
    ));
}

#[test]
fn descent_stopped_at_the_budget_80x24() {
    insta::assert_snapshot!(screen(
        80,
        24,
        "+ + + Space",
        Ui::standard(),
        Some("synthetic")
    ));
}

#[test]
fn synthetic_spectrum_shows_the_elbow_80x24() {
    insta::assert_snapshot!(screen(80, 24, "", Ui::standard(), Some("synthetic")));
}

#[test]
fn help_overlay_80x24() {
    insta::assert_snapshot!(screen(80, 24, "?", Ui::standard(), None));
}

#[test]
fn j_and_k_scroll_a_long_note_with_marks() {
    let top = screen(80, 24, "p", Ui::standard(), None);
    let down = screen(80, 24, "p J J", Ui::standard(), None);
    let back = screen(80, 24, "p J J K K K", Ui::standard(), None);
    // The symmetry note is longer than its box at 80x24: J reveals its later lines, with an
    // up mark once the first lines are hidden, and K scrolls back (stopping at the top).
    assert!(!top.contains("Any invertible G"), "{top}");
    assert!(down.contains("Any invertible G"), "{down}");
    assert!(top.contains('↓') && !top.contains("unique. ↑"), "{top}");
    assert!(down.contains('↑'), "{down}");
    assert_eq!(back, top);
}

#[test]
fn readout_numbers_are_never_cut_at_any_rank() {
    // The synthetic matrix area-averaged to 24×18 has a tiny error at rank 0 and a long
    // rounding bound beside it: at 80 columns in ASCII the bound was cut to "|diff| < 1...". A
    // line that does not fit now drops whole spans, never digits. (The built-in itself is a
    // data matrix, taken whole: the small one is written to a file.)
    let ascii = Ui::new(ColorDepth::Ansi16, false);
    let dir = common::TempDir::new("cut-numbers");
    let path = dir.path().join("synthetic24.npy");
    let synthetic = dlscope::lowrank::input::synthetic_parts().matrix();
    let (x, _) = dlscope::lowrank::input::area_average(synthetic.view(), 24);
    ndarray_npy::write_npy(&path, &x).unwrap();
    let small = Options {
        lowrank_input: Some(path),
        ..options(None)
    };
    for keys in ["Home", "", "End"] {
        for ui in [ascii.clone(), Ui::standard()] {
            let text = body_text(&common::screen("lowrank", 80, 24, keys, ui, &small));
            if keys == "Home" {
                assert!(text.contains("0.31489446"), "the rank-0 error:\n{text}");
            }
            for line in text.lines() {
                for cut in ["< 1...", "< 1…", "e-…", "e-..."] {
                    assert!(
                        !line.contains(cut),
                        "{keys:?}: a cut number in {line:?}\n{text}"
                    );
                }
            }
        }
    }
}
