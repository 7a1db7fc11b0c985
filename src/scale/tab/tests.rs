use super::settings::{ANGLE_STEP_DEG, DEFAULT_DECAY, NORM_FACTOR, NORM_RANGE};
use super::*;
use crate::scale::model::{Function, robust_norm};
use crate::snapshot::buffer_text;
use crate::theme::ColorDepth;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

fn tab() -> ScaleTab {
    let mut t = ScaleTab::new(&Waker::headless());
    t.settle();
    t
}

fn draw(t: &ScaleTab, w: u16, h: u16, ui: &Ui) -> Buffer {
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    t.render(area, &mut buf, ui);
    buf
}

#[test]
fn help_and_hints_are_ascii() {
    // The help overlay prints these as they are, also in ASCII mode.
    for b in KEYS.iter() {
        assert!(b.help.is_ascii(), "{}", b.help);
        assert!(b.hint.is_none_or(str::is_ascii));
    }
}

#[test]
fn keys_follow_the_conventions() {
    assert_eq!(keymap::convention_problems(&KEYS), Vec::<String>::new());
    assert_eq!(keymap::table_problems(&KEYS), Vec::<String>::new());
    // The tab's own keys name what they do; the conventional ones come from the key map.
    let of = |a: Act| keymap::keys_of(&KEYS, a, false);
    assert_eq!(of(Act::PlayPause), "Space");
    assert_eq!(of(Act::NormUp), "+");
    assert_eq!(of(Act::Note(ScrollAct::Down)), "J");
    assert_eq!(of(Act::Note(ScrollAct::PageDown)), "PgDn");
    assert_eq!(of(Act::First), "Home");
}

#[test]
fn opens_on_the_model_defaults_with_a_finished_run() {
    let t = tab();
    let p = t.params();
    let d = Params::default();
    assert_eq!(
        (p.function, p.lr, p.lambda, p.steps),
        (d.function, d.lr, d.lambda, d.steps)
    );
    let init = p.init.unwrap();
    assert!((init[0] - 1.0).abs() < 1e-12 && (init[1] - 0.3).abs() < 1e-12);
    assert_eq!(t.frame(), 200);
    assert!(!t.playing() && !t.animating());
    let e = t.exploration().unwrap();
    assert_eq!(e.params.weight_decay, DEFAULT_DECAY);
    assert_eq!(e.without_decay.steps_taken(), 200);
}

#[test]
fn controls_move_and_adjust_as_their_help_says() {
    let mut t = tab();
    assert_eq!(t.focus(), Control::Function);
    t.act(Act::Controls(ControlAct::More));
    assert_eq!(t.params().function, Function::Logistic);
    assert_eq!(t.exploration().unwrap().params.function, Function::Logistic);
    t.act(Act::Controls(ControlAct::Next));
    assert_eq!(t.focus(), Control::Lr);
    t.act(Act::Controls(ControlAct::More));
    assert_eq!(t.params().lr, 0.2);
    t.act(Act::Controls(ControlAct::Less));
    t.act(Act::Controls(ControlAct::Less));
    assert_eq!(t.params().lr, 0.05);
    t.act(Act::Controls(ControlAct::Next));
    t.act(Act::Controls(ControlAct::More));
    assert_eq!(t.params().lambda, 5.0);
    t.act(Act::Controls(ControlAct::Next));
    let before = t.settings.start_angle_deg;
    t.act(Act::Controls(ControlAct::More));
    assert!((t.settings.start_angle_deg - before - ANGLE_STEP_DEG).abs() < 1e-12);
    t.act(Act::Controls(ControlAct::Next));
    t.act(Act::Controls(ControlAct::Less));
    assert!((t.settings.start_norm - robust_norm(&[1.0, 0.3]) / NORM_FACTOR).abs() < 1e-12);
    t.act(Act::Controls(ControlAct::Next));
    t.act(Act::Controls(ControlAct::More));
    assert_eq!(t.params().weight_decay, 1.0);
    t.act(Act::Controls(ControlAct::Next));
    t.act(Act::Controls(ControlAct::More));
    assert_eq!(t.params().noise, 0.01);
    t.act(Act::Controls(ControlAct::Next));
    t.act(Act::Controls(ControlAct::More));
    assert_eq!(t.params().steps, 500);
    t.act(Act::Controls(ControlAct::Next));
    assert_eq!(t.focus(), Control::Function, "wraps around");
    t.act(Act::Controls(ControlAct::Prev));
    assert_eq!(t.focus(), Control::Steps);
    // Every change was recomputed.
    assert_eq!(t.exploration().unwrap().params, t.params());
}

