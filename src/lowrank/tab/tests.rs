//! Tests of the Low-rank tab: keys, panels, background work, render and readout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::descent::{DescentPanel, gap_text};
use super::jobs::CompletionStage;
use super::jobs::{FirstViewJob, JobInput, Ready, first_view};
use super::render::{WIDE_MIN, areas, fitted, rate_text, rounding_bound, short_number};
use super::*;
use crate::jobs::{JobError, Worker};
use crate::lowrank::input::{self, Builtin, Source};
use crate::lowrank::model::Decomposition;
use crate::lowrank::model::descent::{self, Standing};
use crate::lowrank::model::partial::PartialError;
use crate::numfmt;
use crate::text;
use crate::theme::ColorDepth;
use ratatui::text::{Line, Span};

fn tab() -> LowrankTab {
    let options = Options {
        lowrank_input: Some("synthetic".into()),
        max_side: None,
        max_bytes: None,
        svd_worker: None,
    };
    let mut tab = LowrankTab::new(&Waker::headless(), &options).unwrap();
    tab.settle();
    tab
}

/// The tab's screen at `w`×`h`, laid out first as the shell does.
fn text(tab: &mut LowrankTab, w: u16, h: u16, ui: &Ui) -> String {
    let area = Rect::new(0, 0, w, h);
    tab.layout(area, ui);
    let mut buf = Buffer::empty(area);
    tab.render(area, &mut buf, ui);
    crate::snapshot::buffer_text(&buf)
}

#[test]
fn rank_keys_move_the_rank_as_their_help_says() {
    let mut tab = tab();
    assert_eq!(tab.rank(), Some(DEFAULT_RANK));
    tab.act(Act::RankUp);
    assert_eq!(tab.rank(), Some(11));
    tab.act(Act::RankDown);
    tab.act(Act::RankDown);
    assert_eq!(tab.rank(), Some(9));
    tab.act(Act::RankStepUp);
    assert_eq!(tab.rank(), Some(19));
    tab.act(Act::RankStepDown);
    assert_eq!(tab.rank(), Some(9));
    tab.act(Act::RankFull);
    assert_eq!(tab.rank(), Some(192));
    assert!(!tab.act(Act::RankUp), "no change beyond min(m, n)");
    tab.act(Act::RankZero);
    assert_eq!(tab.rank(), Some(0));
    assert!(!tab.act(Act::RankDown));
    assert!(!tab.act(Act::RankStepDown));
    // The readouts follow the rank: the Eckart–Young identity holds at the new rank.
    tab.act(Act::RankStepUp);
    let r = tab.readouts().unwrap();
    assert_eq!(r.rank, 10);
    assert!(r.identity_gap.abs().value() < 1e-9);
}

#[test]
fn view_panel_and_input_keys_cycle() {
    let mut tab = tab();
    assert_eq!(tab.view(), View::Approximation);
    tab.act(Act::NextView);
    assert_eq!(tab.view(), View::Residual);
    tab.act(Act::NextView);
    assert_eq!(tab.view(), View::Original);
    assert_eq!(tab.panel(), Panel::Spectrum);
    tab.act(Act::NextPanel);
    assert_eq!(tab.panel(), Panel::Symmetry);
    tab.act(Act::PrevPanel);
    tab.act(Act::PrevPanel);
    assert_eq!(tab.panel(), Panel::Descent);
    tab.act(Act::PanelDown);
    assert_eq!(tab.panel(), Panel::Spectrum);
    assert_eq!(tab.input_name(), "synthetic");
    tab.act(Act::NextInput);
    tab.settle();
    assert_eq!(tab.input_name(), "camera");
    assert_eq!(tab.rank(), Some(DEFAULT_RANK));
    tab.act(Act::PrevInput);
    tab.settle();
    assert_eq!(tab.input_name(), "synthetic");
}

#[test]
fn symmetry_keys_transform_and_keep_the_product() {
    let mut tab = tab();
    tab.act(Act::NewDraw);
    tab.settle();
    assert_eq!(tab.panel(), Panel::Symmetry);
    assert_eq!(tab.transform(), Transform::General { seed: 2 });
    let view = tab.symmetry.view.as_ref().unwrap();
    let readout = view.readout.as_ref().unwrap();
    assert!(readout.a_distance > 1e-3);
    assert!(readout.product_change < 1e-9, "{}", readout.product_change);
    // A general G unbalances the factors; an orthogonal Q does not.
    assert!(readout.imbalance_after > 1e-3);
    tab.act(Act::NextSymmetry);
    tab.settle();
    assert_eq!(tab.transform(), Transform::Orthogonal { seed: 2 });
    let readout = tab
        .symmetry
        .view
        .as_ref()
        .unwrap()
        .readout
        .as_ref()
        .unwrap();
    assert!(readout.imbalance_after < 1e-9 * readout.a_distance.max(1.0));
    tab.act(Act::Rescale);
    tab.settle();
    assert_eq!(tab.transform(), Transform::Scale { e: SCALES[0] });
    // n leaves the scale for a new random G.
    tab.act(Act::NewDraw);
    assert_eq!(tab.transform(), Transform::General { seed: 3 });
    tab.act(Act::Rescale);
    tab.act(Act::Rescale);
    tab.act(Act::Rescale);
    tab.act(Act::Rescale);
    tab.settle();
    assert_eq!(tab.transform(), Transform::Scale { e: SCALES[3] });
    let readout = tab
        .symmetry
        .view
        .as_ref()
        .unwrap()
        .readout
        .as_ref()
        .unwrap();
    assert!(readout.error_change.abs() < 1e-9);
    // Moving the rank recomputes the readout for the new rank.
    tab.act(Act::RankUp);
    tab.settle();
    assert_eq!(tab.symmetry.view.as_ref().unwrap().wanted.1, 11);
}

