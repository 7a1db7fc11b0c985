//! The application state: the tabs, the current one, the help overlay, and how keys, mouse
//! clicks, ticks and finished background work change them. No terminal I/O here: the runtime
//! feeds events in and draws `&App`; tests and `dlscope snapshot` do the same headlessly.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::jobs::Waker;
use crate::keymap::{self, Binding, GLOBAL, Global, Key, Nav};
use crate::tab::{AnyTab, BuildError, Options, hints_of};
use crate::tabs::TABS;
use crate::theme::Ui;
use crate::widgets::help::{self, Section};

/// The smallest terminal the app draws its tabs in; below it, one line says so.
pub const MIN_WIDTH: u16 = 64;
pub const MIN_HEIGHT: u16 = 20;

/// Something the app asks its runner to do outside the app: the terminal loop performs it and
/// reports back with [`App::set_message`]; headless runners ignore it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Write the current screen to a file (SVG).
    SaveScreen,
    /// Put text on the clipboard; `None` means the visible screen's text.
    Copy(Option<String>),
    /// Give the terminal back and stop the process until it is continued.
    Suspend,
}

/// How soon a second Esc must follow the first to quit while work is unfinished.
pub const ESC_AGAIN: std::time::Duration = std::time::Duration::from_secs(2);

pub struct App {
    tabs: Vec<(&'static str, Box<dyn AnyTab>)>,
    // The global key table, with the config file's remaps applied.
    global: Vec<Binding<Global>>,
    effect: Option<Effect>,
    // One line for the footer after an effect ("saved …"), until the next key.
    message: Option<String>,
    current: usize,
    help: Option<u16>,
    // The help overlay's scroll limit at the last layout, so keys cannot scroll past it.
    help_max: u16,
    quit: bool,
    /// When Esc last asked to quit while a tab had unfinished work (a second Esc within
    /// `ESC_AGAIN` quits).
    esc_armed: Option<std::time::Instant>,
    pub ui: Ui,
    // Where the tab bar put each title at the last layout, for mouse clicks: (x start, x end).
    tab_spans: Vec<(u16, u16)>,
    // How pictures are drawn and why, for the help overlay (set by the terminal loop).
    images_reason: Option<String>,
}

impl App {
    /// The app with every tab of the registry, built for `waker` (headless or the terminal
    /// loop's).
    pub fn new(ui: Ui, waker: &Waker, options: &Options) -> Result<App, BuildError> {
        let mut tabs = Vec::with_capacity(TABS.len());
        for spec in TABS {
            tabs.push((spec.name, (spec.build)(waker, options)?));
        }
        Ok(App::with_tabs(ui, tabs))
    }

    /// The app with the given tabs (tests of the shell use tabs of their own).
    pub fn with_tabs(ui: Ui, tabs: Vec<(&'static str, Box<dyn AnyTab>)>) -> App {
        App {
            tabs,
            global: GLOBAL.to_vec(),
            effect: None,
            message: None,
            current: 0,
            help: None,
            help_max: u16::MAX,
            quit: false,
            esc_armed: None,
            ui,
            tab_spans: Vec::new(),
            images_reason: None,
        }
    }

    /// The names of the tabs that exist, in order.
    pub fn tab_names(&self) -> Vec<&'static str> {
        self.tabs.iter().map(|(name, _)| *name).collect()
    }

    /// The name of the tab on screen.
    pub fn current_tab(&self) -> Option<&'static str> {
        self.tabs.get(self.current).map(|(name, _)| *name)
    }

    /// Switches to the tab called `name`; false if it does not exist.
    pub fn select(&mut self, name: &str) -> bool {
        match self.tabs.iter().position(|(t, _)| *t == name) {
            Some(i) => {
                self.current = i;
                true
            }
            None => false,
        }
    }

