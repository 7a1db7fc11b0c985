//! A count that is exact or known to be too large: parameters, elements, MACs, FLOPs and bytes
//! are added and multiplied in `u128` with checked arithmetic, so a figure is never a wrong
//! number. At the largest inputs the command line accepts every count is exact, 18 decimal
//! orders below the limit (see [`super::cost::MAX_BATCH`]); `Overflow` is what a count built
//! from larger values becomes (the model's functions take any `u64`).

use std::fmt;
use std::iter::{Product, Sum};
use std::ops::{Add, AddAssign, Mul};

use serde::{Serialize, Serializer};

/// A whole count: exact up to `u128::MAX`, or [`Count::Overflow`] past it. Every exact count
/// orders below `Overflow`, so a column sorted largest first puts an overflowed row on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Count {
    Exact(u128),
    /// At least 2¹²⁸: too large to hold. Shown as "overflow"; `null` in JSON.
    Overflow,
}

impl Count {
    pub const ZERO: Count = Count::Exact(0);

    /// How an overflowed count is shown.
    pub const OVERFLOW_TEXT: &'static str = "overflow";

    /// The exact value, `None` when it overflowed.
    pub fn exact(self) -> Option<u128> {
        match self {
            Count::Exact(n) => Some(n),
            Count::Overflow => None,
        }
    }

    pub fn is_zero(self) -> bool {
        self == Count::ZERO
    }

    pub fn is_overflow(self) -> bool {
        self == Count::Overflow
    }

    /// `self − rhs` when both are exact and `rhs ≤ self`; `None` otherwise.
    pub fn checked_sub(self, rhs: Count) -> Option<Count> {
        self.exact()?.checked_sub(rhs.exact()?).map(Count::Exact)
    }

    /// `self / whole` as a float, 0 for a whole of 0; `None` when either overflowed.
    pub fn share_of(self, whole: Count) -> Option<f64> {
        let (part, whole) = (self.exact()?, whole.exact()?);
        Some(if whole == 0 {
            0.0
        } else {
            part as f64 / whole as f64
        })
    }

    /// With thousands separators, `11,689,512`, or "overflow".
    pub fn grouped(self) -> String {
        self.exact().map_or_else(
            || Count::OVERFLOW_TEXT.to_string(),
            crate::numfmt::group_thousands,
        )
    }

    /// Compact, `11.7M`, or "overflow".
    pub fn compact(self) -> String {
        self.exact()
            .map_or_else(|| Count::OVERFLOW_TEXT.to_string(), crate::numfmt::compact)
    }
}

impl Default for Count {
    fn default() -> Self {
        Count::ZERO
    }
}

impl From<u64> for Count {
    fn from(n: u64) -> Self {
        Count::Exact(u128::from(n))
    }
}

impl From<usize> for Count {
    fn from(n: usize) -> Self {
        // usize is at most 64 bits on every target Rust supports.
        u128::try_from(n).map_or(Count::Overflow, Count::Exact)
    }
}

impl Add for Count {
    type Output = Count;

    fn add(self, rhs: Count) -> Count {
        match (self, rhs) {
            (Count::Exact(a), Count::Exact(b)) => {
                a.checked_add(b).map_or(Count::Overflow, Count::Exact)
            }
            _ => Count::Overflow,
        }
    }
}

impl AddAssign for Count {
    fn add_assign(&mut self, rhs: Count) {
        *self = *self + rhs;
    }
}

impl Mul for Count {
    type Output = Count;

    /// Zero times anything is exactly zero, an overflowed count included.
    fn mul(self, rhs: Count) -> Count {
        match (self, rhs) {
            (Count::Exact(0), _) | (_, Count::Exact(0)) => Count::ZERO,
            (Count::Exact(a), Count::Exact(b)) => {
                a.checked_mul(b).map_or(Count::Overflow, Count::Exact)
            }
            _ => Count::Overflow,
        }
    }
}

impl Mul<u64> for Count {
    type Output = Count;

    fn mul(self, rhs: u64) -> Count {
        self * Count::from(rhs)
    }
}

