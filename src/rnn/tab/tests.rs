//! The tab's state and keys, and that its screen renders for any size.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use std::sync::{Arc, Mutex};

use strum::IntoEnumIterator;

use super::*;
use crate::components::controls::ControlSet;
use crate::jobs::Cancel;
use crate::numfmt;
use crate::rnn::model::{self, Activation, Clip, Init};

use super::notes;
use super::settings::{CLIP_THRESHOLDS, HIDDEN, RHO_MAX};

fn tab() -> RnnTab {
    RnnTab::with_params(
        &Waker::headless(),
        Params {
            hidden: 8,
            steps: 20,
            ..Params::default()
        },
    )
}

#[test]
fn animation_plays_backward_and_stops_at_zero() {
    let mut t = tab();
    assert_eq!(t.cursor(), 20);
    assert!(t.animating());
    let mut frames = 0;
    while t.animating() {
        t.tick();
        frames += 1;
        assert!(frames <= 400);
    }
    assert_eq!(t.cursor(), 0);
    assert!(!t.animating() && !t.playing());
    // About six seconds at 30 frames a second at the normal pace (the last of the 20 steps
    // ends as soon as t = 0 is reached, so a little less).
    assert!((160..=182).contains(&frames), "{frames}");
    // Space at the end starts again from t = T.
    t.act(Act::PlayPause);
    assert_eq!(t.cursor(), 20);
    assert!(t.playing());
    t.act(Act::PlayPause);
    assert!(!t.playing() && !t.animating());
    t.act(Act::StepForward);
    assert_eq!(t.cursor(), 19);
    t.act(Act::StepBack);
    t.act(Act::StepBack);
    assert_eq!(t.cursor(), 20, "stepping back stops at t = T");
    t.act(Act::Last);
    assert_eq!(t.cursor(), 0);
    t.act(Act::Rewind);
    assert_eq!(t.cursor(), 20);
    assert!(t.playing());
    t.act(Act::Last);
    t.act(Act::First);
    assert_eq!(t.cursor(), 20, "first: back to t = T");
    assert!(!t.playing(), "first pauses there");
}

#[test]
fn speed_changes_the_pace_of_the_pass() {
    let frames = |keys: &[Act]| {
        let mut t = tab();
        for &k in keys {
            t.act(k);
        }
        t.act(Act::Rewind);
        let mut n = 0;
        while t.animating() {
            t.tick();
            n += 1;
        }
        n
    };
    let normal = frames(&[]);
    assert!(frames(&[Act::Faster]) * 2 <= normal + 1);
    assert!(frames(&[Act::Slower]) >= 2 * normal - 5);
    let mut t = tab();
    for _ in 0..10 {
        t.act(Act::Slower);
    }
    assert_eq!(t.speed(), 0.125);
    assert!(!t.act(Act::Slower), "already at the slowest");
}

#[test]
fn long_sequences_animate_in_bounded_frames() {
    let mut t = RnnTab::with_params(
        &Waker::headless(),
        Params {
            hidden: 4,
            steps: 2000,
            ..Params::default()
        },
    );
    let mut frames = 0;
    while t.animating() {
        t.tick();
        frames += 1;
    }
    assert!(
        (frames as f64 - crate::controls::NORMAL_TICKS).abs() <= 2.0,
        "{frames}"
    );
    assert_eq!(t.cursor(), 0);
}

