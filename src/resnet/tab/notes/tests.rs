//! The notes' own tests; the claims sweeps are in the tab's tests.
use super::*;
use crate::resnet::model::{Arch, Config, Count, build};

fn net(arch: Arch) -> Network {
    build(&Config {
        arch,
        ..Config::default()
    })
}

/// Issue 9 point 13: each batch norm's note says what that batch norm feeds, as the module
/// tree has it, and "about half active" only comes with "at initialisation".
#[test]
fn batch_norm_notes_follow_what_each_feeds() {
    for arch in [Arch::Resnet18, Arch::Resnet50] {
        let n = net(arch);
        for i in 0..n.modules.len() {
            let Some(feeds) = batchnorm::feeds(&n, i) else {
                continue;
            };
            let text = note(&n, i);
            let name = &n.modules[i].name;
            assert_eq!(
                text.contains("feeds a ReLU"),
                feeds == BnFeeds::Relu,
                "{name}"
            );
            assert_eq!(
                text.contains("feeds the residual sum, not a ReLU"),
                feeds == BnFeeds::ResidualSum,
                "{name}"
            );
            assert_eq!(
                text.contains("no ReLU of its own"),
                feeds == BnFeeds::Shortcut,
                "{name}"
            );
            if text.contains("about half") {
                assert!(text.contains("At initialisation (γ = 1, β = 0)"));
                assert!(text.contains("The other order, ReLU then batch norm, is also used"));
                assert!(text.contains("saturation"));
            }
        }
    }
}

/// Point 16: the stride sentence only where the conv strides; the reduce conv of layer1.0
/// does not narrow; the pool's "quarter" is of height and width; the stem ReLU has no block.
#[test]
fn conv_pool_and_relu_notes_match_their_module() {
    let n = net(Arch::Resnet50);
    for (i, m) in n.modules.iter().enumerate() {
        let text = note(&n, i);
        if let ModuleKind::Conv2d(spec) = m.kind {
            if spec.role == ConvRole::Spatial {
                assert_eq!(
                    text.contains("strides by 2"),
                    spec.stride == 2,
                    "{}",
                    m.name
                );
                assert_eq!(text.contains("stride 1"), spec.stride == 1, "{}", m.name);
            }
            if spec.role == ConvRole::Reduce {
                let narrows = spec.in_channels > spec.out_channels;
                assert_eq!(text.contains("narrows"), narrows, "{}", m.name);
            }
        }
    }
    let reduce = |name: &str| note(&n, n.find(name).unwrap());
    assert!(reduce("layer1.0.conv1").contains("64→64"));
    assert!(reduce("layer1.1.conv1").contains("narrows the channels from 256 to 64"));
    assert!(reduce("layer2.0.conv1").contains("from 256 to 128"));

    let pool = n.find("maxpool").unwrap();
    let [_, ph, pw] = n.modules[pool].output_shape[..] else {
        panic!("a C×H×W shape")
    };
    let (h, w) = n.config.input_hw;
    assert_eq!((ph * 4, pw * 4), (h, w), "a quarter of each side at 224");
    let text = note(&n, pool);
    assert!(text.contains(&format!("{ph}×{pw} from a {h}×{w} input")));
    assert!(text.contains("a quarter of its height and of its width"));

    let stem = note(&n, n.find("relu").unwrap());
    assert!(stem.contains("once") && !stem.contains("block"), "{stem}");
    let block = note(&n, n.find("layer2.1.relu").unwrap());
    assert!(block.contains("runs 3 times"), "{block}");
    let basic = net(Arch::Resnet18);
    let block = note(&basic, basic.find("layer2.1.relu").unwrap());
    assert!(block.contains("runs 2 times"), "{block}");
}

