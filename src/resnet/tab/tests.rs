use super::tree::scrolled_offset;
use super::*;
use crate::components::scroll::ScrollAct;
use crate::numfmt::group_thousands;
use crate::resnet::model::{Arch, Count};

/// The exact value of a count (no figure of these tests overflows).
fn exact(count: Count) -> u128 {
    count.exact().expect("an exact count")
}
use crate::snapshot::buffer_text;
use crate::theme::ColorDepth;
use ratatui::style::Modifier;

fn tab() -> ResnetTab {
    ResnetTab::new(&Waker::headless(), Config::default())
}

/// A frame as the shell draws it: the layout step, then the render.
fn draw(tab: &mut ResnetTab, w: u16, h: u16, ui: &Ui) -> Buffer {
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    tab.layout(area, ui);
    tab.render(area, &mut buf, ui);
    buf
}

#[test]
fn every_step_is_a_valid_config() {
    for &n in CLASS_LADDER.0 {
        for &s in SIDE_LADDER.0 {
            let cfg = Config {
                num_classes: n,
                input_hw: (s, s),
                ..Config::default()
            };
            assert_eq!(cfg.validate(), Ok(()));
        }
    }
    assert_eq!(CLASS_LADDER.step(1000, true), 10_000);
    assert_eq!(CLASS_LADDER.step(37, true), 100);
    assert_eq!(CLASS_LADDER.step(37, false), 10);
    assert_eq!(CLASS_LADDER.step(1_000_000, true), 1_000_000);
    assert_eq!(SIDE_LADDER.step(1, false), 1);
}

#[test]
fn arch_keys_cycle_and_rebuild() {
    let mut t = tab();
    assert!(t.act(Act::NextArch));
    assert_eq!(t.config().arch, Arch::Resnet34);
    assert_eq!(t.network().total_params(), 21_797_672);
    assert!(t.act(Act::PrevArch));
    assert!(t.act(Act::PrevArch));
    assert_eq!(t.config().arch, Arch::Resnet152);
    assert_eq!(t.network().total_params(), 60_192_808);
}

#[test]
fn class_keys_change_only_the_classifier() {
    let mut t = tab();
    let before = t.network().total_params();
    assert!(t.act(Act::MoreClasses));
    assert_eq!(t.config().num_classes, 10_000);
    assert_eq!(
        exact(t.network().total_params()) - exact(before),
        9000 * 513
    );
    assert!(t.act(Act::FewerClasses));
    assert!(t.act(Act::FewerClasses));
    assert_eq!(t.config().num_classes, 100);
    for _ in 0..10 {
        t.act(Act::FewerClasses);
    }
    assert_eq!(t.config().num_classes, 1);
    assert!(!t.act(Act::FewerClasses), "already at the smallest step");
}

#[test]
fn size_keys_change_sides_and_macs_not_params() {
    let mut t = tab();
    let (params, macs) = (t.network().total_params(), t.network().total_macs());
    assert!(t.act(Act::LargerInput));
    assert_eq!(t.config().input_hw, (256, 256));
    assert!(t.network().total_macs() > macs);
    assert_eq!(t.network().total_params(), params);
    assert!(t.act(Act::ShorterInput));
    assert_eq!(t.config().input_hw, (224, 256));
    assert!(t.act(Act::NarrowerInput));
    assert!(t.act(Act::NarrowerInput));
    assert_eq!(t.config().input_hw, (224, 192));
    assert!(t.act(Act::TallerInput));
    assert!(t.act(Act::WiderInput));
    assert_eq!(t.config().input_hw, (256, 224));
    assert!(t.act(Act::SmallerInput));
    assert_eq!(t.config().input_hw, (224, 192));
}

#[test]
fn bias_mode_panel_and_reset_keys() {
    let mut t = tab();
    assert!(t.act(Act::ToggleConvBias));
    assert!(t.config().conv_bias);
    assert_eq!(t.network().redundant_params(), 4800);
    assert!(t.act(Act::ToggleMode));
    assert_eq!(t.mode(), Mode::Eval);
    assert!(t.act(Act::NextPanel));
    assert_eq!(t.focus(), Focus::Check);
    assert!(t.act(Act::NextPanel));
    assert!(t.act(Act::NextPanel));
    assert_eq!(t.focus(), Focus::BatchNorm);
    assert!(t.act(Act::NextPanel));
    assert_eq!(t.focus(), Focus::Module);
    assert!(t.act(Act::PrevPanel));
    assert_eq!(t.focus(), Focus::BatchNorm);
    assert!(t.act(Act::NextPanel));
    t.act(Act::NextArch);
    assert!(t.act(Act::Reset));
    assert_eq!(*t.config(), Config::default());
    assert_eq!(t.mode(), Mode::Train);
    assert!(!t.act(Act::Reset), "nothing left to reset");
}

