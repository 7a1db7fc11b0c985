//! The notes' own tests; the claims sweeps are in the tab's tests.
use super::*;
use crate::resnet::model::{Arch, Config, build};

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
