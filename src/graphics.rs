//! How pictures reach the screen: the `--graphics` choice, what tmux and the terminal allow,
//! and the decision between an image protocol (kitty, sixel, iTerm2; encoded by ratatui-image)
//! and the cell fallbacks (half blocks, characters), with a one-line reason. [`decide`] is pure;
//! asking tmux and the terminal ([`ask_tmux`], [`query_terminal`]) is time-limited and kept
//! apart, so a terminal that never answers (some SSH links, some ptys) costs one second at most.
//!
//! ratatui-image's own `Picker` is not used: its constructors run `tmux set -p allow-passthrough
//! on` (changing the user's tmux, and waiting for it without a limit), and its query thread,
//! once timed out, stays blocked on stdin and would swallow the first key typed. Its query text,
//! reply parser and protocol encoders are used as they are.

use std::time::{Duration, Instant};

use crate::color::ColorDepth;

/// The whole start-up detection (tmux and the terminal) takes at most this long.
pub const QUERY_LIMIT: Duration = Duration::from_secs(1);
/// Of which asking tmux about passthrough takes at most this long.
const TMUX_LIMIT: Duration = Duration::from_millis(300);
/// Pixels per cell (width, height) when the terminal does not say: snapshots use it too.
pub const DEFAULT_CELL: (u16, u16) = (10, 20);

/// The `--graphics` choice (and the config file's `graphics`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Graphics {
    /// Ask the terminal (1 s at most) and use its image protocol, else half blocks.
    #[default]
    Auto,
    /// The kitty graphics protocol (kitty, Ghostty).
    Kitty,
    /// Sixel images (foot, mlterm, xterm built with sixels, ...).
    Sixel,
    /// iTerm2's inline images (iTerm2, WezTerm, mintty, VS Code's terminal).
    Iterm2,
    /// Half blocks in greys (characters without 256 colours or UTF-8).
    Blocks,
    /// A character ramp, ` .:-=+*#%@`.
    Ascii,
}

impl Graphics {
    pub const ALL: [Graphics; 6] = [
        Graphics::Auto,
        Graphics::Kitty,
        Graphics::Sixel,
        Graphics::Iterm2,
        Graphics::Blocks,
        Graphics::Ascii,
    ];

    /// The name on the command line and in the config file.
    pub fn name(self) -> &'static str {
        match self {
            Graphics::Auto => "auto",
            Graphics::Kitty => "kitty",
            Graphics::Sixel => "sixel",
            Graphics::Iterm2 => "iterm2",
            Graphics::Blocks => "blocks",
            Graphics::Ascii => "ascii",
        }
    }

    pub fn parse(name: &str) -> Option<Graphics> {
        Graphics::ALL.into_iter().find(|g| g.name() == name)
    }

    /// The protocol an explicit choice names.
    pub fn protocol(self) -> Option<Protocol> {
        match self {
            Graphics::Kitty => Some(Protocol::Kitty),
            Graphics::Sixel => Some(Protocol::Sixel),
            Graphics::Iterm2 => Some(Protocol::Iterm2),
            Graphics::Auto | Graphics::Blocks | Graphics::Ascii => None,
        }
    }
}

/// A terminal image protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Kitty,
    Sixel,
    Iterm2,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Kitty => "kitty",
            Protocol::Sixel => "sixel",
            Protocol::Iterm2 => "iTerm2",
        }
    }
}

/// What pictures are drawn with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Drawing {
    Protocol(Protocol),
    /// Two pixels a cell (`▀` with greys as its colours).
    HalfBlocks,
    /// One character a cell, from a ramp.
    Characters,
}

impl Drawing {
    /// The cell fallback: half blocks need greys (256 colours or more) and Unicode glyphs.
    pub fn cells(depth: ColorDepth, unicode: bool) -> Drawing {
        if unicode && matches!(depth, ColorDepth::TrueColor | ColorDepth::Ansi256) {
            Drawing::HalfBlocks
        } else {
            Drawing::Characters
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Drawing::Protocol(p) => p.name(),
            Drawing::HalfBlocks => "half blocks",
            Drawing::Characters => "characters",
        }
    }
}

