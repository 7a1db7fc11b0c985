//! The tab's state: keys change settings and restart runs, a started run trains to the end
//! headless, the note states the runs' own numbers.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::*;
use crate::train::model::{Compare, train};

fn headless() -> TrainTab {
    TrainTab::new(&Waker::headless())
}

fn short(tab: &mut TrainTab, iterations: usize) {
    tab.lab.iterations = iterations;
    tab.lab.steps = 10;
    tab.rebuild();
}

#[test]
fn space_trains_both_runs_to_the_end_headless() {
    let mut tab = headless();
    assert_eq!(tab.runs.len(), 2);
    assert!(tab.histories().iter().all(|h| h.is_empty()));
    short(&mut tab, 20);
    tab.act(Act::Play);
    tab.settle();
    assert!(!tab.playing());
    for (run, config) in tab.runs.iter().zip(tab.lab.runs()) {
        // The same numbers as training the run on its own.
        let alone = train(&config, &|| false).expect("valid");
        assert_eq!(run.history, alone);
        assert_eq!(run.profile.len(), 10);
    }
}

#[test]
fn a_single_step_trains_one_iteration_and_pauses() {
    let mut tab = headless();
    short(&mut tab, 20);
    tab.act(Act::Step);
    tab.settle();
    assert!(tab.histories().iter().all(|h| h.len() == 1));
    tab.act(Act::Step);
    tab.settle();
    assert!(tab.histories().iter().all(|h| h.len() == 2));
    tab.act(Act::Restart);
    assert!(tab.histories().iter().all(|h| h.is_empty()));
}

#[test]
fn controls_change_the_lab_and_presets_reset_it() {
    let mut tab = headless();
    assert_eq!(tab.lab().compare, Compare::Cells);
    tab.act(Act::Controls(ControlAct::Next)); // steps
    assert!(tab.act(Act::Controls(ControlAct::More)));
    assert_eq!(tab.lab().steps, 75);
    tab.act(Act::Clip);
    assert_eq!(tab.lab().clip, crate::grad::Clip::Value(1.0));
    tab.act(Act::NextPreset);
    assert_eq!(tab.preset(), Preset::Exploding);
    assert_eq!(tab.lab(), &Preset::Exploding.lab());
    assert_eq!(tab.runs[0].config.clip, crate::grad::Clip::None);
    tab.act(Act::LastControl);
    tab.act(Act::Controls(ControlAct::Less));
    assert_eq!(tab.lab().iterations, 500);
    tab.act(Act::Reset);
    assert_eq!(tab.lab(), &Preset::Exploding.lab());
    // ρ goes off below its lowest rung and back.
    for _ in 0..2 {
        tab.act(Act::Controls(ControlAct::Prev));
    }
    assert_eq!(tab.selected(), Control::Rho);
    for _ in 0..12 {
        tab.act(Act::Less);
    }
    assert_eq!(tab.lab().rho, None);
    tab.act(Act::More);
    assert_eq!(tab.lab().rho, Some(0.5));
    tab.act(Act::FirstControl);
    assert_eq!(tab.selected(), Control::Task);
}

#[test]
fn the_note_states_the_runs_numbers() {
    let mut tab = headless();
    short(&mut tab, 30);
    tab.act(Act::Play);
    tab.settle();
    let h = tab.histories();
    let baseline = tab.lab().task.baseline_loss();
    let note = notes::note(tab.lab(), &h).join(" ");
    // Final loss = mean of the last 10% (3 of 30 iterations), as a share of the baseline.
    for (name, hist) in ["RNN tanh", "LSTM"].iter().zip(&h) {
        let tail = &hist.loss[27..];
        let ratio = tail.iter().sum::<f64>() / 3.0 / baseline;
        let said = format!("{name} {}", notes::percent(ratio));
        assert!(note.contains(&said), "{said:?} not in {note:?}");
    }
    // Norm clipping at 1: the count of iterations whose pre-clip norm exceeded 1 − 1e-6.
    let count = h[0]
        .grad_norm
        .iter()
        .filter(|&&n| 1.0 / (n + 1e-6) < 1.0)
        .count();
    assert!(
        note.contains(&format!(
            "RNN tanh: norm clipping at c = 1 rescaled the gradient in {count} of 30 updates."
        )),
        "{note}"
    );
    assert!(
        !note.contains("Run 1") && !note.contains("only shortens"),
        "{note}"
    );

    // The exploding preset states the peaks after the first 5%.
    let mut tab = headless();
    tab.act(Act::NextPreset);
    short(&mut tab, 40);
    tab.act(Act::Play);
    tab.settle();
    let h = tab.histories();
    let note = notes::note(tab.lab(), &h).join(" ");
    let peak = |k: usize| h[k].loss[2..].iter().copied().fold(0.0, f64::max) / baseline;
    assert!(
        note.contains(&format!("without clipping {}", notes::times(peak(0)))),
        "{note}"
    );
    assert!(
        note.contains(&format!("with clipping norm:0.5 {}", notes::times(peak(1)))),
        "{note}"
    );
}

