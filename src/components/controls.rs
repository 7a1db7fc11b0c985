//! The control list: a tab's settings as rows, one chosen with ↑↓ and changed with ←→, drawn
//! in full (a slider per row) where there is room and compact (two columns of values, then the
//! chosen control as a slider) where there is not. The tab's settings implement
//! [`ControlSet`]; the list owns the focus, its key table, its render and its mouse hits.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use crate::keymap::{self, Action, Binding, Convention};
use crate::theme::Ui;
use crate::widgets::slider::Slider;
use crate::widgets::{lines, panel};

/// A tab's settings as a list of controls.
pub trait ControlSet {
    /// The controls, in the order they are listed (a fieldless enum).
    type Id: Copy + PartialEq + strum::IntoEnumIterator + 'static;
    /// The control's name as listed ("rho", "hidden H").
    fn label(&self, id: Self::Id) -> &'static str;
    /// Its value as shown.
    fn value(&self, id: Self::Id) -> String;
    /// Where the value sits on a slider track, in [0, 1]; `None` shows the value alone.
    fn position(&self, id: Self::Id) -> Option<f64>;
    /// Moves the control one notch up or down; true when something changed.
    fn adjust(&mut self, id: Self::Id, up: bool) -> bool;
}

/// What the list's keys do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlAct {
    Prev,
    Next,
    Less,
    More,
}

impl Action for ControlAct {
    fn convention(self) -> Option<Convention> {
        Some(match self {
            ControlAct::Prev => Convention::Up,
            ControlAct::Next => Convention::Down,
            ControlAct::Less => Convention::Less,
            ControlAct::More => Convention::More,
        })
    }
}

/// The list's key table.
pub const KEYS: &[Binding<ControlAct>] = &[
    Binding {
        keys: keymap::UP,
        action: ControlAct::Prev,
        help: "choose the control above",
        hint: None,
    },
    Binding {
        keys: keymap::DOWN,
        action: ControlAct::Next,
        help: "choose the control below",
        hint: None,
    },
    Binding {
        keys: keymap::LESS,
        action: ControlAct::Less,
        help: "lower the chosen control (or its previous choice)",
        hint: Some("less"),
    },
    Binding {
        keys: keymap::MORE,
        action: ControlAct::More,
        help: "raise the chosen control (or its next choice)",
        hint: Some("more"),
    },
];

/// Where the rows are for a list of `count` controls in `inner` (inside the panel's border).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Geometry {
    /// One row per control with its slider.
    full: bool,
    /// The rows of values (full: every row; compact: the grid).
    grid: Rect,
    per_column: usize,
    columns: usize,
    /// Compact: the row with the chosen control's slider, and the row of hints below it.
    slider: Option<Rect>,
    hints: Option<Rect>,
}

impl Geometry {
    fn of(inner: Rect, count: usize, compact: bool) -> Geometry {
        if inner.width == 0 || inner.height == 0 || count == 0 {
            return Geometry::default();
        }
        if !compact && inner.height as usize >= count {
            return Geometry {
                full: true,
                grid: Rect::new(inner.x, inner.y, inner.width, count as u16),
                per_column: count,
                columns: 1,
                slider: None,
                hints: None,
            };
        }
        let per_column = count.div_ceil(2);
        let grid_h = (per_column as u16).min(inner.height.saturating_sub(1));
        let column_w = inner.width / 2;
        let row = |k: u16| {
            (inner.height > grid_h + k)
                .then(|| Rect::new(inner.x, inner.y + grid_h + k, inner.width, 1))
        };
        Geometry {
            full: false,
            grid: Rect::new(inner.x, inner.y, column_w.saturating_mul(2), grid_h),
            per_column,
            columns: 2,
            slider: row(0),
            hints: row(1),
        }
    }

    /// Every control as a slider, in the fewest columns the rows hold (as many rows in each
    /// as the count needs), for [`ControlList::render_sliders`].
    fn sliders(inner: Rect, count: usize) -> Geometry {
        if inner.width == 0 || inner.height == 0 || count == 0 {
            return Geometry::default();
        }
        let columns = count.div_ceil(inner.height as usize);
        let per_column = count.div_ceil(columns);
        let column_w = inner.width / columns as u16;
        Geometry {
            full: true,
            grid: Rect::new(
                inner.x,
                inner.y,
                column_w.saturating_mul(columns as u16),
                per_column as u16,
            ),
            per_column,
            columns,
            slider: None,
            hints: None,
        }
    }
}