    /// Every key the tab called `name` binds (empty when there is no such tab).
    pub fn tab_keys(&self, name: &str) -> Vec<Key> {
        self.tabs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.keys())
            .unwrap_or_default()
    }

    /// What is wrong with the key table of the tab called `name` (empty when sound or absent).
    pub fn table_problems(&self, name: &str) -> Vec<String> {
        self.tabs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.table_problems())
            .unwrap_or_default()
    }

    /// Where the key table of the tab called `name` breaks the key conventions.
    pub fn convention_problems(&self, name: &str) -> Vec<String> {
        self.tabs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.convention_problems())
            .unwrap_or_default()
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    pub fn help_open(&self) -> bool {
        self.help.is_some()
    }

    /// Gives global actions other keys (from the config file): each named action answers to
    /// its new key instead of its default ones, and the help and footer say so.
    pub fn remap_global(&mut self, remaps: &[(Key, Global)]) {
        for &(key, action) in remaps {
            if let Some(b) = self.global.iter_mut().find(|b| b.action == action) {
                // Leaked once per remapped action at start-up: key tables hold static slices.
                b.keys = Box::leak(vec![key].into_boxed_slice());
            }
        }
    }

    /// The effect the last key asked for, if any (taken once).
    pub fn take_effect(&mut self) -> Option<Effect> {
        self.effect.take()
    }

    /// Shows one line in the footer until the next key (the result of an effect).
    pub fn set_message(&mut self, message: impl Into<String>) {
        self.message = Some(message.into());
    }

    /// Draws pictures as `images` says; the help overlay gives `reason`, and the footer too
    /// when `refused` (an image protocol asked for by name could not be used).
    pub fn set_images(&mut self, images: crate::graphics::Images, reason: String, refused: bool) {
        self.ui.images = images;
        if refused {
            self.message = Some(reason.clone());
        }
        self.images_reason = Some(reason);
    }

    /// The terminal was cleared (a resize): pictures sent through an image protocol are sent
    /// again.
    pub fn screen_cleared(&mut self) {
        if self.ui.images.protocol().is_some() {
            self.ui.images.epoch = self.ui.images.epoch.wrapping_add(1);
        }
    }

    /// The footer's message, if one is showing.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The current tab's readout: what it shows, in plain lines (what `m` copies).
    pub fn readout(&self) -> Option<String> {
        self.tabs.get(self.current).and_then(|(_, t)| t.readout())
    }

    /// Handles a key; returns true when the screen must be redrawn.
    pub fn handle_key(&mut self, key: Key) -> bool {
        let had_message = self.message.take().is_some();
        self.handle_key_inner(key) || had_message
    }

    fn handle_key_inner(&mut self, key: Key) -> bool {
        // A tab's text field takes every key but Ctrl-C and Ctrl-Z; an Alt key is no text.
        if self.help.is_none()
            && key != Key::ctrl('c')
            && key != Key::ctrl('z')
            && let Some((_, tab)) = self.tabs.get_mut(self.current)
            && tab.typing().is_some()
        {
            return !key.alt && tab.type_key(key);
        }
        // With help open only the global keys act; movement scrolls the help.
        if self.help.is_none()
            && let Some((_, tab)) = self.tabs.get_mut(self.current)
            && let Some(redraw) = tab.key(key)
        {
            return redraw;
        }
        let Some(action) = keymap::lookup(&self.global, key) else {
            return false;
        };
        match action {
            Global::Quit => self.quit = true,
            Global::Back => self.back(),
            Global::Help => self.help = if self.help.is_some() { None } else { Some(0) },
            Global::NextTab => self.cycle(1),
            Global::PrevTab => self.cycle(-1),
            Global::GoTab => {
                let number = match key.code {
                    crossterm::event::KeyCode::Char(c) => c.to_digit(10),
                    _ => None,
                };
                match number {
                    Some(n) if n >= 1 && (n as usize) <= self.tabs.len() => {
                        self.current = n as usize - 1
                    }
                    _ => return false,
                }
            }
            Global::Export => self.effect = Some(Effect::SaveScreen),
            Global::Suspend => self.effect = Some(Effect::Suspend),
            Global::Copy => {
                let text = self.tabs.get(self.current).and_then(|(_, t)| t.readout());
                self.effect = Some(Effect::Copy(text));
            }
            // Movement keys no tab table takes scroll the help overlay, and do nothing else.
            Global::Nav(nav) => {
                if let Some(scroll) = self.help.as_mut() {
                    let max = self.help_max;
                    *scroll = match nav {
                        Nav::Up => scroll.saturating_sub(1),
                        Nav::Down => scroll.saturating_add(1),
                        Nav::PageUp => scroll.saturating_sub(10),
                        Nav::Home => 0,
                        Nav::PageDown => scroll.saturating_add(10),
                        Nav::End => max,
                        Nav::Left | Nav::Right => *scroll,
                    }
                    .min(max);
                } else {
                    return false;
                }
            }
        }
        true
    }

    /// Esc: closes the help; else quits, but while a tab has unfinished work (a training run)
    /// only when pressed twice within `ESC_AGAIN`, the footer saying so after the first.
    fn back(&mut self) {
        if self.help.is_some() {
            self.help = None;
            return;
        }
        let now = std::time::Instant::now();
        let armed = self
            .esc_armed
            .take()
            .is_some_and(|at| now.duration_since(at) <= ESC_AGAIN);
        let work = self.tabs.iter().find_map(|(_, t)| t.unfinished_work());
        match work {
            Some(what) if !armed => {
                self.esc_armed = Some(now);
                let unicode = self.ui.glyphs.unicode;
                let quit = keymap::keys_of(&self.global, Global::Quit, unicode);
                let back = keymap::keys_of(&self.global, Global::Back, unicode);
                self.message = Some(format!(
                    "{back} again within {} s quits and loses {what} ({quit}: quit now)",
                    ESC_AGAIN.as_secs()
                ));
            }
            _ => self.quit = true,
        }
    }

    #[cfg(test)]
    fn age_esc(&mut self, by: std::time::Duration) {
        self.esc_armed = self.esc_armed.and_then(|at| at.checked_sub(by));
    }

    fn cycle(&mut self, step: isize) {
        let n = self.tabs.len() as isize;
        if n > 0 {
            self.current = (self.current as isize + step).rem_euclid(n) as usize;
        }
    }

    /// Handles a mouse event (only delivered with `--mouse`): clicks on the tab bar switch
    /// tabs, other clicks go to the current tab.
    pub fn handle_mouse(&mut self, ev: MouseEvent) -> bool {
        if ev.kind != MouseEventKind::Down(MouseButton::Left) || self.help.is_some() {
            return false;
        }
        if ev.row == 0 {
            if let Some(i) = self
                .tab_spans
                .iter()
                .take(self.tabs.len())
                .position(|&(a, b)| ev.column >= a && ev.column < b)
            {
                self.current = i;
                return true;
            }
            return false;
        }
        match self.tabs.get_mut(self.current) {
            Some((_, tab)) => tab.click(ev.column, ev.row),
            None => false,
        }
    }

    /// True while the current tab animates (only the visible tab ticks).
    pub fn animating(&self) -> bool {
        self.tabs
            .get(self.current)
            .is_some_and(|(_, t)| t.animating())
    }

    pub fn tick(&mut self) -> bool {
        match self.tabs.get_mut(self.current) {
            Some((_, t)) => t.tick(),
            None => false,
        }
    }

    /// Collects finished background work in every tab.
    pub fn poll(&mut self) -> bool {
        let mut changed = false;
        for (_, t) in &mut self.tabs {
            changed |= t.poll();
        }
        changed
    }

    pub fn busy(&self) -> bool {
        self.tabs.iter().any(|(_, t)| t.busy())
    }

    /// Headless: finish all work and animations.
    pub fn settle(&mut self) {
        for (_, t) in &mut self.tabs {
            t.settle();
        }
    }

    /// The keys the help overlay's title names, from the global table (remaps included).
    fn help_title_keys(&self) -> help::TitleKeys {
        let unicode = self.ui.glyphs.unicode;
        let first = |action: Global| {
            self.global
                .iter()
                .find(|b| b.action == action)
                .and_then(|b| b.keys.first())
                .map(|k| k.name(unicode))
                .unwrap_or_default()
        };
        help::TitleKeys {
            scroll: format!(
                "{}{}",
                first(Global::Nav(Nav::Up)),
                first(Global::Nav(Nav::Down))
            ),
            close: format!("{} or {}", first(Global::Help), first(Global::Back)),
        }
    }

    fn help_sections(&self) -> Vec<Section> {
        let unicode = self.ui.glyphs.unicode;
        // The current tab's keys first: they are what the reader came for.
        let mut out = Vec::new();
        if let Some((_, tab)) = self.tabs.get(self.current) {
            out.push(tab.help_section(unicode));
        }
        out.push(Section::from_table("Global keys", &self.global, unicode));
        if let Some(reason) = &self.images_reason {
            out.push(Section {
                title: "Display".to_string(),
                rows: vec![(
                    "images".to_string(),
                    crate::text::spelled(reason, unicode).into_owned(),
                )],
            });
        }
        out
    }

    /// The tab bar: the app's name, every tab's number and title, and what background work
    /// runs. When the titles and the busy label do not all fit, the other tabs show only their
    /// numbers; the current title and the busy label are fitted with an ellipsis, never cut.
    fn tab_bar(&self, width: u16) -> TabBar {
        let unicode = self.ui.glyphs.unicode;
        let sep = format!(" {} ", self.ui.glyphs.v_line);
        let lead = 8 + crate::text::width(&sep);
        let width = width as usize;
        let busy = self.busy().then(|| {
            let what = self
                .tabs
                .iter()
                .find(|(_, t)| t.busy())
                .and_then(|(_, t)| t.busy_label())
                .unwrap_or_else(|| "computing".to_string());
            crate::text::spelled(&format!("{what}{}", self.ui.glyphs.ellipsis), unicode)
                .into_owned()
        });
        let n = self.tabs.len();
        // Labels are padded by a space on each side, but the last needs no right padding, and
        // one space separates labels.
        let label = |i: usize, full: bool| {
            let title = self.tabs[i].1.title();
            let pad = if i + 1 == n { "" } else { " " };
            if full {
                format!(" {} {title}{pad}", i + 1)
            } else {
                format!(" {}{pad}", i + 1)
            }
        };
        let labels_width = |from: usize, full_all: bool| -> usize {
            (from..n)
                .map(|i| crate::text::width(&label(i, full_all || i == self.current)))
                .sum::<usize>()
                + (n - from).saturating_sub(1)
        };
        // The busy label wants at least "computing…" worth of room beside the bar.
        let busy_min = busy
            .as_ref()
            .map_or(0, |b| crate::text::width(b).min(12) + 1);
        let compact = lead + labels_width(0, true) + busy_min > width;
        let mut bar = TabBar {
            sep,
            labels: Vec::with_capacity(n),
            hits: Vec::with_capacity(n),
            busy: None,
        };
        let mut x = lead as u16;
        let mut used = lead;
        for i in 0..n {
            let mut text = label(i, !compact || i == self.current);
            if i == self.current {
                // What the labels after this one still need, with their separating spaces.
                let rest = if i + 1 < n {
                    labels_width(i + 1, !compact) + 1
                } else {
                    0
                };
                let room = width.saturating_sub(used + rest);
                text = crate::text::fit(&text, room, unicode);
            }
            let w = crate::text::width(&text) as u16;
            bar.hits.push((x, x + w));
            x += w + 1;
            used += w as usize + 1;
            bar.labels.push(text);
        }
        if let Some(busy) = busy {
            let room = width.saturating_sub(used + 1);
            if room >= 4 {
                // A progress label keeps its numbers (the percentage) before its words.
                let text = crate::text::fit_keeping_numbers(&busy, room - 1, unicode);
                bar.busy = Some(format!("{text} "));
            }
        }
        bar
    }

    fn render_tab_bar(&self, area: Rect, buf: &mut Buffer) {
        let t = &self.ui.theme;
        let bar = self.tab_bar(area.width);
        let mut spans = vec![
            Span::styled(" dlscope", t.title),
            Span::styled(bar.sep.clone(), t.dim),
        ];
        for (i, text) in bar.labels.into_iter().enumerate() {
            let style = if i == self.current {
                t.tab_active
            } else {
                t.tab_inactive
            };
            spans.push(Span::styled(text, style));
            spans.push(Span::raw(" "));
        }
        buf.set_line(area.x, area.y, &Line::from(spans), area.width);
        if let Some(text) = bar.busy {
            let w = crate::text::width(&text) as u16;
            buf.set_string(
                area.x + area.width - w,
                area.y,
                &text,
                t.warn.add_modifier(Modifier::BOLD),
            );
        }
    }

    fn render_footer(&self, area: Rect, buf: &mut Buffer) {
        let t = &self.ui.theme;
        let unicode = self.ui.glyphs.unicode;
        if let Some(msg) = &self.message {
            let text = crate::text::fit(
                &crate::text::spelled(&format!(" {msg}"), unicode),
                area.width as usize,
                unicode,
            );
            buf.set_string(area.x, area.y, text, t.warn);
            return;
        }
        let typing = self
            .tabs
            .get(self.current)
            .and_then(|(_, tab)| tab.typing());
        // While a tab takes text, only its typing keys work: the global hints would mislead.
        let global = match typing {
            Some(_) => Vec::new(),
            None => hints_of(&self.global, unicode),
        };
        let tab = match (typing, self.tabs.get(self.current)) {
            (Some(keys), _) => keys
                .iter()
                .map(|&(k, label)| (key_names(k, unicode), label))
                .collect(),
            (None, Some((_, tab))) => tab.hints(unicode),
            (None, None) => Vec::new(),
        };
        let fmt = |hints: &[(String, &'static str)]| -> Vec<Span<'static>> {
            hints
                .iter()
                .flat_map(|(k, label)| {
                    [
                        Span::styled(format!(" {k}"), t.key),
                        Span::styled(format!(" {label} "), t.hint),
                    ]
                })
                .collect()
        };
        let right = Line::from(fmt(&global));
        let rw = right.width() as u16;
        let mut left_spans = Vec::new();
        let mut used = 0u16;
        for h in &tab {
            let part = fmt(std::slice::from_ref(h));
            let w: u16 = part.iter().map(|s| s.width() as u16).sum();
            if used + w + rw > area.width {
                break;
            }
            used += w;
            left_spans.extend(part);
        }
        buf.set_line(area.x, area.y, &Line::from(left_spans), area.width);
        if area.width >= rw {
            buf.set_line(area.x + area.width - rw, area.y, &right, rw);
        }
    }
}

/// The names of `keys` for the footer: run together when each is one character (`↑↓`).
fn key_names(keys: &[Key], unicode: bool) -> String {
    let names: Vec<String> = keys.iter().map(|k| k.name(unicode)).collect();
    let sep = if names.iter().all(|n| n.chars().count() == 1) {
        ""
    } else {
        " / "
    };
    names.join(sep)
}

/// The tab bar's parts for one width: each tab's label and where it is, the busy label.
struct TabBar {
    sep: String,
    labels: Vec<String>,
    /// (x start, x end) of each label, relative to the bar's left edge.
    hits: Vec<(u16, u16)>,
    busy: Option<String>,
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        self.draw(area, buf, &self.ui);
    }
}

