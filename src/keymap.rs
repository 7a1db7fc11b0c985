//! The key tables: key -> action -> description. One table for the global keys here, one per
//! tab (beside the tab, typed with the tab's own actions, and composed with the tables of the
//! components it uses); the same tables drive dispatch, the footer's hints and the `?` overlay,
//! so help never drifts from the real keys.
//!
//! A key means the same thing on every tab that has it: [`CONVENTIONS`] lists those keys, and
//! a test holds every tab's table to it (a binding of a convention's action uses exactly its
//! keys; no other binding uses them). [`GLOBAL`] keys work everywhere and no tab may take them;
//! [`RESERVED`] keys are kept free on every tab for features to come. Ctrl and Alt are part of
//! a key (`C-u`, `M-x`), so a Ctrl or Alt key that no table names does nothing; Shift is folded
//! into the character (`D`, `?`, `+`).

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// A key as the tables name it: a code and the modifiers that matter (Ctrl, Alt). Shift is
/// part of the character (`D`), or of the code (`S-Tab`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    pub const fn ch(c: char) -> Key {
        Key::code(KeyCode::Char(c))
    }
    pub const fn code(code: KeyCode) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
        }
    }
    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            ctrl: true,
            alt: false,
        }
    }
    pub const fn alt(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            ctrl: false,
            alt: true,
        }
    }

    /// True for a key without Ctrl or Alt (text in a field, a plain table key).
    pub fn is_plain(&self) -> bool {
        !self.ctrl && !self.alt
    }

    /// The key of a terminal event; `None` for a key release. A repeat (a key held down, on
    /// terminals that report them) is the key again.
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let alt = ev.modifiers.contains(KeyModifiers::ALT);
        let code = match ev.code {
            // Shift+Tab arrives as BackTab on most terminals, as Tab+SHIFT on some.
            KeyCode::Tab if ev.modifiers.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            other => other,
        };
        Some(Key { code, ctrl, alt })
    }

    /// The name the help overlay writes and `snapshot --keys` reads.
    pub fn name(&self, unicode: bool) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Left => if unicode { "←" } else { "Left" }.into(),
            KeyCode::Right => if unicode { "→" } else { "Right" }.into(),
            KeyCode::Up => if unicode { "↑" } else { "Up" }.into(),
            KeyCode::Down => if unicode { "↓" } else { "Down" }.into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Delete => "Del".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        match (self.ctrl, self.alt) {
            (true, true) => format!("C-M-{base}"),
            (true, false) => format!("C-{base}"),
            (false, true) => format!("M-{base}"),
            (false, false) => base,
        }
    }

    /// Reads a key name as the help overlay writes it (either glyph set).
    pub fn parse(name: &str) -> Result<Key, String> {
        if let Some(rest) = name.strip_prefix("C-").filter(|r| !r.is_empty()) {
            let k = Key::parse(rest)?;
            return Ok(Key { ctrl: true, ..k });
        }
        if let Some(rest) = name.strip_prefix("M-").filter(|r| !r.is_empty()) {
            let k = Key::parse(rest)?;
            return Ok(Key { alt: true, ..k });
        }
        let code = match name {
            "Space" => KeyCode::Char(' '),
            "Enter" => KeyCode::Enter,
            "Esc" => KeyCode::Esc,
            "Tab" => KeyCode::Tab,
            "S-Tab" | "BackTab" | "Shift-Tab" => KeyCode::BackTab,
            "Backspace" => KeyCode::Backspace,
            "Left" | "←" => KeyCode::Left,
            "Right" | "→" => KeyCode::Right,
            "Up" | "↑" => KeyCode::Up,
            "Down" | "↓" => KeyCode::Down,
            "PgUp" => KeyCode::PageUp,
            "PgDn" => KeyCode::PageDown,
            "Home" => KeyCode::Home,
            "End" => KeyCode::End,
            "Del" => KeyCode::Delete,
            s if s.len() >= 2 && s.starts_with('F') && s[1..].parse::<u8>().is_ok() => {
                KeyCode::F(s[1..].parse().unwrap_or(1))
            }
            s => {
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => KeyCode::Char(c),
                    _ => {
                        return Err(format!(
                            "unknown key name {s:?}; keys are single characters, C-<key>, M-<key>, F1-F12, {}",
                            NAMED.join(", ")
                        ));
                    }
                }
            }
        };
        Ok(Key::code(code))
    }
}

