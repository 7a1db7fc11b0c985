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

/// The exact value of a count (no figure of these tests overflows).
fn exact(count: Count) -> u128 {
    count.exact().expect("an exact count")
}

/// A receptive field and jump, as the model reports them.
fn field_of(receptive_field: u64, jump: u64) -> Option<Field> {
    Some(Field {
        receptive_field: Count::from(receptive_field),
        jump: Count::from(jump),
    })
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
                assert_eq!(
                    exact(c.totals.flops_backward),
                    2 * exact(c.totals.flops_forward) - exact(stem)
                );
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
        exact(c.totals.trainable_params),
        exact(n.total_params()) - 9408 - 128 - 147_968
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
            statistics: Count::from(2 * 128 * 4u64),
            ..SavedBytes::default()
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
                        let mut backward = Count::ZERO;
                        for &ch in &m.children {
                            sum.add(c.modules[ch].saved);
                            backward += c.modules[ch].flops_backward;
                        }
                        assert_eq!(sum, mc.saved, "{}", m.name);
                        assert_eq!(backward, mc.flops_backward, "{}", m.name);
                    }
                }
                let stem = c.modules[0].flops_forward;
                assert_eq!(
                    exact(c.totals.flops_backward),
                    2 * exact(c.totals.flops_forward) - exact(stem)
                );
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
        exact(eval.totals.activation_bytes()),
        44_398_080 - exact(train.totals.saved.statistics)
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
        exact(c.totals.activation_bytes()),
        exact(full.totals.activation_bytes()) - u128::from(512 * f)
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
        .sum::<Count>();
    let layer1_output: u64 = 64 * 56 * 56 * f;
    assert_eq!(
        exact(c.totals.activation_bytes()),
        exact(full.totals.activation_bytes()) - exact(below) + u128::from(layer1_output)
    );
    assert_eq!(at(&n, &c, "layer1.1.bn2").saved.values, layer1_output);
    assert_eq!(at(&n, &c, "layer1.1.bn2").saved.statistics, 0);

    // Frozen layer2.0 but trainable stem: its convs and batch norms still compute input
    // gradients, and every storage they save is saved as before.
    let c = cost(&["layer2.0"], &n);
    assert_eq!(c.totals.saved, full.totals.saved);
    assert_eq!(
        exact(c.totals.flops_backward),
        exact(full.totals.flops_backward) - exact(at(&n, &full, "layer2.0").flops_forward)
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
        exact(c.totals.flops_backward),
        exact(full.totals.flops_backward) - exact(weight_grads)
    );
    // The stem conv alone frozen: it records no node, so the image is not saved; bn1 still
    // saves the stem's output (its own parameters need it).
    let c = cost(&["conv1"], &n);
    assert_eq!(
        exact(c.totals.activation_bytes()),
        exact(full.totals.activation_bytes()) - 3 * 224 * 224 * 2 * 4
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
    assert_eq!(field("layer4"), field_of(435, 32));
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
        let expected = field_of(r, j);
        assert_eq!(field(name), expected, "{name}");
        if let Some(bn) = name.strip_suffix("conv1").or(name.strip_suffix("conv2")) {
            let bn = format!("{bn}bn{}", &name[name.len() - 1..]);
            assert_eq!(field(&bn), expected, "{bn}");
        }
    }
    assert_eq!((r, j), (435, 32));
    assert_eq!(field("layer1"), field_of(43, 4));
    assert_eq!(field("layer2.0"), field("layer2.0.bn2"));
    // The shortcut sees only what the block input saw, with the stride applied.
    assert_eq!(field("layer2.0.downsample"), field_of(43, 8));

    let n = net(Arch::Resnet50);
    let fields = receptive_fields(&n);
    let field = |name: &str| fields[n.find(name).expect(name)];
    assert_eq!(field("layer4"), field_of(427, 32));
    assert_eq!(field("layer1"), field_of(35, 4));
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
            assert!(!c.totals.activation_bytes().is_zero());
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