/// Point 15: the train-mode text states the momentum and the update the model performs.
#[test]
fn train_mode_text_states_the_update() {
    let kind = ModuleKind::BatchNorm2d { num_features: 64 };
    let text = mode_behaviour(&kind, Mode::Train).unwrap();
    let m = batchnorm::MOMENTUM;
    assert!(text.contains(&format!("momentum {m}")));
    assert!(text.contains(&format!("{}·running_mean + {m}·batch mean", 1.0 - m)));
    assert!(text.contains("unbiased, n/(n−1)"));
    assert!(text.contains("num_batches_tracked grows by 1"));
    // The update it describes, done by the model: mean 2.5, unbiased variance 5/3.
    let mut stats = batchnorm::RunningStats::default();
    batchnorm::train_forward(&[1.0, 2.0, 3.0, 4.0], Default::default(), &mut stats);
    assert!((stats.mean - m * 2.5).abs() < 1e-15);
    assert!((stats.var - ((1.0 - m) + m * 5.0 / 3.0)).abs() < 1e-15);
    assert_eq!(stats.num_batches_tracked, 1);
    assert!(mode_behaviour(&ModuleKind::ReLU, Mode::Train).is_none());
}

/// Point 12, issue 19 point 2: the bias note names both modes and both eval-mode what-ifs.
#[test]
fn bias_notes_say_train_cancels_and_eval_shifts() {
    assert!(REDUNDANT_BIAS_NOTE.contains("b·γ/√(running_var+ε)"));
    assert!(REDUNDANT_BIAS_NOTE.contains("0.9^k·b·γ/√(running_var+ε)"));
    assert!(REDUNDANT_BIAS_NOTE.contains("(1−0.9^k)·b"));
    assert!(REDUNDANT_BIAS_NOTE.contains("In train mode"));
    assert!(REDUNDANT_BIAS_NOTE.contains("removes b exactly"));
    assert!(!REDUNDANT_BIAS_NOTE.contains("until running_mean"));
    assert!(redundant_bias_line("64", Mode::Train).contains("cancels it"));
    assert!(redundant_bias_line("64", Mode::Eval).contains("all but 0.9^k of it"));
}

/// Point 14: the weight-decay note names the Scale tab by its real key, says γ is a scale,
/// and gives both practices.
#[test]
fn weight_decay_note_names_the_scale_tab_and_both_practices() {
    let text = weight_decay_note();
    let (key, title) = crate::tabs::for_problem(SCALE_PROBLEM).unwrap();
    assert_eq!((key, title), (3, "Scale invariance"));
    assert!(text.contains(&format!("Problem 3, the {title} tab, key {key}")));
    assert!(text.contains("γ is a scale"));
    assert!(text.contains("decays every parameter"));
    assert!(text.contains("leave batch-norm parameters and biases out"));
    assert!(text.contains("scale-invariant"));
    assert!(text.contains("effective step η/‖w‖²"));
}

// ---- The claims sweep over the network (issue 19) ----

use crate::controls::Cycle;
use crate::resnet::model::cost::{self, Cost};
use crate::resnet::model::{ParamGroup, TensorRole};

/// The conv arithmetic, written out: ⌊(n + 2p − k)/s⌋ + 1.
fn side_after(n: u64, k: u64, s: u64, p: u64) -> u64 {
    (n + 2 * p - k.min(n + 2 * p)) / s + 1
}

/// The shapes `A×B×C → D×E×F` a note states, parsed back.
fn stated_shapes(text: &str) -> Option<(Vec<u64>, Vec<u64>)> {
    let (before, after) = text.split_once(" → ")?;
    let parse =
        |s: &str| -> Option<Vec<u64>> { s.split('×').map(|d| d.trim().parse().ok()).collect() };
    let from = before.rsplit([' ', '(']).next()?;
    let to = after.split([' ', ',', ';', '.', ')']).next()?;
    Some((parse(from)?, parse(to)?))
}