/// The keys with names of their own, as `Key::parse` reads them.
const NAMED: &[&str] = &[
    "Space",
    "Enter",
    "Esc",
    "Tab",
    "S-Tab",
    "Backspace",
    "Left",
    "Right",
    "Up",
    "Down",
    "PgUp",
    "PgDn",
    "Home",
    "End",
    "Del",
];

/// Parses a space-separated list of key names (`"j j Enter ?"`).
pub fn parse_keys(list: &str) -> Result<Vec<Key>, String> {
    list.split_whitespace().map(Key::parse).collect()
}

/// One row of a key table.
#[derive(Clone, Copy, Debug)]
pub struct Binding<A: 'static> {
    pub keys: &'static [Key],
    pub action: A,
    /// What the key does, for the help overlay.
    pub help: &'static str,
    /// A short label for the footer; `None` keeps the key out of the footer.
    pub hint: Option<&'static str>,
}

/// The action bound to `key` in `table`, if any.
pub fn lookup<A: Copy>(table: &[Binding<A>], key: Key) -> Option<A> {
    table
        .iter()
        .find(|b| b.keys.contains(&key))
        .map(|b| b.action)
}

/// An action every tab that has it binds to the same keys (see [`CONVENTIONS`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, strum::EnumIter)]
pub enum Convention {
    /// Move the selection (a row, a control, a panel) up / down.
    Up,
    Down,
    /// Lower / raise the chosen value (or collapse / expand the selected row).
    Less,
    More,
    /// A page up / down in the list or the text.
    PageUp,
    PageDown,
    /// To the first / last position (row, step, rank).
    First,
    Last,
    /// Scroll the focused note one line up / down.
    ScrollUp,
    ScrollDown,
    /// Next / previous panel.
    NextPanel,
    PrevPanel,
    /// Next / previous view (what a small screen shows in one place).
    NextView,
    PrevView,
    /// Play or pause the tab's animation or run.
    PlayPause,
    /// Pause and step one frame forward / back.
    StepForward,
    StepBack,
    /// Slower / faster animation.
    Slower,
    Faster,
    /// The current run or animation from its start, same settings.
    Rewind,
    /// Every setting of the tab back to its default.
    Reset,
    /// A new random draw (the next seed).
    NextSeed,
    /// The tab's main quantity down / up.
    MainDown,
    MainUp,
}

/// The conventions: (action, its keys, what it does). A tab that has the action binds exactly
/// these keys to it, and no tab binds them to anything else.
pub const CONVENTIONS: &[(Convention, &[Key], &str)] = &[
    (Convention::Up, UP, "move up (row, control, panel)"),
    (Convention::Down, DOWN, "move down"),
    (
        Convention::Less,
        LESS,
        "lower the chosen value, or collapse",
    ),
    (Convention::More, MORE, "raise the chosen value, or expand"),
    (Convention::PageUp, PAGE_UP, "a page up in the list or text"),
    (Convention::PageDown, PAGE_DOWN, "a page down"),
    (Convention::First, FIRST, "to the first position"),
    (Convention::Last, LAST, "to the last position"),
    (Convention::ScrollUp, SCROLL_UP, "scroll the note up"),
    (Convention::ScrollDown, SCROLL_DOWN, "scroll the note down"),
    (Convention::NextPanel, NEXT_PANEL, "next panel"),
    (Convention::PrevPanel, PREV_PANEL, "previous panel"),
    (Convention::NextView, NEXT_VIEW, "next view"),
    (Convention::PrevView, PREV_VIEW, "previous view"),
    (Convention::PlayPause, PLAY_PAUSE, "play or pause"),
    (
        Convention::StepForward,
        STEP_FORWARD,
        "pause, one step forward",
    ),
    (Convention::StepBack, STEP_BACK, "pause, one step back"),
    (Convention::Slower, SLOWER, "slower"),
    (Convention::Faster, FASTER, "faster"),
    (
        Convention::Rewind,
        REWIND,
        "rewind: the run again from its start",
    ),
    (
        Convention::Reset,
        RESET,
        "every setting back to its default",
    ),
    (Convention::NextSeed, NEXT_SEED, "a new random draw"),
    (
        Convention::MainDown,
        MAIN_DOWN,
        "the tab's main quantity down",
    ),
    (Convention::MainUp, MAIN_UP, "the tab's main quantity up"),
];