#[test]
fn controls_change_the_parameters_and_recompute() {
    let mut t = tab();
    assert_eq!(t.focus(), Control::Rho);
    t.act(Act::Controls(ControlAct::More));
    assert!((t.params().rho - 1.05).abs() < 1e-12);
    let r = t.result().expect("computed");
    assert!((r.params.rho - 1.05).abs() < 1e-12);
    assert!((r.spectral_radius - 1.05).abs() < 1e-9);
    assert_eq!(t.cursor(), 20, "a recompute restarts the animation");
    t.act(Act::Controls(ControlAct::Next));
    assert_eq!(t.focus(), Control::Activation);
    t.act(Act::Controls(ControlAct::More));
    assert_eq!(t.params().activation, Activation::Relu);
    t.act(Act::Controls(ControlAct::Next));
    t.act(Act::Controls(ControlAct::Less));
    assert_eq!(t.params().hidden, 4);
    t.act(Act::Controls(ControlAct::Next));
    t.act(Act::Controls(ControlAct::More));
    assert_eq!(t.params().steps, 50);
    assert_eq!(t.result().expect("computed").rnn.bptt.grad_h.len(), 51);
    t.act(Act::Controls(ControlAct::Next));
    t.act(Act::Controls(ControlAct::Less));
    assert_eq!(t.params().forget_bias, 0.5);
    t.act(Act::Controls(ControlAct::Next));
    t.act(Act::Controls(ControlAct::More));
    assert_eq!(t.params().clip, Clip::Norm(1.0));
    t.act(Act::Controls(ControlAct::Next));
    t.act(Act::Controls(ControlAct::Less));
    assert_eq!(t.params().clip, Clip::Norm(0.5));
    let r = t.result().expect("computed");
    let norm = r.rnn.bptt.param_grad_norm;
    let want = norm * (0.5 / (norm + 1e-6)).min(1.0);
    assert!((r.rnn.clipped_param_grad_norm - want).abs() < 1e-12);
    t.act(Act::Controls(ControlAct::Next));
    t.act(Act::Controls(ControlAct::More));
    assert_eq!(t.params().input_scale, 1.25);
    t.act(Act::Controls(ControlAct::Next));
    t.act(Act::Controls(ControlAct::More));
    assert_eq!(t.params().init, Init::Orthogonal);
    t.act(Act::Controls(ControlAct::Next));
    t.act(Act::Controls(ControlAct::More));
    assert_eq!(t.params().seed, 1);
    t.act(Act::Controls(ControlAct::Next));
    assert_eq!(t.focus(), Control::Rho, "focus wraps around");
    t.act(Act::Controls(ControlAct::Prev));
    assert_eq!(t.focus(), Control::Seed);
}

#[test]
fn controls_stop_at_their_ends() {
    let mut t = tab();
    for _ in 0..100 {
        t.act(Act::RhoUp);
    }
    assert_eq!(t.params().rho, RHO_MAX);
    for _ in 0..100 {
        t.act(Act::RhoDown);
    }
    assert_eq!(t.params().rho, 0.0);
    assert!(!t.act(Act::RhoDown), "already at its lowest");
    // (The top end, 512, is covered by `choices_step_from_the_nearest`: computing it is slow.)
    t.controls.set_focus(Control::Hidden);
    for _ in 0..20 {
        t.act(Act::Controls(ControlAct::Less));
    }
    assert_eq!(t.params().hidden, 2);
    t.controls.set_focus(Control::Seed);
    t.act(Act::Controls(ControlAct::Less));
    assert_eq!(t.params().seed, 0);
}

#[test]
fn clipping_keeps_its_threshold_while_off() {
    let mut t = tab();
    t.controls.set_focus(Control::ClipThreshold);
    t.act(Act::Controls(ControlAct::More));
    assert_eq!(t.params().clip, Clip::None);
    t.act(Act::NextClip);
    assert_eq!(t.params().clip, Clip::Norm(2.0));
    t.act(Act::NextClip);
    assert_eq!(t.params().clip, Clip::Value(2.0));
    t.act(Act::NextClip);
    assert_eq!(t.params().clip, Clip::None);
}

#[test]
fn letter_keys_do_what_the_help_says() {
    let mut t = tab();
    t.act(Act::NextActivation);
    assert_eq!(t.params().activation, Activation::Relu);
    t.act(Act::ToggleInit);
    assert_eq!(t.params().init, Init::Orthogonal);
    t.act(Act::NextSeed);
    assert_eq!(t.params().seed, 1);
    assert_eq!(t.side_panel(), SidePanel::Eigenvalues);
    t.act(Act::NextView);
    assert_eq!(t.side_panel(), SidePanel::Readout);
    for i in 0..NOTE_COUNT {
        t.act(Act::NextView);
        assert_eq!(t.side_panel(), SidePanel::Note(i));
    }
    t.act(Act::NextView);
    assert_eq!(t.side_panel(), SidePanel::Eigenvalues);
    assert!(!t.show_steps);
    t.act(Act::ToggleStepSeries);
    assert!(t.show_steps);
}