impl App {
    /// The body between the tab bar and the footer, or `None` below the smallest size.
    fn body(area: Rect) -> Option<Rect> {
        (area.width >= MIN_WIDTH && area.height >= MIN_HEIGHT)
            .then(|| Rect::new(area.x, area.y + 1, area.width, area.height - 2))
    }

    /// The layout step before a frame of `width`×`height`: records where the tab bar's labels
    /// are, how far the help can scroll, and lets the current tab record what its keys and
    /// clicks need. The terminal loop calls it before every draw; render writes no state.
    pub fn layout(&mut self, width: u16, height: u16) {
        let area = Rect::new(0, 0, width, height);
        let Some(body) = App::body(area) else {
            self.tab_spans.clear();
            return;
        };
        self.tab_spans = self.tab_bar(width).hits;
        self.help_max = help::max_scroll(body, &self.ui, &self.help_sections());
        if let Some(scroll) = self.help.as_mut() {
            *scroll = (*scroll).min(self.help_max);
        }
        let ui = self.ui.clone();
        if let Some((_, tab)) = self.tabs.get_mut(self.current) {
            tab.layout(body, &ui);
        }
    }

    /// Draws the app; the tab draws with `ui` (the app's own, or one with cell pictures).
    fn draw(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let area = area.intersection(buf.area);
        if area.width == 0 || area.height == 0 {
            return;
        }
        let Some(body) = App::body(area) else {
            let msg = format!(
                "Too small ({}{}{}): needs {}{}{}; q quits",
                area.width,
                self.ui.glyphs.times,
                area.height,
                MIN_WIDTH,
                self.ui.glyphs.times,
                MIN_HEIGHT
            );
            let msg = crate::text::fit(&msg, area.width as usize, self.ui.glyphs.unicode);
            buf.set_string(area.x, area.y, msg, self.ui.theme.warn);
            return;
        };
        self.render_tab_bar(Rect::new(area.x, area.y, area.width, 1), buf);
        match self.tabs.get(self.current) {
            Some((_, tab)) => tab.render(body, buf, ui),
            None => {
                buf.set_string(body.x + 1, body.y + 1, "No tabs.", self.ui.theme.dim);
            }
        }
        self.render_footer(
            Rect::new(area.x, area.y + area.height - 1, area.width, 1),
            buf,
        );
        if let Some(scroll) = self.help {
            let keys = self.help_title_keys();
            help::render(body, buf, &self.ui, &self.help_sections(), scroll, &keys);
        }
    }
}

