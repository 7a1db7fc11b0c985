//! Bytes written to the terminal per animation frame, measured through a real pseudo-terminal.
//!
//! The RNN tab at 120×40 plays its backward-pass animation; we count what the app writes per
//! frame (each frame starts with the synchronized-update escape `ESC[?2026h`, see
//! `src/runtime.rs`) and compare it with a full repaint of the same screen: the frame the app
//! draws after a resize (ratatui clears the screen and resets its back buffer on a resize, so
//! that frame repaints everything). A second reference, independent of ratatui's encoder, is
//! vt100's formatted dump of the final screen (every row, cell by cell, with its attributes).
//!
//! Run: `cargo bench --bench frame_bytes` (builds the release binary and runs it in a pty).

#![allow(clippy::unwrap_used)] // tests and benchmarks may fail loudly

use std::io::{Read, Write};
use std::num::NonZero;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};

const COLS: u16 = 120;
const ROWS: u16 = 40;
const NZ_COLS: NonZero<u16> = NonZero::new(COLS).unwrap();
const NZ_ROWS: NonZero<u16> = NonZero::new(ROWS).unwrap();
/// What the app writes at the start of every frame.
const FRAME_START: &[u8] = b"\x1b[?2026h";
/// The app is idle (not animating) once nothing has arrived for this long.
const QUIET: Duration = Duration::from_millis(1000);
/// Give up waiting for quiet after this long.
const LIMIT: Duration = Duration::from_secs(60);
/// Target: an animation frame costs less than this share of a full repaint.
const TARGET_PERCENT: f64 = 10.0;

/// Everything the app wrote so far, with the time each chunk arrived.
#[derive(Default)]
struct Log {
    bytes: Vec<u8>,
    /// (offset of the chunk's end in `bytes`, arrival time)
    arrivals: Vec<(usize, Instant)>,
}

struct Pty {
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    log: Arc<Mutex<Log>>,
}

fn size(cols: u16, rows: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

impl Pty {
    fn start(args: &[&str]) -> Pty {
        let pair = native_pty_system()
            .openpty(size(COLS, ROWS))
            .expect("openpty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_dlscope"));
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env("LANG", "en_US.UTF-8");
        cmd.env_remove("NO_COLOR");
        let child = pair.slave.spawn_command(cmd).expect("spawn dlscope");
        // Only the child keeps the slave side open, so closing the master hangs it up.
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let log = Arc::new(Mutex::new(Log::default()));
        let sink = Arc::clone(&log);
        thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let now = Instant::now();
                if let Ok(mut l) = sink.lock() {
                    l.bytes.extend_from_slice(&buf[..n]);
                    let end = l.bytes.len();
                    l.arrivals.push((end, now));
                }
            }
        });
        let writer = pair.master.take_writer().expect("pty writer");
        Pty {
            master: pair.master,
            writer,
            child,
            log,
        }
    }

    fn len(&self) -> usize {
        self.log.lock().map(|l| l.bytes.len()).unwrap_or(0)
    }

    fn bytes(&self, from: usize, to: usize) -> Vec<u8> {
        self.log
            .lock()
            .map(|l| l.bytes[from..to].to_vec())
            .unwrap_or_default()
    }

    /// Arrival time of the first and last chunk that end inside `from..to`.
    fn span(&self, from: usize, to: usize) -> Option<Duration> {
        let l = self.log.lock().ok()?;
        let mut inside = l
            .arrivals
            .iter()
            .filter(|(end, _)| *end > from && *end <= to);
        let first = inside.next()?.1;
        let last = inside.next_back().map_or(first, |a| a.1);
        Some(last - first)
    }

    fn press(&mut self, keys: &[u8]) {
        self.writer.write_all(keys).expect("write to pty");
        self.writer.flush().expect("flush pty");
    }

    /// Waits until at least `after` bytes have arrived and then nothing more for `QUIET`;
    /// returns the length at that point.
    fn settle(&self, after: usize) -> usize {
        let start = Instant::now();
        let mut last_len = self.len();
        let mut last_change = Instant::now();
        while start.elapsed() < LIMIT {
            thread::sleep(Duration::from_millis(10));
            let len = self.len();
            if len != last_len {
                last_len = len;
                last_change = Instant::now();
            } else if len > after && last_change.elapsed() >= QUIET {
                return len;
            }
        }
        panic!("the app never went quiet within {LIMIT:?} ({last_len} bytes so far)");
    }
}

