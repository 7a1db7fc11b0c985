use super::*;
use crate::controls::Cycle;
use crate::resnet::model::{Arch, Config, build};

fn net(arch: Arch) -> Network {
    build(&Config {
        arch,
        ..Config::default()
    })
}

fn at(net: &Network, costs: &Costs, name: &str) -> ModuleCost {
    costs.modules[net.find(name).expect(name)]
}

fn batch(batch: u64) -> Cost {
    Cost {
        batch,
        ..Cost::default()
    }
}

/// 2 × the MACs of a conv computed from its hyper-parameters, per image.
fn conv_flops(c_in: u64, c_out: u64, k: u64, out_side: u64) -> u64 {
    2 * c_out * out_side * out_side * c_in * k * k
}

#[test]
fn resnet18_flops_match_flop_counter_mode() {
    let n = net(Arch::Resnet18);
    let c = costs(&n, &batch(1));
    assert_eq!(c.totals.flops_forward, 3_628_146_688);
    assert_eq!(c.totals.flops_backward, 7_020_265_472);
    let stem = conv_flops(3, 64, 7, 112);
    assert_eq!(stem, 236_027_904);
    assert_eq!(at(&n, &c, "conv1").flops_backward, stem);
    assert_eq!(at(&n, &c, "fc").flops_forward, 2 * 512 * 1000);
    assert_eq!(at(&n, &c, "fc").flops_backward, 2 * 2 * 512 * 1000);
    assert_eq!(
        at(&n, &c, "layer2.0.downsample.0").flops_forward,
        conv_flops(64, 128, 1, 28)
    );
    assert_eq!(at(&n, &c, "bn1").flops_forward, 0);
    assert_eq!(
        at(&n, &c, "layer1").flops_forward,
        4 * conv_flops(64, 64, 3, 56)
    );
}

#[test]
fn forward_is_twice_macs_and_backward_twice_forward_less_stem() {
    for &arch in Arch::ALL {
        for conv_bias in [false, true] {
            let n = build(&Config {
                arch,
                conv_bias,
                ..Config::default()
            });
            for b in [1, 3] {
                let c = costs(&n, &batch(b));
                assert_eq!(c.totals.flops_forward, 2 * b * n.total_macs(), "{arch}");
                let stem = c.modules[0].flops_forward;
                assert_eq!(stem, 2 * b * n.modules[0].own_macs);
                assert_eq!(c.totals.flops_backward, 2 * c.totals.flops_forward - stem);
                for (m, mc) in n.modules.iter().zip(&c.modules) {
                    assert_eq!(mc.flops_forward, 2 * b * m.macs, "{}", m.name);
                }
            }
        }
    }
}

#[test]
fn resnet50_flops() {
    let n = net(Arch::Resnet50);
    let c = costs(&n, &batch(1));
    // resnet50 at 224²: 4,089,184,256 MACs (torchvision's 4.09 GFLOPS figure counts MACs).
    assert_eq!(c.totals.flops_forward, 2 * 4_089_184_256);
    let conv2 = at(&n, &c, "layer2.0.conv2");
    assert_eq!(conv2.flops_forward, conv_flops(128, 128, 3, 28));
    assert_eq!(conv2.flops_backward, 2 * conv2.flops_forward);
}

#[test]
fn freezing_the_stem_and_layer1_follows_the_graph() {
    let n = net(Arch::Resnet18);
    let mut cost = batch(1);
    cost.freeze_names(&n, &["conv1", "bn1", "layer1"]).unwrap();
    let c = costs(&n, &cost);
    assert_eq!(c.totals.flops_backward, 4_806_098_944);
    // By hand: 2 × forward, less both gradients of the stem and of layer1's four convs,
    // less the input gradients of layer2.0.conv1 and of layer2.0.downsample.0 (their input,
    // layer1's output, depends on no trainable parameter).
    let forward = 3_628_146_688;
    let layer1 = 4 * conv_flops(64, 64, 3, 56);
    let reading_module_order =
        2 * forward - 2 * conv_flops(3, 64, 7, 112) - 2 * layer1 - conv_flops(64, 128, 3, 28);
    assert_eq!(reading_module_order, 4_818_944_000);
    assert_eq!(
        c.totals.flops_backward,
        reading_module_order - conv_flops(64, 128, 1, 28)
    );
    let ds = at(&n, &c, "layer2.0.downsample.0");
    assert!(ds.weight_grad && !ds.input_grad);
    assert!(at(&n, &c, "layer2.0.conv2").input_grad);
    assert!(at(&n, &c, "layer1").frozen && !at(&n, &c, "layer2").frozen);
    assert!(cost.is_frozen(&n, n.find("layer1").unwrap()));
    assert_eq!(
        c.totals.trainable_params,
        n.total_params() - 9408 - 128 - 147_968
    );
}

