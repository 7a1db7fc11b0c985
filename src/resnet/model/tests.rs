use super::*;
use crate::controls::Cycle;

/// The exact value of a count (no figure of these tests overflows).
fn exact(count: Count) -> u128 {
    count.exact().expect("an exact count")
}

fn net(arch: Arch) -> Network {
    build(&Config {
        arch,
        ..Config::default()
    })
}

/// Closed-form parameter count per block type, written independently of the builder.
fn closed_form_params(arch: Arch, num_classes: u64, conv_bias: bool) -> u64 {
    let b = u64::from(conv_bias);
    let conv = |cin: u64, cout: u64, k: u64| cin * cout * k * k + b * cout;
    let bn = |c: u64| 2 * c;
    let mut total = conv(3, 64, 7) + bn(64);
    let mut inplanes = 64;
    for (stage, &blocks) in arch.blocks_per_stage().iter().enumerate() {
        let planes = 64u64 << stage;
        for i in 0..blocks {
            let stride = if stage > 0 && i == 0 { 2 } else { 1 };
            let out = planes * arch.block().expansion();
            total += match arch.block() {
                BlockKind::Basic => conv(inplanes, planes, 3) + conv(planes, planes, 3),
                BlockKind::Bottleneck => {
                    conv(inplanes, planes, 1) + conv(planes, planes, 3) + conv(planes, out, 1)
                }
            };
            total += match arch.block() {
                BlockKind::Basic => 2 * bn(planes),
                BlockKind::Bottleneck => 2 * bn(planes) + bn(out),
            };
            if stride != 1 || inplanes != out {
                total += conv(inplanes, out, 1) + bn(out);
            }
            inplanes = out;
        }
    }
    total + inplanes * num_classes + num_classes
}

#[test]
fn torchvision_totals_for_1000_classes() {
    let published = [
        (Arch::Resnet18, 11_689_512),
        (Arch::Resnet34, 21_797_672),
        (Arch::Resnet50, 25_557_032),
        (Arch::Resnet101, 44_549_160),
        (Arch::Resnet152, 60_192_808),
    ];
    for (arch, count) in published {
        let n = net(arch);
        assert_eq!(n.total_params(), count, "{arch}");
        assert_eq!(n.trainable_params(), count, "{arch}");
        assert_eq!(
            closed_form_params(arch, 1000, false),
            count,
            "{arch} closed form"
        );
    }
}

#[test]
fn closed_form_agrees_for_other_class_counts_and_conv_bias() {
    for &arch in Arch::ALL {
        for (classes, bias) in [(1, false), (10, true), (1000, true), (21_843, false)] {
            let cfg = Config {
                arch,
                num_classes: classes,
                input_hw: (64, 48),
                conv_bias: bias,
            };
            let n = build(&cfg);
            assert_eq!(n.total_params(), closed_form_params(arch, classes, bias));
        }
    }
}

#[test]
fn macs_at_224() {
    assert_eq!(net(Arch::Resnet18).total_macs(), 1_814_073_344);
    // The widely quoted 4.09 GMACs of ResNet-50 (conv + fc only).
    assert_eq!(net(Arch::Resnet50).total_macs(), 4_089_184_256);
}

/// MACs a second way: every conv costs (weights without bias) × (output positions).
#[test]
fn macs_equal_weights_times_output_positions() {
    for &arch in Arch::ALL {
        let n = build(&Config {
            arch,
            input_hw: (97, 131),
            ..Config::default()
        });
        let mut expected = Count::ZERO;
        for p in n.parameters.iter().filter(|p| p.role == TensorRole::Weight) {
            let m = &n.modules[p.module];
            match m.kind {
                ModuleKind::Conv2d(_) => {
                    expected += p.numel * m.output_shape[1] * m.output_shape[2];
                }
                ModuleKind::Linear { .. } => expected += p.numel,
                _ => {}
            }
        }
        assert_eq!(n.total_macs(), expected, "{arch}");
    }
}

#[test]
fn resnet18_groups_match_problem_1e() {
    let n = net(Arch::Resnet18);
    let g = n.groups();
    assert_eq!(g.batchnorm, 9600);
    assert_eq!(g.bias, 1000);
    assert_eq!(g.rest, 11_678_912);
    assert_eq!(g.total(), n.total_params());
    let bias_names: Vec<&str> = n
        .parameters
        .iter()
        .filter(|p| p.group == ParamGroup::Bias)
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(bias_names, ["fc.bias"]);
    let wd = n.weight_decay();
    assert_eq!(wd.decayed, 11_678_912);
    assert_eq!(wd.not_decayed, 10_600);
}