#[test]
fn recall_reports_accuracy_against_chance() {
    let mut tab = headless();
    tab.act(Act::Controls(ControlAct::More)); // task: recall
    short(&mut tab, 20);
    tab.act(Act::Play);
    tab.settle();
    let h = tab.histories();
    let note = notes::note(tab.lab(), &h).join(" ");
    // 1/8 is 12.5%, not "12%"; each accuracy with the digits that keep it apart.
    assert!(note.contains("guessing gives 12.5% (1/8)"), "{note}");
    let mean = |k: usize| {
        let acc: Vec<f64> = h[k].accuracy[18..].iter().flatten().copied().collect();
        acc.iter().sum::<f64>() / acc.len() as f64
    };
    let shown = notes::percents_apart(&[mean(0), mean(1), 0.125]);
    let said = format!("RNN tanh {}; LSTM {}", shown[0], shown[1]);
    assert!(note.contains(&said), "{said} not in {note}");
}

#[test]
fn a_new_setting_abandons_running_chunks() {
    // A threaded worker: the run is replaced while a chunk may be running; the new runs start
    // from nothing and the old chunk's records never arrive.
    let mut tab = TrainTab::new(&Waker::new(|| {}));
    tab.act(Act::Play);
    tab.act(Act::NewSeed);
    assert!(tab.histories().iter().all(|h| h.is_empty()));
    tab.act(Act::Play); // pause
    tab.settle();
    assert!(tab.histories().iter().all(|h| h.len() < 1500));
}

fn screen(tab: &mut TrainTab, w: u16, h: u16) -> String {
    let area = Rect::new(0, 0, w, h);
    let ui = Ui::standard();
    tab.layout(area, &ui);
    let mut buf = Buffer::empty(area);
    tab.render(area, &mut buf, &ui);
    crate::snapshot::buffer_text(&buf)
}

#[test]
fn the_keys_follow_the_conventions_and_the_hints_name_them() {
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
    let mut tab = headless();
    let s = screen(&mut tab, 80, 22);
    for hint in [
        "Space starts both runs; . trains one iteration",
        "(v: next chart)",
        "What the runs show (J/K)",
        "Controls ↑↓ choose ←→ change",
        "preset long-memory (e)",
    ] {
        assert!(s.contains(hint), "{hint} not in\n{s}");
    }
}

#[test]
fn the_note_scrolls_to_its_end_and_back_at_once() {
    let mut tab = headless();
    short(&mut tab, 30);
    tab.act(Act::Play);
    tab.settle();
    screen(&mut tab, 80, 22);
    let mut moved = 0;
    for _ in 0..100 {
        if tab.act(Act::Note(ScrollAct::Down)) {
            moved += 1;
        }
    }
    assert!(moved > 0 && moved < 100, "{moved}");
    let end = tab.note.offset();
    let s = screen(&mut tab, 80, 22);
    assert_eq!(tab.note.offset(), end, "the layout keeps the end");
    let text = tab.note_text();
    let last = text.split_whitespace().last().expect("a note");
    assert!(s.contains(last), "the note's last words at the end:\n{s}");
    assert!(
        tab.act(Act::Note(ScrollAct::Up)),
        "one press up moves at once"
    );
    assert_eq!(tab.note.offset(), end - 1);
    // A page up moves a page (the note is several pages long at this size), and back to the
    // start in as many presses as it took pages.
    let page = tab.note.offset();
    assert!(tab.act(Act::Note(ScrollAct::PageUp)));
    assert!(tab.note.offset() < page);
    let mut presses = 1;
    while tab.note.offset() > 0 && presses < 20 {
        tab.act(Act::Note(ScrollAct::PageUp));
        presses += 1;
    }
    assert_eq!(tab.note.offset(), 0, "after {presses} pages up");
}

