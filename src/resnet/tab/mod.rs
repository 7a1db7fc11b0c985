//! The ResNet tab: a collapsible tree of torchvision's modules with their output shapes,
//! parameters and MACs, controls that rebuild the model at once, and panels for the parameter
//! groups, the weight-decay split, redundant conv biases, BN buffers, a note on the selected
//! module and the check of the homework's printed numbers.
//!
//! The tab holds view state (selection, expansion, scrolling, panel focus) and the model's
//! results; every number comes from [`Network`] or the homework check.

mod bn_live;
mod keys;
mod notes;
mod readout;
mod render;
mod rows;
mod summary;
#[cfg(test)]
mod tests;
mod tree;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::model::cost::{self as cost_model, Cost, Costs};
use super::model::homework::{self, AssetError, CheckRow};
use super::model::{self, Config, Mode, ModuleKind, Network, SequentialRole};
use crate::components::scroll::ScrollText;
use crate::controls::{Cycle, Ladder};
use crate::jobs::Waker;
use crate::keymap::{Binding, Key};
use crate::tab::Tab;
use crate::theme::Ui;
pub use keys::{Act, KEYS};
pub use rows::{SortKey, filter_match};
pub use tree::ColumnSet;

/// Class counts the class keys step through (21843: ImageNet-21k).
pub const CLASS_LADDER: Ladder<u64> =
    Ladder(&[1, 2, 10, 100, 1000, 10_000, 21_843, 100_000, 1_000_000]);
/// Input sides the size keys step through.
pub const SIDE_LADDER: Ladder<u64> = Ladder(&[
    1, 2, 4, 8, 16, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 384, 448, 512, 640, 768, 1024,
    2048, 4096, 8192,
]);

/// Batch sizes the batch keys step through.
pub const BATCH_LADDER: Ladder<u64> = Ladder(&[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]);

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
    /// First visible tree row, as the last layout placed it: the view scrolls only when the
    /// selection would leave it.
    tree_offset: usize,
    /// Rows of the tree's viewport at the last layout: a page for the page keys.
    page: usize,
    /// Where the tree's rows are at the last layout, for mouse clicks (empty while the
    /// batch-norm panel covers the tree).
    rows_area: Rect,
    /// Each panel's text (module, check, summary, batch norm, in [`Focus`] order), scrolled
    /// while the panel has the focus.
    scroll: [ScrollText; 4],
    /// The kept filter (empty: none): modules whose name or type contains it.
    filter: String,
    /// True while the filter takes typed keys.
    typing: bool,
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
            tree_offset: 0,
            page: 10,
            rows_area: Rect::default(),
            scroll: [ScrollText::new(); 4],
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

    /// The filter as typed (empty: none).
    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// The first line shown of `panel`'s text.
    pub fn scroll_offset(&self, panel: Focus) -> u16 {
        self.scroll[panel.index()].offset()
    }

    /// Dotted name of the selected module.
    pub fn selected_name(&self) -> &str {
        self.net
            .modules
            .get(self.selected)
            .map_or("", |m| m.name.as_str())
    }

    /// `batch 2, float32, sgd, 3 modules frozen`: how one training step runs.
    fn run_text(&self) -> String {
        let cost = &self.cost;
        let frozen = cost.frozen.len();
        let mut text = format!("batch {}, {}, {}", cost.batch, cost.dtype, cost.optimizer);
        if frozen > 0 {
            let noun = if frozen == 1 { "module" } else { "modules" };
            text.push_str(&format!(", {frozen} {noun} frozen"));
        }
        text
    }

    /// Elements of the selected module's own parameters that batch norm makes redundant (its
    /// conv bias, if it has one).
    fn redundant_bias_of_selected(&self) -> model::Count {
        self.net
            .parameters_of(self.selected)
            .filter(|p| p.redundant)
            .map(|p| p.numel)
            .sum()
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

    /// The model's configuration after one of the model keys, `None` for other actions.
    fn config_after(&self, act: Act) -> Option<Config> {
        let c = self.config;
        let (h, w) = c.input_hw;
        let side = |s: u64, up: bool| SIDE_LADDER.step(s, up);
        Some(match act {
            Act::NextArch => Config {
                arch: c.arch.next(),
                ..c
            },
            Act::PrevArch => Config {
                arch: c.arch.prev(),
                ..c
            },
            Act::MoreClasses | Act::FewerClasses => Config {
                num_classes: CLASS_LADDER.step(c.num_classes, act == Act::MoreClasses),
                ..c
            },
            Act::LargerInput | Act::SmallerInput => {
                let up = act == Act::LargerInput;
                Config {
                    input_hw: (side(h, up), side(w, up)),
                    ..c
                }
            }
            Act::TallerInput | Act::ShorterInput => Config {
                input_hw: (side(h, act == Act::TallerInput), w),
                ..c
            },
            Act::WiderInput | Act::NarrowerInput => Config {
                input_hw: (h, side(w, act == Act::WiderInput)),
                ..c
            },
            Act::ToggleConvBias => Config {
                conv_bias: !c.conv_bias,
                ..c
            },
            _ => return None,
        })
    }

    /// The run's keys: batch, dtype, optimizer, freezing the selected module.
    fn run_act(&mut self, act: Act) -> bool {
        let mut cost = self.cost.clone();
        match act {
            Act::LargerBatch | Act::SmallerBatch => {
                cost.batch = BATCH_LADDER.step(cost.batch, act == Act::LargerBatch);
            }
            Act::NextDtype => cost.dtype = cost.dtype.next(),
            Act::NextOptimizer => cost.optimizer = cost.optimizer.next(),
            Act::ToggleFreeze => cost.toggle_frozen(&self.net, self.selected),
            _ => return false,
        }
        self.set_cost(cost)
    }

    /// The panel and view keys: focus, columns, sort, the filter, scrolling text.
    fn view_act(&mut self, act: Act) -> bool {
        match act {
            Act::NextPanel => self.focus = self.focus.next(),
            Act::PrevPanel => self.focus = self.focus.prev(),
            Act::NextColumns => self.columns = self.columns.next(),
            Act::PrevColumns => self.columns = self.columns.prev(),
            Act::NextSort => {
                self.sort = SortKey::after(self.sort);
                if self.sort.is_none() {
                    self.reveal_selected();
                }
            }
            Act::Filter => {
                // The filter works on the tree, which the batch-norm panel covers.
                if self.focus == Focus::BatchNorm {
                    self.focus = Focus::Module;
                }
                self.typing = true;
            }
            Act::Scroll(step) => return self.scroll[self.focus.index()].act(step),
            _ => return false,
        }
        true
    }

    /// Everything back to the homework's model, run and view; false if it already was.
    fn reset(&mut self) -> bool {
        let mode_changed = self.mode != Mode::Train;
        self.mode = Mode::Train;
        let unsorted = self.sort.take().is_some() | self.set_filter(String::new());
        let rebuilt = self.set_config(Config::default()) || unsorted;
        let run_changed = self.set_cost(Cost::default());
        self.refresh_costs();
        let panel_changed = self.batch_norm.reset();
        rebuilt || mode_changed || run_changed || panel_changed
    }
}

