//! The terminal loop. It blocks while idle (no periodic redraw), ticks at most 30 times a
//! second while something animates, redraws only when something changed, wraps each frame in
//! synchronized-update escapes, and restores the terminal on every way out: `q`, an error, a
//! panic (the report is printed after the restore), SIGTERM, SIGHUP and a terminal that went
//! away. Ctrl-Z and SIGTSTP suspend like other full-screen tools: the terminal is restored
//! before the process stops, and taken again and redrawn when it continues (SIGCONT, also
//! after a SIGSTOP it could not see coming). An Esc waits briefly for the rest of an escape
//! sequence split by a slow link (`input::Joiner`).

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event};
use crossterm::terminal::{
    self, BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen,
    LeaveAlternateScreen,
};
use crossterm::{cursor, execute, queue};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::app::{App, Effect};
use crate::graphics::{Graphics, LateReplies};
use crate::jobs::Waker;
use crate::keymap::Key;

/// Animation frames per second, at most.
pub const MAX_FPS: u32 = 30;

/// How the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The user quit.
    Quit,
    /// A signal asked us to stop (its number).
    Signal(i32),
    /// The terminal went away (closed pty, dropped SSH connection).
    TerminalGone,
}

impl Exit {
    /// The process exit status for this ending.
    pub fn code(self) -> i32 {
        match self {
            Exit::Quit => 0,
            Exit::Signal(sig) => 128 + sig,
            Exit::TerminalGone => 1,
        }
    }
}

enum Msg {
    Input(Event),
    InputGone,
    Wake,
    Signal(i32),
    /// SIGTSTP: give the terminal back and stop.
    Suspend,
    /// SIGCONT: we run again; take the terminal back and redraw.
    Continue,
}

static ACTIVE: AtomicBool = AtomicBool::new(false);
static MOUSE: AtomicBool = AtomicBool::new(false);

/// Puts the terminal back as we found it. Safe to call more than once and from a panic hook.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    if MOUSE.load(Ordering::SeqCst) {
        let _ = execute!(out, DisableMouseCapture);
    }
    let _ = execute!(
        out,
        EndSynchronizedUpdate,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = terminal::disable_raw_mode();
    let _ = out.flush();
}

fn enter(mouse: bool) -> io::Result<()> {
    terminal::enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    MOUSE.store(mouse, Ordering::SeqCst);
    let mut out = io::stdout();
    execute!(out, EnterAlternateScreen, cursor::Hide)?;
    if mouse {
        execute!(out, EnableMouseCapture)?;
    }
    Ok(())
}

fn spawn_input(tx: Sender<Msg>) {
    thread::spawn(move || {
        let wait =
            crate::input::escape_wait_from(std::env::var("DLSCOPE_ESCAPE_MS").ok().as_deref());
        let mut joiner = crate::input::Joiner::new(wait);
        loop {
            // While an Esc waits for the rest of a sequence, read only until its deadline.
            let ready = match joiner.deadline() {
                Some(at) => event::poll(at.saturating_duration_since(Instant::now())),
                None => Ok(true),
            };
            let events = match ready {
                Ok(true) => match event::read() {
                    Ok(ev) => joiner.feed(ev, Instant::now()),
                    Err(_) => {
                        let _ = tx.send(Msg::InputGone);
                        break;
                    }
                },
                Ok(false) => joiner.flush(),
                Err(_) => {
                    let _ = tx.send(Msg::InputGone);
                    break;
                }
            };
            if events
                .into_iter()
                .any(|ev| tx.send(Msg::Input(ev)).is_err())
            {
                break;
            }
        }
    });
}

fn spawn_signals(tx: Sender<Msg>) -> io::Result<()> {
    use signal_hook::consts::{SIGCONT, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP};
    let mut signals =
        signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGTSTP, SIGCONT])?;
    thread::spawn(move || {
        for sig in signals.forever() {
            let msg = match sig {
                SIGTSTP => Msg::Suspend,
                SIGCONT => Msg::Continue,
                sig => Msg::Signal(sig),
            };
            let last = matches!(msg, Msg::Signal(_));
            if tx.send(msg).is_err() || last {
                break;
            }
        }
    });
    Ok(())
}