#[test]
fn tree_navigation_and_expansion() {
    let mut t = tab();
    // Stages start open: 10 top-level modules + 8 blocks.
    assert_eq!(t.visible_rows().len(), 18);
    assert_eq!(t.selected_name(), "conv1");
    t.act(Act::Last);
    assert_eq!(t.selected_name(), "fc");
    t.act(Act::First);
    for _ in 0..5 {
        t.act(Act::Down);
    }
    assert_eq!(t.selected_name(), "layer1.0");
    assert!(t.act(Act::More), "opens the block");
    assert!(t.act(Act::More), "goes to its first child");
    assert_eq!(t.selected_name(), "layer1.0.conv1");
    assert!(!t.act(Act::More), "a leaf has nothing to open");
    assert!(t.act(Act::Less));
    assert_eq!(t.selected_name(), "layer1.0");
    assert!(t.act(Act::Less), "closes the block");
    assert_eq!(t.visible_rows().len(), 18);
    assert!(t.act(Act::ToggleExpand));
    assert_eq!(t.visible_rows().len(), 23);
    assert!(t.act(Act::ExpandAll));
    assert_eq!(t.visible_rows().len(), t.network().modules.len());
    t.act(Act::Down);
    assert!(t.act(Act::CollapseAll));
    assert_eq!(t.visible_rows().len(), 10);
    assert_eq!(t.selected_name(), "layer1");
    t.act(Act::PageDown);
    assert_eq!(t.selected_name(), "fc");
    t.act(Act::PageUp);
    assert_eq!(t.selected_name(), "conv1");
}

#[test]
fn selection_and_expansion_survive_a_rebuild() {
    let mut t = tab();
    t.act(Act::PrevArch); // resnet152
    t.act(Act::ExpandAll);
    while t.selected_name() != "layer3.30.conv2" {
        t.act(Act::Down);
    }
    t.act(Act::NextArch); // resnet18 has no layer3.30
    assert_eq!(t.selected_name(), "layer3");
    assert_eq!(t.visible_rows().len(), t.network().modules.len());
}

#[test]
fn clicks_select_then_toggle() {
    let mut t = tab();
    let ui = Ui::standard();
    draw(&mut t, 80, 22, &ui);
    let area = t.rows_area;
    assert!(area.height > 5);
    assert!(t.click(area.x + 2, area.y + 4));
    assert_eq!(t.selected_name(), "layer1");
    assert!(t.click(area.x + 2, area.y + 4));
    assert_eq!(t.visible_rows().len(), 16, "layer1 closed");
    assert!(!t.click(0, 0));
}

#[test]
fn render_is_total_and_ascii_without_unicode() {
    let mut t = tab();
    t.act(Act::ToggleConvBias);
    t.act(Act::ExpandAll);
    let ascii = Ui::new(ColorDepth::Ansi16, false);
    let standard = Ui::standard();
    for focus in 0..Focus::ALL.len() {
        for (w, h) in [
            (0, 0),
            (1, 1),
            (2, 50),
            (50, 2),
            (80, 22),
            (120, 30),
            (200, 58),
        ] {
            draw(&mut t, w, h, &standard);
            let text = buffer_text(&draw(&mut t, w, h, &ascii));
            assert!(text.is_ascii(), "{w}x{h} focus {focus}:\n{text}");
        }
        t.act(Act::NextPanel);
    }
    for w in (0..=300).step_by(7) {
        for h in (0..=100).step_by(9) {
            draw(&mut t, w, h, &standard);
        }
    }
}

#[test]
fn notes_fold_to_ascii_without_placeholders() {
    let net = model::build(&Config {
        arch: Arch::Resnet50,
        ..Config::default()
    });
    for (i, m) in net.modules.iter().enumerate() {
        let folded = crate::text::ascii(&notes::note(&net, i));
        assert!(folded.is_ascii() && !folded.contains('?'), "{}", m.name);
        for mode in [Mode::Train, Mode::Eval] {
            if let Some(text) = notes::mode_behaviour(&m.kind, mode) {
                assert!(!crate::text::ascii(&text).contains('?'));
            }
            let line = notes::redundant_bias_line("64", mode);
            assert!(!crate::text::ascii(&line).contains('?'));
        }
    }
    for text in [
        notes::weight_decay_note(),
        notes::REDUNDANT_BIAS_NOTE.to_string(),
        notes::flops_note("f"),
        notes::memory_note(&model::cost::costs(&net, &Default::default())),
    ] {
        assert!(!crate::text::ascii(&text).contains('?'), "{text}");
    }
}

