//! Helpers shared by the integration tests: the binary run as a command, temporary files,
//! hand-made .npy files, headless screens with their styles, child processes in /proc, and the
//! app in a pseudo-terminal.

pub mod pty;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use dlscope::keymap::parse_keys;
use dlscope::snapshot::{buffer_text, capture};
use dlscope::tab::Options;
use dlscope::theme::Ui;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

/// Runs the binary under a UTF-8 locale with colour not vetoed by NO_COLOR; stdin and stdout
/// are not terminals.
pub fn dlscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dlscope"))
        .args(args)
        .env("LC_ALL", "C.UTF-8")
        .env("LANG", "C.UTF-8")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .expect("run dlscope")
}

/// A command line's arguments, split at spaces.
pub fn cmd(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// Status 0, nothing on stderr, and stdout as text.
pub fn stdout_of(args: &[&str]) -> String {
    let out = dlscope(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?} failed: {err}");
    assert!(err.is_empty(), "{args:?} wrote to stderr: {err}");
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// A fresh directory under the system temp dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "dlscope-test-{}-{test}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// Writes `bytes` to `name` in the directory; returns its path.
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A .npy file (format 1.0) with the given descriptor, shape text and raw data: magic,
/// version, header length, a Python dict padded with spaces so that the data starts at a
/// multiple of 64 bytes, then the data.
pub fn npy_bytes(descr: &str, fortran_order: bool, shape: &str, data: &[u8]) -> Vec<u8> {
    let order = if fortran_order { "True" } else { "False" };
    let dict = format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}");
    let unpadded = 10 + dict.len() + 1;
    let padding = (64 - unpadded % 64) % 64;
    let header_len = u16::try_from(dict.len() + padding + 1).unwrap();
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&header_len.to_le_bytes());
    bytes.extend_from_slice(dict.as_bytes());
    bytes.extend(std::iter::repeat_n(b' ', padding));
    bytes.push(b'\n');
    bytes.extend_from_slice(data);
    bytes
}

/// The shape text of a .npy header: `(3,)` or `(2, 3)`.
pub fn npy_shape(shape: &[usize]) -> String {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    if shape.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    }
}

/// A float .npy file (`<f8` or `<f4`) of `data` with `shape`.
pub fn npy_floats(descr: &str, fortran_order: bool, shape: &[usize], data: &[f64]) -> Vec<u8> {
    let mut raw = Vec::new();
    for &x in data {
        match descr {
            "<f8" => raw.extend_from_slice(&x.to_le_bytes()),
            "<f4" => raw.extend_from_slice(&(x as f32).to_le_bytes()),
            other => panic!("no writer for {other}"),
        }
    }
    npy_bytes(descr, fortran_order, &npy_shape(shape), &raw)
}

/// One settled frame of `tab` after `keys` (names as the help writes them).
pub fn screen(tab: &str, width: u16, height: u16, keys: &str, ui: Ui, options: &Options) -> Buffer {
    let keys = parse_keys(keys).expect("key names");
    capture(tab, width, height, &keys, ui, options).expect("a frame")
}

/// The text of a frame without its first row (the tab bar): what a tab's snapshot is about,
/// so that adding a tab does not rewrite every tab's snapshots.
pub fn body_text(buf: &Buffer) -> String {
    let text = buffer_text(buf);
    text.split_once('\n')
        .map(|(_, rest)| rest.to_string())
        .unwrap_or_default()
}

/// How many cells have a foreground or background colour other than the terminal's own.
pub fn coloured_cells(buf: &Buffer) -> usize {
    buf.content()
        .iter()
        .filter(|c| !matches!(c.fg, Color::Reset) || !matches!(c.bg, Color::Reset))
        .count()
}

/// Checks the frame's styles: no colour at all when `coloured` is false (NO_COLOR), some
/// colour when it is true.
pub fn assert_colours(buf: &Buffer, coloured: bool) {
    let n = coloured_cells(buf);
    if coloured {
        assert!(n > 0, "a colour frame has no coloured cell");
    } else {
        assert_eq!(n, 0, "{n} cells are coloured in a frame without colour");
    }
}

/// The ids and states of `pid`'s children that run `svd-worker` (Linux /proc).
#[cfg(target_os = "linux")]
pub fn svd_children_of(pid: u32) -> Vec<(u32, char)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|child| {
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).ok()?;
            // Fields after the command name (in parentheses): state, then the parent's id.
            let mut rest = stat.rsplit_once(')')?.1.split_whitespace();
            let state = rest.next()?.chars().next()?;
            let ppid: u32 = rest.next()?.parse().ok()?;
            let cmdline = std::fs::read(format!("/proc/{child}/cmdline")).ok()?;
            (ppid == pid && String::from_utf8_lossy(&cmdline).contains("svd-worker"))
                .then_some((child, state))
        })
        .collect()
}
