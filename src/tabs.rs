//! The one list of tabs. The tab bar, the go-to-tab keys (1–9), `--tab`, `snapshot --tab` and
//! the help all read it, so adding a tab is one entry here.

use crate::jobs::Waker;
use crate::keymap::{Binding, Key};
use crate::tab::{AnyTab, BuildError, Options, boxed};

/// Builds a tab for a waker (the terminal loop's, or headless) from the options.
pub type Build = fn(&Waker, &Options) -> Result<Box<dyn AnyTab>, BuildError>;

/// One tab: its name on the command line, and how to build it.
pub struct TabSpec {
    /// The name `--tab` takes (lower case, no spaces).
    pub name: &'static str,
    /// How to build it.
    pub build: Build,
    /// Its key table as (key, what it does), readable without building the tab (config checks).
    pub keys: fn() -> Vec<(Key, &'static str)>,
}

/// A key table as (key, help) pairs.
pub fn bindings<A>(table: &'static [Binding<A>]) -> Vec<(Key, &'static str)> {
    table
        .iter()
        .flat_map(|b| b.keys.iter().map(move |k| (*k, b.help)))
        .collect()
}

/// What `key` does on the tab called `tab`, if it is bound there.
pub fn key_help(tab: &str, key: Key) -> Option<&'static str> {
    let spec = TABS.iter().find(|t| t.name == tab)?;
    (spec.keys)()
        .into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, help)| help)
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
        keys: || bindings(crate::resnet::tab::KEYS),
    },
    TabSpec {
        name: "lowrank",
        build: |waker, options| Ok(boxed(crate::lowrank::tab::LowrankTab::new(waker, options)?)),
        keys: || bindings(&crate::lowrank::tab::KEYS),
    },
    TabSpec {
        name: "scale",
        build: |waker, _| Ok(boxed(crate::scale::tab::ScaleTab::new(waker))),
        keys: || bindings(&crate::scale::tab::KEYS),
    },
    TabSpec {
        name: "rnn",
        build: |waker, _| Ok(boxed(crate::rnn::tab::RnnTab::new(waker))),
        keys: || bindings(&crate::rnn::tab::KEYS),
    },
    TabSpec {
        name: "train",
        build: |waker, _| Ok(boxed(crate::train::tab::TrainTab::new(waker))),
        keys: || bindings(&crate::train::tab::KEYS),
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