#[test]
fn the_readout_states_the_settings_and_each_runs_figures() {
    let mut tab = headless();
    short(&mut tab, 20);
    tab.act(Act::Play);
    tab.settle();
    let text = tab.readout().expect("a readout");
    let lab = tab.lab().clone();
    for c in <Control as strum::IntoEnumIterator>::iter() {
        let shown = format!("{} {}", lab.label(c), lab.value(c));
        assert!(text.contains(&shown), "{shown} not in {text}");
    }
    assert!(text.contains("preset long-memory"), "{text}");
    let baseline = lab.task.baseline_loss();
    for (name, h) in ["RNN tanh", "LSTM"].iter().zip(tab.histories()) {
        let loss = *h.loss.last().expect("trained");
        let g = *h.grad_norm.last().expect("trained");
        let line = format!(
            "{name}: 20/20  loss {} ({} of baseline)  ‖g‖ {}",
            crate::numfmt::general(loss, 3),
            notes::percent(loss / baseline),
            crate::numfmt::general(g, 3)
        );
        assert!(text.contains(&line), "{line} not in {text}");
        // Norm clipping at 1: the iterations whose norm was above 1 − 1e-6.
        let k = h
            .grad_norm
            .iter()
            .filter(|&&n| 1.0 / (n + 1e-6) < 1.0)
            .count();
        let said =
            format!("{name}: norm clipping at c = 1 rescaled the gradient in {k} of 20 updates.");
        assert!(text.contains(&said), "{said} not in {text}");
    }
}

#[test]
fn the_status_line_keeps_accuracy_first_and_never_cuts_a_number() {
    // Issue 19: at 80×24 the RNN's recall accuracy was cut ("acc…") after a long loss.
    let mut tab = headless();
    tab.act(Act::Controls(ControlAct::More)); // task: recall
    let record = |loss: f64, accuracy: f64| Record {
        loss,
        grad_norm: 2.56e-4,
        accuracy: Some(accuracy),
        clip_step: None,
    };
    for _ in 0..1500 {
        tab.runs[0].history.push(record(1.14e-4, 1.0));
        tab.runs[1].history.push(record(2.07, 0.03125));
    }
    let s = screen(&mut tab, 80, 24);
    assert!(
        s.contains("RNN tanh: 1500/1500  acc 100%  loss 1.14e-4 (0.0055% of baseline) …"),
        "{s}"
    );
    assert!(s.contains("LSTM: 1500/1500  acc 3.1%  loss 2.07"), "{s}");
    assert!(!s.contains("acc…"), "{s}");
    // Every field is there in full where there is room.
    let s = screen(&mut tab, 160, 48);
    assert!(s.contains("(0.0055% of baseline)  ‖g‖ 2.56e-4"), "{s}");
    // A diverged run: "not finite", never "inf" (and no share of the baseline).
    tab.runs[1].history = History::default();
    for _ in 0..39 {
        tab.runs[1].history.push(record(2.07, 0.125));
    }
    tab.runs[1].history.push(record(f64::INFINITY, 0.0));
    let line = render::status_text(&tab, 1);
    assert!(
        line.contains("40/1500 diverged") && line.contains("loss not finite"),
        "{line}"
    );
    assert!(
        !line.contains("inf") && !line.contains("of baseline"),
        "{line}"
    );
}

#[test]
fn a_started_run_is_unfinished_work_until_it_ends() {
    use crate::tab::Tab;
    let mut tab = headless();
    short(&mut tab, 3);
    assert_eq!(tab.unfinished_work(), None, "nothing trained yet");
    tab.act(Act::Step);
    tab.settle();
    assert_eq!(tab.unfinished_work(), Some("the training run"));
    tab.act(Act::Play);
    tab.settle();
    assert!(tab.histories().iter().all(|h| h.len() == 3));
    assert_eq!(tab.unfinished_work(), None, "both runs reached their end");
}
