//! The config file as a user meets it: `dlscope config` says where each setting came from,
//! flags win over the file, and a bad file is one line naming the file and the line, with
//! status 2, before any terminal is touched.

use std::process::{Command, Output};

use crate::common;

fn dlscope(args: &[&str], xdg: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dlscope"))
        .args(args)
        .env("XDG_CONFIG_HOME", xdg)
        .env("LANG", "en_US.UTF-8")
        .env_remove("NO_COLOR")
        // Not the tmux the tests may run in: `dlscope config` asks it about images.
        .env_remove("TMUX")
        .output()
        .unwrap()
}

/// Runs of spaces as one, so the checks do not depend on column widths.
fn squeeze(text: &str) -> String {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn write_config(dir: &common::TempDir, text: &str) -> std::path::PathBuf {
    std::fs::create_dir_all(dir.path().join("dlscope")).unwrap();
    dir.write("dlscope/config.toml", text.as_bytes())
}

#[test]
fn config_prints_each_setting_and_its_source() {
    let dir = common::TempDir::new("config-sources");
    let path = write_config(
        &dir,
        "tab = \"scale\"\nanimation-speed = 2.0\n[keys]\ncopy = \"F3\"\n",
    );
    let out = dlscope(&["config", "--color", "never"], dir.path());
    assert!(out.status.success());
    let text = squeeze(&String::from_utf8(out.stdout).unwrap());
    let shown = path.display().to_string();
    assert!(text.contains(&format!("config file {shown}")), "{text}");
    assert!(text.contains(&format!("tab scale {shown}:1")), "{text}");
    assert!(
        text.contains(&format!("animation-speed 2 {shown}:2")),
        "{text}"
    );
    assert!(
        text.contains("color never command line (--color)"),
        "{text}"
    );
    assert!(text.contains(&format!("keys.copy F3 {shown}:4")), "{text}");
    assert!(text.contains("mouse false default"), "{text}");
    // --no-config reads nothing.
    let out = dlscope(&["config", "--no-config"], dir.path());
    let text = squeeze(&String::from_utf8(out.stdout).unwrap());
    assert!(text.contains("config file none"), "{text}");
    assert!(text.contains("tab resnet default"), "{text}");
}

#[test]
fn a_bad_file_is_one_line_with_file_and_line_and_status_2() {
    let dir = common::TempDir::new("config-bad");
    let path = write_config(&dir, "mouse = true\n[keys]\nquit = \"?\"\n");
    // Even the app (no subcommand) stops before touching the terminal.
    for args in [&[][..], &["config"][..], &["snapshot", "--tab", "rnn"][..]] {
        let out = dlscope(args, dir.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!("{}:3: keys.quit: ? already means", path.display())),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
    let out = Command::new(env!("CARGO_BIN_EXE_dlscope"))
        .args(["config", "--config", "/nonexistent/dlscope.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("/nonexistent/dlscope.toml: cannot read it"),
        "{err}"
    );
}

#[test]
fn the_config_chooses_the_opening_tab_and_keys_in_the_app() {
    let dir = common::TempDir::new("config-app");
    write_config(&dir, "tab = \"rnn\"\n[keys]\nquit = \"F2\"\n");
    let mut s = common::pty::Session::start(
        &[],
        &[("XDG_CONFIG_HOME", dir.path().to_str().unwrap())],
        100,
        30,
    );
    s.wait_for("F2 quit");
    s.wait_for("RNN");
    s.send(b"q");
    s.send(b"\x1bOQ"); // F2
    let status = s.wait_exit(common::pty::PATIENCE).expect("F2 quits");
    assert!(status.success());
}

#[test]
fn graphics_comes_from_the_file_the_flag_or_ascii() {
    let dir = common::TempDir::new("config-graphics");
    let path = write_config(&dir, "mouse = false\ngraphics = \"ascii\"\n");
    let shown = path.display().to_string();
    let text = |args: &[&str]| {
        let out = dlscope(args, dir.path());
        assert!(out.status.success(), "{args:?}");
        squeeze(&String::from_utf8(out.stdout).unwrap())
    };
    let config = text(&["config"]);
    assert!(
        config.contains(&format!("graphics ascii {shown}:2")),
        "{config}"
    );
    assert!(config.contains("images characters, as asked"), "{config}");
    let config = text(&["config", "--graphics", "sixel"]);
    assert!(
        config.contains("graphics sixel command line (--graphics)"),
        "{config}"
    );
    let config = text(&["config", "--no-config", "--ascii"]);
    assert!(
        config.contains("graphics ascii command line (--ascii)"),
        "{config}"
    );
    // Without the file: auto, decided when the app starts.
    let config = text(&["config", "--no-config"]);
    assert!(config.contains("graphics auto default"), "{config}");
    assert!(
        config.contains("images") && config.contains("1 s at most"),
        "{config}"
    );
    // The file's choice draws the pictures: the character ramp, not half blocks.
    let snapshot = text(&["snapshot", "--tab", "lowrank", "--color", "always"]);
    assert!(
        !snapshot.contains('▀') && snapshot.contains("####"),
        "{snapshot}"
    );
    // A bad value is one line with the file, the line and the valid values.
    write_config(&dir, "\ngraphics = \"png\"\n");
    let out = dlscope(&["config"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!(
            "{shown}:2: graphics is \"png\"; it can be auto, kitty, sixel, iterm2, blocks or ascii"
        )),
        "{err}"
    );
}
