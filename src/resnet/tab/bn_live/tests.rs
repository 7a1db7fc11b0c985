// Index loops on purpose: each channel c is read from several rows at once.
#![allow(clippy::needless_range_loop)]

//! The batch-norm panel: every sentence on it is a claim, and these tests read the drawn panel
//! and check each claim against the model.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::*;
use crate::jobs::Waker;
use crate::resnet::model::Config;
use crate::resnet::model::bn_live::{EPS, MOMENTUM};
use crate::snapshot::buffer_text;
use crate::tab::Tab;
use crate::theme::{ColorDepth, Ui};

/// The ResNet tab with the batch-norm panel focused.
fn tab() -> ResnetTab {
    let mut t = ResnetTab::new(&Waker::headless(), Config::default());
    assert!(t.act(Act::PrevPanel));
    assert_eq!(t.focus, Focus::BatchNorm);
    t
}

/// A frame as the shell draws it: the layout step, then the render.
fn draw(t: &mut ResnetTab, w: u16, h: u16, ui: &Ui) -> String {
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    t.layout(area, ui);
    t.render(area, &mut buf, ui);
    buffer_text(&buf)
}

/// The whole panel, tall enough that nothing scrolls.
fn screen(t: &mut ResnetTab) -> String {
    draw(t, 80, 90, &Ui::standard())
}

/// The numbers on the row labelled `label` (after the label; border and scroll glyphs dropped).
fn row(screen: &str, label: &str) -> Vec<f64> {
    let line = screen
        .lines()
        .find(|l| l.contains(label))
        .unwrap_or_else(|| panic!("no row {label:?}:\n{screen}"));
    let after = &line[line.find(label).unwrap_or(0) + label.len()..];
    after
        .replace(['│', '┃', '↑', '↓', '|'], " ")
        .split_whitespace()
        .map(|s| {
            s.parse::<f64>()
                .unwrap_or_else(|_| panic!("{s:?} in {line:?}"))
        })
        .collect()
}