/// Lays the app out for the given size and renders it into a fresh buffer (tests, snapshots,
/// benchmarks).
pub fn render_to_buffer(app: &mut App, width: u16, height: u16) -> Buffer {
    app.layout(width, height);
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    app.render(area, &mut buf);
    buf
}

/// The same with pictures as cells, never protocol escapes: for the saved screen (SVG) and
/// the screen's text on the clipboard. The app must have been laid out for this size.
pub fn render_cells_to_buffer(app: &App, width: u16, height: u16) -> Buffer {
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    app.draw(area, &mut buf, &app.ui.cells_only());
    buf
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::keymap::Binding;
    use crate::snapshot::buffer_text;
    use crate::tab::Tab;
    use crossterm::event::KeyCode;

    /// A tab for testing the shell alone: counts its actions and movements.
    pub struct CounterTab {
        pub count: i64,
    }

    #[derive(Clone, Copy, PartialEq)]
    pub enum CounterAct {
        Add,
        Up,
        Down,
    }

    impl keymap::Action for CounterAct {
        fn convention(self) -> Option<keymap::Convention> {
            match self {
                CounterAct::Add => None,
                CounterAct::Up => Some(keymap::Convention::Up),
                CounterAct::Down => Some(keymap::Convention::Down),
            }
        }
    }

    const COUNTER_KEYS: &[Binding<CounterAct>] = &[
        Binding {
            keys: &[Key::ch('a')],
            action: CounterAct::Add,
            help: "add one",
            hint: Some("add"),
        },
        Binding {
            keys: keymap::UP,
            action: CounterAct::Up,
            help: "add ten",
            hint: None,
        },
        Binding {
            keys: keymap::DOWN,
            action: CounterAct::Down,
            help: "take ten",
            hint: None,
        },
    ];

    impl Tab for CounterTab {
        type Act = CounterAct;
        fn title(&self) -> &'static str {
            "Counter"
        }
        fn keys(&self) -> &'static [Binding<CounterAct>] {
            COUNTER_KEYS
        }
        fn act(&mut self, act: CounterAct) -> bool {
            self.count += match act {
                CounterAct::Add => 1,
                CounterAct::Up => 10,
                CounterAct::Down => -10,
            };
            true
        }
        fn render(&self, area: Rect, buf: &mut Buffer, _ui: &Ui) {
            buf.set_string(
                area.x,
                area.y,
                format!("count {}", self.count),
                ratatui::style::Style::default(),
            );
        }
    }

    fn app() -> App {
        App::with_tabs(
            Ui::standard(),
            vec![
                ("one", crate::tab::boxed(CounterTab { count: 0 })),
                ("two", crate::tab::boxed(CounterTab { count: 100 })),
            ],
        )
    }

    #[test]
    fn keys_dispatch_through_the_tables() {
        let mut a = app();
        assert!(a.handle_key(Key::ch('a')));
        assert!(a.handle_key(Key::ch('k')));
        let text = buffer_text(&render_to_buffer(&mut a, 80, 24));
        assert!(text.contains("count 11"), "{text}");
        assert!(text.contains("a add"), "{text}");
        assert!(text.contains("? help"), "{text}");
        a.handle_key(Key::code(KeyCode::Tab));
        assert_eq!(a.current_tab(), Some("two"));
        a.handle_key(Key::code(KeyCode::BackTab));
        a.handle_key(Key::code(KeyCode::BackTab));
        assert_eq!(a.current_tab(), Some("two"));
        a.handle_key(Key::ch('1'));
        assert_eq!(a.current_tab(), Some("one"));
        assert!(!a.handle_key(Key::ch('4')), "no fourth tab here");
        assert!(!a.handle_key(Key::ch('9')), "no ninth tab here");
        assert!(!a.handle_key(Key::ch('Z')));
    }

    #[test]
    fn ctrl_and_alt_keys_no_table_names_do_nothing() {
        let mut a = app();
        for key in [
            Key::alt('q'),
            Key::alt('2'),
            Key::alt('a'),
            Key::ctrl('a'),
            Key::ctrl('q'),
            Key {
                alt: true,
                ..Key::code(KeyCode::Tab)
            },
        ] {
            assert!(!a.handle_key(key), "{key:?}");
            assert!(!a.should_quit(), "{key:?}");
            assert_eq!(a.current_tab(), Some("one"), "{key:?}");
        }
        let text = buffer_text(&render_to_buffer(&mut a, 80, 24));
        assert!(text.contains("count 0"), "{text}");
        // Reserved keys do nothing today either.
        for (key, _) in keymap::RESERVED {
            assert!(!a.handle_key(*key), "{key:?}");
        }
        assert!(!a.should_quit());
    }

    #[test]
    fn help_lists_every_key_and_esc_closes_before_quitting() {
        let mut a = app();
        a.handle_key(Key::ch('?'));
        assert!(a.help_open());
        let text = buffer_text(&render_to_buffer(&mut a, 100, 40));
        for b in GLOBAL {
            assert!(text.contains(b.help), "help lacks {:?}:\n{text}", b.help);
        }
        assert!(text.contains("add one"));
        // Tab keys do not act under the overlay.
        a.handle_key(Key::ch('a'));
        a.handle_key(Key::code(KeyCode::Esc));
        assert!(!a.help_open() && !a.should_quit());
        let text = buffer_text(&render_to_buffer(&mut a, 80, 24));
        assert!(text.contains("count 0"));
        a.handle_key(Key::code(KeyCode::Esc));
        assert!(a.should_quit());
        let mut a = app();
        a.handle_key(Key::ctrl('c'));
        assert!(a.should_quit());
    }

    /// A tab with a run that quitting would lose.
    struct RunningTab;

    impl Tab for RunningTab {
        type Act = CounterAct;
        fn title(&self) -> &'static str {
            "Running"
        }
        fn keys(&self) -> &'static [Binding<CounterAct>] {
            COUNTER_KEYS
        }
        fn act(&mut self, _: CounterAct) -> bool {
            false
        }
        fn render(&self, _: Rect, _: &mut Buffer, _: &Ui) {}
        fn unfinished_work(&self) -> Option<&'static str> {
            Some("the training run")
        }
    }

    #[test]
    fn esc_quits_at_once_unless_a_run_would_be_lost_then_twice_within_two_seconds() {
        // Nothing to lose: one Esc quits.
        let mut a = app();
        a.handle_key(Key::code(KeyCode::Esc));
        assert!(a.should_quit());
        // A run in another tab: the first Esc only warns, in the footer.
        let tabs: Vec<(&'static str, Box<dyn AnyTab>)> = vec![
            ("one", crate::tab::boxed(CounterTab { count: 0 })),
            ("run", crate::tab::boxed(RunningTab)),
        ];
        let mut a = App::with_tabs(Ui::standard(), tabs);
        assert!(a.handle_key(Key::code(KeyCode::Esc)));
        assert!(!a.should_quit());
        let text = buffer_text(&render_to_buffer(&mut a, 80, 24));
        assert!(text.contains("Esc again within 2 s quits"), "{text}");
        a.handle_key(Key::code(KeyCode::Esc));
        assert!(a.should_quit(), "the second Esc within 2 s quits");
        // A second Esc after more than 2 s warns again; q never asks.
        let tabs: Vec<(&'static str, Box<dyn AnyTab>)> =
            vec![("run", crate::tab::boxed(RunningTab))];
        let mut a = App::with_tabs(Ui::standard(), tabs);
        a.handle_key(Key::code(KeyCode::Esc));
        a.age_esc(ESC_AGAIN + std::time::Duration::from_millis(1));
        a.handle_key(Key::code(KeyCode::Esc));
        assert!(!a.should_quit(), "too late: it warns again");
        a.handle_key(Key::ch('q'));
        assert!(a.should_quit());
    }

    /// A tab that is always busy, with a long label.
    struct BusyTab;

    impl Tab for BusyTab {
        type Act = CounterAct;
        fn title(&self) -> &'static str {
            "A rather long title"
        }
        fn keys(&self) -> &'static [Binding<CounterAct>] {
            COUNTER_KEYS
        }
        fn act(&mut self, _: CounterAct) -> bool {
            false
        }
        fn render(&self, _: Rect, _: &mut Buffer, _: &Ui) {}
        fn busy(&self) -> bool {
            true
        }
        fn busy_label(&self) -> Option<String> {
            Some("first view: power iteration 3 (40 %), camera".into())
        }
    }

    #[test]
    fn a_crowded_tab_bar_keeps_the_current_title_and_the_busy_label() {
        let mut tabs: Vec<(&'static str, Box<dyn AnyTab>)> = Vec::new();
        for name in ["a", "b", "c", "d", "e", "f"] {
            tabs.push((name, crate::tab::boxed(BusyTab)));
        }
        let mut a = App::with_tabs(Ui::standard(), tabs);
        a.handle_key(Key::ch('3'));
        for w in [64u16, 80, 100, 120, 300] {
            let text = buffer_text(&render_to_buffer(&mut a, w, 24));
            let bar = text.lines().next().unwrap_or("");
            assert!(bar.contains("3 A rather long title"), "{w}: {bar}");
            assert!(bar.contains(" 1 ") && bar.contains(" 6 "), "{w}: {bar}");
            assert!(bar.contains(" first"), "{w}: {bar}");
            // The label is whole or ends in an ellipsis, never cut mid-word silently.
            assert!(bar.trim_end().ends_with('…'), "{w}: {bar}");
            // Where the iteration's numbers fit at all, they are kept over the words.
            if w >= 100 {
                assert!(bar.contains("3 (40 %)"), "{w}: {bar}");
            }
        }
        // Wide enough: every title in full.
        let text = buffer_text(&render_to_buffer(&mut a, 300, 24));
        assert_eq!(
            text.lines()
                .next()
                .unwrap_or("")
                .matches("A rather long title")
                .count(),
            6
        );
    }

    #[test]
    fn remapped_global_keys_act_and_show() {
        let mut a = app();
        a.remap_global(&[(Key::code(KeyCode::F(2)), Global::Quit)]);
        assert!(
            !a.handle_key(Key::ch('q')) && !a.should_quit(),
            "q is free now"
        );
        a.handle_key(Key::code(KeyCode::F(2)));
        assert!(a.should_quit());
        let text = buffer_text(&render_to_buffer(&mut a, 80, 24));
        assert!(text.contains("F2 quit"), "{text}");
    }

    #[test]
    fn too_small_says_so_and_nothing_panics() {
        let mut a = app();
        let text = buffer_text(&render_to_buffer(&mut a, 40, 10));
        assert!(
            text.starts_with("Too small (40×10): needs 64×20; q quits"),
            "{text}"
        );
        for (w, h) in [(0, 0), (1, 1), (2, 50), (300, 1), (64, 20), (300, 100)] {
            render_to_buffer(&mut a, w, h);
        }
    }

    #[test]
    fn clicks_on_the_tab_bar_switch_tabs() {
        let mut a = app();
        render_to_buffer(&mut a, 80, 24);
        let (start, _) = a.tab_spans[1];
        let click = MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: start + 1,
            row: 0,
            modifiers: crossterm::event::KeyModifiers::NONE,
        };
        assert!(a.handle_mouse(click));
        assert_eq!(a.current_tab(), Some("two"));
    }
}
