//! The claims sweep of the Low-rank tab: every sentence its panels and notes can show, over
//! every rank (0 and full included) × every symmetry × every landscape x × a descent run at
//! each rank, on the two built-in pictures at 24 pixels a side and the synthetic matrix
//! area-averaged to 24×18. Each sentence shown is checked against its counterfactual computed
//! here, independently of the code that chose it.

use std::sync::Arc;
use std::time::Instant;

use ndarray::Array2;
use rand::{Rng, SeedableRng};

use super::descent::{converged_text, gap_text, rate_facts};
use super::landscape::LANDSCAPE_X;
use super::notes::{self, RateComparison, SymmetryFacts};
use super::pipeline::{eckart_young_note, left_out_chart};
use super::symmetry::{SCALES, SymmetryPanel, Transform, view_of};
use super::*;
use crate::lowrank::model::descent::{self, Gap, GradientDescent, Standing};
use crate::lowrank::model::landscape::{ConvexityCounterexample, objective, saddle_at_origin};
use crate::lowrank::model::{Decomposition, Factors, thin_svd};

fn tab_on(name: &str) -> LowrankTab {
    let options = Options {
        lowrank_input: Some(name.into()),
        max_side: Some(24),
        max_bytes: None,
        svd_worker: None,
    };
    let mut tab = LowrankTab::new(&Waker::headless(), &options).unwrap();
    tab.settle();
    tab
}

/// The synthetic matrix (rank 5 plus noise) area-averaged to 24×18 and written as a `.npy`
/// file in `dir`: the sweep's small data matrix (the built-in, a data matrix, is taken whole
/// at 256×192, where a descent run at each of its 193 ranks would take minutes).
fn small_synthetic(dir: &std::path::Path) -> String {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("synthetic24.npy");
    let parts = crate::lowrank::input::synthetic_parts();
    let (x, from) = crate::lowrank::input::area_average(parts.matrix().view(), 24);
    assert_eq!((x.dim(), from), ((24, 18), Some((256, 192))));
    ndarray_npy::write_npy(&path, &x).unwrap();
    path.to_string_lossy().into_owned()
}

fn frobenius_sq(m: &Array2<f64>) -> f64 {
    m.iter().map(|v| v * v).sum()
}

fn set_rank(tab: &mut LowrankTab, rank: usize) {
    tab.act(Act::RankZero);
    for _ in 0..rank {
        tab.act(Act::RankUp);
    }
    tab.settle();
    assert_eq!(tab.rank(), Some(rank));
}

/// Truth computed here: the singular values by a fresh SVD, ‖X − A*B*‖² from the product.
struct Truth {
    x: Array2<f64>,
    sigma: Vec<f64>,
    energy: f64,
}

impl Truth {
    fn tail(&self, r: usize) -> f64 {
        self.sigma.iter().skip(r).map(|s| s * s).sum()
    }
}

