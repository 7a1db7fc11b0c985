//! The ResNet tab: a collapsible tree of torchvision's modules with their output shapes,
//! parameters and MACs, controls that rebuild the model at once, and panels for the parameter
//! groups, the weight-decay split, redundant conv biases, BN buffers, a note on the selected
//! module and the check of the homework's printed numbers.
//!
//! The tab holds view state (selection, expansion, scrolling, panel focus) and the model's
//! results; every number comes from [`Network`] or the homework check.

use std::borrow::Cow;
use std::cell::Cell;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::homework::{self, CheckRow};
use super::model::{self, Arch, Config, Mode, ModuleKind, Network, SequentialRole};
use super::notes;
use crate::jobs::Waker;
use crate::keymap::{Binding, Key, Nav};
use crate::numfmt::{compact, group_thousands, percent};
use crate::tab::Tab;
use crate::theme::{Glyphs, Ui};
use crate::widgets::slider::{Slider, linear_position, log_position};
use crate::widgets::{self, panel};

/// What the tab's keys do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    NextArch,
    PrevArch,
    MoreClasses,
    FewerClasses,
    LargerInput,
    SmallerInput,
    TallerInput,
    ShorterInput,
    WiderInput,
    NarrowerInput,
    ToggleConvBias,
    ToggleMode,
    ToggleExpand,
    ExpandAll,
    CollapseAll,
    NextPanel,
    Reset,
}

/// The tab's key table: dispatch, footer hints and help all read it.
pub const KEYS: &[Binding<Act>] = &[
    Binding {
        keys: &[Key::ch('a')],
        action: Act::NextArch,
        help: "next architecture (resnet18, 34, 50, 101, 152, then around)",
        hint: Some("arch"),
    },
    Binding {
        keys: &[Key::ch('A')],
        action: Act::PrevArch,
        help: "previous architecture",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('c')],
        action: Act::MoreClasses,
        help: "more classes (1, 2, 10, 100, 1000, 10k, 21843, 100k, 1M)",
        hint: Some("classes"),
    },
    Binding {
        keys: &[Key::ch('C')],
        action: Act::FewerClasses,
        help: "fewer classes",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('+'), Key::ch('=')],
        action: Act::LargerInput,
        help: "larger input image (both sides one size up)",
        hint: Some("size"),
    },
    Binding {
        keys: &[Key::ch('-')],
        action: Act::SmallerInput,
        help: "smaller input image (both sides one size down)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('y')],
        action: Act::TallerInput,
        help: "taller input (height one size up)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('Y')],
        action: Act::ShorterInput,
        help: "shorter input (height one size down)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('x')],
        action: Act::WiderInput,
        help: "wider input (width one size up)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('X')],
        action: Act::NarrowerInput,
        help: "narrower input (width one size down)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('b')],
        action: Act::ToggleConvBias,
        help: "give every conv a bias, or not (what-if: BN makes it redundant)",
        hint: Some("bias"),
    },
    Binding {
        keys: &[Key::ch('t')],
        action: Act::ToggleMode,
        help: "switch between train and eval mode (changes batch norm only)",
        hint: Some("mode"),
    },
    Binding {
        keys: &[Key::code(crossterm::event::KeyCode::Enter), Key::ch(' ')],
        action: Act::ToggleExpand,
        help: "expand or collapse the selected module",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('e')],
        action: Act::ExpandAll,
        help: "expand every module",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('E')],
        action: Act::CollapseAll,
        help: "collapse to the top-level modules",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('p')],
        action: Act::NextPanel,
        help: "next panel: module note, homework check, summary (narrow screens show one)",
        hint: Some("panel"),
    },
    Binding {
        keys: &[Key::ch('r')],
        action: Act::Reset,
        help: "back to the homework's model: resnet18, 1000 classes, 224x224, no conv bias",
        hint: None,
    },
];

/// Class counts the `c`/`C` keys step through (21843: ImageNet-21k).
pub const CLASS_STEPS: [u64; 9] = [1, 2, 10, 100, 1000, 10_000, 21_843, 100_000, 1_000_000];
/// Input sides the size keys step through.
pub const SIDE_STEPS: [u64; 24] = [
    1, 2, 4, 8, 16, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 384, 448, 512, 640, 768, 1024,
    2048, 4096, 8192,
];

/// The next value of `steps` above `value` (or `value` at the top).
fn step_up(steps: &[u64], value: u64) -> u64 {
    steps.iter().copied().find(|&s| s > value).unwrap_or(value)
}

/// The next value of `steps` below `value` (or `value` at the bottom).
fn step_down(steps: &[u64], value: u64) -> u64 {
    steps
        .iter()
        .rev()
        .copied()
        .find(|&s| s < value)
        .unwrap_or(value)
}

/// Which panel has the focus; on narrow screens it is the one shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Module,
    Check,
    Summary,
}

impl Focus {
    fn next(self) -> Self {
        match self {
            Focus::Module => Focus::Check,
            Focus::Check => Focus::Summary,
            Focus::Summary => Focus::Module,
        }
    }
}

/// The homework check, computed once for the homework's own configuration.
struct HomeworkCheck {
    config: Config,
    rows: Vec<CheckRow>,
}

pub struct ResnetTab {
    config: Config,
    net: Network,
    mode: Mode,
    /// Per module index: is this container open in the tree?
    expanded: Vec<bool>,
    selected: usize,
    focus: Focus,
    check: Result<HomeworkCheck, String>,
    /// First visible tree row, kept across frames so the view scrolls only when it must.
    offset: Cell<usize>,
    /// Rows of the tree's last viewport, for paging.
    page: Cell<usize>,
    /// Where the tree's rows were drawn last, for mouse clicks.
    rows_area: Cell<Rect>,
}

