use super::*;

fn situation(choice: Graphics) -> Situation {
    Situation {
        choice,
        depth: ColorDepth::TrueColor,
        unicode: true,
        env: Env::default(),
        passthrough: Passthrough::NotTmux,
        answer: Answer::Silent,
    }
}

fn kitty_reply() -> Answer {
    Answer::Replied(Reply {
        kitty: true,
        kitty_compression: true,
        sixel: false,
        cell: Some((9, 18)),
    })
}

fn sixel_reply() -> Answer {
    Answer::Replied(Reply {
        sixel: true,
        ..Reply::default()
    })
}

use crate::color::env_of;

#[test]
fn names_round_trip() {
    for g in Graphics::ALL {
        assert_eq!(Graphics::parse(g.name()), Some(g));
        let clap =
            <Graphics as clap::ValueEnum>::to_possible_value(&g).map(|v| v.get_name().to_string());
        assert_eq!(clap.as_deref(), Some(g.name()), "clap and the config agree");
    }
    assert_eq!(Graphics::parse("Kitty"), None);
}

#[test]
fn auto_uses_what_the_terminal_answered() {
    let mut s = situation(Graphics::Auto);
    s.answer = kitty_reply();
    let d = decide(&s);
    assert_eq!(d.drawing, Drawing::Protocol(Protocol::Kitty));
    assert!(d.reason.starts_with("kitty: "), "{}", d.reason);
    s.answer = sixel_reply();
    assert_eq!(decide(&s).drawing, Drawing::Protocol(Protocol::Sixel));
    // Both: kitty wins, as in ratatui-image.
    s.answer = Answer::Replied(Reply {
        kitty: true,
        sixel: true,
        ..Reply::default()
    });
    assert_eq!(decide(&s).drawing, Drawing::Protocol(Protocol::Kitty));
    s.answer = Answer::Replied(Reply::default());
    let d = decide(&s);
    assert_eq!(d.drawing, Drawing::HalfBlocks);
    assert!(d.reason.contains("no image protocol"), "{}", d.reason);
    // iTerm2 is known from the environment only.
    s.env.iterm2 = true;
    assert_eq!(decide(&s).drawing, Drawing::Protocol(Protocol::Iterm2));
    // WezTerm answers for kitty but draws it badly: iTerm2 there.
    s.env.imperfect = true;
    s.answer = kitty_reply();
    assert_eq!(decide(&s).drawing, Drawing::Protocol(Protocol::Iterm2));
    s.env.iterm2 = false;
    assert_eq!(decide(&s).drawing, Drawing::HalfBlocks, "Konsole");
}

#[test]
fn a_silent_terminal_gets_the_fallback() {
    let mut s = situation(Graphics::Auto);
    s.answer = Answer::Silent;
    let d = decide(&s);
    assert_eq!(d.drawing, Drawing::HalfBlocks);
    assert!(d.reason.contains("did not answer"), "{}", d.reason);
    assert!(!d.refused);
    s.answer = Answer::Unasked;
    assert_eq!(decide(&s).drawing, Drawing::HalfBlocks);
    // At 16 colours the fallback is characters.
    s.depth = ColorDepth::Ansi16;
    s.answer = Answer::Silent;
    let d = decide(&s);
    assert_eq!(d.drawing, Drawing::Characters);
    assert!(d.reason.starts_with("characters: "), "{}", d.reason);
}

#[test]
fn tmux_without_passthrough_falls_back_and_is_not_queried() {
    let mut s = situation(Graphics::Auto);
    s.env.tmux = true;
    s.passthrough = Passthrough::Off;
    s.answer = kitty_reply();
    let d = decide(&s);
    assert_eq!(d.drawing, Drawing::HalfBlocks);
    assert!(d.reason.contains("allow-passthrough off"), "{}", d.reason);
    assert!(!d.refused, "auto falls back quietly");
    assert!(!worth_asking(
        Graphics::Auto,
        s.depth,
        true,
        Passthrough::Off
    ));
    assert!(!worth_asking(
        Graphics::Kitty,
        s.depth,
        true,
        Passthrough::Unknown
    ));
    s.passthrough = Passthrough::Unknown;
    assert_eq!(decide(&s).drawing, Drawing::HalfBlocks);
    // With passthrough the answer (which came through tmux) decides.
    s.passthrough = Passthrough::On;
    let d = decide(&s);
    assert_eq!(d.drawing, Drawing::Protocol(Protocol::Kitty));
    assert!(d.reason.contains("through tmux"), "{}", d.reason);
    assert!(worth_asking(Graphics::Auto, s.depth, true, Passthrough::On));
    s.answer = Answer::Silent;
    let d = decide(&s);
    assert_eq!(d.drawing, Drawing::HalfBlocks);
    assert!(d.reason.contains("through tmux within 1 s"), "{}", d.reason);
}

