//! The rows of the module tree as state: which modules are rows (expansion, the sort, the
//! filter), the selection and how the movement keys change it. No drawing here.

use super::keys::Act;
use super::{Focus, ResnetTab};
use crate::components::scroll::ScrollAct;
use crate::controls::Cycle;
use crate::resnet::model::Count;

/// The longest filter kept (module names are far shorter).
pub(super) const FILTER_MAX: usize = 64;

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

/// What the layers are sorted by; `None` in [`ResnetTab`] is tree order.
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
    pub(super) fn after(current: Option<SortKey>) -> Option<SortKey> {
        match current {
            None => Some(SortKey::ALL[0]),
            Some(k) => {
                let i = SortKey::ALL.iter().position(|&x| x == k).unwrap_or(0);
                SortKey::ALL.get(i + 1).copied()
            }
        }
    }
}

impl ResnetTab {
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
    pub(super) fn set_filter(&mut self, text: String) -> bool {
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

    /// The figure module `index` is sorted by: (global, count). A global field sorts above
    /// every other, and an overflowed count above every exact one.
    fn sort_value(&self, key: SortKey, index: usize) -> (bool, Count) {
        let m = &self.net.modules[index];
        let c = &self.costs.modules[index];
        match key {
            SortKey::Params => (false, m.params),
            SortKey::Macs => (false, m.macs),
            SortKey::FlopsBackward => (false, c.flops_backward),
            SortKey::Saved => (false, c.activation_bytes()),
            SortKey::Field => c
                .field
                .map_or((true, Count::ZERO), |f| (false, f.receptive_field)),
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

    /// A new module is selected: its note starts at the top.
    pub(super) fn selection_changed(&mut self) {
        self.scroll[Focus::Module.index()].reset();
    }

    /// Opens every ancestor of the selection so it is on screen.
    pub(super) fn reveal_selected(&mut self) {
        for a in self.net.ancestors(self.selected) {
            if let Some(open) = self.expanded.get_mut(a) {
                *open = true;
            }
        }
    }

    /// The movement keys: the tree's selection, or the batch-norm panel's text while the panel
    /// covers the tree.
    pub(super) fn move_act(&mut self, act: Act) -> bool {
        if self.focus == Focus::BatchNorm {
            return self.batch_norm_scroll(act);
        }
        let before = self.selected;
        let page = isize::try_from(self.page.max(1)).unwrap_or(1);
        let changed = match act {
            Act::Up => self.move_selection(-1),
            Act::Down => self.move_selection(1),
            Act::PageUp => self.move_selection(-page),
            Act::PageDown => self.move_selection(page),
            Act::First => self.move_selection(isize::MIN),
            Act::Last => self.move_selection(isize::MAX),
            Act::Less => self.left(),
            Act::More => self.right(),
            _ => false,
        };
        if self.selected != before {
            self.selection_changed();
        }
        changed
    }

    /// The movement keys on the batch-norm panel's text (collapse and expand do nothing there).
    fn batch_norm_scroll(&mut self, act: Act) -> bool {
        let text = &mut self.scroll[Focus::BatchNorm.index()];
        let step = match act {
            Act::Up => ScrollAct::Up,
            Act::Down => ScrollAct::Down,
            Act::PageUp => ScrollAct::PageUp,
            Act::PageDown => ScrollAct::PageDown,
            Act::First => {
                let moved = text.offset() > 0;
                text.reset();
                return moved;
            }
            Act::Last => {
                let mut moved = false;
                while text.act(ScrollAct::PageDown) {
                    moved = true;
                }
                return moved;
            }
            _ => return false,
        };
        text.act(step)
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

    pub(super) fn toggle_expand(&mut self) -> bool {
        let open = self.expanded.get(self.selected).copied().unwrap_or(false);
        self.set_expanded(self.selected, !open)
    }

    /// Every container open (`open`), or every one closed and the selection on its top-level
    /// ancestor.
    pub(super) fn expand_all(&mut self, open: bool) -> bool {
        let mut changed = false;
        for i in 0..self.expanded.len() {
            changed |= self.set_expanded(i, open);
        }
        if !open && let Some(&top) = self.net.ancestors(self.selected).first() {
            self.selected = top;
            self.selection_changed();
            changed = true;
        }
        changed
    }

    /// Collapses the selected module if it is open, else selects its parent.
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

    /// Expands the selected module if it is closed, else selects its first child.
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
