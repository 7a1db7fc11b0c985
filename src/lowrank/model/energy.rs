//! Sums of squares that neither overflow nor underflow: ‖X‖²_F, Σσᵢ², ‖X − A*B*‖²_F for any
//! finite X, as numpy's SVD handles a matrix of 1e200 (LAPACK scales such a matrix first).
//!
//! A matrix whose largest entry is beyond 2^±[`SAFE_EXPONENT`] is decomposed as X/s, with s the
//! power of two at its largest entry ([`unit_for`]): dividing by a power of two is exact, and
//! σᵢ(X) = s·σᵢ(X/s). Sums of squares are then kept as `scaled · s²` ([`Energy`]): for entries
//! near 1e200 the value is near 1e400, beyond f64, while its root, its ratios to other sums and
//! its text are not. Inside the range s is 1 and every figure is the plain sum, bit for bit.

use std::cmp::Ordering;
use std::ops::{Div, Mul, Sub};

use ndarray::ArrayView2;

/// Entries up to 2^±300 are used as they are: their squares, summed over up to 2⁴⁰ entries,
/// stay far inside f64's range (2^±1022), and so do faer's own sums of squares.
pub const SAFE_EXPONENT: i32 = 300;

/// The unit s the squares of `x` are taken in: 1 if its largest |entry| is 0 or within
/// 2^±[`SAFE_EXPONENT`] (or not finite: the callers refuse those entries), else the power of
/// two 2^e with 2^e ≤ max|xᵢⱼ| < 2^(e+1).
pub fn unit_for(x: ArrayView2<f64>) -> f64 {
    unit_for_largest(largest_magnitude(x))
}

/// max |xᵢⱼ| (0 for an empty matrix).
pub fn largest_magnitude(x: ArrayView2<f64>) -> f64 {
    x.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

/// [`unit_for`] from the largest |entry|.
pub fn unit_for_largest(largest: f64) -> f64 {
    let low = 2f64.powi(-SAFE_EXPONENT);
    let high = 2f64.powi(SAFE_EXPONENT);
    if !largest.is_finite() || largest == 0.0 || (low..=high).contains(&largest) {
        return 1.0;
    }
    2f64.powi(exponent_of(largest))
}

/// e with 2^e ≤ x < 2^(e+1), for a finite x > 0 (subnormals included).
fn exponent_of(x: f64) -> i32 {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        // Subnormal: value = mantissa · 2⁻¹⁰⁷⁴.
        let mantissa = bits & ((1u64 << 52) - 1);
        63 - mantissa.leading_zeros() as i32 - 1074
    } else {
        biased - 1023
    }
}

/// Σ (x/unit)² over `values` by compensated (Neumaier) summation: relative error ≤ 3ε.
pub fn scaled_sum_of_squares<'a>(values: impl IntoIterator<Item = &'a f64>, unit: f64) -> f64 {
    let mut sum = 0.0f64;
    let mut compensation = 0.0f64;
    for &value in values {
        let term = (value / unit) * (value / unit);
        let t = sum + term;
        if sum.abs() >= term.abs() {
            compensation += (sum - t) + term;
        } else {
            compensation += (term - t) + sum;
        }
        sum = t;
    }
    sum + compensation
}

/// A sum of squares (or a difference of two) held as `scaled · unit²`, `unit` a power of two
/// ([`unit_for`]). Two energies of one matrix share its unit; arithmetic and comparison between
/// energies of different units rescale exactly (by powers of two).
#[derive(Debug, Clone, Copy)]
pub struct Energy {
    scaled: f64,
    unit: f64,
}

impl Energy {
    /// `scaled · unit²`.
    pub const fn new(scaled: f64, unit: f64) -> Self {
        Energy { scaled, unit }
    }

    /// A value in plain units (unit 1).
    pub const fn plain(value: f64) -> Self {
        Energy {
            scaled: value,
            unit: 1.0,
        }
    }

    /// The value in units of `unit²`.
    pub fn scaled(self) -> f64 {
        self.scaled
    }

    /// The unit, a power of two.
    pub fn unit(self) -> f64 {
        self.unit
    }

    /// The value as one f64: ±∞ or 0 where f64 cannot hold it (see [`Energy::representable`]).
    pub fn value(self) -> f64 {
        self.scaled * self.unit * self.unit
    }

    /// The value if f64 holds it: finite and, unless it is exactly 0, normal (not rounded into
    /// the subnormals or to 0). What the JSON writes; `None` is written as null.
    pub fn representable(self) -> Option<f64> {
        let value = self.value();
        (value.is_finite() && (value.is_normal() || self.scaled == 0.0)).then_some(value)
    }

