//! Headless frames: build the app without a terminal, feed it keys, let background work and
//! animations finish, and render one frame into a buffer. `dlscope snapshot`, the snapshot
//! tests and the render benchmarks all come through here.

use ratatui::buffer::Buffer;

use crate::app::{self, App, Options, TabId};
use crate::jobs::Waker;
use crate::keymap::Key;
use crate::theme::Ui;

/// The app on `tab` with every result computed and every animation at its end.
pub fn settled_app(tab: TabId, ui: Ui, options: &Options) -> color_eyre::Result<App> {
    let mut app = App::new(ui, &Waker::headless(), options)?;
    if !app.select(tab) {
        color_eyre::eyre::bail!("there is no {} tab yet", tab.name());
    }
    app.settle();
    Ok(app)
}

/// One frame of `tab` at `width`×`height` after `keys`, each key followed by settling.
pub fn capture(
    tab: TabId,
    width: u16,
    height: u16,
    keys: &[Key],
    ui: Ui,
    options: &Options,
) -> color_eyre::Result<Buffer> {
    let mut app = settled_app(tab, ui, options)?;
    for key in keys {
        app.handle_key(*key);
        app.settle();
        if app.should_quit() {
            break;
        }
    }
    Ok(app::render_to_buffer(&app, width, height))
}
