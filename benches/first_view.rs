//! Issue 12, goal 1: the first view of a large input (the leading triplets at the default rank
//! 10, ‖X‖²_F and the rank-10 reconstruction) against faer's full thin SVD of the same matrix;
//! and goal 2: step 1 of the completion (every singular value, cancellable between columns)
//! against faer's SVD without vectors.
//! Compare with numpy: `python3 benches/svd_numpy.py` (it reads the matrices this benchmark
//! writes to target/bench-data/ and criterion's medians, and prints the ratios).
//!
//! The 2048×2048 input is the built-in camera (512×512) resized bilinearly to 2048×2048 plus
//! Gaussian noise of standard deviation 0.01 (seeded): the built-in photos are 512×512, so this
//! stands for a large photograph (a photo's decaying spectrum down to a noise floor).
//!
//! Measured 2026-12-01 on the shared 2-core machine (load average 6–18 from other builds, so
//! every figure is noisy), products on one thread (`Options::for_rank`): criterion medians
//! first_view_camera 22.5 ms, first_view_2048 351 ms (k = 20, 6 power iterations on both);
//! svd_2048 16.3 s (an earlier run, load ≈ 18–26). svd_numpy.py in the same minutes: numpy's
//! full thin SVD with one BLAS thread 134 ms (camera) and 6.59 s (2048²), so first_view_camera /
//! numpy SVD = 0.17 (goal ≤ 0.5) and first_view_2048 / numpy SVD = 0.052 (goal ≤ 0.1); with the
//! default threads (oversubscribed here) the ratios are 0.028 and 0.012. numpy's randomized SVD
//! with the same k and iterations, one thread: 7.1 ms and 246 ms.

#![allow(clippy::unwrap_used)] // tests and benchmarks may fail loudly

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use dlscope::jobs::Cancel;
use dlscope::lowrank::input::{Builtin, Source, load};
use dlscope::lowrank::model::partial::{
    Leading, Options, complete_values, leading, upscaled_photo,
};
use dlscope::lowrank::model::{parallelism_for, thin_svd};
use ndarray::{Array2, s};

/// The default rank of the tab.
const RANK: usize = 10;

fn camera() -> Array2<f64> {
    load(&Source::Builtin(Builtin::Camera), 1024)
        .expect("the built-in camera loads")
        .matrix
}

fn large(side: usize) -> Array2<f64> {
    upscaled_photo(camera().view(), side, side, 0.01, side as u64)
}

/// What the first view needs: the leading triplets, ‖X‖²_F and U_r Σ_r V_rᵀ.
fn first_view(x: &Array2<f64>) -> (Leading, Array2<f64>) {
    let leading = leading(
        x.view(),
        &Options::for_rank(RANK),
        &Cancel::never(),
        &mut |_| {},
    )
    .expect("the leading triplets converge");
    let scaled = Array2::from_shape_fn((x.nrows(), RANK), |(i, j)| {
        leading.u[(i, j)] * leading.singular_values[j]
    });
    let reconstruction = scaled.dot(&leading.v.slice(s![.., ..RANK]).t());
    (leading, reconstruction)
}

/// faer's SVD without vectors, on one thread: what step 1 of the completion used to be.
fn faer_values(x: &Array2<f64>) -> Vec<f64> {
    use faer::dyn_stack::{MemBuffer, MemStack};
    use faer::linalg::svd::{ComputeSvdVectors, svd, svd_scratch};
    let (m, n) = x.dim();
    let a = faer::Mat::<f64>::from_fn(m, n, |i, j| x[(i, j)]);
    let mut s = faer::diag::Diag::<f64>::zeros(m.min(n));
    let par = faer::Par::Seq;
    let scratch = svd_scratch::<f64>(
        m,
        n,
        ComputeSvdVectors::No,
        ComputeSvdVectors::No,
        par,
        Default::default(),
    );
    svd(
        a.as_ref(),
        s.as_mut(),
        None,
        None,
        par,
        MemStack::new(&mut MemBuffer::new(scratch)),
        Default::default(),
    )
    .expect("faer's SVD converges");
    s.column_vector().iter().copied().collect()
}

/// Writes the matrix for benches/svd_numpy.py, with the k and power iterations used.
fn export(name: &str, x: &Array2<f64>) {
    let dir = std::path::Path::new("target/bench-data");
    std::fs::create_dir_all(dir).unwrap();
    ndarray_npy::write_npy(dir.join(format!("{name}.npy")), x).unwrap();
    let (leading, _) = first_view(x);
    let (m, n) = x.dim();
    let meta = serde_json::json!({
        "rank": RANK,
        "k": Options::for_rank(RANK).block_size(m, n),
        "power_iterations": leading.power_iterations,
        "residual_max_rel": leading.residuals[..RANK].iter().cloned().fold(0.0, f64::max)
            / leading.singular_values[0],
        "subtraction_bound_rel": leading.subtraction_bound(RANK) / leading.frobenius_sq,
        "subtraction_bound_typical_rel":
            leading.subtraction_bound_typical(RANK) / leading.frobenius_sq,
    });
    std::fs::write(dir.join(format!("{name}.json")), meta.to_string()).unwrap();
}

fn benches(c: &mut Criterion) {
    let camera = camera();
    let big = large(2048);
    export("first_view_camera", &camera);
    export("first_view_2048", &big);

    let mut group = c.benchmark_group("first_view");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("first_view_camera", |b| {
        b.iter(|| first_view(black_box(&camera)))
    });
    group.bench_function("first_view_2048", |b| {
        b.iter(|| first_view(black_box(&big)))
    });
    group.bench_function("svd_2048", |b| {
        b.iter(|| thin_svd(black_box(big.view())).expect("the SVD converges"))
    });
    // Step 1 of the completion: every singular value, our own cancellable bidiagonalisation
    // and the Golub–Kahan eigenvalues (on both cores, as the app when no first view runs, and on
    // one), against faer's SVD without vectors (one thread).
    let par = parallelism_for(big.len());
    group.bench_function("complete_values_2048", |b| {
        b.iter(|| {
            complete_values(
                black_box(big.view()),
                &Cancel::never(),
                &mut |_| {},
                &|| par,
            )
            .expect("the values converge")
        })
    });
    group.bench_function("complete_values_2048_one_thread", |b| {
        b.iter(|| {
            complete_values(
                black_box(big.view()),
                &Cancel::never(),
                &mut |_| {},
                &|| faer::Par::Seq,
            )
            .expect("the values converge")
        })
    });
    group.bench_function("faer_values_2048", |b| {
        b.iter(|| faer_values(black_box(&big)))
    });
    group.finish();
}

criterion_group!(first_view_benches, benches);
criterion_main!(first_view_benches);
