//! The one text layer: word wrap, fit-to-width with an ellipsis, the Unicode → ASCII spelling
//! and numbers shortened to fit. Every tab, the help overlay and the headless summaries use
//! these, so text is cut and spelled the same way everywhere.
//!
//! Widths are display columns (`unicode-width`), not bytes or chars.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// A file's name as it may be printed: control characters (an escape that would clear the
/// screen or colour the terminal, a newline that would forge a second line) are written as
/// `\x1b`, `\n` and so on, and bytes that are not UTF-8 as U+FFFD. Every path the app or a
/// headless command prints goes through this.
pub fn shown_path(path: &std::path::Path) -> String {
    let raw = path.to_string_lossy();
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The display width of `text` in terminal columns.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// The mark that ends a word cut by [`wrap`] because it is longer than the line.
pub const CUT_MARK: char = '-';

/// Splits `text` into lines of at most `width` columns at spaces. A word longer than the width
/// is cut into pieces that end in [`CUT_MARK`], so the cut is visible. Explicit newlines start
/// new lines. An empty text gives one empty line; a zero width gives no lines.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    if width == 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_w = 0;
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let word_w = self::width(word);
            let sep = usize::from(!line.is_empty());
            if line_w + sep + word_w <= width {
                if sep == 1 {
                    line.push(' ');
                }
                line.push_str(word);
                line_w += sep + word_w;
                continue;
            }
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            if word_w <= width {
                line.push_str(word);
                line_w = word_w;
                continue;
            }
            // A word longer than the line: pieces of width − 1 columns, each with the mark.
            let mut rest = word;
            while self::width(rest) > width {
                let (head, tail) = split_at_width(rest, width.saturating_sub(1).max(1));
                if width == 1 {
                    out.push(head.to_string());
                } else {
                    out.push(format!("{head}{CUT_MARK}"));
                }
                rest = tail;
            }
            line.push_str(rest);
            line_w = self::width(rest);
        }
        out.push(line);
    }
    out
}

/// Splits `text` after at most `cols` columns (at least one character when `cols` > 0).
fn split_at_width(text: &str, cols: usize) -> (&str, &str) {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > cols && i > 0 {
            return text.split_at(i);
        }
        used += w;
    }
    (text, "")
}

/// `text` in `width` columns keeping its numbers: words without a digit are dropped from the
/// end (never the first), each run of dropped words marked with an ellipsis, until it fits;
/// only if that is not enough is it cut as `fit` cuts. For progress labels, where the
/// percentage matters most ("all σ: … 40 %…" rather than "all σ: bidiagona…").
pub fn fit_keeping_numbers(text: &str, width: usize, unicode: bool) -> String {
    if self::width(text) <= width {
        return text.to_string();
    }
    let mark = if unicode { "…" } else { "..." };
    let words: Vec<&str> = text.split(' ').collect();
    let numeric = |w: &str| w.chars().any(|c| c.is_ascii_digit()) || w.starts_with('%');
    let mut keep = vec![true; words.len()];
    for i in (1..words.len()).rev() {
        if numeric(words[i]) {
            continue;
        }
        keep[i] = false;
        let mut parts: Vec<&str> = Vec::new();
        for (j, w) in words.iter().enumerate() {
            if keep[j] {
                parts.push(w);
            } else if j == 0 || keep[j - 1] {
                parts.push(mark);
            }
        }
        let candidate = parts.join(" ");
        if self::width(&candidate) <= width {
            return candidate;
        }
    }
    fit(text, width, unicode)
}

/// `text` if it fits in `width` columns, else its start and an ellipsis (`…`, or `...` when
/// `unicode` is false) in exactly `width` columns or fewer.
pub fn fit(text: &str, width: usize, unicode: bool) -> String {
    if self::width(text) <= width {
        return text.to_string();
    }
    let mark = if unicode { "…" } else { "..." };
    let mark_w = self::width(mark);
    if width < mark_w {
        return ".".repeat(width);
    }
    let (head, tail) = split_at_width(text, width - mark_w);
    // split_at_width keeps at least one char; a double-width first char may not fit.
    let head = if self::width(head) > width - mark_w {
        ""
    } else {
        head
    };
    // Never the first digits of a number: a cut inside one drops the whole number.
    let numeric = |c: char| c.is_ascii_digit() || c == '.' || c == ',';
    let head = if tail.starts_with(numeric) && head.ends_with(numeric) {
        head.trim_end_matches(numeric)
    } else {
        head
    };
    format!("{}{mark}", head.trim_end())
}

