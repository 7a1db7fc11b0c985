// Plain index loops on purpose: the test recomputes every figure the obvious way.
#![allow(clippy::needless_range_loop)]

use super::*;

fn image() -> Array2<f64> {
    camera().expect("the camera image is built in")
}

/// The convolution by plain loops over a padded copy of each patch.
fn conv_by_hand(model: &ConvBnRelu, x: &Array4<f64>) -> Vec<Vec<Vec<Vec<f64>>>> {
    let (n, _, h, w) = x.dim();
    let mut out = vec![vec![vec![vec![0.0; w]; h]; CHANNELS]; n];
    for b in 0..n {
        let mut padded = vec![vec![0.0; w + 2]; h + 2];
        for i in 0..h {
            for j in 0..w {
                padded[i + 1][j + 1] = x[[b, 0, i, j]];
            }
        }
        for c in 0..CHANNELS {
            for i in 0..h {
                for j in 0..w {
                    let mut s = model.bias[c];
                    for di in 0..3 {
                        for dj in 0..3 {
                            s += model.weight[[c, di, dj]] * padded[i + di][j + dj];
                        }
                    }
                    out[b][c][i][j] = s;
                }
            }
        }
    }
    out
}

/// (mean, biased variance, unbiased variance) of channel `c`, by loops.
fn channel_stats(conv: &[Vec<Vec<Vec<f64>>>], c: usize) -> (f64, f64, f64) {
    let values: Vec<f64> = conv
        .iter()
        .flat_map(|image| image[c].iter().flatten().copied())
        .collect();
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let ss: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    (mean, ss / n, ss / (n - 1.0))
}

const TOL: f64 = 1e-12;

#[test]
fn patches_come_from_the_camera_image() {
    let img = image();
    assert_eq!(img.dim(), (512, 512));
    let x = patches(img.view(), 5, 8, 7).unwrap();
    assert_eq!(x.dim(), (5, 1, 8, 8));
    // Every patch is a window of the image somewhere.
    for b in 0..5 {
        let found = (0..=504).any(|top| {
            (0..=504).any(|left| {
                (0..8).all(|i| (0..8).all(|j| x[[b, 0, i, j]] == img[[top + i, left + j]]))
            })
        });
        assert!(found, "patch {b}");
    }
    assert_eq!(x, patches(img.view(), 5, 8, 7).unwrap(), "seeded");
    assert_eq!(patches(img.view(), 0, 8, 7), Err(BnError::Empty));
    assert!(matches!(
        patches(img.view(), 1, 513, 7),
        Err(BnError::PatchTooLarge { .. })
    ));
}

#[test]
fn train_step_uses_batch_statistics_and_updates_running_ones() {
    let img = image();
    let mut model = ConvBnRelu::new(SEED, true);
    model.gamma = Array1::from(vec![1.0, 0.5, 2.0, -1.5]);
    model.beta = Array1::from(vec![0.0, 0.1, -0.2, 0.3]);
    let mut running_mean = [0.0; CHANNELS];
    let mut running_var = [1.0; CHANNELS];
    for step in 0..3u64 {
        let x = patches(img.view(), 4, 6, 100 + step).unwrap();
        let conv = conv_by_hand(&model, &x);
        let before = model.clone();
        let (forward, stats) = model.train_step(x.view()).unwrap();
        assert_eq!(stats.count, 4 * 6 * 6);
        for c in 0..CHANNELS {
            let (mean, var, unbiased) = channel_stats(&conv, c);
            assert!((stats.mean[c] - mean).abs() < TOL);
            assert!((stats.var[c] - var).abs() < TOL);
            assert!((stats.var_unbiased[c] - unbiased).abs() < TOL);
            running_mean[c] = 0.9 * running_mean[c] + 0.1 * mean;
            running_var[c] = 0.9 * running_var[c] + 0.1 * unbiased;
            assert!((model.running_mean[c] - running_mean[c]).abs() < TOL);
            assert!((model.running_var[c] - running_var[c]).abs() < TOL);
            for b in 0..4 {
                for i in 0..6 {
                    for j in 0..6 {
                        let y = before.gamma[c] * (conv[b][c][i][j] - mean) / (var + 1e-5).sqrt()
                            + before.beta[c];
                        assert!((forward.normalized[[b, c, i, j]] - y).abs() < 1e-9);
                        assert!((forward.output[[b, c, i, j]] - y.max(0.0)).abs() < 1e-9);
                        assert!((forward.conv[[b, c, i, j]] - conv[b][c][i][j]).abs() < TOL);
                    }
                }
            }
        }
        assert_eq!(model.num_batches_tracked, step + 1);
    }
}

