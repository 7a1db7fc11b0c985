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
    /// The homework problem the tab shows (several tabs may show one problem).
    pub problem: u8,
    /// Its title in the tab bar, as the built tab gives it (a test holds them together).
    pub title: &'static str,
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
        problem: 1,
        title: "ResNet",
        build: |waker, _| {
            Ok(boxed(crate::resnet::tab::ResnetTab::new(
                waker,
                Default::default(),
            )))
        },
        keys: || bindings(&crate::resnet::tab::KEYS),
    },
    TabSpec {
        name: "lowrank",
        problem: 2,
        title: "Low rank",
        build: |waker, options| Ok(boxed(crate::lowrank::tab::LowrankTab::new(waker, options)?)),
        keys: || bindings(&crate::lowrank::tab::KEYS),
    },
    TabSpec {
        name: "scale",
        problem: 3,
        title: "Scale invariance",
        build: |waker, _| Ok(boxed(crate::scale::tab::ScaleTab::new(waker))),
        keys: || bindings(&crate::scale::tab::KEYS),
    },
    TabSpec {
        name: "rnn",
        problem: 6,
        title: "RNN vs LSTM",
        build: |waker, _| Ok(boxed(crate::rnn::tab::RnnTab::new(waker))),
        keys: || bindings(&crate::rnn::tab::KEYS),
    },
    TabSpec {
        name: "train",
        problem: 6,
        title: "Train",
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

/// The first tab that shows homework problem `problem`: its go-to key (1–9) and its title. A
/// tab that points to another asks for it by problem, never by name.
pub fn for_problem(problem: u8) -> Option<(usize, &'static str)> {
    TABS.iter()
        .position(|t| t.problem == problem)
        .map(|i| (i + 1, TABS[i].title))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_spec_has_its_tabs_title_and_problems_resolve() {
        let waker = crate::jobs::Waker::headless();
        for spec in TABS {
            let tab = (spec.build)(&waker, &Options::default()).expect("the built-in tabs build");
            assert_eq!(tab.title(), spec.title, "{}", spec.name);
        }
        assert_eq!(for_problem(3), Some((3, "Scale invariance")));
        assert_eq!(for_problem(1), Some((1, "ResNet")));
        assert_eq!(for_problem(4), None);
    }
}
