//! The app in a real pseudo-terminal: spawn the binary, type, read the screen through vt100.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// How long a wait on the app may last before the test fails. Generous on purpose: a busy
/// machine makes a test slower, never makes it fail.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The start of the synchronized-update escapes the app wraps each frame in: `CSI ? 2026 h`
/// before a frame, `CSI ? 2026 l` after it.
const SYNC: &[u8] = b"\x1b[?2026";

/// Whether the last synchronized-update escape in `bytes` begins a frame (`Some(true)`) or ends
/// one (`Some(false)`); `None` if `bytes` holds none.
fn last_sync(bytes: &[u8]) -> Option<bool> {
    bytes.windows(SYNC.len() + 1).rev().find_map(|w| {
        if !w.starts_with(SYNC) {
            return None;
        }
        match w[SYNC.len()] {
            b'h' => Some(true),
            b'l' => Some(false),
            _ => None,
        }
    })
}

pub fn nz(n: u16) -> std::num::NonZero<u16> {
    std::num::NonZero::new(n.max(1)).unwrap_or(std::num::NonZero::<u16>::MIN)
}

pub struct Session {
    pub master: Option<Box<dyn MasterPty + Send>>,
    pub writer: Option<Box<dyn Write + Send>>,
    pub child: Box<dyn Child + Send + Sync>,
    pub screen: Arc<Mutex<vt100::Parser>>,
    pub tty: Option<PathBuf>,
    /// Every byte the app wrote, for escapes the screen model drops (OSC 52).
    pub raw: Arc<Mutex<Vec<u8>>>,
    /// Whether the bytes read so far stop half-way through a frame. Written under `screen`'s
    /// lock, with the bytes that changed it.
    mid_frame: Arc<AtomicBool>,
    /// Set once the app's output has ended: the pty hung up, every byte is in `screen`.
    output_ended: Arc<AtomicBool>,
}

impl Session {
    pub fn start(args: &[&str], env: &[(&str, &str)], cols: u16, rows: u16) -> Session {
        Session::start_in(None, args, env, cols, rows)
    }