/// Per-image MACs of `arch` at `h`×`w` with `classes` outputs, and the stem conv's part, from
/// torchvision's layer table written out here in u128. Every window has 2p = k − 1, so a
/// stride-2 layer takes a side n to ⌊(n − 1)/2⌋ + 1 and a stride-1 layer keeps it.
fn closed_form_macs(arch: Arch, (h, w): (u64, u64), classes: u64) -> (u128, u128) {
    let down = |n: u128| (n - 1) / 2 + 1;
    let bottleneck = !matches!(arch, Arch::Resnet18 | Arch::Resnet34);
    let (mut h, mut w) = (down(h.into()), down(w.into()));
    let stem = 64 * h * w * 3 * 7 * 7;
    let mut total = stem;
    (h, w) = (down(h), down(w));
    let mut inplanes = 64u128;
    for (stage, &blocks) in arch.blocks_per_stage().iter().enumerate() {
        let planes = 64u128 << stage;
        for i in 0..blocks {
            let halves = stage > 0 && i == 0;
            let (ho, wo) = if halves { (down(h), down(w)) } else { (h, w) };
            let out = if bottleneck { 4 * planes } else { planes };
            total += if bottleneck {
                planes * h * w * inplanes + planes * ho * wo * planes * 9 + out * ho * wo * planes
            } else {
                planes * ho * wo * inplanes * 9 + planes * ho * wo * planes * 9
            };
            if halves || inplanes != out {
                total += out * ho * wo * inplanes;
            }
            (inplanes, h, w) = (out, ho, wo);
        }
    }
    (total + inplanes * u128::from(classes), stem)
}

#[test]
fn the_closed_form_meets_torchvisions_published_macs() {
    // torchvision's GFLOPS column (multiply–accumulates) at 224×224, 1000 classes.
    for (arch, gmacs) in [
        (Arch::Resnet18, 1.81),
        (Arch::Resnet34, 3.66),
        (Arch::Resnet50, 4.09),
        (Arch::Resnet101, 7.80),
        (Arch::Resnet152, 11.51),
    ] {
        let (macs, _) = closed_form_macs(arch, (224, 224), 1000);
        assert_eq!(format!("{:.2}", macs as f64 / 1e9), format!("{gmacs:.2}"));
        assert_eq!(exact(net(arch).total_macs()), macs, "{arch}");
    }
}

/// Issue 20 point 2: at the largest inputs the command line takes (8192×8192, a million
/// classes, a batch of a million, conv biases, Adam, float32) every count is exact: the FLOPs
/// pass 2⁶⁴ (resnet152's forward pass is 3.08·10¹⁹, where u64 arithmetic saturated at
/// 18,446,744,073,709,551,615), and they meet the closed form and the batch's scaling.
#[test]
fn the_largest_accepted_inputs_stay_exact() {
    use crate::resnet::model::{MAX_INPUT_SIDE, MAX_NUM_CLASSES};
    let side = MAX_INPUT_SIDE;
    let b = u128::from(MAX_BATCH);
    for &arch in Arch::ALL {
        let cfg = Config {
            arch,
            num_classes: MAX_NUM_CLASSES,
            input_hw: (side, side),
            conv_bias: true,
        };
        assert_eq!(cfg.validate(), Ok(()));
        let n = build(&cfg);
        let run = |batch: u64| {
            let cost = Cost {
                batch,
                optimizer: Optimizer::Adam,
                ..Cost::default()
            };
            costs(&n, &cost)
        };
        let (one, all) = (run(1), run(MAX_BATCH));
        let (macs, stem) = closed_form_macs(arch, (side, side), MAX_NUM_CLASSES);
        assert_eq!(exact(n.total_macs()), macs, "{arch}");
        let t = &all.totals;
        assert_eq!(exact(t.flops_forward), 2 * b * macs, "{arch}");
        assert_eq!(
            exact(t.flops_backward),
            2 * exact(t.flops_forward) - 2 * b * stem,
            "{arch}"
        );
        // Every row: the FLOPs and the saved values and indices scale with the batch exactly;
        // the batch statistics and the receptive field do not.
        for ((m, small), large) in n.modules.iter().zip(&one.modules).zip(&all.modules) {
            let at = format!("{arch} {}", m.name);
            assert_eq!(exact(large.flops_forward), 2 * b * exact(m.macs), "{at}");
            assert_eq!(
                exact(large.flops_backward),
                b * exact(small.flops_backward),
                "{at}"
            );
            assert_eq!(
                exact(large.saved.values),
                b * exact(small.saved.values),
                "{at}"
            );
            assert_eq!(
                exact(large.saved.indices),
                b * exact(small.saved.indices),
                "{at}"
            );
            assert_eq!(large.saved.statistics, small.saved.statistics, "{at}");
            assert_eq!(large.field, small.field, "{at}");
        }
        // Bytes: 4 per float32 parameter, gradient and each of Adam's two moments, and a
        // float32 step per parameter tensor.
        let params = exact(n.total_params());
        let tensors = n.parameters.len() as u128;
        assert_eq!(exact(t.param_bytes), 4 * params);
        assert_eq!(exact(t.grad_bytes), 4 * params);
        assert_eq!(exact(t.optimizer_bytes), 8 * params + 4 * tensors);
        assert_eq!(
            exact(t.training_bytes()),
            [
                t.param_bytes,
                t.buffer_bytes,
                t.grad_bytes,
                t.optimizer_bytes,
                t.saved.total()
            ]
            .into_iter()
            .map(exact)
            .sum::<u128>()
        );
        // The largest count, the backward FLOPs, is 18 decimal orders below the limit.
        let largest = [t.flops_forward, t.flops_backward, t.training_bytes()]
            .into_iter()
            .map(exact)
            .max()
            .unwrap();
        assert_eq!(largest, exact(t.flops_backward), "{arch}");
        assert!(largest.checked_mul(10u128.pow(18)).is_some(), "{arch}");
    }
    // The receptive field depends on the architecture only.
    let n = net(Arch::Resnet152);
    let big = build(&Config {
        arch: Arch::Resnet152,
        input_hw: (side, side),
        ..Config::default()
    });
    assert_eq!(receptive_fields(&big), receptive_fields(&n));
}