/// The focus among a tab's controls, and where the last layout put their rows.
#[derive(Clone, Debug)]
pub struct ControlList<Id> {
    focus: Id,
    geometry: Geometry,
}

impl<Id: Copy + PartialEq + strum::IntoEnumIterator + 'static> ControlList<Id> {
    /// The list with the first control chosen.
    pub fn new() -> Self {
        ControlList {
            focus: Id::iter().next().expect("a control list has controls"),
            geometry: Geometry::default(),
        }
    }

    fn all() -> Vec<Id> {
        Id::iter().collect()
    }

    /// The chosen control.
    pub fn focus(&self) -> Id {
        self.focus
    }

    pub fn set_focus(&mut self, id: Id) {
        self.focus = id;
    }

    /// Moves the focus or changes the chosen control; true when the screen must be redrawn.
    pub fn act<S: ControlSet<Id = Id>>(&mut self, act: ControlAct, set: &mut S) -> bool {
        let all = Self::all();
        let i = all.iter().position(|c| *c == self.focus).unwrap_or(0);
        let n = all.len();
        match act {
            ControlAct::Prev => self.focus = all[(i + n - 1) % n],
            ControlAct::Next => self.focus = all[(i + 1) % n],
            ControlAct::Less => return set.adjust(self.focus, false),
            ControlAct::More => return set.adjust(self.focus, true),
        }
        true
    }

    /// Records where the rows go in `area` (the panel with its border) for mouse clicks; the
    /// shell's layout step calls it with the area `render` will get.
    pub fn layout(&mut self, area: Rect, compact: bool) {
        self.geometry = Geometry::of(inner(area), Self::all().len(), compact);
    }

    /// Records where [`ControlList::render_sliders`] puts the rows in `area`, for mouse clicks.
    pub fn layout_sliders(&mut self, area: Rect) {
        self.geometry = Geometry::sliders(inner(area), Self::all().len());
    }

    /// A click at an absolute position: chooses the control under it; true when it did.
    pub fn click(&mut self, col: u16, row: u16) -> bool {
        let g = self.geometry;
        let inside = col >= g.grid.x && col < g.grid.right() && row >= g.grid.y;
        if !inside || row >= g.grid.bottom() || g.columns == 0 {
            return false;
        }
        let column_w = (g.grid.width / g.columns as u16).max(1);
        let c = ((col - g.grid.x) / column_w) as usize;
        let r = (row - g.grid.y) as usize + self.first_row(g);
        match Self::all().get(c * g.per_column + r) {
            Some(&id) if r < g.per_column => {
                self.focus = id;
                true
            }
            _ => false,
        }
    }

    /// The first row of the compact grid shown: rows scroll so the chosen control's row shows
    /// when the grid is shorter than its columns.
    fn first_row(&self, g: Geometry) -> usize {
        let shown = g.grid.height as usize;
        if g.full || shown == 0 || shown >= g.per_column {
            return 0;
        }
        let i = Self::all()
            .iter()
            .position(|c| *c == self.focus)
            .unwrap_or(0);
        let row = i % g.per_column.max(1);
        row.saturating_sub(shown - 1).min(g.per_column - shown)
    }

    /// The panel's title, naming the keys from the table: "Controls ↑↓ choose ←→ change".
    pub fn title(unicode: bool) -> String {
        // Arrows where they have glyphs; in ASCII the one-letter keys of the same bindings
        // ("k/j"), which stay short where "Up/Down" would not fit a narrow panel.
        let name = |keys: &[keymap::Key]| {
            let key = if unicode {
                keys.first()
            } else {
                keys.get(1).or(keys.first())
            };
            key.map(|k| k.name(unicode)).unwrap_or_default()
        };
        let sep = if unicode { "" } else { "/" };
        format!(
            "Controls {}{sep}{} choose {}{sep}{} change",
            name(keymap::UP),
            name(keymap::DOWN),
            name(keymap::LESS),
            name(keymap::MORE)
        )
    }

    /// Compact: the controls' values in two columns, scrolled to the chosen one.
    fn render_grid<S: ControlSet<Id = Id>>(&self, g: Geometry, buf: &mut Buffer, ui: &Ui, set: &S) {
        let all = Self::all();
        let column_w = g.grid.width / 2;
        let first = self.first_row(g);
        for (i, c) in all.iter().copied().enumerate() {
            let (col, row) = (i / g.per_column, i % g.per_column);
            let Some(row) = row
                .checked_sub(first)
                .filter(|r| (*r as u16) < g.grid.height)
            else {
                continue;
            };
            // Labels padded to the longest of their column.
            let pad = all
                .iter()
                .skip(col * g.per_column)
                .take(g.per_column)
                .map(|c| label_width(set, *c, ui))
                .max()
                .unwrap_or(0);
            let style = if c == self.focus {
                ui.theme.key.add_modifier(Modifier::REVERSED)
            } else {
                ui.theme.hint
            };
            // A value too long for its column gets an ellipsis.
            let room = (column_w as usize).saturating_sub(pad + 1);
            let u = ui.glyphs.unicode;
            let value = crate::text::fit(&crate::text::spelled(&set.value(c), u), room, u);
            let line = Line::from(vec![
                Span::styled(padded(set, c, ui, pad), style),
                Span::raw(" "),
                Span::styled(value, ui.theme.number),
            ]);
            let x = g.grid.x + col as u16 * column_w;
            lines(
                Rect::new(x, g.grid.y + row as u16, column_w, 1),
                buf,
                &[line],
            );
        }
    }

    /// Draws the list in `area` (a panel titled with its keys). Compact, a row below the chosen
    /// control's slider shows `hints` (the tab's other keys, from its table).
    pub fn render<S: ControlSet<Id = Id>>(
        &self,
        area: Rect,
        buf: &mut Buffer,
        ui: &Ui,
        set: &S,
        compact: bool,
        hints: &str,
    ) {
        let inner = panel(area, buf, ui, &Self::title(ui.glyphs.unicode), true);
        let all = Self::all();
        let g = Geometry::of(inner, all.len(), compact);
        if g.grid.width == 0 {
            return;
        }
        if g.full {
            let label_w = all
                .iter()
                .map(|c| label_width(set, *c, ui))
                .max()
                .unwrap_or(0)
                + 1;
            for (i, c) in all.iter().copied().enumerate() {
                let row = Rect::new(g.grid.x, g.grid.y + i as u16, g.grid.width, 1);
                let label = padded(set, c, ui, label_w);
                control_row(row, buf, ui, set, c, &label, c == self.focus);
            }
            return;
        }
        self.render_grid(g, buf, ui, set);
        let first = self.first_row(g);
        // Rows the grid cannot show are marked on its right edge, never dropped silently.
        let edge = g.grid.right().saturating_sub(1);
        if first > 0 {
            buf.set_string(edge, g.grid.y, ui.glyphs.up, ui.theme.key);
        }
        if first + (g.grid.height as usize) < g.per_column {
            buf.set_string(edge, g.grid.bottom() - 1, ui.glyphs.down, ui.theme.key);
        }
        if let Some(row) = g.slider {
            control_row(row, buf, ui, set, self.focus, set.label(self.focus), true);
        }
        if let Some(row) = g.hints {
            let text = crate::text::fit(hints, row.width as usize, ui.glyphs.unicode);
            lines(row, buf, &[Line::styled(text, ui.theme.dim)]);
        }
    }
}