#[test]
fn curves_keep_every_point_and_cut_at_the_cursor() {
    let values = [1.0, f64::NAN, f64::INFINITY, 5.0, 2.0];
    let c = Curve::new(&values, 0);
    assert_eq!(c.points.len(), 5);
    assert_eq!(c.reached(3), &[(3.0, 5.0), (4.0, 2.0)]);
    assert!(c.reached(1)[0].1.is_nan());
    assert_eq!(Curve::new(&values, 1).points[0].0, 1.0);
}

#[test]
fn overflowing_run_renders_with_a_mark() {
    let t = RnnTab::with_params(
        &Waker::headless(),
        Params {
            rho: 3.0,
            steps: 2000,
            activation: Activation::Relu,
            ..Params::default()
        },
    );
    let mut t = t;
    t.settle();
    let area = Rect::new(0, 0, 160, 46);
    let mut buf = Buffer::empty(area);
    t.render(area, &mut buf, &Ui::standard());
    let text = crate::snapshot::buffer_text(&buf);
    assert!(text.contains("overflow from t = 1999"), "{text}");
}

#[test]
fn ladders_step_from_the_nearest() {
    assert_eq!(HIDDEN.step(64, true), 128);
    assert_eq!(HIDDEN.step(64, false), 32);
    assert_eq!(HIDDEN.step(100, true), 128);
    assert_eq!(HIDDEN.step(100, false), 64);
    assert_eq!(HIDDEN.step(512, true), 512);
    assert_eq!(HIDDEN.step(2, false), 2);
    assert_eq!(CLIP_THRESHOLDS.step(1.0, true), 2.0);
    assert_eq!(CLIP_THRESHOLDS.step(0.3, false), 0.2);
}

#[test]
fn reset_restores_the_defaults() {
    let mut t = tab();
    t.act(Act::NextActivation);
    t.act(Act::RhoUp);
    t.act(Act::Reset);
    assert_eq!(*t.params(), Params::default());
    assert_eq!(t.focus(), Control::Rho);
}

#[test]
fn a_failed_computation_is_shown_as_an_error() {
    let mut t = tab();
    let e = crate::jobs::JobError::Panicked("boom".into());
    t.worker.set_error(Some(e.to_string()));
    assert_eq!(t.error(), Some("the computation failed: boom"));
    let area = Rect::new(0, 0, 80, 22);
    let mut buf = Buffer::empty(area);
    t.render(area, &mut buf, &Ui::standard());
    let text = crate::snapshot::buffer_text(&buf);
    assert!(text.contains("the computation failed: boom"), "{text}");
}

#[test]
fn render_is_total() {
    let t = tab();
    for (w, h) in [
        (0, 0),
        (1, 1),
        (2, 50),
        (4, 3),
        (30, 8),
        (64, 18),
        (80, 22),
        (300, 100),
    ] {
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        for ui in [
            Ui::standard(),
            Ui::new(crate::theme::ColorDepth::None, false),
        ] {
            t.render(area, &mut buf, &ui);
        }
    }
}

#[test]
fn clicks_focus_controls() {
    let mut t = tab();
    let area = Rect::new(0, 0, 80, 22);
    t.layout(area, &Ui::standard());
    let a = t.areas(area).expect("room");
    // Compact: two columns of five inside the border; the second row of the second column.
    let grid = a.controls;
    assert!(t.click(grid.x + 1 + (grid.width - 2) / 2 + 1, grid.y + 2));
    let all: Vec<Control> = Control::iter().collect();
    assert_eq!(t.focus(), all[all.len().div_ceil(2) + 1]);
    // The side panel switches on a click.
    let side = a.side.expect("one side panel");
    assert!(t.click(side.x + 2, side.y + 2));
    assert_eq!(t.side_panel(), SidePanel::Readout);
}

fn note(t: &RnnTab, tag: &str) -> String {
    let r = t.result().expect("computed");
    notes::notes(r, t.settings.clip_threshold, true)
        .into_iter()
        .find(|(k, _)| *k == tag)
        .map(|(_, text)| text)
        .expect("a note")
}