/// Whether tmux passes image escapes through to the terminal outside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Passthrough {
    /// Not inside tmux ($TMUX unset).
    NotTmux,
    On,
    Off,
    /// tmux did not say (too old, no server, or no answer in time).
    Unknown,
}

impl Passthrough {
    /// The value of tmux's `#{allow-passthrough}` (`1`/`0` in tmux 3.3, `on`/`off`/`all` later).
    pub fn from_tmux(value: &str) -> Passthrough {
        match value.trim() {
            "1" | "on" | "all" => Passthrough::On,
            "0" | "off" => Passthrough::Off,
            _ => Passthrough::Unknown,
        }
    }
}

/// What the terminal said to the image query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Not asked yet: the app asks when it starts (`dlscope config` says so).
    Pending,
    /// Not asked: no terminal, or nothing to decide.
    Unasked,
    /// No complete answer within the time limit.
    Silent,
    Replied(Reply),
}

/// A terminal's answer: the capabilities it reported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reply {
    pub kitty: bool,
    /// It inflates zlib-compressed kitty transmissions (`o=z`): a fifth of the bytes for greys.
    pub kitty_compression: bool,
    pub sixel: bool,
    /// Its cell size in pixels (width, height).
    pub cell: Option<(u16, u16)>,
}

/// The environment variables that bear on the choice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Env {
    /// $TMUX is set: this process runs inside tmux.
    pub tmux: bool,
    /// TERM names a multiplexer (tmux, screen) but $TMUX is unset: perhaps tmux over SSH.
    pub multiplexer_term: bool,
    /// TERM_PROGRAM or LC_TERMINAL name a terminal with iTerm2 images (as ratatui-image reads
    /// them), or tmux runs inside one (ITERM_SESSION_ID, WEZTERM_EXECUTABLE).
    pub iterm2: bool,
    /// WezTerm and Konsole answer the kitty and sixel queries but draw them badly
    /// (ratatui-image's compatibility table): iTerm2 images or cells there.
    pub imperfect: bool,
}

impl Env {
    pub fn read(env: &dyn Fn(&str) -> Option<String>) -> Env {
        let var = |k: &str| env(k).filter(|v| !v.is_empty());
        let term = var("TERM").unwrap_or_default();
        let program = var("TERM_PROGRAM").unwrap_or_default();
        let tmux = var("TMUX").is_some();
        let iterm2_program = [
            "iTerm",
            "WezTerm",
            "mintty",
            "vscode",
            "Tabby",
            "Hyper",
            "rio",
            "Bobcat",
            "WarpTerminal",
        ]
        .iter()
        .any(|p| program.contains(p));
        let iterm2 = iterm2_program
            || var("LC_TERMINAL").is_some_and(|t| t.contains("iTerm"))
            || (tmux && (var("ITERM_SESSION_ID").is_some() || var("WEZTERM_EXECUTABLE").is_some()));
        Env {
            tmux,
            multiplexer_term: !tmux && (term.starts_with("tmux") || term.starts_with("screen")),
            iterm2,
            imperfect: var("WEZTERM_EXECUTABLE").is_some()
                || program.contains("WezTerm")
                || var("KONSOLE_VERSION").is_some(),
        }
    }
}

/// Everything the decision depends on.
#[derive(Clone, Debug)]
pub struct Situation {
    pub choice: Graphics,
    pub depth: ColorDepth,
    /// Unicode glyphs (a UTF-8 locale and no `--ascii`).
    pub unicode: bool,
    pub env: Env,
    pub passthrough: Passthrough,
    pub answer: Answer,
}

/// What will be drawn, and why, in one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub drawing: Drawing,
    pub reason: String,
    /// A protocol was asked for by name and cannot be used: the app says so when it starts.
    pub refused: bool,
}

/// Whether the choice could end in an image protocol at all (before asking anyone).
pub fn might_use_protocol(choice: Graphics, depth: ColorDepth, unicode: bool) -> bool {
    match choice {
        Graphics::Kitty | Graphics::Sixel | Graphics::Iterm2 => true,
        Graphics::Auto => depth != ColorDepth::None && unicode,
        Graphics::Blocks | Graphics::Ascii => false,
    }
}