#[test]
fn decay_stays_below_one_over_eta() {
    let mut t = tab();
    t.controls.set_focus(Control::WeightDecay);
    for _ in 0..10 {
        t.act(Act::Controls(ControlAct::More));
    }
    assert_eq!(t.settings.weight_decay, 2.0);
    t.controls.set_focus(Control::Lr);
    for _ in 0..10 {
        t.act(Act::Controls(ControlAct::More));
    }
    assert_eq!(t.settings.lr, 1.0);
    assert!(t.settings.lr * t.settings.weight_decay < 1.0);
    assert!(t.params().validate().is_ok());
    t.controls.set_focus(Control::WeightDecay);
    t.act(Act::Controls(ControlAct::More));
    assert!(t.settings.lr * t.settings.weight_decay < 1.0);
}

#[test]
fn playback_keys() {
    let mut t = tab();
    t.act(Act::Rewind);
    assert_eq!(t.frame(), 0);
    assert!(t.playing() && t.animating());
    assert!(t.tick());
    let first = t.frame();
    assert!(first >= 1);
    t.act(Act::PlayPause);
    assert!(!t.playing() && !t.animating());
    t.act(Act::StepForward);
    assert_eq!(t.frame(), first + 1);
    t.act(Act::StepBack);
    t.act(Act::StepBack);
    assert_eq!(t.frame(), first - 1);
    t.act(Act::Last);
    assert_eq!(t.frame(), 200);
    t.act(Act::StepForward);
    assert_eq!(t.frame(), 200, "no step past the end");
    // Space at the end starts over.
    t.act(Act::PlayPause);
    assert_eq!(t.frame(), 0);
    assert!(t.playing());
    let mut ticks = 0;
    while t.animating() && ticks < 1000 {
        t.tick();
        ticks += 1;
    }
    assert_eq!(t.frame(), 200);
    assert!(!t.playing(), "stops ticking when finished");
    // A whole run at normal speed takes about six seconds at 30 frames a second.
    assert!((170..=190).contains(&ticks), "{ticks} ticks");
    t.act(Act::First);
    assert_eq!(t.frame(), 0);
    t.settle();
    assert_eq!(t.frame(), 0, "settling keeps a paused frame");
}

#[test]
fn speed_keys_change_the_pace_and_the_title_says_so() {
    let mut t = tab();
    let ui = Ui::new(ColorDepth::Ansi16, true);
    assert!(!buffer_text(&draw(&t, 80, 22, &ui)).contains('×'));
    t.act(Act::Faster);
    t.act(Act::Faster);
    t.act(Act::Rewind);
    let mut ticks = 0;
    while t.animating() && ticks < 1000 {
        t.tick();
        ticks += 1;
    }
    assert!(
        (40..=50).contains(&ticks),
        "four times faster: {ticks} ticks"
    );
    assert!(buffer_text(&draw(&t, 80, 22, &ui)).contains("step 200 of 200 ×4"));
    for _ in 0..3 {
        t.act(Act::Slower);
    }
    assert!(buffer_text(&draw(&t, 80, 22, &ui)).contains("×1/2"));
}

#[test]
fn a_failed_computation_is_an_error_line() {
    let mut t = tab();
    t.worker = WorkerPanel::new(
        crate::jobs::Worker::new(
            &Waker::headless(),
            |_: Params| -> Result<Exploration, ScaleError> { panic!("boom") },
        ),
        "failing",
    );
    t.submit();
    assert!(t.poll());
    let text = buffer_text(&draw(&t, 80, 22, &Ui::standard()));
    assert!(text.contains("the computation failed: boom"), "{text}");
}

#[test]
fn start_point_keys() {
    let mut t = tab();
    let angle = t.settings.start_angle_deg;
    t.act(Act::RotateRight);
    t.act(Act::RotateRight);
    t.act(Act::RotateLeft);
    assert!((t.settings.start_angle_deg - angle - ANGLE_STEP_DEG).abs() < 1e-12);
    let norm = t.settings.start_norm;
    t.act(Act::NormUp);
    assert!((t.settings.start_norm - norm * NORM_FACTOR).abs() < 1e-12);
    t.act(Act::NormDown);
    t.act(Act::NormDown);
    assert!((t.settings.start_norm - norm / NORM_FACTOR).abs() < 1e-12);
    for _ in 0..100 {
        t.act(Act::NormDown);
    }
    assert_eq!(t.settings.start_norm, NORM_RANGE.0);
    let x0 = t
        .exploration()
        .unwrap()
        .without_decay
        .point(0)
        .unwrap()
        .to_vec();
    assert!((robust_norm(&x0) - NORM_RANGE.0).abs() < 1e-12);
}