impl<Id: Copy + PartialEq + strum::IntoEnumIterator + 'static> ControlList<Id> {
    /// Draws every control as a slider, in columns filling the panel's height (for a wide,
    /// short panel: every value and its track stay in sight), and `hints` on a row below the
    /// sliders when one is left over.
    pub fn render_sliders<S: ControlSet<Id = Id>>(
        &self,
        area: Rect,
        buf: &mut Buffer,
        ui: &Ui,
        set: &S,
        hints: &str,
    ) {
        let inner = panel(area, buf, ui, &Self::title(ui.glyphs.unicode), true);
        let all = Self::all();
        let g = Geometry::sliders(inner, all.len());
        if g.grid.width == 0 {
            return;
        }
        let label_w = all
            .iter()
            .map(|c| label_width(set, *c, ui))
            .max()
            .unwrap_or(0)
            + 1;
        let column_w = g.grid.width / g.columns as u16;
        for (i, c) in all.iter().copied().enumerate() {
            let (col, row) = ((i / g.per_column) as u16, (i % g.per_column) as u16);
            // One blank column after each slider keeps the columns apart.
            let cell = Rect::new(
                g.grid.x + col * column_w,
                g.grid.y + row,
                column_w.saturating_sub(1),
                1,
            );
            let label = padded(set, c, ui, label_w);
            control_row(cell, buf, ui, set, c, &label, c == self.focus);
        }
        if inner.height > g.grid.height && !hints.is_empty() {
            let row = Rect::new(inner.x, inner.y + g.grid.height, inner.width, 1);
            let text = crate::text::fit(hints, row.width as usize, ui.glyphs.unicode);
            lines(row, buf, &[Line::styled(text, ui.theme.dim)]);
        }
    }
}

