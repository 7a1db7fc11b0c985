//! Escape sequences that arrive in pieces. Over a slow link (SSH without tmux) a terminal's
//! "ESC [ A" can reach us as ESC, then "[A" a few milliseconds later; crossterm has then
//! already reported Esc (which quits) and "[", "A" as typed keys. `Joiner` holds an Esc for
//! `ESCAPE_WAIT`: if the rest of a CSI or SS3 sequence follows in time, the pieces become the
//! key they spell (or nothing, for a sequence we do not know); otherwise the Esc and whatever
//! followed are delivered as they came.

use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// How long an Esc waits for the rest of an escape sequence, unless `DLSCOPE_ESCAPE_MS` says
/// otherwise (like tmux's escape-time: longer for a slower link, 0 for none).
pub const ESCAPE_WAIT: Duration = Duration::from_millis(100);

/// The wait the environment asks for (`DLSCOPE_ESCAPE_MS`, at most 5000), else `ESCAPE_WAIT`.
pub fn escape_wait_from(var: Option<&str>) -> Duration {
    var.and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(ESCAPE_WAIT, |ms| Duration::from_millis(ms.min(5000)))
}

/// The longest CSI sequence we collect ("[24;8~" and the like) before giving up on it.
const MAX_SEQUENCE: usize = 12;

/// Joins an Esc and the characters that follow it in time into the key they spell.
#[derive(Debug)]
pub struct Joiner {
    /// After an Esc: the characters since, and when to stop waiting for more.
    pending: Option<(String, Instant)>,
    wait: Duration,
}

impl Default for Joiner {
    fn default() -> Self {
        Joiner::new(ESCAPE_WAIT)
    }
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> Event {
    Event::Key(KeyEvent::new(code, modifiers))
}

fn esc() -> Event {
    key(KeyCode::Esc, KeyModifiers::NONE)
}

/// A key press of a plain character (Shift allowed: crossterm marks capitals with it).
fn plain_char(ev: &Event) -> Option<char> {
    match ev {
        Event::Key(k)
            if k.kind == KeyEventKind::Press && (k.modifiers - KeyModifiers::SHIFT).is_empty() =>
        {
            match k.code {
                KeyCode::Char(c) => Some(c),
                _ => None,
            }
        }
        _ => None,
    }
}

fn is_plain_esc(ev: &Event) -> bool {
    matches!(ev, Event::Key(k) if k.kind == KeyEventKind::Press
        && k.code == KeyCode::Esc && k.modifiers.is_empty())
}

impl Joiner {
    /// A joiner whose Esc waits `wait` for the rest of a sequence (zero: never waits).
    pub fn new(wait: Duration) -> Self {
        Joiner {
            pending: None,
            wait,
        }
    }

    /// When the held Esc stops waiting (`flush` is due then), if one is held.
    pub fn deadline(&self) -> Option<Instant> {
        self.pending.as_ref().map(|(_, at)| *at)
    }

    /// Takes one event that arrived at `now`; returns the events to deliver now, in order.
    pub fn feed(&mut self, ev: Event, now: Instant) -> Vec<Event> {
        let Some((mut seq, _)) = self.pending.take() else {
            if is_plain_esc(&ev) && !self.wait.is_zero() {
                self.pending = Some((String::new(), now + self.wait));
                return Vec::new();
            }
            return vec![ev];
        };
        let Some(c) = plain_char(&ev) else {
            // Not part of a sequence: what was held goes first, then this event afresh.
            let mut out = held(&seq);
            out.extend(self.feed(ev, now));
            return out;
        };
        let continues = match seq.chars().next() {
            None => c == '[' || c == 'O',
            Some(_) => seq.len() < MAX_SEQUENCE,
        };
        if !continues {
            let mut out = held(&seq);
            out.extend(self.feed(ev, now));
            return out;
        }
        seq.push(c);
        match complete(&seq) {
            Some(decoded) => decoded.into_iter().collect(),
            None => {
                self.pending = Some((seq, now + self.wait));
                Vec::new()
            }
        }
    }