/// The input shape of a block or stage the long way: the output of the module before it
/// among its siblings, or (first in its stage) the stage's input, or the max pool's output.
fn block_input(net: &Network, index: usize) -> Vec<u64> {
    let m = &net.modules[index];
    let siblings: Vec<usize> = match m.parent {
        Some(p) => net.modules[p].children.clone(),
        None => net.top_level().collect(),
    };
    let at = siblings.iter().position(|&s| s == index).unwrap();
    match (at, m.parent) {
        (0, Some(p)) => block_input(net, p),
        (0, None) => net.input_shape().to_vec(),
        (k, _) => net.modules[siblings[k - 1]].output_shape.clone(),
    }
}

/// Every note of module `i`, checked against the network built another way.
fn check_module_note(net: &Network, i: usize, setting: &str) {
    let m = &net.modules[i];
    let text = note(net, i);
    let at = format!("{setting}, {}: {text}", m.name);
    match m.kind {
        ModuleKind::Conv2d(spec) => check_conv_note(net, i, &spec, &text, &at),
        ModuleKind::MaxPool2d { .. } => {
            let (from, to) = stated_shapes(&text).expect(&at);
            let (h, w) = net.config.input_hw;
            let (ph, pw) = (to[1], to[2]);
            assert_eq!(ph, side_after(side_after(h, 7, 2, 3), 3, 2, 1), "{at}");
            assert_eq!(pw, side_after(side_after(w, 7, 2, 3), 3, 2, 1), "{at}");
            let halves = from[1] == 2 * ph && from[2] == 2 * pw;
            assert_eq!(text.contains("halves the resolution"), halves, "{at}");
            let near = |side: u64, p: u64| (4 * p).abs_diff(side) * 8 <= side;
            let quarter = text.contains("a quarter of its height");
            assert_eq!(quarter, near(h, ph) && near(w, pw), "{at}");
            if text.contains(": a quarter") {
                assert!(4 * ph == h && 4 * pw == w, "{at}");
            }
        }
        ModuleKind::ReLU if m.parent.is_some() => {
            let block = &net.modules[m.parent.unwrap()];
            let bns = block
                .children
                .iter()
                .filter(|&&c| matches!(net.modules[c].kind, ModuleKind::BatchNorm2d { .. }))
                .count();
            assert!(text.contains(&format!("runs {bns} times")), "{at}");
        }
        ModuleKind::Sequential(SequentialRole::Stage(_)) => check_stage_note(net, i, &text, &at),
        ModuleKind::Sequential(SequentialRole::Shortcut) => {
            let (from, to) = stated_shapes(&text).expect(&at);
            let block = m.parent.unwrap();
            assert_eq!(from, block_input(net, block), "{at}");
            assert_eq!(to, net.modules[block].output_shape, "{at}");
            assert_ne!(from, to, "a shortcut where the shape changes: {at}");
        }
        ModuleKind::Bottleneck { .. } => {
            let convs: Vec<ConvSpec> = m
                .children
                .iter()
                .filter_map(|&c| match net.modules[c].kind {
                    ModuleKind::Conv2d(s) => Some(s),
                    _ => None,
                })
                .collect();
            let narrows = convs[0].in_channels > convs[0].out_channels;
            assert_eq!(text.contains("conv narrows"), narrows, "{at}");
            let fold = convs[2].out_channels / convs[1].out_channels;
            assert_eq!(fold, 4, "{at}");
            assert!(text.contains("widens it 4-fold"), "{at}");
            assert!(convs[0].stride == 1 && convs[2].stride == 1, "{at}");
        }
        ModuleKind::AdaptiveAvgPool2d { .. } => check_avgpool_note(net, &text, &at),
        ModuleKind::Linear { .. } => check_classifier_note(net, &text, &at),
        ModuleKind::BatchNorm2d { .. } => {
            // A conv right before it (the bias the note speaks of), whatever it feeds.
            let parent_children: Vec<usize> = match m.parent {
                Some(p) => net.modules[p].children.clone(),
                None => net.top_level().collect(),
            };
            let at_k = parent_children.iter().position(|&c| c == i).unwrap();
            assert!(
                at_k > 0
                    && matches!(
                        net.modules[parent_children[at_k - 1]].kind,
                        ModuleKind::Conv2d(_)
                    ),
                "{at}"
            );
        }
        _ => {}
    }
}