/// Whether the terminal should be asked: the answer decides `auto`, and gives an explicit
/// protocol its cell size. Never through tmux without passthrough (the query would not arrive).
pub fn worth_asking(
    choice: Graphics,
    depth: ColorDepth,
    unicode: bool,
    passthrough: Passthrough,
) -> bool {
    might_use_protocol(choice, depth, unicode)
        && matches!(passthrough, Passthrough::NotTmux | Passthrough::On)
}

/// How pictures are drawn, and why. Explicit choices win over the environment, except that a
/// protocol is never sent into tmux without passthrough (it would be dropped or show as text).
/// `auto` draws a protocol only where the terminal answered for it; without colour or Unicode
/// it draws characters (an explicit protocol still draws its grey images).
pub fn decide(s: &Situation) -> Decision {
    let cells = Drawing::cells(s.depth, s.unicode);
    match s.choice {
        Graphics::Ascii => chosen(Drawing::Characters, "characters, as asked".into()),
        Graphics::Blocks if cells == Drawing::HalfBlocks => {
            chosen(cells, "half blocks, as asked".into())
        }
        Graphics::Blocks if !s.unicode => fallback(cells, "half blocks need Unicode glyphs", false),
        Graphics::Blocks => fallback(cells, "half blocks need 256 colours or more", false),
        Graphics::Kitty | Graphics::Sixel | Graphics::Iterm2 => match s.choice.protocol() {
            Some(protocol) => named_protocol(s, cells, protocol),
            None => fallback(cells, "no protocol", false),
        },
        Graphics::Auto => match auto_refusal(s) {
            Some(why) => fallback(cells, why, false),
            None => from_answer(s, cells),
        },
    }
}

/// The cell fallback, and why.
fn fallback(cells: Drawing, why: &str, refused: bool) -> Decision {
    Decision {
        drawing: cells,
        reason: format!("{}: {why}", cells.name()),
        refused,
    }
}

/// What was chosen, and why.
fn chosen(drawing: Drawing, reason: String) -> Decision {
    Decision {
        drawing,
        reason,
        refused: false,
    }
}

/// A protocol asked for by name: drawn unless tmux would drop it.
fn named_protocol(s: &Situation, cells: Drawing, protocol: Protocol) -> Decision {
    let name = protocol.name();
    match s.passthrough {
        Passthrough::Off => fallback(
            cells,
            &format!(
                "{name} asked for, but tmux's allow-passthrough is off (tmux set -g allow-passthrough on)"
            ),
            true,
        ),
        Passthrough::Unknown => fallback(
            cells,
            &format!("{name} asked for, but tmux did not say whether allow-passthrough is on"),
            true,
        ),
        Passthrough::On => chosen(
            Drawing::Protocol(protocol),
            format!("{name} through tmux's passthrough, as asked"),
        ),
        Passthrough::NotTmux if s.env.multiplexer_term => chosen(
            Drawing::Protocol(protocol),
            format!("{name}, as asked (TERM names a multiplexer: it must pass images on)"),
        ),
        Passthrough::NotTmux => chosen(Drawing::Protocol(protocol), format!("{name}, as asked")),
    }
}

/// Why `auto` draws cells whatever the terminal answers: no colour, no Unicode, or tmux
/// without passthrough. `None` when the answer decides.
fn auto_refusal(s: &Situation) -> Option<&'static str> {
    if s.depth == ColorDepth::None {
        return Some(
            "no colour (NO_COLOR or --color never); --graphics kitty, sixel or iterm2 draws images anyway",
        );
    }
    if !s.unicode {
        return Some("ASCII glyphs (the locale is not UTF-8)");
    }
    match s.passthrough {
        Passthrough::Off => Some(
            "inside tmux with allow-passthrough off (tmux set -g allow-passthrough on allows images)",
        ),
        Passthrough::Unknown => {
            Some("inside tmux, which did not say whether allow-passthrough is on")
        }
        Passthrough::NotTmux | Passthrough::On => None,
    }
}