    /// The wait ran out: the held Esc and the characters after it, as they came.
    pub fn flush(&mut self) -> Vec<Event> {
        self.pending
            .take()
            .map(|(seq, _)| held(&seq))
            .unwrap_or_default()
    }
}

/// An Esc and the characters held after it, delivered as typed.
fn held(seq: &str) -> Vec<Event> {
    std::iter::once(esc())
        .chain(
            seq.chars()
                .map(|c| key(KeyCode::Char(c), KeyModifiers::NONE)),
        )
        .collect()
}

/// `Some(key or nothing)` once `seq` (what followed the Esc) is a whole sequence; `None` while
/// more may come.
fn complete(seq: &str) -> Option<Option<Event>> {
    let mut chars = seq.chars();
    match chars.next()? {
        'O' => {
            let last = chars.next()?;
            Some(ss3(last))
        }
        '[' => {
            let body = chars.as_str();
            let last = body.chars().last()?;
            // Parameters and intermediates are 0x20–0x3F; the final byte is 0x40–0x7E.
            if !('\u{40}'..='\u{7e}').contains(&last) {
                return None;
            }
            Some(csi(&body[..body.len() - last.len_utf8()], last))
        }
        _ => Some(None),
    }
}

/// The key of "ESC O x".
fn ss3(last: char) -> Option<Event> {
    let code = match last {
        'A' => KeyCode::Up,
        'B' => KeyCode::Down,
        'C' => KeyCode::Right,
        'D' => KeyCode::Left,
        'H' => KeyCode::Home,
        'F' => KeyCode::End,
        'P' => KeyCode::F(1),
        'Q' => KeyCode::F(2),
        'R' => KeyCode::F(3),
        'S' => KeyCode::F(4),
        _ => return None,
    };
    Some(key(code, KeyModifiers::NONE))
}

/// xterm's modifier parameter: 1 + (shift 1, alt 2, ctrl 4).
fn modifiers(param: Option<&str>) -> Option<KeyModifiers> {
    let Some(p) = param else {
        return Some(KeyModifiers::NONE);
    };
    let bits = p.parse::<u8>().ok()?.checked_sub(1)?;
    let mut m = KeyModifiers::NONE;
    for (bit, flag) in [
        (1, KeyModifiers::SHIFT),
        (2, KeyModifiers::ALT),
        (4, KeyModifiers::CONTROL),
    ] {
        if bits & bit != 0 {
            m |= flag;
        }
    }
    Some(m)
}

/// The key of "ESC [ params final", or None for one we do not know (dropped, never typed).
fn csi(params: &str, last: char) -> Option<Event> {
    let mut parts = params.split(';');
    let first = parts.next().filter(|p| !p.is_empty());
    let m = modifiers(parts.next())?;
    let code = match last {
        'A' => KeyCode::Up,
        'B' => KeyCode::Down,
        'C' => KeyCode::Right,
        'D' => KeyCode::Left,
        'H' => KeyCode::Home,
        'F' => KeyCode::End,
        'Z' => return Some(key(KeyCode::BackTab, KeyModifiers::SHIFT)),
        '~' => match first?.parse::<u8>().ok()? {
            1 | 7 => KeyCode::Home,
            2 => KeyCode::Insert,
            3 => KeyCode::Delete,
            4 | 8 => KeyCode::End,
            5 => KeyCode::PageUp,
            6 => KeyCode::PageDown,
            n @ 11..=15 => KeyCode::F(n - 10),
            n @ 17..=21 => KeyCode::F(n - 11),
            n @ 23..=24 => KeyCode::F(n - 12),
            _ => return None,
        },
        _ => return None,
    };
    Some(key(code, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(c: char) -> Event {
        key(KeyCode::Char(c), KeyModifiers::NONE)
    }

    /// Feeds `text` one character at a time (Esc for '\x1b'), 10 ms apart, then lets the wait
    /// run out; returns what was delivered.
    fn typed(text: &str) -> Vec<Event> {
        let mut j = Joiner::default();
        let mut now = Instant::now();
        let mut out = Vec::new();
        for c in text.chars() {
            let ev = if c == '\x1b' { esc() } else { ch(c) };
            out.extend(j.feed(ev, now));
            now += Duration::from_millis(10);
        }
        out.extend(j.flush());
        out
    }

    #[test]
    fn a_sequence_in_pieces_is_the_key_it_spells() {
        assert_eq!(typed("\x1b[A"), vec![key(KeyCode::Up, KeyModifiers::NONE)]);
        assert_eq!(
            typed("\x1bOB"),
            vec![key(KeyCode::Down, KeyModifiers::NONE)]
        );
        assert_eq!(
            typed("\x1b[5~"),
            vec![key(KeyCode::PageUp, KeyModifiers::NONE)]
        );
        assert_eq!(
            typed("\x1b[24~"),
            vec![key(KeyCode::F(12), KeyModifiers::NONE)]
        );
        assert_eq!(
            typed("\x1b[1;5C"),
            vec![key(KeyCode::Right, KeyModifiers::CONTROL)]
        );
        // An arrow after an arrow, and a key typed after one.
        assert_eq!(
            typed("\x1b[A\x1b[Bq"),
            vec![
                key(KeyCode::Up, KeyModifiers::NONE),
                key(KeyCode::Down, KeyModifiers::NONE),
                ch('q')
            ]
        );
    }

    #[test]
    fn an_unknown_sequence_types_nothing() {
        assert_eq!(typed("\x1b[99~"), vec![]);
        assert_eq!(typed("\x1b[?1u"), vec![]);
        assert_eq!(typed("\x1bOx"), vec![]);
    }

    #[test]
    fn a_lone_esc_is_esc_once_the_wait_runs_out() {
        let mut j = Joiner::default();
        let t0 = Instant::now();
        assert_eq!(j.feed(esc(), t0), vec![]);
        assert_eq!(j.deadline(), Some(t0 + ESCAPE_WAIT));
        assert_eq!(j.flush(), vec![esc()]);
        assert_eq!(j.deadline(), None);
        // Esc then a key that starts no sequence: both, at once, in order.
        assert_eq!(typed("\x1bq"), vec![esc(), ch('q')]);
        // Two Escs: the first is an Esc, the second waits.
        assert_eq!(typed("\x1b\x1b"), vec![esc(), esc()]);
        // Esc then "[" with nothing after: typed as it came.
        assert_eq!(typed("\x1b["), vec![esc(), ch('[')]);
    }

    #[test]
    fn the_wait_can_be_set_and_zero_waits_not_at_all() {
        assert_eq!(escape_wait_from(None), ESCAPE_WAIT);
        assert_eq!(escape_wait_from(Some("250")), Duration::from_millis(250));
        assert_eq!(escape_wait_from(Some("99999")), Duration::from_secs(5));
        assert_eq!(escape_wait_from(Some("soon")), ESCAPE_WAIT);
        let mut j = Joiner::new(Duration::ZERO);
        assert_eq!(j.feed(esc(), Instant::now()), vec![esc()]);
        assert_eq!(j.deadline(), None);
    }

    #[test]
    fn other_events_pass_through_and_end_a_wait() {
        let mut j = Joiner::default();
        let t0 = Instant::now();
        let resize = Event::Resize(80, 24);
        assert_eq!(j.feed(resize.clone(), t0), vec![resize.clone()]);
        assert_eq!(j.feed(esc(), t0), vec![]);
        assert_eq!(j.feed(resize.clone(), t0), vec![esc(), resize]);
        // A runaway sequence is given up after MAX_SEQUENCE characters.
        let long = format!("\x1b[{}", "1;".repeat(10));
        let out = typed(&long);
        assert_eq!(out.first(), Some(&esc()));
        assert_eq!(out.len(), long.chars().count());
    }
}
