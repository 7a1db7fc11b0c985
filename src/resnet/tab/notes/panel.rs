//! The batch-norm panel's prose: each sentence chosen from the figures beside it.

use super::ROUNDING;
use crate::numfmt::{general, percent};
use crate::resnet::model::Mode;
use crate::resnet::model::bn_live::{self, Live, SpreadFacts};

/// The batch-norm panel: which statistics normalise in `mode`; `marker` is the glyph beside
/// the rows it names.
pub fn bn_live_normalises(mode: Mode, marker: &str) -> String {
    match mode {
        Mode::Train => format!(
            "{marker} Train mode normalises each channel with this batch's own μ_B and biased σ²_B, \
             then updates the running statistics."
        ),
        Mode::Eval => format!(
            "{marker} Eval mode normalises with running_mean and running_var; the batch's own \
             statistics are not used."
        ),
    }
}

/// The batch-norm panel: the running-statistics update for `count` = N·H·W values per channel.
pub fn bn_live_update(count: usize) -> String {
    let m = bn_live::MOMENTUM;
    format!(
        "Update, momentum {m}: after = {keep}·before + {m}·batch; running_var takes the \
         unbiased σ²_B·n/(n−1), here n/(n−1) = {count}/{less}.",
        keep = 1.0 - m,
        less = count.saturating_sub(1)
    )
}

/// The batch-norm panel in eval mode: why the next-batch key feeds no batch; `mode_key`
/// switches to train mode.
pub fn bn_live_eval_feeds(mode_key: &str) -> String {
    format!(
        "In eval mode a batch leaves running_mean, running_var and num_batches_tracked as they \
         are: batches are fed in train mode ({mode_key})."
    )
}

/// The batch-norm panel: what the spread table shows (`largest`: its largest batch size;
/// `smaller_key` steps the panel's batch down); the sentences on how the spread falls only
/// where `facts` say it does.
pub fn bn_live_spread(
    batches: usize,
    largest: usize,
    smaller_key: &str,
    facts: SpreadFacts,
) -> String {
    let here = match (facts.mean_falls, facts.smallest_at_largest) {
        (true, true) => format!(
            " Small batches give noisy statistics: here the spread of μ_B falls at every \
             larger N, and both spreads are smallest at N = {largest}."
        ),
        (true, false) => " Here the spread of μ_B falls at every larger N.".to_string(),
        (false, true) => format!(" Here both spreads are smallest at N = {largest}."),
        (false, false) => String::new(),
    };
    format!(
        "Each row: the standard deviation, over {batches} batches of N fresh patches, of one \
         channel's μ_B or σ²_B.{here} One 1×1 patch ({smaller_key} to the end) leaves one \
         value per channel."
    )
}

/// The batch-norm panel's keys its bias sentences name: `feed` feeds a batch (`None` when it
/// cannot now), `mode` switches the mode.
pub struct BiasKeys<'a> {
    pub feed: Option<&'a str>,
    pub mode: &'a str,
}

/// The batch-norm panel: what the conv bias does, each sentence only where the figures of
/// `live` show it; `mode` is the tab's.
pub fn bn_live_bias(live: &Live, conv_bias: bool, mode: Mode, keys: &BiasKeys) -> Vec<String> {
    let mut out = Vec::new();
    let b = &live.bias;
    out.push(if b.train_max_difference <= ROUNDING {
        "Train mode: b moves every value and μ_B alike, so it cancels; the largest difference \
         is rounding."
            .to_string()
    } else {
        format!(
            "Train mode: the outputs with and without b differ by up to {}.",
            general(b.train_max_difference, 3)
        )
    });
    let k = live.model.num_batches_tracked;
    let batches = if k == 1 { "batch" } else { "batches" };
    let unit_gamma = live.model.gamma.iter().all(|&g| g == 1.0);
    if b.eval_prediction_error <= ROUNDING {
        let action = if conv_bias {
            "taking b out of this layer"
        } else {
            "putting b into this layer"
        };
        let gamma = if unit_gamma {
            " (γ = 1: BN's initial scale)"
        } else {
            ""
        };
        out.push(format!(
            "Eval mode, same stats: {action} after its {k} {batches} moves the output by \
             b·γ/√(running_var+ε) per channel{gamma}."
        ));
    }
    let s = &live.from_start;
    // Rounding is judged against the whole shift, which 0.9^k only scales down.
    let scale = b
        .predicted_shift
        .iter()
        .fold(1.0, |m: f64, x| m.max(x.abs()));
    if s.prediction_error <= ROUNDING * scale {
        out.push(format!(
            "Eval mode, own stats: trained with b on the same {k} {batches} as a layer \
             without (the panel with b on and off), running_mean has taken in \
             (1−0.9^{k})·b = {}·b, so the two differ by only 0.9^{k}·b·γ/√(running_var+ε), \
             {} of the whole shift.",
            general(1.0 - s.remaining, 4),
            percent(s.remaining, 1)
        ));
        let shrinks = match (mode, keys.feed) {
            (Mode::Train, Some(key)) => {
                format!(
                    " Each batch fed ({key}) multiplies 0.9^{k}·b, the part of b that running_mean has not taken in, by 0.9."
                )
            }
            (Mode::Eval, _) if k < bn_live_max_steps() => format!(
                " Each batch fed in train mode ({}) multiplies 0.9^{k}·b, the part of b that running_mean has not taken in, by 0.9.",
                keys.mode
            ),
            _ => String::new(),
        };
        if let Some(own) = out.last_mut() {
            own.push_str(&shrinks);
        }
    }
    out
}

/// The most batches the panel feeds (the tab's limit, read here so the notes stay pure).
fn bn_live_max_steps() -> u64 {
    crate::resnet::tab::bn_live::MAX_STEPS as u64
}

/// The batch-norm panel: where the conv bias b of the bias rows comes from.
pub fn bn_live_bias_source(conv_bias: bool) -> &'static str {
    if conv_bias {
        "b is on: this is the conv's own bias."
    } else {
        "b is off: this is the seeded b that b on gives the conv."
    }
}

/// The batch-norm panel when PyTorch refuses the batch (one value per channel).
pub const BN_LIVE_REFUSED: &str = "A variance needs two values, and train mode has one per \
     channel: PyTorch raises before touching the running statistics, so nothing is updated. \
     Eval mode needs no batch statistics and runs the same batch; with the fresh layer's \
     running statistics (mean 0, var 1) its BN output per channel is:";