#[test]
fn group_rule_follows_the_name() {
    assert_eq!(
        ParamGroup::of_name("layer1.0.bn1.weight"),
        ParamGroup::BatchNorm
    );
    assert_eq!(
        ParamGroup::of_name("layer2.0.downsample.1.bias"),
        ParamGroup::BatchNorm
    );
    assert_eq!(
        ParamGroup::of_name("layer2.0.downsample.0.bias"),
        ParamGroup::Bias
    );
    assert_eq!(ParamGroup::of_name("fc.bias"), ParamGroup::Bias);
    assert_eq!(ParamGroup::of_name("conv1.weight"), ParamGroup::Rest);
}

#[test]
fn resnet18_per_layer_counts() {
    let n = net(Arch::Resnet18);
    let params = |name: &str| n.modules[n.find(name).expect(name)].params;
    let expected = [
        ("conv1", 9408),
        ("bn1", 128),
        ("layer1.0.conv1", 36_864),
        ("layer1.0.bn1", 128),
        ("layer2.0.conv1", 73_728),
        ("layer2.0.conv2", 147_456),
        ("layer2.0.downsample", 8448),
        ("layer3.0.conv1", 294_912),
        ("layer3.0.downsample", 33_280),
        ("layer4.0.conv1", 1_179_648),
        ("layer4.1.conv2", 2_359_296),
        ("layer4.1.bn2", 1024),
        ("layer4.0.downsample", 132_096),
        ("layer1", 147_968),
        ("layer2", 525_568),
        ("layer3", 2_099_712),
        ("layer4", 8_393_728),
        ("fc", 513_000),
    ];
    for (name, count) in expected {
        assert_eq!(params(name), count, "{name}");
    }
}

#[test]
fn named_modules_order_matches_torchvision() {
    let n = net(Arch::Resnet18);
    let names: Vec<&str> = n.modules.iter().take(17).map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "conv1",
            "bn1",
            "relu",
            "maxpool",
            "layer1",
            "layer1.0",
            "layer1.0.conv1",
            "layer1.0.bn1",
            "layer1.0.relu",
            "layer1.0.conv2",
            "layer1.0.bn2",
            "layer1.1",
            "layer1.1.conv1",
            "layer1.1.bn1",
            "layer1.1.relu",
            "layer1.1.conv2",
            "layer1.1.bn2",
        ]
    );
    let start = n.find("layer2.0").unwrap();
    let names: Vec<&str> = n.modules[start..start + 9]
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "layer2.0",
            "layer2.0.conv1",
            "layer2.0.bn1",
            "layer2.0.relu",
            "layer2.0.conv2",
            "layer2.0.bn2",
            "layer2.0.downsample",
            "layer2.0.downsample.0",
            "layer2.0.downsample.1",
        ]
    );
    let last: Vec<&str> = n
        .modules
        .iter()
        .rev()
        .take(2)
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(last, ["fc", "avgpool"]);
    // resnet18 has 68 entries in named_modules() including the root.
    assert_eq!(n.modules.len() + 1, 68);

    let n = net(Arch::Resnet50);
    let start = n.find("layer1.0").unwrap();
    let locals: Vec<&str> = n.modules[start + 1..start + 12]
        .iter()
        .map(|m| m.local_name())
        .collect();
    assert_eq!(
        locals,
        [
            "conv1",
            "bn1",
            "conv2",
            "bn2",
            "conv3",
            "bn3",
            "relu",
            "downsample",
            "0",
            "1",
            "1"
        ]
    );
    assert_eq!(n.modules[start + 11].name, "layer1.1");
    // resnet50's named_modules() has 151 entries including the root.
    assert_eq!(n.modules.len() + 1, 151);
}

#[test]
fn parameter_names_follow_torchvision() {
    let n = net(Arch::Resnet18);
    let names: Vec<&str> = n
        .parameters
        .iter()
        .take(5)
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "conv1.weight",
            "bn1.weight",
            "bn1.bias",
            "layer1.0.conv1.weight",
            "layer1.0.bn1.weight"
        ]
    );
    // resnet18's state dict: 62 parameters, 60 buffers (20 BNs × 3).
    assert_eq!(n.parameters.len(), 62);
    assert_eq!(n.buffers.len(), 60);
    assert_eq!(n.buffers[2].name, "bn1.num_batches_tracked");
    assert_eq!(n.buffer_elements(), 9600 + 20);
    let biased = build(&Config {
        conv_bias: true,
        ..Config::default()
    });
    assert_eq!(biased.parameters[1].name, "conv1.bias");
}

