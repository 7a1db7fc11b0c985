//! What a tab is to the shell: the [`Tab`] trait each problem's tab implements, its object-safe
//! face [`AnyTab`] that the app holds, and the [`Options`] tabs are built from. Below the shell
//! (`app`) and above the problems: no file under a problem's folder imports `crate::app`.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::keymap::{self, Action, Binding, Key};
use crate::theme::Ui;
use crate::widgets::help::{self, Section};

/// What a tab provides to the shell. Every key a tab handles is in its table (`keys()`): its
/// own bindings and those of the components it composes.
pub trait Tab {
    type Act: Action + PartialEq;

    /// The title in the tab bar.
    fn title(&self) -> &'static str;
    /// The tab's key table: drives dispatch, footer hints and help.
    fn keys(&self) -> &'static [Binding<Self::Act>];
    /// Performs an action; returns true when the screen must be redrawn.
    fn act(&mut self, act: Self::Act) -> bool;
    /// A left click at an absolute terminal position (only with `--mouse`).
    fn click(&mut self, _col: u16, _row: u16) -> bool {
        false
    }
    /// Records what keys and clicks need to know of the next frame (the extent of scrolling
    /// text, where the rows are) for `area`, the area `render` will get. The shell calls it
    /// before every frame and after a resize; render itself writes no state.
    fn layout(&mut self, _area: Rect, _ui: &Ui) {}
    /// Draws the tab. Never computes mathematics: it reads results.
    fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui);
    /// True while an animation wants ticks (the loop sleeps otherwise).
    fn animating(&self) -> bool {
        false
    }
    /// Advances the animation by one frame.
    fn tick(&mut self) -> bool {
        false
    }
    /// Takes finished background results; returns true when something changed.
    fn poll(&mut self) -> bool {
        false
    }
    /// True while background work is running (the tab bar shows what).
    fn busy(&self) -> bool {
        false
    }
    /// What the running background work is, for the tab bar ("computing" when not said).
    fn busy_label(&self) -> Option<String> {
        None
    }
    /// Work that quitting would lose, named for a sentence ("the training run"): a run that
    /// has started and not finished. Esc then quits only when pressed twice.
    fn unfinished_work(&self) -> Option<&'static str> {
        None
    }
    /// Headless: take all results and jump animations to their end, so a snapshot shows the
    /// finished picture.
    fn settle(&mut self) {
        self.poll();
    }
    /// While the tab takes typed text (a search field), the footer's hints for it; the app then
    /// sends every key to [`Tab::type_key`] (`q`, `?`, digits and Tab are text there), except
    /// Ctrl-C, which still quits.
    fn typing(&self) -> Option<TypingHints> {
        None
    }
    /// A key while [`Tab::typing`] is on; returns true when the screen must be redrawn.
    fn type_key(&mut self, _key: Key) -> bool {
        false
    }
    /// The text the copy key puts on the clipboard: the tab's readout (or its state as JSON).
    /// `None` copies the visible screen's text instead.
    fn readout(&self) -> Option<String> {
        None
    }
}

/// The object-safe face of a tab, so the app can hold tabs of different action types.
pub trait AnyTab {
    fn title(&self) -> &'static str;
    /// Runs the action bound to `key`; `None` when the tab's table does not bind it.
    fn key(&mut self, key: Key) -> Option<bool>;
    fn click(&mut self, col: u16, row: u16) -> bool;
    fn layout(&mut self, area: Rect, ui: &Ui);
    fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui);
    fn animating(&self) -> bool;
    fn tick(&mut self) -> bool;
    fn poll(&mut self) -> bool;
    fn busy(&self) -> bool;
    fn busy_label(&self) -> Option<String>;
    fn unfinished_work(&self) -> Option<&'static str>;
    fn settle(&mut self);
    fn readout(&self) -> Option<String>;
    fn typing(&self) -> Option<TypingHints>;
    fn type_key(&mut self, key: Key) -> bool;
    fn help_section(&self, unicode: bool) -> Section;
    fn hints(&self, unicode: bool) -> Vec<(String, &'static str)>;
    /// What is wrong with the tab's key table (see `keymap::table_problems`).
    fn table_problems(&self) -> Vec<String>;
    /// Where the tab's table breaks the key conventions (see `keymap::convention_problems`).
    fn convention_problems(&self) -> Vec<String>;
    /// Every key the tab's table binds.
    fn keys(&self) -> Vec<Key>;
}

