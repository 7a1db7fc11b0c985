//! The ResNet tab: a collapsible tree of torchvision's modules with their output shapes,
//! parameters and MACs, controls that rebuild the model at once, and panels for the parameter
//! groups, the weight-decay split, redundant conv biases, BN buffers, a note on the selected
//! module and the check of the homework's printed numbers.
//!
//! The tab holds view state (selection, expansion, scrolling, panel focus) and the model's
//! results; every number comes from [`Network`] or the homework check.

mod bn_live;
mod notes;
mod render;
#[cfg(test)]
mod tests;
mod tree;

use std::cell::Cell;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::model::cost::{self as cost_model, Cost, Costs};
use super::model::homework::{self, AssetError, CheckRow};
use super::model::{self, Config, Mode, ModuleKind, Network, SequentialRole};
use crate::controls::{Cycle, Ladder};
use crate::jobs::Waker;
use crate::keymap::{Binding, Key, Nav};
use crate::tab::Tab;
use crate::theme::Ui;
use render::View;
pub use tree::ColumnSet;

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
    PrevPanel,
    FeedBatch,
    BackOneBatch,
    Rewind,
    NextColumns,
    PrevColumns,
    LargerBatch,
    SmallerBatch,
    NextDtype,
    NextOptimizer,
    ToggleFreeze,
    NextSort,
    Filter,
    ScrollDown,
    ScrollUp,
    Reset,
}

// Conventions: filled in as the tab moves to the shared components.
impl crate::keymap::Action for Act {}

/// The tab's key table: dispatch, footer hints and help all read it.
pub const KEYS: &[Binding<Act>] = &[
    Binding {
        keys: &[Key::ch('d')],
        action: Act::NextArch,
        help: "deeper architecture (resnet18, 34, 50, 101, 152, then around)",
        hint: Some("depth"),
    },
    Binding {
        keys: &[Key::ch('D')],
        action: Act::PrevArch,
        help: "shallower architecture",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('o')],
        action: Act::MoreClasses,
        help: "more output classes (1, 2, 10, 100, 1000, 10k, 21843, 100k, 1M)",
        hint: Some("classes"),
    },
    Binding {
        keys: &[Key::ch('O')],
        action: Act::FewerClasses,
        help: "fewer output classes",
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
        help: "next panel: module note, check, summary, batch norm (narrow screens show one)",
        hint: Some("panel"),
    },
    Binding {
        keys: &[Key::ch('P')],
        action: Act::PrevPanel,
        help: "previous panel",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('.')],
        action: Act::FeedBatch,
        help: "(batch-norm panel) next batch: one train step (train mode only)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch(',')],
        action: Act::BackOneBatch,
        help: "(batch-norm panel) back one batch",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('r')],
        action: Act::Rewind,
        help: "(batch-norm panel) rewind: fresh running statistics, then batch 1",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('v')],
        action: Act::NextColumns,
        help: "next columns of the tree: sizes, FLOPs, memory, receptive field",
        hint: Some("columns"),
    },
    Binding {
        keys: &[Key::ch('V')],
        action: Act::PrevColumns,
        help: "previous columns of the tree",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('z')],
        action: Act::LargerBatch,
        help: "larger batch (1, 2, 4, ... 1024 images), for FLOPs and saved activations",
        hint: Some("batch"),
    },
    Binding {
        keys: &[Key::ch('Z')],
        action: Act::SmallerBatch,
        help: "smaller batch; in the batch-norm panel, z/Z step its patches (1x1, 1 ... 64)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('u')],
        action: Act::NextDtype,
        help: "next dtype of the model (model.to): float32, float16, bfloat16",
        hint: Some("dtype"),
    },
    Binding {
        keys: &[Key::ch('w')],
        action: Act::NextOptimizer,
        help: "next optimizer: SGD, SGD with momentum (1 buffer), Adam (2 buffers)",
        hint: Some("optimizer"),
    },
    Binding {
        keys: &[Key::ch('f')],
        action: Act::ToggleFreeze,
        help: "freeze or unfreeze the selected module and everything under it",
        hint: Some("freeze"),
    },
    Binding {
        keys: &[Key::ch('S')],
        action: Act::NextSort,
        help: "sort the layers, largest first, by params, MACs, backward FLOPs, saved bytes, \
receptive field, then back to the tree",
        hint: Some("sort"),
    },
    Binding {
        keys: &[Key::ch('/')],
        action: Act::Filter,
        help: "filter by name or type (every key is text: Enter keeps, Esc clears)",
        hint: Some("filter"),
    },
    Binding {
        keys: &[Key::ch('J')],
        action: Act::ScrollDown,
        help: "scroll the focused panel's text down (its right edge marks more below)",
        hint: Some("scroll"),
    },
    Binding {
        keys: &[Key::ch('K')],
        action: Act::ScrollUp,
        help: "scroll the focused panel's text up",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('R')],
        action: Act::Reset,
        help: "back to the homework's model: resnet18, 1000 classes, 224x224, no conv bias",
        hint: None,
    },
];