#[test]
fn num_classes_changes_only_fc() {
    for &arch in Arch::ALL {
        let a = net(arch);
        let b = build(&Config {
            arch,
            num_classes: 37,
            ..Config::default()
        });
        assert_eq!(a.modules.len(), b.modules.len());
        for (ma, mb) in a.modules.iter().zip(&b.modules) {
            let touches_fc = ma.name == "fc";
            assert_eq!(ma == mb, !touches_fc, "{}", ma.name);
        }
        let in_features = 512 * arch.block().expansion();
        assert_eq!(
            exact(a.total_params()) - exact(b.total_params()),
            u128::from((1000 - 37) * (in_features + 1))
        );
    }
}

#[test]
fn leaves_sum_to_total_and_containers_to_children() {
    for &arch in Arch::ALL {
        let n = build(&Config {
            arch,
            conv_bias: true,
            ..Config::default()
        });
        let leaves = n.modules.iter().filter(|m| m.children.is_empty());
        let leaf_params: Count = leaves.clone().map(|m| m.params).sum();
        let leaf_macs: Count = leaves.clone().map(|m| m.macs).sum();
        let leaf_buffers: Count = leaves.map(|m| m.buffer_elements).sum();
        assert_eq!(leaf_params, n.total_params());
        assert_eq!(leaf_macs, n.total_macs());
        assert_eq!(leaf_buffers, n.buffer_elements());
        for m in n.modules.iter().filter(|m| m.is_container()) {
            let sum = |f: fn(&Module) -> Count| -> Count {
                m.children.iter().map(|&c| f(&n.modules[c])).sum()
            };
            assert_eq!(m.own_params, 0);
            assert_eq!(m.params, sum(|c| c.params), "{}", m.name);
            assert_eq!(m.macs, sum(|c| c.macs), "{}", m.name);
            assert_eq!(m.buffer_elements, sum(|c| c.buffer_elements));
        }
        for (i, m) in n.modules.iter().enumerate() {
            let own: Count = n.parameters_of(i).map(|p| p.numel).sum();
            assert_eq!(own, m.own_params, "{}", m.name);
            if let Some(p) = m.parent {
                assert_eq!(n.modules[p].depth + 1, m.depth);
                assert!(m.name.starts_with(&format!("{}.", n.modules[p].name)));
            }
        }
    }
}

#[test]
fn conv_bias_adds_out_channels_and_all_of_it_is_redundant() {
    for &arch in Arch::ALL {
        let plain = net(arch);
        let biased = build(&Config {
            arch,
            conv_bias: true,
            ..Config::default()
        });
        let out_channels: u64 = plain
            .modules
            .iter()
            .filter_map(|m| match m.kind {
                ModuleKind::Conv2d(c) => Some(c.out_channels),
                _ => None,
            })
            .sum();
        assert_eq!(
            exact(biased.total_params()) - exact(plain.total_params()),
            u128::from(out_channels)
        );
        assert_eq!(biased.conv_bias_params(), out_channels);
        assert_eq!(biased.redundant_params(), out_channels, "{arch}");
        assert_eq!(plain.redundant_params(), 0);
        assert_eq!(
            exact(biased.groups().bias) - exact(plain.groups().bias),
            u128::from(out_channels)
        );
        // Every conv feeds a BN that sits right after it in the tree.
        for (i, m) in biased.modules.iter().enumerate() {
            if let ModuleKind::Conv2d(c) = m.kind {
                let bn = c.batchnorm.expect("every ResNet conv is followed by BN");
                assert_eq!(bn, i + 1);
                assert_eq!(biased.modules[bn].type_name(), "BatchNorm2d");
            }
        }
    }
    assert_eq!(
        build(&Config {
            conv_bias: true,
            ..Config::default()
        })
        .redundant_params(),
        64 + 4 * 64 + 5 * 128 + 5 * 256 + 5 * 512
    );
}

#[test]
fn output_shapes_at_224() {
    let n = net(Arch::Resnet18);
    let shape = |name: &str| n.modules[n.find(name).unwrap()].output_shape.clone();
    assert_eq!(shape("conv1"), [64, 112, 112]);
    assert_eq!(shape("maxpool"), [64, 56, 56]);
    assert_eq!(shape("layer1"), [64, 56, 56]);
    assert_eq!(shape("layer2.0.downsample"), [128, 28, 28]);
    assert_eq!(shape("layer3"), [256, 14, 14]);
    assert_eq!(shape("layer4"), [512, 7, 7]);
    assert_eq!(shape("avgpool"), [512, 1, 1]);
    assert_eq!(shape("fc"), [1000]);
    let n = net(Arch::Resnet50);
    let shape = |name: &str| n.modules[n.find(name).unwrap()].output_shape.clone();
    assert_eq!(shape("layer1"), [256, 56, 56]);
    assert_eq!(shape("layer1.0.downsample"), [256, 56, 56]);
    assert_eq!(shape("layer2.0.conv1"), [128, 56, 56]);
    assert_eq!(shape("layer2.0.conv2"), [128, 28, 28]);
    assert_eq!(shape("layer4"), [2048, 7, 7]);
}