impl ResnetTab {
    /// The tab for `config` (validated by the caller; an invalid one falls back to defaults).
    pub fn new(_waker: &Waker, config: Config) -> Self {
        let config = if config.validate().is_ok() {
            config
        } else {
            Config::default()
        };
        let net = model::build(&config);
        let expanded = net
            .modules
            .iter()
            .map(|m| matches!(m.kind, ModuleKind::Sequential(SequentialRole::Stage(_))))
            .collect();
        let check = homework::printed_figures()
            .and_then(|printed| {
                let config = printed.model_config()?;
                let rows = homework::check_against(&printed, &model::build(&config));
                Ok(HomeworkCheck { config, rows })
            })
            .map_err(|e| e.to_string());
        ResnetTab {
            config,
            net,
            mode: Mode::Train,
            expanded,
            selected: 0,
            focus: Focus::Module,
            check,
            offset: Cell::new(0),
            page: Cell::new(10),
            rows_area: Cell::new(Rect::default()),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn network(&self) -> &Network {
        &self.net
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn focus(&self) -> Focus {
        self.focus
    }

    /// Dotted name of the selected module.
    pub fn selected_name(&self) -> &str {
        self.net
            .modules
            .get(self.selected)
            .map_or("", |m| m.name.as_str())
    }

    /// Rebuilds the model for `config`, keeping expansion and selection by module name.
    fn set_config(&mut self, config: Config) -> bool {
        if config == self.config || config.validate().is_err() {
            return false;
        }
        let old = std::mem::replace(&mut self.net, model::build(&config));
        self.config = config;
        let open: std::collections::HashSet<&str> = old
            .modules
            .iter()
            .zip(&self.expanded)
            .filter(|(_, open)| **open)
            .map(|(m, _)| m.name.as_str())
            .collect();
        self.expanded = self
            .net
            .modules
            .iter()
            .map(|m| open.contains(m.name.as_str()))
            .collect();
        // The selected module, or its nearest ancestor that still exists (layer3.30 -> layer3).
        let mut name = old
            .modules
            .get(self.selected)
            .map_or("", |m| m.name.as_str());
        self.selected = loop {
            if let Some(i) = self.net.find(name) {
                break i;
            }
            match name.rsplit_once('.') {
                Some((parent, _)) => name = parent,
                None => break 0,
            }
        };
        self.reveal_selected();
        true
    }

    /// Opens every ancestor of the selection so it is on screen.
    fn reveal_selected(&mut self) {
        for a in self.net.ancestors(self.selected) {
            if let Some(open) = self.expanded.get_mut(a) {
                *open = true;
            }
        }
    }

    /// Module indices shown in the tree: pre-order, skipping closed subtrees.
    pub fn visible_rows(&self) -> Vec<usize> {
        let n = self.net.modules.len();
        let mut rows = Vec::with_capacity(n);
        let mut i = 0;
        while i < n {
            rows.push(i);
            let closed = self.net.modules[i].is_container() && !self.expanded[i];
            i = if closed {
                self.net.subtree_end(i)
            } else {
                i + 1
            };
        }
        rows
    }

    fn move_selection(&mut self, delta: isize) -> bool {
        let rows = self.visible_rows();
        let Some(pos) = rows.iter().position(|&r| r == self.selected) else {
            self.selected = rows.first().copied().unwrap_or(0);
            return true;
        };
        let last = rows.len().saturating_sub(1);
        let target = pos.saturating_add_signed(delta).min(last);
        let changed = rows[target] != self.selected;
        self.selected = rows[target];
        changed
    }

    fn set_expanded(&mut self, index: usize, open: bool) -> bool {
        let is_container = self
            .net
            .modules
            .get(index)
            .is_some_and(|m| m.is_container());
        match self.expanded.get_mut(index) {
            Some(e) if is_container && *e != open => {
                *e = open;
                true
            }
            _ => false,
        }
    }

    fn toggle_expand(&mut self) -> bool {
        let open = self.expanded.get(self.selected).copied().unwrap_or(false);
        self.set_expanded(self.selected, !open)
    }

    fn left(&mut self) -> bool {
        if self.expanded.get(self.selected).copied().unwrap_or(false) {
            return self.set_expanded(self.selected, false);
        }
        match self.net.modules.get(self.selected).and_then(|m| m.parent) {
            Some(p) => {
                self.selected = p;
                true
            }
            None => false,
        }
    }

    fn right(&mut self) -> bool {
        let Some(m) = self.net.modules.get(self.selected) else {
            return false;
        };
        if !m.is_container() {
            return false;
        }
        if !self.expanded[self.selected] {
            return self.set_expanded(self.selected, true);
        }
        self.selected = m.children[0];
        true
    }
}

impl Tab for ResnetTab {
    type Act = Act;

    fn title(&self) -> &'static str {
        "ResNet"
    }

    fn keys(&self) -> &'static [Binding<Act>] {
        KEYS
    }

    fn act(&mut self, act: Act) -> bool {
        let c = self.config;
        let (h, w) = c.input_hw;
        match act {
            Act::NextArch => self.set_config(Config {
                arch: c.arch.next(),
                ..c
            }),
            Act::PrevArch => self.set_config(Config {
                arch: c.arch.prev(),
                ..c
            }),
            Act::MoreClasses => self.set_config(Config {
                num_classes: step_up(&CLASS_STEPS, c.num_classes),
                ..c
            }),
            Act::FewerClasses => self.set_config(Config {
                num_classes: step_down(&CLASS_STEPS, c.num_classes),
                ..c
            }),
            Act::LargerInput => self.set_config(Config {
                input_hw: (step_up(&SIDE_STEPS, h), step_up(&SIDE_STEPS, w)),
                ..c
            }),
            Act::SmallerInput => self.set_config(Config {
                input_hw: (step_down(&SIDE_STEPS, h), step_down(&SIDE_STEPS, w)),
                ..c
            }),
            Act::TallerInput => self.set_config(Config {
                input_hw: (step_up(&SIDE_STEPS, h), w),
                ..c
            }),
            Act::ShorterInput => self.set_config(Config {
                input_hw: (step_down(&SIDE_STEPS, h), w),
                ..c
            }),
            Act::WiderInput => self.set_config(Config {
                input_hw: (h, step_up(&SIDE_STEPS, w)),
                ..c
            }),
            Act::NarrowerInput => self.set_config(Config {
                input_hw: (h, step_down(&SIDE_STEPS, w)),
                ..c
            }),
            Act::ToggleConvBias => self.set_config(Config {
                conv_bias: !c.conv_bias,
                ..c
            }),
            Act::ToggleMode => {
                self.mode = self.mode.toggled();
                true
            }
            Act::ToggleExpand => self.toggle_expand(),
            Act::ExpandAll => {
                let mut changed = false;
                for i in 0..self.expanded.len() {
                    changed |= self.set_expanded(i, true);
                }
                changed
            }
            Act::CollapseAll => {
                let mut changed = false;
                for i in 0..self.expanded.len() {
                    changed |= self.set_expanded(i, false);
                }
                let top = self.net.ancestors(self.selected).first().copied();
                if let Some(top) = top {
                    self.selected = top;
                    changed = true;
                }
                changed
            }
            Act::NextPanel => {
                self.focus = self.focus.next();
                true
            }
            Act::Reset => {
                let mode_changed = self.mode != Mode::Train;
                self.mode = Mode::Train;
                self.set_config(Config::default()) || mode_changed
            }
        }
    }

    fn nav(&mut self, nav: Nav) -> bool {
        let page = isize::try_from(self.page.get().max(1)).unwrap_or(1);
        match nav {
            Nav::Up => self.move_selection(-1),
            Nav::Down => self.move_selection(1),
            Nav::PageUp => self.move_selection(-page),
            Nav::PageDown => self.move_selection(page),
            Nav::Home => self.move_selection(isize::MIN),
            Nav::End => self.move_selection(isize::MAX),
            Nav::Left => self.left(),
            Nav::Right => self.right(),
        }
    }

    fn click(&mut self, col: u16, row: u16) -> bool {
        let area = self.rows_area.get();
        if !area.contains(ratatui::layout::Position::new(col, row)) {
            return false;
        }
        let rows = self.visible_rows();
        let index = self.offset.get() + usize::from(row - area.y);
        match rows.get(index) {
            Some(&m) if m == self.selected => self.toggle_expand(),
            Some(&m) => {
                self.selected = m;
                true
            }
            None => false,
        }
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let area = area.intersection(buf.area);
        if area.width == 0 || area.height == 0 {
            return;
        }
        View { tab: self, ui }.render(area, buf);
    }
}

/// Width of the summary / controls column and of the homework-check column.
const SIDE_WIDTH: u16 = 46;
const CHECK_WIDTH: u16 = 46;
/// From this width on, all panels sit beside the tree.
const WIDE: u16 = 180;
/// From this width on, one column of panels sits beside the tree.
const MEDIUM: u16 = 110;
/// Rows the module panel keeps when the summary grows to show its notes.
const MODULE_MIN: u16 = 16;

/// One frame's drawing: reads the tab, writes the buffer.
struct View<'a> {
    tab: &'a ResnetTab,
    ui: &'a Ui,
}