/// `auto` where the terminal's answer decides: a protocol where it answered for one.
fn from_answer(s: &Situation, cells: Drawing) -> Decision {
    let via = if s.passthrough == Passthrough::On {
        " through tmux"
    } else {
        ""
    };
    match s.answer {
        Answer::Pending => Decision {
            drawing: cells,
            reason: format!(
                "the terminal is asked when the app starts (1 s at most): kitty, sixel or iTerm2 where it has one, else {}",
                cells.name()
            ),
            refused: false,
        },
        Answer::Unasked => fallback(cells, "no terminal to ask", false),
        Answer::Silent => fallback(
            cells,
            &format!("the terminal did not answer the image query{via} within 1 s"),
            false,
        ),
        Answer::Replied(r) if r.kitty && !s.env.imperfect => chosen(
            Drawing::Protocol(Protocol::Kitty),
            format!("kitty: the terminal answered the kitty graphics query{via}"),
        ),
        Answer::Replied(r) if r.sixel && !s.env.imperfect => chosen(
            Drawing::Protocol(Protocol::Sixel),
            format!("sixel: the terminal reports sixel graphics{via}"),
        ),
        Answer::Replied(_) if s.env.iterm2 => chosen(
            Drawing::Protocol(Protocol::Iterm2),
            "iTerm2: TERM_PROGRAM or LC_TERMINAL names a terminal with iTerm2 images".into(),
        ),
        Answer::Replied(_) => fallback(
            cells,
            &format!("the terminal reports no image protocol{via}"),
            false,
        ),
    }
}

/// The cell size in pixels: the terminal's answer, else the window's pixel size over its cells
/// (TIOCGWINSZ), else [`DEFAULT_CELL`].
pub fn cell_size(answer: Answer, window: Option<(u16, u16)>) -> (u16, u16) {
    match answer {
        Answer::Replied(Reply {
            cell: Some((w, h)), ..
        }) if w > 0 && h > 0 => (w, h),
        _ => window
            .filter(|&(w, h)| w > 0 && h > 0)
            .unwrap_or(DEFAULT_CELL),
    }
}

/// How the app draws pictures: everything the picture widget needs, carried in `Ui`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Images {
    pub drawing: Drawing,
    /// Pixels per cell (width, height).
    pub cell: (u16, u16),
    /// Wrap escapes for tmux's passthrough.
    pub tmux: bool,
    /// Compress kitty transmissions (the terminal said it can inflate them).
    pub kitty_compression: bool,
    /// Kitty image ids start here, one per picture: random per run in a terminal (two apps in
    /// one kitty window must not share ids), fixed headless so snapshots repeat.
    pub id_base: u32,
    /// Changes when the terminal was cleared (a resize), so images are sent again.
    pub epoch: u32,
}

impl Images {
    /// Pictures as cells: half blocks where the colours and glyphs allow, else characters.
    pub fn cells(depth: ColorDepth, unicode: bool) -> Images {
        Images::drawn_as(Drawing::cells(depth, unicode))
    }

    fn drawn_as(drawing: Drawing) -> Images {
        Images {
            drawing,
            cell: DEFAULT_CELL,
            tmux: false,
            kitty_compression: false,
            id_base: 1,
            epoch: 0,
        }
    }

    pub fn protocol(&self) -> Option<Protocol> {
        match self.drawing {
            Drawing::Protocol(p) => Some(p),
            Drawing::HalfBlocks | Drawing::Characters => None,
        }
    }
}

/// How `dlscope snapshot` draws pictures: nobody is asked. A protocol only in the ANSI format,
/// at the given cell size (the other formats cannot carry image escapes, so they show the
/// cells: half blocks or characters); `ascii` draws characters; the rest draw cells.
pub fn headless(
    choice: Graphics,
    ansi: bool,
    depth: ColorDepth,
    unicode: bool,
    cell: (u16, u16),
) -> Images {
    match choice.protocol() {
        Some(p) if ansi => Images {
            cell,
            ..Images::drawn_as(Drawing::Protocol(p))
        },
        _ if choice == Graphics::Ascii => Images::drawn_as(Drawing::Characters),
        _ => Images::cells(depth, unicode),
    }
}