#[test]
fn landscape_key_cycles_x() {
    let mut tab = tab();
    assert_eq!(tab.landscape_x(), LANDSCAPE_X[0]);
    tab.act(Act::NextX);
    assert_eq!(tab.panel(), Panel::Landscape);
    assert_eq!(tab.landscape_x(), LANDSCAPE_X[1]);
    for _ in 0..LANDSCAPE_X.len() - 1 {
        tab.act(Act::NextX);
    }
    assert_eq!(tab.landscape_x(), LANDSCAPE_X[0]);
}

#[test]
fn training_runs_to_the_optimum() {
    let mut tab = tab();
    tab.act(Act::RankZero);
    for _ in 0..5 {
        tab.act(Act::RankUp);
    }
    assert!(tab.act(Act::Train));
    assert_eq!(tab.panel(), Panel::Descent);
    assert!(tab.descent_iterations() > 0);
    tab.settle();
    assert!(!tab.training());
    let status = tab.descent.status.unwrap();
    assert_eq!(status.rank, 5);
    // "converged" is shown exactly when the stated rule holds.
    assert_eq!(status.standing, Standing::Converged);
    assert!(status.loss - status.optimum <= descent::CONVERGED_RELATIVE_GAP * status.optimum);
    assert!(status.iterations < DESCENT_BUDGET);
    assert_eq!(tab.descent.losses.len(), status.iterations + 1);
    // Nothing to continue after convergence.
    assert!(!tab.act(Act::Train));
    let screen = text(&mut tab, 80, 22, &Ui::standard());
    assert!(screen.contains("converged"), "{screen}");
    // The rate line's two numbers: near the optimum the theory's ρ² bounds the observed
    // contraction (faster directions still fade at the end of a short run; the model's
    // tests follow the run further, to where the two agree).
    let observed = status.observed_rate.unwrap();
    let predicted = status.predicted_rate.unwrap().factor;
    assert!(observed <= predicted * 1.001, "{observed} {predicted}");
    assert!(observed > 0.3 * predicted, "{observed} {predicted}");
    // The imbalance stays small against the size of the factors: balanced at the end.
    assert!(status.imbalance_now < 1e-3 * status.gram_norm, "{status:?}");
}

#[test]
fn train_pauses_resumes_and_restarts() {
    let mut tab = tab();
    // At rank 40 the noise directions are learnt slowly: the run lasts its whole budget.
    tab.act(Act::RankStepUp);
    tab.act(Act::RankStepUp);
    tab.act(Act::RankStepUp);
    assert_eq!(tab.rank(), Some(40));
    tab.act(Act::Train);
    assert!(tab.training());
    tab.act(Act::Train);
    assert!(!tab.training());
    tab.settle();
    let paused_at = tab.descent_iterations();
    assert!(paused_at > 0 && paused_at < DESCENT_BUDGET);
    tab.settle();
    assert_eq!(tab.descent_iterations(), paused_at);
    tab.act(Act::Train);
    assert!(tab.training());
    tab.settle();
    assert_eq!(tab.descent_iterations(), DESCENT_BUDGET);
    assert_eq!(tab.descent.losses.len(), DESCENT_BUDGET + 1);
    let status = tab.descent.status.unwrap();
    assert_eq!(status.standing, Standing::AtBudget);
    assert!(status.loss - status.optimum > descent::CONVERGED_RELATIVE_GAP * status.optimum);
    let screen = text(&mut tab, 80, 22, &Ui::standard());
    assert!(screen.contains("stopped at the budget"), "{screen}");
    assert!(!screen.contains("done"), "{screen}");
    // t continues from iteration 500 instead of replaying the run.
    let loss_at_budget = status.loss;
    tab.act(Act::Train);
    tab.settle();
    assert_eq!(tab.descent_iterations(), 2 * DESCENT_BUDGET);
    assert_eq!(tab.descent.losses[DESCENT_BUDGET].1, loss_at_budget);
    assert!(tab.descent.status.unwrap().loss < loss_at_budget);
    // r rewinds: the same random start from iteration 0.
    let first_loss = tab.descent.losses[0].1;
    tab.act(Act::Rewind);
    assert_eq!(tab.descent.seed, 1);
    assert_eq!(tab.descent.losses[0].1, first_loss);
    assert!(tab.descent_iterations() < DESCENT_BUDGET);
    // n on the descent panel: a new random start.
    tab.act(Act::NewDraw);
    assert_eq!(tab.descent.seed, 2);
    assert_ne!(tab.descent.losses[0].1, first_loss);
    // A different rank starts a new run instead of resuming.
    tab.act(Act::Train);
    tab.act(Act::RankDown);
    tab.act(Act::Train);
    assert_eq!(tab.descent.status.unwrap().rank, 39);
}