/// The conv notes: the stem's ratio, a spatial conv's stride and shapes, a reduce conv's MACs.
fn check_conv_note(net: &Network, i: usize, spec: &ConvSpec, text: &str, at: &str) {
    let m = &net.modules[i];
    let macs = |c: &ConvSpec, out: &[u64]| {
        c.kernel * c.kernel * c.in_channels * c.out_channels * out[1] * out[2]
    };
    assert_eq!(macs(spec, &m.output_shape), m.own_macs, "{at}");
    match spec.role {
        ConvRole::Stem => {
            let (h, w) = net.config.input_hw;
            let (ho, wo) = (side_after(h, 7, 2, 3), side_after(w, 7, 2, 3));
            let ratio = (h * w) as f64 / (ho * wo) as f64;
            let shown = text.contains("times fewer positions");
            assert_eq!(shown, ratio > 1.0, "{at}");
            if shown {
                assert!(
                    text.contains(&format!("{} times fewer", times(ratio))),
                    "{at}"
                );
            }
        }
        ConvRole::Spatial if spec.stride > 1 => {
            let (from, to) = stated_shapes(text).expect(at);
            assert_eq!(from[0], spec.in_channels, "{at}");
            assert_eq!(to, m.output_shape, "{at}");
            for d in [1, 2] {
                assert_eq!(to[d], side_after(from[d], 3, spec.stride, 1), "{at}");
            }
            let halves = from[1] == 2 * to[1] && from[2] == 2 * to[2];
            assert_eq!(text.contains("(halving height and width)"), halves, "{at}");
        }
        ConvRole::Reduce => {
            let block = &net.modules[m.parent.unwrap()];
            let spatial = block
                .children
                .iter()
                .map(|&c| &net.modules[c])
                .find(|c| matches!(c.kind, ModuleKind::Conv2d(s) if s.role == ConvRole::Spatial))
                .unwrap();
            let ratio = spatial.own_macs.share_of(m.own_macs).unwrap();
            let shown = text.contains("times its MACs");
            assert_eq!(shown, ratio > 1.0, "{at}");
            if shown {
                assert!(
                    text.contains(&format!("takes {} times", times(ratio))),
                    "{at}"
                );
            }
            let later = net.modules[i + 1..].iter().any(|n| {
                matches!(n.kind, ModuleKind::Conv2d(s)
                    if s.role == ConvRole::Reduce && s.in_channels > s.out_channels)
            });
            if text.contains("later blocks narrow") {
                assert!(later, "{at}");
            }
        }
        ConvRole::Expand => {
            let block = m.parent.unwrap();
            assert_eq!(m.output_shape, net.modules[block].output_shape, "{at}");
        }
        ConvRole::Projection => {
            assert!(
                spec.stride != 1 || spec.in_channels != spec.out_channels,
                "a projection where the block changes shape: {at}"
            );
        }
        ConvRole::Spatial => assert!(text.contains("stride 1"), "{at}"),
    }
}

/// A stage: its shapes, its first block's stride, the others keep the shape, the counts.
fn check_stage_note(net: &Network, i: usize, text: &str, at: &str) {
    let stage = &net.modules[i];
    let (from, to) = stated_shapes(text).expect(at);
    assert_eq!(from, block_input(net, i), "{at}");
    assert_eq!(to, stage.output_shape, "{at}");
    let first = stage.children[0];
    let stride = match net.modules[first].kind {
        ModuleKind::BasicBlock { stride } | ModuleKind::Bottleneck { stride, .. } => stride,
        _ => panic!("{at}"),
    };
    assert_eq!(
        text.contains("first block strides by 2"),
        stride == 2,
        "{at}"
    );
    for &b in &stage.children[1..] {
        assert_eq!(block_input(net, b), net.modules[b].output_shape, "{at}");
    }
    let counts = net.config.arch.blocks_per_stage().map(|n| n.to_string());
    assert!(
        text.contains(&format!("hold {} blocks", counts.join(", "))),
        "{at}"
    );
}