/// Asks tmux (only inside it) whether this pane passes escapes through, within `limit`: the
/// effective `allow-passthrough` of $TMUX_PANE, pane, window or global.
pub fn ask_tmux(env: &dyn Fn(&str) -> Option<String>, limit: Duration) -> Passthrough {
    use std::io::Read;
    use std::process::{Command, Stdio};
    if env("TMUX").is_none_or(|v| v.is_empty()) {
        return Passthrough::NotTmux;
    }
    let mut cmd = Command::new("tmux");
    cmd.args(["display-message", "-p"]);
    if let Some(pane) = env("TMUX_PANE").filter(|p| !p.is_empty()) {
        cmd.args(["-t", &pane]);
    }
    cmd.arg("#{allow-passthrough}")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let Ok(mut child) = cmd.spawn() else {
        return Passthrough::Unknown;
    };
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => {
                let mut text = String::new();
                if let Some(mut out) = child.stdout.take() {
                    let _ = out.read_to_string(&mut text);
                }
                return Passthrough::from_tmux(&text);
            }
            Ok(Some(_)) | Err(_) => return Passthrough::Unknown,
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Passthrough::Unknown;
            }
        }
    }
}

/// Asks the terminal for its image protocols and cell size (ratatui-image's query: kitty,
/// device attributes, cell size, then a status report that every terminal answers) and reads
/// the replies until that status report or `limit`, whichever is first. Raw mode must be on
/// and nothing else reading stdin: poll(2) waits, so no thread is left blocked on the input.
#[cfg(unix)]
pub fn query_terminal(tmux: bool, limit: Duration) -> Answer {
    use std::io::Write;
    use std::os::fd::AsFd;

    use ratatui_image::picker::cap_parser::{Parser, QueryStdioOptions, Response};
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    use rustix::io::Errno;

    let deadline = Instant::now() + limit;
    let options = QueryStdioOptions {
        kitty_compression: true,
        ..QueryStdioOptions::default()
    };
    let query = Parser::query(tmux, options);
    let mut out = std::io::stdout();
    if out
        .write_all(query.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        return Answer::Silent;
    }
    let stdin = std::io::stdin();
    let fd = stdin.as_fd();
    let mut parser = Parser::new();
    let mut reply = Reply::default();
    let mut bytes = [0u8; 512];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Answer::Silent;
        }
        let timeout = Timespec {
            tv_sec: left.as_secs() as _,
            tv_nsec: left.subsec_nanos() as _,
        };
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        match poll(&mut fds, Some(&timeout)) {
            Ok(0) => return Answer::Silent,
            Ok(_) => {}
            Err(Errno::INTR) => continue,
            Err(_) => return Answer::Silent,
        }
        if !fds[0].revents().contains(PollFlags::IN) {
            // Hung up or an error: nothing more will come.
            return Answer::Silent;
        }
        let n = match rustix::io::read(fd, &mut bytes) {
            Ok(0) => return Answer::Silent,
            Ok(n) => n,
            Err(Errno::INTR) | Err(Errno::AGAIN) => continue,
            Err(_) => return Answer::Silent,
        };
        for &b in &bytes[..n] {
            for response in parser.push(char::from(b)) {
                match response {
                    Response::Status => return Answer::Replied(reply),
                    Response::Kitty => reply.kitty = true,
                    Response::KittyCompression => reply.kitty_compression = true,
                    Response::Sixel => reply.sixel = true,
                    Response::CellSize(Some(cell)) => reply.cell = Some(cell),
                    _ => {}
                }
            }
        }
    }
}

#[cfg(not(unix))]
pub fn query_terminal(_tmux: bool, _limit: Duration) -> Answer {
    Answer::Unasked
}

/// The window's cell size from its pixel size (TIOCGWINSZ; 0 where the terminal keeps it).
fn window_cell() -> Option<(u16, u16)> {
    let size = crossterm::terminal::window_size().ok()?;
    if size.columns == 0 || size.rows == 0 {
        return None;
    }
    Some((size.width / size.columns, size.height / size.rows)).filter(|&(w, h)| w > 0 && h > 0)
}

