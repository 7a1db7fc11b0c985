//! How much the app holds for a large low-rank input (issue 20, item 14): its peak resident size
//! (VmHWM, Linux /proc), read once the full SVD of a 1024×1024 picture is shown, against the
//! same app on an 8×8 picture. What is measured is the app process alone: its `svd-worker`
//! child runs faer's SVD, whose workspace is faer's.
//!
//! The app's own m×n arrays once the full SVD is shown are X, U, V and the approximation X_r:
//! 4·m·n·8 bytes. Before issue 20 it also kept the residual X − X_r, and built each new view
//! while the old one (its X_r and residual) was still held: about 8 matrices at the peak
//! (measured 7.7 at 1024²), against 4.7 now. The bound, 6 matrices, sits between the two.
//!
//! glibc's malloc keeps freed blocks below its (self-raising) mmap threshold for reuse instead of
//! returning them, which would make the peak depend on the order of allocations rather than on
//! what is held at once: `GLIBC_TUNABLES` fixes the threshold at 128 KiB, so every matrix is
//! mapped on its own and returned when dropped. No timing is asserted.

use std::time::Duration;

use crate::common::TempDir;
use crate::common::pty::Session;

/// VmHWM of a live process, in bytes.
fn peak_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status");
    kib * 1024
}

/// An n×n grey PNG: smooth waves plus a fixed pseudo-random texture (the spectrum does not
/// matter here, only the size).
fn picture(dir: &TempDir, n: usize) -> std::path::PathBuf {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let grey: Vec<u8> = (0..n * n)
        .map(|k| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let (i, j) = ((k / n) as f64, (k % n) as f64);
            let wave = 127.0 + 60.0 * (i / 37.0).sin() * (j / 53.0).cos();
            (wave + (state % 61) as f64 - 30.0).clamp(0.0, 255.0) as u8
        })
        .collect();
    let path = dir.path().join(format!("picture{n}.png"));
    image::save_buffer(
        &path,
        &grey,
        n as u32,
        n as u32,
        image::ExtendedColorType::L8,
    )
    .unwrap();
    path
}

/// The app's peak once its work on `input` has settled (the full SVD shown).
fn app_peak_after_full_svd(input: &std::path::Path, side: usize) -> u64 {
    let side = side.to_string();
    let args = [
        "--tab",
        "lowrank",
        "--graphics",
        "blocks",
        "--max-side",
        &side,
        "--input",
        input.to_str().unwrap(),
    ];
    let mut app = Session::start(
        &args,
        &[("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=131072")],
        120,
        40,
    );
    app.wait_for("Low rank");
    app.wait_settled();
    let pid = app.child.process_id().expect("the app's pid");
    let peak = peak_bytes(pid);
    app.send(b"q");
    assert!(app.wait_exit(Duration::from_secs(30)).is_some());
    peak
}

#[test]
fn the_app_holds_x_u_v_and_one_approximation_at_its_peak() {
    let dir = TempDir::new("lowrank-memory");
    let n = 1024;
    let base = app_peak_after_full_svd(&picture(&dir, 8), 8);
    let peak = app_peak_after_full_svd(&picture(&dir, n), n);
    let matrix = (n * n * 8) as u64;
    let held = peak.saturating_sub(base) as f64 / matrix as f64;
    assert!(
        held <= 6.0,
        "the app's peak on a {n}×{n} input is {:.1} MB above its peak on 8×8: {held:.2} times the \
         matrix ({:.1} MB), more than X, U, V and X_r (4) with room for thread buffers (6)",
        (peak - base.min(peak)) as f64 / 1e6,
        matrix as f64 / 1e6
    );
}
