//! Element-wise e^x, tanh and σ written without calls into libm, so that a loop over a slice
//! vectorises; within a few ulp of `f64::exp` / `f64::tanh` (tested against them below).
//!
//! They are the hot spot of back-propagation through time after the matrix products: an LSTM
//! step evaluates 5H of them per sequence. NaN stays NaN, ±inf go to their limits.
//!
//! There is a second reason not to call libm here. Its x86-64 `exp` and `tanh` mix legacy SSE
//! and AVX code, and faer's matrix kernels leave the upper halves of the vector registers in
//! use; on the 2-core AMD EPYC (family 25) we measure on, every libm call after one faer
//! product then pays for the switch: 256,000 calls to `f64::exp` took 2.3 ms before a product
//! and 39 ms after it. The RNN tab and the training lab call these instead.

/// ln 2 split in a high part with trailing zero bits and a low part (Cody–Waite), as in fdlibm.
const LN2_HI: f64 = 0.693_147_180_369_123_8;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
/// 1.5·2^52: adding it rounds a float of magnitude < 2^51 to an integer held in the low bits.
const ROUND_MAGIC: f64 = 6_755_399_441_055_744.0;
/// Above this e^x overflows f64.
const EXP_MAX: f64 = 709.782_712_893_384;
/// Below this the result is flushed to 0 (e^−708 ≈ 3.3e−308 is just above the subnormals,
/// and keeps 2^(k−1) below a normal number).
const EXP_MIN: f64 = -708.0;

/// 1/k! for k = 0 … 14.
const INV_FACTORIAL: [f64; 15] = [
    1.0,
    1.0,
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
    1.0 / 87_178_291_200.0,
];

/// e^r − 1 = Σ_{k=1}^{13} r^k/k!; the truncation is below 2^−56 relative for |r| ≤ ln2/2.
/// Written as r·(E(r²) + r·O(r²)), E with the odd k and O with the even k, so two Horner
/// chains of six steps run side by side instead of one of twelve (the loops over a slice are
/// bound by that chain's latency).
#[inline(always)]
fn expm1_taylor(r: f64) -> f64 {
    let s = r * r;
    let mut even = INV_FACTORIAL[13];
    let mut odd = INV_FACTORIAL[12];
    for k in (1..6).rev() {
        even = even * s + INV_FACTORIAL[2 * k + 1];
        odd = odd * s + INV_FACTORIAL[2 * k];
    }
    even = even * s + INV_FACTORIAL[1];
    (even + r * odd) * r
}

/// Splits x = k ln 2 + r with |r| ≤ ln2/2 (Cody–Waite) and returns (2^(k−1), e^r − 1);
/// valid for x in [EXP_MIN, EXP_MAX], where 2^(k−1) is a normal number.
#[inline(always)]
fn reduce(x: f64) -> (f64, f64) {
    let shifted = x * std::f64::consts::LOG2_E + ROUND_MAGIC;
    let k = shifted - ROUND_MAGIC;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // The low bits of `shifted` hold k as a two's-complement integer.
    let k_int = shifted.to_bits().wrapping_sub(ROUND_MAGIC.to_bits());
    // k ≤ 1024 here, so 2^k is built as 2^(k−1) (times 2 by the caller).
    let half_scale = f64::from_bits(k_int.wrapping_add(1022) << 52);
    (half_scale, expm1_taylor(r))
}

/// e^x = 2^k (1 + (e^r − 1)). Returns +inf above ln(f64::MAX) and 0 below −708.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    let (half_scale, p) = reduce(x.clamp(EXP_MIN, EXP_MAX));
    let y = (1.0 + p) * half_scale * 2.0;
    if x.is_nan() {
        x
    } else if x > EXP_MAX {
        f64::INFINITY
    } else if x < EXP_MIN {
        0.0
    } else {
        y
    }
}

/// tanh x = e/(e + 2) with e = e^{2|x|} − 1 = 2^k (e^r − 1) + (2^k − 1), which has no
/// cancellation (k ≥ 0, and k = 0 leaves the Taylor series of e^r − 1 alone), and the sign of x.
#[inline(always)]
pub fn tanh(x: f64) -> f64 {
    // tanh |x| rounds to 1 beyond 22.
    let a = x.abs().min(22.0);
    let (half_scale, p) = reduce(2.0 * a);
    let scale = half_scale * 2.0;
    let e = scale * p + (scale - 1.0);
    let t = (e / (e + 2.0)).copysign(x);
    if x.is_nan() { x } else { t }
}

/// σ(x) = 1/(1 + e^{−x}).
#[inline(always)]
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + exp(-x))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// |a − b| in units of the spacing of f64 near b.
    fn ulps(a: f64, b: f64) -> f64 {
        if a == b {
            return 0.0;
        }
        let spacing = if b == 0.0 {
            f64::MIN_POSITIVE
        } else {
            b.abs() * f64::EPSILON
        };
        (a - b).abs() / spacing
    }

    /// Deterministic points spread over [lo, hi] with irregular spacing.
    fn points(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f64> {
        (0..n).map(move |i| {
            let u = ((i as f64 * 0.618_033_988_749_895) % 1.0 + i as f64 / n as f64) / 2.0;
            lo + (hi - lo) * u
        })
    }

    #[test]
    fn exp_is_within_two_ulp_of_std() {
        let mut worst = 0.0_f64;
        for x in points(-708.0, 709.7, 200_000).chain(points(-1.0, 1.0, 50_000)) {
            worst = worst.max(ulps(exp(x), x.exp()));
        }
        assert!(worst <= 2.0, "worst {worst} ulp");
    }

    #[test]
    fn tanh_is_within_four_ulp_of_std() {
        let mut worst = 0.0_f64;
        for x in points(-25.0, 25.0, 200_000)
            .chain(points(-0.3, 0.3, 50_000))
            .chain(points(1e-12, 1e-6, 1000))
        {
            worst = worst.max(ulps(tanh(x), x.tanh()));
        }
        assert!(worst <= 4.0, "worst {worst} ulp");
    }

    #[test]
    fn sigmoid_is_within_four_ulp_of_the_std_formula() {
        let mut worst = 0.0_f64;
        for x in points(-700.0, 40.0, 200_000).chain(points(-2.0, 2.0, 50_000)) {
            worst = worst.max(ulps(sigmoid(x), 1.0 / (1.0 + (-x).exp())));
        }
        assert!(worst <= 4.0, "worst {worst} ulp");
    }

    #[test]
    fn special_values() {
        assert!(exp(f64::NAN).is_nan() && tanh(f64::NAN).is_nan() && sigmoid(f64::NAN).is_nan());
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(710.0), f64::INFINITY);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(tanh(f64::INFINITY), 1.0);
        assert_eq!(tanh(f64::NEG_INFINITY), -1.0);
        assert_eq!(tanh(1e300), 1.0);
        assert_eq!(tanh(0.0), 0.0);
        assert!(tanh(-0.0).is_sign_negative());
        assert_eq!(tanh(1e-300), 1e-300);
        assert_eq!(sigmoid(f64::INFINITY), 1.0);
        assert_eq!(sigmoid(f64::NEG_INFINITY), 0.0);
        assert_eq!(sigmoid(0.0), 0.5);
    }
}
