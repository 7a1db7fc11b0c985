//! Number formatting shared by the tabs and the headless reports, so a figure reads the same
//! on screen and in a summary. Non-finite values never print as numbers.

/// `12345678` -> `"12,345,678"`, every digit of any unsigned count up to `u128::MAX`.
pub fn group_thousands(n: impl Into<u128>) -> String {
    let digits = n.into().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A compact human count: `11.7M`, `1.81G`, `512`, `9.4k`.
pub fn compact(n: impl Into<u128>) -> String {
    const UNITS: [(f64, &str); 4] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")];
    let n = n.into();
    let x = n as f64;
    for (scale, unit) in UNITS {
        if x >= scale {
            let v = x / scale;
            return if v >= 100.0 {
                format!("{v:.0}{unit}")
            } else if v >= 10.0 {
                format!("{v:.1}{unit}")
            } else {
                format!("{v:.2}{unit}")
            };
        }
    }
    n.to_string()
}

/// Scientific notation with `digits` significant digits: `1.23e-4`; `"inf"`, `"-inf"`, `"NaN"`
/// spelled out so they are never mistaken for numbers.
pub fn sci(x: f64, digits: usize) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    format!("{:.*e}", digits.saturating_sub(1), x)
}

/// A setting echoed back exactly as it is stored, in its shortest form that reads back the
/// same: "0.1", "2", "1e308", "1e-7" (never the 309 digits of 1e308 that `{}` writes).
pub fn setting(x: f64) -> String {
    if x == 0.0 || !x.is_finite() || (1e-4..1e16).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:?}")
    }
}

/// A readable general number: plain for moderate magnitudes, scientific otherwise.
pub fn general(x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return sci(x, digits);
    }
    let a = x.abs();
    if a == 0.0 {
        return "0".into();
    }
    if (1e-3..1e6).contains(&a) {
        let int_digits = a.log10().floor() as i64 + 1;
        let decimals = (digits as i64 - int_digits).clamp(0, 12) as usize;
        format!("{x:.decimals$}")
    } else {
        sci(x, digits)
    }
}

/// A percentage of a fraction: `0.1234` -> `"12.3%"`.
pub fn percent(fraction: f64, decimals: usize) -> String {
    if !fraction.is_finite() {
        return sci(fraction, 3);
    }
    format!("{:.*}%", decimals, fraction * 100.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn settings_read_back_exactly_and_stay_short() {
        for (x, want) in [
            (1e308, "1e308"),
            (0.1, "0.1"),
            (2.0, "2"),
            (1e-7, "1e-7"),
            (-2.5e-9, "-2.5e-9"),
            (0.0, "0"),
            (123456.75, "123456.75"),
        ] {
            assert_eq!(setting(x), want);
            assert_eq!(setting(x).parse::<f64>(), Ok(x));
        }
    }

    use super::*;

    #[test]
    fn thousands() {
        assert_eq!(group_thousands(0u64), "0");
        assert_eq!(group_thousands(999u64), "999");
        assert_eq!(group_thousands(1000u64), "1,000");
        assert_eq!(group_thousands(11_689_512u64), "11,689,512");
        assert_eq!(group_thousands(u64::MAX), "18,446,744,073,709,551,615");
        assert_eq!(
            group_thousands(u128::MAX),
            "340,282,366,920,938,463,463,374,607,431,768,211,455"
        );
    }

    #[test]
    fn compact_counts() {
        assert_eq!(compact(512u64), "512");
        assert_eq!(compact(9_408u64), "9.41k");
        assert_eq!(compact(11_689_512u64), "11.7M");
        assert_eq!(compact(1_814_073_344u64), "1.81G");
        assert_eq!(compact(u64::MAX), "18446744T");
    }

    #[test]
    fn non_finite_is_spelled_out() {
        assert_eq!(sci(f64::NAN, 3), "NaN");
        assert_eq!(sci(f64::INFINITY, 3), "inf");
        assert_eq!(general(f64::NEG_INFINITY, 3), "-inf");
        assert_eq!(sci(0.000123456, 3), "1.23e-4");
        assert_eq!(general(12.3456, 4), "12.35");
        assert_eq!(general(1.5e-7, 3), "1.50e-7");
        assert_eq!(percent(0.12345, 1), "12.3%");
    }
}