    /// √value = √scaled · unit, for a non-negative energy: a norm, within f64's range whenever
    /// the entries are.
    pub fn root(self) -> f64 {
        self.scaled.max(0.0).sqrt() * self.unit
    }

    /// |self|.
    pub fn abs(self) -> Energy {
        Energy::new(self.scaled.abs(), self.unit)
    }

    /// `other` in self's unit (exact: the units are powers of two).
    fn in_unit_of(self, other: Energy) -> f64 {
        if other.unit == self.unit {
            return other.scaled;
        }
        other.scaled * ((other.unit / self.unit) * (other.unit / self.unit))
    }

    /// `digits` significant digits as [`crate::numfmt::general`] writes them, for values beyond
    /// f64's range too ("7.5380960e400").
    pub fn general(self, digits: usize) -> String {
        match self.representable() {
            Some(value) => crate::numfmt::general(value, digits),
            None => self.scientific(digits),
        }
    }

    /// `decimals` fixed decimals where the value is at least 10⁻³ and below 10¹⁵; otherwise, and
    /// beyond f64's range, scientific with `decimals + 1` significant digits.
    pub fn fixed(self, decimals: usize) -> String {
        match self.representable() {
            Some(value) if value == 0.0 || (1e-3..1e15).contains(&value.abs()) => {
                format!("{value:.decimals$}")
            }
            Some(value) => format!("{value:.decimals$e}"),
            None => self.scientific(decimals + 1),
        }
    }

    /// log10 |value| from the scaled value and the unit's exponent, without forming the value;
    /// `None` for 0 or a non-finite part.
    pub fn log10_abs(self) -> Option<f64> {
        if self.scaled == 0.0 || !self.scaled.is_finite() || !self.unit.is_finite() {
            return None;
        }
        let exponent2 = 2 * exponent_of(self.unit);
        Some(self.scaled.abs().log10() + f64::from(exponent2) * std::f64::consts::LOG10_2)
    }

    /// Scientific notation with `digits` significant digits, as `format!("{:.1e}")` writes it
    /// for 2, for values beyond f64's range too.
    pub fn sci(self, digits: usize) -> String {
        match self.representable() {
            Some(value) => format!("{value:.*e}", digits.saturating_sub(1)),
            None => self.scientific(digits),
        }
    }

    /// Scientific notation from the logarithm, for a value f64 cannot hold.
    fn scientific(self, digits: usize) -> String {
        match self.log10_abs() {
            Some(log10) => {
                let sign = if self.scaled < 0.0 { "-" } else { "" };
                from_log10(sign, log10, digits)
            }
            None if self.scaled == 0.0 => "0".to_string(),
            None => crate::numfmt::sci(self.value(), digits),
        }
    }
}

/// m.mmm…e±d with `digits` significant digits for the number whose log10 is `log10` (the
/// logarithm's rounding, about 10⁻¹³ relative, is far below the last digit shown for up to 11
/// digits).
fn from_log10(sign: &str, log10: f64, digits: usize) -> String {
    let mut decade = log10.floor();
    let precision = digits.saturating_sub(1);
    let mut mantissa = format!("{:.precision$}", 10f64.powf(log10 - decade));
    if mantissa.starts_with("10") {
        decade += 1.0;
        mantissa = format!("{:.precision$}", 1.0);
    }
    format!("{sign}{mantissa}e{decade}")
}

/// The difference, in the left side's unit.
impl Sub for Energy {
    type Output = Energy;

    fn sub(self, other: Energy) -> Energy {
        Energy::new(self.scaled - self.in_unit_of(other), self.unit)
    }
}

/// The ratio of two energies (a plain number); 0 when the numerator is 0.
impl Div for Energy {
    type Output = f64;

    fn div(self, other: Energy) -> f64 {
        if self.scaled == 0.0 {
            return 0.0;
        }
        self.scaled / self.in_unit_of(other)
    }
}

/// A multiple of an energy.
impl Mul<Energy> for f64 {
    type Output = Energy;

    fn mul(self, energy: Energy) -> Energy {
        Energy::new(self * energy.scaled, energy.unit)
    }
}

impl PartialEq for Energy {
    fn eq(&self, other: &Energy) -> bool {
        self.partial_cmp(other) == Some(Ordering::Equal)
    }
}

/// By value, whatever the units.
impl PartialOrd for Energy {
    fn partial_cmp(&self, other: &Energy) -> Option<Ordering> {
        self.scaled.partial_cmp(&self.in_unit_of(*other))
    }
}

/// The value as f64 writes it where f64 holds it, else in scientific notation.
impl std::fmt::Display for Energy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.representable() {
            Some(value) => write!(f, "{value}"),
            None => f.write_str(&self.scientific(17)),
        }
    }
}
