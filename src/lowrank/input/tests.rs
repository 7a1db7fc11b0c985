use super::*;

#[test]
fn builtin_names_round_trip() {
    for builtin in Builtin::ALL {
        assert_eq!(builtin.name().parse::<Builtin>(), Ok(builtin));
        assert_eq!(
            builtin.name().parse::<Source>().unwrap(),
            Source::Builtin(builtin)
        );
    }
    assert_eq!("CAMERA".parse::<Builtin>(), Ok(Builtin::Camera));
    let err = "moon".parse::<Builtin>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown built-in input \"moon\" (choose camera, astronaut or synthetic)"
    );
    assert_eq!(
        "./camera".parse::<Source>().unwrap(),
        Source::Path(PathBuf::from("./camera"))
    );
}

#[test]
fn fitted_shape_keeps_aspect() {
    assert_eq!(fitted_shape(512, 512, 1024), (512, 512));
    assert_eq!(fitted_shape(2048, 1024, 1024), (1024, 512));
    assert_eq!(fitted_shape(3000, 10, 1000), (1000, 3));
    assert_eq!(fitted_shape(5000, 1, 100), (100, 1));
    assert_eq!(fitted_shape(0, 0, 100), (0, 0));
}

#[test]
fn overlap_weights_sum_to_one_per_target_cell() {
    for (input, output) in [(10, 3), (7, 7), (1000, 333), (5, 1), (6, 4)] {
        let mut per_target = vec![0.0; output];
        for cells in overlaps(input, output) {
            for (p, w) in cells {
                per_target[p] += w;
            }
        }
        for total in per_target {
            assert!((total - 1.0).abs() < 1e-12, "{input}->{output}: {total}");
        }
    }
}

#[test]
fn area_average_of_a_two_by_two_block_is_its_mean() {
    let x = Array2::from_shape_fn((4, 6), |(i, j)| (i * 6 + j) as f64);
    let (small, from) = area_average(x.view(), 3);
    assert_eq!(from, Some((4, 6)));
    assert_eq!(small.dim(), (2, 3));
    for p in 0..2 {
        for q in 0..3 {
            let block = x.slice(ndarray::s![2 * p..2 * p + 2, 2 * q..2 * q + 2]);
            assert!((small[(p, q)] - block.mean().unwrap()).abs() < 1e-12);
        }
    }
}

#[test]
fn area_average_preserves_the_mean_for_fractional_ratios() {
    let x = Array2::from_shape_fn((7, 5), |(i, j)| ((i * 5 + j) as f64).sin());
    let (small, _) = area_average(x.view(), 3);
    assert_eq!(small.dim(), (3, 2));
    // Σ small · (cell area in source units) = Σ x.
    let cell_area = (7.0 / 3.0) * (5.0 / 2.0);
    assert!((small.sum() * cell_area - x.sum()).abs() < 1e-10);
}
