//! Headless frames: build the app without a terminal, feed it keys, let background work and
//! animations finish (or stop them after a number of frames), and render one frame into a
//! buffer. `dlscope snapshot`, the snapshot tests and the render benchmarks all come through
//! here.

use ratatui::buffer::Buffer;

use crate::app::{self, App};
use crate::jobs::Waker;
use crate::keymap::Key;
use crate::tab::{BuildError, Options};
use crate::theme::Ui;

/// When the frame is taken.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Moment {
    /// Every result computed and every animation at its end.
    #[default]
    Settled,
    /// Results computed, and the animation that the keys left running played for this many
    /// frames (as the terminal loop would tick it), then the frame is taken mid-run.
    AfterFrames(u32),
}

/// The app on the tab called `tab` with every result computed and every animation at its end.
pub fn settled_app(tab: &str, ui: Ui, options: &Options) -> Result<App, BuildError> {
    let name = crate::tabs::parse_name(tab)?;
    let mut app = App::new(ui, &Waker::headless(), options)?;
    app.select(name);
    app.settle();
    Ok(app)
}

/// One frame of `tab` at `width`×`height` after `keys`, each key followed by settling.
pub fn capture(
    tab: &str,
    width: u16,
    height: u16,
    keys: &[Key],
    ui: Ui,
    options: &Options,
) -> Result<Buffer, BuildError> {
    capture_at(tab, width, height, keys, ui, options, Moment::Settled)
}

/// One frame of `tab` at `width`×`height` after `keys`, each key followed by settling (or, for
/// [`Moment::AfterFrames`], by collecting results only, then the given number of ticks).
pub fn capture_at(
    tab: &str,
    width: u16,
    height: u16,
    keys: &[Key],
    ui: Ui,
    options: &Options,
    moment: Moment,
) -> Result<Buffer, BuildError> {
    let mut app = app_after(tab, width, height, keys, ui, options, moment)?;
    Ok(app::render_to_buffer(&mut app, width, height))
}

/// The app on `tab` after `keys` at `width`×`height`, as [`capture_at`] would draw it.
pub fn app_after(
    tab: &str,
    width: u16,
    height: u16,
    keys: &[Key],
    ui: Ui,
    options: &Options,
    moment: Moment,
) -> Result<App, BuildError> {
    let name = crate::tabs::parse_name(tab)?;
    let mut app = App::new(ui, &Waker::headless(), options)?;
    app.select(name);
    match moment {
        Moment::Settled => app.settle(),
        Moment::AfterFrames(_) => {
            app.poll();
        }
    }
    for key in keys {
        // Keys see the extents of a frame of this size, as in the terminal.
        app.layout(width, height);
        app.handle_key(*key);
        match moment {
            Moment::Settled => app.settle(),
            Moment::AfterFrames(_) => {
                app.poll();
            }
        }
        if app.should_quit() {
            break;
        }
    }
    if let Moment::AfterFrames(frames) = moment {
        for _ in 0..frames {
            if !app.animating() {
                break;
            }
            app.tick();
            app.poll();
        }
    }
    app.layout(width, height);
    Ok(app)
}

/// The plain text of a buffer, one line per row, trailing spaces kept off.
pub fn buffer_text(buf: &Buffer) -> String {
    let a = buf.area;
    let mut out = String::new();
    for y in a.y..a.y + a.height {
        let mut line = String::new();
        for x in a.x..a.x + a.width {
            line.push_str(visible(buf[(x, y)].symbol()));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A cell's symbol as text: a blank for a cell of a picture drawn through an image protocol
/// (escapes, or kitty's placeholder character), which text cannot show.
pub fn visible(symbol: &str) -> &str {
    if symbol.contains(['\x1b', '\u{10EEEE}']) {
        " "
    } else {
        symbol
    }
}