impl Tab for ResnetTab {
    type Act = Act;

    fn title(&self) -> &'static str {
        "ResNet"
    }

    fn keys(&self) -> &'static [Binding<Act>] {
        &KEYS
    }

    fn act(&mut self, act: Act) -> bool {
        let changed = match act {
            Act::Up
            | Act::Down
            | Act::Less
            | Act::More
            | Act::PageUp
            | Act::PageDown
            | Act::First
            | Act::Last => self.move_act(act),
            Act::ToggleExpand => self.toggle_expand(),
            Act::ExpandAll | Act::CollapseAll => self.expand_all(act == Act::ExpandAll),
            Act::ToggleMode => {
                self.mode = self.mode.next();
                self.refresh_costs();
                true
            }
            Act::FeedBatch | Act::BackOneBatch | Act::Rewind => self.batch_norm_act(act),
            Act::LargerBatch | Act::SmallerBatch if self.focus == Focus::BatchNorm => {
                self.batch_norm_act(act)
            }
            Act::LargerBatch
            | Act::SmallerBatch
            | Act::NextDtype
            | Act::NextOptimizer
            | Act::ToggleFreeze => self.run_act(act),
            Act::Reset => self.reset(),
            _ => match self.config_after(act) {
                Some(config) => self.set_config(config),
                None => self.view_act(act),
            },
        };
        // The batch-norm panel recomputes only when shown and its settings changed.
        self.batch_norm
            .sync(self.focus == Focus::BatchNorm, self.config.conv_bias);
        changed
    }

    fn typing(&self) -> Option<crate::tab::TypingHints> {
        self.typing.then_some(keys::TYPING_HINTS)
    }

    fn type_key(&mut self, key: Key) -> bool {
        use crossterm::event::KeyCode;
        if key.ctrl {
            // Ctrl-U empties the field, as in a shell.
            return key.code == KeyCode::Char('u') && self.set_filter(String::new());
        }
        if let Some(act) = keys::typing_movement(key) {
            return self.move_act(act);
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
                if text.chars().count() < rows::FILTER_MAX {
                    text.push(c);
                }
                self.set_filter(text)
            }
            _ => false,
        }
    }

    fn click(&mut self, col: u16, row: u16) -> bool {
        let area = self.rows_area;
        if !area.contains(ratatui::layout::Position::new(col, row)) {
            return false;
        }
        let rows = self.visible_rows();
        let index = self.tree_offset + usize::from(row - area.y);
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
        self.batch_norm.busy_label()
    }

    fn layout(&mut self, area: Rect, ui: &Ui) {
        let plan = self.plan(area, ui);
        self.tree_offset = plan.tree.offset;
        self.page = plan.tree.page;
        self.rows_area = plan.tree.rows;
        for (text, extent) in self.scroll.iter_mut().zip(plan.extents) {
            if let Some((total, rows)) = extent {
                text.set_extent(total, rows);
            }
        }
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        self.draw(area, buf, ui);
    }

    fn readout(&self) -> Option<String> {
        Some(self.readout_text())
    }
}
