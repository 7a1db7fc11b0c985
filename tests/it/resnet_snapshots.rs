//! Whole-screen snapshots of the ResNet tab, driven by keys through the headless capture. The
//! snapshots hold the body (the frame without the tab bar), so adding a tab changes none.

use crate::common::{assert_colours, body_text, screen};
use dlscope::snapshot::buffer_text;
use dlscope::tab::Options;
use dlscope::theme::{ColorDepth, Ui};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

fn frame(width: u16, height: u16, keys: &str, ui: Ui) -> Buffer {
    screen("resnet", width, height, keys, ui, &Options::default())
}

fn text(width: u16, height: u16, keys: &str) -> String {
    body_text(&frame(width, height, keys, Ui::standard()))
}

#[test]
fn resnet_80x24() {
    insta::assert_snapshot!(text(80, 24, ""));
}

#[test]
fn resnet_160x48() {
    insta::assert_snapshot!(text(160, 48, ""));
}

#[test]
fn resnet_200x60_expanded_with_conv_bias() {
    insta::assert_snapshot!(text(200, 60, "e j j j j j j j j j b"));
}

#[test]
fn resnet_80x24_homework_check_panel() {
    let screen = text(80, 24, "p");
    assert!(screen.contains("29 of 32 printed figures agree"));
    insta::assert_snapshot!(screen);
}

#[test]
fn resnet_80x24_summary_panel() {
    insta::assert_snapshot!(text(80, 24, "p p"));
}

#[test]
fn resnet_160x48_resnet50_eval_on_a_batch_norm() {
    // Two architectures deeper, eval mode, the stem's batch norm selected.
    let screen = text(160, 48, "d d t j");
    assert!(screen.contains("25,557,032"));
    // The summary's training-step figures leave the batch-norm note below its first rows.
    assert!(screen.contains("53 BN layers use running"));
    insta::assert_snapshot!(screen);
}

#[test]
fn resnet_80x24_deep_in_the_tree() {
    // Into layer1.0 and onto its second conv, with 10 classes and a 160x192 input.
    insta::assert_snapshot!(text(80, 24, "j j j j j Right Right j j j O O Y Y X"));
}

#[test]
fn resnet_120x40_check_in_the_side_column() {
    insta::assert_snapshot!(text(120, 40, "p"));
}

#[test]
fn resnet_80x24_ascii() {
    let buf = frame(80, 24, "b", Ui::new(ColorDepth::Ansi16, false));
    let screen = buffer_text(&buf);
    assert!(screen.is_ascii(), "{screen}");
    insta::assert_snapshot!(body_text(&buf));
}

/// The batch-norm panel (`P`, the last of the `p` cycle) in the tree's place.
#[test]
fn resnet_80x24_batch_norm_panel() {
    let screen = text(80, 24, "P");
    assert!(screen.contains("Batch norm, live"), "{screen}");
    assert!(screen.contains("num_batches_tracked 9 → 10"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn resnet_120x40_batch_norm_panel_conv_bias_one_more_batch() {
    let screen = text(120, 40, "P b .");
    assert!(screen.contains("batches fed 11"), "{screen}");
    assert!(screen.contains("conv bias on"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn resnet_80x24_batch_norm_one_value_per_channel() {
    let screen = text(80, 24, "P Z Z Z Z");
    assert!(
        screen.contains("ValueError: Expected more than 1 value per channel when training"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn resnet_batch_norm_panel_without_colour() {
    for keys in ["P", "P t b", "P Z Z Z Z"] {
        assert_colours(&frame(80, 24, keys, Ui::new(ColorDepth::None, true)), false);
    }
}

#[test]
fn resnet_160x48_ascii_every_panel() {
    for keys in ["", "p", "p p", "e b t", "P", "P t b .", "P Z Z Z Z"] {
        for (w, h) in [(80, 24), (160, 48), (200, 60)] {
            let buf = frame(w, h, keys, Ui::new(ColorDepth::Ansi16, false));
            let screen = buffer_text(&buf);
            assert!(screen.is_ascii(), "{w}x{h} after {keys:?}:\n{screen}");
        }
    }
}

#[test]
fn resnet_80x24_no_color() {
    let buf = frame(80, 24, "", Ui::new(ColorDepth::None, true));
    assert_colours(&buf, false);
    assert_colours(&frame(80, 24, "", Ui::standard()), true);
    insta::assert_snapshot!(body_text(&buf));
}

/// The frame's cells without the tab bar row, styles included.
fn body_cells(buf: &Buffer) -> Buffer {
    let area = buf.area;
    let body = Rect::new(0, 0, area.width, area.height.saturating_sub(1));
    let mut out = Buffer::empty(body);
    for y in 0..body.height {
        for x in 0..body.width {
            out[(x, y)] = buf[(x, y + 1)].clone();
        }
    }
    out
}

#[test]
fn resnet_80x24_styled() {
    insta::assert_debug_snapshot!(body_cells(&frame(80, 24, "j", Ui::standard())));
}

#[test]
fn resnet_80x24_flops_columns() {
    let screen = text(80, 24, "v");
    assert!(screen.contains("FLOPs fwd") && screen.contains("236,027,904"));
    insta::assert_snapshot!(screen);
}

#[test]
fn resnet_80x24_memory_columns_batch_2_conv1_frozen() {
    // Batch 2, conv1 frozen: the image is no longer saved (conv1 records no backward node);
    // conv1's output still is, for bn1, which is trainable.
    let screen = text(80, 24, "z f v v");
    assert!(screen.contains("conv1 (frozen)"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn resnet_80x24_receptive_field_columns() {
    let screen = text(80, 24, "v v v");
    assert!(screen.contains("field  jump"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn resnet_120x40_collapsed_stages_rolled_up() {
    let screen = text(120, 40, "E");
    assert!(screen.contains("BasicBlock ×2"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn resnet_80x24_sorted_by_backward_flops() {
    let screen = text(80, 24, "S S S v");
    assert!(screen.contains("by backward FLOPs"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn resnet_80x24_filtered_by_downsample_while_typing() {
    let screen = text(80, 24, "/ d o w n");
    assert!(screen.contains("9 of 67 modules match"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn resnet_120x40_filter_kept_and_sorted() {
    let screen = text(120, 40, "/ b n 2 Enter S v");
    assert!(screen.contains("8 layers match"), "{screen}");
    insta::assert_snapshot!(screen);
}