impl View<'_> {
    fn render(&self, area: Rect, buf: &mut Buffer) {
        let focus = self.tab.focus;
        if area.width >= WIDE {
            let tree_w = area.width - SIDE_WIDTH - CHECK_WIDTH;
            let (tree, rest) = split_h(area, tree_w);
            let (side, check) = split_h(rest, SIDE_WIDTH);
            self.tree(tree, buf);
            let controls_h = self.controls_height();
            let (controls, below) = split_v(side, controls_h);
            self.controls(controls, buf);
            let spare = below
                .height
                .saturating_sub(self.summary_height(0) + MODULE_MIN);
            let (summary, module) = split_v(below, self.summary_height(spare));
            self.summary(summary, buf, focus == Focus::Summary);
            self.module(module, buf, focus == Focus::Module);
            self.check(check, buf, focus == Focus::Check);
        } else if area.width >= MEDIUM {
            let (tree, side) = split_h(area, area.width - CHECK_WIDTH);
            self.tree(tree, buf);
            let (controls, below) = split_v(side, self.controls_height());
            self.controls(controls, buf);
            // The homework check wants every row it can get; the module note needs fewer.
            let spare = match focus {
                Focus::Check => 0,
                _ => below
                    .height
                    .saturating_sub(self.summary_height(0) + MODULE_MIN),
            };
            let (summary, slot) = split_v(below, self.summary_height(spare));
            self.summary(summary, buf, focus == Focus::Summary);
            if focus == Focus::Check {
                self.check(slot, buf, true);
            } else {
                self.module(slot, buf, focus == Focus::Module);
            }
        } else {
            let (header, body) = split_v(area, 1);
            self.header_line(header, buf);
            let panel_h = if body.height >= 16 {
                9
            } else {
                body.height / 2
            };
            let (tree, bottom) = split_v(body, body.height.saturating_sub(panel_h));
            self.tree(tree, buf);
            match focus {
                Focus::Module => self.module(bottom, buf, true),
                Focus::Check => self.check(bottom, buf, true),
                Focus::Summary => self.summary(bottom, buf, true),
            }
        }
    }

    fn g(&self) -> &Glyphs {
        &self.ui.glyphs
    }

    /// Text for this glyph set: Unicode as written, or folded to ASCII.
    fn text<'s>(&self, s: &'s str) -> Cow<'s, str> {
        if self.g().unicode {
            Cow::Borrowed(s)
        } else {
            fold_ascii(s)
        }
    }

    fn shape(&self, shape: &[u64]) -> String {
        let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
        dims.join(self.g().times)
    }

    /// The narrow screens' one-line summary of the controls and totals.
    fn header_line(&self, area: Rect, buf: &mut Buffer) {
        let t = &self.ui.theme;
        let c = &self.tab.config;
        let net = &self.tab.net;
        let bias = if c.conv_bias { "bias on" } else { "bias off" };
        let (h, w) = c.input_hw;
        let spans = vec![
            Span::styled(c.arch.name(), t.title),
            Span::styled(
                format!("  {} classes", group_thousands(c.num_classes)),
                t.number,
            ),
            Span::styled(format!("  {h}{}{w}", self.g().times), t.number),
            Span::styled(format!("  {bias}"), t.number),
            Span::styled(format!("  {}", self.tab.mode.name()), t.accent),
            Span::styled(format!("   {} params", compact(net.total_params())), t.hint),
            Span::styled(format!("  {} MACs", compact(net.total_macs())), t.hint),
        ];
        widgets::lines(area, buf, &[Line::from(spans)]);
    }

    fn controls_height(&self) -> u16 {
        8
    }

    /// Sliders for the architecture, classes and input sides, and the two switches.
    fn controls(&self, area: Rect, buf: &mut Buffer) {
        let inner = panel(area, buf, self.ui, "Controls", false);
        let c = &self.tab.config;
        let arch_pos = Arch::ALL.iter().position(|&a| a == c.arch).unwrap_or(0);
        let classes = group_thousands(c.num_classes);
        let (h, w) = c.input_hw;
        let (hs, ws) = (h.to_string(), w.to_string());
        let side_max = *SIDE_STEPS.last().unwrap_or(&1) as f64;
        let sliders = [
            Slider {
                label: "arch   ",
                value: c.arch.name(),
                position: linear_position(arch_pos as f64, 0.0, 4.0),
                focused: false,
            },
            Slider {
                label: "classes",
                value: &classes,
                position: log_position(c.num_classes as f64, 1.0, model::MAX_NUM_CLASSES as f64),
                focused: false,
            },
            Slider {
                label: "height ",
                value: &hs,
                position: log_position(h as f64, 1.0, side_max),
                focused: false,
            },
            Slider {
                label: "width  ",
                value: &ws,
                position: log_position(w as f64, 1.0, side_max),
                focused: false,
            },
        ];
        for (k, s) in sliders.iter().enumerate() {
            let y = inner.y.saturating_add(k as u16);
            if y < inner.bottom() {
                s.render(Rect::new(inner.x, y, inner.width, 1), buf, self.ui);
            }
        }
        let t = &self.ui.theme;
        let on_off = |on: bool| if on { "on" } else { "off" };
        let switches = [
            Line::from(vec![
                Span::styled("conv bias ", t.hint),
                Span::styled(on_off(c.conv_bias), t.number),
            ]),
            Line::from(vec![
                Span::styled("mode      ", t.hint),
                Span::styled(self.tab.mode.name(), t.accent),
            ]),
        ];
        let rest = Rect {
            y: inner.y.saturating_add(4),
            height: inner.height.saturating_sub(4),
            ..inner
        };
        widgets::lines(rest, buf, &switches);
    }

    /// Lines of the summary panel: totals, groups, weight decay, redundant bias, buffers, mode.
    fn summary_items(&self) -> Vec<Item> {
        let net = &self.tab.net;
        let t = &self.ui.theme;
        let total = net.total_params();
        let share = |n: u64| percent(fraction(n, total), 1);
        let groups = net.groups();
        let wd = net.weight_decay();
        let bn_layers = net
            .modules
            .iter()
            .filter(|m| m.kind.differs_between_train_and_eval())
            .count();
        let redundant = net.redundant_params();
        let conv_bias = net.conv_bias_params();
        let redundant_style = if redundant > 0 { t.warn } else { t.number };
        let mode_text = match self.tab.mode {
            Mode::Train => format!("{bn_layers} BN layers use batch statistics"),
            Mode::Eval => format!("{bn_layers} BN layers use running averages"),
        };
        vec![
            Item::pair("total params", group_thousands(total), t.number),
            Item::pair(
                "trainable",
                group_thousands(net.trainable_params()),
                t.number,
            ),
            Item::pair(
                "MACs per image",
                group_thousands(net.total_macs()),
                t.number,
            ),
            Item::pair(
                "BN buffers (not trained)",
                group_thousands(net.buffer_elements()),
                t.number,
            ),
            Item::Heading("groups by name (1e)"),
            Item::pair(
                "batch-norm",
                format!(
                    "{} {:>6}",
                    group_thousands(groups.batchnorm),
                    share(groups.batchnorm)
                ),
                t.number,
            ),
            Item::pair(
                "bias",
                format!("{} {:>6}", group_thousands(groups.bias), share(groups.bias)),
                t.number,
            ),
            Item::pair(
                "rest",
                format!("{} {:>6}", group_thousands(groups.rest), share(groups.rest)),
                t.number,
            ),
            Item::Heading("weight decay (1d)"),
            Item::pair("decayed", group_thousands(wd.decayed), t.number),
            Item::pair("not decayed", group_thousands(wd.not_decayed), t.number),
            Item::pair(
                "redundant conv bias (1a)",
                format!(
                    "{} of {}",
                    group_thousands(redundant),
                    group_thousands(conv_bias)
                ),
                redundant_style,
            ),
            Item::pair(self.tab.mode.name(), mode_text, t.accent),
        ]
    }

    /// Why-notes under the summary's numbers (Problems 1a, 1b, 1d), each wrapped to `width`.
    fn summary_notes(&self, width: u16) -> Vec<Vec<String>> {
        [
            notes::WEIGHT_DECAY_NOTE,
            notes::REDUNDANT_BIAS_NOTE,
            notes::MODE_SUMMARY,
        ]
        .iter()
        .map(|n| wrap_words(&self.text(n), usize::from(width)))
        .collect()
    }

    /// Rows the summary panel wants: its numbers, plus up to `extra` rows of whole notes.
    fn summary_height(&self, extra: u16) -> u16 {
        let base = self.summary_items().len() as u16 + 2;
        let mut notes_h = 0u16;
        for note in self.summary_notes(self.summary_inner_width()) {
            let h = note.len() as u16 + 1;
            if notes_h + h > extra {
                break;
            }
            notes_h += h;
        }
        base + notes_h
    }

    fn summary_inner_width(&self) -> u16 {
        SIDE_WIDTH.min(CHECK_WIDTH) - 2
    }

    fn summary(&self, area: Rect, buf: &mut Buffer, focused: bool) {
        let inner = panel(area, buf, self.ui, "Summary", focused);
        let items = self.summary_items();
        draw_items(&items, inner, buf, self.ui);
        let mut y = inner.y.saturating_add(items.len() as u16);
        // Whole notes only, in order, while they fit under the numbers.
        for note in self.summary_notes(inner.width) {
            let h = note.len() as u16 + 1;
            if y.saturating_add(h) > inner.bottom() {
                break;
            }
            let lines: Vec<Line> = note
                .into_iter()
                .map(|l| Line::styled(l, self.ui.theme.dim))
                .collect();
            let rect = Rect {
                y: y + 1,
                height: h - 1,
                ..inner
            };
            widgets::lines(rect, buf, &lines);
            y += h;
        }
    }

    /// Hyper-parameters of a module in words, e.g. `64→128 3×3 /2 pad 1`.
    fn details(&self, kind: &ModuleKind) -> String {
        let (to, x) = (self.g().right, self.g().times);
        match *kind {
            ModuleKind::Conv2d(c) => {
                let bias = if c.bias { ", bias" } else { "" };
                format!(
                    "{}{to}{} ch, {k}{x}{k}, stride {}, pad {}{bias}",
                    c.in_channels,
                    c.out_channels,
                    c.stride,
                    c.padding,
                    k = c.kernel
                )
            }
            ModuleKind::BatchNorm2d { num_features } => format!("{num_features} channels"),
            ModuleKind::MaxPool2d {
                kernel,
                stride,
                padding,
            } => format!("{kernel}{x}{kernel}, stride {stride}, pad {padding}"),
            ModuleKind::BasicBlock { stride } => format!("stride {stride}"),
            ModuleKind::Bottleneck { stride, width } => format!("width {width}, stride {stride}"),
            ModuleKind::AdaptiveAvgPool2d { output_hw } => {
                format!("to {}{x}{}", output_hw.0, output_hw.1)
            }
            ModuleKind::Linear {
                in_features,
                out_features,
            } => format!("{in_features}{to}{out_features}"),
            ModuleKind::ReLU | ModuleKind::Sequential(_) => String::new(),
        }
    }

    /// The selected module: type, counts, shape, our note, and its train/eval behaviour.
    fn module(&self, area: Rect, buf: &mut Buffer, focused: bool) {
        let net = &self.tab.net;
        let Some(m) = net.modules.get(self.tab.selected) else {
            panel(area, buf, self.ui, "Module", focused);
            return;
        };
        let title = format!("{} {} {}", m.name, self.g().bullet, m.type_name());
        let inner = panel(area, buf, self.ui, &title, focused);
        let t = &self.ui.theme;
        let share = |n: u64, of: u64| percent(fraction(n, of), 1);
        let details = self.details(&m.kind);
        let mut facts: Vec<Vec<Span>> = Vec::new();
        if !details.is_empty() {
            facts.push(vec![Span::styled(details, t.base)]);
        }
        facts.push(vec![
            Span::styled("params ", t.hint),
            Span::styled(group_thousands(m.params), t.number),
            Span::styled(format!(" ({})", share(m.params, net.total_params())), t.dim),
        ]);
        facts.push(vec![
            Span::styled("output ", t.hint),
            Span::styled(self.shape(&m.output_shape), t.number),
        ]);
        facts.push(vec![
            Span::styled("MACs ", t.hint),
            Span::styled(group_thousands(m.macs), t.number),
            Span::styled(format!(" ({})", share(m.macs, net.total_macs())), t.dim),
        ]);
        if m.buffer_elements > 0 {
            facts.push(vec![
                Span::styled("buffers ", t.hint),
                Span::styled(group_thousands(m.buffer_elements), t.number),
                Span::styled(" (not trained)", t.dim),
            ]);
        }
        let mut lines = pack_facts(facts, usize::from(inner.width), self.g().bullet, t.dim);
        let redundant: u64 = net
            .parameters_of(self.tab.selected)
            .filter(|p| p.redundant)
            .map(|p| p.numel)
            .sum();
        if redundant > 0 {
            lines.push(Line::styled(
                format!(
                    "Its bias ({}) is redundant: the batch norm after it cancels it.",
                    group_thousands(redundant)
                ),
                t.warn,
            ));
        }
        lines.push(Line::styled(self.text(notes::note(m)).into_owned(), t.base));
        lines.push(match notes::mode_behaviour(m, self.tab.mode) {
            Some(text) => Line::styled(self.text(text).into_owned(), t.accent),
            None => match net.mode_dependent_in(self.tab.selected) {
                0 => Line::styled("Same computation in train and eval mode.", t.dim),
                n => Line::styled(
                    format!(
                        "Holds {n} batch-norm layer{} that switch with the mode ({}).",
                        if n == 1 { "" } else { "s" },
                        self.tab.mode.name()
                    ),
                    t.accent,
                ),
            },
        });
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .render(inner, buf);
    }

    /// The homework's printed numbers, each marked as agreeing with the model or not.
    fn check(&self, area: Rect, buf: &mut Buffer, focused: bool) {
        let t = &self.ui.theme;
        let check = match &self.tab.check {
            Ok(check) => check,
            Err(e) => {
                let inner = panel(area, buf, self.ui, "Homework check", focused);
                Paragraph::new(Line::styled(self.text(e).into_owned(), t.bad))
                    .wrap(Wrap { trim: true })
                    .render(inner, buf);
                return;
            }
        };
        let title = format!(
            "Homework check: {}, {} classes",
            check.config.arch.name(),
            check.config.num_classes
        );
        let inner = panel(area, buf, self.ui, &title, focused);
        if inner.width == 0 || inner.height == 0 {
            return;
        }
        let agree = check.rows.iter().filter(|r| r.matches).count();
        let total = check.rows.len();
        let summary_style = if agree == total { t.good } else { t.warn };
        let g = self.g();
        let mark_w = g.check.chars().count().max(g.cross.chars().count());
        let number_w = check
            .rows
            .iter()
            .flat_map(|r| [Some(r.printed), r.computed])
            .map(|n| n.map_or(1, |n| group_thousands(n).len()))
            .max()
            .unwrap_or(1);
        let label_w = usize::from(inner.width).saturating_sub(mark_w + 2 * number_w + 3);
        let row_line = |r: &CheckRow| -> Line {
            let (mark, mark_style, printed_style) = if r.matches {
                (g.check, t.good, t.number)
            } else {
                (g.cross, t.bad, t.bad)
            };
            let ours = r.computed.map_or_else(|| "-".to_string(), group_thousands);
            Line::from(vec![
                Span::styled(format!("{mark:<mark_w$} "), mark_style),
                Span::styled(
                    format!("{:<label_w$}", fit(&r.label, label_w, g.ellipsis)),
                    t.base,
                ),
                Span::styled(
                    format!(" {:>number_w$}", group_thousands(r.printed)),
                    printed_style,
                ),
                Span::styled(format!(" {ours:>number_w$}"), t.number),
            ])
        };
        let header = Line::styled(
            format!(
                "{:<w$} {:>number_w$} {:>number_w$}",
                "",
                "printed",
                "ours",
                w = mark_w + 1 + label_w
            ),
            t.hint,
        );
        let mut full = vec![
            Line::styled(
                format!("{agree} of {total} printed figures agree"),
                summary_style,
            ),
            header.clone(),
        ];
        let mut section = None;
        for r in &check.rows {
            if section != Some(r.section) {
                section = Some(r.section);
                full.push(Line::styled(r.section.title(), t.title));
            }
            full.push(row_line(r));
        }
        let note = Line::styled(
            "Each figure is recomputed from the model under the homework's own counting \
             (a conv with its batch norm, a block as a whole).",
            t.dim,
        );
        let height = usize::from(inner.height);
        if full.len() <= height {
            let used = widgets::lines(inner, buf, &full);
            let below = Rect {
                y: inner.y.saturating_add(used + 1),
                height: inner.height.saturating_sub(used + 1),
                ..inner
            };
            Paragraph::new(note)
                .wrap(Wrap { trim: true })
                .render(below, buf);
            return;
        }
        // Short of room: the disagreements first, then as many agreeing rows as fit.
        let mut lines = vec![full[0].clone(), header];
        let wrong: Vec<&CheckRow> = check.rows.iter().filter(|r| !r.matches).collect();
        let right: Vec<&CheckRow> = check.rows.iter().filter(|r| r.matches).collect();
        lines.extend(wrong.iter().map(|r| row_line(r)));
        let room = height.saturating_sub(lines.len());
        if room > 0 {
            let shown = if right.len() <= room {
                right.len()
            } else {
                room - 1
            };
            lines.extend(right.iter().take(shown).map(|r| row_line(r)));
            if shown < right.len() {
                lines.push(Line::styled(
                    format!(
                        "{} more agree {} more room shows them",
                        right.len() - shown,
                        g.ellipsis
                    ),
                    t.dim,
                ));
            }
        }
        widgets::lines(inner, buf, &lines);
    }

    /// The module tree with its columns.
    fn tree(&self, area: Rect, buf: &mut Buffer) {
        let tab = self.tab;
        let net = &tab.net;
        let rows = tab.visible_rows();
        let outer = area.intersection(buf.area);
        // The title needs the viewport, which needs the inner area: compute it as panel will.
        let data_h = usize::from(outer.height.saturating_sub(3));
        let offset = scrolled_offset(
            tab.offset.get(),
            rows.iter().position(|&r| r == tab.selected).unwrap_or(0),
            data_h,
            rows.len(),
        );
        tab.offset.set(offset);
        tab.page.set(data_h.max(1));
        let title = if rows.len() > data_h && data_h > 0 {
            format!(
                "Modules {}-{} of {}",
                offset + 1,
                (offset + data_h).min(rows.len()),
                rows.len()
            )
        } else {
            format!("Modules ({} shown of {})", rows.len(), net.modules.len())
        };
        let inner = panel(area, buf, self.ui, &title, false);
        if inner.width == 0 || inner.height == 0 {
            tab.rows_area.set(Rect::default());
            return;
        }
        let cells: Vec<RowCells> = rows
            .iter()
            .skip(offset)
            .take(data_h)
            .map(|&i| self.row_cells(i))
            .collect();
        let columns = choose_columns(&cells, usize::from(inner.width));
        let t = &self.ui.theme;
        let header = RowCells {
            name: "module".into(),
            type_name: "type".into(),
            shape: "output".into(),
            params: "params".into(),
            share: "%".into(),
            macs_full: "MACs".into(),
            macs_compact: "MACs".into(),
        };
        let header_style = t.hint.add_modifier(Modifier::BOLD);
        let line = columns.line(&header, |_| header_style);
        widgets::lines(Rect { height: 1, ..inner }, buf, &[line]);
        let body = Rect {
            y: inner.y.saturating_add(1),
            height: inner.height.saturating_sub(1),
            ..inner
        };
        tab.rows_area.set(body);
        for (k, (&index, cells)) in rows.iter().skip(offset).zip(&cells).enumerate() {
            let y = body.y.saturating_add(k as u16);
            if y >= body.bottom() {
                break;
            }
            let m = &net.modules[index];
            let selected = index == tab.selected;
            let bn_style = match tab.mode {
                Mode::Train => t.accent,
                Mode::Eval => t.accent.add_modifier(Modifier::ITALIC),
            };
            let line = columns.line(cells, |col| {
                if selected {
                    return t.selected;
                }
                match col {
                    Column::Name if m.is_container() => t.base.add_modifier(Modifier::BOLD),
                    Column::Name => t.base,
                    Column::Type if m.kind.differs_between_train_and_eval() => bn_style,
                    Column::Type | Column::Share => t.dim,
                    Column::Shape => t.base,
                    Column::Params if m.params == 0 => t.dim,
                    Column::MacsFull | Column::MacsCompact if m.macs == 0 => t.dim,
                    Column::Params | Column::MacsFull | Column::MacsCompact => t.number,
                }
            });
            let row = Rect::new(body.x, y, body.width, 1);
            if selected {
                buf.set_style(row, t.selected);
            }
            widgets::lines(row, buf, &[line]);
        }
    }

    fn row_cells(&self, index: usize) -> RowCells {
        let net = &self.tab.net;
        let g = self.g();
        let m = &net.modules[index];
        let mut name = String::new();
        for a in net.ancestors(index) {
            name.push_str(if net.is_last_child(a) {
                g.tree_space
            } else {
                g.tree_pipe
            });
        }
        name.push_str(if net.is_last_child(index) {
            g.tree_last
        } else {
            g.tree_branch
        });
        name.push(' ');
        name.push_str(if !m.is_container() {
            g.leaf
        } else if self.tab.expanded[index] {
            g.expanded
        } else {
            g.collapsed
        });
        name.push(' ');
        name.push_str(m.local_name());
        RowCells {
            name,
            type_name: m.type_name().into(),
            shape: self.shape(&m.output_shape),
            params: group_thousands(m.params),
            share: percent(fraction(m.params, net.total_params()), 1),
            macs_full: group_thousands(m.macs),
            macs_compact: compact(m.macs),
        }
    }
}