fn screen_text(t: &RnnTab, w: u16, h: u16, ui: &Ui) -> String {
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    t.render(area, &mut buf, ui);
    crate::snapshot::buffer_text(&buf)
}

#[test]
fn relu_note_states_this_runs_active_share() {
    let mut t = tab();
    t.act(Act::NextActivation); // tanh -> relu
    let r = t.result().expect("computed");
    let active = r
        .rnn
        .bptt
        .active_fraction
        .expect("relu counts its active units");
    let text = note(&t, "6b");
    assert!(
        text.contains(&format!("{}%", numfmt::general(100.0 * active, 2))),
        "{text}"
    );
    let ratio = model::gradient_ratio(&r.rnn.bptt.grad_h);
    assert!(text.contains(&numfmt::general(ratio, 3)), "{text}");
    let rho_t = model::rho_power_text(r.params.rho, r.params.steps);
    assert!(text.contains(&format!("ρ^T = {rho_t}")), "{text}");
    // The gap to ρ^T is the one the curve gives (the claims sweep checks both cases).
    let gap = model::LinearGap::of(ratio, r.params.rho, r.params.steps);
    assert!(text.contains(&gap.phrase()), "{text}");
}

#[test]
fn cell_note_states_the_split_of_the_gradient() {
    let t = tab();
    let r = t.result().expect("computed");
    let split = r.lstm.bptt.cell_split.as_ref().expect("lstm split");
    let (full, pure, rest) = (
        r.lstm.bptt.grad_c.as_ref().expect("lstm")[0],
        split.cell_path[0],
        split.through_w_hh[0],
    );
    let text = note(&t, "6d");
    for x in [full, pure, rest, model::sigmoid(1.0)] {
        assert!(text.contains(&numfmt::general(x, 3)), "{x} not in {text}");
    }
    let through = text.contains("comes through W_hh");
    assert_eq!(through, rest > pure, "{text}");
    assert!(text.contains("Training lab (tab 5)"));
    assert!(!text.contains("near 1"));
}

#[test]
fn clipping_note_and_readout_state_pytorchs_coefficient() {
    let mut t = tab();
    t.act(Act::NextClip); // none -> norm:1
    assert_eq!(t.params().clip, Clip::Norm(1.0));
    assert_eq!(
        t.side_panel(),
        SidePanel::Readout,
        "c shows the clipped norms"
    );
    let r = t.result().expect("computed");
    let text = note(&t, "6c");
    for g in [r.rnn.bptt.param_grad_norm, r.lstm.bptt.param_grad_norm] {
        let coef = Clip::Norm(1.0).norm_coefficient(g);
        let shown = if coef == 1.0 {
            "1 (unchanged)".to_string()
        } else {
            numfmt::general(coef, 3)
        };
        assert!(text.contains(&format!("coefficient {shown}")), "{text}");
    }
    assert!(text.contains("PyTorch") && text.contains("Training lab (tab 5)"));
    // The clipped row is on screen at 80×24 and 120×40 (the body without tab bar and footer).
    for (w, h) in [(80, 22), (118, 38)] {
        let s = screen_text(&t, w, h, &Ui::standard());
        assert!(
            s.contains("clipped norm") && s.contains("torch coef"),
            "{w}x{h}:\n{s}"
        );
    }
}

#[test]
fn legends_keep_their_first_item_and_titles_are_whole() {
    let mut t = tab();
    t.act(Act::ToggleStepSeries);
    for ui in [
        Ui::standard(),
        Ui::new(crate::theme::ColorDepth::Ansi16, false),
    ] {
        for (w, h) in [(80, 22), (64, 18)] {
            let s = screen_text(&t, w, h, &ui);
            let first = spelled_label(&ui, "‖∂ℓ/∂h_t‖");
            // Both charts' legends start with the first series.
            assert_eq!(
                s.matches(&format!("{} {first}", ui.glyphs.series_marks[0]))
                    .count(),
                2,
                "{w}x{h}:\n{s}"
            );
            assert!(
                s.contains("RNN (tanh)") && s.contains("LSTM (forget bias 1.0)"),
                "{s}"
            );
            assert!(!s.contains("ΔW") && !s.contains("|dW_hh|"), "{s}");
        }
    }
}