#[test]
fn an_explicit_protocol_in_tmux_without_passthrough_says_so() {
    for choice in [Graphics::Kitty, Graphics::Sixel, Graphics::Iterm2] {
        let mut s = situation(choice);
        s.env.tmux = true;
        s.passthrough = Passthrough::Off;
        let d = decide(&s);
        assert_eq!(d.drawing, Drawing::HalfBlocks);
        assert!(d.refused);
        assert!(
            d.reason
                .contains("asked for, but tmux's allow-passthrough is off"),
            "{}",
            d.reason
        );
        assert!(d.reason.contains("tmux set -g allow-passthrough on"));
        s.passthrough = Passthrough::Unknown;
        assert!(decide(&s).refused);
        s.passthrough = Passthrough::On;
        let d = decide(&s);
        assert_eq!(
            d.drawing.name(),
            choice.protocol().map_or("", Protocol::name)
        );
        assert!(!d.refused);
    }
}

#[test]
fn an_explicit_protocol_is_used_whatever_the_answer() {
    let mut s = situation(Graphics::Sixel);
    s.answer = kitty_reply();
    assert_eq!(decide(&s).drawing, Drawing::Protocol(Protocol::Sixel));
    s.answer = Answer::Silent;
    assert_eq!(decide(&s).drawing, Drawing::Protocol(Protocol::Sixel));
    // Grey images carry no colour: NO_COLOR does not veto an explicit protocol.
    s.depth = ColorDepth::None;
    assert_eq!(decide(&s).drawing, Drawing::Protocol(Protocol::Sixel));
    s.unicode = false;
    assert_eq!(decide(&s).drawing, Drawing::Protocol(Protocol::Sixel));
    s.env.multiplexer_term = true;
    let d = decide(&s);
    assert!(d.reason.contains("multiplexer"), "{}", d.reason);
}

#[test]
fn no_colour_or_ascii_glyphs_make_auto_draw_characters() {
    let mut s = situation(Graphics::Auto);
    s.answer = kitty_reply();
    s.depth = ColorDepth::None;
    let d = decide(&s);
    assert_eq!(d.drawing, Drawing::Characters);
    assert!(d.reason.contains("NO_COLOR"), "{}", d.reason);
    assert!(!might_use_protocol(Graphics::Auto, ColorDepth::None, true));
    s.depth = ColorDepth::TrueColor;
    s.unicode = false;
    assert_eq!(decide(&s).drawing, Drawing::Characters);
    assert!(!might_use_protocol(
        Graphics::Auto,
        ColorDepth::TrueColor,
        false
    ));
}

#[test]
fn blocks_and_ascii_are_cells_and_never_ask() {
    let mut s = situation(Graphics::Ascii);
    s.answer = kitty_reply();
    assert_eq!(decide(&s).drawing, Drawing::Characters);
    s.choice = Graphics::Blocks;
    assert_eq!(decide(&s).drawing, Drawing::HalfBlocks);
    s.depth = ColorDepth::Ansi16;
    let d = decide(&s);
    assert_eq!(d.drawing, Drawing::Characters);
    assert!(d.reason.contains("256 colours"), "{}", d.reason);
    s.depth = ColorDepth::Ansi256;
    s.unicode = false;
    assert!(decide(&s).reason.contains("Unicode"));
    for choice in [Graphics::Ascii, Graphics::Blocks] {
        assert!(!might_use_protocol(choice, ColorDepth::TrueColor, true));
    }
}

#[test]
fn config_describes_auto_before_the_terminal_is_asked() {
    let mut s = situation(Graphics::Auto);
    s.answer = Answer::Pending;
    let d = decide(&s);
    assert!(
        d.reason.contains("asked when the app starts"),
        "{}",
        d.reason
    );
    assert!(!d.reason.contains('\n'));
    // Not in tmux, nothing to ask: describe() is pure then.
    let text = describe(Graphics::Auto, ColorDepth::Ansi256, true, &env_of(&[]));
    assert!(text.contains("1 s at most"), "{text}");
    let text = describe(Graphics::Sixel, ColorDepth::Ansi256, true, &env_of(&[]));
    assert_eq!(text, "sixel, as asked");
}