#[test]
fn eval_uses_running_statistics() {
    let img = image();
    let mut model = ConvBnRelu::new(SEED, false);
    for k in 0..5 {
        model
            .train_step(patches(img.view(), 8, 8, k).unwrap().view())
            .unwrap();
    }
    let x = patches(img.view(), 1, 8, 99).unwrap();
    let conv = conv_by_hand(&model, &x);
    let eval = model.eval_forward(x.view());
    for c in 0..CHANNELS {
        for i in 0..8 {
            for j in 0..8 {
                let y = (conv[0][c][i][j] - model.running_mean[c])
                    / (model.running_var[c] + 1e-5).sqrt();
                assert!((eval.normalized[[0, c, i, j]] - y).abs() < 1e-9);
            }
        }
    }
    // Eval mode does not touch the statistics and takes a single value per channel.
    let one = patches(img.view(), 1, 1, 3).unwrap();
    let before = model.clone();
    let _ = model.eval_forward(one.view());
    assert_eq!(model, before);
}

#[test]
fn one_value_per_channel_is_pytorchs_error() {
    let img = image();
    let mut model = ConvBnRelu::new(SEED, false);
    let one = patches(img.view(), 1, 1, 3).unwrap();
    let before = model.clone();
    let err = model.train_step(one.view()).unwrap_err();
    assert_eq!(
        err,
        BnError::OneValuePerChannel {
            input_size: [1, 4, 1, 1]
        }
    );
    assert_eq!(
        err.to_string(),
        "Expected more than 1 value per channel when training, got input size torch.Size([1, 4, 1, 1])"
    );
    assert_eq!(model, before, "nothing updated");
    // Two values per channel are enough: two 1×1 patches, or one 2×2 patch.
    assert!(
        model
            .train_step(patches(img.view(), 2, 1, 3).unwrap().view())
            .is_ok()
    );
    assert!(
        model
            .train_step(patches(img.view(), 1, 2, 3).unwrap().view())
            .is_ok()
    );
    assert_eq!(model.num_batches_tracked, 2);
}

#[test]
fn a_refused_run_still_has_its_first_batch_in_eval_mode() {
    let img = image();
    let one = LiveConfig {
        batch: 1,
        side: 1,
        ..LiveConfig::default()
    };
    assert!(matches!(
        live(img.view(), &one),
        Err(BnError::OneValuePerChannel { .. })
    ));
    // Eval mode takes the same batch: the fresh layer, running statistics 0 and 1.
    let forward = first_batch_in_eval(img.view(), &one).unwrap();
    assert_eq!(forward.normalized.dim(), (1, CHANNELS, 1, 1));
    let fresh = ConvBnRelu::new(SEED, false);
    let x = patches(img.view(), 1, 1, SEED).unwrap();
    assert_eq!(forward, fresh.eval_forward(x.view()));
    // It is the batch a run trains on first: one step of `live` saw exactly its statistics.
    let cfg = LiveConfig {
        steps: 1,
        ..LiveConfig::default()
    };
    let run = live(img.view(), &cfg).unwrap();
    let first = first_batch_in_eval(img.view(), &cfg).unwrap();
    assert_eq!(run.steps[0].stats, batch_stats(first.conv.view()).unwrap());
}

#[test]
fn small_batches_have_noisy_statistics() {
    let img = image();
    let model = ConvBnRelu::new(SEED, false);
    let spread = batch_size_spread(&model, img.view(), &SPREAD_BATCHES, 12, 4, 500).unwrap();
    assert_eq!(spread.len(), 4);
    for s in &spread {
        // Re-derived: the population std of the 12 batch means, by loops.
        let mut means = vec![[0.0; CHANNELS]; 12];
        for (k, row) in means.iter_mut().enumerate() {
            let x = patches(img.view(), s.batch, 4, 500 + k as u64).unwrap();
            let conv = conv_by_hand(&model, &x);
            for (c, m) in row.iter_mut().enumerate() {
                *m = channel_stats(&conv, c).0;
            }
        }
        for c in 0..CHANNELS {
            let avg = means.iter().map(|m| m[c]).sum::<f64>() / 12.0;
            let var = means.iter().map(|m| (m[c] - avg).powi(2)).sum::<f64>() / 12.0;
            assert!(
                (s.mean_std[c] - var.sqrt()).abs() < 1e-10,
                "batch {}",
                s.batch
            );
        }
    }
    // One patch per batch wanders far more than 32.
    for c in 0..CHANNELS {
        assert!(
            spread[0].mean_std[c] > 2.0 * spread[3].mean_std[c],
            "channel {c}"
        );
    }
}