#[test]
fn screens_show_the_numbers() {
    let mut t = tab();
    let ui = Ui::standard();
    let narrow = buffer_text(&draw(&mut t, 80, 22, &ui));
    assert!(narrow.contains("resnet18"), "{narrow}");
    assert!(narrow.contains("11.7M params"), "{narrow}");
    assert!(narrow.contains("conv1"), "{narrow}");
    let wide = buffer_text(&draw(&mut t, 200, 58, &ui));
    for needle in [
        "11,689,512",
        "1,814,073,344",
        "29 of 32 printed figures agree",
        "8,393,688",
        "8,393,728",
        "Basic Block 4",
        "layer4.1.conv2",
        "9,620",
        "20 BN layers use batch statistics",
    ] {
        assert!(wide.contains(needle), "missing {needle}:\n{wide}");
    }
}

#[test]
fn scrolling_keeps_the_selection_in_view() {
    assert_eq!(scrolled_offset(0, 5, 10, 40), 0);
    assert_eq!(scrolled_offset(0, 12, 10, 40), 3);
    assert_eq!(scrolled_offset(8, 4, 10, 40), 4);
    assert_eq!(scrolled_offset(35, 39, 10, 40), 30);
    assert_eq!(scrolled_offset(3, 0, 0, 0), 0);
}

/// Issue 9 point 18: at 80×24 the summary keeps "groups by name (1e)" with its three rows, in
/// one column and on consecutive rows.
#[test]
fn summary_keeps_each_heading_with_its_rows() {
    let mut t = tab();
    t.act(Act::NextPanel);
    t.act(Act::NextPanel);
    assert_eq!(t.focus(), Focus::Summary);
    let text = buffer_text(&draw(&mut t, 80, 22, &Ui::standard()));
    let lines: Vec<&str> = text.lines().collect();
    let find = |needle: &str| -> (usize, usize) {
        lines
            .iter()
            .enumerate()
            .find_map(|(y, l)| l.find(needle).map(|x| (y, l[..x].chars().count())))
            .unwrap_or_else(|| panic!("{needle} missing:\n{text}"))
    };
    let (y, x) = find("groups by name (1e)");
    for (k, label) in ["batch-norm", "bias", "rest"].iter().enumerate() {
        let row = lines[y + k + 1];
        let col: String = row.chars().skip(x).take(label.len()).collect();
        assert_eq!(&col, label, "row {} of the group:\n{text}", k + 1);
    }
    // Further down (the training-step figures share the panel): scroll to it.
    let mut text = text.clone();
    for _ in 0..20 {
        if text.contains("weight decay (1d)") && text.contains("not decayed") {
            break;
        }
        t.act(Act::Scroll(ScrollAct::Down));
        text = buffer_text(&draw(&mut t, 80, 22, &Ui::standard()));
    }
    let lines: Vec<&str> = text.lines().collect();
    let (wy, wx) = lines
        .iter()
        .enumerate()
        .find_map(|(y, l)| {
            l.find("weight decay (1d)")
                .map(|x| (y, l[..x].chars().count()))
        })
        .unwrap_or_else(|| panic!("weight decay (1d) missing:\n{text}"));
    let decayed: String = lines[wy + 1].chars().skip(wx).take(7).collect();
    assert_eq!(decayed, "decayed");
}

/// Point 18: the batch-norm note can be read to its end at 80×24, by scrolling.
#[test]
fn batch_norm_note_scrolls_to_its_end_at_80x24() {
    let mut t = tab();
    t.act(Act::Down);
    assert_eq!(t.selected_name(), "bn1");
    let ui = Ui::new(ColorDepth::None, true);
    let first = buffer_text(&draw(&mut t, 80, 22, &ui));
    assert!(!first.contains("num_batches_tracked"), "{first}");
    assert!(first.contains(ui.glyphs.down), "a mark says there is more");
    let mut screen = first;
    for _ in 0..40 {
        t.act(Act::Scroll(ScrollAct::Down));
        screen = buffer_text(&draw(&mut t, 80, 22, &ui));
    }
    assert!(
        screen.contains("num_batches_tracked grows by 1."),
        "{screen}"
    );
    assert!(
        screen.contains(ui.glyphs.up),
        "a mark says there is more above"
    );
    // The offset stays clamped: one step back moves the view at once.
    assert!(t.act(Act::Scroll(ScrollAct::Up)));
    let back = buffer_text(&draw(&mut t, 80, 22, &ui));
    assert_ne!(back, screen);
    // A new selection starts its note at the top.
    t.act(Act::Down);
    assert_eq!(t.scroll_offset(Focus::Module), 0);
}

/// Point 20: one class is "1 class" in the header line.
#[test]
fn one_class_is_singular() {
    let mut t = tab();
    for _ in 0..10 {
        t.act(Act::FewerClasses);
    }
    assert_eq!(t.config().num_classes, 1);
    let text = buffer_text(&draw(&mut t, 80, 22, &Ui::standard()));
    assert!(text.contains("  1 class  "), "{text}");
    assert!(!text.contains("1 classes"));
}

