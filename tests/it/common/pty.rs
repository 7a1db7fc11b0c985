//! The app in a real pseudo-terminal: spawn the binary, type, read the screen through vt100.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

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
        thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut p) = sink.lock() {
                    p.process(&buf[..n]);
                }
                if let Ok(mut r) = raw_sink.lock() {
                    r.extend_from_slice(&buf[..n]);
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
            raw,
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

    /// Waits until the screen shows `text` (or fails after a few seconds).
    pub fn wait_for(&self, text: &str) {
        self.wait_until(&format!("{text:?}"), |screen| screen.contains(text));
    }

    /// Waits until no background work is running: the tab bar (first row) no longer ends with
    /// the busy label's ellipsis.
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
    /// Waits until `done` holds for the screen's text (or fails after 60 s): a condition, never
    /// a fixed time, so a busy machine only makes it slower.
    pub fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if done(&self.contents()) {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        panic!("screen never showed {what}:\n{}", self.contents());
    }
}