#[test]
fn conv_bias_cancels_in_train_mode_only() {
    let img = image();
    let mut model = ConvBnRelu::new(SEED, false);
    model.gamma = Array1::from(vec![1.0, 0.5, 2.0, -1.5]);
    for k in 0..4 {
        model
            .train_step(patches(img.view(), 8, 8, k).unwrap().view())
            .unwrap();
    }
    let bias = Array1::from(vec![0.3, -0.2, 0.05, 1.0]);
    let x = patches(img.view(), 8, 8, 77).unwrap();
    let effect = bias_effect(&model, &bias, x.view()).unwrap();
    assert!(effect.train_max_difference < 1e-12);
    for c in 0..CHANNELS {
        let expected = bias[c] * model.gamma[c] / (model.running_var[c] + 1e-5).sqrt();
        assert!((effect.predicted_shift[c] - expected).abs() < TOL);
        assert!((effect.eval_shift[c] - expected).abs() < 1e-12);
        assert!(expected.abs() > 0.01, "the shift is visible");
    }
    assert!(effect.eval_prediction_error < 1e-12);
}

#[test]
fn live_gathers_the_panel() {
    let img = image();
    let cfg = LiveConfig::default();
    let snapshot = live(img.view(), &cfg).unwrap();
    assert_eq!(snapshot.steps.len(), cfg.steps);
    assert_eq!(snapshot.model.num_batches_tracked, cfg.steps as u64);
    let last = snapshot.steps.last().unwrap();
    assert_eq!(last.running_mean, snapshot.model.running_mean);
    assert_eq!(snapshot.last, last.stats);
    assert_eq!(snapshot.spread.len(), SPREAD_BATCHES.len());
    // Train-mode output of the last batch: per channel mean β = 0 and variance γ² (up to ε).
    for c in 0..CHANNELS {
        let lane = snapshot.train.normalized.index_axis(Axis(1), c);
        assert!(lane.mean().unwrap().abs() < 1e-9);
        let var = lane.mapv(|v| v * v).mean().unwrap();
        assert!((var - 1.0).abs() < 1e-3);
    }
    assert!(snapshot.bias.train_max_difference < 1e-12);
    assert!(
        live(
            img.view(),
            &LiveConfig {
                batch: 1,
                side: 1,
                ..cfg
            }
        )
        .unwrap_err()
        .to_string()
        .starts_with("Expected more than 1 value per channel when training")
    );
    let biased = live(
        img.view(),
        &LiveConfig {
            conv_bias: true,
            ..cfg
        },
    )
    .unwrap();
    assert_eq!(biased.bias.bias, ConvBnRelu::new(SEED, true).bias);
    // Train-mode outputs do not depend on the bias at all.
    let diff = max_abs_difference(&biased.train.normalized, &snapshot.train.normalized);
    assert!(diff < 1e-12);
}

/// Issue 19 point 2, with no batch fed: the fresh layers' running_mean are both 0, so the two
/// what-ifs agree (the whole shift); after k batches the own-stats shift is (1 − m)^k of it.
#[test]
fn the_own_stats_shift_starts_whole_and_fades_as_point_nine_to_the_k() {
    let img = image();
    let x = patches(img.view(), 8, 8, 5).unwrap();
    let (mut with_b, mut without_b) = (ConvBnRelu::new(SEED, true), ConvBnRelu::new(SEED, false));
    let fresh = from_start(&with_b, &without_b, x.view());
    assert_eq!(fresh.batches, 0);
    assert_eq!(fresh.remaining, 1.0);
    assert!(fresh.absorbed.iter().all(|&a| a == 0.0));
    let whole = bias_effect(&without_b, &with_b.bias, x.view()).unwrap();
    for c in 0..CHANNELS {
        assert!((fresh.eval_shift[c] - whole.eval_shift[c]).abs() < 1e-12);
    }
    for k in 1..=30u64 {
        let batch = patches(img.view(), 8, 8, 100 + k).unwrap();
        with_b.train_step(batch.view()).unwrap();
        without_b.train_step(batch.view()).unwrap();
        let s = from_start(&with_b, &without_b, x.view());
        assert_eq!(s.batches, k);
        assert!((s.remaining - 0.9f64.powi(k as i32)).abs() < 1e-15);
        assert!(s.prediction_error < 1e-12, "{k}: {}", s.prediction_error);
    }
}