/// `text` if it fits in `width` columns, else an ellipsis and its END in `width` columns or
/// fewer: for labels whose last words matter most (`…layer4.1.conv2 + bn2`).
pub fn fit_start(text: &str, width: usize, unicode: bool) -> String {
    if self::width(text) <= width {
        return text.to_string();
    }
    let mark = if unicode { "…" } else { "..." };
    let mark_w = self::width(mark);
    if width < mark_w {
        return ".".repeat(width);
    }
    let keep = width - mark_w;
    // The longest tail that fits, by display width.
    let mut start = text.len();
    let mut used = 0;
    for (i, c) in text.char_indices().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > keep {
            break;
        }
        used += w;
        start = i;
    }
    format!("{mark}{}", &text[start..])
}

/// The same text in plain ASCII, for terminals without UTF-8 and the C locale: mathematical
/// symbols spelled out (`‖` as `||`, `σ` as `sigma`, `∇` as `grad`), anything unknown as `?`.
/// A Greek letter spelled as a word and followed by a letter, digit, `(` or another Greek letter
/// gets a `*`, so `λx` reads `lambda*x`, not `lambdax`.
pub fn ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        let (s, word) = spell(c);
        out.push_str(s);
        if word
            && let Some(&next) = chars.peek()
            && (next.is_ascii_alphanumeric() || next == '(' || spell(next).1)
        {
            out.push('*');
        }
    }
    out
}

/// The ASCII spelling of one non-ASCII character, and whether it is a spelled-out word.
fn spell(c: char) -> (&'static str, bool) {
    let word = |s| (s, true);
    let sym = |s| (s, false);
    match c {
        'α' => word("alpha"),
        'β' => word("beta"),
        'γ' => word("gamma"),
        'δ' | 'Δ' => word("delta"),
        'ε' => word("eps"),
        'η' => word("eta"),
        'θ' => word("theta"),
        'λ' => word("lambda"),
        'μ' => word("mu"),
        'ρ' => word("rho"),
        'σ' => word("sigma"),
        'Σ' => word("sum"),
        'Π' | '∏' => word("prod"),
        'τ' => word("tau"),
        'φ' => word("phi"),
        'ψ' => word("psi"),
        'ω' => word("omega"),
        '‖' => sym("||"),
        '×' => sym("x"),
        '·' | '•' | '∙' => sym("*"),
        '−' | '–' | '—' | '─' | '━' | '‐' => sym("-"),
        '│' | '┃' => sym("|"),
        '├' => sym("|-"),
        '└' => sym("`-"),
        '→' => sym("->"),
        '←' => sym("<-"),
        '↑' => sym("^"),
        '↓' => sym("v"),
        '≈' => sym("~"),
        '∝' => sym("~"),
        '≤' => sym("<="),
        '≥' => sym(">="),
        '≠' => sym("!="),
        '≪' => sym("<<"),
        '≫' => sym(">>"),
        '±' => sym("+/-"),
        '∞' => sym("inf"),
        '⟨' => sym("<"),
        '⟩' => sym(">"),
        '∇' => sym("grad "),
        '∂' => sym("d"),
        '√' => sym("sqrt"),
        '∈' => sym(" in "),
        '∘' => sym("o"),
        '⊙' => sym("(*)"),
        'ℓ' => sym("l"),
        'ᵢ' => sym("_i"),
        'ₜ' => sym("_t"),
        'ᵀ' => sym("^T"),
        '⁻' => sym("^-"),
        '¹' => sym("1"),
        '²' => sym("^2"),
        '³' => sym("^3"),
        '½' => sym("1/2"),
        '₀' => sym("0"),
        '₁' => sym("1"),
        '₂' => sym("2"),
        '₃' => sym("3"),
        '₄' => sym("4"),
        '₅' => sym("5"),
        '…' => sym("..."),
        '✓' => sym("ok"),
        '✗' => sym("X"),
        '°' => sym(" deg"),
        '’' | '‘' => sym("'"),
        '“' | '”' => sym("\""),
        _ => sym("?"),
    }
}