/// Saved bytes of resnet18 at 224², batch 2, float32, by the list, element by element.
fn resnet18_saved_by_hand() -> u64 {
    let image = 3 * 224 * 224;
    let convs = 64 * 112 * 112 // conv1
        + 4 * 64 * 56 * 56
        + 5 * 128 * 28 * 28
        + 5 * 256 * 14 * 14
        + 5 * 512 * 7 * 7;
    let relu_inputs =
        64 * 112 * 112 + 4 * 64 * 56 * 56 + 4 * 128 * 28 * 28 + 4 * 256 * 14 * 14 + 4 * 512 * 7 * 7;
    let pool = 64 * 56 * 56;
    let classifier = 512;
    let channels = 64 + 4 * 64 + 5 * 128 + 5 * 256 + 5 * 512;
    let values = (image + convs + relu_inputs + pool + classifier) * 2 * 4;
    let indices = pool * 2 * 8;
    values + indices + 2 * channels * 4
}

#[test]
fn training_memory_matches_pytorch() {
    assert_eq!(resnet18_saved_by_hand(), 44_398_080);
    let cost = Cost {
        batch: 2,
        ..Cost::default()
    };
    let n = net(Arch::Resnet18);
    let c = costs(&n, &cost);
    assert_eq!(c.totals.activation_bytes(), 44_398_080);
    assert_eq!(c.totals.saved.statistics, 9600 * 4);
    assert_eq!(c.totals.saved.indices, 64 * 56 * 56 * 2 * 8);
    let n = net(Arch::Resnet50);
    assert_eq!(costs(&n, &cost).totals.activation_bytes(), 172_031_488);
}

#[test]
fn per_module_saved_bytes_by_hand() {
    let cost = Cost {
        batch: 2,
        ..Cost::default()
    };
    let f = 2 * 4; // batch × float32
    let n = net(Arch::Resnet18);
    let c = costs(&n, &cost);
    let saved = |name: &str| at(&n, &c, name).saved;
    // The image and the stem's output, both booked at conv1.
    assert_eq!(saved("conv1").values, (3 * 224 * 224 + 64 * 112 * 112) * f);
    // Issue 19 point 14: the image's part of that row is its own figure (602,112 bytes).
    assert_eq!(saved("conv1").input, 3 * 224 * 224 * f);
    assert_eq!(3 * 224 * 224 * 4, 602_112);
    assert_eq!(saved("bn1").values, 64 * 112 * 112 * f);
    assert_eq!(saved("bn1").statistics, 2 * 64 * 4);
    assert_eq!(saved("relu").total(), 0);
    assert_eq!(saved("maxpool").values, 64 * 56 * 56 * f);
    assert_eq!(saved("maxpool").indices, 64 * 56 * 56 * 2 * 8);
    assert_eq!(saved("layer2.0.downsample.0").values, 128 * 28 * 28 * f);
    // The shortcut's batch-norm output is added into the main path and never saved.
    assert_eq!(
        saved("layer2.0.downsample.1"),
        SavedBytes {
            values: 0,
            input: 0,
            indices: 0,
            statistics: 2 * 128 * 4
        }
    );
    assert_eq!(saved("layer2.0.bn2").values, 128 * 28 * 28 * f);
    assert_eq!(saved("avgpool").values, 512 * f);
    assert_eq!(saved("fc").total(), 0);
    let block = (2 * 2 * 64 * 56 * 56) * f + 2 * 2 * 64 * 4;
    assert_eq!(saved("layer1.1").total(), block);

    let n = net(Arch::Resnet50);
    let c = costs(&n, &cost);
    let saved = |name: &str| at(&n, &c, name).saved;
    assert_eq!(saved("layer1.0.conv1").values, 64 * 56 * 56 * f);
    assert_eq!(saved("layer1.0.conv3").values, 256 * 56 * 56 * f);
    assert_eq!(saved("layer1.0.bn3").values, 256 * 56 * 56 * f);
    assert_eq!(saved("layer1.0.bn3").statistics, 2 * 256 * 4);
    assert_eq!(saved("layer1.0.downsample.1").values, 0);
    assert_eq!(saved("layer2.0.conv2").values, 128 * 28 * 28 * f);
    assert_eq!(saved("avgpool").values, 2048 * f);
    // A bottleneck without a shortcut: three conv outputs and three batch-norm outputs.
    let (w, o) = (64 * 56 * 56, 256 * 56 * 56);
    assert_eq!(
        saved("layer1.1").total(),
        (2 * (w + w + o)) * f + 2 * (64 + 64 + 256) * 4
    );
}