/// Gives the terminal back, stops the process (as SIGTSTP's default would), and once it runs
/// again takes the terminal back; the caller redraws everything.
fn suspend(terminal: &mut Term) -> io::Result<()> {
    let mouse = MOUSE.load(Ordering::SeqCst);
    restore();
    signal_hook::low_level::raise(signal_hook::consts::SIGSTOP)?;
    retake(terminal, mouse)
}

/// Takes the terminal again after a stop (raw mode, the alternate screen, the mouse) and
/// forgets what it showed, so the next draw paints every cell.
fn retake(terminal: &mut Term, mouse: bool) -> io::Result<()> {
    restore();
    enter(mouse)?;
    *terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    execute!(
        terminal.backend_mut(),
        terminal::Clear(terminal::ClearType::All)
    )
}

type Term = Terminal<CrosstermBackend<io::Stdout>>;

/// The terminal loop's channel, made before the app so the app's workers can wake the loop.
pub struct Runtime {
    tx: Sender<Msg>,
    rx: Receiver<Msg>,
    waker: Waker,
}

impl Default for Runtime {
    fn default() -> Self {
        Self::new()
    }
}

impl Runtime {
    pub fn new() -> Self {
        let (tx, rx) = mpsc::channel::<Msg>();
        let wake_tx = tx.clone();
        let waker = Waker::new(move || {
            let _ = wake_tx.send(Msg::Wake);
        });
        Runtime { tx, rx, waker }
    }

    /// The waker to build the app with.
    pub fn waker(&self) -> &Waker {
        &self.waker
    }

    /// Runs `app` in the terminal until it quits; the terminal is restored on every way out.
    /// How pictures are drawn is decided once the terminal is ours and before any input is
    /// read (the terminal's answers to the image query must not become keys), in 1 s at most.
    pub fn run(self, mut app: App, mouse: bool, graphics: Graphics) -> io::Result<Exit> {
        spawn_signals(self.tx.clone())?;
        enter(mouse)?;
        let env = |k: &str| std::env::var(k).ok();
        let detected = crate::graphics::detect(graphics, app.ui.depth, app.ui.glyphs.unicode, &env);
        let late = LateReplies::new(detected.unanswered);
        let decision = detected.decision;
        app.set_images(detected.images, decision.reason, decision.refused);
        let result = event_loop(&mut app, &self.rx, self.tx, late);
        restore();
        result
    }
}

fn event_loop(
    app: &mut App,
    rx: &Receiver<Msg>,
    tx: Sender<Msg>,
    mut late: LateReplies,
) -> io::Result<Exit> {
    let backend = CrosstermBackend::new(io::stdout());
    let mut terminal = Terminal::new(backend)?;
    // Not `terminal.clear()`: it asks the terminal for the cursor position, and a terminal that
    // never answers (some ptys, some multiplexers) would fail start-up.
    execute!(
        terminal.backend_mut(),
        terminal::Clear(terminal::ClearType::All)
    )?;
    spawn_input(tx);
    let frame = Duration::from_secs(1) / MAX_FPS;
    let mut dirty = true;
    let mut next_tick = Instant::now() + frame;
    loop {
        if dirty {
            if draw(&mut terminal, app).is_err() {
                return Ok(Exit::TerminalGone);
            }
            dirty = false;
        }
        let msg = if app.animating() {
            let now = Instant::now();
            if now >= next_tick {
                next_tick = now + frame;
                dirty |= app.tick();
                continue;
            }
            match rx.recv_timeout(next_tick - now) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return Ok(Exit::TerminalGone),
            }
        } else {
            match rx.recv() {
                Ok(m) => m,
                Err(_) => return Ok(Exit::TerminalGone),
            }
        };
        match msg {
            Msg::Input(Event::Key(k)) => {
                if late.drops(&k, Instant::now()) {
                    continue;
                }
                if let Some(key) = Key::from_event(&k) {
                    let was_animating = app.animating();
                    dirty |= on_key(&mut terminal, app, key)?;
                    if !was_animating && app.animating() {
                        next_tick = Instant::now() + frame;
                    }
                }
            }
            Msg::Input(Event::Mouse(m)) => dirty |= app.handle_mouse(m),
            Msg::Input(Event::Resize(..)) => {
                // The next draw clears the screen for the new size: pictures go again.
                app.screen_cleared();
                dirty = true;
            }
            Msg::Input(_) => {}
            Msg::Wake => dirty |= app.poll(),
            Msg::InputGone => return Ok(Exit::TerminalGone),
            Msg::Suspend => {
                suspend(&mut terminal)?;
                app.screen_cleared();
                dirty = true;
            }
            Msg::Continue => {
                // Also after a SIGSTOP we never saw: the shell may have reset the terminal.
                retake(&mut terminal, MOUSE.load(Ordering::SeqCst))?;
                app.screen_cleared();
                dirty = true;
            }
            Msg::Signal(sig) => {
                return Ok(if sig == signal_hook::consts::SIGHUP {
                    Exit::TerminalGone
                } else {
                    Exit::Signal(sig)
                });
            }
        }
        if app.should_quit() {
            return Ok(Exit::Quit);
        }
    }
}