impl Mul<Count> for u64 {
    type Output = Count;

    fn mul(self, rhs: Count) -> Count {
        Count::from(self) * rhs
    }
}

/// A count equals a plain number when it is exactly that number.
impl PartialEq<u64> for Count {
    fn eq(&self, other: &u64) -> bool {
        *self == Count::from(*other)
    }
}

impl PartialEq<Count> for u64 {
    fn eq(&self, other: &Count) -> bool {
        other == self
    }
}

impl Sum for Count {
    fn sum<I: Iterator<Item = Count>>(iter: I) -> Count {
        iter.fold(Count::ZERO, Add::add)
    }
}

impl Product for Count {
    fn product<I: Iterator<Item = Count>>(iter: I) -> Count {
        iter.fold(Count::Exact(1), Mul::mul)
    }
}

/// The exact digits, or "overflow".
impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Count::Exact(n) => write!(f, "{n}"),
            Count::Overflow => f.write_str(Count::OVERFLOW_TEXT),
        }
    }
}

/// An exact count is a JSON integer with every digit (serde_json writes a `u128` exactly, past
/// 2⁵³ and 2⁶⁴ too); an overflowed one is `null`.
impl Serialize for Count {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self {
            Count::Exact(n) => match u64::try_from(n) {
                Ok(small) => serializer.serialize_u64(small),
                Err(_) => serializer.serialize_u128(n),
            },
            Count::Overflow => serializer.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_is_exact_or_overflow() {
        let max = Count::Exact(u128::MAX);
        assert_eq!(max + Count::ZERO, max);
        assert_eq!(max + Count::Exact(1), Count::Overflow);
        assert_eq!(max * 1, max);
        assert_eq!(max * 2, Count::Overflow);
        assert_eq!(Count::Overflow * Count::ZERO, Count::ZERO);
        assert_eq!(Count::Overflow + Count::ZERO, Count::Overflow);
        // 2⁶⁴ · 2⁶³ fits; 2⁶⁴ · 2⁶⁴ does not.
        let two64 = Count::from(u64::MAX) + Count::Exact(1);
        assert_eq!(two64 * (1u64 << 63), Count::Exact(1u128 << 127));
        assert_eq!(two64 * two64, Count::Overflow);
        let total: Count = [Count::from(3u64), Count::from(4u64)].into_iter().sum();
        assert_eq!(total, Count::Exact(7));
        assert_eq!(Count::from(5u64).checked_sub(Count::from(7u64)), None);
        assert_eq!(Count::Overflow.checked_sub(Count::ZERO), None);
        assert!(Count::Exact(u128::MAX) < Count::Overflow);
    }

    #[test]
    fn shown_exactly_or_as_overflow() {
        let big = Count::Exact(30_792_772_124_672_000_000);
        assert_eq!(big.to_string(), "30792772124672000000");
        assert_eq!(big.grouped(), "30,792,772,124,672,000,000");
        assert_eq!(Count::Overflow.grouped(), "overflow");
        assert_eq!(Count::Overflow.compact(), "overflow");
        assert_eq!(Count::Overflow.to_string(), "overflow");
        assert_eq!(Count::Overflow.share_of(Count::from(2u64)), None);
        assert_eq!(Count::from(1u64).share_of(Count::ZERO), Some(0.0));
    }

    #[test]
    fn json_integers_keep_every_digit() {
        let counts = [
            Count::Exact(u128::MAX),
            Count::Exact(30_792_772_124_672_000_000),
            Count::from(u64::MAX),
            Count::Exact((1 << 53) + 1),
            Count::Overflow,
        ];
        let text = serde_json::to_string(&counts).unwrap();
        assert_eq!(
            text,
            "[340282366920938463463374607431768211455,30792772124672000000,\
             18446744073709551615,9007199254740993,null]"
        );
        // And they read back exactly.
        let back: Vec<Option<u128>> = serde_json::from_str(&text).unwrap();
        let exact: Vec<Option<u128>> = counts.iter().map(|c| c.exact()).collect();
        assert_eq!(back, exact);
    }
}