#[test]
fn every_lowrank_sentence_holds_where_it_is_shown() {
    let started = Instant::now();
    let mut slower_seen = false;
    let mut seen = std::collections::BTreeSet::new();
    let dir = std::env::temp_dir().join(format!("dlscope-claims-{}", std::process::id()));
    let synthetic = small_synthetic(&dir);
    for name in ["camera", "astronaut", synthetic.as_str()] {
        let mut tab = tab_on(name);
        let ready = tab.pipeline.ready().unwrap();
        let decomposition = Arc::clone(&ready.decomposition);
        let x = (*decomposition.matrix).clone();
        let svd = thin_svd(x.view()).unwrap();
        let truth = Truth {
            energy: frobenius_sq(&x),
            sigma: svd.singular_values.to_vec(),
            x,
        };
        let k = ready.max_rank();
        energy_chart(ready, &truth);
        for rank in 0..=k {
            set_rank(&mut tab, rank);
            eckart_young(&tab, &truth, rank);
            symmetry(&tab, &decomposition, &truth, rank);
            slower_seen |= descent_at(&mut tab, &truth, rank);
            record(&tab, &decomposition, rank, &mut seen);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    landscape();
    // "It is not a bound on the run": some run measured a contraction slower than ρ².
    assert!(slower_seen, "no run was slower than its local rate");
    let took = started.elapsed();
    eprintln!("low-rank claims sweep: {took:.2?}, branches {seen:?}");
    for branch in [
        "converged: gap ≤ 1e-5 × optimum",
        "stopped at the budget",
        "nothing to train at rank 0",
        "gap %",
        "gap absolute",
        "gap rounding",
        "The factors moved but their product did not",
        "It keeps AᵀA − BBᵀ at 0",
        "It moves AᵀA − BBᵀ from 0 to",
        "The error computed from the matrices equals",
    ] {
        assert!(seen.contains(branch), "the sweep never showed {branch:?}");
    }
}

/// Which sentences and states this rank showed, so the sweep can say it met each.
fn record(
    tab: &LowrankTab,
    decomposition: &Arc<Decomposition>,
    rank: usize,
    seen: &mut std::collections::BTreeSet<&'static str>,
) {
    let readout = tab.readout().unwrap();
    for state in [
        "converged: gap ≤ 1e-5 × optimum",
        "converged: gap ≤ 1e-10 × ½‖X‖²_F",
        "stopped at the budget",
        "nothing to train at rank 0",
    ] {
        if readout.contains(state) {
            seen.insert(state);
        }
    }
    seen.insert(match tab.descent.status.unwrap().gap {
        Gap::Percent(_) => "gap %",
        Gap::Absolute(_) => "gap absolute",
        Gap::Rounding => "gap rounding",
    });
    let ready = tab.pipeline.ready().unwrap();
    for sentence in ["The error computed from the matrices equals"] {
        if eckart_young_note(ready).contains(sentence) {
            seen.insert(sentence);
        }
    }
    for transform in [
        Transform::General { seed: 1 },
        Transform::Orthogonal { seed: 1 },
    ] {
        let view = view_of(decomposition, rank, transform);
        let note = SymmetryPanel::note_text(&view, &tab.pipeline).unwrap_or_default();
        for sentence in [
            "The factors moved but their product did not",
            "leaves the factors where they were",
            "It keeps AᵀA − BBᵀ at 0",
            "It moves AᵀA − BBᵀ from 0 to",
        ] {
            if note.contains(sentence) {
                seen.insert(sentence);
            }
        }
    }
}

/// The Eckart–Young sentences: the two errors agree (from the product, computed here), and no
/// other rank-r product of a few tried does better.
fn eckart_young(tab: &LowrankTab, truth: &Truth, rank: usize) {
    let ready = tab.pipeline.ready().unwrap();
    let note = eckart_young_note(ready);
    let optimal = Factors::optimal(&ready.decomposition.svd, rank);
    let residual = &truth.x - &optimal.product().unwrap();
    let error = frobenius_sq(&residual);
    let tail = truth.tail(rank);
    if note.contains("The error computed from the matrices equals") {
        assert!(
            (error - tail).abs() <= 1e-9 * truth.energy,
            "rank {rank}: {error} vs {tail}"
        );
    }
    if note.contains("no other rank-r product does better") && rank > 0 {
        // Moving A* or B* a little along random directions never lowers the error.
        let mut rng = rand::rngs::StdRng::seed_from_u64(rank as u64);
        for _ in 0..3 {
            let noise =
                crate::lowrank::model::gaussian_matrix(optimal.a.nrows(), rank, rng.random());
            let a = &optimal.a + &(noise * 1e-3);
            let other = &truth.x - &a.dot(&optimal.b);
            assert!(frobenius_sq(&other) >= tail - 1e-9 * truth.energy);
        }
    }
}

/// The energy chart draws every positive fraction above its floor and names the ranks left
/// out (the true values fall far below the old fixed floor of 1e-6).
fn energy_chart(ready: &jobs::Ready, truth: &Truth) {
    let chart = left_out_chart(&ready.left_out);
    for &(r, fraction) in &ready.left_out {
        let true_fraction = truth.tail(r as usize) / truth.energy;
        if fraction > 0.0 {
            assert!(
                chart.floor <= fraction,
                "r {r}: {fraction} below {}",
                chart.floor
            );
            assert!(chart.drawn.contains(&(r, fraction)));
            assert!((fraction - true_fraction).abs() <= 1e-9 * true_fraction + 1e-300);
        } else {
            assert!(chart.title.contains("not drawn"), "{}", chart.title);
        }
    }
}

/// Every symmetry at this rank: the note's sentences against the transformed factors
/// recomputed here.
fn symmetry(tab: &LowrankTab, decomposition: &Arc<Decomposition>, truth: &Truth, rank: usize) {
    let mut transforms = vec![
        Transform::General { seed: 1 },
        Transform::General { seed: 2 },
        Transform::Orthogonal { seed: 1 },
        Transform::Orthogonal { seed: 2 },
    ];
    transforms.extend(SCALES.iter().map(|&e| Transform::Scale { e }));
    let optimal = Factors::optimal(&decomposition.svd, rank);
    let scale = truth.energy.sqrt().max(1.0);
    let tol = 1e-9 * scale;
    for transform in transforms {
        let view = view_of(decomposition, rank, transform);
        let Some(note) = SymmetryPanel::note_text(&view, &tab.pipeline) else {
            assert_eq!(rank, 0, "a note at every rank but 0");
            continue;
        };
        let readout = view.readout.as_ref().unwrap();
        let facts = SymmetryFacts::of(readout, scale);
        // The transformed factors, recomputed: A = A*G and B with AB = A*B* (G from the seed).
        let moved = (readout.a_distance.powi(2) + readout.b_distance.powi(2)).sqrt();
        let imbalance_before = {
            let d = optimal.a.t().dot(&optimal.a) - optimal.b.dot(&optimal.b.t());
            frobenius_sq(&d).sqrt()
        };
        if note.contains("The factors moved but their product did not") {
            assert!(
                moved > tol && readout.product_change <= tol,
                "{transform:?} {readout:?}"
            );
            assert!(readout.error_change.abs() <= tol * scale);
        }
        if note.contains("leaves the factors where they were") {
            assert!(moved <= tol, "{transform:?}");
        }
        if note.contains("It keeps AᵀA − BBᵀ at 0") {
            assert!(imbalance_before <= tol && readout.imbalance_after <= tol);
        }
        if note.contains("It moves AᵀA − BBᵀ from 0 to") {
            assert!(imbalance_before <= tol && readout.imbalance_after > tol);
            // Only an orthogonal G keeps the balance: this one is not orthogonal (σ_r > 0).
            assert!(!matches!(transform, Transform::Orthogonal { .. }));
            assert!(!matches!(transform, Transform::Scale { e } if e.abs() == 1.0));
            assert!(truth.sigma[rank - 1] > 0.0);
        }
        assert_eq!(facts.balanced_after, note.contains("It keeps AᵀA"));
        if note.contains("Gradient flow would keep AᵀA − BBᵀ exactly") {
            flow_and_step(decomposition, rank);
        }
    }
}

/// Flow against step at `rank`: one step of η changes D = AᵀA − BBᵀ by exactly
/// η²(∇_Aᵀ∇_A − ∇_B∇_Bᵀ), so a step of η/1000 (towards the flow) changes it 10⁶ times less.
fn flow_and_step(decomposition: &Arc<Decomposition>, rank: usize) {
    let start = GradientDescent::new(Arc::clone(&decomposition.matrix), rank, 3);
    let before = start.imbalance();
    let (grad_a, grad_b) = start.gradients();
    let per_eta_sq = grad_a.t().dot(&grad_a) - grad_b.dot(&grad_b.t());
    let eta = start.step_size();
    let change = |step: f64| {
        let mut run = start.clone().with_step_size(step);
        run.step(1);
        run.imbalance() - &before
    };
    let full = change(eta);
    let expected = &per_eta_sq * (eta * eta);
    let size = frobenius_sq(&expected).sqrt();
    assert!(frobenius_sq(&(&full - &expected)).sqrt() <= 1e-8 * size + 1e-15);
    let small = change(eta / 1000.0);
    assert!(frobenius_sq(&small).sqrt() <= 1.01e-6 * size + 1e-15);
}

/// A descent run at this rank to its stop: the state, the gap and the rate note against the
/// loss computed here from A and B and the optimum from the fresh SVD. True when the run's
/// measured rate was slower than ρ².
fn descent_at(tab: &mut LowrankTab, truth: &Truth, rank: usize) -> bool {
    tab.show(Panel::Descent);
    tab.descent.stop();
    tab.act(Act::Train);
    tab.settle();
    let status = tab.descent.status.unwrap();
    assert!(!tab.training());
    let readout = tab.readout().unwrap();
    let job = tab.descent.job.as_ref().unwrap();
    let loss = job.descent.loss_direct();
    let optimum = 0.5 * truth.tail(rank);
    let data_loss = 0.5 * truth.energy;
    let shown_gap = gap_text(status.gap);
    assert!(
        !shown_gap.contains("inf") && !shown_gap.starts_with('-') && !shown_gap.contains("NaN"),
        "rank {rank}: gap {shown_gap}"
    );
    let rounding = 1e-12 * data_loss;
    match status.gap {
        Gap::Rounding => assert!((loss - optimum).abs() <= 1e-12 * data_loss),
        Gap::Percent(p) => {
            assert!(optimum > 0.0 && p > 0.0);
            assert!(((loss - optimum) / optimum * 100.0 - p).abs() <= 1e-6 * p.abs() + 1e-9);
        }
        Gap::Absolute(d) => assert!(d > 0.0 && (loss - optimum - d).abs() <= rounding + 1e-9 * d),
    }
    if rank == 0 {
        assert!(readout.contains("nothing to train at rank 0"), "{readout}");
        assert_eq!(status.gap, Gap::Rounding);
    } else if readout.contains("converged") {
        let text = converged_text(&status);
        assert!(readout.contains(text));
        let slack = rounding;
        if text.contains("1e-5 × optimum") {
            assert!(loss - optimum <= 1e-5 * optimum + slack, "rank {rank}");
        } else {
            assert!(loss - optimum <= 1e-10 * data_loss + slack, "rank {rank}");
        }
    } else {
        assert_eq!(status.standing, Standing::AtBudget, "{readout}");
        assert!(!descent::converged(loss, optimum, data_loss));
    }
    rate_note(tab, truth, rank, status.iterations)
}

/// The rate note's comparison against the measured contraction and ρ² computed here.
fn rate_note(tab: &LowrankTab, truth: &Truth, rank: usize, iterations: usize) -> bool {
    let status = tab.descent.status.unwrap();
    let note = notes::descent_rate(&rate_facts(&status));
    let Some(comparison) = rate_facts(&status).comparison() else {
        assert!(!note.contains("Here the last iterations"));
        return false;
    };
    let optimum = 0.5 * truth.tail(rank);
    let losses: Vec<f64> = tab.descent.losses.iter().map(|p| p.1).collect();
    let w = descent::RATE_WINDOW;
    let measured =
        ((losses[iterations] - optimum) / (losses[iterations - w] - optimum)).powf(1.0 / w as f64);
    let eta = status.step_size;
    let next = truth.sigma.get(rank).copied().unwrap_or(0.0);
    let slow = 1.0 - eta * (truth.sigma[rank - 1] - next);
    let fast = (1.0 - 2.0 * eta * truth.sigma[0]).abs();
    let local = slow.abs().max(fast).powi(2);
    let (word, holds) = match comparison {
        RateComparison::Slower => ("more slowly than", measured > local * (1.0 + 0.9e-3)),
        RateComparison::Faster => ("faster than", measured < local * (1.0 - 0.9e-3)),
        RateComparison::At => ("at ρ²", (measured / local - 1.0).abs() <= 1.1e-3),
    };
    assert!(note.contains(word), "{note}");
    assert!(
        holds,
        "rank {rank}: {word}: measured {measured}, local {local}"
    );
    comparison == RateComparison::Slower
}

/// The landscape's "not convex" and "(saddle)" against g evaluated here and its Hessian by
/// finite differences.
fn landscape() {
    for &x in &LANDSCAPE_X {
        let c = ConvexityCounterexample::new(x);
        let midpoint = objective(x, 0.0, 0.0);
        let mean = 0.5 * (objective(x, 1.0, x) + objective(x, -1.0, -x));
        assert_eq!(c.violates_convexity(), midpoint > mean, "x {x}");
        let h = 1e-4;
        let second = |da: f64, db: f64| {
            (objective(x, da * h, db * h) - 2.0 * objective(x, 0.0, 0.0)
                + objective(x, -da * h, -db * h))
                / (h * h)
        };
        // Along a = b and a = −b the curvatures have opposite signs for x ≠ 0.
        let indefinite = second(1.0, 1.0) * second(1.0, -1.0) < 0.0;
        assert_eq!(saddle_at_origin(x).is_saddle(), indefinite, "x {x}");
    }
}

/// The guard list names tests that exist, and every sentence start it lists is one the notes
/// can write (or a label in the panels' code).
#[test]
fn the_guard_list_names_real_tests() {
    let sources = [include_str!("claims.rs"), include_str!("../model/tests.rs")];
    for (sentence, test) in notes::GUARDS {
        let name = test.rsplit("::").next().unwrap();
        assert!(
            sources.iter().any(|s| s.contains(&format!("fn {name}()"))),
            "{sentence:?} → {test}"
        );
    }
}
