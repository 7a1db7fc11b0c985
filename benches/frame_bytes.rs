//! Bytes written to the terminal per animation frame, measured through a real pseudo-terminal:
//! the RNN tab at 120×40 plays its backward-pass animation and we count what the app writes per
//! frame (frames are delimited by the synchronized-update escape each frame starts with),
//! against the size of a full repaint of the same screen (the first frame).
//!
//! Run: `cargo bench --bench frame_bytes`.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const FRAME_START: &[u8] = b"\x1b[?2026h";

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// Waits until nothing new has arrived for `quiet`, or `limit` has passed.
fn settle(bytes: &Arc<Mutex<Vec<u8>>>, quiet: Duration, limit: Duration) -> usize {
    let start = Instant::now();
    let mut last_len = usize::MAX;
    let mut last_change = Instant::now();
    while start.elapsed() < limit {
        let len = bytes.lock().map(|b| b.len()).unwrap_or(0);
        if len != last_len {
            last_len = len;
            last_change = Instant::now();
        } else if last_change.elapsed() >= quiet && len > 0 {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    last_len
}

fn main() {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("openpty");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_dlscope"));
    cmd.args(["--tab", "rnn"]);
    cmd.env("TERM", "xterm-256color");
    cmd.env("LANG", "en_US.UTF-8");
    cmd.env_remove("NO_COLOR");
    let mut child = pair.slave.spawn_command(cmd).expect("spawn dlscope");
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().expect("reader");
    let mut writer = pair.master.take_writer().expect("writer");
    let bytes = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&bytes);
    thread::spawn(move || {
        let mut buf = [0u8; 16384];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut b) = sink.lock() {
                b.extend_from_slice(&buf[..n]);
            }
        }
    });

    // The opening screen (its animation, if any, included) until the app goes quiet.
    let opening = settle(&bytes, Duration::from_millis(800), Duration::from_secs(30));
    let _first_frame = {
        let b = bytes.lock().expect("bytes");
        let starts: Vec<usize> = b
            .windows(FRAME_START.len())
            .enumerate()
            .filter(|(_, w)| *w == FRAME_START)
            .map(|(i, _)| i)
            .collect();
        let end = starts.get(1).copied().unwrap_or(b.len());
        starts.first().map(|s| end - s).unwrap_or(b.len())
    };

    // Restart the animation and count what one play of it costs.
    writer.write_all(b"r").expect("press r");
    writer.flush().expect("flush");
    let total = settle(&bytes, Duration::from_millis(800), Duration::from_secs(60));
    let played = {
        let b = bytes.lock().expect("bytes");
        b[opening..total].to_vec()
    };
    let frames = count(&played, FRAME_START);
    // A full repaint of the final screen: a resize makes the app clear and draw every cell.
    let resize = |cols| {
        pair.master
            .resize(PtySize {
                rows: 40,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize");
    };
    resize(119);
    let before = settle(&bytes, Duration::from_millis(500), Duration::from_secs(10));
    resize(120);
    let after = settle(&bytes, Duration::from_millis(500), Duration::from_secs(10));
    let full_repaint = after - before;
    writer.write_all(b"q").expect("press q");
    writer.flush().expect("flush");
    let _ = child.wait();

    let per_frame = played.len() as f64 / frames.max(1) as f64;
    println!("frame_bytes/rnn_120x40");
    println!("  full repaint (after a resize): {full_repaint} bytes");
    println!("  animation: {frames} frames, {} bytes", played.len());
    println!(
        "  average per frame: {per_frame:.0} bytes = {:.1}% of a full repaint",
        100.0 * per_frame / full_repaint.max(1) as f64
    );
}