#[test]
fn ratio_start_never_sits_on_the_y_axis() {
    let mut t = tab();
    t.settings.function = Function::Ratio;
    t.settings.start_angle_deg = 85.0;
    t.act(Act::RotateRight);
    assert_eq!(t.settings.start_angle_deg, 95.0);
    assert!(t.params().validate().is_ok());
    // Switching to ratio while on the axis moves off it.
    let mut t = tab();
    t.settings.start_angle_deg = 90.0;
    t.act(Act::NextFunction); // rayleigh -> logistic
    t.act(Act::NextFunction); // logistic -> ratio
    assert_eq!(t.params().function, Function::Ratio);
    assert_eq!(t.settings.start_angle_deg, 95.0);
    let e = t.exploration().unwrap();
    assert!(e.without_decay.runaway.is_some(), "y/x runs away");
}

#[test]
fn toggles() {
    let mut t = tab();
    t.act(Act::ToggleDecayRun);
    assert_eq!(t.plane_run, PlaneRun::WithDecay);
    t.act(Act::NextView);
    assert_eq!(t.view, View::Charts);
    t.act(Act::NextView);
    assert_eq!(t.view, View::Plane);
}

#[test]
fn ascii_mode_draws_only_ascii() {
    let mut t = tab();
    let ui = Ui::new(ColorDepth::Ansi16, false);
    for (w, h) in [(80, 22), (160, 46), (200, 58)] {
        for view in [View::Plane, View::Charts] {
            t.view = view;
            let text = buffer_text(&draw(&t, w, h, &ui));
            assert!(text.is_ascii(), "{w}x{h}:\n{text}");
        }
    }
    t.settings.function = Function::Ratio;
    t.submit();
    t.settle();
    let text = buffer_text(&draw(&t, 160, 46, &ui));
    assert!(text.is_ascii(), "{text}");
    assert!(text.contains("ran away at step"));
}

#[test]
fn render_is_total() {
    let t = tab();
    let ui = Ui::standard();
    for (w, h) in [
        (0, 0),
        (1, 1),
        (2, 50),
        (50, 2),
        (10, 5),
        (64, 18),
        (119, 33),
        (300, 100),
    ] {
        draw(&t, w, h, &ui);
    }
    let fresh = ScaleTab {
        shown: None,
        ..tab()
    };
    let text = buffer_text(&draw(&fresh, 80, 22, &ui));
    assert!(text.contains("computing"));
}

/// Lays the tab out at `w`×`h` as the shell does, then draws it.
fn frame(t: &mut ScaleTab, w: u16, h: u16, ui: &Ui) -> String {
    t.layout(Rect::new(0, 0, w, h), ui);
    buffer_text(&draw(t, w, h, ui))
}

#[test]
fn notes_scroll_to_their_end_and_back_at_once() {
    let ui = Ui::new(ColorDepth::Ansi16, true);
    for (w, h) in [(80, 24), (130, 36)] {
        let mut t = tab();
        let top = frame(&mut t, w, h, &ui);
        assert!(
            top.contains(ui.glyphs.down),
            "{w}x{h}: a note is longer than its box"
        );
        let mut presses = 0;
        while t.act(Act::Note(ScrollAct::Down)) {
            presses += 1;
            assert!(presses < 100, "the extent was recorded");
        }
        assert!(presses > 0, "{w}x{h}");
        let end = t.note.offset();
        for _ in 0..20 {
            assert!(
                !t.act(Act::Note(ScrollAct::Down)),
                "at the end J changes nothing"
            );
        }
        let bottom = frame(&mut t, w, h, &ui);
        assert!(
            bottom.contains(ui.glyphs.up),
            "{w}x{h}: more above is marked"
        );
        assert!(
            t.act(Act::Note(ScrollAct::Up)),
            "one K moves the text at once"
        );
        assert_eq!(t.note.offset(), end - 1);
        assert_ne!(frame(&mut t, w, h, &ui), bottom);
        t.act(Act::Note(ScrollAct::PageUp));
        t.act(Act::Note(ScrollAct::PageUp));
        t.act(Act::Note(ScrollAct::PageUp));
        assert_eq!(t.note.offset(), 0);
        assert_eq!(frame(&mut t, w, h, &ui), top);
    }
    // A size where every note fits: nothing scrolls.
    let mut t = tab();
    frame(&mut t, 300, 100, &ui);
    assert!(!t.act(Act::Note(ScrollAct::Down)));
}