fn spelled_label(ui: &Ui, label: &'static str) -> String {
    crate::text::spelled(label, ui.glyphs.unicode).into_owned()
}

/// What each wake of the worker saw of the progress.
type Seen = Arc<Mutex<Vec<Option<String>>>>;

#[test]
fn a_new_draw_reports_its_eigenvalues_and_later_changes_solve_none() {
    let progress = Progress::default();
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let waker = {
        let (progress, seen) = (progress.clone(), Arc::clone(&seen));
        Waker::new(move || {
            if let Ok(mut seen) = seen.lock() {
                seen.push(progress.get());
            }
        })
    };
    let compute = computed::compute_worker(&waker, progress.clone());
    let p = Params {
        hidden: 8,
        steps: 20,
        seed: 4,
        ..Params::default()
    };
    let taken = |seen: &Seen| std::mem::take(&mut *seen.lock().expect("not poisoned"));
    let first = compute(p, &Cancel::never()).expect("not cancelled");
    let labels: Vec<String> = taken(&seen).into_iter().flatten().collect();
    assert_eq!(
        labels,
        [1, 2, 3, 4]
            .map(|k| format!("eigenvalues {k} of 4"))
            .to_vec()
    );
    assert_eq!(progress.get(), None);
    let fresh = Computed::new(p);
    assert_eq!(first.lstm.bptt.grad_h, fresh.lstm.bptt.grad_h);
    assert_eq!(first.rnn.draws.eigenvalues, fresh.rnn.draws.eigenvalues);
    // ρ, T, φ, input scale and clipping reuse the draw: no eigenproblem, the same results.
    let changed = Params {
        rho: 1.4,
        steps: 33,
        activation: Activation::Relu,
        input_scale: 0.5,
        clip: Clip::Value(0.1),
        ..p
    };
    let again = compute(changed, &Cancel::never()).expect("not cancelled");
    assert!(taken(&seen).is_empty());
    let fresh = Computed::new(changed);
    assert_eq!(again.rnn.bptt.grad_h, fresh.rnn.bptt.grad_h);
    assert_eq!(again.lstm.clipped_grad, fresh.lstm.clipped_grad);
    assert_eq!(again.lstm.draws.eigenvalues, fresh.lstm.draws.eigenvalues);
    // A new seed is a new draw.
    compute(Params { seed: 5, ..p }, &Cancel::never()).expect("not cancelled");
    assert_eq!(taken(&seen).len(), 4);
}

#[test]
fn busy_label_only_while_busy() {
    let t = tab();
    // Headless work is finished on submit, so nothing is running to label.
    assert_eq!(t.busy_label(), None);
}

#[test]
fn the_keys_follow_the_conventions() {
    assert!(
        keymap::convention_problems(&KEYS).is_empty(),
        "{:?}",
        keymap::convention_problems(&KEYS)
    );
    assert!(
        keymap::table_problems(&KEYS).is_empty(),
        "{:?}",
        keymap::table_problems(&KEYS)
    );
    // The compact list's row of keys names the keys of the table.
    let t = tab();
    let s = screen_text(&t, 80, 22, &Ui::standard());
    assert!(s.contains("a act i init c clip w term , . step < >"), "{s}");
}

#[test]
fn the_side_text_scrolls_to_its_end_and_back_at_once() {
    let mut t = tab();
    let ui = Ui::standard();
    let area = Rect::new(0, 0, 80, 22);
    t.act(Act::NextView);
    t.act(Act::NextView); // note 6a
    assert_eq!(t.side_panel(), SidePanel::Note(0));
    t.layout(area, &ui);
    let mut moved = 0;
    for _ in 0..200 {
        if t.act(Act::Note(ScrollAct::Down)) {
            moved += 1;
        }
    }
    assert!(moved > 0 && moved < 200, "{moved}");
    let end = t.notes_scroll.offset();
    t.layout(area, &ui);
    assert!(
        t.act(Act::Note(ScrollAct::Up)),
        "one press up moves at once"
    );
    assert_eq!(t.notes_scroll.offset(), end - 1);
    // The last line of the note is on screen at the end.
    t.act(Act::Note(ScrollAct::PageDown));
    let s = screen_text(&t, 80, 22, &ui);
    let rho_t = model::rho_power_text(t.params().rho, t.params().steps);
    assert!(
        s.contains(&format!("ρ^T = {rho_t}.")),
        "the note's last words: {s}"
    );
    // Switching the panel starts the next text from its top.
    t.act(Act::NextView);
    assert_eq!(t.notes_scroll.offset(), 0);
}

