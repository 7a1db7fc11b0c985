//! Helpers shared by the integration tests: temporary files, hand-made .npy files, headless
//! screens with their styles, and the app in a pseudo-terminal.

pub mod pty;

use std::path::{Path, PathBuf};

use dlscope::keymap::parse_keys;
use dlscope::snapshot::{buffer_text, capture};
use dlscope::tab::Options;
use dlscope::theme::Ui;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

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
