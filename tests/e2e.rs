//! End to end in a real pseudo-terminal: start the binary, type keys, read the screen, quit,
//! and check the terminal modes were restored; close the pty and check the process is gone.

#![allow(clippy::unwrap_used)] // tests and benchmarks may fail loudly

mod common;

use std::io::Read;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use common::pty::{Session, assert_cooked, nz};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

#[test]
fn starts_draws_and_restores_the_terminal_on_q() {
    let mut s = Session::start(&[], &[], 100, 30);
    s.wait_for("dlscope");
    assert!(
        s.alternate_screen(),
        "the app should use the alternate screen"
    );
    assert!(s.cursor_hidden());
    assert!(
        !s.stty().split_whitespace().any(|w| w == "icanon"),
        "raw mode expected while running"
    );
    s.send(b"?");
    s.wait_for("ResNet tab");
    // The global keys close the help: End scrolls there.
    s.send(b"\x1b[F");
    s.wait_for("Global keys");
    s.send(b"\x1b");
    thread::sleep(Duration::from_millis(100));
    s.send(b"q");
    let status = s
        .wait_exit(Duration::from_secs(5))
        .expect("dlscope did not quit on q");
    assert!(status.success(), "{status:?}");
    thread::sleep(Duration::from_millis(100));
    assert!(!s.alternate_screen(), "alternate screen not left");
    assert!(!s.cursor_hidden(), "cursor not shown again");
    assert_cooked(&s.stty());
}

#[test]
fn resize_redraws_and_too_small_says_so() {
    let mut s = Session::start(&[], &[], 100, 30);
    s.wait_for("dlscope");
    if let Some(m) = s.master.as_ref() {
        m.resize(PtySize {
            rows: 10,
            cols: 40,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("resize");
    }
    s.screen
        .lock()
        .unwrap()
        .screen_mut()
        .set_size(nz(10), nz(40));
    s.wait_for("Too small (40");
    s.send(b"\x03");
    let status = s
        .wait_exit(Duration::from_secs(5))
        .expect("dlscope did not quit on C-c");
    assert!(status.success());
    assert_cooked(&s.stty());
}

#[test]
fn sigterm_restores_the_terminal() {
    let mut s = Session::start(&[], &[], 100, 30);
    s.wait_for("dlscope");
    let pid = s.child.process_id().expect("pid");
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    let status = s
        .wait_exit(Duration::from_secs(5))
        .expect("no exit after SIGTERM");
    assert!(!status.success());
    thread::sleep(Duration::from_millis(100));
    assert!(!s.alternate_screen());
    assert_cooked(&s.stty());
}

#[test]
fn a_panic_restores_the_terminal_before_the_report() {
    let mut s = Session::start(&[], &[("DLSCOPE_TEST_PANIC", "1")], 100, 30);
    s.wait_for("dlscope");
    s.send(b"\x1b[24~"); // F12
    let status = s
        .wait_exit(Duration::from_secs(5))
        .expect("no exit after the panic");
    assert!(!status.success());
    thread::sleep(Duration::from_millis(200));
    assert!(!s.alternate_screen());
    assert_cooked(&s.stty());
    let text = s.contents();
    assert!(
        text.contains("test panic requested"),
        "report not shown:\n{text}"
    );
}

#[test]
fn closing_the_terminal_ends_the_process() {
    // Built by hand: every handle on the master side (reader, writer, master) must be dropped
    // for the pty to hang up, so the reader here is not left in a thread.
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 30,
            cols: 100,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("openpty");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_dlscope"));
    cmd.env("TERM", "xterm-256color");
    let mut child = pair.slave.spawn_command(cmd).expect("spawn");
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().expect("reader");
    let writer = pair.master.take_writer().expect("writer");
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("dlscope") {
        let n = reader.read(&mut buf).expect("read pty");
        assert!(n > 0, "pty closed before the app drew");
        seen.extend_from_slice(&buf[..n]);
    }
    drop(reader);
    drop(writer);
    drop(pair.master);
    // A condition, not a stopwatch: the process must end on its own. How fast it ends is a
    // speed target for benchmarks, not for a test on a machine of unknown load.
    let start = Instant::now();
    let mut status = None;
    while start.elapsed() < Duration::from_secs(60) {
        if let Ok(Some(s)) = child.try_wait() {
            status = Some(s);
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    assert!(
        status.is_some(),
        "still running {:?} after the pty closed",
        start.elapsed()
    );
}

#[test]
fn idle_app_does_not_redraw() {
    let mut s = Session::start(&[], &[], 100, 30);
    s.wait_for("dlscope");
    // Wait for the condition (no background work left), never for a fixed time: on a busy
    // machine the first results can take seconds.
    s.wait_settled();
    thread::sleep(Duration::from_millis(100));
    let before = s.screen.lock().unwrap().screen().contents_formatted();
    let cpu_before = cpu_ticks(s.child.process_id().expect("pid"));
    thread::sleep(Duration::from_millis(700));
    let after = s.screen.lock().unwrap().screen().contents_formatted();
    let cpu_after = cpu_ticks(s.child.process_id().expect("pid"));
    assert_eq!(before, after);
    // Idle means asleep: well under a tenth of a CPU over 0.7 s (ticks are 10 ms).
    if let (Some(a), Some(b)) = (cpu_before, cpu_after) {
        assert!(b - a <= 7, "idle process used {} ticks", b - a);
    }
    s.send(b"q");
    s.wait_exit(Duration::from_secs(5)).expect("quit");
}

/// User + system CPU ticks of a process, from /proc (Linux).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

#[test]
fn bad_flags_exit_2_with_one_line_and_leave_the_terminal_alone() {
    let out = Command::new(env!("CARGO_BIN_EXE_dlscope"))
        .args(["--tab", "nope"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("nope"), "{err}");
    assert!(out.stdout.is_empty());
    let out = Command::new(env!("CARGO_BIN_EXE_dlscope"))
        .args(["snapshot", "--tab", "resnet", "--width", "0"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr)
            .trim_end()
            .lines()
            .count(),
        1
    );
}

#[test]
fn s_saves_the_screen_as_svg_and_m_sends_osc_52() {
    let dir = common::TempDir::new("export");
    let mut s = Session::start_in(Some(dir.path()), &["--tab", "scale"], &[], 100, 30);
    s.wait_for("dlscope");
    s.send(b"s");
    s.wait_for("saved the screen to dlscope-scale-");
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let svg = std::fs::read_to_string(&files[0]).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("Scale invariance"));
    s.send(b"m");
    s.wait_for("sent");
    let raw = s.raw.lock().unwrap().clone();
    let text = String::from_utf8_lossy(&raw);
    assert!(
        text.contains("\x1b]52;c;"),
        "no OSC 52 sequence was written"
    );
    s.send(b"q");
    s.wait_exit(Duration::from_secs(20)).expect("quit");
}