pub const UP: &[Key] = &[Key::code(KeyCode::Up), Key::ch('k')];
pub const DOWN: &[Key] = &[Key::code(KeyCode::Down), Key::ch('j')];
pub const LESS: &[Key] = &[Key::code(KeyCode::Left), Key::ch('h')];
pub const MORE: &[Key] = &[Key::code(KeyCode::Right), Key::ch('l')];
pub const PAGE_UP: &[Key] = &[Key::code(KeyCode::PageUp)];
pub const PAGE_DOWN: &[Key] = &[Key::code(KeyCode::PageDown)];
pub const FIRST: &[Key] = &[Key::code(KeyCode::Home)];
pub const LAST: &[Key] = &[Key::code(KeyCode::End)];
pub const SCROLL_UP: &[Key] = &[Key::ch('K')];
pub const SCROLL_DOWN: &[Key] = &[Key::ch('J')];
pub const NEXT_PANEL: &[Key] = &[Key::ch('p')];
pub const PREV_PANEL: &[Key] = &[Key::ch('P')];
pub const NEXT_VIEW: &[Key] = &[Key::ch('v')];
pub const PREV_VIEW: &[Key] = &[Key::ch('V')];
pub const PLAY_PAUSE: &[Key] = &[Key::ch(' ')];
pub const STEP_FORWARD: &[Key] = &[Key::ch('.')];
pub const STEP_BACK: &[Key] = &[Key::ch(',')];
pub const SLOWER: &[Key] = &[Key::ch('<')];
pub const FASTER: &[Key] = &[Key::ch('>')];
pub const REWIND: &[Key] = &[Key::ch('r')];
pub const RESET: &[Key] = &[Key::ch('R')];
pub const NEXT_SEED: &[Key] = &[Key::ch('n')];
pub const MAIN_DOWN: &[Key] = &[Key::ch('-')];
pub const MAIN_UP: &[Key] = &[Key::ch('+'), Key::ch('=')];

/// The keys of a convention.
pub fn convention_keys(c: Convention) -> &'static [Key] {
    CONVENTIONS
        .iter()
        .find(|(k, _, _)| *k == c)
        .map_or(&[], |(_, keys, _)| keys)
}

/// Keys kept free on every tab for what comes next: no tab's table may bind them, and today
/// they do nothing. (key, what it will do)
pub const RESERVED: &[(Key, &str)] = &[
    (Key::ch('#'), "show and copy the current scene"),
    (Key::ch('}'), "next scene of the lesson"),
    (Key::ch('{'), "previous scene of the lesson"),
    (Key::ch('0'), "back to the lesson's scene"),
    (Key::ch('H'), "hide or show the lesson's caption"),
    (Key::ch('!'), "predict mode"),
];

/// A tab's action type: says which convention an action is, if any, so the conventions test
/// can hold the tab's table to [`CONVENTIONS`].
pub trait Action: Copy + 'static {
    fn convention(self) -> Option<Convention> {
        None
    }
}

impl Action for () {}

/// Where a table breaks the conventions: a convention's action bound to other keys than the
/// convention's, or a convention's key bound to another action. Empty when it follows them.
pub fn convention_problems<A: Action>(table: &[Binding<A>]) -> Vec<String> {
    let mut problems = Vec::new();
    for b in table {
        match b.action.convention() {
            Some(c) => {
                let want = convention_keys(c);
                if b.keys != want {
                    problems.push(format!(
                        "{c:?} is bound to {} instead of {}",
                        crate::widgets::help::key_list(b.keys, false),
                        crate::widgets::help::key_list(want, false)
                    ));
                }
            }
            None => {
                for k in b.keys {
                    if let Some((c, _, _)) =
                        CONVENTIONS.iter().find(|(_, keys, _)| keys.contains(k))
                    {
                        problems.push(format!(
                            "{} is the key of {c:?} but is bound to {:?}",
                            k.name(false),
                            b.help
                        ));
                    }
                }
            }
        }
    }
    problems
}