/// The panel's text as one line (wrapped sentences joined).
fn prose(screen: &str) -> String {
    screen
        .replace(['│', '┃', '╭', '╮', '╰', '╯', '↑', '↓'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A shown number agrees with an exact one to the digits shown (4 significant: a relative
/// error of at most 5e-4).
fn close(shown: f64, exact: f64) -> bool {
    (shown - exact).abs() <= 5e-4 * exact.abs().max(1e-12)
}

/// `a·x + b·y` computed from shown (rounded) numbers is within the rounding of its parts.
fn combines(shown: f64, (a, x): (f64, f64), (b, y): (f64, f64)) -> bool {
    let want = a * x + b * y;
    (shown - want).abs() <= 5e-4 * (shown.abs() + (a * x).abs() + (b * y).abs())
}

fn figures(t: &ResnetTab) -> &Figures {
    t.batch_norm.figures().expect("the model ran")
}

#[test]
fn the_running_update_on_screen_is_the_momentum_rule() {
    let mut t = tab();
    for _ in 0..3 {
        let s = screen(&mut t);
        let mean = row(&s, "μ_B batch mean");
        let var = row(&s, "σ²_B biased var");
        let unbiased = row(&s, "unbiased ·n/(n−1)");
        let (mb, ma) = (
            row(&s, "running_mean before"),
            row(&s, "running_mean after"),
        );
        let (vb, va) = (row(&s, "running_var before"), row(&s, "running_var after"));
        let f = figures(&t);
        let n = f.live.last.count as f64;
        for c in 0..CHANNELS {
            // The rule, on the numbers as shown...
            let keep = 1.0 - MOMENTUM;
            assert!(
                combines(ma[c], (keep, mb[c]), (MOMENTUM, mean[c])),
                "ch {c}"
            );
            assert!(
                combines(va[c], (keep, vb[c]), (MOMENTUM, unbiased[c])),
                "ch {c}"
            );
            assert!(
                combines(unbiased[c], (n / (n - 1.0), var[c]), (0.0, 0.0)),
                "ch {c}"
            );
            // ...and each shown number is the model's.
            assert!(close(mean[c], f.live.last.mean[c]));
            assert!(close(ma[c], f.live.model.running_mean[c]));
            assert!(close(va[c], f.live.model.running_var[c]));
            let exact = (1.0 - MOMENTUM) * f.before_mean[c] + MOMENTUM * f.live.last.mean[c];
            assert!((f.live.model.running_mean[c] - exact).abs() < 1e-12);
        }
        let k = f.live.model.num_batches_tracked;
        assert!(
            s.contains(&format!("num_batches_tracked {} → {k}", k - 1)),
            "{s}"
        );
        assert!(s.contains(&format!("batches fed {k}")), "{s}");
        assert!(
            prose(&s).contains(&format!("n/(n−1) = {n}/{}", n - 1.0)),
            "{s}"
        );
        // One key press, one train step: the old "after" is the new "before".
        assert!(t.act(Act::FeedBatch));
        let next = screen(&mut t);
        assert_eq!(row(&next, "running_mean before"), ma);
        assert_eq!(row(&next, "running_var before"), va);
        assert_eq!(figures(&t).live.model.num_batches_tracked, k + 1);
    }
}

#[test]
fn back_and_rewind_replay_the_same_run() {
    let mut t = tab();
    let ten = screen(&mut t);
    assert!(t.act(Act::FeedBatch));
    assert!(t.act(Act::BackOneBatch));
    assert_eq!(
        screen(&mut t),
        ten,
        "back one batch is the state one step earlier"
    );
    assert!(t.act(Act::Rewind));
    assert_eq!(t.batch_norm.steps(), 1);
    let s = screen(&mut t);
    // Before the first batch: the fresh layer's running statistics.
    assert_eq!(row(&s, "running_mean before"), vec![0.0; CHANNELS]);
    assert_eq!(row(&s, "running_var before"), vec![1.0; CHANNELS]);
    assert!(s.contains("num_batches_tracked 0 → 1"), "{s}");
    assert!(
        !t.act(Act::Rewind) && !t.act(Act::BackOneBatch),
        "nothing before batch 1"
    );
    // Keys that do nothing are not offered.
    assert!(!s.contains(", back") && !s.contains("r rewind"), "{s}");
    assert!(s.contains(". next batch"), "{s}");
    // Fed up to the limit, `.` stops.
    for _ in 1..MAX_STEPS {
        t.batch_norm.steps += 1;
    }
    assert!(!t.act(Act::FeedBatch));
    assert_eq!(t.batch_norm.steps(), MAX_STEPS);
}

#[test]
fn eval_mode_moves_the_marker_and_feeds_nothing() {
    let mut t = tab();
    let train = screen(&mut t);
    for label in [
        "▸ μ_B batch mean",
        "▸ σ²_B biased var",
        "▸ train: output mean",
    ] {
        assert!(train.contains(label), "{label}:\n{train}");
    }
    assert!(!train.contains("▸ running_mean after"));
    // Train mode: the BN output of the batch has mean β = 0 and variance about 1 per channel.
    let f = figures(&t);
    let stats = f.train_output.as_ref().expect("train output statistics");
    for (c, &v) in row(&train, "train: output var").iter().enumerate() {
        assert!(close(v, stats.var[c]) && (v - 1.0).abs() < 0.01, "ch {c}");
    }
    for v in row(&train, "train: output mean") {
        assert!(v.abs() < 1e-12, "{v}");
    }
    assert!(t.act(Act::ToggleMode));
    let eval = screen(&mut t);
    for label in [
        "▸ running_mean after",
        "▸ running_var after",
        "▸ eval: output mean",
    ] {
        assert!(eval.contains(label), "{label}:\n{eval}");
    }
    assert!(!eval.contains("▸ μ_B batch mean"));
    assert!(prose(&eval).contains("Eval mode normalises with running_mean and running_var"));
    // Eval mode updates nothing, so `.` feeds no batch, and the key is not offered.
    let steps = t.batch_norm.steps();
    assert!(!t.act(Act::FeedBatch));
    assert_eq!(t.batch_norm.steps(), steps);
    assert!(!eval.contains(". next batch"), "{eval}");
    assert!(prose(&eval).contains("batches are fed in train mode (t)"));
    // Eval output: normalised with the running statistics, so its mean per channel is
    // (μ_B − running_mean)/√(running_var + ε), not 0.
    let f = figures(&t);
    let shown = row(&eval, "eval: output mean");
    for c in 0..CHANNELS {
        let m = &f.live.model;
        let want = (f.live.last.mean[c] - m.running_mean[c]) / (m.running_var[c] + EPS).sqrt();
        assert!(close(shown[c], want), "ch {c}: {} vs {want}", shown[c]);
    }
}

/// Issue 19 point 2: both eval-mode what-ifs on screen, each against its formula.
#[test]
fn the_conv_bias_cancels_in_train_mode_and_shifts_eval_mode() {
    let mut t = tab();
    for conv_bias in [false, true] {
        assert_eq!(t.config().conv_bias, conv_bias);
        let s = screen(&mut t);
        let f = figures(&t);
        assert_eq!(f.live.model.bias.iter().any(|&b| b != 0.0), conv_bias);
        let b = row(&s, "  b  ");
        let train = row(&s, "train: max |Δ|");
        assert_eq!(train.len(), 1);
        assert!(train[0] <= 1e-12, "{}", train[0]);
        let same = row(&s, "eval Δ, same stats");
        let same_formula = row(&s, "  b·γ/√(var+ε)");
        let own = row(&s, "eval Δ, own stats");
        let own_formula = row(&s, "0.9^10·b·γ/√(var+ε)");
        let absorbed = row(&s, "running_mean, b on − off");
        let absorbed_formula = row(&s, "(1−0.9^10)·b");
        let m = &f.live.model;
        let left = 0.9f64.powi(10);
        for c in 0..CHANNELS {
            assert!(close(b[c], f.live.bias.bias[c]));
            let whole = f.live.bias.bias[c] * m.gamma[c] / (m.running_var[c] + EPS).sqrt();
            assert!(close(same[c], whole), "ch {c}: {} vs {whole}", same[c]);
            assert!(close(same_formula[c], whole), "ch {c}");
            assert!(close(own[c], left * whole), "ch {c}: {}", own[c]);
            assert!(close(own_formula[c], left * whole), "ch {c}");
            let moved = (1.0 - left) * f.live.bias.bias[c];
            assert!(close(absorbed[c], moved) && close(absorbed_formula[c], moved));
            assert!(whole.abs() > 1e-3, "the shift is visible");
            // "γ = 1: BN's initial scale."
            assert_eq!(m.gamma[c], 1.0);
        }
        // Channel 2 with b on, as the issue reads it: 0.0276 after 10 batches, not 0.0790.
        if conv_bias {
            assert!((own[2].abs() - 0.02755).abs() < 1e-5, "{}", own[2]);
            assert!((same[2].abs() - 0.07902).abs() < 1e-5, "{}", same[2]);
        }
        assert!(row(&s, "largest |measured−formula|")[0] <= 1e-12);
        let text = prose(&s);
        assert!(text.contains("(γ = 1: BN's initial scale)"), "{text}");
        assert!(
            text.contains(notes::bn_live_bias_source(conv_bias)),
            "{text}"
        );
        assert!(text.contains("Eval mode, same stats"), "{text}");
        assert!(text.contains("Eval mode, own stats"), "{text}");
        assert!(!text.contains("does not move with b"), "{text}");
        let own_b = ConvBnRelu::new(SEED, true).bias;
        assert_eq!(f.live.bias.bias, own_b);
        if conv_bias {
            assert_eq!(f.live.model.bias, own_b);
        }
        assert!(t.act(Act::ToggleConvBias));
    }
}

/// Issue 19 point 2: the next-batch key shows the part of b that running_mean has not taken
/// in shrinking by 0.9, and the own-stats difference with it.
#[test]
fn each_batch_fed_shrinks_the_own_stats_difference() {
    let mut t = tab();
    assert!(t.act(Act::ToggleConvBias));
    let left = |t: &ResnetTab| {
        let f = figures(t);
        &f.live.bias.bias - &f.live.from_start.absorbed
    };
    screen(&mut t);
    let mut before = left(&t);
    let mut own = figures(&t).live.from_start.eval_shift.clone();
    for k in 11..14 {
        assert!(t.act(Act::FeedBatch));
        let s = screen(&mut t);
        let after = left(&t);
        let shift = figures(&t).live.from_start.eval_shift.clone();
        for c in 0..CHANNELS {
            assert!((after[c] - 0.9 * before[c]).abs() < 1e-12, "ch {c}");
            assert!(shift[c].abs() < own[c].abs(), "ch {c} at {k}");
        }
        assert!(prose(&s).contains(&format!(
            "Each batch fed (.) multiplies 0.9^{k}·b, the part of b that running_mean has not \
             taken in, by 0.9."
        )));
        (before, own) = (after, shift);
    }
}

#[test]
fn the_spread_is_noisier_at_small_batches_as_the_panel_says() {
    let mut t = tab();
    for _ in 0..2 {
        let s = screen(&mut t);
        let text = prose(&s);
        assert!(
            text.contains("spread of μ_B falls at every larger N"),
            "{text}"
        );
        assert!(
            text.contains("both spreads are smallest at N = 32"),
            "{text}"
        );
        let means: Vec<Vec<f64>> = SPREAD_BATCHES
            .iter()
            .map(|n| row(&s, &format!("N = {n}: std of μ_B")))
            .collect();
        let vars: Vec<Vec<f64>> = SPREAD_BATCHES
            .iter()
            .map(|n| row(&s, &format!("N = {n}: std of σ²_B")))
            .collect();
        for c in 0..CHANNELS {
            assert!(means.windows(2).all(|w| w[0][c] > w[1][c]), "ch {c}");
            let last = vars.len() - 1;
            assert!(vars[..last].iter().all(|v| v[c] > vars[last][c]), "ch {c}");
        }
        let f = figures(&t);
        for (shown, spread) in means.iter().zip(&f.live.spread) {
            for c in 0..CHANNELS {
                assert!(close(shown[c], spread.mean_std[c]));
            }
        }
        // The panel's own batch size is marked.
        assert!(s.contains("▸ N = 8: std of μ_B"), "{s}");
        assert!(!s.contains("▸ N = 2: std of μ_B"));
        t.act(Act::ToggleConvBias);
    }
}

#[test]
fn one_value_per_channel_is_pytorchs_error_on_screen() {
    let mut t = tab();
    while t.act(Act::SmallerBatch) {}
    let cfg = t.batch_norm.config(false);
    assert_eq!((cfg.batch, cfg.side), (1, 1));
    let s = screen(&mut t);
    let text = prose(&s);
    assert!(text.contains("batch 1 camera patch of 1×1"), "{text}");
    assert!(text.contains("n = N·H·W = 1 value per channel"), "{text}");
    assert!(
        text.contains(
            "ValueError: Expected more than 1 value per channel when training, got input size \
             torch.Size([1, 4, 1, 1])"
        ),
        "{text}"
    );
    // The model says so, and nothing was trained.
    assert!(matches!(
        t.batch_norm.outcome(),
        Some((
            _,
            Outcome::Refused {
                error: BnError::OneValuePerChannel { .. },
                ..
            }
        ))
    ));
    assert!(!t.act(Act::FeedBatch) && !t.act(Act::BackOneBatch) && !t.act(Act::Rewind));
    assert!(
        !text.contains("next batch") && !text.contains("rewind"),
        "{text}"
    );
    // "Eval mode ... runs the same batch": the fresh layer's eval output, shown per channel.
    let image = bn_live::camera().expect("built in");
    let x = bn_live::patches(image.view(), 1, 1, SEED).expect("a 1x1 patch");
    let eval = ConvBnRelu::new(SEED, false)
        .eval_forward(x.view())
        .normalized;
    let shown = row(&s, "BN output  ");
    assert_eq!(shown.len(), CHANNELS);
    for (c, v) in eval.iter().enumerate() {
        assert!(close(shown[c], *v), "ch {c}");
    }
    // One step up, a batch of one 8×8 patch trains again (64 values per channel).
    assert!(t.act(Act::LargerBatch));
    assert!(t.batch_norm.figures().is_some());
    assert!(screen(&mut t).contains("n = N·H·W = 64 values per channel"));
}

#[test]
fn z_steps_the_panels_batch_only_while_it_has_the_focus() {
    let mut t = tab();
    let cost_batch = t.cost().batch;
    assert!(t.act(Act::LargerBatch));
    assert_eq!(t.batch_norm.config(false).batch, 16);
    assert_eq!(t.cost().batch, cost_batch, "the tree's batch is left alone");
    assert!(screen(&mut t).contains("batch 16 camera patches of 8×8"));
    while t.act(Act::LargerBatch) {}
    assert_eq!(t.batch_norm.config(false).batch, SHAPES[SHAPES.len() - 1].0);
    // Another panel: z is the tree's batch again.
    assert!(t.act(Act::NextPanel));
    assert!(t.act(Act::LargerBatch));
    assert_eq!(t.cost().batch, cost_batch * 2);
    assert!(
        !t.act(Act::FeedBatch),
        "the panel's keys do nothing elsewhere"
    );
    // R resets the panel too.
    assert!(t.act(Act::Reset));
    assert_eq!(t.batch_norm.config(false), LiveConfig::default());
}

#[test]
fn movement_keys_scroll_the_panel_not_the_hidden_tree() {
    let mut t = tab();
    let ui = Ui::standard();
    let selected = t.selected;
    let first = draw(&mut t, 80, 22, &ui);
    assert!(
        first.contains("J/K scroll") && first.contains('↓'),
        "{first}"
    );
    assert!(t.act(Act::Down));
    assert_eq!(t.selected, selected);
    assert_eq!(t.scroll_offset(Focus::BatchNorm), 1);
    assert!(t.act(Act::Last));
    let last = draw(&mut t, 80, 22, &ui);
    assert!(
        last.contains('↑') && last.contains("BN's initial scale"),
        "{last}"
    );
    assert!(t.act(Act::First));
    assert_eq!(draw(&mut t, 80, 22, &ui), first);
    assert!(!t.act(Act::Less));
    // The tree is not on screen, so a click selects nothing.
    assert!(!t.click(3, 5));
    // Everything fits at 200x60: no scroll key offered.
    let wide = draw(&mut t, 200, 60, &ui);
    assert!(!wide.contains("J/K scroll"), "{wide}");
}

#[test]
fn the_panel_draws_at_every_size_in_ascii_and_without_colour() {
    let mut t = tab();
    let ascii = Ui::new(ColorDepth::Ansi16, false);
    let plain = Ui::new(ColorDepth::None, true);
    for keys in [
        vec![],
        vec![Act::ToggleMode, Act::ToggleConvBias],
        vec![Act::SmallerBatch; 4],
    ] {
        for act in keys {
            t.act(act);
        }
        for (w, h) in [
            (0, 0),
            (1, 1),
            (2, 50),
            (50, 2),
            (20, 10),
            (64, 20),
            (80, 22),
        ] {
            draw(&mut t, w, h, &plain);
            let text = draw(&mut t, w, h, &ascii);
            assert!(text.is_ascii(), "{w}x{h}:\n{text}");
            assert!(
                !text.contains('?'),
                "an unspelled glyph at {w}x{h}:\n{text}"
            );
        }
        for w in (0..=220).step_by(11) {
            for h in (0..=70).step_by(7) {
                draw(&mut t, w, h, &Ui::standard());
            }
        }
    }
}

#[test]
fn numbers_shrink_but_are_never_cut() {
    let mut t = tab();
    let mean = figures(&t).live.last.mean.clone();
    // The narrowest panel the app draws (64 columns), and one narrower still: fewer digits.
    for w in [64, 50] {
        let s = draw(&mut t, w, 90, &Ui::standard());
        let shown = row(&s, "μ_B batch mean");
        assert_eq!(shown.len(), CHANNELS, "{s}");
        for c in 0..CHANNELS {
            let exact = mean[c];
            assert!(
                (shown[c] - exact).abs() <= 5e-3 * exact.abs(),
                "{w}: {}",
                shown[c]
            );
        }
    }
    assert!(Grid::new(15).is_none());
    let narrow = draw(&mut t, 20, 30, &Ui::standard());
    assert!(narrow.contains("(too narrow"), "{narrow}");
}

#[test]
fn notes_fold_to_ascii() {
    let texts = [
        notes::bn_live_normalises(Mode::Train, ">"),
        notes::bn_live_normalises(Mode::Eval, ">"),
        notes::bn_live_update(512),
        notes::bn_live_spread(
            20,
            32,
            "Z",
            bn_live::SpreadFacts {
                mean_falls: true,
                smallest_at_largest: true,
            },
        ),
        notes::bn_live_eval_feeds("t"),
        notes::BN_LIVE_REFUSED.to_string(),
        notes::bn_live_bias_source(true).to_string(),
        notes::bn_live_bias_source(false).to_string(),
    ];
    for text in texts {
        let folded = crate::text::ascii(&text);
        assert!(!folded.contains('?'), "{folded}");
    }
}

// ---- The claims sweep over the panel (issue 19) ----

/// The two layers of the bias what-ifs, trained by hand on the panel's first `k` batches, and
/// the panel's last batch.
struct ByHand {
    with_b: ConvBnRelu,
    without_b: ConvBnRelu,
    x: ndarray::Array4<f64>,
    image: ndarray::Array2<f64>,
    cfg: LiveConfig,
}

fn by_hand(image: &ndarray::Array2<f64>, cfg: &LiveConfig, k: usize) -> ByHand {
    let image = image.clone();
    let mut with_b = ConvBnRelu::new(SEED, true);
    let mut without_b = ConvBnRelu::new(SEED, false);
    let mut x = None;
    for j in 0..k {
        let batch = bn_live::run_batch(image.view(), cfg, j).unwrap();
        with_b.train_step(batch.view()).unwrap();
        without_b.train_step(batch.view()).unwrap();
        x = Some(batch);
    }
    ByHand {
        with_b,
        without_b,
        x: x.expect("k ≥ 1"),
        image,
        cfg: *cfg,
    }
}

fn largest(a: &ndarray::Array4<f64>) -> f64 {
    a.iter().fold(0.0, |m: f64, v| m.max(v.abs()))
}

/// The bias sentences on screen, each against the layers trained by hand.
fn check_bias_sentences(text: &str, h: &ByHand, conv_bias: bool, k: usize, at: &str) {
    let b = ConvBnRelu::new(SEED, true).bias;
    let shown = if conv_bias { &h.with_b } else { &h.without_b };
    let with = |bias: &ndarray::Array1<f64>| ConvBnRelu {
        bias: bias.clone(),
        ..shown.clone()
    };
    let (on, off) = (with(&b), with(&ndarray::Array1::zeros(CHANNELS)));
    let x = h.x.view();
    let scale = |c: usize, m: &ConvBnRelu| m.gamma[c] / (m.running_var[c] + EPS).sqrt();
    if text.contains("Train mode: b moves every value and μ_B alike, so it cancels") {
        let d =
            &on.train_forward(x).unwrap().normalized - &off.train_forward(x).unwrap().normalized;
        assert!(largest(&d) <= notes::ROUNDING, "{at}");
    }
    if text.contains("Eval mode, same stats") {
        let action = if conv_bias {
            "taking b out of"
        } else {
            "putting b into"
        };
        let batches = if k == 1 { "batch" } else { "batches" };
        assert!(
            text.contains(&format!("{action} this layer after its {k} {batches}")),
            "{at}"
        );
        let mut d = &on.eval_forward(x).normalized - &off.eval_forward(x).normalized;
        for c in 0..CHANNELS {
            let whole = b[c] * scale(c, shown);
            d.index_axis_mut(ndarray::Axis(1), c)
                .mapv_inplace(|v| v - whole);
        }
        assert!(largest(&d) <= 1e-12, "{at}");
    }
    let left = 0.9f64.powi(k as i32);
    if text.contains("Eval mode, own stats") {
        let mut d = &h.with_b.eval_forward(x).normalized - &h.without_b.eval_forward(x).normalized;
        for c in 0..CHANNELS {
            let part = left * b[c] * scale(c, &h.with_b);
            d.index_axis_mut(ndarray::Axis(1), c)
                .mapv_inplace(|v| v - part);
            let moved = h.with_b.running_mean[c] - h.without_b.running_mean[c];
            assert!((moved - (1.0 - left) * b[c]).abs() <= 1e-12, "{at}");
        }
        assert!(largest(&d) <= 1e-12, "{at}");
        let taken = crate::numfmt::general(1.0 - left, 4);
        assert!(text.contains(&format!("(1−0.9^{k})·b = {taken}·b")), "{at}");
        assert!(text.contains(&crate::numfmt::percent(left, 1)), "{at}");
    }
    if text.contains(&format!(
        "multiplies 0.9^{k}·b, the part of b that running_mean has not"
    )) {
        // One more batch through both layers: what running_mean has not taken in, times 0.9.
        let (mut w, mut wo) = (h.with_b.clone(), h.without_b.clone());
        let next = bn_live::run_batch(h.image.view(), &h.cfg, k).unwrap();
        w.train_step(next.view()).unwrap();
        wo.train_step(next.view()).unwrap();
        for c in 0..CHANNELS {
            let before = b[c] - (h.with_b.running_mean[c] - h.without_b.running_mean[c]);
            let after = b[c] - (w.running_mean[c] - wo.running_mean[c]);
            assert!((after - 0.9 * before).abs() <= 1e-12, "{at}");
            assert!((before - left * b[c]).abs() <= 1e-12, "{at}");
        }
    }
}

/// The module panel's and the summary's batch-norm claims, on the panel's layer: eval output
/// independent of the batch, scale invariance of the weight in train mode (up to ε), γ scales
/// the spread around β, and the redundant-bias notes' formulas.
fn check_layer_claims(h: &ByHand, at: &str) {
    let x = h.x.view();
    let layer = &h.with_b;
    let alone = layer
        .eval_forward(h.x.slice(ndarray::s![0..1, .., .., ..]))
        .normalized;
    let in_batch = layer.eval_forward(x).normalized;
    let first = in_batch.slice(ndarray::s![0..1, .., .., ..]);
    assert_eq!(
        alone.view(),
        first,
        "eval output of one image alone = in its batch: {at}"
    );
    let wd = notes::weight_decay_note();
    assert!(wd.contains(
        "In train mode a conv weight that feeds a batch norm is scale-invariant up to ε"
    ));
    let c = 0.5;
    let scaled = ConvBnRelu {
        weight: &layer.weight * c,
        bias: &layer.bias * c,
        ..layer.clone()
    };
    let y = layer.train_forward(x).unwrap().normalized;
    let stats = bn_live::batch_stats(layer.conv(x).view()).unwrap();
    let bound = (0..CHANNELS)
        .map(|ch| {
            let v = stats.var[ch];
            let ratio = ((v + EPS) / (v + EPS / (c * c))).sqrt();
            (1.0 - ratio).abs() * largest(&y)
        })
        .fold(0.0, f64::max);
    let d = &scaled.train_forward(x).unwrap().normalized - &y;
    assert!(
        largest(&d) <= bound + 1e-12,
        "{at}: {} > {bound}",
        largest(&d)
    );
    let half_gamma = ConvBnRelu {
        gamma: &layer.gamma * 0.5,
        ..layer.clone()
    };
    let d = &half_gamma.train_forward(x).unwrap().normalized - &(&y * 0.5);
    assert!(
        largest(&d) <= 1e-15,
        "γ scales the output around β = 0: {at}"
    );
    for text in [
        notes::REDUNDANT_BIAS_NOTE.to_string(),
        notes::redundant_bias_line("4", Mode::Eval),
    ] {
        assert!(text.contains("0.9^k"), "{text}");
    }
}

/// Per batch size of the spread table, per channel: the std of μ_B and of σ²_B.
type SpreadByHand = Vec<(Vec<f64>, Vec<f64>)>;

/// The spread table's figures by loops (a shift by b changes neither std, so one layer does).
fn spread_by_hand(h: &ByHand) -> SpreadByHand {
    let layer = &h.with_b;
    SPREAD_BATCHES
        .iter()
        .map(|&n| {
            let (mut means, mut vars) = (vec![Vec::new(); CHANNELS], vec![Vec::new(); CHANNELS]);
            for j in 0..h.cfg.spread_batches {
                let seed = SEED.wrapping_mul(31).wrapping_add(j as u64);
                let x = bn_live::patches(h.image.view(), n, h.cfg.side, seed).unwrap();
                let conv = layer.conv(x.view());
                for c in 0..CHANNELS {
                    let lane: Vec<f64> = conv
                        .index_axis(ndarray::Axis(1), c)
                        .iter()
                        .copied()
                        .collect();
                    let mu = lane.iter().sum::<f64>() / lane.len() as f64;
                    let var =
                        lane.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / lane.len() as f64;
                    means[c].push(mu);
                    vars[c].push(var);
                }
            }
            let std = |xs: &Vec<f64>| {
                let m = xs.iter().sum::<f64>() / xs.len() as f64;
                (xs.iter().map(|v| (v - m).powi(2)).sum::<f64>() / xs.len() as f64).sqrt()
            };
            (
                means.iter().map(std).collect(),
                vars.iter().map(std).collect(),
            )
        })
        .collect()
}

/// The spread sentences, against the spread computed by loops.
fn check_spread_sentences(text: &str, spread: &SpreadByHand, at: &str) {
    if text.contains("spread of μ_B falls at every larger N") {
        for c in 0..CHANNELS {
            assert!(spread.windows(2).all(|w| w[1].0[c] < w[0].0[c]), "{at}");
        }
    }
    if text.contains("both spreads are smallest at N = 32") {
        let last = spread.last().unwrap();
        for s in spread {
            for c in 0..CHANNELS {
                assert!(last.0[c] <= s.0[c] && last.1[c] <= s.1[c], "{at}");
            }
        }
    }
}

/// Issue 19: every sentence the panel can show, over conv bias × batch shape × batches fed ×
/// mode, each checked against layers trained by hand (the layer without b, one batch more,
/// the other mode) wherever it is shown.
#[test]
fn claims_sweep_over_the_batch_norm_panel() {
    let start = std::time::Instant::now();
    let mut t = tab();
    let image = bn_live::camera().expect("built in");
    let mut spread = None;
    for conv_bias in [false, true] {
        if t.config().conv_bias != conv_bias {
            assert!(t.act(Act::ToggleConvBias));
        }
        // (1,1) refused, (1,8), (8,8): from the smallest shape up.
        while t.act(Act::SmallerBatch) {}
        for ups in [0, 1, 3] {
            for _ in 0..ups {
                t.act(Act::LargerBatch);
            }
            let cfg = t.batch_norm.config(conv_bias);
            if cfg.batch * cfg.side * cfg.side == 1 {
                let text = prose(&screen(&mut t));
                assert!(text.contains("PyTorch raises before touching the running statistics"));
                let x = bn_live::run_batch(image.view(), &cfg, 0).unwrap();
                let mut fresh = ConvBnRelu::new(SEED, conv_bias);
                let before = fresh.clone();
                assert!(fresh.train_step(x.view()).is_err());
                assert_eq!(fresh, before, "nothing is updated");
                continue;
            }
            t.act(Act::Rewind);
            for k in 1..=4 {
                let h = by_hand(&image, &cfg, k);
                let spread = spread.get_or_insert_with(|| spread_by_hand(&h));
                check_layer_claims(&h, &format!("{cfg:?} k {k}"));
                for mode in [Mode::Train, Mode::Eval] {
                    if t.mode != mode {
                        assert!(t.act(Act::ToggleMode));
                    }
                    let s = screen(&mut t);
                    let text = prose(&s);
                    let at = format!("bias {conv_bias} {cfg:?} k {k} {mode:?}: {text}");
                    assert_eq!(figures(&t).live.model.num_batches_tracked, k as u64, "{at}");
                    check_bias_sentences(&text, &h, conv_bias, k, &at);
                    check_spread_sentences(&text, spread, &at);
                    if text.contains("In eval mode a batch leaves running_mean") {
                        assert_eq!(mode, Mode::Eval, "{at}");
                        assert!(!t.act(Act::FeedBatch), "{at}");
                    }
                    if text.contains("Each batch fed (.)") {
                        // The key feeds now: train mode, below the panel's last batch.
                        assert!(mode == Mode::Train && t.batch_norm.steps() < MAX_STEPS);
                    }
                }
                if t.mode != Mode::Train {
                    t.act(Act::ToggleMode);
                }
                assert!(t.act(Act::FeedBatch));
            }
        }
        while t.act(Act::LargerBatch) {}
    }
    assert!(start.elapsed().as_secs() < 10, "{:?}", start.elapsed());
}