#[test]
fn switching_input_abandons_the_run_in_flight() {
    let mut tab = tab();
    tab.act(Act::RankStepUp);
    tab.act(Act::Train);
    assert!(tab.training());
    // A chunk of the run is waiting on the worker when the input changes.
    tab.act(Act::NextInput);
    tab.settle();
    assert_eq!(tab.input_name(), "camera");
    assert!(!tab.training());
    assert!(tab.descent.status.is_none());
    assert!(tab.descent.losses.is_empty());
}

#[test]
fn a_bad_input_file_is_an_error_line() {
    let options = Options {
        lowrank_input: Some("/nonexistent/photo.png".into()),
        max_side: None,
        max_bytes: None,
        svd_worker: None,
    };
    let err = LowrankTab::new(&Waker::headless(), &options).err().unwrap();
    assert_eq!(
        err.to_string(),
        "/nonexistent/photo.png: cannot read the file (no such file)"
    );
}

#[test]
fn computing_and_error_states_are_shown() {
    let mut tab = tab();
    *tab.pipeline.ready_mut() = None;
    tab.pipeline.loading = Some("camera".into());
    let screen = text(&mut tab, 80, 22, &Ui::standard());
    assert!(
        screen.contains("computing the first view of camera…"),
        "{screen}"
    );
    tab.pipeline.loading = None;
    let failure = Failure::Job {
        what: "SVD",
        error: JobError::Panicked("photo.png: truncated or corrupt PNG".into()),
    };
    tab.pipeline.first_view.set_error(Some(failure.to_string()));
    let screen = text(&mut tab, 160, 46, &Ui::standard());
    assert!(
        screen.contains("SVD: the computation failed: photo.png"),
        "{screen}"
    );
    // Keys that need a decomposition do nothing without one.
    assert!(!tab.act(Act::RankUp));
    assert!(!tab.act(Act::Train));
    assert!(!tab.act(Act::Rewind));
}

#[test]
fn a_failed_completion_is_said_beside_the_first_view() {
    use crate::lowrank::svd_worker::WorkerError;
    let mut tab = tab();
    tab.settle();
    tab.pipeline.completing = Some(CompletionStage::Vectors);
    let generation = tab.pipeline.generation;
    tab.pipeline
        .accept_completion(Taken::Result(Err(PartialError::Worker(
            WorkerError::Died { status: None },
        ))));
    // The view stays, with the reason the rest is missing, wrapped whole.
    assert!(tab.pipeline.ready().is_some() && tab.pipeline.failure().is_none());
    assert!(
        tab.readout()
            .unwrap()
            .contains("not complete: synthetic: the SVD worker")
    );
    let wide = text(&mut tab, 160, 46, &Ui::standard());
    assert!(
        wide.contains("Not complete: synthetic: the SVD worker process")
            && wide.contains("by a signal (out of memory?) before")
            && wide.contains("it answered"),
        "{wide}"
    );
    let narrow = text(&mut tab, 80, 24, &Ui::standard());
    assert!(
        narrow.contains("Not complete: synthetic: the SVD")
            && narrow.contains("signal (out of memory?)"),
        "{narrow}"
    );
    // The readouts below it no longer fit there: the cut is marked.
    assert!(narrow.contains('↓'), "{narrow}");
    // A new input starts afresh.
    tab.act(Act::NextInput);
    assert!(tab.pipeline.completion_failure().is_none());
    assert_ne!(tab.pipeline.generation, generation);
}

#[test]
fn a_panic_in_a_job_is_an_error_line_in_its_panel() {
    fn panicking<Req: Send + 'static, Res: Send + 'static>(
        what: &'static str,
    ) -> WorkerPanel<Req, Res> {
        WorkerPanel::new(
            Worker::new(&Waker::headless(), move |_: Req| -> Res {
                panic!("{what}")
            }),
            what,
        )
    }
    let mut tab = tab();
    tab.descent.worker = panicking("boom");
    assert!(tab.act(Act::Train));
    assert!(!tab.training());
    assert!(tab.descent.status.is_none() && tab.descent.losses.is_empty());
    let screen = text(&mut tab, 80, 22, &Ui::standard());
    assert!(
        screen.contains("gradient descent: the computation"),
        "{screen}"
    );
    assert!(screen.contains("failed: boom"), "{screen}");
    // Play starts a new run after the lost one.
    tab.descent.worker = DescentPanel::new(&Waker::headless()).worker;
    assert!(tab.act(Act::Train));
    tab.settle();
    assert!(tab.descent.worker.error().is_none());
    assert!(tab.descent.status.is_some());
    tab.symmetry.worker = panicking("bang");
    tab.show(Panel::Symmetry);
    let screen = text(&mut tab, 80, 22, &Ui::standard());
    assert!(screen.contains("symmetry: the computation"), "{screen}");
    assert!(screen.contains("bang"), "{screen}");
    tab.pipeline.first_view = panicking("svd");
    tab.act(Act::NextInput);
    assert!(tab.pipeline.ready().is_none() && !tab.busy());
    let screen = text(&mut tab, 80, 22, &Ui::standard());
    assert!(
        screen.contains("SVD: the computation failed: svd"),
        "{screen}"
    );
    assert!(
        tab.readout()
            .unwrap()
            .contains("SVD: the computation failed: svd")
    );
}

#[test]
fn busy_label_says_what_runs() {
    let mut tab = tab();
    assert_eq!(tab.busy_label(), None);
    tab.act(Act::RankStepUp);
    tab.act(Act::RankStepUp);
    tab.act(Act::Train);
    assert_eq!(tab.busy_label().as_deref(), Some("training"));
}