/// The names of the keys of the first binding of `action` in `table` ("J / K" style joined by
/// `sep`), for hints drawn inside a tab: so a hint always names the key that really acts.
pub fn keys_of<A: Copy + PartialEq>(table: &[Binding<A>], action: A, unicode: bool) -> String {
    table
        .iter()
        .find(|b| b.action == action)
        .map(|b| b.keys.first().map(|k| k.name(unicode)).unwrap_or_default())
        .unwrap_or_default()
}

/// Movement keys, handed to the current tab to interpret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nav {
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
}

/// What the global keys do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Global {
    Quit,
    /// Esc: closes an open overlay, else quits.
    Back,
    Help,
    NextTab,
    PrevTab,
    /// A digit key: go to the tab of that number.
    GoTab,
    /// Write the screen to an SVG file.
    Export,
    /// Copy the tab's readout to the clipboard (OSC 52).
    Copy,
    /// Ctrl-Z: give the terminal back to the shell and stop (`fg` resumes).
    Suspend,
    Nav(Nav),
}

/// The global keys: they work on every tab. A tab's own table is consulted first, so a tab may
/// give the movement keys a meaning of its own, but never one of the reserved keys below.
pub const GLOBAL: &[Binding<Global>] = &[
    Binding {
        keys: &[Key::ch('q'), Key::ctrl('c')],
        action: Global::Quit,
        help: "quit",
        hint: Some("quit"),
    },
    Binding {
        keys: &[Key::code(KeyCode::Esc)],
        action: Global::Back,
        help: "close the open overlay, else quit",
        hint: None,
    },
    Binding {
        keys: &[Key::ctrl('z')],
        action: Global::Suspend,
        help: "suspend to the shell (fg resumes)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('?')],
        action: Global::Help,
        help: "show or hide this help",
        hint: Some("help"),
    },
    Binding {
        keys: &[Key::code(KeyCode::Tab)],
        action: Global::NextTab,
        help: "next tab",
        hint: Some("tab"),
    },
    Binding {
        keys: &[Key::code(KeyCode::BackTab)],
        action: Global::PrevTab,
        help: "previous tab",
        hint: None,
    },
    Binding {
        keys: &[
            Key::ch('1'),
            Key::ch('2'),
            Key::ch('3'),
            Key::ch('4'),
            Key::ch('5'),
            Key::ch('6'),
            Key::ch('7'),
            Key::ch('8'),
            Key::ch('9'),
        ],
        action: Global::GoTab,
        help: "go to the tab of that number",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('s')],
        action: Global::Export,
        help: "save the screen as an SVG file in the current directory",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('m')],
        action: Global::Copy,
        help: "copy the tab's readout to the clipboard (OSC 52; in tmux needs set-clipboard on)",
        hint: None,
    },
    Binding {
        keys: &[Key::code(KeyCode::Up), Key::ch('k')],
        action: Global::Nav(Nav::Up),
        help: "move up",
        hint: None,
    },
    Binding {
        keys: &[Key::code(KeyCode::Down), Key::ch('j')],
        action: Global::Nav(Nav::Down),
        help: "move down",
        hint: None,
    },
    Binding {
        keys: &[Key::code(KeyCode::Left), Key::ch('h')],
        action: Global::Nav(Nav::Left),
        help: "move left",
        hint: None,
    },
    Binding {
        keys: &[Key::code(KeyCode::Right), Key::ch('l')],
        action: Global::Nav(Nav::Right),
        help: "move right",
        hint: None,
    },
    Binding {
        keys: &[Key::code(KeyCode::PageUp)],
        action: Global::Nav(Nav::PageUp),
        help: "page up",
        hint: None,
    },
    Binding {
        keys: &[Key::code(KeyCode::PageDown)],
        action: Global::Nav(Nav::PageDown),
        help: "page down",
        hint: None,
    },
    Binding {
        keys: &[Key::code(KeyCode::Home)],
        action: Global::Nav(Nav::Home),
        help: "to the start",
        hint: None,
    },
    Binding {
        keys: &[Key::code(KeyCode::End)],
        action: Global::Nav(Nav::End),
        help: "to the end",
        hint: None,
    },
];

/// True for keys a tab's table may not take over (they must work the same everywhere).
pub fn is_reserved(key: Key) -> bool {
    GLOBAL
        .iter()
        .filter(|b| !matches!(b.action, Global::Nav(_)))
        .any(|b| b.keys.contains(&key))
        || RESERVED.iter().any(|(k, _)| *k == key)
}