/// Scroll position that keeps row `pos` inside a viewport of `height` rows, moving as little
/// as possible from `previous`.
fn scrolled_offset(previous: usize, pos: usize, height: usize, rows: usize) -> usize {
    if height == 0 {
        return pos.min(rows.saturating_sub(1));
    }
    let mut offset = previous.min(rows.saturating_sub(height));
    if pos < offset {
        offset = pos;
    } else if pos >= offset + height {
        offset = pos + 1 - height;
    }
    offset
}

fn fraction(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Packs short facts into as few lines as the width allows, separated by ` • `.
fn pack_facts(
    facts: Vec<Vec<Span<'static>>>,
    width: usize,
    bullet: &str,
    sep_style: Style,
) -> Vec<Line<'static>> {
    let sep = format!(" {bullet} ");
    let sep_w = sep.chars().count();
    let mut lines = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for fact in facts {
        let w: usize = fact.iter().map(Span::width).sum();
        if !current.is_empty() && used + sep_w + w > width {
            lines.push(Line::from(std::mem::take(&mut current)));
            used = 0;
        }
        if !current.is_empty() {
            current.push(Span::styled(sep.clone(), sep_style));
            used += sep_w;
        }
        current.extend(fact);
        used += w;
    }
    if !current.is_empty() {
        lines.push(Line::from(current));
    }
    lines
}