fn leaf_sum(net: &Network, c: &Costs) -> SavedBytes {
    let mut sum = SavedBytes::default();
    for (m, mc) in net.modules.iter().zip(&c.modules) {
        if !m.is_container() {
            sum.add(mc.saved);
        }
    }
    sum
}

#[test]
fn per_module_figures_sum_to_the_totals() {
    for &arch in Arch::ALL {
        for hw in [(224, 224), (225, 97)] {
            let n = build(&Config {
                arch,
                input_hw: hw,
                ..Config::default()
            });
            for cost in [batch(1), batch(2)] {
                let c = costs(&n, &cost);
                assert_eq!(leaf_sum(&n, &c), c.totals.saved, "{arch} {hw:?}");
                for (m, mc) in n.modules.iter().zip(&c.modules) {
                    if m.is_container() {
                        let mut sum = SavedBytes::default();
                        let mut backward = 0;
                        for &ch in &m.children {
                            sum.add(c.modules[ch].saved);
                            backward += c.modules[ch].flops_backward;
                        }
                        assert_eq!(sum, mc.saved, "{}", m.name);
                        assert_eq!(backward, mc.flops_backward, "{}", m.name);
                    }
                }
                let stem = c.modules[0].flops_forward;
                assert_eq!(c.totals.flops_backward, 2 * c.totals.flops_forward - stem);
            }
        }
    }
}

#[test]
fn memory_is_linear_in_batch_and_dtype() {
    for arch in [Arch::Resnet18, Arch::Resnet101] {
        let n = net(arch);
        let saved = |b: u64, dtype: Dtype| {
            costs(
                &n,
                &Cost {
                    batch: b,
                    dtype,
                    ..Cost::default()
                },
            )
            .totals
            .saved
        };
        let one = saved(1, Dtype::Float32);
        for b in [2, 5, 32] {
            let s = saved(b, Dtype::Float32);
            assert_eq!(s.values, b * one.values);
            assert_eq!(s.indices, b * one.indices);
            assert_eq!(s.statistics, one.statistics);
            for dtype in [Dtype::Float16, Dtype::Bfloat16] {
                let h = saved(b, dtype);
                assert_eq!(2 * h.values, s.values);
                assert_eq!(2 * h.statistics, s.statistics);
                assert_eq!(h.indices, s.indices);
            }
        }
    }
}

