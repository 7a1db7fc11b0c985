//! Peak resident size of the release binary's processes on a large input (issue 20, item 14):
//! headless, and the app in a pseudo-terminal with its `svd-worker` child. See the header of
//! `first_view_memory.rs`.
//!
//! Every process is sampled every [`SAMPLE`] from /proc/PID/status: VmRSS (resident now) and
//! VmHWM (the kernel's own peak of VmRSS, exact). The figures printed per process are its last
//! VmHWM read (the peak up to at most one interval before it exited; the peaks come long before
//! the end); "together" is the largest sum of the app's and the worker's VmRSS read in the same
//! sample, a lower bound of their true concurrent peak that misses at most what changes within
//! one interval.

use std::collections::BTreeMap;
use std::io::Read;
use std::num::NonZero;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use dlscope::lowrank::input::{Builtin, Source, load};
use dlscope::lowrank::model::partial::upscaled_photo;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// How often the processes are sampled.
const SAMPLE: Duration = Duration::from_millis(10);
/// Give up after this long (the 4096² full SVD takes about a minute here).
const LIMIT: Duration = Duration::from_secs(900);
/// The pseudo-terminal's size.
const COLS: u16 = 120;
const ROWS: u16 = 40;

const MB: f64 = 1e6;

/// VmRSS and VmHWM of a process, in bytes; `None` once it has exited.
#[derive(Debug, Clone, Copy, Default)]
struct Status {
    rss: u64,
    hwm: u64,
}

fn status(pid: u32) -> Option<Status> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|kib| kib * 1024)
    };
    // A zombie has no memory lines: it has exited.
    Some(Status {
        rss: field("VmRSS:")?,
        hwm: field("VmHWM:")?,
    })
}

/// The processes whose parent is `pid`.
fn children(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&child| {
            std::fs::read_to_string(format!("/proc/{child}/stat"))
                .ok()
                .and_then(|stat| {
                    // "pid (comm) state ppid …": comm may hold spaces, so split after its ')'.
                    let after = &stat[stat.rfind(')')? + 1..];
                    after.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}

/// The side×side photo-like input (benches/first_view.rs) as an 8-bit grey PNG, and the matrix
/// dlscope makes of it as .npy (for numpy), in a fresh temporary directory.
fn write_input(side: usize) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("dlscope-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let camera = load(&Source::Builtin(Builtin::Camera), 1024)
        .unwrap()
        .matrix;
    let x = upscaled_photo(camera.view(), side, side, 0.01, side as u64);
    let grey: Vec<u8> = x
        .iter()
        .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
        .collect();
    drop(x);
    let png = dir.join(format!("photo{side}.png"));
    image::save_buffer(
        &png,
        &grey,
        side as u32,
        side as u32,
        image::ExtendedColorType::L8,
    )
    .unwrap();
    let matrix = load(&Source::Path(png.clone()), side).unwrap().matrix;
    let npy = dir.join(format!("photo{side}.npy"));
    ndarray_npy::write_npy(&npy, &matrix).unwrap();
    (png, npy)
}

/// The binary measured: `DLSCOPE_BIN` if set (to measure another build, such as the code before
/// a change), else the release binary Cargo built with this benchmark.
fn binary() -> PathBuf {
    std::env::var_os("DLSCOPE_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_dlscope")),
        PathBuf::from,
    )
}

fn mb(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / MB)
}

fn times(bytes: u64, matrix: u64) -> String {
    format!("{:.1}×", bytes as f64 / matrix as f64)
}