/// Greedy word wrap of `text` into lines of at most `width` characters (longer words are cut).
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    if width == 0 {
        return lines;
    }
    let mut line = String::new();
    for word in text.split_whitespace() {
        let word: String = word.chars().take(width).collect();
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if needed > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `s` cut to `width` characters, ending in `ellipsis` when cut.
fn fit<'s>(s: &'s str, width: usize, ellipsis: &str) -> Cow<'s, str> {
    let n = s.chars().count();
    if n <= width {
        return Cow::Borrowed(s);
    }
    let keep = width.saturating_sub(ellipsis.chars().count());
    let mut out: String = s.chars().take(keep).collect();
    if width >= ellipsis.chars().count() {
        out.push_str(ellipsis);
    }
    Cow::Owned(out)
}

/// Our notes with their few non-ASCII signs spelled out, for terminals without Unicode.
pub fn fold_ascii(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '×' => out.push('x'),
            'γ' => out.push_str("gamma"),
            'β' => out.push_str("beta"),
            '→' => out.push_str("->"),
            '…' => out.push_str("..."),
            '–' | '—' => out.push('-'),
            '·' => out.push('*'),
            c if c.is_ascii() => out.push(c),
            _ => out.push('?'),
        }
    }
    Cow::Owned(out)
}

/// A line of the summary panel.
enum Item {
    Heading(&'static str),
    Pair(Cow<'static, str>, String, Style),
}

impl Item {
    fn pair(label: impl Into<Cow<'static, str>>, value: String, style: Style) -> Self {
        Item::Pair(label.into(), value, style)
    }
}

/// Draws label/value items, values flush right; flows into a second column when the items do
/// not fit the height but the width allows.
fn draw_items(items: &[Item], area: Rect, buf: &mut Buffer, ui: &Ui) {
    let area = area.intersection(buf.area);
    if area.width == 0 || area.height == 0 {
        return;
    }
    let rows = usize::from(area.height);
    let columns = if items.len() > rows && area.width >= 70 {
        2
    } else {
        1
    };
    let col_w = area.width / columns;
    for (k, chunk) in items.chunks(rows).take(usize::from(columns)).enumerate() {
        let x = area.x + col_w * k as u16;
        let w = if k + 1 == usize::from(columns) {
            area.width - col_w * k as u16
        } else {
            col_w.saturating_sub(2)
        };
        for (j, item) in chunk.iter().enumerate() {
            let y = area.y + j as u16;
            let row = Rect::new(x, y, w, 1);
            let line = match item {
                Item::Heading(text) => Line::styled(*text, ui.theme.title),
                Item::Pair(label, value, style) => {
                    let value_w = value.chars().count();
                    let gap = usize::from(w).saturating_sub(label.chars().count() + value_w);
                    if gap == 0 {
                        Line::from(vec![
                            Span::styled(value.clone(), *style),
                            Span::styled(format!(" {label}"), ui.theme.hint),
                        ])
                    } else {
                        Line::from(vec![
                            Span::styled(label.to_string(), ui.theme.hint),
                            Span::raw(" ".repeat(gap)),
                            Span::styled(value.clone(), *style),
                        ])
                    }
                }
            };
            widgets::lines(row, buf, &[line]);
        }
    }
}

/// The texts of one tree row, before the columns are chosen.
struct RowCells {
    name: String,
    type_name: String,
    shape: String,
    params: String,
    share: String,
    macs_full: String,
    macs_compact: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Name,
    Type,
    Shape,
    Params,
    Share,
    MacsFull,
    MacsCompact,
}

impl Column {
    fn text(self, cells: &RowCells) -> &str {
        match self {
            Column::Name => &cells.name,
            Column::Type => &cells.type_name,
            Column::Shape => &cells.shape,
            Column::Params => &cells.params,
            Column::Share => &cells.share,
            Column::MacsFull => &cells.macs_full,
            Column::MacsCompact => &cells.macs_compact,
        }
    }

    fn right_aligned(self) -> bool {
        matches!(
            self,
            Column::Params | Column::Share | Column::MacsFull | Column::MacsCompact
        )
    }
}

/// The columns that fit, with their widths.
struct Columns {
    chosen: Vec<(Column, usize)>,
}

/// Richest column set first; the first that fits the width wins, the name column shrinking
/// last.
fn choose_columns(rows: &[RowCells], width: usize) -> Columns {
    use Column::*;
    const SETS: [&[Column]; 6] = [
        &[Name, Type, Shape, Params, Share, MacsFull],
        &[Name, Type, Shape, Params, Share, MacsCompact],
        &[Name, Type, Shape, Params, MacsCompact],
        &[Name, Shape, Params, MacsCompact],
        &[Name, Params, MacsCompact],
        &[Name, Params],
    ];
    let width_of = |col: Column| -> usize {
        let header = match col {
            Name => 6,
            Type => 4,
            Shape => 6,
            Params => 6,
            Share => 1,
            MacsFull | MacsCompact => 4,
        };
        rows.iter()
            .map(|r| col.text(r).chars().count())
            .max()
            .unwrap_or(0)
            .max(header)
    };
    let fits = |set: &[Column]| -> usize {
        set.iter().map(|&c| width_of(c)).sum::<usize>() + 2 * set.len().saturating_sub(1)
    };
    let set = SETS
        .iter()
        .find(|s| fits(s) <= width)
        .unwrap_or(&SETS[SETS.len() - 1]);
    let mut chosen: Vec<(Column, usize)> = set.iter().map(|&c| (c, width_of(c))).collect();
    // The name column takes what is left, or gives way when even the smallest set is too wide.
    let others: usize = chosen.iter().skip(1).map(|(_, w)| w + 2).sum();
    if let Some(name) = chosen.first_mut() {
        name.1 = width.saturating_sub(others);
    }
    Columns { chosen }
}

impl Columns {
    fn line(&self, cells: &RowCells, style: impl Fn(Column) -> Style) -> Line<'static> {
        let mut spans = Vec::with_capacity(self.chosen.len() * 2);
        for (k, &(col, w)) in self.chosen.iter().enumerate() {
            if k > 0 {
                spans.push(Span::styled("  ", style(Column::Name)));
            }
            let text = fit(col.text(cells), w, "");
            let text = if col.right_aligned() {
                format!("{text:>w$}")
            } else {
                format!("{text:<w$}")
            };
            spans.push(Span::styled(text, style(col)));
        }
        Line::from(spans)
    }
}

fn split_h(area: Rect, left: u16) -> (Rect, Rect) {
    let left = left.min(area.width);
    (
        Rect {
            width: left,
            ..area
        },
        Rect {
            x: area.x.saturating_add(left),
            width: area.width - left,
            ..area
        },
    )
}

fn split_v(area: Rect, top: u16) -> (Rect, Rect) {
    let top = top.min(area.height);
    (
        Rect {
            height: top,
            ..area
        },
        Rect {
            y: area.y.saturating_add(top),
            height: area.height - top,
            ..area
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::buffer_text;
    use crate::theme::ColorDepth;

    fn tab() -> ResnetTab {
        ResnetTab::new(&Waker::headless(), Config::default())
    }

    fn draw(tab: &ResnetTab, w: u16, h: u16, ui: &Ui) -> Buffer {
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        tab.render(area, &mut buf, ui);
        buf
    }

    #[test]
    fn every_step_is_a_valid_config() {
        for n in CLASS_STEPS {
            for s in SIDE_STEPS {
                let cfg = Config {
                    num_classes: n,
                    input_hw: (s, s),
                    ..Config::default()
                };
                assert_eq!(cfg.validate(), Ok(()));
            }
        }
        assert_eq!(step_up(&CLASS_STEPS, 1000), 10_000);
        assert_eq!(step_up(&CLASS_STEPS, 37), 100);
        assert_eq!(step_down(&CLASS_STEPS, 37), 10);
        assert_eq!(step_up(&CLASS_STEPS, 1_000_000), 1_000_000);
        assert_eq!(step_down(&SIDE_STEPS, 1), 1);
    }

    #[test]
    fn arch_keys_cycle_and_rebuild() {
        let mut t = tab();
        assert!(t.act(Act::NextArch));
        assert_eq!(t.config().arch, Arch::Resnet34);
        assert_eq!(t.network().total_params(), 21_797_672);
        assert!(t.act(Act::PrevArch));
        assert!(t.act(Act::PrevArch));
        assert_eq!(t.config().arch, Arch::Resnet152);
        assert_eq!(t.network().total_params(), 60_192_808);
    }

    #[test]
    fn class_keys_change_only_the_classifier() {
        let mut t = tab();
        let before = t.network().total_params();
        assert!(t.act(Act::MoreClasses));
        assert_eq!(t.config().num_classes, 10_000);
        assert_eq!(t.network().total_params() - before, 9000 * 513);
        assert!(t.act(Act::FewerClasses));
        assert!(t.act(Act::FewerClasses));
        assert_eq!(t.config().num_classes, 100);
        for _ in 0..10 {
            t.act(Act::FewerClasses);
        }
        assert_eq!(t.config().num_classes, 1);
        assert!(!t.act(Act::FewerClasses), "already at the smallest step");
    }

    #[test]
    fn size_keys_change_sides_and_macs_not_params() {
        let mut t = tab();
        let (params, macs) = (t.network().total_params(), t.network().total_macs());
        assert!(t.act(Act::LargerInput));
        assert_eq!(t.config().input_hw, (256, 256));
        assert!(t.network().total_macs() > macs);
        assert_eq!(t.network().total_params(), params);
        assert!(t.act(Act::ShorterInput));
        assert_eq!(t.config().input_hw, (224, 256));
        assert!(t.act(Act::NarrowerInput));
        assert!(t.act(Act::NarrowerInput));
        assert_eq!(t.config().input_hw, (224, 192));
        assert!(t.act(Act::TallerInput));
        assert!(t.act(Act::WiderInput));
        assert_eq!(t.config().input_hw, (256, 224));
        assert!(t.act(Act::SmallerInput));
        assert_eq!(t.config().input_hw, (224, 192));
    }

    #[test]
    fn bias_mode_panel_and_reset_keys() {
        let mut t = tab();
        assert!(t.act(Act::ToggleConvBias));
        assert!(t.config().conv_bias);
        assert_eq!(t.network().redundant_params(), 4800);
        assert!(t.act(Act::ToggleMode));
        assert_eq!(t.mode(), Mode::Eval);
        assert!(t.act(Act::NextPanel));
        assert_eq!(t.focus(), Focus::Check);
        assert!(t.act(Act::NextPanel));
        assert!(t.act(Act::NextPanel));
        assert_eq!(t.focus(), Focus::Module);
        t.act(Act::NextArch);
        assert!(t.act(Act::Reset));
        assert_eq!(*t.config(), Config::default());
        assert_eq!(t.mode(), Mode::Train);
        assert!(!t.act(Act::Reset), "nothing left to reset");
    }

    #[test]
    fn tree_navigation_and_expansion() {
        let mut t = tab();
        // Stages start open: 10 top-level modules + 8 blocks.
        assert_eq!(t.visible_rows().len(), 18);
        assert_eq!(t.selected_name(), "conv1");
        t.nav(Nav::End);
        assert_eq!(t.selected_name(), "fc");
        t.nav(Nav::Home);
        for _ in 0..5 {
            t.nav(Nav::Down);
        }
        assert_eq!(t.selected_name(), "layer1.0");
        assert!(t.nav(Nav::Right), "opens the block");
        assert!(t.nav(Nav::Right), "goes to its first child");
        assert_eq!(t.selected_name(), "layer1.0.conv1");
        assert!(!t.nav(Nav::Right), "a leaf has nothing to open");
        assert!(t.nav(Nav::Left));
        assert_eq!(t.selected_name(), "layer1.0");
        assert!(t.nav(Nav::Left), "closes the block");
        assert_eq!(t.visible_rows().len(), 18);
        assert!(t.act(Act::ToggleExpand));
        assert_eq!(t.visible_rows().len(), 23);
        assert!(t.act(Act::ExpandAll));
        assert_eq!(t.visible_rows().len(), t.network().modules.len());
        t.nav(Nav::Down);
        assert!(t.act(Act::CollapseAll));
        assert_eq!(t.visible_rows().len(), 10);
        assert_eq!(t.selected_name(), "layer1");
        t.nav(Nav::PageDown);
        assert_eq!(t.selected_name(), "fc");
        t.nav(Nav::PageUp);
        assert_eq!(t.selected_name(), "conv1");
    }

    #[test]
    fn selection_and_expansion_survive_a_rebuild() {
        let mut t = tab();
        t.act(Act::PrevArch); // resnet152
        t.act(Act::ExpandAll);
        while t.selected_name() != "layer3.30.conv2" {
            t.nav(Nav::Down);
        }
        t.act(Act::NextArch); // resnet18 has no layer3.30
        assert_eq!(t.selected_name(), "layer3");
        assert_eq!(t.visible_rows().len(), t.network().modules.len());
    }

    #[test]
    fn clicks_select_then_toggle() {
        let mut t = tab();
        let ui = Ui::standard();
        draw(&t, 80, 22, &ui);
        let area = t.rows_area.get();
        assert!(area.height > 5);
        assert!(t.click(area.x + 2, area.y + 4));
        assert_eq!(t.selected_name(), "layer1");
        assert!(t.click(area.x + 2, area.y + 4));
        assert_eq!(t.visible_rows().len(), 16, "layer1 closed");
        assert!(!t.click(0, 0));
    }

    #[test]
    fn render_is_total_and_ascii_without_unicode() {
        let mut t = tab();
        t.act(Act::ToggleConvBias);
        t.act(Act::ExpandAll);
        let ascii = Ui::new(ColorDepth::Ansi16, false);
        let standard = Ui::standard();
        for focus in 0..3 {
            for (w, h) in [
                (0, 0),
                (1, 1),
                (2, 50),
                (50, 2),
                (80, 22),
                (120, 30),
                (200, 58),
            ] {
                draw(&t, w, h, &standard);
                let text = buffer_text(&draw(&t, w, h, &ascii));
                assert!(text.is_ascii(), "{w}x{h} focus {focus}:\n{text}");
            }
            t.act(Act::NextPanel);
        }
        for w in (0..=300).step_by(7) {
            for h in (0..=100).step_by(9) {
                draw(&t, w, h, &standard);
            }
        }
    }

    #[test]
    fn notes_fold_to_ascii_without_placeholders() {
        let net = model::build(&Config {
            arch: Arch::Resnet50,
            ..Config::default()
        });
        for m in &net.modules {
            let folded = fold_ascii(notes::note(m));
            assert!(folded.is_ascii() && !folded.contains('?'), "{}", m.name);
            for mode in [Mode::Train, Mode::Eval] {
                if let Some(text) = notes::mode_behaviour(m, mode) {
                    assert!(!fold_ascii(text).contains('?'));
                }
            }
        }
    }

    #[test]
    fn screens_show_the_numbers() {
        let t = tab();
        let ui = Ui::standard();
        let narrow = buffer_text(&draw(&t, 80, 22, &ui));
        assert!(narrow.contains("resnet18"), "{narrow}");
        assert!(narrow.contains("11.7M params"), "{narrow}");
        assert!(narrow.contains("conv1"), "{narrow}");
        let wide = buffer_text(&draw(&t, 200, 58, &ui));
        for needle in [
            "11,689,512",
            "1,814,073,344",
            "29 of 32 printed figures agree",
            "8,393,688",
            "8,393,728",
            "Basic Block 4",
            "layer4.1.conv2",
            "9,620",
            "20 BN layers use batch statistics",
        ] {
            assert!(wide.contains(needle), "missing {needle}:\n{wide}");
        }
    }

    #[test]
    fn word_wrap() {
        assert_eq!(wrap_words("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap_words("abcdefgh x", 4), ["abcd", "x"]);
        assert!(wrap_words("anything", 0).is_empty());
        let text = notes::WEIGHT_DECAY_NOTE;
        let lines = wrap_words(text, 30);
        assert!(lines.iter().all(|l| l.chars().count() <= 30));
        assert_eq!(
            lines.join(" "),
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }

    #[test]
    fn scrolling_keeps_the_selection_in_view() {
        assert_eq!(scrolled_offset(0, 5, 10, 40), 0);
        assert_eq!(scrolled_offset(0, 12, 10, 40), 3);
        assert_eq!(scrolled_offset(8, 4, 10, 40), 4);
        assert_eq!(scrolled_offset(35, 39, 10, 40), 30);
        assert_eq!(scrolled_offset(3, 0, 0, 0), 0);
    }
}