/// Selects the module called `name`, opening its ancestors.
fn select(t: &mut ResnetTab, name: &str) {
    t.selected = t.network().find(name).unwrap();
    t.reveal_selected();
}

#[test]
fn freezing_from_the_keys_follows_the_graph() {
    let mut t = tab();
    assert_eq!(t.costs().totals.flops_backward, 7_020_265_472);
    for name in ["conv1", "bn1", "layer1"] {
        select(&mut t, name);
        assert!(t.act(Act::ToggleFreeze));
    }
    assert_eq!(t.costs().totals.flops_backward, 4_806_098_944);
    let mut by_name = cost_model::Cost::default();
    by_name
        .freeze_names(t.network(), &["conv1", "bn1", "layer1"])
        .unwrap();
    assert_eq!(t.cost(), &by_name);
    // The rows say so, and the summary's totals follow.
    let screen = buffer_text(&draw(&mut t, 200, 60, &Ui::standard()));
    assert!(screen.contains("layer1 (frozen)"), "{screen}");
    assert!(screen.contains("4,806,098,944"), "{screen}");
    // Again: unfrozen; the architecture keeps frozen modules by name.
    select(&mut t, "layer1");
    assert!(t.act(Act::ToggleFreeze));
    assert!(t.act(Act::NextArch));
    assert!(
        t.cost()
            .is_frozen(t.network(), t.network().find("conv1").unwrap())
    );
    assert!(
        !t.cost()
            .is_frozen(t.network(), t.network().find("layer1").unwrap())
    );
    assert!(t.act(Act::Reset));
    assert_eq!(t.cost(), &cost_model::Cost::default());
}

#[test]
fn run_keys_change_the_costs_and_the_screen_shows_them() {
    let mut t = tab();
    assert!(t.act(Act::LargerBatch));
    assert_eq!(t.cost().batch, 2);
    assert!(!t.act(Act::SmallerBatch) || t.cost().batch == 1);
    assert!(t.act(Act::LargerBatch));
    assert!(t.act(Act::NextDtype));
    assert_eq!(t.cost().dtype, cost_model::Dtype::Float16);
    assert!(t.act(Act::NextOptimizer));
    assert_eq!(t.cost().optimizer, cost_model::Optimizer::SgdMomentum);
    assert!(t.act(Act::ToggleMode));
    let want = cost_model::costs(t.network(), t.cost()).totals;
    assert_eq!(t.costs().totals, want);
    assert_eq!(t.cost().mode, Mode::Eval);
    let screen = buffer_text(&draw(&mut t, 200, 60, &Ui::standard()));
    for n in [
        want.flops_forward,
        want.flops_backward,
        want.param_bytes,
        want.buffer_bytes,
        want.grad_bytes,
        want.optimizer_bytes,
        want.activation_bytes(),
        want.training_bytes(),
        want.trainable_params,
    ] {
        assert!(
            screen.contains(&crate::numfmt::group_thousands(exact(n))),
            "{n} missing:\n{screen}"
        );
    }
    assert!(
        screen.contains("batch 2, float16, sgd+momentum"),
        "{screen}"
    );
}

#[test]
fn column_sets_show_the_costs_per_module() {
    let mut t = tab();
    let ui = Ui::standard();
    let conv1 = &t.costs().modules[0];
    let (fwd, saved) = (conv1.flops_forward, conv1.activation_bytes());
    assert!(t.act(Act::NextColumns));
    assert_eq!(t.columns(), ColumnSet::Flops);
    let screen = buffer_text(&draw(&mut t, 200, 60, &ui));
    assert!(
        screen.contains("FLOPs fwd") && screen.contains("FLOPs bwd"),
        "{screen}"
    );
    assert!(
        screen.contains(&crate::numfmt::group_thousands(exact(fwd))),
        "{screen}"
    );
    assert!(t.act(Act::NextColumns));
    let screen = buffer_text(&draw(&mut t, 200, 60, &ui));
    assert!(screen.contains("saved bytes"), "{screen}");
    assert!(
        screen.contains(&crate::numfmt::group_thousands(exact(saved))),
        "{screen}"
    );
    assert!(t.act(Act::NextColumns));
    // resnet18's layer4: 435 pixels, jump 32; the pool and the classifier are global.
    let screen = buffer_text(&draw(&mut t, 200, 60, &ui));
    let layer4 = screen.lines().find(|l| l.contains("layer4 ")).unwrap();
    assert!(layer4.contains("435") && layer4.contains("32"), "{layer4}");
    let fc = screen.lines().find(|l| l.contains(" fc ")).unwrap();
    assert!(fc.contains("global"), "{fc}");
    // Every set draws at 80 columns, ASCII too.
    for _ in 0..4 {
        assert!(t.act(Act::NextColumns));
        let ascii = buffer_text(&draw(&mut t, 80, 22, &Ui::new(ColorDepth::Ansi16, false)));
        assert!(ascii.is_ascii(), "{ascii}");
        assert!(ascii.contains("conv1"), "{ascii}");
    }
    assert_eq!(t.columns(), ColumnSet::Field);
}

