//! Tests of the source tree itself: file sizes, and key names spelled outside the key tables.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// True for a file that holds only tests (`tests.rs`, or anything under a `tests/` folder).
fn is_test_file(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "tests.rs")
        || path.components().any(|c| c.as_os_str() == "tests")
}

/// The lines of `text` before its inline test module, if it has one.
fn non_test_lines(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    let end = lines
        .windows(2)
        .position(|w| {
            let next = w[1].trim_start();
            let next = next.strip_prefix("pub(crate) ").unwrap_or(next);
            w[0].trim() == "#[cfg(test)]" && next.starts_with("mod tests {")
        })
        .unwrap_or(lines.len());
    lines[..end].to_vec()
}

const MAX_LINES: usize = 800;

#[test]
fn no_non_test_file_is_over_800_lines() {
    let mut long = Vec::new();
    for path in rust_files(&src()) {
        if is_test_file(&path) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let n = non_test_lines(&text).len();
        if n > MAX_LINES {
            long.push(format!("{} has {n} lines", path.display()));
        }
    }
    assert!(long.is_empty(), "over {MAX_LINES} lines: {long:#?}");
}

/// Key names a hint would spell: hints must come from the key tables instead.
const SPELLED: &[&str] = &[
    "↑↓", "←→", "(arrows)", "PgUp", "PgDn", "J/K", "[ ]", "< >", ", .", "Space ", "Enter ", "Esc ",
];

/// Literals that are a key name and nothing else.
const KEY_NAMES: &[&str] = &[
    "Enter", "Esc", "Space", "Tab", "Home", "End", "Ctrl-U", "Ctrl-C",
];

/// The string literals on one line of code (escaped quotes kept inside).
fn literals(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    let mut current: Option<String> = None;
    while let Some(c) = chars.next() {
        match (&mut current, c) {
            (None, '/') if chars.peek() == Some(&'/') => break,
            (None, '\'') => {
                // A char literal ('"') or a lifetime: skip it whole where it is a literal.
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with("\"'") || rest.starts_with("\\\"") {
                    chars.next();
                    chars.next();
                }
            }
            (None, '"') => current = Some(String::new()),
            (Some(s), '\\') => {
                if let Some(n) = chars.next() {
                    s.push('\\');
                    s.push(n);
                }
            }
            (Some(_), '"') => out.extend(current.take()),
            (Some(s), c) => s.push(c),
            (None, _) => {}
        }
    }
    out
}

/// Two "key word" pairs in a row ("a act i init"): a hand-written list of keys.
fn looks_like_key_hints(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.windows(4).any(|w| {
        let key = |s: &str| {
            s.chars().count() == 1 && !s.chars().all(char::is_alphanumeric)
                || (s.chars().count() == 1 && s.chars().all(|c| c.is_ascii_lowercase() && c != 'a'))
        };
        let word = |s: &str| s.len() >= 3 && s.chars().all(|c| c.is_ascii_lowercase());
        key(w[0]) && word(w[1]) && key(w[2]) && word(w[3])
    })
}

#[test]
fn no_render_path_spells_a_key_name() {
    let mut found = Vec::new();
    for path in rust_files(&src()) {
        let name = path.to_string_lossy();
        // The key tables and the key map itself name keys; so do the command line's docs.
        let exempt = is_test_file(&path)
            || name.ends_with("keymap.rs")
            || name.ends_with("cli.rs")
            || name.ends_with("config.rs")
            || name.ends_with("source_tests.rs");
        if exempt {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let mut in_binding = false;
        for (i, line) in non_test_lines(&text).into_iter().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("//") || trimmed.starts_with("#[") {
                continue;
            }
            // The `help:` text of a binding says what the key does, not which key it is.
            if trimmed.starts_with("Binding {") {
                in_binding = true;
            }
            if in_binding {
                if trimmed.starts_with("},") || trimmed == "}" {
                    in_binding = false;
                }
                continue;
            }
            for lit in literals(line) {
                let spelled = SPELLED.iter().any(|s| lit.contains(s)) || KEY_NAMES.contains(&&*lit);
                if spelled || looks_like_key_hints(&lit) {
                    found.push(format!("{}:{}: {lit:?}", path.display(), i + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "key names spelled outside the key tables: {found:#?}"
    );
}

#[test]
fn the_checks_catch_what_they_look_for() {
    assert_eq!(
        literals(r#"let a = "x \"y\" z"; f('"', "b") // "c""#),
        vec![r#"x \"y\" z"#.to_string(), "b".to_string()]
    );
    assert!(looks_like_key_hints("i init c clip w term"));
    assert!(looks_like_key_hints("[ turn ] back"));
    assert!(!looks_like_key_hints("a new draw of the noise"));
    assert!(!looks_like_key_hints("rank r of the matrix"));
    let text = "fn a() {}\n#[cfg(test)]\nmod tests {\n}\n";
    assert_eq!(non_test_lines(text), vec!["fn a() {}"]);
    let text = "#[cfg(test)]\nmod tests;\nfn a() {}\n";
    assert_eq!(
        non_test_lines(text).len(),
        3,
        "a test module in its own file cuts nothing"
    );
}
