//! The ResNet tab's actions and its key table: dispatch, the footer's hints, the help overlay
//! and the hints drawn inside the tab (the batch-norm panel's key line, the notes that name a
//! key) all read [`KEYS`], so a hint always names the key that really acts.

use crossterm::event::KeyCode;

use crate::components::scroll::ScrollAct;
use crate::keymap::{self, Action, Binding, Convention, Key};

/// What the tab's keys do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    NextArch,
    PrevArch,
    MoreClasses,
    FewerClasses,
    /// The tab's main quantity: the input size, both sides.
    LargerInput,
    SmallerInput,
    TallerInput,
    ShorterInput,
    WiderInput,
    NarrowerInput,
    ToggleConvBias,
    ToggleMode,
    /// The selected row of the tree (the batch-norm panel scrolls its text instead).
    Up,
    Down,
    /// Collapse the selected module or go to its parent / expand it or go to its first child.
    Less,
    More,
    PageUp,
    PageDown,
    First,
    Last,
    ToggleExpand,
    ExpandAll,
    CollapseAll,
    NextPanel,
    PrevPanel,
    /// The batch-norm panel's next / previous batch, and its first batch again.
    FeedBatch,
    BackOneBatch,
    Rewind,
    /// The tree's columns.
    NextColumns,
    PrevColumns,
    LargerBatch,
    SmallerBatch,
    NextDtype,
    NextOptimizer,
    ToggleFreeze,
    NextSort,
    Filter,
    /// The focused panel's text.
    Scroll(ScrollAct),
    Reset,
}

impl Action for Act {
    fn convention(self) -> Option<Convention> {
        Some(match self {
            Act::LargerInput => Convention::MainUp,
            Act::SmallerInput => Convention::MainDown,
            Act::Up => Convention::Up,
            Act::Down => Convention::Down,
            Act::Less => Convention::Less,
            Act::More => Convention::More,
            Act::PageUp => Convention::PageUp,
            Act::PageDown => Convention::PageDown,
            Act::First => Convention::First,
            Act::Last => Convention::Last,
            Act::NextPanel => Convention::NextPanel,
            Act::PrevPanel => Convention::PrevPanel,
            Act::FeedBatch => Convention::StepForward,
            Act::BackOneBatch => Convention::StepBack,
            Act::Rewind => Convention::Rewind,
            Act::NextColumns => Convention::NextView,
            Act::PrevColumns => Convention::PrevView,
            Act::Scroll(s) => return s.convention(),
            Act::Reset => Convention::Reset,
            _ => return None,
        })
    }
}

/// The model's settings: architecture, classes, input size, conv bias, mode.
const MODEL_KEYS: &[Binding<Act>] = &[
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
        keys: keymap::MAIN_UP,
        action: Act::LargerInput,
        help: "larger input image (both sides one size up)",
        hint: Some("size"),
    },
    Binding {
        keys: keymap::MAIN_DOWN,
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
];