/// A key for the app, and the effect it asked for (saving, copying, suspending); true to
/// redraw.
fn on_key(terminal: &mut Term, app: &mut App, key: Key) -> io::Result<bool> {
    // The end-to-end tests prove the panic path restores the terminal; only debug builds
    // (what `cargo test` runs) have this trigger.
    #[cfg(debug_assertions)]
    if key == Key::code(crossterm::event::KeyCode::F(12))
        && std::env::var_os("DLSCOPE_TEST_PANIC").is_some()
    {
        panic!("test panic requested");
    }
    let dirty = app.handle_key(key);
    let size = terminal.size().unwrap_or_default();
    let message = match app.take_effect() {
        None => return Ok(dirty),
        // Raw mode turns Ctrl-Z into a key: suspend as the terminal would have.
        Some(Effect::Suspend) => {
            suspend(terminal)?;
            app.screen_cleared();
            return Ok(true);
        }
        Some(Effect::SaveScreen) => save_screen(app, size.width, size.height),
        Some(Effect::Copy(text)) => copy(app, text, size.width, size.height),
    };
    let _ = execute!(terminal.backend_mut(), cursor::Hide);
    app.set_message(message);
    Ok(true)
}

/// Saves the screen as SVG; returns the line the footer shows about it.
fn save_screen(app: &App, width: u16, height: u16) -> String {
    let buf = crate::app::render_cells_to_buffer(app, width, height);
    let tab = app.current_tab().unwrap_or("screen");
    let path = export_path(tab, crate::export::Format::Svg);
    match std::fs::write(&path, crate::export::svg(&buf)) {
        Ok(()) => format!("saved the screen to {}", crate::text::shown_path(&path)),
        Err(e) => format!("could not save {}: {e}", crate::text::shown_path(&path)),
    }
}

/// Sends `text` (else the screen's text) to the clipboard; returns the footer's line.
fn copy(app: &App, text: Option<String>, width: u16, height: u16) -> String {
    let text = text.unwrap_or_else(|| {
        let buf = crate::app::render_cells_to_buffer(app, width, height);
        crate::snapshot::buffer_text(&buf)
    });
    let sent = execute!(
        io::stdout(),
        crossterm::clipboard::CopyToClipboard::to_clipboard_from(text.as_bytes())
    );
    match sent {
        // The terminal cannot confirm it: say what was done, not that it arrived.
        Ok(()) => format!(
            "sent {} characters to the clipboard (OSC 52; tmux needs set-clipboard on)",
            text.chars().count()
        ),
        Err(e) => format!("could not send to the clipboard: {e}"),
    }
}

/// `dlscope-<tab>-<seconds since 1970>.<ext>` in the current directory, never an existing file.
pub fn export_path(tab: &str, format: crate::export::Format) -> std::path::PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let ext = format.extension();
    let mut path = std::path::PathBuf::from(format!("dlscope-{tab}-{secs}.{ext}"));
    let mut n = 1;
    while path.exists() {
        path = std::path::PathBuf::from(format!("dlscope-{tab}-{secs}-{n}.{ext}"));
        n += 1;
    }
    path
}

/// Lays the app out for the terminal's size, then draws it.
fn draw(terminal: &mut Term, app: &mut App) -> io::Result<()> {
    let size = terminal.size()?;
    app.layout(size.width, size.height);
    queue!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    terminal.draw(|f| f.render_widget(&*app, f.area()))?;
    execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    Ok(())
}