#[test]
fn the_readout_states_the_settings_and_the_figures_at_t() {
    let mut t = tab();
    t.act(Act::NextClip); // norm:1
    t.settle(); // t = 0
    for _ in 0..5 {
        t.act(Act::StepBack);
    }
    let text = t.readout().expect("a readout");
    let r = t.result().expect("computed");
    let s = &t.settings;
    let tt = t.cursor();
    assert_eq!(tt, 5);
    for c in Control::iter() {
        let shown = format!("{} {}", s.label(c), s.value(c));
        assert!(text.contains(&shown), "{shown} not in {text}");
    }
    let num = |x: f64| numfmt::general(x, 3);
    let figures = [
        format!("max|λ| = {}", num(r.spectral_radius)),
        format!("t = {tt} of T = 20"),
        format!(
            "‖∂ℓ/∂h_t‖: RNN {}, LSTM {}",
            num(r.rnn.bptt.grad_h[tt]),
            num(r.lstm.bptt.grad_h[tt])
        ),
        format!(
            "‖∂ℓ/∂h_T‖: RNN {}, LSTM {}",
            num(r.rnn.bptt.grad_h[tt] / r.rnn.bptt.grad_h[20]),
            num(r.lstm.bptt.grad_h[tt] / r.lstm.bptt.grad_h[20])
        ),
        format!(
            "clipped norm: RNN {}, LSTM {}",
            num(r.rnn.clipped_param_grad_norm),
            num(r.lstm.clipped_param_grad_norm)
        ),
        format!(
            "verdict: RNN {}, LSTM {}",
            model::Verdict::of(model::gradient_ratio(&r.rnn.bptt.grad_h)).word(),
            model::Verdict::of(model::gradient_ratio(&r.lstm.bptt.grad_h)).word()
        ),
        format!(
            "max ∏ f: RNN -, LSTM {}",
            num(r.lstm.bptt.forget_product.as_ref().expect("lstm")[tt])
        ),
    ];
    for f in figures {
        assert!(text.contains(&f), "{f} not in {text}");
    }
}

#[test]
fn readout_labels_never_run_into_their_numbers() {
    // Every clipping mode, in Unicode and ASCII, at the sizes a student uses: each figure row's
    // value starts in the header's RNN column, after a space.
    let mut t = tab();
    for _mode in 0..3 {
        t.act(Act::NextClip); // and the readout panel shows
        for ui in [
            Ui::standard(),
            Ui::new(crate::color::ColorDepth::Ansi16, false),
        ] {
            for (w, h) in [(80, 22), (118, 38), (200, 58)] {
                let s = screen_text(&t, w, h, &ui);
                let lines: Vec<Vec<char>> = s.lines().map(|l| l.chars().collect()).collect();
                let (head, rnn_col) = lines
                    .iter()
                    .enumerate()
                    .find_map(|(i, l)| {
                        let text: String = l.iter().collect();
                        let at = text.find("RNN        LSTM")?;
                        text.contains("t = ")
                            .then(|| (i, text[..at].chars().count()))
                    })
                    .unwrap_or_else(|| panic!("a readout header at {w}x{h}:\n{s}"));
                let mut figures = 0;
                for l in &lines[head + 1..] {
                    let text: String = l.iter().collect();
                    if !(text.contains("clipped") || text.contains("ratio 0/T"))
                        || l.len() <= rnn_col
                    {
                        continue;
                    }
                    figures += 1;
                    assert_eq!(l[rnn_col - 1], ' ', "{w}x{h}: {text}");
                    assert!(l[rnn_col].is_ascii_digit(), "{w}x{h}: {text}\n{s}");
                }
                assert!(figures >= 1, "{w}x{h}:\n{s}");
            }
        }
    }
}

