//! Stateful pieces every tab composes, each owning its state, its key table and its render:
//! a [`controls::ControlList`] (choose ↑↓, change ←→, full and compact renders, mouse hits), a
//! [`scroll::ScrollText`] (a note that clamps its offset when a key moves it, to the size the
//! shell's layout step recorded), and a [`worker::WorkerPanel`] (background work with its error,
//! busy label and progress). A tab wraps a component's actions in one of its own (`Act::Note(
//! ScrollAct)`) and appends the component's bindings to its key table, so dispatch, footer and
//! help come from one table and the keys follow `keymap::CONVENTIONS` on every tab.

pub mod controls;
pub mod scroll;
pub mod worker;

use crate::keymap::Binding;

/// A component's key table with its actions wrapped in the tab's: `table(Act::Note)`.
pub fn wrapped<C: Copy, A>(table: &'static [Binding<C>], wrap: fn(C) -> A) -> Vec<Binding<A>> {
    table
        .iter()
        .map(|b| Binding {
            keys: b.keys,
            action: wrap(b.action),
            help: b.help,
            hint: b.hint,
        })
        .collect()
}