/// `text` as the glyph set can show it: unchanged when `unicode`, else [`ascii`].
pub fn spelled(text: &str, unicode: bool) -> std::borrow::Cow<'_, str> {
    if unicode || text.is_ascii() {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(ascii(text))
    }
}

/// A number in at most `width` columns: scientific notation with as many significant digits
/// (up to `digits`) as fit, plain notation where that is shorter and exact to those digits.
/// Never the first characters of a longer form: when not even one significant digit fits, the
/// result is `#` marks (like a spreadsheet), so nobody reads a wrong number.
pub fn fit_number(x: f64, digits: usize, width: usize) -> String {
    if !x.is_finite() {
        let s = crate::numfmt::sci(x, 1);
        return if self::width(&s) <= width {
            s
        } else {
            "#".repeat(width)
        };
    }
    for d in (1..=digits.max(1)).rev() {
        let general = crate::numfmt::general(x, d);
        if self::width(&general) <= width {
            return general;
        }
        let sci = crate::numfmt::sci(x, d);
        if self::width(&sci) <= width {
            return sci;
        }
    }
    "#".repeat(width)
}

#[cfg(test)]
mod tests {
    #[test]
    fn progress_labels_keep_their_numbers() {
        let label = "all σ: bidiagonal form 40 %…";
        assert_eq!(fit_keeping_numbers(label, 40, true), label);
        assert_eq!(
            fit_keeping_numbers(label, 25, true),
            "all σ: bidiagonal … 40 %…"
        );
        assert_eq!(fit_keeping_numbers(label, 15, true), "all σ: … 40 %…");
        let first = "first view: power iteration 3 (40 %), camera…";
        let short = fit_keeping_numbers(first, 30, false);
        assert!(
            short.contains("3 (40 %),") && self::width(&short) <= 30,
            "{short}"
        );
        // No room even for the numbers: cut as `fit` cuts.
        assert_eq!(fit_keeping_numbers(label, 6, true), fit(label, 6, true));
    }

    #[test]
    fn shown_paths_escape_control_characters() {
        let p = std::path::Path::new("evil\x1b[2J\x1b[31mX\nsecond\u{9b}line");
        let shown = shown_path(p);
        assert_eq!(shown, "evil\\x1b[2J\\x1b[31mX\\nsecond\\x9bline");
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert_eq!(
            shown_path(std::path::Path::new("data/cat é.png")),
            "data/cat é.png"
        );
    }

    use super::*;