#[test]
fn collapsed_stages_roll_their_blocks_up() {
    let mut t = tab();
    let ui = Ui::standard();
    assert!(t.act(Act::CollapseAll));
    let screen = buffer_text(&draw(&mut t, 200, 60, &ui));
    let layer1 = screen.lines().find(|l| l.contains("layer1")).unwrap();
    assert!(layer1.contains("BasicBlock ×2"), "{layer1}");
    // resnet50's layer3 holds six bottlenecks; ASCII spells the times sign.
    assert!(t.act(Act::NextArch) && t.act(Act::NextArch));
    let ascii = buffer_text(&draw(&mut t, 200, 60, &Ui::new(ColorDepth::Ansi16, false)));
    let layer3 = ascii.lines().find(|l| l.contains("layer3")).unwrap();
    assert!(layer3.contains("Bottleneck x6"), "{layer3}");
    // Opened, the stage is a Sequential again.
    select(&mut t, "layer3");
    assert!(t.act(Act::ToggleExpand));
    let screen = buffer_text(&draw(&mut t, 200, 60, &ui));
    let layer3 = screen.lines().find(|l| l.contains("layer3")).unwrap();
    assert!(layer3.contains("Sequential"), "{layer3}");
}

#[test]
fn sorting_flattens_the_tree_and_a_key_returns_to_it() {
    let mut t = tab();
    let tree_rows = t.visible_rows();
    assert!(t.act(Act::NextSort));
    assert_eq!(t.sort(), Some(SortKey::Params));
    let rows = t.visible_rows();
    let net = t.network();
    // Every layer once, no containers, largest first: resnet18's biggest is layer4's 3x3 conv.
    assert_eq!(
        rows.len(),
        net.modules.iter().filter(|m| !m.is_container()).count()
    );
    assert!(
        rows.windows(2)
            .all(|w| net.modules[w[0]].params >= net.modules[w[1]].params)
    );
    assert_eq!(net.modules[rows[0]].params, 2_359_296);
    let screen = buffer_text(&draw(&mut t, 200, 60, &Ui::standard()));
    assert!(screen.contains("by params"), "{screen}");
    assert!(screen.contains("layer4.0.conv2"), "{screen}");
    // The field sort puts the global pool and classifier first, then layer4's last conv.
    for _ in 0..4 {
        assert!(t.act(Act::NextSort));
    }
    assert_eq!(t.sort(), Some(SortKey::Field));
    let rows = t.visible_rows();
    let names: Vec<&str> = rows[..3]
        .iter()
        .map(|&i| t.network().modules[i].name.as_str())
        .collect();
    assert_eq!(names[..2], ["avgpool", "fc"]);
    assert_eq!(
        t.costs().modules[rows[2]].field.unwrap().receptive_field,
        435
    );
    assert!(t.act(Act::NextSort));
    assert_eq!(t.sort(), None);
    assert_eq!(t.visible_rows(), tree_rows);
}

/// Types `text` into the tab's filter as the app would deliver it.
fn type_in(t: &mut ResnetTab, text: &str) {
    for c in text.chars() {
        t.type_key(Key::ch(c));
    }
}

#[test]
fn the_filter_matches_names_and_types_ignoring_case() {
    let mut t = tab();
    assert!(t.act(Act::Filter));
    assert!(t.typing().is_some());
    type_in(&mut t, "conv");
    let rows = t.visible_rows();
    // Every Conv2d of resnet18 (the stem, two per BasicBlock, three downsample convolutions:
    // torchvision's 20) matches, by name or by type, and nothing else does.
    let convs: Vec<usize> = (0..t.network().modules.len())
        .filter(|&i| matches!(t.network().modules[i].kind, ModuleKind::Conv2d(_)))
        .collect();
    assert_eq!(convs.len(), 20);
    assert_eq!(rows, convs);
    // "bn" is in the names of the 17 numbered batch norms, not in the downsample's `.1`.
    t.type_key(Key::ctrl('u'));
    type_in(&mut t, "bn");
    assert_eq!(t.visible_rows().len(), 1 + 8 * 2);
    t.type_key(Key::ctrl('u'));
    type_in(&mut t, "BATCHNORM");
    let names: Vec<&str> = t
        .visible_rows()
        .iter()
        .map(|&i| t.network().modules[i].name.as_str())
        .collect();
    assert_eq!(names.len(), 20, "{names:?}");
    assert!(names.contains(&"layer2.0.downsample.1"), "{names:?}");
    // Matches inside closed subtrees are listed too (stages start closed but layer1's).
    assert!(names.contains(&"layer4.1.bn2"), "{names:?}");
}