#[test]
fn eval_drops_statistics_and_no_grad_saves_nothing() {
    let n = net(Arch::Resnet18);
    let train = costs(
        &n,
        &Cost {
            batch: 2,
            ..Cost::default()
        },
    );
    let eval = costs(
        &n,
        &Cost {
            batch: 2,
            mode: Mode::Eval,
            ..Cost::default()
        },
    );
    assert_eq!(
        eval.totals.activation_bytes(),
        44_398_080 - train.totals.saved.statistics
    );
    assert_eq!(eval.totals.saved.statistics, 0);
    assert_eq!(eval.totals.flops_backward, train.totals.flops_backward);
    let inference = costs(
        &n,
        &Cost {
            batch: 2,
            autograd: false,
            optimizer: Optimizer::Adam,
            ..Cost::default()
        },
    );
    assert_eq!(inference.totals.activation_bytes(), 0);
    assert_eq!(inference.totals.flops_backward, 0);
    assert_eq!(inference.totals.flops_forward, train.totals.flops_forward);
    assert_eq!(inference.totals.grad_bytes, 0);
    assert_eq!(inference.totals.optimizer_bytes, 0);
    assert_eq!(inference.totals.param_bytes, 11_689_512 * 4);
}

#[test]
fn parameters_gradients_and_optimizer_state() {
    let n = net(Arch::Resnet18);
    let with = |optimizer: Optimizer, dtype: Dtype| {
        costs(
            &n,
            &Cost {
                optimizer,
                dtype,
                ..Cost::default()
            },
        )
        .totals
    };
    let sgd = with(Optimizer::Sgd, Dtype::Float32);
    assert_eq!(sgd.param_bytes, 11_689_512 * 4);
    assert_eq!(sgd.grad_bytes, 11_689_512 * 4);
    assert_eq!(sgd.optimizer_bytes, 0);
    // 9600 running-statistics values + 20 int64 counters.
    assert_eq!(sgd.buffer_bytes, 9600 * 4 + 20 * 8);
    assert_eq!(
        with(Optimizer::SgdMomentum, Dtype::Float32).optimizer_bytes,
        11_689_512 * 4
    );
    // Two moments plus one float32 step per parameter tensor (62 in resnet18).
    assert_eq!(
        with(Optimizer::Adam, Dtype::Bfloat16).optimizer_bytes,
        2 * 11_689_512 * 2 + 62 * 4
    );
    let t = with(Optimizer::SgdMomentum, Dtype::Float16);
    assert_eq!(
        t.training_bytes(),
        t.param_bytes + t.buffer_bytes + t.grad_bytes + t.optimizer_bytes + t.activation_bytes()
    );

    let mut cost = Cost {
        optimizer: Optimizer::SgdMomentum,
        ..Cost::default()
    };
    cost.freeze_names(&n, &["fc"]).unwrap();
    let c = costs(&n, &cost);
    assert_eq!(c.totals.trainable_params, 11_689_512 - 513_000);
    assert_eq!(c.totals.grad_bytes, (11_689_512 - 513_000) * 4);
    assert_eq!(c.totals.optimizer_bytes, c.totals.grad_bytes);
    assert_eq!(c.totals.param_bytes, 11_689_512 * 4);
}

