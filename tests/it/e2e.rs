//! End to end in a real pseudo-terminal: start the binary, type keys, read the screen, quit,
//! and check the terminal modes were restored; close the pty and check the process is gone.

use std::io::Read;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::common;
use crate::common::pty::{PATIENCE, Session, assert_cooked};
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
    // Esc read on its own (right before q the two would read as Alt-q): the help has closed.
    s.wait_until("the help closed", |screen| !screen.contains("Global keys"));
    s.send(b"q");
    let status = s.wait_exit(PATIENCE).expect("dlscope did not quit on q");
    assert!(status.success(), "{status:?}");
    s.wait_output_end();
    assert!(!s.alternate_screen(), "alternate screen not left");
    assert!(!s.cursor_hidden(), "cursor not shown again");
    assert_cooked(&s.stty());
}

#[test]
fn resize_redraws_and_too_small_says_so() {
    let mut s = Session::start(&[], &[], 100, 30);
    s.wait_for("dlscope");
    s.resize(40, 10);
    s.wait_for("Too small (40");
    s.send(b"\x03");
    let status = s.wait_exit(PATIENCE).expect("dlscope did not quit on C-c");
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
    let status = s.wait_exit(PATIENCE).expect("no exit after SIGTERM");
    assert!(!status.success());
    s.wait_output_end();
    assert!(!s.alternate_screen());
    assert_cooked(&s.stty());
}