impl<Id: Copy + PartialEq + strum::IntoEnumIterator + 'static> Default for ControlList<Id> {
    fn default() -> Self {
        ControlList::new()
    }
}

/// The width of a control's label as drawn.
fn label_width<S: ControlSet>(set: &S, id: S::Id, ui: &Ui) -> usize {
    crate::text::width(&crate::text::spelled(set.label(id), ui.glyphs.unicode))
}

/// A control's label as drawn, padded with spaces to `width` columns.
fn padded<S: ControlSet>(set: &S, id: S::Id, ui: &Ui, width: usize) -> String {
    let label = crate::text::spelled(set.label(id), ui.glyphs.unicode);
    let pad = width.saturating_sub(crate::text::width(&label));
    format!("{label}{}", " ".repeat(pad))
}

/// The area inside a panel's border.
fn inner(area: Rect) -> Rect {
    Rect::new(
        area.x.saturating_add(1),
        area.y.saturating_add(1),
        area.width.saturating_sub(2),
        area.height.saturating_sub(2),
    )
}

/// One control on one row: a slider, or the label and value where it has no track.
fn control_row<S: ControlSet>(
    row: Rect,
    buf: &mut Buffer,
    ui: &Ui,
    set: &S,
    id: S::Id,
    label: &str,
    focused: bool,
) {
    let u = ui.glyphs.unicode;
    let value = crate::text::spelled(&set.value(id), u).into_owned();
    let label = crate::text::spelled(label, u);
    let label = label.as_ref();
    match set.position(id) {
        Some(position) => Slider {
            label,
            value: &value,
            position,
            focused,
        }
        .render(row, buf, ui),
        None => {
            let style = if focused {
                ui.theme.key.add_modifier(Modifier::REVERSED)
            } else {
                ui.theme.hint
            };
            let room = (row.width as usize).saturating_sub(label.len() + 1);
            let line = Line::from(vec![
                Span::styled(label.to_string(), style),
                Span::raw(" "),
                Span::styled(crate::text::fit(&value, room, u), ui.theme.number),
            ]);
            lines(row, buf, &[line]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::buffer_text;

    #[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumIter)]
    enum Knob {
        Alpha,
        Beta,
        Seed,
    }

    #[derive(Default)]
    struct Settings {
        alpha: u8,
        beta: u8,
        seed: u64,
    }

    impl ControlSet for Settings {
        type Id = Knob;
        fn label(&self, id: Knob) -> &'static str {
            match id {
                Knob::Alpha => "alpha",
                Knob::Beta => "beta",
                Knob::Seed => "seed",
            }
        }
        fn value(&self, id: Knob) -> String {
            match id {
                Knob::Alpha => self.alpha.to_string(),
                Knob::Beta => self.beta.to_string(),
                Knob::Seed => self.seed.to_string(),
            }
        }
        fn position(&self, id: Knob) -> Option<f64> {
            match id {
                Knob::Alpha => Some(f64::from(self.alpha) / 10.0),
                Knob::Beta => Some(f64::from(self.beta) / 10.0),
                Knob::Seed => None,
            }
        }
        fn adjust(&mut self, id: Knob, up: bool) -> bool {
            let v = match id {
                Knob::Alpha => &mut self.alpha,
                Knob::Beta => &mut self.beta,
                Knob::Seed => return false,
            };
            let before = *v;
            *v = if up {
                (*v + 1).min(10)
            } else {
                v.saturating_sub(1)
            };
            *v != before
        }
    }

    #[test]
    fn keys_choose_and_change_and_wrap_around() {
        let mut list = ControlList::<Knob>::new();
        let mut s = Settings::default();
        assert!(list.act(ControlAct::More, &mut s));
        assert_eq!(s.alpha, 1);
        assert!(!list.act(ControlAct::Less, &mut s) || s.alpha == 0);
        assert!(!list.act(ControlAct::Less, &mut s), "already at its lowest");
        list.act(ControlAct::Prev, &mut s);
        assert_eq!(
            list.focus(),
            Knob::Seed,
            "up from the first wraps to the last"
        );
        list.act(ControlAct::Next, &mut s);
        list.act(ControlAct::Next, &mut s);
        list.act(ControlAct::More, &mut s);
        assert_eq!(s.beta, 1);
        assert!(keymap::convention_problems(KEYS).is_empty());
    }

    #[test]
    fn full_and_compact_renders_show_every_value_and_clicks_choose() {
        let ui = Ui::new(crate::theme::ColorDepth::None, true);
        let s = Settings {
            alpha: 3,
            beta: 7,
            seed: 42,
        };
        for (h, compact) in [(7, false), (5, true)] {
            let area = Rect::new(2, 1, 40, h);
            let mut list = ControlList::<Knob>::new();
            list.layout(area, compact);
            let mut buf = Buffer::empty(Rect::new(0, 0, 50, 10));
            list.render(area, &mut buf, &ui, &s, compact, "n seed");
            let text = buffer_text(&buf);
            for v in ["3", "7", "42", "Controls ↑↓ choose ←→ change"] {
                assert!(text.contains(v), "{v} at height {h}: {text}");
            }
            // The second control's row (full: row 2 inside the border; compact: row 1 of the
            // first column) chooses it.
            assert!(list.click(4, 3));
            assert_eq!(list.focus(), Knob::Beta, "height {h}");
            assert!(!list.click(45, 9), "outside the rows");
        }
        assert_eq!(
            ControlList::<Knob>::title(false),
            "Controls k/j choose h/l change"
        );
    }

    #[test]
    fn sliders_fill_columns_to_the_height_and_hints_take_a_spare_row() {
        let ui = Ui::new(crate::theme::ColorDepth::None, true);
        let s = Settings {
            alpha: 3,
            beta: 7,
            seed: 42,
        };
        // Two rows inside the border: two columns (alpha, beta | seed), no row for hints.
        let area = Rect::new(0, 0, 60, 4);
        let mut list = ControlList::<Knob>::new();
        list.layout_sliders(area);
        let mut buf = Buffer::empty(area);
        list.render_sliders(area, &mut buf, &ui, &s, "n seed");
        let text = buffer_text(&buf);
        let rows: Vec<&str> = text.lines().collect();
        assert!(
            rows[1].contains("alpha") && rows[1].contains("seed"),
            "{text}"
        );
        assert!(rows[2].contains("beta") && rows[2].contains('7'), "{text}");
        assert!(!text.contains("n seed"), "no spare row: {text}");
        assert!(list.click(31, 1), "the second column's first row");
        assert_eq!(list.focus(), Knob::Seed);
        assert!(!list.click(31, 2), "no control below seed");
        // Five rows: one column with a slider per row, the hints on the row below.
        let area = Rect::new(0, 0, 60, 7);
        list.layout_sliders(area);
        let mut buf = Buffer::empty(area);
        list.render_sliders(area, &mut buf, &ui, &s, "n seed");
        let text = buffer_text(&buf);
        let rows: Vec<&str> = text.lines().collect();
        assert!(rows[3].contains("seed") && rows[3].contains("42"), "{text}");
        assert!(rows[4].contains("n seed"), "{text}");
        assert!(list.click(5, 2));
        assert_eq!(list.focus(), Knob::Beta);
    }
}
