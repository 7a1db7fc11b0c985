//! End to end in a real pseudo-terminal: start the binary, type keys, read the screen, quit,
//! and check the terminal modes were restored; close the pty and check the process is gone.

#![allow(clippy::unwrap_used)] // tests and benchmarks may fail loudly

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

fn nz(n: u16) -> std::num::NonZero<u16> {
    std::num::NonZero::new(n.max(1)).unwrap_or(std::num::NonZero::<u16>::MIN)
}

struct Session {
    master: Option<Box<dyn MasterPty + Send>>,
    writer: Option<Box<dyn Write + Send>>,
    child: Box<dyn Child + Send + Sync>,
    screen: Arc<Mutex<vt100::Parser>>,
    tty: Option<PathBuf>,
}

impl Session {
    fn start(args: &[&str], env: &[(&str, &str)], cols: u16, rows: u16) -> Session {
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_dlscope"));
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env("LANG", "en_US.UTF-8");
        cmd.env_remove("NO_COLOR");
        // Short reports: the panic test reads the message off one screen.
        cmd.env("RUST_BACKTRACE", "0");
        cmd.env("RUST_LIB_BACKTRACE", "0");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn dlscope");
        // Only the child keeps the slave side open, so closing the master hangs it up.
        drop(pair.slave);
        let screen = Arc::new(Mutex::new(vt100::Parser::new(nz(rows), nz(cols), 0)));
        let mut reader = pair.master.try_clone_reader().expect("reader");
        let sink = Arc::clone(&screen);
        thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut p) = sink.lock() {
                    p.process(&buf[..n]);
                }
            }
        });
        let writer = pair.master.take_writer().expect("writer");
        let tty = pair.master.tty_name();
        Session {
            master: Some(pair.master),
            writer: Some(writer),
            child,
            screen,
            tty,
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        let w = self.writer.as_mut().expect("writer");
        w.write_all(bytes).expect("write to pty");
        w.flush().expect("flush pty");
    }

    fn contents(&self) -> String {
        self.screen
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }

    /// Waits until the screen shows `text` (or fails after a few seconds).
    fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.contents().contains(text) {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        panic!("screen never showed {text:?}:\n{}", self.contents());
    }

    fn wait_exit(&mut self, within: Duration) -> Option<portable_pty::ExitStatus> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            thread::sleep(Duration::from_millis(10));
        }
        None
    }

    fn alternate_screen(&self) -> bool {
        self.screen
            .lock()
            .map(|p| p.screen().alternate_screen())
            .unwrap_or(true)
    }

    fn cursor_hidden(&self) -> bool {
        self.screen
            .lock()
            .map(|p| p.screen().hide_cursor())
            .unwrap_or(true)
    }

    /// The pty's line discipline as `stty -a` prints it.
    fn stty(&self) -> String {
        let tty = self.tty.as_ref().expect("pty name");
        let out = Command::new("stty")
            .arg("-F")
            .arg(tty)
            .arg("-a")
            .output()
            .expect("run stty");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

fn assert_cooked(stty: &str) {
    let words: Vec<&str> = stty.split_whitespace().collect();
    assert!(words.contains(&"icanon"), "raw mode left on:\n{stty}");
    assert!(words.contains(&"echo"), "echo left off:\n{stty}");
}

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
fn closing_the_terminal_ends_the_process_within_a_second() {
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
    let start = Instant::now();
    let mut status = None;
    while start.elapsed() < Duration::from_secs(3) {
        if let Ok(Some(s)) = child.try_wait() {
            status = Some(s);
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    assert!(status.is_some(), "still running 3 s after the pty closed");
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "took {:?} to exit",
        start.elapsed()
    );
}

#[test]
fn idle_app_does_not_redraw() {
    let mut s = Session::start(&[], &[], 100, 30);
    s.wait_for("dlscope");
    thread::sleep(Duration::from_millis(300));
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