#[test]
fn odd_and_tiny_inputs_do_not_panic() {
    for &arch in Arch::ALL {
        for hw in [
            (1, 1),
            (31, 17),
            (2, 8192),
            (8192, 8192),
            (0, 0),
            (u64::MAX, 3),
        ] {
            let n = build(&Config {
                arch,
                input_hw: hw,
                ..Config::default()
            });
            assert_eq!(n.modules.last().unwrap().output_shape, [1000]);
        }
    }
    let n = build(&Config {
        input_hw: (31, 17),
        ..Config::default()
    });
    let shape = |name: &str| n.modules[n.find(name).unwrap()].output_shape.clone();
    assert_eq!(shape("conv1"), [64, 16, 9]);
    assert_eq!(shape("maxpool"), [64, 8, 5]);
    assert_eq!(shape("layer2"), [128, 4, 3]);
    assert_eq!(shape("layer3"), [256, 2, 2]);
    assert_eq!(shape("layer4"), [512, 1, 1]);
    let n = build(&Config {
        input_hw: (1, 1),
        ..Config::default()
    });
    assert!(
        n.modules
            .iter()
            .all(|m| m.output_shape.iter().all(|&d| d >= 1))
    );
    // Parameters never depend on the input size.
    assert_eq!(n.total_params(), 11_689_512);
}

#[test]
fn output_side_formula() {
    assert_eq!(output_side(224, 7, 2, 3), Some(112));
    assert_eq!(output_side(112, 3, 2, 1), Some(56));
    assert_eq!(output_side(1, 1, 2, 0), Some(1));
    assert_eq!(output_side(2, 7, 1, 0), Some(0));
    assert_eq!(output_side(5, 3, 0, 0), Some(3));
    // Exact at the top of u64: (2⁶⁴ − 1 + 2 − 3)/1 + 1 = 2⁶⁴ − 1, not 2⁶⁴ − 3 (the padding
    // saturated before).
    assert_eq!(output_side(u64::MAX, 3, 1, 1), Some(u64::MAX));
    // Every ResNet window (2p < k) keeps the side at most n; a wider padding can pass u64.
    for (k, s, p) in [
        (7u64, 2u64, 3u64),
        (3, 2, 1),
        (3, 1, 1),
        (1, 1, 0),
        (1, 2, 0),
    ] {
        let side = output_side(u64::MAX, k, s, p).expect("fits");
        let exact = (u128::from(u64::MAX) + 2 * u128::from(p) - u128::from(k)) / u128::from(s) + 1;
        assert_eq!(u128::from(side), exact);
    }
    assert_eq!(output_side(u64::MAX, 1, 1, 1), None);
}

#[test]
fn arch_parsing_and_cycling() {
    assert_eq!("resnet50".parse::<Arch>(), Ok(Arch::Resnet50));
    assert_eq!("ResNet-152".parse::<Arch>(), Ok(Arch::Resnet152));
    let err = "resnet19".parse::<Arch>().unwrap_err().to_string();
    assert!(err.contains("resnet18, resnet34, resnet50, resnet101, resnet152"));
    assert!(!err.contains('\n'));
    for &a in Arch::ALL {
        assert_eq!(a.next().prev(), a);
        assert_eq!(a.name().parse::<Arch>(), Ok(a));
    }
    assert_eq!(Arch::Resnet152.next(), Arch::Resnet18);
    assert_eq!(Arch::Resnet18.prev(), Arch::Resnet152);
}

#[test]
fn config_validation() {
    assert_eq!(Config::default().validate(), Ok(()));
    let bad = |cfg: Config| cfg.validate().unwrap_err().to_string();
    let d = Config::default();
    assert_eq!(
        bad(Config {
            num_classes: 0,
            ..d
        }),
        "the number of classes must be at least 1"
    );
    assert!(
        bad(Config {
            num_classes: MAX_NUM_CLASSES + 1,
            ..d
        })
        .contains("at most")
    );
    assert!(
        bad(Config {
            input_hw: (224, 0),
            ..d
        })
        .contains("width")
    );
    assert!(
        Config {
            num_classes: MAX_NUM_CLASSES,
            input_hw: (MAX_INPUT_SIDE, 1),
            ..d
        }
        .validate()
        .is_ok()
    );
}