/// The footer while the filter takes text.
const TYPING_HINTS: crate::tab::TypingHints = &[
    (
        &[Key::code(crossterm::event::KeyCode::Enter)],
        "keep filter",
    ),
    (&[Key::code(crossterm::event::KeyCode::Esc)], "clear"),
    (
        &[
            Key::code(crossterm::event::KeyCode::Up),
            Key::code(crossterm::event::KeyCode::Down),
        ],
        "move",
    ),
    (&[Key::ctrl('u')], "erase"),
    (&[Key::ctrl('c')], "quit"),
];

/// The longest filter kept (module names are far shorter).
const FILTER_MAX: usize = 64;

/// Where `needle` first occurs in `haystack`, ignoring ASCII case, as a byte range of
/// `haystack`; `Some(0..0)` for an empty needle.
pub fn filter_match(haystack: &str, needle: &str) -> Option<std::ops::Range<usize>> {
    if needle.is_empty() {
        return Some(0..0);
    }
    let h = haystack.to_ascii_lowercase();
    let n = needle.to_ascii_lowercase();
    h.find(&n).map(|start| start..start + n.len())
}

/// Class counts the `o`/`O` keys step through (21843: ImageNet-21k).
pub const CLASS_LADDER: Ladder<u64> =
    Ladder(&[1, 2, 10, 100, 1000, 10_000, 21_843, 100_000, 1_000_000]);
/// Input sides the size keys step through.
pub const SIDE_LADDER: Ladder<u64> = Ladder(&[
    1, 2, 4, 8, 16, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 384, 448, 512, 640, 768, 1024,
    2048, 4096, 8192,
]);

/// Batch sizes the `z`/`Z` keys step through.
pub const BATCH_LADDER: Ladder<u64> = Ladder(&[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]);

/// What the layers are sorted by (`S`); `None` in [`ResnetTab`] is tree order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Params,
    Macs,
    FlopsBackward,
    Saved,
    Field,
}

impl SortKey {
    const ALL: [SortKey; 5] = [
        SortKey::Params,
        SortKey::Macs,
        SortKey::FlopsBackward,
        SortKey::Saved,
        SortKey::Field,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SortKey::Params => "params",
            SortKey::Macs => "MACs",
            SortKey::FlopsBackward => "backward FLOPs",
            SortKey::Saved => "saved bytes",
            SortKey::Field => "receptive field",
        }
    }

    /// The next key after `current`; after the last, tree order (`None`).
    fn after(current: Option<SortKey>) -> Option<SortKey> {
        match current {
            None => Some(SortKey::ALL[0]),
            Some(k) => {
                let i = SortKey::ALL.iter().position(|&x| x == k).unwrap_or(0);
                SortKey::ALL.get(i + 1).copied()
            }
        }
    }
}

/// Which panel has the focus; on narrow screens it is the one shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Module,
    Check,
    Summary,
    /// Batch norm, live: it takes the tree's place while it has the focus.
    BatchNorm,
}

impl Cycle for Focus {
    const ALL: &'static [Self] = &[
        Focus::Module,
        Focus::Check,
        Focus::Summary,
        Focus::BatchNorm,
    ];
}

/// The homework check, computed once for the homework's own configuration.
struct HomeworkCheck {
    config: Config,
    rows: Vec<CheckRow>,
    coverage: homework::BlockCoverage,
}

pub struct ResnetTab {
    config: Config,
    net: Network,
    mode: Mode,
    /// Per module index: is this container open in the tree?
    expanded: Vec<bool>,
    selected: usize,
    focus: Focus,
    check: Result<HomeworkCheck, AssetError>,
    /// Batch, dtype, optimizer and frozen modules; its `mode` follows `mode`.
    cost: Cost,
    /// [`cost_model::costs`] of `net` run as `cost` says, recomputed on every change.
    costs: Costs,
    /// Which columns the tree shows.
    columns: ColumnSet,
    /// Layers sorted by this, largest first, in a flat list; `None`: the tree.
    sort: Option<SortKey>,
    /// First visible tree row, kept across frames so the view scrolls only when it must.
    offset: Cell<usize>,
    /// First shown line of each panel's text (module, check, summary, batch norm), as last drawn.
    text_offsets: Cell<[u16; 4]>,
    /// The kept `/` filter (empty: none): modules whose name or type contains it.
    filter: String,
    /// True while the filter takes typed keys.
    typing: bool,
    /// Rows of the tree's last viewport, for paging.
    page: Cell<usize>,
    /// Where the tree's rows were drawn last, for mouse clicks.
    rows_area: Cell<Rect>,
    /// The batch-norm panel's knobs and figures.
    batch_norm: bn_live::BatchNormLive,
}