    /// The same, with the app's working directory set (files it writes land there).
    pub fn start_in(
        cwd: Option<&std::path::Path>,
        args: &[&str],
        env: &[(&str, &str)],
        cols: u16,
        rows: u16,
    ) -> Session {
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
        if let Some(dir) = cwd {
            cmd.cwd(dir);
        }
        cmd.env("TERM", "xterm-256color");
        cmd.env("LANG", "en_US.UTF-8");
        cmd.env_remove("NO_COLOR");
        // Not the tmux or terminal the tests run in: the image decision reads these.
        for var in [
            "TMUX",
            "TMUX_PANE",
            "TERM_PROGRAM",
            "LC_TERMINAL",
            "WEZTERM_EXECUTABLE",
            "KONSOLE_VERSION",
            "ITERM_SESSION_ID",
        ] {
            cmd.env_remove(var);
        }
        // No config file of the person running the tests (a test may set its own).
        cmd.env("XDG_CONFIG_HOME", "/nonexistent/dlscope-tests");
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
        let raw = Arc::new(Mutex::new(Vec::new()));
        let raw_sink = Arc::clone(&raw);
        let mid_frame = Arc::new(AtomicBool::new(false));
        let mid_frame_sink = Arc::clone(&mid_frame);
        let output_ended = Arc::new(AtomicBool::new(false));
        let output_ended_sink = Arc::clone(&output_ended);
        thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                // The raw bytes and the frame state change under the screen's lock too, so a
                // waiter holding it sees the three agree.
                if let Ok(mut p) = sink.lock() {
                    p.process(&buf[..n]);
                    if let Ok(mut r) = raw_sink.lock() {
                        // An escape may straddle two reads: look from just before this one.
                        let from = r.len().saturating_sub(SYNC.len());
                        r.extend_from_slice(&buf[..n]);
                        if let Some(open) = last_sync(&r[from..]) {
                            mid_frame_sink.store(open, Ordering::SeqCst);
                        }
                    }
                }
            }
            // End of file, or EIO on Linux once nothing holds the terminal's other side.
            output_ended_sink.store(true, Ordering::SeqCst);
        });
        let writer = pair.master.take_writer().expect("writer");
        let tty = pair.master.tty_name();
        Session {
            master: Some(pair.master),
            writer: Some(writer),
            child,
            screen,
            tty,
            raw,
            mid_frame,
            output_ended,
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        let w = self.writer.as_mut().expect("writer");
        w.write_all(bytes).expect("write to pty");
        w.flush().expect("flush pty");
    }

    pub fn contents(&self) -> String {
        self.screen
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }

    /// The screen's text between two frames; `None` while a frame is half read (its rows would
    /// be part old, part new).
    fn whole_frame(&self) -> Option<String> {
        let parser = self.screen.lock().ok()?;
        (!self.mid_frame.load(Ordering::SeqCst)).then(|| parser.screen().contents())
    }

    /// Waits until the app's output has ended (or fails after [`PATIENCE`]): the pty hangs up
    /// once the app has exited and nothing else holds the terminal, and then the screen holds
    /// every byte the app wrote, the restored modes and any report after them included.
    pub fn wait_output_end(&self) {
        let deadline = Instant::now() + PATIENCE;
        while !self.output_ended.load(Ordering::SeqCst) {
            assert!(
                Instant::now() < deadline,
                "the app's output never ended (the pty is still open):\n{}",
                self.contents()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until the screen shows `text` (or fails after [`PATIENCE`]).
    pub fn wait_for(&self, text: &str) {
        self.wait_until(&format!("{text:?}"), |screen| screen.contains(text));
    }

    /// Waits until no background work is running: the tab bar (first row) of a whole frame no
    /// longer ends with the busy label's ellipsis.
    pub fn wait_settled(&self) {
        self.wait_until("a settled tab bar", |screen| {
            let bar = screen.lines().next().unwrap_or("").trim_end();
            !bar.is_empty() && !bar.ends_with('…') && !bar.ends_with("...")
        });
    }

    /// Resizes the terminal to `cols`×`rows`: the pty (the app gets SIGWINCH) and the screen
    /// the test reads.
    pub fn resize(&mut self, cols: u16, rows: u16) {
        if let Some(m) = self.master.as_ref() {
            m.resize(portable_pty::PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize");
        }
        self.screen
            .lock()
            .expect("screen")
            .screen_mut()
            .set_size(nz(rows), nz(cols));
    }

    pub fn wait_exit(&mut self, within: Duration) -> Option<portable_pty::ExitStatus> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            thread::sleep(Duration::from_millis(10));
        }
        None
    }

    pub fn alternate_screen(&self) -> bool {
        self.screen
            .lock()
            .map(|p| p.screen().alternate_screen())
            .unwrap_or(true)
    }

    pub fn cursor_hidden(&self) -> bool {
        self.screen
            .lock()
            .map(|p| p.screen().hide_cursor())
            .unwrap_or(true)
    }

    /// The pty's line discipline as `stty -a` prints it.
    pub fn stty(&self) -> String {
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

pub fn assert_cooked(stty: &str) {
    let words: Vec<&str> = stty.split_whitespace().collect();
    assert!(words.contains(&"icanon"), "raw mode left on:\n{stty}");
    assert!(words.contains(&"echo"), "echo left off:\n{stty}");
}

impl Session {
    /// Waits until `done` holds for the screen's text between two frames (or fails after
    /// [`PATIENCE`]): a condition, never a fixed time, so a busy machine only makes it slower.
    /// Each frame is a synchronized update, and `done` never sees one half read, so the rest
    /// of the frame that satisfied it is on the screen too when this returns.
    pub fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if self.whole_frame().is_some_and(|screen| done(&screen)) {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        panic!("screen never showed {what}:\n{}", self.contents());
    }
}