#[test]
fn layout_and_render_place_the_panels_alike() {
    let ui = Ui::new(ColorDepth::Ansi16, true);
    let mut t = tab();
    for (w, h) in [(80, 24), (119, 33), (120, 34), (200, 60)] {
        let area = Rect::new(0, 0, w, h);
        let a = t.areas(area);
        t.layout(area, &ui);
        let buf = draw(&t, w, h, &ui);
        // The controls panel sits where the layout put it, and a click on its first row
        // chooses the first control.
        let c = a.controls;
        assert_eq!(
            buf[(c.x, c.y)].symbol(),
            ui.glyphs.border.top_left,
            "{w}x{h}"
        );
        t.controls.set_focus(Control::Steps);
        assert!(t.click(c.x + 2, c.y + 1), "{w}x{h}");
        assert_eq!(t.focus(), Control::Function);
    }
}

#[test]
fn the_readout_states_the_figures_on_screen() {
    let mut t = tab();
    t.act(Act::First);
    for _ in 0..3 {
        t.act(Act::StepForward);
    }
    let text = t.readout().unwrap();
    let e = t.exploration().unwrap();
    let run = &e.without_decay;
    let gs = &run.grad_scaling;
    let num = |v: f64| crate::numfmt::general(v, 4);
    for want in [
        "function: rayleigh".to_string(),
        "step η: 0.100".to_string(),
        "scale λ: 2.00".to_string(),
        "start angle: 16.7°".to_string(),
        format!(
            "start ‖x₀‖: {}",
            crate::numfmt::general(robust_norm(&[1.0, 0.3]), 3)
        ),
        "weight decay: 0.500".to_string(),
        "noise σ: 0".to_string(),
        "steps: 200".to_string(),
        "plane: plain descent, step 3 of 200, paused".to_string(),
        format!("‖x_k‖ = {}", num(run.norms[3])),
        format!("f(x_k) = {}", num(run.loss[3])),
        format!("effective step η/‖x_k‖² = {}", num(run.effective_lr[3])),
        format!("‖x_k+1‖² − ‖x_k‖² = {}", num(run.norm_sq_increment[3])),
        format!("η²‖∇f(x_k)‖² = {}", num(run.grad_norm_sq_times_lr_sq[3])),
        format!(
            "3a ∇f(λx) = ({}, {})",
            num(gs.grad_at_lambda_x[0]),
            num(gs.grad_at_lambda_x[1])
        ),
        format!(
            "3a ∇f(x)/λ = ({}, {})",
            num(gs.grad_over_lambda[0]),
            num(gs.grad_over_lambda[1])
        ),
        format!("f(λx) = {}", num(gs.value_at_lambda_x)),
        format!("slope {:.2}", run.eta_sweep_slope().unwrap()),
        format!("RMS ‖x‖ {}", num(e.with_decay.band().unwrap().rms_norm)),
        notes::plain(run),
        story(&t),
    ] {
        assert!(text.contains(&want), "{want:?} not in:\n{text}");
    }
    // The effective step is η/‖x‖² of the plain run.
    let x = run.point(3).unwrap();
    assert!((run.effective_lr[3] - 0.1 / (x[0] * x[0] + x[1] * x[1])).abs() < 1e-12);
    // Following the decay run, its own figures and formula.
    t.act(Act::ToggleDecayRun);
    let text = t.readout().unwrap();
    let d = &t.exploration().unwrap().with_decay;
    assert!(
        text.contains("plane: with weight decay, step 3 of 200"),
        "{text}"
    );
    assert!(
        text.contains(&format!("η/((1 − ηλ)‖x_k‖²) = {}", num(d.effective_lr[3]))),
        "{text}"
    );
    assert!(text.contains("(decay pulls x toward 0 too)"), "{text}");
    assert!(
        !text.contains('\u{2500}') && !text.contains('━'),
        "no box drawing"
    );
}

/// The tab after setting weight decay, noise and steps directly, settled.
fn with(decay: f64, noise: f64, steps: usize) -> ScaleTab {
    let mut t = tab();
    t.settings.weight_decay = decay;
    t.settings.noise = noise;
    t.settings.steps = steps;
    t.submit();
    t.settle();
    t
}