#[test]
fn typing_moves_the_selection_to_a_match_and_esc_clears() {
    let mut t = tab();
    assert_eq!(t.selected_name(), "conv1");
    t.act(Act::Filter);
    type_in(&mut t, "fc");
    assert_eq!(t.selected_name(), "fc");
    assert_eq!(t.visible_rows().len(), 1);
    // Keys the app treats as global are text here.
    type_in(&mut t, "q?1");
    assert_eq!(t.filter(), "fcq?1");
    assert!(t.visible_rows().is_empty());
    for _ in 0..3 {
        t.type_key(Key::code(crossterm::event::KeyCode::Backspace));
    }
    assert_eq!(t.filter(), "fc");
    // Enter keeps the filter and gives the keys back.
    t.type_key(Key::code(crossterm::event::KeyCode::Enter));
    assert!(t.typing().is_none());
    assert_eq!(t.filter(), "fc");
    assert_eq!(t.visible_rows().len(), 1);
    // `/` edits it again; Esc clears it and the tree returns with the selection revealed.
    t.act(Act::Filter);
    t.type_key(Key::code(crossterm::event::KeyCode::Esc));
    assert!(t.typing().is_none());
    assert_eq!(t.filter(), "");
    assert_eq!(t.selected_name(), "fc");
    assert!(t.visible_rows().contains(&t.selected));
}

#[test]
fn arrows_move_among_the_matches_while_typing() {
    let mut t = tab();
    t.act(Act::Filter);
    type_in(&mut t, "downsample.0");
    assert_eq!(t.selected_name(), "layer2.0.downsample.0");
    t.type_key(Key::code(crossterm::event::KeyCode::Down));
    assert_eq!(t.selected_name(), "layer3.0.downsample.0");
    t.type_key(Key::code(crossterm::event::KeyCode::End));
    assert_eq!(t.selected_name(), "layer4.0.downsample.0");
    assert_eq!(t.filter(), "downsample.0");
}

#[test]
fn the_filter_and_the_sort_combine() {
    let mut t = tab();
    t.act(Act::NextSort); // by params
    t.act(Act::Filter);
    type_in(&mut t, "layer4");
    t.type_key(Key::code(crossterm::event::KeyCode::Enter));
    let rows = t.visible_rows();
    // Layers only (no containers), all in layer4, largest first.
    assert!(!rows.is_empty());
    let net = t.network();
    assert!(rows.iter().all(|&i| !net.modules[i].is_container()));
    assert!(
        rows.iter()
            .all(|&i| net.modules[i].name.starts_with("layer4"))
    );
    let params: Vec<Count> = rows.iter().map(|&i| net.modules[i].params).collect();
    assert!(params.windows(2).all(|w| w[0] >= w[1]), "{params:?}");
    // 3x3 512->512 convolutions: 512 * 512 * 9 parameters each.
    assert_eq!(params[0], 512 * 512 * 9);
    // R resets the filter with everything else.
    assert!(t.act(Act::Reset));
    assert_eq!(t.filter(), "");
}

#[test]
fn matches_are_highlighted_where_they_are_drawn() {
    let mut t = tab();
    t.act(Act::Filter);
    type_in(&mut t, "relu");
    let ui = Ui::new(ColorDepth::None, true);
    let buf = draw(&mut t, 80, 24, &ui);
    let text = buffer_text(&buf);
    assert!(text.contains("/relu"), "{text}");
    assert!(text.contains("9 of 67 modules match"), "{text}");
    // In every listed row, the four letters of "relu" / "ReLU" are underlined, in the name
    // column and in the type column, and the rest of the name is not.
    let mut rows = 0;
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        if line.starts_with('╰') {
            break; // the end of the tree's panel
        }
        let Some(start) = line.find("ReLU") else {
            continue;
        };
        rows += 1;
        let x = line[..start].chars().count() as u16;
        for dx in 0..4 {
            assert!(
                buf[(x + dx, y)].modifier.contains(Modifier::UNDERLINED),
                "row {y}: {line}"
            );
        }
        assert!(
            !buf[(x + 4, y)].modifier.contains(Modifier::UNDERLINED),
            "row {y}: {line}"
        );
        let name = line.find("relu").expect("the name column shows the match");
        let nx = line[..name].chars().count() as u16;
        assert!(buf[(nx, y)].modifier.contains(Modifier::UNDERLINED));
        if nx > 1 {
            assert!(!buf[(nx - 1, y)].modifier.contains(Modifier::UNDERLINED));
        }
    }
    assert!(rows >= 5, "{text}");
}