#[test]
fn frozen_layers_save_only_what_their_input_gradients_need() {
    let cost = |names: &[&str], n: &Network| {
        let mut cost = batch(2);
        cost.freeze_names(n, names).unwrap();
        costs(n, &cost)
    };
    let n = net(Arch::Resnet18);
    let full = costs(&n, &batch(2));
    let f = 2 * 4;

    // A frozen classifier computes only the input gradient, which needs just the weight.
    let c = cost(&["fc"], &n);
    assert_eq!(at(&n, &c, "avgpool").saved.total(), 0);
    assert_eq!(
        c.totals.activation_bytes(),
        full.totals.activation_bytes() - 512 * f
    );
    // Batch 2, input gradient only.
    assert_eq!(at(&n, &c, "fc").flops_backward, 2 * 2 * 512 * 1000);

    // Frozen stem and layer1: nothing below layer2 needs a gradient, so nothing there is
    // saved except layer1's output, which layer2.0.conv1 and the shortcut conv need for
    // their weight gradients (booked at layer1.1.bn2, which allocated it).
    let c = cost(&["conv1", "bn1", "layer1"], &n);
    let below = ["conv1", "bn1", "maxpool", "layer1"]
        .iter()
        .map(|name| at(&n, &full, name).saved.total())
        .sum::<u64>();
    let layer1_output = 64 * 56 * 56 * f;
    assert_eq!(
        c.totals.activation_bytes(),
        full.totals.activation_bytes() - below + layer1_output
    );
    assert_eq!(at(&n, &c, "layer1.1.bn2").saved.values, layer1_output);
    assert_eq!(at(&n, &c, "layer1.1.bn2").saved.statistics, 0);

    // Frozen layer2.0 but trainable stem: its convs and batch norms still compute input
    // gradients, and every storage they save is saved as before.
    let c = cost(&["layer2.0"], &n);
    assert_eq!(c.totals.saved, full.totals.saved);
    assert_eq!(
        c.totals.flops_backward,
        full.totals.flops_backward - at(&n, &full, "layer2.0").flops_forward
    );

    // resnet50 with both convs that read the pool output frozen (layer1.0.conv1 and the
    // shortcut conv) but the stem trainable: they still compute input gradients, and
    // `convolution`'s one joint derivative formula saves the input whenever the node is
    // recorded, so the pool output stays saved and nothing changes but the FLOPs.
    let n = net(Arch::Resnet50);
    let full = costs(&n, &batch(2));
    let c = cost(&["layer1.0.conv1", "layer1.0.downsample"], &n);
    assert_eq!(c.totals.saved, full.totals.saved);
    let weight_grads = at(&n, &full, "layer1.0.conv1").flops_forward
        + at(&n, &full, "layer1.0.downsample.0").flops_forward;
    assert_eq!(
        c.totals.flops_backward,
        full.totals.flops_backward - weight_grads
    );
    // The stem conv alone frozen: it records no node, so the image is not saved; bn1 still
    // saves the stem's output (its own parameters need it).
    let c = cost(&["conv1"], &n);
    assert_eq!(
        c.totals.activation_bytes(),
        full.totals.activation_bytes() - 3 * 224 * 224 * 2 * 4
    );
    assert_eq!(at(&n, &c, "conv1").saved.values, 64 * 112 * 112 * 2 * 4);
    // A frozen conv1 does not save the image.
    assert_eq!(at(&n, &c, "conv1").saved.input, 0);
    assert_eq!(c.totals.saved.input, 0);
    assert_eq!(at(&n, &c, "conv1").flops_backward, 0);
    // Everything frozen: nothing requires grad, nothing is saved or computed backward.
    let c = cost(
        &["conv1", "bn1", "layer1", "layer2", "layer3", "layer4", "fc"],
        &n,
    );
    assert_eq!(c.totals.activation_bytes(), 0);
    assert_eq!(c.totals.flops_backward, 0);
    assert_eq!(c.totals.trainable_params, 0);
    assert_eq!(c.totals.grad_bytes, 0);
}