fn story(t: &ScaleTab) -> String {
    notes::decay(t.shown.as_ref().unwrap().regime.as_ref().unwrap())
}

#[test]
fn the_default_note_says_where_the_minimum_turned_unstable() {
    let t = tab();
    let text = story(&t);
    let run = &t.exploration().unwrap().with_decay;
    // Recomputed from the iterates: the first k with η/((1 − ηλ)‖x_k‖²) > 2/4.
    let eff = |k: usize| {
        let x = run.point(k).unwrap();
        0.1 / (0.95 * (x[0] * x[0] + x[1] * x[1]))
    };
    let crossed = (0..=200).find(|&k| eff(k) > 0.5).unwrap();
    let x = run.point(crossed).unwrap();
    // Distance of u from the minimum direction (1, −1)/√2 (or its opposite).
    let angle = x[1].atan2(x[0]);
    let d = (angle + std::f64::consts::FRAC_PI_4).abs();
    let norms: Vec<f64> = (150..=200)
        .map(|k| robust_norm(run.point(k).unwrap()))
        .collect();
    let (lo, hi) = norms
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(a, b), n| (a.min(*n), b.max(*n)));
    for number in [
        "0.500".to_string(),
        format!("step {crossed},"),
        format!("{} rad", notes::n(d)),
        notes::n(lo),
        notes::n(hi),
        "steps 150–200".to_string(),
    ] {
        assert!(text.contains(&number), "{number} not in: {text}");
    }
    assert!(text.contains("stability limit") && text.contains("repels"));
    assert!(!text.contains("band"), "no band: {text}");
}

#[test]
fn the_note_of_a_shrinking_run_states_its_rate() {
    let t = with(0.05, 0.0, 2000);
    let text = story(&t);
    let run = &t.exploration().unwrap().with_decay;
    let ratio = (run.norms[2000] / run.norms[1500]).powf(1.0 / 500.0);
    let x = run.point(2000).unwrap();
    let eff = 0.1 / (0.995 * (x[0] * x[0] + x[1] * x[1]));
    for number in [
        "1 − ηλ = 0.995".to_string(),
        format!("measured {}", notes::n(ratio)),
        format!("grown to {}", notes::n(eff)),
        "past the stability limit 0.500".to_string(),
    ] {
        assert!(text.contains(&number), "{number} not in: {text}");
    }
}

#[test]
fn the_note_of_a_noisy_run_states_measured_and_predicted_norms() {
    let t = with(0.5, 0.1, 2000);
    let text = story(&t);
    let run = &t.exploration().unwrap().with_decay;
    let rms = (run.norms[1500..].iter().map(|n| n * n).sum::<f64>() / 501.0).sqrt();
    let grads = run.grad_norm_sq_times_lr_sq[1500..].iter().sum::<f64>() / 500.0;
    let predicted = ((grads + 0.01 * 2.0 * 0.01) / (1.0 - 0.95f64 * 0.95)).sqrt();
    let (lo, hi) = run.effective_lr[1500..]
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(a, b), s| (a.min(*s), b.max(*s)));
    assert!(lo < 0.5 && hi > 0.5);
    for number in [
        format!("RMS is {}", notes::n(rms)),
        format!("predicts {}", notes::n(predicted)),
        format!("{}–{}", notes::n(lo), notes::n(hi)),
        "either side of the stability limit 0.500".to_string(),
    ] {
        assert!(text.contains(&number), "{number} not in: {text}");
    }
    let plain = &t.exploration().unwrap().without_decay;
    let text = notes::plain(plain);
    let (a, b) = (plain.norms[0], plain.norms[2000]);
    assert!(
        text.contains(&format!("from {} to {}", notes::n(a), notes::n(b))),
        "{text}"
    );
    assert!(!text.contains("only grows"), "noise can shrink it: {text}");
    // The panel shows both numbers.
    let screen = buffer_text(&draw(&t, 160, 46, &Ui::standard()));
    assert!(
        screen.contains(&format!("RMS ‖x‖ {}", crate::numfmt::general(rms, 4))),
        "{screen}"
    );
}

