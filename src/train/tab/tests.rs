//! The tab's state: keys change settings and restart runs, a started run trains to the end
//! headless, the note states the runs' own numbers.

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
    tab.nav(Nav::Down); // steps
    assert!(tab.nav(Nav::Right));
    assert_eq!(tab.lab().steps, 75);
    tab.act(Act::Clip);
    assert_eq!(tab.lab().clip, crate::grad::Clip::Value(1.0));
    tab.act(Act::NextPreset);
    assert_eq!(tab.preset(), Preset::Exploding);
    assert_eq!(tab.lab(), &Preset::Exploding.lab());
    assert_eq!(tab.runs[0].config.clip, crate::grad::Clip::None);
    tab.nav(Nav::End);
    tab.nav(Nav::Left);
    assert_eq!(tab.lab().iterations, 500);
    tab.act(Act::Reset);
    assert_eq!(tab.lab(), &Preset::Exploding.lab());
    // ρ goes off below its lowest rung and back.
    for _ in 0..2 {
        tab.nav(Nav::Up);
    }
    assert_eq!(tab.selected, Control::Rho);
    for _ in 0..12 {
        tab.nav(Nav::Left);
    }
    assert_eq!(tab.lab().rho, None);
    tab.nav(Nav::Right);
    assert_eq!(tab.lab().rho, Some(0.5));
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
    for (name, hist) in ["the RNN's", "the LSTM's"].iter().zip(&h) {
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
        note.contains(&format!("rescaled the gradient in {count} of 30")),
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
        note.contains(&format!("with clipping norm:1 {}", notes::times(peak(1)))),
        "{note}"
    );
}

#[test]
fn recall_reports_accuracy_against_chance() {
    let mut tab = headless();
    tab.change(Control::Task, true);
    short(&mut tab, 20);
    tab.act(Act::Play);
    tab.settle();
    let h = tab.histories();
    let note = notes::note(tab.lab(), &h).join(" ");
    assert!(note.contains("guessing gives 12%"), "{note}");
    let acc: Vec<f64> = h[1].accuracy[18..].iter().flatten().copied().collect();
    let mean = acc.iter().sum::<f64>() / acc.len() as f64;
    assert!(
        note.contains(&format!("the LSTM's {}", notes::percent(mean))),
        "{note}"
    );
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