#[test]
fn the_filter_brings_the_tree_back_from_the_batch_norm_panel() {
    let mut t = tab();
    t.act(Act::PrevPanel);
    assert_eq!(t.focus(), Focus::BatchNorm);
    t.act(Act::Filter);
    assert_eq!(t.focus(), Focus::Module);
    type_in(&mut t, "fc");
    let text = buffer_text(&draw(&mut t, 80, 24, &Ui::standard()));
    assert!(text.contains("/fc"), "{text}");
}

/// Issue 18: every binding follows the key conventions, and the table is sound.
#[test]
fn the_key_table_follows_the_conventions() {
    let problems = crate::keymap::convention_problems(&KEYS);
    assert!(problems.is_empty(), "{problems:?}");
    let problems = crate::keymap::table_problems(&KEYS);
    assert!(problems.is_empty(), "{problems:?}");
    // Space is play/pause by convention and this tab plays nothing: Enter alone expands.
    let space = Key::ch(' ');
    assert!(KEYS.iter().all(|b| !b.keys.contains(&space)));
    let enter = Key::code(crossterm::event::KeyCode::Enter);
    assert_eq!(crate::keymap::lookup(&KEYS, enter), Some(Act::ToggleExpand));
}

/// Issue 18: the page keys move by the rows the layout step found for the tree, and a click
/// hits the rows the layout placed.
#[test]
fn paging_uses_the_rows_the_layout_recorded() {
    let mut t = tab();
    t.act(Act::ExpandAll);
    let ui = Ui::standard();
    draw(&mut t, 80, 24, &ui);
    let page = t.page;
    assert!(page > 3 && page < 20, "{page}");
    let rows = t.visible_rows();
    assert!(t.act(Act::PageDown));
    assert_eq!(t.selected, rows[page]);
    draw(&mut t, 80, 40, &ui);
    assert!(t.page > page, "a taller screen, a longer page");
    assert!(t.act(Act::PageUp));
    assert_eq!(t.selected, rows[0]);
}

/// Issue 18: at the end of a panel's text, more presses change nothing, and one press back
/// moves the text at once (the offset is clamped to the extent the layout recorded).
#[test]
fn scrolling_past_the_end_is_never_stored() {
    let ui = Ui::new(ColorDepth::None, true);
    for focus_steps in 0..Focus::ALL.len() {
        let mut t = tab();
        t.act(Act::Down); // bn1: its note is longer than the panel
        for _ in 0..focus_steps {
            t.act(Act::NextPanel);
        }
        let focus = t.focus();
        let mut last = buffer_text(&draw(&mut t, 80, 24, &ui));
        let mut moved = 0;
        while t.act(Act::Scroll(ScrollAct::Down)) {
            moved += 1;
            last = buffer_text(&draw(&mut t, 80, 24, &ui));
            assert!(moved < 500, "{focus:?} never ends");
        }
        for _ in 0..30 {
            assert!(!t.act(Act::Scroll(ScrollAct::Down)), "{focus:?}");
        }
        assert_eq!(buffer_text(&draw(&mut t, 80, 24, &ui)), last);
        assert!(moved > 0, "{focus:?} scrolls at 80x24");
        assert!(t.act(Act::Scroll(ScrollAct::Up)), "{focus:?}");
        assert_ne!(buffer_text(&draw(&mut t, 80, 24, &ui)), last, "{focus:?}");
    }
}