#[test]
fn the_plain_note_states_the_runs_own_ends() {
    let t = tab();
    let run = &t.exploration().unwrap().without_decay;
    let text = notes::plain(run);
    let x0 = run.point(0).unwrap();
    let xk = run.point(200).unwrap();
    assert!(text.contains(&format!(
        "({} to {})",
        notes::n(robust_norm(x0)),
        notes::n(robust_norm(xk))
    )));
    let eff = |x: &[f64]| 0.1 / (x[0] * x[0] + x[1] * x[1]);
    assert!(text.contains(&format!("({} to {})", notes::n(eff(x0)), notes::n(eff(xk)))));
}

#[test]
fn both_minima_are_marked_on_the_plane() {
    let t = tab();
    let ui = Ui::new(ColorDepth::Ansi16, true);
    let buf = draw(&t, 160, 46, &ui);
    let mark = ui.glyphs.series_marks[2];
    let style = ui.theme.good;
    // The plane: the left 72 columns above the controls.
    let marked: Vec<(u16, u16)> = (0..34)
        .flat_map(|y| (0..72).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            buf[(x, y)].symbol() == mark && buf[(x, y)].fg == style.fg.unwrap_or_default()
        })
        // Not the legend's "x min".
        .filter(|&(x, y)| buf[(x + 2, y)].symbol() != "m")
        .collect();
    assert_eq!(marked.len(), 2, "{marked:?}");
    // Opposite each other about the origin mark: ±v.
    let origin = (0..34)
        .flat_map(|y| (0..72).map(move |x| (x, y)))
        .find(|&(x, y)| buf[(x, y)].symbol() == ui.glyphs.series_marks[1])
        .unwrap();
    let (a, b) = (marked[0], marked[1]);
    assert!((i32::from(a.0) + i32::from(b.0) - 2 * i32::from(origin.0)).abs() <= 1);
    assert!((i32::from(a.1) + i32::from(b.1) - 2 * i32::from(origin.1)).abs() <= 1);
}

/// Issue 19, point 3: beside a decay run whose norm shrinks, the plane no longer says "each
/// step is at right angles to x: ‖x‖ grows"; it says decay pulls x toward 0, and with noise
/// that the noise's part along x can shrink ‖x‖.
#[test]
fn the_plane_note_follows_the_run_it_shows() {
    let mut t = tab();
    t.act(Act::ToggleDecayRun);
    let text = frame(&mut t, 200, 60, &Ui::standard());
    let run = &t.exploration().unwrap().with_decay;
    assert!(
        run.norms.last().unwrap() < &run.norms[0],
        "the decay run shrinks"
    );
    let note = notes::plane(run);
    assert!(
        !note.contains("grows") && !note.contains("right angles"),
        "{note}"
    );
    assert!(note.contains("pulls x toward 0 by ηλx"), "{note}");
    assert!(text.contains("With decay each step"), "{text}");
    assert!(!text.contains("‖x‖ grows"), "{text}");
    let noisy = with(0.0, 0.1, 50);
    let note = notes::plane(&noisy.exploration().unwrap().without_decay);
    assert!(note.contains("The noise has a part along x"), "{note}");
    assert!(!note.contains("right angles"), "{note}");
    let plain = with(0.0, 0.0, 50);
    let note = notes::plane(&plain.exploration().unwrap().without_decay);
    // Late steps at the minimum change ‖x‖ below rounding: "never shrinks", not "grows".
    assert!(
        note.contains("at right angles to x, so ‖x‖ never shrinks"),
        "{note}"
    );
}

/// Issue 19, point 4: the ratio run with decay 0.5 stops at step 9 (x crossed 0); the note and
/// the summary say so instead of an equilibrium over steps 7–9.
#[test]
fn a_run_that_stopped_has_no_equilibrium() {
    let mut t = with(0.5, 0.0, 200);
    t.act(Act::NextFunction);
    t.act(Act::NextFunction);
    t.settle();
    assert_eq!(t.params().function, Function::Ratio);
    let run = &t.exploration().unwrap().with_decay;
    let stop = run.runaway.unwrap();
    let text = story(&t);
    assert!(
        text.contains(&format!("stopped at step {}", stop.step)),
        "{text}"
    );
    assert!(
        !text.contains("settled") && !text.contains("balances"),
        "{text}"
    );
    let readout = t.readout().unwrap();
    assert!(!readout.contains("settled where"), "{readout}");
    assert!(!readout.contains("RMS ‖x‖"), "{readout}");
    let summary = crate::scale::report::summary(&t.params(), run);
    assert!(!summary.contains("RMS ‖x‖"), "{summary}");
    assert!(summary.contains("no equilibrium is claimed"), "{summary}");
}