/// Moving in the tree (while the batch-norm panel covers it, the same keys scroll its text).
const TREE_KEYS: &[Binding<Act>] = &[
    Binding {
        keys: keymap::UP,
        action: Act::Up,
        help: "select the module above (batch-norm panel: scroll its text up)",
        hint: None,
    },
    Binding {
        keys: keymap::DOWN,
        action: Act::Down,
        help: "select the module below (batch-norm panel: scroll its text down)",
        hint: None,
    },
    Binding {
        keys: keymap::LESS,
        action: Act::Less,
        help: "collapse the selected module, or go to its parent",
        hint: None,
    },
    Binding {
        keys: keymap::MORE,
        action: Act::More,
        help: "expand the selected module, or go to its first child",
        hint: None,
    },
    Binding {
        keys: keymap::PAGE_UP,
        action: Act::PageUp,
        help: "a page up the tree (batch-norm panel: its text)",
        hint: None,
    },
    Binding {
        keys: keymap::PAGE_DOWN,
        action: Act::PageDown,
        help: "a page down the tree (batch-norm panel: its text)",
        hint: None,
    },
    Binding {
        keys: keymap::FIRST,
        action: Act::First,
        help: "to the first module (batch-norm panel: the top of its text)",
        hint: None,
    },
    Binding {
        keys: keymap::LAST,
        action: Act::Last,
        help: "to the last module (batch-norm panel: the end of its text)",
        hint: None,
    },
    Binding {
        keys: &[Key::code(KeyCode::Enter)],
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
];

/// Panels and the batch-norm panel's own steps.
const PANEL_KEYS: &[Binding<Act>] = &[
    Binding {
        keys: keymap::NEXT_PANEL,
        action: Act::NextPanel,
        help: "next panel: module note, check, summary, batch norm (narrow screens show one)",
        hint: Some("panel"),
    },
    Binding {
        keys: keymap::PREV_PANEL,
        action: Act::PrevPanel,
        help: "previous panel",
        hint: None,
    },
    Binding {
        keys: keymap::STEP_FORWARD,
        action: Act::FeedBatch,
        help: "(batch-norm panel) next batch: one train step (train mode only)",
        hint: None,
    },
    Binding {
        keys: keymap::STEP_BACK,
        action: Act::BackOneBatch,
        help: "(batch-norm panel) back one batch",
        hint: None,
    },
    Binding {
        keys: keymap::REWIND,
        action: Act::Rewind,
        help: "(batch-norm panel) rewind: fresh running statistics, then batch 1",
        hint: None,
    },
];

/// The run (batch, dtype, optimizer, frozen modules) and the tree's columns, order and filter.
const RUN_KEYS: &[Binding<Act>] = &[
    Binding {
        keys: keymap::NEXT_VIEW,
        action: Act::NextColumns,
        help: "next columns of the tree: sizes, FLOPs, memory, receptive field",
        hint: Some("columns"),
    },
    Binding {
        keys: keymap::PREV_VIEW,
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
        keys: keymap::SCROLL_DOWN,
        action: Act::Scroll(ScrollAct::Down),
        help: "scroll the focused panel's text down (its right edge marks more below)",
        hint: Some("scroll"),
    },
    Binding {
        keys: keymap::SCROLL_UP,
        action: Act::Scroll(ScrollAct::Up),
        help: "scroll the focused panel's text up",
        hint: None,
    },
    Binding {
        keys: keymap::RESET,
        action: Act::Reset,
        help: "back to the homework's model: resnet18, 1000 classes, 224x224, no conv bias",
        hint: None,
    },
];

/// The tab's key table, in the order the help lists it.
pub static KEYS: std::sync::LazyLock<Vec<Binding<Act>>> =
    std::sync::LazyLock::new(|| [MODEL_KEYS, TREE_KEYS, PANEL_KEYS, RUN_KEYS].concat());

/// The footer while the filter takes text.
pub(super) const TYPING_HINTS: crate::tab::TypingHints = &[
    (&[Key::code(KeyCode::Enter)], "keep filter"),
    (&[Key::code(KeyCode::Esc)], "clear"),
    (&[Key::code(KeyCode::Up), Key::code(KeyCode::Down)], "move"),
    (&[Key::ctrl('u')], "erase"),
    (&[Key::ctrl('c')], "quit"),
];

/// The key of `act`, as the help names it.
pub(super) fn key(act: Act, unicode: bool) -> String {
    keymap::keys_of(&KEYS, act, unicode)
}

/// The keys of a pair of actions (`z/Z`), as the help names them.
pub(super) fn key_pair(a: Act, b: Act, unicode: bool) -> String {
    format!("{}/{}", key(a, unicode), key(b, unicode))
}

/// The tree movement the filter's field passes on while it takes text: the named keys of
/// [`TREE_KEYS`] that move the selection (letters are text there).
pub(super) fn typing_movement(key: Key) -> Option<Act> {
    if matches!(key.code, KeyCode::Char(_)) {
        return None;
    }
    keymap::lookup(TREE_KEYS, key).filter(|a| {
        matches!(
            a,
            Act::Up | Act::Down | Act::PageUp | Act::PageDown | Act::First | Act::Last
        )
    })
}