#[test]
fn busy_label_says_what_the_decomposition_is_doing() {
    use crate::lowrank::model::partial::{Progress, Stage};
    let mut tab = tab();
    tab.act(Act::NextInput);
    tab.settle();
    let pipeline = &mut tab.pipeline;
    assert_eq!(pipeline.busy_text(false, false), None);
    pipeline.loading = Some("camera".into());
    pipeline.first_view_progress.clear();
    assert_eq!(
        pipeline.busy_text(true, false).as_deref(),
        Some("first view, camera")
    );
    let progress = Progress {
        stage: Stage::PowerIteration { iteration: 3 },
        blocks_done: 12,
        blocks_planned: 30,
    };
    pipeline.first_view_progress.set(progress.to_string());
    assert_eq!(
        pipeline.busy_text(true, false).as_deref(),
        Some("first view: power iteration 3 (40 %), camera")
    );
    pipeline.loading = None;
    assert_eq!(
        pipeline.busy_text(true, false).as_deref(),
        Some("more singular triplets: power iteration 3 (40 %), camera")
    );
    pipeline.completing = Some(CompletionStage::Values);
    pipeline.completion_since = Some(Instant::now());
    assert_eq!(
        pipeline.busy_text(false, true).as_deref(),
        Some("all σ (step 1 of 2), camera")
    );
    pipeline
        .completion_progress
        .set(pipeline::values_progress(0.379));
    assert_eq!(
        pipeline.busy_text(false, true).as_deref(),
        Some("all σ: bidiagonal form 37 % (step 1 of 2), camera")
    );
    pipeline
        .completion_progress
        .set(pipeline::values_progress(1.0));
    pipeline.completion_since = Instant::now().checked_sub(Duration::from_millis(3_100));
    assert_eq!(
        pipeline.busy_text(false, true).as_deref(),
        Some("all σ: σ of the bidiagonal, 3 s (step 1 of 2), camera")
    );
    pipeline.completing = Some(CompletionStage::Vectors);
    pipeline.completion_since = Instant::now().checked_sub(Duration::from_millis(12_400));
    assert_eq!(
        pipeline.busy_text(false, true).as_deref(),
        Some("singular vectors: 12 s (step 2 of 2), camera")
    );
}

#[test]
fn headless_the_tab_ends_with_the_complete_decomposition() {
    let mut tab = tab();
    assert!(!tab.is_partial());
    let ready = tab.pipeline.ready().unwrap();
    assert!(ready.decomposition.is_complete());
    assert!(ready.leading.is_none());
    assert_eq!(ready.spectrum.len(), ready.max_rank());
    let screen = text(&mut tab, 160, 46, &Ui::standard());
    assert!(!screen.contains("partial"), "{screen}");
    tab.act(Act::NextInput);
    tab.settle();
    assert!(!tab.is_partial());
}

/// The first view of an input, as the tab shows it before the completion arrives.
fn first_view_of(name: &str, rank: usize) -> (Ready, Arc<Decomposition>) {
    let job = FirstViewJob {
        generation: 0,
        input: JobInput::Source(Source::from_arg(std::path::Path::new(name))),
        limits: input::Limits::default(),
        rank,
    };
    let view = first_view(job, &crate::jobs::Cancel::never(), &mut |_| {}).unwrap();
    let complete = Arc::new(Decomposition::compute(view.matrix.as_ref().clone()).unwrap());
    let (meta, decomposition, leading) = view.decomposition(None).unwrap();
    (
        Ready::new(&meta, decomposition, Some(leading), rank),
        complete,
    )
}

#[test]
fn the_first_view_error_is_the_complete_error_within_its_stated_bound() {
    for (name, rank) in [("synthetic", DEFAULT_RANK), ("camera", DEFAULT_RANK)] {
        let (ready, complete) = first_view_of(name, rank);
        let leading = ready.leading.as_ref().unwrap();
        assert!(!ready.decomposition.spectrum_complete());
        let by_subtraction = ready.readouts.error_sq_tail;
        let bound = leading.subtraction_bound(rank);
        assert!(bound <= 1e-11 * leading.frobenius_sq, "{name}: {bound}");
        // The error of the reconstruction shown, summed entry by entry.
        let direct = ready.reconstruction.error_sq();
        assert!(
            (by_subtraction - direct).abs() <= bound,
            "{name}: {by_subtraction} {direct} {bound}"
        );
        // The complete decomposition's error at that rank, Σ_{i>r} σᵢ², is the Eckart–Young
        // minimum: the first view's reconstruction is never better (its σ̃ are lower bounds)
        // and, with the first view's few power iterations, within a millionth or so of
        // ‖X‖²_F above it (the stated bound is the subtraction's rounding, not this gap).
        let optimum = complete.tail_energy(rank);
        assert!(
            by_subtraction >= optimum - bound,
            "{name}: {by_subtraction} {optimum}"
        );
        let gap = (by_subtraction - optimum) / leading.frobenius_sq;
        assert!(gap <= 1e-5, "{name}: {gap:e}");
        let screen = text_of(&ready, name);
        assert!(screen.contains("partial (20 of"), "{screen}");
    }
}