/// What is wrong with a key table: a key bound twice, a reserved global key taken over, or a
/// description the ASCII help could not show. Empty when the table is sound.
pub fn table_problems<A>(table: &[Binding<A>]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen: Vec<Key> = Vec::new();
    for b in table {
        for k in b.keys {
            if seen.contains(k) {
                problems.push(format!("{} is bound twice", k.name(false)));
            }
            if is_reserved(*k) {
                problems.push(format!("{} is a reserved global key", k.name(false)));
            }
            seen.push(*k);
        }
        if !b.help.is_ascii() || !b.hint.is_none_or(str::is_ascii) {
            problems.push(format!("{:?} is not ASCII", b.help));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_in_both_glyph_sets() {
        for b in GLOBAL {
            for k in b.keys {
                for unicode in [true, false] {
                    assert_eq!(Key::parse(&k.name(unicode)), Ok(*k), "{k:?}");
                }
            }
        }
        assert_eq!(parse_keys("j j Enter ? C-c").map(|v| v.len()), Ok(5));
        assert!(Key::parse("Bogus").is_err());
        assert_eq!(Key::parse("F5"), Ok(Key::code(KeyCode::F(5))));
    }

    #[test]
    fn every_table_is_sound() {
        let dup: Vec<String> = table_problems(GLOBAL)
            .into_iter()
            .filter(|p| !p.contains("reserved"))
            .collect();
        assert!(dup.is_empty(), "{dup:?}");
        let app = crate::app::App::new(
            crate::theme::Ui::standard(),
            &crate::jobs::Waker::headless(),
            &crate::tab::Options::default(),
        )
        .expect("the built-in tabs build");
        for name in crate::tabs::names() {
            let problems = app.table_problems(name);
            assert!(problems.is_empty(), "{name}: {problems:?}");
        }
        const BAD_KEYS: &[Key] = &[Key::ch('q'), Key::ch('x'), Key::ch('x')];
        let bad = [Binding {
            keys: BAD_KEYS,
            action: (),
            help: "répété",
            hint: None,
        }];
        assert_eq!(table_problems(&bad).len(), 3);
    }

    /// Every tab's table follows the conventions, and every tab has a readout for `m`.
    #[test]
    fn every_tab_follows_the_conventions_and_has_a_readout() {
        let mut app = crate::app::App::new(
            crate::theme::Ui::standard(),
            &crate::jobs::Waker::headless(),
            &crate::tab::Options::default(),
        )
        .expect("the built-in tabs build");
        app.settle();
        for name in crate::tabs::names() {
            let problems = app.convention_problems(name);
            assert!(problems.is_empty(), "{name}: {problems:?}");
            app.select(name);
            let readout = app.readout().unwrap_or_default();
            assert!(readout.lines().count() >= 3, "{name}: {readout:?}");
        }
        // The check itself: a convention's key bound to another action, and a convention's
        // action bound to other keys, are both reported.
        #[derive(Clone, Copy, PartialEq)]
        enum Bad {
            Scroll,
            Other,
        }
        impl Action for Bad {
            fn convention(self) -> Option<Convention> {
                (self == Bad::Scroll).then_some(Convention::ScrollDown)
            }
        }
        const TABLE: &[Binding<Bad>] = &[
            Binding {
                keys: &[Key::ch(']')],
                action: Bad::Scroll,
                help: "scroll",
                hint: None,
            },
            Binding {
                keys: &[Key::ch('J')],
                action: Bad::Other,
                help: "something else",
                hint: None,
            },
        ];
        assert_eq!(convention_problems(TABLE).len(), 2);
    }

    #[test]
    fn shift_tab_and_ctrl_letters_are_normalised() {
        let ev = KeyEvent::new(KeyCode::Tab, KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&ev), Some(Key::code(KeyCode::BackTab)));
        let ev = KeyEvent::new(KeyCode::Char('C'), KeyModifiers::CONTROL);
        assert_eq!(Key::from_event(&ev), Some(Key::ctrl('c')));
        assert_eq!(lookup(GLOBAL, Key::ctrl('c')), Some(Global::Quit));
        assert!(is_reserved(Key::ch('q')));
        assert!(!is_reserved(Key::ch('j')));
    }
}