/// Issue 18: the readout says what the tab shows, with the model's numbers.
#[test]
fn the_readout_has_the_models_figures() {
    let mut t = tab();
    let text = t.readout().expect("a readout");
    let net = t.network();
    // resnet18 as published by torchvision: 11,689,512 parameters, 1.81G MACs.
    assert_eq!(net.total_params(), 11_689_512);
    for needle in [
        "ResNet: resnet18, 1,000 classes, input 224×224, conv bias off, train mode".to_string(),
        "run: batch 1, float32, sgd".to_string(),
        "total params: 11,689,512".to_string(),
        format!(
            "MACs per image: {}",
            group_thousands(exact(net.total_macs()))
        ),
        format!(
            "FLOPs forward: {}",
            group_thousands(exact(t.costs().totals.flops_forward))
        ),
        format!(
            "training bytes: {}",
            group_thousands(exact(t.costs().totals.training_bytes()))
        ),
        format!(
            "batch-norm: {} ",
            group_thousands(exact(net.groups().batchnorm))
        ),
        "tree: 18 of 67 modules shown, columns: sizes".to_string(),
        "selected: conv1 (Conv2d)".to_string(),
        "params: 9,408".to_string(),
        format!("MACs: {}", group_thousands(exact(net.modules[0].macs))),
        "output: 64×112×112".to_string(),
        "focused panel: module".to_string(),
    ] {
        assert!(text.contains(&needle), "missing {needle:?}:\n{text}");
    }
    // The columns shown, the sort and the filter follow the keys.
    t.act(Act::NextColumns);
    t.act(Act::NextSort);
    t.act(Act::Filter);
    for c in "conv".chars() {
        t.type_key(Key::ch(c));
    }
    t.type_key(Key::code(crossterm::event::KeyCode::Enter));
    let text = t.readout().unwrap();
    let selected = t.selected;
    let c = &t.costs().modules[selected];
    for needle in [
        "sort: layers by params, largest first".to_string(),
        "filter: \"conv\"".to_string(),
        "columns: FLOPs".to_string(),
        format!("FLOPs fwd: {}", group_thousands(exact(c.flops_forward))),
        format!("FLOPs bwd: {}", group_thousands(exact(c.flops_backward))),
    ] {
        assert!(text.contains(&needle), "missing {needle:?}:\n{text}");
    }
    // The homework check, when it has the focus.
    t.act(Act::Reset);
    t.act(Act::NextPanel);
    let text = t.readout().unwrap();
    assert!(text.contains("29 of 32 printed figures agree"), "{text}");
    assert!(
        text.contains("(differs)") && text.contains("(agrees)"),
        "{text}"
    );
}

#[test]
fn the_readout_of_the_batch_norm_panel_has_its_running_statistics() {
    let mut t = tab();
    t.act(Act::PrevPanel);
    assert_eq!(t.focus(), Focus::BatchNorm);
    let text = t.readout().unwrap();
    let f = t.batch_norm.figures().expect("the model ran");
    let k = f.live.model.num_batches_tracked;
    assert!(text.contains(&format!("batches fed: {k}")), "{text}");
    let line = |label: &str| -> Vec<f64> {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label}:\n{text}"));
        let numbers = line.rsplit(": ").next().unwrap_or("");
        numbers.split(' ').map(|x| x.parse().unwrap()).collect()
    };
    let close = |a: &[f64], b: &ndarray::Array1<f64>| {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| (x - y).abs() <= 5e-4 * y.abs().max(1e-12))
    };
    assert!(
        close(&line("running_mean after"), &f.live.model.running_mean),
        "{text}"
    );
    assert!(
        close(&line("running_var after"), &f.live.model.running_var),
        "{text}"
    );
    assert!(
        close(&line("running_mean before"), &f.before_mean),
        "{text}"
    );
    assert!(
        text.contains("μ_B batch mean (normalises in this mode)"),
        "{text}"
    );
}

/// Issue 19 point 7: at 32×32, batch 1, train mode, the tab says PyTorch refuses the step, in
/// the summary, on the batch norm that raises and in the readout; eval mode or batch 2 runs.
#[test]
fn a_training_step_pytorch_refuses_is_flagged() {
    let mut t = ResnetTab::new(
        &Waker::headless(),
        Config {
            input_hw: (32, 32),
            ..Config::default()
        },
    );
    let readout = t.readout_text();
    assert!(readout.contains("PyTorch: refuses it"), "{readout}");
    assert!(
        readout.contains("train step refused at layer4.0.bn1: Expected more than 1 value"),
        "{readout}"
    );
    let ui = Ui::new(ColorDepth::None, true);
    let view = render::View { tab: &t, ui: &ui };
    let summary = view.summary_lines(Rect::new(0, 0, 46, 200));
    let text: String = summary.iter().map(|l| l.to_string() + " ").collect();
    assert!(
        text.contains("PyTorch refuses this training step"),
        "{text}"
    );
    select(&mut t, "layer4.0.bn1");
    let module: String = render::View { tab: &t, ui: &ui }
        .module_lines(Rect::new(0, 0, 46, 200))
        .iter()
        .map(|l| l.to_string() + " ")
        .collect();
    assert!(module.contains("PyTorch raises here"), "{module}");
    assert!(t.act(Act::ToggleMode));
    assert!(!t.readout_text().contains("refuses"));
    assert!(t.act(Act::ToggleMode) && t.act(Act::LargerBatch));
    assert!(!t.readout_text().contains("refuses"));
}

/// Issue 19 point 14: the memory note says where the image is counted, with its bytes.
#[test]
fn the_memory_note_says_where_the_image_is_counted() {
    let t = tab();
    let note = notes::memory_note(t.costs());
    assert!(
        note.contains("The input image (602,112 bytes here)"),
        "{note}"
    );
    assert!(note.contains("counted in conv1's row"), "{note}");
    assert!(t.readout_text().contains("of which the image: 602,112"));
}