fn text_of(ready: &Ready, name: &str) -> String {
    let mut tab = tab();
    *tab.pipeline.ready_mut() = Some(Ready::new(
        &ready.meta(),
        Arc::clone(&ready.decomposition),
        ready.leading.clone(),
        ready.rank(),
    ));
    assert_eq!(tab.pipeline.ready().unwrap().name, name);
    text(&mut tab, 160, 46, &Ui::standard())
}

#[test]
fn a_rank_beyond_the_known_triplets_asks_for_more() {
    let (ready, _) = first_view_of("camera", DEFAULT_RANK);
    let mut tab = tab();
    tab.act(Act::NextInput);
    tab.settle();
    *tab.pipeline.ready_mut() = Some(ready);
    assert!(tab.is_partial());
    assert_eq!(tab.pipeline.ready().unwrap().known_rank(), 20);
    tab.act(Act::RankStepUp);
    assert_eq!(tab.rank(), Some(20));
    // Headless the extension is computed at once: more triplets, the rank asked for.
    tab.act(Act::RankStepUp);
    let ready = tab.pipeline.ready().unwrap();
    assert!(ready.known_rank() >= 30, "{}", ready.known_rank());
    assert_eq!(tab.rank(), Some(30));
    assert!(tab.is_partial());
    assert!(tab.pipeline.wanted_rank.is_none());
    // Most of the spectrum is left to the completion rather than to more leading triplets.
    tab.act(Act::RankFull);
    assert_eq!(tab.pipeline.wanted_rank, Some(512));
    assert_eq!(tab.rank(), tab.pipeline.ready().map(Ready::known_rank));
    tab.act(Act::RankZero);
    assert_eq!(tab.pipeline.wanted_rank, None);
    assert_eq!(tab.rank(), Some(0));
}

#[test]
fn a_new_input_gets_its_first_view_while_a_stale_completion_runs() {
    use std::time::{Duration, Instant};
    let options = Options {
        lowrank_input: Some("camera".into()),
        max_side: None,
        max_bytes: None,
        svd_worker: None,
    };
    let mut tab = LowrankTab::new(&Waker::new(|| {}), &options).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let wait_for = |tab: &mut LowrankTab, what: &str, done: &dyn Fn(&LowrankTab) -> bool| {
        while !done(tab) {
            assert!(Instant::now() < deadline, "no {what} within 60 s");
            tab.poll();
            std::thread::yield_now();
        }
    };
    // The camera's first view arrives, then its completion starts.
    wait_for(&mut tab, "first view of camera", &|t| {
        t.pipeline.ready().is_some_and(|r| r.name == "camera")
    });
    wait_for(&mut tab, "completion of camera", &|t| {
        t.pipeline.completing.is_some()
    });
    // A new input while the camera's completion runs: its first view still arrives.
    tab.act(Act::NextInput);
    assert_eq!(tab.input_name(), "astronaut");
    assert!(tab.pipeline.ready().is_none());
    wait_for(&mut tab, "first view of astronaut", &|t| {
        t.pipeline.ready().is_some_and(|r| r.name == "astronaut")
    });
    assert_eq!(tab.rank(), Some(DEFAULT_RANK));
    // And it completes; nothing of the camera's completion is taken for it.
    tab.settle();
    let ready = tab.pipeline.ready().unwrap();
    assert_eq!(ready.name, "astronaut");
    assert!(ready.decomposition.is_complete());
    assert!(ready.readouts.identity_gap.abs() < 1e-9 * ready.decomposition.frobenius_sq);
}

#[test]
fn input_synthetic_is_the_built_in() {
    // One meaning for --input synthetic, decided by Source::from_arg (the command uses it too).
    assert_eq!(tab().input_name(), "synthetic");
    assert_eq!(
        Source::from_arg(std::path::Path::new("synthetic")),
        Source::Builtin(Builtin::Synthetic)
    );
    assert_eq!(
        Source::from_arg(std::path::Path::new("./synthetic")),
        Source::Path("./synthetic".into())
    );
}

#[test]
fn render_is_total_and_ascii_when_asked() {
    let mut tab = tab();
    let ascii = Ui::new(ColorDepth::Ansi16, false);
    for &panel in Panel::ALL {
        tab.show(panel);
        tab.settle();
        for (w, h) in [
            (0, 0),
            (1, 1),
            (2, 50),
            (50, 2),
            (64, 18),
            (80, 22),
            (160, 46),
            (300, 100),
        ] {
            let s = text(&mut tab, w, h, &ascii);
            assert!(s.is_ascii(), "{panel:?} at {w}x{h}:\n{s}");
            text(&mut tab, w, h, &Ui::standard());
        }
    }
    tab.act(Act::Train);
    tab.settle();
    let s = text(&mut tab, 80, 22, &ascii);
    assert!(s.is_ascii(), "{s}");
}

// Drawing helpers and layout.

#[test]
fn rounding_bounds_are_the_next_power_of_ten() {
    assert_eq!(rounding_bound(0.0), "= 0");
    assert_eq!(rounding_bound(-7e-14), "< 1e-13");
    assert_eq!(rounding_bound(6e-14), "< 1e-13");
    assert_eq!(rounding_bound(2.5), "< 1e1");
    assert_eq!(rounding_bound(f64::NAN), "NaN");
}

#[test]
fn rates_show_enough_decimals_to_differ_from_one() {
    assert_eq!(rate_text(0.678, 3), "0.678");
    assert_eq!(rate_text(0.99971, 3), "0.999710");
    assert_eq!(rate_text(0.99971, 2), "0.99971");
    assert_eq!(rate_text(1.0, 3), "1.00");
}