/// Offsets where `needle` starts in `haystack`.
fn starts(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

/// Sizes of the frames in `bytes` (a frame runs from one start marker to the next).
fn frame_sizes(bytes: &[u8]) -> Vec<usize> {
    let mut at = starts(bytes, FRAME_START);
    at.push(bytes.len());
    at.windows(2).map(|w| w[1] - w[0]).collect()
}

fn median(sorted: &[usize]) -> usize {
    sorted.get(sorted.len() / 2).copied().unwrap_or(0)
}

fn percent(part: f64, whole: usize) -> f64 {
    100.0 * part / whole.max(1) as f64
}

fn main() {
    // No image query: vt100 never answers it, and its second of silence would look settled.
    let mut pty = Pty::start(&["--tab", "rnn", "--graphics", "blocks"]);

    // The opening screen: the first frame, then the opening animation, until the app idles.
    let opened = pty.settle(0);
    let opening = pty.bytes(0, opened);
    let first_frame = frame_sizes(&opening[starts(&opening, FRAME_START)[0]..])[0];

    // A full repaint of the final screen: shrink by a row, wait for that frame, grow back.
    pty.master.resize(size(COLS, ROWS - 1)).expect("resize");
    let shrunk = pty.settle(opened);
    pty.master.resize(size(COLS, ROWS)).expect("resize");
    let grown = pty.settle(shrunk);
    let full_frames = frame_sizes(&pty.bytes(shrunk, grown));
    assert_eq!(
        full_frames.len(),
        1,
        "growing the pty back should draw exactly one frame"
    );
    let full_repaint = full_frames[0];
    // The screen as a terminal holds it, dumped cell by cell (vt100's own encoder).
    let mut parser = vt100::Parser::new(NZ_ROWS, NZ_COLS, 0);
    parser.process(&pty.bytes(0, grown));
    let cell_dump = parser.screen().contents_formatted().len();

    // Restart the backward pass at t = T (`r`) and record one whole play of it.
    pty.press(b"r");
    let played_to = pty.settle(grown);
    let played = pty.bytes(grown, played_to);
    let duration = pty.span(grown, played_to).unwrap_or_default();
    pty.press(b"q");
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = pty.child.try_wait() {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    let _ = pty.child.kill();

    let sizes = frame_sizes(&played);
    let frames = sizes.len();
    let total = played.len();
    let average = total as f64 / frames.max(1) as f64;
    // The first frame after `r` redraws the curves from t = T: report the rest on their own.
    let ticks = &sizes[1.min(frames)..];
    let ticks_average = ticks.iter().sum::<usize>() as f64 / ticks.len().max(1) as f64;
    let mut sorted = ticks.to_vec();
    sorted.sort_unstable();

    println!("frame_bytes/rnn_{COLS}x{ROWS}");
    println!("  first frame of the process:     {first_frame} bytes");
    println!("  full repaint (after a resize):  {full_repaint} bytes");
    println!("  cell-by-cell dump (vt100):      {cell_dump} bytes");
    println!(
        "  animation after `r`:            {frames} frames, {total} bytes in {:.2} s",
        duration.as_secs_f64()
    );
    println!(
        "  average per frame:              {average:.0} bytes = {:.1}% of a full repaint ({:.1}% of the cell dump)",
        percent(average, full_repaint),
        percent(average, cell_dump),
    );
    if let (Some(restart), Some(min), Some(max)) = (sizes.first(), sorted.first(), sorted.last()) {
        println!(
            "  restart frame:                  {restart} bytes = {:.1}%",
            percent(*restart as f64, full_repaint)
        );
        println!(
            "  tick frames ({}):               mean {ticks_average:.0}, median {}, min {min}, max {max} bytes = {:.1}% (mean)",
            ticks.len(),
            median(&sorted),
            percent(ticks_average, full_repaint),
        );
    }
    let verdict = if percent(average, full_repaint) < TARGET_PERCENT {
        "under"
    } else {
        "OVER"
    };
    println!("  target < {TARGET_PERCENT}% of a full repaint: {verdict}");
}