#[test]
fn receptive_fields_follow_the_recurrence() {
    let n = net(Arch::Resnet18);
    let fields = receptive_fields(&n);
    let field = |name: &str| fields[n.find(name).expect(name)];
    assert_eq!(
        field("layer4"),
        Some(Field {
            receptive_field: 435,
            jump: 32
        })
    );
    assert_eq!(field("avgpool"), None);
    assert_eq!(field("fc"), None);
    // Re-derived by hand along the main path: (name, kernel, stride) in forward order.
    let mut path = vec![("conv1", 7, 2), ("maxpool", 3, 2)];
    let names: Vec<String> = (1..=4)
        .flat_map(|stage| {
            (0..2).flat_map(move |block| {
                (1..=2).map(move |conv| format!("layer{stage}.{block}.conv{conv}"))
            })
        })
        .collect();
    for name in &names {
        let stride = if name.ends_with(".0.conv1") && !name.starts_with("layer1") {
            2
        } else {
            1
        };
        path.push((name.as_str(), 3, stride));
    }
    let (mut r, mut j) = (1u64, 1u64);
    for (name, k, s) in path {
        r += (k - 1) * j;
        j *= s;
        let expected = Some(Field {
            receptive_field: r,
            jump: j,
        });
        assert_eq!(field(name), expected, "{name}");
        if let Some(bn) = name.strip_suffix("conv1").or(name.strip_suffix("conv2")) {
            let bn = format!("{bn}bn{}", &name[name.len() - 1..]);
            assert_eq!(field(&bn), expected, "{bn}");
        }
    }
    assert_eq!((r, j), (435, 32));
    assert_eq!(
        field("layer1"),
        Some(Field {
            receptive_field: 43,
            jump: 4
        })
    );
    assert_eq!(field("layer2.0"), field("layer2.0.bn2"));
    // The shortcut sees only what the block input saw, with the stride applied.
    assert_eq!(
        field("layer2.0.downsample"),
        Some(Field {
            receptive_field: 43,
            jump: 8
        })
    );

    let n = net(Arch::Resnet50);
    let fields = receptive_fields(&n);
    let field = |name: &str| fields[n.find(name).expect(name)];
    assert_eq!(
        field("layer4"),
        Some(Field {
            receptive_field: 427,
            jump: 32
        })
    );
    assert_eq!(
        field("layer1"),
        Some(Field {
            receptive_field: 35,
            jump: 4
        })
    );
    assert_eq!(field("layer1.0.conv1"), field("maxpool"));
}

#[test]
fn odd_input_sizes_do_not_panic() {
    for &arch in Arch::ALL {
        for hw in [(225, 97), (1, 1), (31, 17)] {
            let n = build(&Config {
                arch,
                input_hw: hw,
                ..Config::default()
            });
            let c = costs(&n, &batch(1));
            assert_eq!(leaf_sum(&n, &c), c.totals.saved);
            assert!(c.totals.activation_bytes() > 0);
        }
    }
    // 225×97: conv1 113×49, maxpool 57×25.
    let n = build(&Config {
        input_hw: (225, 97),
        ..Config::default()
    });
    let c = costs(&n, &batch(1));
    assert_eq!(at(&n, &c, "maxpool").saved.indices, 64 * 57 * 25 * 8);
    assert_eq!(
        at(&n, &c, "conv1").saved.values,
        (3 * 225 * 97 + 64 * 113 * 49) * 4
    );
}

#[test]
fn freeze_helpers() {
    let n = net(Arch::Resnet18);
    let mut cost = Cost::default();
    let layer2 = n.find("layer2").unwrap();
    cost.toggle_frozen(&n, layer2);
    assert!(cost.is_frozen(&n, layer2));
    assert!(cost.is_frozen(&n, n.find("layer2.1.bn2").unwrap()));
    assert!(!cost.is_frozen(&n, n.find("layer2.0.relu").unwrap()));
    cost.toggle_frozen(&n, n.find("layer2.1").unwrap());
    assert!(!cost.is_frozen(&n, layer2));
    cost.toggle_frozen(&n, layer2);
    assert!(cost.is_frozen(&n, layer2));
    cost.toggle_frozen(&n, layer2);
    assert!(cost.frozen.is_empty());

    let err = cost
        .freeze_names(&n, &["conv1", "layer2.0.bn3"])
        .unwrap_err();
    assert_eq!(
        err,
        CostError::UnknownModule {
            name: "layer2.0.bn3".into(),
            closest: "layer2.0.bn1".into()
        }
    );
    assert!(!err.to_string().contains('\n'));
    assert!(cost.frozen.is_empty(), "nothing frozen on error");
    assert_eq!("bfloat16".parse::<Dtype>(), Ok(Dtype::Bfloat16));
    assert_eq!("torch.float16".parse::<Dtype>(), Ok(Dtype::Float16));
    assert!("float64".parse::<Dtype>().is_err());
    assert_eq!("Adam".parse::<Optimizer>(), Ok(Optimizer::Adam));
    assert_eq!(Optimizer::sgd(0.9), Optimizer::SgdMomentum);
    assert_eq!(Optimizer::sgd(0.0), Optimizer::Sgd);
    for &d in Dtype::ALL {
        assert_eq!(d.next().next().next(), d);
    }
}