/// The global pool: the classifier gets the same C numbers at another input size.
fn check_avgpool_note(net: &Network, text: &str, at: &str) {
    let fc_in = |n: &Network| match n.modules.last().unwrap().kind {
        ModuleKind::Linear { in_features, .. } => in_features,
        _ => panic!("{at}"),
    };
    let c = fc_in(net);
    assert!(text.contains(&format!("these {c} numbers")), "{at}");
    for side in [1, 33, 300] {
        let other = build(&Config {
            input_hw: (side, side + 7),
            ..net.config
        });
        assert_eq!(fc_in(&other), c, "{at}");
    }
}

/// The classifier: another number of classes changes only it; its bias is the only one
/// outside batch norm exactly when the sentence says so.
fn check_classifier_note(net: &Network, text: &str, at: &str) {
    let other = build(&Config {
        num_classes: net.config.num_classes + 1,
        ..net.config
    });
    let last = net.modules.len() - 1;
    for (a, b) in net.modules[..last].iter().zip(&other.modules) {
        if a.parent.is_none() || a.children.is_empty() {
            assert_eq!(a.own_params, b.own_params, "{at}: {}", a.name);
        }
    }
    assert_ne!(net.modules[last].params, other.modules[last].params, "{at}");
    let biases_outside_bn: Vec<&str> = net
        .parameters
        .iter()
        .filter(|p| p.role == TensorRole::Bias && p.group != ParamGroup::BatchNorm)
        .map(|p| net.modules[p.module].name.as_str())
        .collect();
    let only_fc = biases_outside_bn == ["fc"];
    assert_eq!(
        text.contains("the only bias outside batch norm"),
        only_fc,
        "{at}"
    );
}