#[test]
fn a_panic_restores_the_terminal_before_the_report() {
    let mut s = Session::start(&[], &[("DLSCOPE_TEST_PANIC", "1")], 100, 30);
    s.wait_for("dlscope");
    s.send(b"\x1b[24~"); // F12
    let status = s.wait_exit(PATIENCE).expect("no exit after the panic");
    assert!(!status.success());
    s.wait_output_end();
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
    while start.elapsed() < PATIENCE {
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
    // Wait for the condition (no background work left, its last frame read whole), never for a
    // fixed time: on a busy machine the first results can take seconds.
    s.wait_settled();
    let before = s.screen.lock().unwrap().screen().contents_formatted();
    let cpu_before = cpu_ticks(s.child.process_id().expect("pid"));
    // The measurement window, not a wait for work: whatever the app draws or computes in it
    // while idle is what the two checks below catch.
    thread::sleep(Duration::from_millis(700));
    let after = s.screen.lock().unwrap().screen().contents_formatted();
    let cpu_after = cpu_ticks(s.child.process_id().expect("pid"));
    assert_eq!(before, after);
    // Idle means asleep: well under a tenth of a CPU over 0.7 s (ticks are 10 ms).
    if let (Some(a), Some(b)) = (cpu_before, cpu_after) {
        assert!(b - a <= 7, "idle process used {} ticks", b - a);
    }
    s.send(b"q");
    s.wait_exit(PATIENCE).expect("quit");
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
    s.wait_exit(PATIENCE).expect("quit");
}

/// Waits until the app has written `needle` (or fails after [`PATIENCE`]).
fn wait_raw(s: &Session, needle: &str) {
    assert!(
        raw_count_reaching(s, needle, 1) >= 1,
        "the app never wrote {needle:?}"
    );
}

/// Waits until the app has written `needle` at least `n` times (or [`PATIENCE`] has passed: a
/// condition, not a fixed time) and returns how often it has.
fn raw_count_reaching(s: &Session, needle: &str, n: usize) -> usize {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let count = raw_count(s, needle);
        if count >= n || Instant::now() >= deadline {
            return count;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// How often the app has written `needle`.
fn raw_count(s: &Session, needle: &str) -> usize {
    let raw = s.raw.lock().unwrap().clone();
    String::from_utf8_lossy(&raw).matches(needle).count()
}

/// The help overlay's last section, which says how images are drawn and why.
fn images_line(s: &mut Session) -> String {
    s.send(b"?");
    s.wait_for("help");
    s.send(b"\x1b[F");
    s.wait_for("Display");
    let screen = s.contents();
    let line = screen
        .lines()
        .find(|l| l.contains("images "))
        .unwrap_or_default()
        .to_string();
    s.send(b"?");
    s.wait_until("the help closed", |screen| !screen.contains("Display"));
    line
}

#[test]
fn a_terminal_that_never_answers_the_image_query_still_gets_the_app() {
    // vt100 answers nothing, like an SSH link that drops the replies: the query (kitty,
    // device attributes, cell size, status report) goes out, and the app draws anyway. (How
    // long the query may wait is the decision's business, tested in `graphics`; here only that
    // the app comes, and says why it draws half blocks.)
    let mut s = Session::start(&["--tab", "lowrank"], &[], 100, 30);
    wait_raw(&s, "\x1b[5n");
    s.wait_for("Low rank");
    let line = images_line(&mut s);
    assert!(
        line.contains("half blocks: the terminal did not answer the image query within 1 s"),
        "{line}"
    );
    // The answer comes after all (a slow link): it must not act as keys (the `i` of
    // "Gi=31" is the next-input key, `3` and `1` switch tabs).
    s.send(b"\x1b_Gi=31;OK\x1b\\\x1b_Gi=32;OK\x1b\\\x1b[?62;22c\x1b[6;20;10t\x1b[0n");
    s.send(b"?");
    s.wait_for("Low rank tab");
    s.send(b"?");
    s.wait_until("the help closed", |screen| !screen.contains("Low rank tab"));
    assert!(s.contents().contains("camera"), "{}", s.contents());
    // Keys work: the query reader is gone, nothing swallows them.
    s.send(b"3");
    s.wait_for("gradient at");
    s.send(b"q");
    s.wait_exit(PATIENCE).expect("quit");
    assert_cooked(&s.stty());
}

#[test]
fn a_kitty_terminal_gets_kitty_images_and_its_answers_never_become_keys() {
    let mut s = Session::start(&["--tab", "lowrank"], &[], 120, 40);
    wait_raw(&s, "\x1b[5n");
    // kitty's answers: graphics OK (and compression), device attributes, cell size, status.
    s.send(b"\x1b_Gi=31;OK\x1b\\\x1b_Gi=32;OK\x1b\\\x1b[?62;22c\x1b[6;20;10t\x1b[0n");
    s.wait_settled();
    wait_raw(&s, "\x1b_Gq=2,i=");
    assert!(
        raw_count(&s, "a=T,U=1,f=32,o=z,") >= 3,
        "three compressed transmissions"
    );
    let line = images_line(&mut s);
    assert!(
        line.contains("kitty: the terminal answered the kitty graphics query"),
        "{line}"
    );
    // The `i` of "Gi=31" did not switch the input.
    assert!(s.contents().contains("camera"), "{}", s.contents());
    // A new rank sends the changed images again, not the original.
    let before = raw_count(&s, "a=T,");
    s.send(b"l");
    s.wait_for("rank 11");
    assert_eq!(
        raw_count_reaching(&s, "a=T,", before + 2),
        before + 2,
        "approximation and residual"
    );
    // A resize clears the screen: every image goes again, at its new size.
    let before = raw_count(&s, "a=T,");
    s.resize(140, 44);
    assert_eq!(
        raw_count_reaching(&s, "a=T,", before + 3),
        before + 3,
        "all three after a resize"
    );
    s.send(b"q");
    s.wait_exit(PATIENCE).expect("quit");
    assert_cooked(&s.stty());
}

#[test]
fn an_explicit_protocol_inside_tmux_without_passthrough_says_so_and_falls_back() {
    // $TMUX names no server: tmux cannot say whether passthrough is on.
    let mut s = Session::start(
        &["--tab", "lowrank", "--graphics", "sixel"],
        &[
            ("TMUX", "/nonexistent/dlscope-tmux,1,0"),
            ("TMUX_PANE", "%0"),
        ],
        100,
        30,
    );
    s.wait_for("sixel asked for, but tmux did not say whether allow-passthrough is on");
    assert_eq!(raw_count(&s, "\x1b[5n"), 0, "no query into tmux");
    s.wait_settled();
    assert!(s.contents().contains('▀'), "half blocks:\n{}", s.contents());
    assert_eq!(raw_count(&s, "\x1bP9;1;0q"), 0, "no sixel");
    s.send(b"q");
    s.wait_exit(PATIENCE).expect("quit");
}

/// Whether process `pid` has ended (gone, or a zombie nobody has reaped yet).
#[cfg(target_os = "linux")]
fn ended(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_none_or(|state| state == "Z" || state == "X"),
    }
}

#[cfg(target_os = "linux")]
#[test]
fn the_low_rank_completion_runs_in_a_child_that_ends_with_the_app() {
    // A 2048×2048 input: every singular value takes seconds on a thread (with a percentage),
    // then every vector seconds more in a child process.
    let dir = common::TempDir::new("svd-child");
    let side = 2048;
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(9);
    let data: Vec<f64> = (0..side * side)
        .map(|_| rand::Rng::random::<f64>(&mut rng))
        .collect();
    let path = dir.write(
        "big.npy",
        &common::npy_floats("<f8", false, &[side, side], &data),
    );
    let mut s = Session::start(
        &[
            "--tab",
            "lowrank",
            "--max-side",
            "2048",
            "--input",
            path.to_str().unwrap(),
        ],
        &[],
        200,
        30,
    );
    let app = s.child.process_id().expect("pid");
    s.wait_for("all σ: bidiagonal form");
    s.wait_for("(step 2 of 2), big.npy");
    let deadline = Instant::now() + PATIENCE;
    let children = loop {
        let children = common::svd_children_of(app);
        if !children.is_empty() {
            break children;
        }
        assert!(
            Instant::now() < deadline,
            "the app started no svd-worker child:\n{}",
            s.contents()
        );
        thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(children.len(), 1, "{children:?}");
    let (child, _) = children[0];
    s.send(b"q");
    s.wait_exit(PATIENCE).expect("quit");
    // With the app gone its child sees its input close and exits too.
    let deadline = Instant::now() + PATIENCE;
    while !ended(child) {
        assert!(
            Instant::now() < deadline,
            "svd-worker {child} outlived the app"
        );
        thread::sleep(Duration::from_millis(10));
    }
}

/// The process's state letter from /proc (T: stopped).
fn process_state(pid: u32) -> char {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let after = s.rfind(')')?;
            s[after + 1..].trim_start().chars().next()
        })
        .unwrap_or('?')
}

fn wait_state(pid: u32, want: char) {
    let deadline = Instant::now() + PATIENCE;
    while process_state(pid) != want {
        assert!(
            Instant::now() < deadline,
            "process never reached state {want}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ctrl_z_and_sigtstp_give_the_terminal_back_and_fg_redraws() {
    let mut s = Session::start(&["--tab", "rnn"], &[], 100, 30);
    s.wait_for("RNN");
    let pid = s.child.process_id().expect("pid");
    for how in ["ctrl-z", "kill"] {
        if how == "ctrl-z" {
            s.send(b"\x1a");
        } else {
            Command::new("kill")
                .args(["-TSTP", &pid.to_string()])
                .status()
                .expect("kill");
        }
        // Stopped, with the terminal as the shell needs it: main screen, cursor, cooked.
        wait_state(pid, 'T');
        s.wait_until("the main screen after the stop", |_| !s.alternate_screen());
        assert!(!s.cursor_hidden(), "{how}: cursor left hidden");
        assert_cooked(&s.stty());
        // fg: the app takes the terminal back and draws the whole screen again.
        Command::new("kill")
            .args(["-CONT", &pid.to_string()])
            .status()
            .expect("kill");
        s.wait_until("the app redrawn after SIGCONT", |screen| {
            s.alternate_screen() && screen.contains("RNN") && screen.contains("help")
        });
        assert!(s.cursor_hidden(), "{how}: cursor shown after resuming");
    }
    s.send(b"q");
    let status = s.wait_exit(PATIENCE).expect("no exit after q");
    assert!(status.success());
    assert_cooked(&s.stty());
}

#[test]
fn an_arrow_split_by_a_slow_link_is_an_arrow_not_esc() {
    // The app waits 3 s for the rest of a sequence, so the 30 ms gap below is always inside
    // the wait, however busy the machine.
    let mut s = Session::start(&["--tab", "rnn"], &[("DLSCOPE_ESCAPE_MS", "3000")], 100, 30);
    s.wait_for("RNN");
    s.send(b"\x1b");
    thread::sleep(Duration::from_millis(30));
    s.send(b"[B");
    // Had the Esc been read alone, the app would have quit: it answers the help key instead.
    s.send(b"?");
    s.wait_for("or Esc closes");
    s.send(b"q");
    let status = s.wait_exit(PATIENCE).expect("no exit after q");
    assert!(status.success());
    // And a real Esc still quits, once its wait is over.
    let mut s = Session::start(&["--tab", "rnn"], &[("DLSCOPE_ESCAPE_MS", "0")], 100, 30);
    s.wait_for("RNN");
    s.send(b"\x1b");
    let status = s.wait_exit(PATIENCE).expect("no exit after Esc");
    assert!(status.success());
}

#[test]
fn train_shows_its_progress_on_a_terminal_only() {
    let args = ["train", "--preset", "long-memory", "--iterations", "60"];
    let mut s = Session::start(&args, &[], 120, 30);
    let status = s.wait_exit(PATIENCE).expect("train ended");
    assert!(status.success());
    s.wait_output_end();
    let raw = String::from_utf8_lossy(&s.raw.lock().expect("raw").clone()).into_owned();
    assert!(
        raw.contains("training: RNN tanh ") && raw.contains("/60 loss"),
        "{raw}"
    );
    // The line is cleared before the summary, which the screen shows whole.
    assert!(s.contents().contains("Final loss"), "{}", s.contents());
    // Not a terminal: nothing on stderr.
    let out = common::dlscope(&args);
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