impl<T: Tab> AnyTab for T {
    fn title(&self) -> &'static str {
        Tab::title(self)
    }
    fn key(&mut self, key: Key) -> Option<bool> {
        keymap::lookup(Tab::keys(self), key).map(|a| self.act(a))
    }
    fn click(&mut self, col: u16, row: u16) -> bool {
        Tab::click(self, col, row)
    }
    fn layout(&mut self, area: Rect, ui: &Ui) {
        Tab::layout(self, area, ui)
    }
    fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        Tab::render(self, area, buf, ui)
    }
    fn animating(&self) -> bool {
        Tab::animating(self)
    }
    fn tick(&mut self) -> bool {
        Tab::tick(self)
    }
    fn poll(&mut self) -> bool {
        Tab::poll(self)
    }
    fn busy(&self) -> bool {
        Tab::busy(self)
    }
    fn busy_label(&self) -> Option<String> {
        Tab::busy_label(self)
    }
    fn unfinished_work(&self) -> Option<&'static str> {
        Tab::unfinished_work(self)
    }
    fn settle(&mut self) {
        Tab::settle(self)
    }
    fn readout(&self) -> Option<String> {
        Tab::readout(self)
    }
    fn typing(&self) -> Option<TypingHints> {
        Tab::typing(self)
    }
    fn type_key(&mut self, key: Key) -> bool {
        Tab::type_key(self, key)
    }
    fn help_section(&self, unicode: bool) -> Section {
        Section::from_table(
            format!("{} tab", Tab::title(self)),
            Tab::keys(self),
            unicode,
        )
    }
    fn hints(&self, unicode: bool) -> Vec<(String, &'static str)> {
        hints_of(Tab::keys(self), unicode)
    }
    fn table_problems(&self) -> Vec<String> {
        keymap::table_problems(Tab::keys(self))
    }
    fn convention_problems(&self) -> Vec<String> {
        keymap::convention_problems(Tab::keys(self))
    }
    fn keys(&self) -> Vec<Key> {
        Tab::keys(self)
            .iter()
            .flat_map(|b| b.keys.iter().copied())
            .collect()
    }
}

/// The footer while a tab takes text: (the keys, what they do), named by the shell.
pub type TypingHints = &'static [(&'static [Key], &'static str)];

/// The footer's (key, label) pairs of a table: the first key of each binding that has a hint.
pub fn hints_of<A>(table: &[Binding<A>], unicode: bool) -> Vec<(String, &'static str)> {
    table
        .iter()
        .filter_map(|b| Some((help::key_list(&b.keys[..1], unicode), b.hint?)))
        .collect()
}

/// What the tabs are built from: the command line's choices.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--input` for the low-rank tab.
    pub lowrank_input: Option<std::path::PathBuf>,
    /// `--max-side`: larger pictures are downscaled (low-rank tab).
    pub max_side: Option<usize>,
    /// `--max-bytes`: larger data matrices are refused (low-rank tab).
    pub max_bytes: Option<u64>,
    /// This program, to start as `svd-worker` for the low-rank tab's completions (a process
    /// that can be killed when they go stale); `None` computes them on a thread.
    pub svd_worker: Option<std::path::PathBuf>,
}

/// Why a tab could not be built (bad input named on the command line): one line to print.
pub type BuildError = Box<dyn std::error::Error + Send + Sync>;

/// A tab ready for the app.
pub fn boxed<T: Tab + 'static>(tab: T) -> Box<dyn AnyTab> {
    Box::new(tab)
}