    #[test]
    fn wrap_keeps_words_and_marks_cuts() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("short", 20), vec!["short"]);
        assert_eq!(wrap("", 5), vec![""]);
        assert_eq!(wrap("a\nb", 5), vec!["a", "b"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abc-", "def-", "ghij"]);
        assert_eq!(wrap("x abcdefgh", 4), vec!["x", "abc-", "def-", "gh"]);
        assert!(wrap("anything", 0).is_empty());
        for w in 1..12 {
            for line in wrap("‖∂ℓ/∂h_t‖ superlongwordwithoutspaces and more", w) {
                assert!(width(&line) <= w, "{line:?} wider than {w}");
            }
        }
    }

    #[test]
    fn wrap_loses_no_characters() {
        let text = "the gradient ‖∂ℓ/∂c_t‖ reaches 2.465e-161 at t = 0 abcdefghijklmnopqrstuvwxyz";
        for w in 2..30 {
            let joined: String = wrap(text, w)
                .iter()
                .map(|l| l.trim_end_matches(CUT_MARK))
                .collect::<Vec<_>>()
                .concat();
            let want: String = text.split(' ').collect();
            // The cut mark may also be a real '-' at a piece's end; compare without dashes.
            assert_eq!(
                joined.replace(['-', ' '], ""),
                want.replace('-', ""),
                "width {w}"
            );
        }
    }

    #[test]
    fn fit_adds_an_ellipsis_only_when_cutting() {
        assert_eq!(fit("hello", 5, true), "hello");
        assert_eq!(fit("hello world", 8, true), "hello w…");
        assert_eq!(fit("hello world", 8, false), "hello...");
        assert_eq!(fit("hello", 2, false), "..");
        assert_eq!(fit("hello", 0, true), "");
        assert_eq!(width(&fit("‖x‖ is the norm", 6, true)), 6);
    }

    #[test]
    fn fit_never_keeps_the_first_digits_of_a_number() {
        // "form 3…" would read as 3 %: the whole number goes instead.
        assert_eq!(fit("form 37 %, 4 s", 7, true), "form…");
        assert_eq!(fit("error 1,234.5 left", 11, true), "error…");
        assert_eq!(fit("x12345", 4, true), "x…");
        // A cut after a whole number keeps it.
        assert_eq!(fit("form 37 %, 4 s", 9, true), "form 37…");
    }

    #[test]
    fn fit_start_keeps_the_end() {
        assert_eq!(
            fit_start("layer4.1.conv2 + bn2", 30, true),
            "layer4.1.conv2 + bn2"
        );
        assert_eq!(fit_start("layer4.1.conv2 + bn2", 10, true), "…nv2 + bn2");
        assert_eq!(fit_start("layer4.1.conv2 + bn2", 10, false), "...2 + bn2");
        assert_eq!(fit_start("abc", 2, false), "..");
        for w in 0..12 {
            assert!(width(&fit_start("‖∂ℓ/∂c_t‖ 漢字 end", w, true)) <= w);
        }
    }

    #[test]
    fn ascii_has_one_spelling() {
        assert_eq!(ascii("‖X − A*B*‖²_F"), "||X - A*B*||^2_F");
        assert_eq!(ascii("Σ_{i>r} σᵢ² ≈ 1e-3"), "sum_{i>r} sigma_i^2 ~ 1e-3");
        assert_eq!(ascii("∇f(λx)"), "grad f(lambda*x)");
        assert_eq!(ascii("η/‖x‖²"), "eta/||x||^2");
        assert_eq!(ascii("ηλ"), "eta*lambda");
        assert_eq!(ascii("λ = 2"), "lambda = 2");
        assert_eq!(ascii("–"), "-");
        assert!(ascii("漢").is_ascii());
    }

    #[test]
    fn numbers_shrink_instead_of_being_cut() {
        // The bug this replaces: 2.465e-161 cut to "5.44e-162"-like prefixes.
        assert_eq!(fit_number(2.465e-161, 4, 10), "2.465e-161");
        assert_eq!(fit_number(2.465e-161, 4, 8), "2.5e-161");
        assert_eq!(fit_number(2.465e-161, 4, 6), "2e-161");
        assert_eq!(fit_number(2.465e-161, 4, 5), "#####");
        assert_eq!(fit_number(12.3456, 4, 10), "12.35");
        assert_eq!(fit_number(12.3456, 4, 3), "12");
        assert_eq!(fit_number(f64::NAN, 3, 2), "##");
        for w in 0..12 {
            for x in [0.0, 1.0, -3.5e300, 7.25e-9, 123456.0, f64::INFINITY] {
                let s = fit_number(x, 6, w);
                assert!(width(&s) <= w, "{s:?} for {x} in {w}");
                if !s.starts_with('#') && !s.is_empty() {
                    let back: f64 = s.parse().unwrap_or(f64::NAN);
                    if x.is_finite() {
                        let rel = ((back - x) / x.abs().max(1e-300)).abs();
                        assert!(rel < 0.5 || x == 0.0, "{s} is not {x}");
                    }
                }
            }
        }
    }
}