#[test]
fn input_size_parsing() {
    assert_eq!(parse_input_size("224"), Ok((224, 224)));
    assert_eq!(parse_input_size(" 224x160 "), Ok((224, 160)));
    assert_eq!(parse_input_size("31X17"), Ok((31, 17)));
    assert_eq!(parse_input_size("1×1"), Ok((1, 1)));
    for bad in [
        "0x5", "5x0", "0", "", "x", "224x", "1x2x3", "-4", "2.5", "abc", "9999",
    ] {
        let err = parse_input_size(bad).unwrap_err();
        assert!(!err.to_string().contains('\n'), "{bad}");
    }
    assert!(matches!(
        parse_input_size("0x5"),
        Err(ConfigError::InputSideOutOfRange {
            side: "height",
            value
        }) if value == "0"
    ));
    // Too long for a u64: refused with the digits as given, not u64::MAX.
    let err = parse_input_size("224x99999999999999999999999").unwrap_err();
    assert_eq!(
        err.to_string(),
        "width must be between 1 and 8192 pixels (got 99999999999999999999999)"
    );
}

#[test]
fn only_batchnorm_differs_between_train_and_eval() {
    let n = net(Arch::Resnet50);
    let bns = n
        .modules
        .iter()
        .filter(|m| m.kind.differs_between_train_and_eval())
        .count();
    assert_eq!(
        bns,
        n.modules
            .iter()
            .filter(|m| m.type_name() == "BatchNorm2d")
            .count()
    );
    let layer1 = n.find("layer1").unwrap();
    // 3 blocks × 3 BNs + 1 shortcut BN.
    assert_eq!(n.mode_dependent_in(layer1), 10);
    assert_eq!(Mode::Train.next(), Mode::Eval);
}

#[test]
fn tree_helpers() {
    let n = net(Arch::Resnet18);
    let fc = n.find("fc").unwrap();
    assert!(n.is_last_child(fc));
    assert!(!n.is_last_child(n.find("conv1").unwrap()));
    let ds1 = n.find("layer2.0.downsample.1").unwrap();
    assert!(n.is_last_child(ds1));
    let names: Vec<&str> = n
        .ancestors(ds1)
        .iter()
        .map(|&i| n.modules[i].name.as_str())
        .collect();
    assert_eq!(names, ["layer2", "layer2.0", "layer2.0.downsample"]);
    assert_eq!(n.top_level().count(), 10);
    let layer2 = n.find("layer2").unwrap();
    assert_eq!(n.subtree_end(layer2), n.find("layer3").unwrap());
    assert_eq!(n.subtree_end(fc), n.modules.len());
    let ds = n.find("layer2.0.downsample").unwrap();
    assert_eq!(n.subtree_end(ds), n.find("layer2.1").unwrap());
}

#[cfg(test)]
mod homework_check {
    use super::*;
    use crate::resnet::model::homework::*;

    fn some(n: u64) -> Option<Count> {
        Some(Count::from(n))
    }

    fn reference_rows() -> Vec<CheckRow> {
        let printed = printed_figures().expect("embedded asset parses");
        let cfg = printed.model_config().expect("asset config is valid");
        assert_eq!(cfg, Config::default());
        check_against(&printed, &build(&cfg))
    }

    #[test]
    fn asset_holds_every_printed_figure() {
        let p = printed_figures().unwrap();
        assert_eq!(p.blocks.len(), 7);
        assert_eq!(p.layers.len(), 21);
        assert_eq!(p.groups.len(), 4);
        // The homework says "18 layers": 17 convs + fc; shortcuts are listed on top.
        let shortcuts = p
            .layers
            .iter()
            .filter(|l| l.module.ends_with("downsample"))
            .count();
        assert_eq!(p.layers.len() - shortcuts, 18);
    }

    #[test]
    fn check_finds_the_mistaken_figures_with_correct_values() {
        let rows = reference_rows();
        let wrong: Vec<(&str, u64, Option<Count>)> = rows
            .iter()
            .filter(|r| !r.matches)
            .map(|r| (r.label.as_str(), r.printed, r.computed))
            .collect();
        assert_eq!(
            wrong,
            [
                ("Basic Block 4", 8_393_688, some(8_393_728)),
                ("Total", 11_698_512, some(11_689_512)),
                ("layer4.1.conv2 + bn2", 236_032, some(2_360_320)),
            ]
        );
        assert_eq!(rows.len(), 32);
        for r in &rows {
            assert_eq!(r.matches, r.computed == some(r.printed));
        }
    }

