//! The one list of tabs. The tab bar, the go-to-tab keys (1–9), `--tab`, `snapshot --tab` and
//! the help all read it, so adding a tab is one entry here.

use crate::jobs::Waker;
use crate::tab::{AnyTab, BuildError, Options, boxed};

/// Builds a tab for a waker (the terminal loop's, or headless) from the options.
pub type Build = fn(&Waker, &Options) -> Result<Box<dyn AnyTab>, BuildError>;

/// One tab: its name on the command line, and how to build it.
pub struct TabSpec {
    /// The name `--tab` takes (lower case, no spaces).
    pub name: &'static str,
    /// How to build it.
    pub build: Build,
}

/// Every tab, in the order of the homework's problems; tab `i` is on key `i + 1`.
pub const TABS: &[TabSpec] = &[
    TabSpec {
        name: "resnet",
        build: |waker, _| {
            Ok(boxed(crate::resnet::tab::ResnetTab::new(
                waker,
                Default::default(),
            )))
        },
    },
    TabSpec {
        name: "lowrank",
        build: |waker, options| Ok(boxed(crate::lowrank::tab::LowrankTab::new(waker, options)?)),
    },
    TabSpec {
        name: "scale",
        build: |waker, _| Ok(boxed(crate::scale::tab::ScaleTab::new(waker))),
    },
    TabSpec {
        name: "rnn",
        build: |waker, _| Ok(boxed(crate::rnn::tab::RnnTab::new(waker))),
    },
    TabSpec {
        name: "train",
        build: |waker, _| Ok(boxed(crate::train::tab::TrainTab::new(waker))),
    },
];

/// The names `--tab` accepts, in tab order.
pub fn names() -> Vec<&'static str> {
    TABS.iter().map(|t| t.name).collect()
}

/// The position of the tab called `name`.
pub fn position(name: &str) -> Option<usize> {
    TABS.iter().position(|t| t.name == name)
}

/// Checks a `--tab` value; the error lists the valid names.
pub fn parse_name(name: &str) -> Result<&'static str, String> {
    TABS.iter()
        .find(|t| t.name == name)
        .map(|t| t.name)
        .ok_or_else(|| {
            format!(
                "there is no tab {name:?}; the tabs are {}",
                names().join(", ")
            )
        })
}