/// The summary's notes for one run: memory (the image and the total), the refusal, the
/// weight-decay count, the FLOPs rule on the stem, and what only batch norm changes.
fn check_summary_notes(net: &Network, cost: &Cost, setting: &str) {
    let costs = cost::costs(net, cost);
    let conv1 = net.find("conv1").unwrap();
    let (h, w) = net.config.input_hw;
    let image = 3 * h * w * cost.batch * cost.dtype.bytes();
    let memory = memory_note(&costs);
    let at = format!("{setting}: {memory}");
    let conv1_trainable = !cost.frozen.contains(&conv1);
    let saved = costs.modules[conv1].saved.input;
    assert_eq!(saved, if conv1_trainable { image } else { 0 }, "{at}");
    if memory.contains("counted in conv1's row") {
        assert!(
            memory.contains(&format!("({} bytes here)", Count::from(image).grouped())),
            "{at}"
        );
        assert!(
            costs.modules[conv1].saved.values >= Count::from(image),
            "{at}"
        );
    } else {
        assert!(memory.contains("not saved here") && saved == 0, "{at}");
    }
    let rows: Count = net
        .top_level()
        .map(|i| costs.modules[i].activation_bytes())
        .sum();
    assert_eq!(rows, costs.totals.activation_bytes(), "{at}");
    // The rule PyTorch applies, from the shapes: each BN's input is the conv before it.
    let mut expected = Vec::new();
    for (i, m) in net.modules.iter().enumerate() {
        if let ModuleKind::BatchNorm2d { .. } = m.kind {
            let conv = &net.modules[i - 1].output_shape;
            if cost.mode == Mode::Train && cost.batch * conv[1] * conv[2] == 1 {
                expected.push(i);
            }
        }
    }
    let flagged: Vec<usize> = costs
        .one_value_per_channel
        .iter()
        .map(|r| r.module)
        .collect();
    assert_eq!(flagged, expected, "{setting}");
    let refused = refused_step_note(net, &costs, cost);
    assert_eq!(refused.is_some(), !expected.is_empty(), "{setting}");
    if let Some(text) = refused {
        let first = &net.modules[expected[0]];
        assert!(
            text.contains(&format!("{} sees one value", first.name)),
            "{text}"
        );
        // "eval mode, or a batch of 2, runs"
        for other in [
            Cost {
                mode: Mode::Eval,
                ..cost.clone()
            },
            Cost {
                batch: 2,
                ..cost.clone()
            },
        ] {
            assert!(
                cost::costs(net, &other).one_value_per_channel.is_empty(),
                "{text}"
            );
        }
    }
    let wd = net.weight_decay();
    let by_hand: Count = net
        .parameters
        .iter()
        .filter(|p| p.role == TensorRole::Bias || p.group == ParamGroup::BatchNorm)
        .map(|p| p.numel)
        .sum();
    assert_eq!(wd.not_decayed, by_hand, "as counted above: {setting}");
    // "the stem conv computes none for its input"
    assert!(!costs.modules[conv1].input_grad, "{setting}");
    let stem = &costs.modules[conv1];
    let weight = if conv1_trainable {
        stem.flops_forward
    } else {
        Count::ZERO
    };
    assert_eq!(stem.flops_backward, weight, "{setting}");
    // "Only batch norm behaves differently": the other mode changes only BN statistics.
    let other_mode = Cost {
        mode: cost.mode.next(),
        ..cost.clone()
    };
    let other = cost::costs(net, &other_mode);
    for (a, b) in costs.modules.iter().zip(&other.modules) {
        assert_eq!(
            (
                a.flops_forward,
                a.flops_backward,
                a.saved.values,
                a.saved.indices
            ),
            (
                b.flops_forward,
                b.flops_backward,
                b.saved.values,
                b.saved.indices
            ),
            "{setting}"
        );
    }
}

/// Issue 19: every sentence the module panel and the summary can show, over arch × input size
/// × conv bias × mode × batch × a frozen stem, against the network built or run another way.
#[test]
fn claims_sweep_over_the_network() {
    let start = std::time::Instant::now();
    let sides = [
        (1, 1),
        (8, 8),
        (32, 32),
        (33, 33),
        (64, 48),
        (97, 97),
        (224, 224),
    ];
    for &arch in Arch::ALL {
        for input_hw in sides {
            for conv_bias in [false, true] {
                let net = build(&Config {
                    arch,
                    input_hw,
                    conv_bias,
                    ..Config::default()
                });
                let setting = format!("{} {input_hw:?} bias {conv_bias}", arch.name());
                for i in 0..net.modules.len() {
                    check_module_note(&net, i, &setting);
                }
                let conv1 = net.find("conv1").unwrap();
                for mode in [Mode::Train, Mode::Eval] {
                    for batch in [1, 2] {
                        for frozen in [false, true] {
                            let mut cost = Cost {
                                mode,
                                batch,
                                ..Cost::default()
                            };
                            cost.set_frozen(&net, conv1, frozen);
                            let at = format!("{setting} {mode:?} batch {batch} frozen {frozen}");
                            check_summary_notes(&net, &cost, &at);
                        }
                    }
                }
            }
        }
    }
    assert!(start.elapsed().as_secs() < 10, "{:?}", start.elapsed());
}

/// The guard list names only the two sweeps, and every sentence start it lists is short.
#[test]
fn the_guard_list_names_the_sweeps() {
    for (sentence, test) in GUARDS {
        assert!(matches!(*test, "network" | "panel"), "{sentence}");
        assert!(!sentence.is_empty());
    }
}