    #[test]
    fn matching_rows_have_the_independently_known_values() {
        let rows = reference_rows();
        let get = |label: &str| rows.iter().find(|r| r.label == label).unwrap();
        // conv weights + 2 × channels of the BN after it, by hand.
        assert_eq!(get("conv1 + bn1").computed, some(3 * 64 * 49 + 128));
        assert_eq!(
            get("layer3.0.conv1 + bn1").computed,
            some(128 * 256 * 9 + 512)
        );
        assert_eq!(get("layer4.0.downsample").computed, some(256 * 512 + 1024));
        assert_eq!(get("7x7 conv").computed, some(9408));
        assert_eq!(get("FC").computed, some(512 * 1000 + 1000));
        assert_eq!(get("batch-norm").computed, some(9600));
        assert_eq!(get("biases").computed, some(1000));
        assert_eq!(get("rest").computed, some(11_678_912));
        assert_eq!(get("total").computed, some(11_689_512));
        assert!(get("total").matches);
    }

    #[test]
    fn check_on_another_network_recomputes_and_flags_missing_modules() {
        let net = build(&Config {
            arch: Arch::Resnet50,
            ..Config::default()
        });
        let rows = homework_check(&net).unwrap();
        let l4 = rows
            .iter()
            .find(|r| r.label == "layer4.1.conv2 + bn2")
            .unwrap();
        // resnet50's layer4.1.conv2 is a 512→512 3×3 conv: a different count, honestly computed.
        assert_eq!(l4.computed, some(512 * 512 * 9 + 1024));
        let mut printed = printed_figures().unwrap();
        printed.layers[0].module = "layer5.0.conv1".into();
        let rows = check_against(&printed, &net);
        let missing = rows.iter().find(|r| r.label == "layer5.0.conv1").unwrap();
        assert_eq!((missing.computed, missing.matches), (None, false));
    }

    #[test]
    fn asset_error_is_one_line_and_names_the_file() {
        let err = serde_json::from_str::<PrintedFigures>("{")
            .map_err(AssetError::Parse)
            .unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("assets/hw2_printed.json"));
        assert!(!text.contains('\n'));
    }
}

mod batch_norm {
    use crate::resnet::model::batchnorm::*;
    use crate::resnet::model::{Arch, Config, ModuleKind, build};
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use rand_distr::{Distribution, StandardNormal};

    /// One conv output channel over a batch: skewed on purpose, so nothing is symmetric.
    fn channel() -> Vec<f64> {
        (0..12).map(|i| f64::from(i * i) * 0.3 - 2.0).collect()
    }

    fn max_gap(a: &[f64], b: &[f64]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    }

    /// Point 12: in train mode a conv bias cancels exactly; in eval mode it shifts every output
    /// by b·γ/√(running_var + ε), which running_mean (or β) absorbs.
    #[test]
    fn conv_bias_cancels_in_train_mode_and_shifts_eval_mode() {
        let x = channel();
        let b = 1.0;
        let shifted: Vec<f64> = x.iter().map(|v| v + b).collect();
        let affine = Affine {
            gamma: 1.7,
            beta: -0.4,
        };
        let (mut s1, mut s2) = (RunningStats::default(), RunningStats::default());
        let plain = train_forward(&x, affine, &mut s1);
        let biased = train_forward(&shifted, affine, &mut s2);
        assert!(max_gap(&plain, &biased) < 1e-12, "train mode: bias cancels");

        let stats = RunningStats {
            mean: 0.8,
            var: 2.5,
            num_batches_tracked: 7,
        };
        let plain = eval_forward(&x, affine, &stats);
        let biased = eval_forward(&shifted, affine, &stats);
        let expected = b * affine.gamma / (stats.var + EPS).sqrt();
        for (p, q) in plain.iter().zip(&biased) {
            assert!((q - p - expected).abs() < 1e-12, "eval shift {}", q - p);
        }
        assert!(expected > 1.0, "a visible shift: {expected}");
        // Absorbed: a running_mean that has taken the bias in, or a β moved by the shift.
        let absorbed = RunningStats {
            mean: stats.mean + b,
            ..stats
        };
        assert!(max_gap(&plain, &eval_forward(&shifted, affine, &absorbed)) < 1e-12);
        let moved = Affine {
            beta: affine.beta + expected,
            ..affine
        };
        assert!(max_gap(&biased, &eval_forward(&x, moved, &stats)) < 1e-12);
    }