#[test]
fn titles_that_do_not_fit_end_in_an_ellipsis() {
    for (unicode, mark) in [(true, "…"), (false, "...")] {
        let ui = Ui::new(crate::theme::ColorDepth::None, unicode);
        for width in 8..=30u16 {
            let area = Rect::new(0, 0, width, 3);
            let mut buf = Buffer::empty(area);
            crate::widgets::panel(area, &mut buf, &ui, "gradient descent (x, r, n)", false);
            let top = crate::snapshot::buffer_text(&buf);
            let top = top.lines().next().unwrap_or_default();
            assert_eq!(text::width(top), width as usize, "{top:?}");
            if width >= 30 {
                assert!(top.contains("(x, r, n)"), "{top:?}");
            } else {
                // Cut with a mark and both corners kept: never "(x, r" read as complete.
                assert!(top.contains(mark), "{top:?} at {width}");
            }
        }
    }
}

#[test]
fn fitted_lines_end_in_an_ellipsis() {
    let line = Line::from(vec![Span::raw("abc "), Span::raw("defgh")]);
    let cut = fitted(line.clone(), 6, true);
    assert_eq!(cut.to_string(), "abc d…");
    assert_eq!(fitted(line.clone(), 9, true).to_string(), "abc defgh");
    assert_eq!(fitted(line, 4, false).to_string(), "a...");
}

#[test]
fn short_numbers_drop_zero_decimals() {
    assert_eq!(short_number(-1.0), "-1");
    assert_eq!(short_number(0.25), "0.250");
}

#[test]
fn both_layouts_tile_the_area() {
    for (w, h) in [(80, 22), (64, 18), (160, 46), (300, 100), (2, 50)] {
        let area = Rect::new(0, 1, w, h);
        let a = areas(area, View::Residual);
        let mut cells: u32 = a.images.iter().map(|(r, _)| r.area()).sum();
        cells += a.readouts.area() + a.lower.area() + a.spectrum.map_or(0, |r| r.area());
        assert_eq!(cells, area.area(), "{w}x{h}");
        assert_eq!(a.wide, w >= WIDE_MIN.0 && h >= WIDE_MIN.1);
    }
}

#[test]
fn keys_follow_the_conventions() {
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
    let press = |tab: &mut LowrankTab, name: &str| {
        let key = Key::parse(name).unwrap();
        let act = keymap::lookup(&KEYS, key).unwrap_or_else(|| panic!("{name} is not bound"));
        tab.act(act);
    };
    let mut tab = tab();
    press(&mut tab, "+");
    assert_eq!(tab.rank(), Some(DEFAULT_RANK + RANK_STEP));
    press(&mut tab, "=");
    press(&mut tab, "-");
    assert_eq!(tab.rank(), Some(DEFAULT_RANK + RANK_STEP));
    press(&mut tab, "Home");
    assert_eq!(tab.rank(), Some(0));
    press(&mut tab, "l");
    press(&mut tab, "Right");
    press(&mut tab, "h");
    assert_eq!(tab.rank(), Some(1));
    press(&mut tab, "End");
    assert_eq!(tab.rank(), Some(192));
    press(&mut tab, "j");
    assert_eq!(tab.panel(), Panel::Symmetry);
    press(&mut tab, "Down");
    assert_eq!(tab.panel(), Panel::Landscape);
    press(&mut tab, "k");
    press(&mut tab, "Up");
    assert_eq!(tab.panel(), Panel::Spectrum);
    press(&mut tab, "P");
    assert_eq!(tab.panel(), Panel::Descent);
    press(&mut tab, "p");
    assert_eq!(tab.panel(), Panel::Spectrum);
    press(&mut tab, "Space");
    assert!(tab.descent.status.is_some(), "Space trains");
    assert_eq!(tab.panel(), Panel::Descent);
    // The hints drawn in the tab name the keys of the table.
    let screen = text(&mut tab, 80, 24, &Ui::standard());
    assert!(
        screen.contains("gradient descent (Space, r, n)"),
        "{screen}"
    );
    assert!(
        screen.contains("(v)") && screen.contains("input (i)"),
        "{screen}"
    );
}

#[test]
fn a_note_scrolled_past_its_end_comes_back_at_the_first_key() {
    for (w, h) in [(80, 24), (72, 22)] {
        let mut tab = tab();
        tab.act(Act::NextPanel);
        assert_eq!(tab.panel(), Panel::Symmetry);
        let top = text(&mut tab, w, h, &Ui::standard());
        for _ in 0..50 {
            tab.act(Act::Note(ScrollAct::Down));
        }
        let end = text(&mut tab, w, h, &Ui::standard());
        assert_ne!(
            top, end,
            "the symmetry note is longer than its box at {w}x{h}"
        );
        assert!(!tab.act(Act::Note(ScrollAct::Down)), "nothing past the end");
        assert!(
            tab.act(Act::Note(ScrollAct::Up)),
            "one key back moves at once"
        );
        let back = text(&mut tab, w, h, &Ui::standard());
        assert_ne!(back, end);
        while tab.act(Act::Note(ScrollAct::PageUp)) {}
        assert_eq!(text(&mut tab, w, h, &Ui::standard()), top);
        assert!(tab.act(Act::Note(ScrollAct::PageDown)));
        // The landscape has no note: the keys do nothing there.
        tab.act(Act::NextX);
        assert!(!tab.act(Act::Note(ScrollAct::Down)));
    }
    // The descent's first note, before any run, at the smallest size.
    let mut tab = tab();
    tab.act(Act::PrevPanel);
    assert_eq!(tab.panel(), Panel::Descent);
    text(&mut tab, 64, 18, &Ui::standard());
    let mut moved = 0;
    while tab.act(Act::Note(ScrollAct::Down)) {
        moved += 1;
    }
    assert!(moved > 0);
    assert!(tab.act(Act::Note(ScrollAct::Up)));
}