/// The largest singular value of `w` by power iteration on wᵀw (an independent ‖W‖₂).
fn spectral_norm(w: &ndarray::Array2<f64>) -> f64 {
    let mut x = ndarray::Array1::from_elem(w.ncols(), 1.0);
    let mut norm = 0.0;
    for _ in 0..500 {
        let y = w.t().dot(&w.dot(&x));
        let len = y.dot(&y).sqrt();
        if len == 0.0 {
            return 0.0;
        }
        x = y / len;
        norm = w.dot(&x).dot(&w.dot(&x)).sqrt();
    }
    norm
}

/// The sentences of the notes and of the headless summary, checked against what they claim
/// over the tab's settings grid: ρ × activation × init × clipping × forget bias (both cells
/// are in every run). Each claim is checked by its counterfactual, computed here: the run
/// without clipping, the identity run on the same draw, the bound φ' puts on each step back.
#[test]
fn claims_hold_across_the_settings_grid() {
    let mut shown = std::collections::BTreeMap::<&str, usize>::new();
    let mut count = |k: &'static str| *shown.entry(k).or_default() += 1;
    for rho in [0.5, 0.95, 1.0, 1.5] {
        for &activation in <Activation as crate::controls::Cycle>::ALL {
            for &init in <Init as crate::controls::Cycle>::ALL {
                for forget_bias in [-2.0, 1.0, 5.0] {
                    let base = Params {
                        hidden: 8,
                        steps: 20,
                        rho,
                        activation,
                        init,
                        forget_bias,
                        seed: 3,
                        ..Params::default()
                    };
                    let plain = Computed::new(base);
                    for clip in [Clip::None, Clip::Norm(1.0), Clip::Value(0.1)] {
                        let p = Params { clip, ..base };
                        let r = Computed::new(p);
                        let notes: std::collections::HashMap<_, _> =
                            notes::notes(&r, 1.0, true).into_iter().collect();
                        let ratio = r.rnn.bptt.grad_h[0] / r.rnn.bptt.grad_h[p.steps];
                        let at = format!("{p:?}");
                        // 6a: the verdict is the ratio's, with its band of 10.
                        let a = &notes["6a"];
                        if a.contains("(exploding)") {
                            count("exploding");
                            assert!(ratio > 10.0, "{at}: {a}");
                        } else if a.contains("(vanishing)") {
                            count("vanishing");
                            assert!(ratio < 0.1, "{at}: {a}");
                        } else if a.contains("roughly preserved") {
                            count("preserved");
                            assert!((0.1..=10.0).contains(&ratio), "{at}: {a}");
                        } else {
                            assert!(!ratio.is_finite(), "{at}: {a}");
                        }
                        // 6a: "exactly for an orthogonal W_hh": the identity run on an
                        // orthogonal draw follows ρ^T.
                        let linear = model::run(&Params {
                            activation: Activation::Identity,
                            init: Init::Orthogonal,
                            ..p
                        });
                        let lr = linear.bptt.grad_h[0] / linear.bptt.grad_h[p.steps];
                        let want = rho.powi(p.steps as i32);
                        assert!((lr - want).abs() <= 1e-9 * want, "{at}: {lr} vs {want}");
                        // 6b: the gap to ρ^T, in decades, computed here from the curve.
                        let b = &notes["6b"];
                        let decades = ratio.log10() - p.steps as f64 * rho.log10();
                        if b.contains("does not predict") {
                            count("does not predict");
                            assert!(decades.abs() > 1.0, "{at}: {b}");
                        }
                        if b.contains("equal to ρ^T") {
                            count("equal");
                            assert!((ratio - want).abs() <= 2e-9 * want, "{at}: {b}");
                        }
                        if b.contains("within a factor of 10 of ρ^T") {
                            count("within 10");
                            assert!(decades.abs() <= 1.0, "{at}: {b}");
                        }
                        // 6b: "scales the gradient's entries by at most 1 (1/4)": each step
                        // back is bounded by ‖W_hh‖₂ times φ''s largest value.
                        let bound = match activation {
                            Activation::Sigmoid => Some(0.25),
                            Activation::Tanh => Some(1.0),
                            _ => None,
                        };
                        if let Some(most) = bound {
                            count("phi' at most");
                            assert!(b.contains(if most < 1.0 {
                                "at most 1/4"
                            } else {
                                "at most 1,"
                            }));
                            let w = spectral_norm(&r.rnn.draws.weights.w_hh);
                            for t in 1..=p.steps {
                                let (back, here) = (r.rnn.bptt.grad_h[t - 1], r.rnn.bptt.grad_h[t]);
                                assert!(back <= most * w * here * (1.0 + 1e-9), "{at} t={t}");
                            }
                        }
                        // 6c: clipping acts after back-propagation and only shrinks: the
                        // unclipped run's curves are the same, its norm no smaller.
                        for (run, unclipped) in [(&r.rnn, &plain.rnn), (&r.lstm, &plain.lstm)] {
                            assert_eq!(run.bptt.grad_h, unclipped.bptt.grad_h, "{at}");
                            assert!(run.clipped_param_grad_norm <= unclipped.bptt.param_grad_norm);
                            if let Clip::Value(c) = clip {
                                assert!(run.clipped_grad.entries().all(|g| g.abs() <= c));
                            }
                        }
                        // 6c: "coefficient 1 (unchanged)" exactly where norm clipping at the
                        // note's c leaves the gradient as it was.
                        let c = &notes["6c"];
                        let unchanged = [&r.rnn, &r.lstm]
                            .iter()
                            .filter(|run| {
                                let clipped = model::clip_gradient(&run.bptt.grad, Clip::Norm(1.0));
                                clipped == run.bptt.grad
                            })
                            .count();
                        assert_eq!(c.matches("1 (unchanged)").count(), unchanged, "{at}: {c}");
                        // 6d: the larger part of ∂ℓ/∂c_0 is named.
                        let d = &notes["6d"];
                        let split = r.lstm.bptt.cell_split.as_ref().expect("LSTM split");
                        let (pure, rest) = (split.cell_path[0], split.through_w_hh[0]);
                        if d.contains("comes through W_hh") {
                            count("through W_hh");
                            assert!(rest > pure, "{at}: {d}");
                        } else if d.contains("along the cell path") {
                            count("cell path");
                            assert!(rest <= pure, "{at}: {d}");
                        }
                        // The summary: "rho^T is exact" only where the run meets it.
                        let s = crate::rnn::report::summary(&p, &r.rnn);
                        if s.contains("rho^T is exact") {
                            count("exact");
                            assert!((ratio - want).abs() <= 1e-9 * want, "{at}: {s}");
                        }
                        if s.contains("not normal") || s.contains("phi' scales") {
                            count("off linear");
                            assert!(decades.abs() > 1.0, "{at}: {s}");
                        }
                    }
                }
            }
        }
    }
    // Every sentence was shown somewhere in the grid, so none is checked vacuously.
    for k in [
        "exploding",
        "vanishing",
        "preserved",
        "does not predict",
        "within 10",
        "phi' at most",
        "through W_hh",
        "cell path",
        "exact",
        "off linear",
    ] {
        assert!(
            shown.get(k).is_some_and(|&n| n > 0),
            "{k} never shown: {shown:?}"
        );
    }
}

/// 6a's "after a transient for a Gaussian one": on long identity runs with a Gaussian W_hh,
/// the size still grows at ρ per step in the long run (the last 200 steps within a factor
/// of 100 of ρ^200), though not at every step.
#[test]
fn a_gaussian_recurrence_grows_at_rho_per_step_in_the_long_run() {
    for rho in [0.9, 1.0, 1.1] {
        for seed in 0..4 {
            let r = model::run(&Params {
                hidden: 8,
                steps: 400,
                rho,
                activation: Activation::Identity,
                init: Init::Gaussian,
                seed,
                ..Params::default()
            });
            let g = &r.bptt.grad_h;
            let decades = (g[0] / g[200]).log10() - 200.0 * rho.log10();
            assert!(decades.abs() < 2.0, "rho {rho} seed {seed}: {decades}");
        }
    }
}