    /// Point 15: momentum 0.1, the unbiased variance in running_var, num_batches_tracked + 1.
    #[test]
    fn train_mode_updates_the_buffers_like_pytorch() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let mut stats = RunningStats::default();
        let y = train_forward(&x, Affine::default(), &mut stats);
        // By hand: mean 2.5, biased variance 1.25, unbiased 5/3.
        assert!((stats.mean - 0.25).abs() < 1e-15);
        assert!((stats.var - (0.9 + 0.1 * 5.0 / 3.0)).abs() < 1e-15);
        assert_eq!(stats.num_batches_tracked, 1);
        // The output is normalised with the biased variance.
        let z0 = (1.0 - 2.5) / (1.25f64 + EPS).sqrt();
        assert!((y[0] - z0).abs() < 1e-15);
        train_forward(&x, Affine::default(), &mut stats);
        assert_eq!(stats.num_batches_tracked, 2);
        assert!((stats.mean - (0.9 * 0.25 + 0.1 * 2.5)).abs() < 1e-15);
        assert_eq!(MOMENTUM, 0.1);
        // One value per channel: no division by zero.
        let mut one = RunningStats::default();
        assert!(train_forward(&[3.0], Affine::default(), &mut one)[0].is_finite());
        assert!(train_forward(&[], Affine::default(), &mut one).is_empty());
    }

    /// Point 13: "about half the units active" holds at initialisation (γ = 1, β = 0) for a
    /// symmetric batch; a trained β moves the share far from half.
    #[test]
    fn about_half_active_only_at_initialisation() {
        let mut rng = StdRng::seed_from_u64(546);
        let x: Vec<f64> = (0..20_000)
            .map(|_| {
                let n: f64 = StandardNormal.sample(&mut rng);
                3.0 + 2.0 * n
            })
            .collect();
        let active = |y: &[f64]| y.iter().filter(|v| **v > 0.0).count() as f64 / y.len() as f64;
        let mut stats = RunningStats::default();
        let at_init = active(&train_forward(&x, Affine::default(), &mut stats));
        assert!((at_init - 0.5).abs() < 0.01, "{at_init}");
        let trained = Affine {
            gamma: 1.0,
            beta: -1.0,
        };
        let later = active(&train_forward(&x, trained, &mut stats));
        assert!((later - 0.159).abs() < 0.01, "{later}");
    }

    /// Point 14: a weight feeding a batch norm is scale-invariant: the output at αw equals the
    /// output at w, and the gradient at αw is the gradient at w divided by α, so the step
    /// relative to ‖w‖ grows as 1/α² when decay shrinks w.
    #[test]
    fn weights_feeding_batch_norm_are_scale_invariant() {
        let inputs: Vec<[f64; 3]> = (0..10)
            .map(|i| {
                let t = f64::from(i);
                [t.sin(), (0.7 * t).cos() + 0.1 * t, 1.0 - 0.05 * t * t]
            })
            .collect();
        let coeff: Vec<f64> = (0..10).map(|i| (f64::from(i) * 1.3).cos()).collect();
        let loss = |w: [f64; 3]| -> f64 {
            let z: Vec<f64> = inputs
                .iter()
                .map(|x| x.iter().zip(&w).map(|(a, b)| a * b).sum())
                .collect();
            let y = train_forward(&z, Affine::default(), &mut RunningStats::default());
            y.iter().zip(&coeff).map(|(a, b)| a * b).sum()
        };
        let grad = |w: [f64; 3]| -> [f64; 3] {
            let h = 1e-6;
            let mut g = [0.0; 3];
            for k in 0..3 {
                let (mut up, mut down) = (w, w);
                up[k] += h;
                down[k] -= h;
                g[k] = (loss(up) - loss(down)) / (2.0 * h);
            }
            g
        };
        let norm = |v: [f64; 3]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
        let w = [0.8, -0.3, 0.5];
        let alpha = 0.5;
        let aw = w.map(|v| v * alpha);
        // Exact but for ε, which is tiny beside the batch variance of w·x.
        assert!(
            (loss(w) - loss(aw)).abs() < 1e-4 * loss(w).abs().max(1.0),
            "same function"
        );
        let (g, ga) = (grad(w), grad(aw));
        for k in 0..3 {
            assert!(
                (ga[k] - g[k] / alpha).abs() < 1e-3 * (g[k] / alpha).abs().max(1.0),
                "{k}"
            );
        }
        let relative = norm(g) / norm(w);
        let relative_shrunk = norm(ga) / norm(aw);
        let ratio = relative_shrunk / relative;
        assert!((ratio * alpha * alpha - 1.0).abs() < 1e-3, "{ratio}");
    }

    /// Point 13 from the module tree: which batch norm feeds a ReLU, the residual sum or the
    /// shortcut side of it, counted against the torchvision names.
    #[test]
    fn what_each_batch_norm_feeds() {
        for (arch, relu, sum, shortcut) in [
            (Arch::Resnet18, 9, 8, 3),
            (Arch::Resnet34, 17, 16, 3),
            (Arch::Resnet50, 33, 16, 4),
            (Arch::Resnet152, 101, 50, 4),
        ] {
            let net = build(&Config {
                arch,
                ..Config::default()
            });
            let mut counts = (0, 0, 0);
            for (i, m) in net.modules.iter().enumerate() {
                let f = feeds(&net, i);
                assert_eq!(
                    f.is_some(),
                    matches!(m.kind, ModuleKind::BatchNorm2d { .. }),
                    "{}",
                    m.name
                );
                let last_bn = if arch.block() == crate::resnet::model::BlockKind::Basic {
                    "bn2"
                } else {
                    "bn3"
                };
                match f {
                    Some(BnFeeds::Relu) => {
                        counts.0 += 1;
                        assert!(m.local_name().starts_with("bn") && m.local_name() != last_bn);
                    }
                    Some(BnFeeds::ResidualSum) => {
                        counts.1 += 1;
                        assert_eq!(m.local_name(), last_bn, "{}", m.name);
                    }
                    Some(BnFeeds::Shortcut) => {
                        counts.2 += 1;
                        assert!(m.name.ends_with("downsample.1"));
                    }
                    None => {}
                }
            }
            assert_eq!(counts, (relu, sum, shortcut), "{arch}");
        }
    }

    #[test]
    fn relu_runs_once_per_bn_before_the_sum_and_once_after() {
        let basic = build(&Config::default());
        assert_eq!(relu_calls(&basic, basic.find("relu").unwrap()), 1);
        assert_eq!(relu_calls(&basic, basic.find("layer1.0.relu").unwrap()), 2);
        let bottleneck = build(&Config {
            arch: Arch::Resnet50,
            ..Config::default()
        });
        assert_eq!(
            relu_calls(&bottleneck, bottleneck.find("layer3.4.relu").unwrap()),
            3
        );
        assert_eq!(relu_calls(&bottleneck, usize::MAX), 0);
    }
}

