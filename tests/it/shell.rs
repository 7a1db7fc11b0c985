//! The shell as a whole: random keys and resizes never panic, the help overlay and the
//! too-small message as snapshots, and every tab reachable by its number.

use dlscope::app::{self, App, render_to_buffer};
use dlscope::jobs::Waker;
use dlscope::keymap::{Binding, GLOBAL, Key, parse_keys};
use dlscope::snapshot;
use dlscope::snapshot::buffer_text;
use dlscope::tab::Options;
use dlscope::theme::{ColorDepth, Ui};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn keys_of<A>(table: &[Binding<A>]) -> Vec<Key> {
    table.iter().flat_map(|b| b.keys.iter().copied()).collect()
}

/// Every key any table binds, plus a few that none does.
fn key_pool() -> Vec<Key> {
    let mut pool = keys_of(GLOBAL);
    let app = snapshot::settled_app("resnet", Ui::standard(), &Options::default()).expect("app");
    for name in dlscope::tabs::names() {
        pool.extend(app.tab_keys(name));
    }
    pool.extend(parse_keys("Z @ F5 Del Backspace Enter C-x").expect("key names"));
    pool.retain(|k| *k != Key::ch('q') && *k != Key::ctrl('c'));
    pool
}

#[derive(Debug, Clone)]
enum Step {
    Key(usize),
    Resize(u16, u16),
    Tick,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => any::<usize>().prop_map(Step::Key),
        2 => (0u16..=300, 0u16..=100).prop_map(|(w, h)| Step::Resize(w, h)),
        1 => Just(Step::Tick),
    ]
}

#[test]
fn random_keys_and_resizes_never_panic() {
    // A real (threaded) waker: heavy requests go to background workers as in the app, so a
    // random walk to the largest RNN stays cheap here.
    let waker = Waker::new(|| {});
    let pool = key_pool();
    let panics_before = dlscope::jobs::panics_caught();
    let mut runner = TestRunner::new(Config {
        cases: 96,
        ..Config::default()
    });
    runner
        .run(&proptest::collection::vec(step(), 1..40), |steps| {
            // A fresh app per case, so one case's state cannot hide or cause another's failure.
            let mut app = App::new(Ui::standard(), &waker, &Options::default()).expect("app");
            let (mut w, mut h) = (80u16, 24u16);
            for s in steps {
                match s {
                    Step::Key(i) => {
                        app.handle_key(pool[i % pool.len()]);
                    }
                    Step::Resize(nw, nh) => (w, h) = (nw, nh),
                    Step::Tick => {
                        app.tick();
                    }
                }
                app.poll();
                render_to_buffer(&mut app, w, h);
            }
            // The app survives a panic in background work (it shows an error), but it is a
            // bug all the same.
            prop_assert_eq!(dlscope::jobs::panics_caught(), panics_before);
            Ok(())
        })
        .expect("no panic on any sequence");
}

#[test]
fn every_tab_renders_at_every_size_in_every_theme() {
    for tab in dlscope::tabs::names() {
        for ui in [
            Ui::standard(),
            Ui::new(ColorDepth::None, false),
            Ui::new(ColorDepth::TrueColor, true),
        ] {
            let mut app = snapshot::settled_app(tab, ui, &Options::default()).expect("app");
            for (w, h) in [
                (0, 0),
                (1, 1),
                (2, 50),
                (63, 19),
                (64, 20),
                (80, 24),
                (300, 100),
            ] {
                render_to_buffer(&mut app, w, h);
            }
        }
    }
}

#[test]
fn ascii_mode_draws_only_ascii_on_every_tab_and_the_help() {
    for tab in dlscope::tabs::names() {
        for keys in ["", "?"] {
            let buf = snapshot::capture(
                tab,
                120,
                40,
                &parse_keys(keys).expect("keys"),
                Ui::new(ColorDepth::Ansi16, false),
                &Options::default(),
            )
            .expect("capture");
            let text = buffer_text(&buf);
            assert!(text.is_ascii(), "{tab:?} {keys:?}:\n{text}");
        }
    }
}

#[test]
fn number_keys_reach_every_tab_in_order() {
    let mut app =
        snapshot::settled_app("resnet", Ui::standard(), &Options::default()).expect("app");
    let expected = dlscope::tabs::names();
    assert_eq!(app.tab_names(), expected);
    for (i, id) in expected.iter().enumerate() {
        app.handle_key(Key::ch(char::from(b'1' + i as u8)));
        assert_eq!(app.current_tab(), Some(*id));
    }
}

#[test]
fn help_overlay_snapshot() {
    let buf = snapshot::capture(
        "resnet",
        80,
        24,
        &parse_keys("?").expect("keys"),
        Ui::standard(),
        &Options::default(),
    )
    .expect("capture");
    insta::assert_snapshot!(buffer_text(&buf));
}

#[test]
fn help_overlay_scrolls_to_the_global_keys() {
    let buf = snapshot::capture(
        "rnn",
        80,
        24,
        &parse_keys("? End").expect("keys"),
        Ui::standard(),
        &Options::default(),
    )
    .expect("capture");
    let text = buffer_text(&buf);
    assert!(text.contains("go to the tab of that number"), "{text}");
    assert!(text.contains("1-9"), "{text}");
}

#[test]
fn too_small_snapshot() {
    let mut app =
        snapshot::settled_app("resnet", Ui::standard(), &Options::default()).expect("app");
    insta::assert_snapshot!(buffer_text(&app::render_to_buffer(&mut app, 50, 12)));
}

#[test]
fn while_the_filter_takes_text_global_keys_are_letters() {
    let mut app = snapshot::settled_app(
        "resnet",
        Ui::new(ColorDepth::None, true),
        &Options::default(),
    )
    .expect("app");
    for key in parse_keys("/ q ? 2 Tab s m").expect("key names") {
        app.handle_key(key);
    }
    assert!(!app.should_quit());
    assert!(!app.help_open());
    assert_eq!(app.current_tab(), Some("resnet"));
    assert!(
        app.take_effect().is_none(),
        "s and m are text, not save and copy"
    );
    let screen = buffer_text(&render_to_buffer(&mut app, 80, 24));
    assert!(screen.contains("/q?2sm"), "{screen}");
    assert!(screen.contains("no module matches"), "{screen}");
    // The footer names the typing keys, not the global ones that do not work now.
    let footer = screen.lines().last().unwrap_or_default();
    assert!(footer.contains("Enter keep filter"), "{footer}");
    assert!(!footer.contains("? help"), "{footer}");
    // Esc clears the filter and gives the keys back: q quits again.
    app.handle_key(Key::code(crossterm::event::KeyCode::Esc));
    assert!(!app.should_quit());
    app.handle_key(Key::ch('q'));
    assert!(app.should_quit());
}

#[test]
fn ctrl_c_quits_even_while_typing() {
    let mut app =
        snapshot::settled_app("resnet", Ui::standard(), &Options::default()).expect("app");
    app.handle_key(Key::ch('/'));
    app.handle_key(Key::ctrl('c'));
    assert!(app.should_quit());
}