/// tmux's passthrough, asked only inside tmux and only when a protocol could be drawn.
fn passthrough_for(
    vars: &Env,
    choice: Graphics,
    depth: ColorDepth,
    unicode: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Passthrough {
    if !vars.tmux {
        Passthrough::NotTmux
    } else if might_use_protocol(choice, depth, unicode) {
        ask_tmux(env, TMUX_LIMIT)
    } else {
        Passthrough::Unknown
    }
}

/// What the start-up detection found.
#[derive(Clone, Debug)]
pub struct Detected {
    pub images: Images,
    pub decision: Decision,
    /// The terminal was asked and did not answer in time: its answer may still come, late.
    pub unanswered: bool,
}

/// Decides how pictures are drawn in the terminal the app has just taken over (raw mode on,
/// alternate screen entered, no input read yet): asks tmux and the terminal where that can
/// change the outcome, within [`QUERY_LIMIT`] in all.
pub fn detect(
    choice: Graphics,
    depth: ColorDepth,
    unicode: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Detected {
    let start = Instant::now();
    let vars = Env::read(env);
    let passthrough = passthrough_for(&vars, choice, depth, unicode, env);
    let answer = if worth_asking(choice, depth, unicode, passthrough) {
        query_terminal(vars.tmux, QUERY_LIMIT.saturating_sub(start.elapsed()))
    } else {
        Answer::Unasked
    };
    let decision = decide(&Situation {
        choice,
        depth,
        unicode,
        env: vars,
        passthrough,
        answer,
    });
    let images = Images {
        drawing: decision.drawing,
        cell: cell_size(answer, window_cell()),
        tmux: passthrough == Passthrough::On,
        kitty_compression: matches!(answer, Answer::Replied(r) if r.kitty_compression),
        id_base: 1 + rand::random::<u32>() % 0x00ff_fff0,
        epoch: 0,
    };
    Detected {
        images,
        decision,
        unanswered: answer == Answer::Silent,
    }
}

/// A kitty answer that arrives after the query gave up reaches crossterm as keys: Alt-_ (its
/// `ESC _`), its text (`Gi=31;OK`: `i` and the digits are keys of the app), then Alt-\ (the
/// `ESC \` that ends it). For a while after an unanswered query such a run is dropped, not
/// acted on. (Device attributes, cell size and status replies crossterm drops by itself.)
#[derive(Clone, Debug)]
pub struct LateReplies {
    until: Option<Instant>,
    /// Keys dropped so far in the reply being read, if one is.
    inside: Option<u8>,
}

impl LateReplies {
    /// How long a late answer is watched for.
    const WATCH: Duration = Duration::from_secs(10);
    /// A reply longer than this is not one: stop dropping.
    const LONGEST: u8 = 64;

    /// Watching from now when the query went unanswered, else never.
    pub fn new(unanswered: bool) -> Self {
        LateReplies {
            until: unanswered.then(|| Instant::now() + Self::WATCH),
            inside: None,
        }
    }

    /// True when `key` is part of a late reply (and must be dropped).
    pub fn drops(&mut self, key: &crossterm::event::KeyEvent, now: Instant) -> bool {
        use crossterm::event::{KeyCode, KeyModifiers};
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        if let Some(n) = self.inside {
            let end = alt && key.code == KeyCode::Char('\\');
            self.inside = (!end && n < Self::LONGEST).then_some(n + 1);
            return true;
        }
        if alt && key.code == KeyCode::Char('_') && self.until.is_some_and(|until| now < until) {
            self.inside = Some(0);
            return true;
        }
        false
    }
}

/// What `dlscope config` can say without taking the terminal over: tmux is asked (briefly),
/// the terminal is not.
pub fn describe(
    choice: Graphics,
    depth: ColorDepth,
    unicode: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> String {
    let vars = Env::read(env);
    let passthrough = passthrough_for(&vars, choice, depth, unicode, env);
    decide(&Situation {
        choice,
        depth,
        unicode,
        env: vars,
        passthrough,
        answer: Answer::Pending,
    })
    .reason
}

#[cfg(test)]
mod tests;