#[test]
fn the_readout_says_what_the_tab_shows() {
    let mut tab = tab();
    for _ in 0..3 {
        tab.act(Act::RankUp);
    }
    let readout = tab.readout().unwrap();
    // The model's numbers at rank 13 of the synthetic input, computed afresh.
    let loaded = input::load(
        &Source::Builtin(Builtin::Synthetic),
        input::DEFAULT_MAX_SIDE,
    )
    .unwrap();
    let (m, n) = loaded.matrix.dim();
    let decomposition = Arc::new(Decomposition::compute(loaded.matrix).unwrap());
    let mut reconstruction = crate::lowrank::model::Reconstruction::new(Arc::clone(&decomposition));
    reconstruction.set_rank(13);
    let r = crate::lowrank::model::Readouts::compute(&reconstruction);
    for figure in [
        format!("input: synthetic {m}×{n}"),
        format!("rank r = 13 of {}", m.min(n)),
        format!("‖X − A*B*‖²_F = {}", numfmt::general(r.error_sq.value(), 8)),
        format!(
            "Σ_{{i>r}} σᵢ² = {}",
            numfmt::general(r.error_sq_tail.value(), 8)
        ),
        format!("energy kept {}", numfmt::percent(r.energy_captured, 2)),
        format!("relative error {}", numfmt::percent(r.relative_error, 2)),
        format!(
            "σ₁ … σ₅: {}",
            numfmt::general(decomposition.svd.singular_values[0], 4)
        ),
        "lower panel: singular values".to_string(),
        "image shown on narrow screens: the rank-r approximation".to_string(),
    ] {
        assert!(readout.contains(&figure), "{figure:?} in\n{readout}");
    }
    // The symmetry panel: the kind and what stays.
    tab.act(Act::NextView);
    tab.act(Act::NextPanel);
    let readout = tab.readout().unwrap();
    let view = tab.symmetry.view.as_ref().unwrap();
    let s = view.readout.as_ref().unwrap();
    for figure in [
        "lower panel: symmetry by an invertible G: A = A*G, B = G⁻¹B* (G no. 1)".to_string(),
        format!("‖A−A*‖ = {}", numfmt::general(s.a_distance, 4)),
        format!("‖AB − A*B*‖_F {}", render::rounding_bound(s.product_change)),
        format!("error change {}", render::rounding_bound(s.error_change)),
        "image shown on narrow screens: the residual".to_string(),
    ] {
        assert!(readout.contains(&figure), "{figure:?} in\n{readout}");
    }
    // The landscape: x and its values.
    tab.act(Act::NextX);
    let readout = tab.readout().unwrap();
    let c = &tab.landscape.view.counterexample;
    assert!(
        readout.contains(&format!("x = {}", render::short_number(LANDSCAPE_X[1]))),
        "{readout}"
    );
    assert!(
        readout.contains(&format!(
            "g(0, 0) = {}",
            render::short_number(c.midpoint_value)
        )),
        "{readout}"
    );
    // The descent at rank 5: iteration, loss, gap, the measured rate beside the local one.
    tab.act(Act::RankZero);
    for _ in 0..5 {
        tab.act(Act::RankUp);
    }
    tab.act(Act::Train);
    tab.settle();
    let readout = tab.readout().unwrap();
    let status = tab.descent.status.unwrap();
    let predicted = status.predicted_rate.unwrap();
    for figure in [
        format!("iteration {}", status.iterations),
        format!("loss {}", numfmt::general(status.loss, 6)),
        format!(
            "optimum {}",
            numfmt::general(descent::optimal_loss(&decomposition, 5), 6)
        ),
        format!("gap {}", gap_text(status.gap)),
        "local rate near the optimum".to_string(),
        render::rate_text(predicted.factor, 3),
    ] {
        assert!(readout.contains(&figure), "{figure:?} in\n{readout}");
    }
    assert!(readout.contains("converged"), "{readout}");
    assert!(
        !readout.contains('│') && !readout.contains('█'),
        "no drawing: {readout}"
    );
}