impl ResnetTab {
    /// The tab for `config` (validated by the caller; an invalid one falls back to defaults).
    pub fn new(waker: &Waker, config: Config) -> Self {
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
        let check = homework::printed_figures().and_then(|printed| {
            let config = printed.model_config()?;
            let net = model::build(&config);
            let rows = homework::check_against(&printed, &net);
            let coverage = homework::block_coverage(&printed, &net);
            Ok(HomeworkCheck {
                config,
                rows,
                coverage,
            })
        });
        let cost = Cost::default();
        let costs = cost_model::costs(&net, &cost);
        ResnetTab {
            config,
            net,
            cost,
            costs,
            columns: ColumnSet::Sizes,
            sort: None,
            filter: String::new(),
            typing: false,
            mode: Mode::Train,
            expanded,
            selected: 0,
            focus: Focus::Module,
            check,
            offset: Cell::new(0),
            page: Cell::new(10),
            rows_area: Cell::new(Rect::default()),
            text_offsets: Cell::new([0; 4]),
            batch_norm: bn_live::BatchNormLive::new(waker),
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

    /// How the network is run: batch, dtype, optimizer, mode, frozen modules.
    pub fn cost(&self) -> &Cost {
        &self.cost
    }

    /// The costs of the network as it is run now.
    pub fn costs(&self) -> &Costs {
        &self.costs
    }

    pub fn columns(&self) -> ColumnSet {
        self.columns
    }

    pub fn sort(&self) -> Option<SortKey> {
        self.sort
    }

    /// The `/` filter as typed (empty: none).
    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// True while the filter takes typed keys.
    pub fn is_typing(&self) -> bool {
        self.typing
    }

    /// Does module `index` match the filter: its dotted name or its type contains the text,
    /// ignoring case? Everything matches an empty filter.
    pub fn matches_filter(&self, index: usize) -> bool {
        let Some(m) = self.net.modules.get(index) else {
            return false;
        };
        filter_match(&m.name, &self.filter).is_some()
            || filter_match(m.type_name(), &self.filter).is_some()
    }

    /// Applies a new filter text: the selection moves to the first match when it is not one.
    fn set_filter(&mut self, text: String) -> bool {
        if text == self.filter {
            return false;
        }
        self.filter = text;
        if self.filter.is_empty() {
            self.reveal_selected();
        } else if !self.matches_filter(self.selected) {
            let first = (0..self.net.modules.len()).find(|&i| self.visible(i));
            if let Some(first) = first {
                self.selected = first;
                self.selection_changed();
            }
        }
        true
    }

    /// Is module `index` one of the rows while sorted or filtered (a flat list)?
    fn visible(&self, index: usize) -> bool {
        let layer_or_unsorted = self.sort.is_none() || !self.net.modules[index].is_container();
        layer_or_unsorted && self.matches_filter(index)
    }

    /// The figure module `index` is sorted by (a global field sorts above every other).
    fn sort_value(&self, key: SortKey, index: usize) -> u64 {
        let m = &self.net.modules[index];
        let c = &self.costs.modules[index];
        match key {
            SortKey::Params => m.params,
            SortKey::Macs => m.macs,
            SortKey::FlopsBackward => c.flops_backward,
            SortKey::Saved => c.activation_bytes(),
            SortKey::Field => c.field.map_or(u64::MAX, |f| f.receptive_field),
        }
    }

    /// Recomputes the costs after the network or the run changed.
    fn refresh_costs(&mut self) {
        self.cost.mode = self.mode;
        self.costs = cost_model::costs(&self.net, &self.cost);
    }

    /// Changes the run (batch, dtype, optimizer) and recomputes; false if nothing changed.
    fn set_cost(&mut self, cost: Cost) -> bool {
        if cost == self.cost {
            return false;
        }
        self.cost = cost;
        self.refresh_costs();
        true
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
        // Frozen modules are kept by name; indices belong to one architecture.
        let frozen: Vec<usize> = self
            .cost
            .frozen
            .iter()
            .filter_map(|&i| old.modules.get(i))
            .filter_map(|m| self.net.find(&m.name))
            .collect();
        self.cost.frozen = frozen.into_iter().collect();
        self.refresh_costs();
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
        self.selection_changed();
        true
    }

    /// The first line shown of `panel`'s text.
    pub fn scroll_offset(&self, panel: Focus) -> u16 {
        self.text_offsets.get()[panel.index()]
    }

    /// Records the offset a panel was drawn with (clamped to its text), so scrolling resumes
    /// from what is on screen.
    fn keep_scroll_offset(&self, panel: Focus, offset: u16) {
        let mut offsets = self.text_offsets.get();
        offsets[panel.index()] = offset;
        self.text_offsets.set(offsets);
    }

    /// Scrolls `panel`'s text by a line; the next frame clamps it to the text.
    fn scroll_text(&mut self, panel: Focus, down: bool) -> bool {
        let offset = self.scroll_offset(panel);
        let next = if down {
            offset.saturating_add(1)
        } else {
            offset.saturating_sub(1)
        };
        self.keep_scroll_offset(panel, next);
        next != offset
    }

    /// A new module is selected: its note starts at the top.
    fn selection_changed(&mut self) {
        self.keep_scroll_offset(Focus::Module, 0);
    }

    /// Opens every ancestor of the selection so it is on screen.
    fn reveal_selected(&mut self) {
        for a in self.net.ancestors(self.selected) {
            if let Some(open) = self.expanded.get_mut(a) {
                *open = true;
            }
        }
    }

    /// Module indices shown in the tree: pre-order, skipping closed subtrees. While sorted,
    /// every layer (no containers), largest first, ties in tree order; while filtered, the
    /// matching modules in that order (a flat list: closed subtrees do not hide matches).
    pub fn visible_rows(&self) -> Vec<usize> {
        let n = self.net.modules.len();
        if self.sort.is_some() || !self.filter.is_empty() {
            let mut rows: Vec<usize> = (0..n).filter(|&i| self.visible(i)).collect();
            if let Some(key) = self.sort {
                rows.sort_by_key(|&i| std::cmp::Reverse(self.sort_value(key, i)));
            }
            return rows;
        }
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
        let changed = match act {
            Act::NextArch => self.set_config(Config {
                arch: c.arch.next(),
                ..c
            }),
            Act::PrevArch => self.set_config(Config {
                arch: c.arch.prev(),
                ..c
            }),
            Act::MoreClasses => self.set_config(Config {
                num_classes: CLASS_LADDER.step(c.num_classes, true),
                ..c
            }),
            Act::FewerClasses => self.set_config(Config {
                num_classes: CLASS_LADDER.step(c.num_classes, false),
                ..c
            }),
            Act::LargerInput => self.set_config(Config {
                input_hw: (SIDE_LADDER.step(h, true), SIDE_LADDER.step(w, true)),
                ..c
            }),
            Act::SmallerInput => self.set_config(Config {
                input_hw: (SIDE_LADDER.step(h, false), SIDE_LADDER.step(w, false)),
                ..c
            }),
            Act::TallerInput => self.set_config(Config {
                input_hw: (SIDE_LADDER.step(h, true), w),
                ..c
            }),
            Act::ShorterInput => self.set_config(Config {
                input_hw: (SIDE_LADDER.step(h, false), w),
                ..c
            }),
            Act::WiderInput => self.set_config(Config {
                input_hw: (h, SIDE_LADDER.step(w, true)),
                ..c
            }),
            Act::NarrowerInput => self.set_config(Config {
                input_hw: (h, SIDE_LADDER.step(w, false)),
                ..c
            }),
            Act::ToggleConvBias => self.set_config(Config {
                conv_bias: !c.conv_bias,
                ..c
            }),
            Act::ToggleMode => {
                self.mode = self.mode.next();
                self.refresh_costs();
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
                    self.selection_changed();
                    changed = true;
                }
                changed
            }
            Act::NextPanel => {
                self.focus = self.focus.next();
                true
            }
            Act::PrevPanel => {
                self.focus = self.focus.prev();
                true
            }
            Act::FeedBatch | Act::BackOneBatch | Act::Rewind => self.batch_norm_act(act),
            Act::NextColumns => {
                self.columns = self.columns.next();
                true
            }
            Act::PrevColumns => {
                self.columns = self.columns.prev();
                true
            }
            Act::LargerBatch | Act::SmallerBatch if self.focus == Focus::BatchNorm => {
                self.batch_norm_act(act)
            }
            Act::LargerBatch | Act::SmallerBatch => self.set_cost(Cost {
                batch: BATCH_LADDER.step(self.cost.batch, act == Act::LargerBatch),
                ..self.cost.clone()
            }),
            Act::NextDtype => self.set_cost(Cost {
                dtype: self.cost.dtype.next(),
                ..self.cost.clone()
            }),
            Act::NextOptimizer => self.set_cost(Cost {
                optimizer: self.cost.optimizer.next(),
                ..self.cost.clone()
            }),
            Act::ToggleFreeze => {
                let mut cost = self.cost.clone();
                cost.toggle_frozen(&self.net, self.selected);
                self.set_cost(cost)
            }
            Act::NextSort => {
                self.sort = SortKey::after(self.sort);
                if self.sort.is_none() {
                    self.reveal_selected();
                }
                true
            }
            Act::Filter => {
                // The filter works on the tree, which the batch-norm panel covers.
                if self.focus == Focus::BatchNorm {
                    self.focus = Focus::Module;
                }
                self.typing = true;
                true
            }
            Act::ScrollDown => self.scroll_text(self.focus, true),
            Act::ScrollUp => self.scroll_text(self.focus, false),
            Act::Reset => {
                let mode_changed = self.mode != Mode::Train;
                self.mode = Mode::Train;
                let unsorted = self.sort.take().is_some() | self.set_filter(String::new());
                let rebuilt = self.set_config(Config::default()) || unsorted;
                let run_changed = self.set_cost(Cost::default());
                self.refresh_costs();
                let panel_changed = self.batch_norm.reset();
                rebuilt || mode_changed || run_changed || panel_changed
            }
        };
        // The batch-norm panel recomputes only when shown and its settings changed.
        self.batch_norm
            .sync(self.focus == Focus::BatchNorm, self.config.conv_bias);
        changed
    }

    fn typing(&self) -> Option<crate::tab::TypingHints> {
        self.typing.then_some(TYPING_HINTS)
    }

    fn type_key(&mut self, key: Key) -> bool {
        use crossterm::event::KeyCode;
        if key.ctrl {
            // Ctrl-U empties the field, as in a shell.
            return key.code == KeyCode::Char('u') && self.set_filter(String::new());
        }
        match key.code {
            KeyCode::Enter => {
                self.typing = false;
                true
            }
            KeyCode::Esc => {
                self.typing = false;
                self.set_filter(String::new());
                true
            }
            KeyCode::Backspace => {
                let mut text = self.filter.clone();
                text.pop();
                self.set_filter(text)
            }
            KeyCode::Char(c) if !c.is_control() => {
                let mut text = self.filter.clone();
                if text.chars().count() < FILTER_MAX {
                    text.push(c);
                }
                self.set_filter(text)
            }
            KeyCode::Up => Tab::nav(self, Nav::Up),
            KeyCode::Down => Tab::nav(self, Nav::Down),
            KeyCode::PageUp => Tab::nav(self, Nav::PageUp),
            KeyCode::PageDown => Tab::nav(self, Nav::PageDown),
            KeyCode::Home => Tab::nav(self, Nav::Home),
            KeyCode::End => Tab::nav(self, Nav::End),
            _ => false,
        }
    }

    fn nav(&mut self, nav: Nav) -> bool {
        if self.focus == Focus::BatchNorm {
            return self.batch_norm_nav(nav);
        }
        let before = self.selected;
        let page = isize::try_from(self.page.get().max(1)).unwrap_or(1);
        let changed = match nav {
            Nav::Up => self.move_selection(-1),
            Nav::Down => self.move_selection(1),
            Nav::PageUp => self.move_selection(-page),
            Nav::PageDown => self.move_selection(page),
            Nav::Home => self.move_selection(isize::MIN),
            Nav::End => self.move_selection(isize::MAX),
            Nav::Left => self.left(),
            Nav::Right => self.right(),
        };
        if self.selected != before {
            self.selection_changed();
        }
        changed
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
                self.selection_changed();
                true
            }
            None => false,
        }
    }

    fn poll(&mut self) -> bool {
        self.batch_norm.poll()
    }

    fn busy(&self) -> bool {
        self.batch_norm.busy()
    }

    fn busy_label(&self) -> Option<String> {
        self.batch_norm.busy().then(|| "batch norm".to_string())
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let area = area.intersection(buf.area);
        if area.width == 0 || area.height == 0 {
            return;
        }
        View { tab: self, ui }.render(area, buf);
    }
}