#[test]
fn every_reason_is_one_line() {
    let answers = [
        Answer::Pending,
        Answer::Unasked,
        Answer::Silent,
        kitty_reply(),
        sixel_reply(),
        Answer::Replied(Reply::default()),
    ];
    let passthroughs = [
        Passthrough::NotTmux,
        Passthrough::On,
        Passthrough::Off,
        Passthrough::Unknown,
    ];
    let depths = [ColorDepth::None, ColorDepth::Ansi16, ColorDepth::TrueColor];
    for choice in Graphics::ALL {
        for answer in answers {
            for passthrough in passthroughs {
                for depth in depths {
                    for unicode in [true, false] {
                        let d = decide(&Situation {
                            choice,
                            depth,
                            unicode,
                            env: Env {
                                tmux: passthrough != Passthrough::NotTmux,
                                ..Env::default()
                            },
                            passthrough,
                            answer,
                        });
                        assert!(!d.reason.is_empty() && !d.reason.contains('\n'));
                        assert!(d.reason.len() < 130, "{}", d.reason);
                        if let Drawing::Protocol(_) = d.drawing {
                            assert!(
                                matches!(passthrough, Passthrough::NotTmux | Passthrough::On),
                                "{choice:?} {passthrough:?}: never into tmux without passthrough"
                            );
                        }
                        if d.drawing == Drawing::HalfBlocks {
                            assert!(unicode && depth >= ColorDepth::Ansi256);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn the_environment_is_read_as_ratatui_image_reads_it() {
    let e = Env::read(&env_of(&[
        ("TMUX", "/tmp/tmux-1000/default,1,0"),
        ("TERM", "tmux-256color"),
        ("TERM_PROGRAM", "tmux"),
        ("ITERM_SESSION_ID", "w0t0p0"),
    ]));
    assert!(e.tmux && e.iterm2 && !e.multiplexer_term && !e.imperfect);
    let e = Env::read(&env_of(&[("TERM", "screen-256color")]));
    assert!(!e.tmux && e.multiplexer_term);
    let e = Env::read(&env_of(&[("TERM_PROGRAM", "WezTerm")]));
    assert!(e.iterm2 && e.imperfect);
    let e = Env::read(&env_of(&[("LC_TERMINAL", "iTerm2")]));
    assert!(e.iterm2);
    let e = Env::read(&env_of(&[("KONSOLE_VERSION", "230804")]));
    assert!(e.imperfect && !e.iterm2);
    // An empty TMUX is no tmux.
    assert!(!Env::read(&env_of(&[("TMUX", "")])).tmux);
}

#[test]
fn tmux_values_and_cell_sizes() {
    assert_eq!(Passthrough::from_tmux("1\n"), Passthrough::On);
    assert_eq!(Passthrough::from_tmux("all"), Passthrough::On);
    assert_eq!(Passthrough::from_tmux("0\n"), Passthrough::Off);
    assert_eq!(Passthrough::from_tmux("off"), Passthrough::Off);
    assert_eq!(Passthrough::from_tmux(""), Passthrough::Unknown);
    assert_eq!(cell_size(kitty_reply(), Some((7, 14))), (9, 18));
    assert_eq!(cell_size(Answer::Silent, Some((7, 14))), (7, 14));
    assert_eq!(cell_size(Answer::Silent, Some((0, 14))), DEFAULT_CELL);
    assert_eq!(
        cell_size(Answer::Replied(Reply::default()), None),
        DEFAULT_CELL
    );
}

#[test]
fn outside_tmux_tmux_is_not_asked() {
    assert_eq!(
        ask_tmux(&env_of(&[]), Duration::from_millis(10)),
        Passthrough::NotTmux
    );
}

#[test]
fn a_late_kitty_answer_is_dropped_not_typed() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let key = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
    let alt = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT);
    let now = Instant::now();
    let mut late = LateReplies::new(true);
    // ESC _ G i = 3 1 ; O K ESC \, as crossterm reads it; then keys of the user.
    let reply: Vec<KeyEvent> = std::iter::once(alt('_'))
        .chain("Gi=31;OK".chars().map(key))
        .chain(std::iter::once(alt('\\')))
        .collect();
    for k in &reply {
        assert!(late.drops(k, now), "{k:?}");
    }
    assert!(!late.drops(&key('i'), now));
    assert!(!late.drops(&key('3'), now));
    // Only while watching, and never after an answered query.
    assert!(!late.drops(&alt('_'), now + Duration::from_secs(11)));
    let mut answered = LateReplies::new(false);
    assert!(!answered.drops(&alt('_'), now));
    assert!(!answered.drops(&key('i'), now));
    // An Alt-_ the user typed costs at most one reply's length of keys.
    let mut late = LateReplies::new(true);
    assert!(late.drops(&alt('_'), now));
    let dropped = (0..200).take_while(|_| late.drops(&key('x'), now)).count();
    assert_eq!(dropped, usize::from(LateReplies::LONGEST) + 1);
}

#[test]
fn headless_draws_protocols_only_in_ansi() {
    let d = ColorDepth::Ansi256;
    let kitty = headless(Graphics::Kitty, true, d, true, (8, 16));
    assert_eq!(kitty.drawing, Drawing::Protocol(Protocol::Kitty));
    assert_eq!((kitty.cell, kitty.tmux, kitty.id_base), ((8, 16), false, 1));
    assert_eq!(
        headless(Graphics::Kitty, false, d, true, DEFAULT_CELL).drawing,
        Drawing::HalfBlocks
    );
    assert_eq!(
        headless(Graphics::Ascii, true, d, true, DEFAULT_CELL).drawing,
        Drawing::Characters
    );
    assert_eq!(
        headless(Graphics::Auto, true, d, true, DEFAULT_CELL),
        Images::cells(d, true)
    );
    assert_eq!(
        headless(
            Graphics::Blocks,
            false,
            ColorDepth::None,
            true,
            DEFAULT_CELL
        )
        .drawing,
        Drawing::Characters
    );
}