/// A directory under the system temp dir for one test's files, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("dlscope-tab-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// The tab on `x` written as `name` (a data matrix: taken whole), settled.
    fn tab_on(&self, name: &str, x: &ndarray::Array2<f64>) -> LowrankTab {
        let path = self.0.join(name);
        ndarray_npy::write_npy(&path, x).unwrap();
        let options = Options {
            lowrank_input: Some(path),
            max_side: None,
            max_bytes: None,
            svd_worker: None,
        };
        let mut tab = LowrankTab::new(&Waker::headless(), &options).unwrap();
        tab.settle();
        tab
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every panel of the tab at 80×24 and 160×48 (descent trained at the rank shown): no panic,
/// no NaN or infinity on screen; returns the screens.
fn every_panel(tab: &mut LowrankTab) -> Vec<String> {
    let mut screens = Vec::new();
    for panel in [
        Panel::Spectrum,
        Panel::Symmetry,
        Panel::Landscape,
        Panel::Descent,
    ] {
        tab.show(panel);
        if panel == Panel::Descent {
            tab.act(Act::Train);
        }
        tab.settle();
        for (w, h) in [(80, 24), (160, 48)] {
            let screen = text(tab, w, h, &Ui::standard());
            for bad in ["NaN", " inf"] {
                assert!(!screen.contains(bad), "{panel:?} {w}×{h}: {bad}\n{screen}");
            }
            screens.push(screen);
        }
        screens.push(tab.readout().unwrap());
    }
    screens
}

#[test]
fn very_non_square_matrices_are_whole_in_every_panel() {
    let scratch = Scratch::new("nonsquare");
    for (m, n) in [(10_000, 50), (9000, 3), (3, 9000), (1, 64), (64, 1)] {
        let x = crate::lowrank::model::gaussian_matrix(m, n, 5);
        let mut tab = scratch.tab_on(&format!("x{m}x{n}.npy"), &x);
        let k = m.min(n);
        let ready = tab.pipeline.ready().unwrap();
        assert_eq!((ready.shape, ready.downscaled_from), ((m, n), None));
        // The slider reaches min(m, n), and the readout says which matrix it is.
        assert_eq!(ready.max_rank(), k);
        let screens = every_panel(&mut tab);
        let slider = format!("{}/{k}", DEFAULT_RANK.min(k));
        assert!(screens[0].contains(&slider), "{m}×{n}:\n{}", screens[0]);
        assert!(
            screens[2].contains(&format!("input: x{m}x{n}.npy {m}×{n} whole")),
            "{m}×{n}: {}",
            screens[2]
        );
        tab.act(Act::RankFull);
        tab.settle();
        assert_eq!(tab.rank(), Some(k));
        let r = tab.readouts().unwrap();
        assert!(
            r.error_sq.value()
                <= 1e-20
                    * tab
                        .pipeline
                        .ready()
                        .unwrap()
                        .decomposition
                        .frobenius_sq
                        .value()
        );
        if m * n <= 10_000 {
            // The full rank's panels too (a descent at rank 50 of 10000×50 takes seconds).
            every_panel(&mut tab);
        }
    }
}

#[test]
fn entries_of_1e200_decompose_in_the_tab_and_descent_says_why_not() {
    let scratch = Scratch::new("huge");
    let y = crate::lowrank::model::gaussian_matrix(30, 20, 6);
    let truth = crate::lowrank::model::thin_svd(y.view()).unwrap();
    for scale in [1e200, 1e-200] {
        let mut tab = scratch.tab_on("x.npy", &(&y * scale));
        let ready = tab.pipeline.ready().unwrap();
        assert!(ready.decomposition.is_complete());
        for (got, want) in ready
            .decomposition
            .svd
            .singular_values
            .iter()
            .zip(&truth.singular_values)
        {
            assert!(
                (got / scale - want).abs() <= 1e-12 * want,
                "{scale:e}: {got} against {want}"
            );
        }
        let screens = every_panel(&mut tab);
        let readout = &screens[screens.len() - 1];
        assert!(
            readout.contains("Gradient descent is not computed for this input"),
            "{readout}"
        );
        let symmetry = &screens[5];
        assert!(
            symmetry.contains("The symmetry readout is not computed"),
            "{symmetry}"
        );
        assert!(!tab.training());
    }
}

#[test]
fn the_first_view_of_entries_of_1e200_is_the_scaled_one() {
    // The leading triplets come from products with X/s, s a power of two, and are scaled back:
    // the same Ritz values as for the unscaled matrix, times the scale.
    let y = crate::lowrank::model::gaussian_matrix(60, 40, 8);
    let truth = crate::lowrank::model::thin_svd(y.view()).unwrap();
    let want_fro: f64 = truth.singular_values.iter().map(|s| s * s).sum();
    let leading_of = |scale: f64| {
        let loaded = input::Loaded {
            name: "x".into(),
            matrix: &y * scale,
            downscaled_from: None,
            is_image: false,
        };
        let job = FirstViewJob {
            generation: 0,
            input: JobInput::Loaded(loaded),
            limits: input::Limits::default(),
            rank: 5,
        };
        first_view(job, &crate::jobs::Cancel::never(), &mut |_| {}).unwrap()
    };
    let plain = leading_of(1.0).leading.singular_values;
    assert!((plain[0] - truth.singular_values[0]).abs() <= 1e-6 * truth.singular_values[0]);
    for scale in [1e200, 1e-200] {
        let view = leading_of(scale);
        let fro = view.leading.frobenius_sq;
        assert!((fro.scaled() * (fro.unit() / scale).powi(2) - want_fro).abs() <= 1e-12 * want_fro);
        for (got, want) in view.leading.singular_values.iter().zip(&plain) {
            assert!(
                (got / scale - want).abs() <= 1e-12 * want,
                "{scale:e}: {got} against {want}"
            );
        }
        let (_, decomposition, _) = view.decomposition(None).unwrap();
        let captured = decomposition.energy_captured(5);
        let want: f64 = plain[..5].iter().map(|s| s * s).sum::<f64>() / want_fro;
        assert!(
            (captured - want).abs() < 1e-12,
            "{scale:e}: {captured} against {want}"
        );
    }
}