/// `dlscope lowrank --input PNG --max-side SIDE --json`: its peak and its wall time.
fn headless(png: &Path, side: usize) -> (Status, Duration) {
    let start = Instant::now();
    let mut child = Command::new(binary())
        .args(["--no-config", "lowrank", "--input"])
        .arg(png)
        .args(["--max-side", &side.to_string(), "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stdout = child.stdout.take().unwrap();
    let reader = thread::spawn(move || {
        let mut out = String::new();
        stdout.read_to_string(&mut out).unwrap();
        out
    });
    let mut last = Status::default();
    while child.try_wait().unwrap().is_none() {
        assert!(
            start.elapsed() < LIMIT,
            "headless run still going after {LIMIT:?}"
        );
        if let Some(now) = status(pid) {
            last = now;
        }
        thread::sleep(SAMPLE);
    }
    let elapsed = start.elapsed();
    let out = reader.join().unwrap();
    assert!(
        out.contains("\"singular_values\""),
        "headless run printed no report: {out:.200}"
    );
    (last, elapsed)
}

/// What the app run measured.
struct AppRun {
    app: Status,
    /// Each worker's last status read, by pid.
    workers: BTreeMap<u32, Status>,
    /// The largest app VmRSS + workers' VmRSS in one sample, and the app's part of it.
    together: (u64, u64),
    /// Seconds from start until the worker came, went, and the full SVD was shown.
    worker_started: f64,
    worker_ended: f64,
    done: f64,
}

/// The app on `png` in a pseudo-terminal until its full SVD is done, then `q`.
fn app(png: &Path, side: usize) -> AppRun {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(binary());
    cmd.args(["--no-config", "--tab", "lowrank", "--graphics", "blocks"]);
    cmd.arg("--input");
    cmd.arg(png);
    cmd.args(["--max-side", &side.to_string()]);
    cmd.env("TERM", "xterm-256color");
    cmd.env("LANG", "en_US.UTF-8");
    let start = Instant::now();
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let pid = child.process_id().unwrap();
    let screen = Arc::new(Mutex::new(vt100::Parser::new(
        NonZero::new(ROWS).unwrap(),
        NonZero::new(COLS).unwrap(),
        0,
    )));
    let sink = Arc::clone(&screen);
    let mut reader = pair.master.try_clone_reader().unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut parser) = sink.lock() {
                parser.process(&buf[..n]);
            }
        }
    });
    let mut writer = pair.master.take_writer().unwrap();
    let mut run = AppRun {
        app: Status::default(),
        workers: BTreeMap::new(),
        together: (0, 0),
        worker_started: 0.0,
        worker_ended: 0.0,
        done: 0.0,
    };
    let mut done_at = None;
    loop {
        let elapsed = start.elapsed();
        assert!(
            elapsed < LIMIT,
            "the app's full SVD not done after {LIMIT:?}"
        );
        let Some(app) = status(pid) else { break };
        run.app = app;
        let mut sum = app.rss;
        let live = children(pid);
        for worker in &live {
            if let Some(now) = status(*worker) {
                sum += now.rss;
                if run.workers.is_empty() {
                    run.worker_started = elapsed.as_secs_f64();
                }
                run.workers.insert(*worker, now);
            }
        }
        if sum > run.together.0 {
            run.together = (sum, app.rss);
        }
        let text = screen.lock().unwrap().screen().contents();
        if done_at.is_none() && !run.workers.is_empty() && live.is_empty() {
            if run.worker_ended == 0.0 {
                run.worker_ended = elapsed.as_secs_f64();
            }
            if !text.contains("of 2)") {
                done_at = Some(Instant::now());
                run.done = elapsed.as_secs_f64();
            }
        }
        // Two more seconds of samples after the full SVD is shown, then quit.
        if done_at.is_some_and(|t| t.elapsed() > Duration::from_secs(2)) {
            use std::io::Write;
            writer.write_all(b"q").unwrap();
            writer.flush().unwrap();
            done_at = Some(Instant::now() + Duration::from_secs(3600));
        }
        thread::sleep(SAMPLE);
    }
    let _ = child.wait();
    run
}

/// The workspace faer asks for the thin SVD (with U and V) of a side×side matrix, the call
/// `dlscope::lowrank::model::thin_svd_with` makes, in bytes.
fn faer_workspace(side: usize) -> u64 {
    use faer::linalg::svd::{ComputeSvdVectors, svd_scratch};
    let thin = ComputeSvdVectors::Thin;
    let req = svd_scratch::<f64>(
        side,
        side,
        thin,
        thin,
        faer::Par::rayon(0),
        Default::default(),
    );
    req.size_bytes() as u64
}

/// Both runs on a side×side input, and the figures.
pub fn run(side: usize) {
    let matrix = (side * side * 8) as u64;
    let (png, npy) = write_input(side);
    println!(
        "{side}x{side} input {} (the matrix: {} = 8 bytes × {side}²), binary {}",
        png.display(),
        mb(matrix),
        binary().display()
    );
    let workspace = faer_workspace(side);
    println!(
        "faer's workspace for the thin SVD (svd_scratch): {} = {} the matrix; with the input \
         and U and V: {} = {}",
        mb(workspace),
        times(workspace, matrix),
        mb(workspace + 3 * matrix),
        times(workspace + 3 * matrix, matrix)
    );
    let (peak, elapsed) = headless(&png, side);
    println!(
        "headless `dlscope lowrank --input PNG --max-side {side} --json`: peak RSS (VmHWM) {} = {} the matrix, {:.1} s",
        mb(peak.hwm),
        times(peak.hwm, matrix),
        elapsed.as_secs_f64()
    );
    let run = app(&png, side);
    let worker_peak = run.workers.values().map(|s| s.hwm).max().unwrap_or(0);
    println!(
        "app `dlscope --tab lowrank --input PNG --max-side {side}` ({} svd-worker process(es), from {:.1} s to {:.1} s; full SVD shown at {:.1} s):",
        run.workers.len(),
        run.worker_started,
        run.worker_ended,
        run.done
    );
    println!(
        "  app peak RSS (VmHWM) {} = {}; worker peak RSS (VmHWM) {} = {}",
        mb(run.app.hwm),
        times(run.app.hwm, matrix),
        mb(worker_peak),
        times(worker_peak, matrix)
    );
    println!(
        "  app + worker, largest sum of VmRSS sampled together every {} ms: {} = {} (app {} + worker {})",
        SAMPLE.as_millis(),
        mb(run.together.0),
        times(run.together.0, matrix),
        mb(run.together.1),
        mb(run.together.0 - run.together.1)
    );
    println!(
        "numpy on the same matrix: python3 benches/svd_numpy_memory.py {}",
        npy.display()
    );
}