/// Even a batch of 2⁶⁴ − 1 keeps a validated network's FLOPs exact in 128 bits.
#[test]
fn the_largest_batch_a_u64_holds_stays_exact() {
    let n = net(Arch::Resnet152);
    let c = costs(&n, &batch(u64::MAX));
    let (macs, _) = closed_form_macs(Arch::Resnet152, (224, 224), 1000);
    assert_eq!(
        exact(c.totals.flops_forward),
        2 * macs * u128::from(u64::MAX)
    );
    assert!(exact(c.totals.flops_forward) > u128::from(u64::MAX));
}

/// A network built past the limits (the model takes any u64 side) says overflow where a count
/// passes 2¹²⁸ − 1 and stays exact elsewhere: never a wrong number.
#[test]
fn counts_past_128_bits_are_overflow() {
    let cfg = Config {
        input_hw: (u64::MAX, u64::MAX),
        ..Config::default()
    };
    assert!(cfg.validate().is_err());
    let n = build(&cfg);
    // conv1: ⌊(2⁶⁴ − 1 + 6 − 7)/2⌋ + 1 = 2⁶³ a side, 64·2¹²⁶·147 MACs (past 2¹²⁸).
    assert_eq!(n.modules[0].output_shape, [64, 1 << 63, 1 << 63]);
    assert_eq!(n.modules[0].macs, Count::Overflow);
    assert_eq!(n.total_macs(), Count::Overflow);
    // Parameters and the classifier's MACs do not depend on the input size.
    assert_eq!(n.total_params(), 11_689_512);
    assert_eq!(n.modules[n.find("fc").unwrap()].macs, 512 * 1000);
    let c = costs(&n, &Cost::default());
    assert_eq!(c.totals.flops_forward, Count::Overflow);
    assert_eq!(c.totals.flops_backward, Count::Overflow);
    assert_eq!(c.totals.activation_bytes(), Count::Overflow);
    assert_eq!(c.totals.training_bytes(), Count::Overflow);
    assert_eq!(c.totals.param_bytes, 4 * 11_689_512);
    assert_eq!(at(&n, &c, "fc").flops_forward, 2 * 512 * 1000);
    assert_eq!(c.modules[0].field, field_of(7, 2));

    // At 2⁴⁰ a side every count is past u64 but exact: conv1's MACs are 64·(2³⁹)²·147.
    let n = build(&Config {
        input_hw: (1 << 40, 1 << 40),
        ..Config::default()
    });
    assert_eq!(exact(n.modules[0].macs), 64 * (1u128 << 78) * 147);
    let c = costs(&n, &Cost::default());
    let (macs, _) = closed_form_macs(Arch::Resnet18, (1 << 40, 1 << 40), 1000);
    assert_eq!(exact(c.totals.flops_forward), 2 * macs);
}