mod block_table {
    use crate::resnet::model::homework::*;
    use crate::resnet::model::{Config, Count, build};

    /// Point 17: the printed block table has no row for bn1; corrected, its rows sum to
    /// 11,689,384, 128 short of the total.
    #[test]
    fn block_rows_leave_out_bn1() {
        let printed = printed_figures().unwrap();
        let net = build(&Config::default());
        let cov = block_coverage(&printed, &net);
        let by_hand: u64 = [9408, 147_968, 525_568, 2_099_712, 8_393_728, 513_000]
            .iter()
            .sum();
        assert_eq!(cov.rows_sum, by_hand);
        assert_eq!(cov.rows_sum, 11_689_384);
        assert_eq!(cov.total, 11_689_512);
        assert_eq!(cov.missing, [("bn1".to_string(), Count::from(128u64))]);
        assert_eq!(cov.rows_sum + Count::from(128u64), cov.total);
        assert_eq!(cov.shortfall(), Some(Count::from(128u64)));
    }

    /// Point 17: every conv row says it counts the conv with its batch norm, and its figure is
    /// the two tree rows added.
    #[test]
    fn conv_rows_name_their_batch_norm() {
        let net = build(&Config::default());
        let rows = homework_check(&net).unwrap();
        let l4 = rows
            .iter()
            .find(|r| r.label.starts_with("layer4.1.conv2"))
            .unwrap();
        assert_eq!(l4.label, "layer4.1.conv2 + bn2");
        let conv = net.modules[net.find("layer4.1.conv2").unwrap()].params;
        let bn = net.modules[net.find("layer4.1.bn2").unwrap()].params;
        assert_eq!(
            (conv, bn),
            (Count::from(2_359_296u64), Count::from(1024u64))
        );
        assert_eq!(l4.computed, Some(conv + bn));
        for r in rows
            .iter()
            .filter(|r| r.definition == "conv + its batch norm")
        {
            assert!(r.label.contains(" + bn"), "{}", r.label);
        }
        let ds = rows
            .iter()
            .find(|r| r.label == "layer2.0.downsample")
            .unwrap();
        assert!(ds.matches);
    }
}
