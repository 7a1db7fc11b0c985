//! The symmetry panel: the optimal factors A* = U_r Σ_r^{1/2}, B* = Σ_r^{1/2} V_rᵀ moved by an
//! invertible G, an orthogonal Q or a scale e, their product unchanged. The readout is computed
//! on a worker for the decomposition, rank and transform shown.

use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::StdRng;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::jobs::Ready;
use super::pipeline::Pipeline;
use super::render::{
    below, draw_note, fit_note, inner, put_lines, put_wrapped, rounding_bound, rows_used,
    small_or_bound,
};
use super::{Act, Taken, Work, key_of, notes, take};
use crate::components::scroll::ScrollText;
use crate::components::worker::WorkerPanel;
use crate::controls::Cycle;
use crate::jobs::{Waker, Worker};
use crate::lowrank::model::symmetry::{self, SymmetryReadout};
use crate::lowrank::model::{Decomposition, Factors};
use crate::numfmt;
use crate::text::{self, spelled};
use crate::theme::Ui;

/// The scales e the panel cycles through.
pub const SCALES: [f64; 5] = [2.0, 0.5, -1.0, 10.0, 0.1];

/// The kinds of symmetry the panel shows, in the order `g` steps through them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymmetryKind {
    General,
    Orthogonal,
    Scale,
}

impl Cycle for SymmetryKind {
    const ALL: &'static [Self] = &[
        SymmetryKind::General,
        SymmetryKind::Orthogonal,
        SymmetryKind::Scale,
    ];
}

/// A symmetry applied to the optimal factors.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Transform {
    /// A = A*G, B = G⁻¹B* with an invertible G drawn from this seed.
    General { seed: u64 },
    /// A = A*Q, B = QᵀB* with an orthogonal Q drawn from this seed.
    Orthogonal { seed: u64 },
    /// A = eA*, B = B*/e.
    Scale { e: f64 },
}

/// What a readout is for: the decomposition shown (its serial), the rank, the transform.
type Wanted = (u64, usize, Transform);

pub(super) struct SymmetryJob {
    wanted: Wanted,
    decomposition: Arc<Decomposition>,
}

/// A symmetry readout and what it was computed for.
pub(super) struct SymmetryView {
    pub(super) wanted: Wanted,
    pub(super) transform: Transform,
    pub(super) readout: Option<SymmetryReadout>,
}

/// The readout of `transform` at `rank` on `decomposition` (serial 0), as the worker computes it.
#[cfg(test)]
pub(super) fn view_of(
    decomposition: &Arc<Decomposition>,
    rank: usize,
    transform: Transform,
) -> SymmetryView {
    symmetry_view(SymmetryJob {
        wanted: (0, rank, transform),
        decomposition: Arc::clone(decomposition),
    })
}

fn symmetry_view(job: SymmetryJob) -> SymmetryView {
    let (_, rank, transform) = job.wanted;
    let optimal = Factors::optimal(&job.decomposition.svd, rank);
    let transformed = match transform {
        Transform::General { seed } => {
            let mut rng = StdRng::seed_from_u64(seed);
            let g = symmetry::random_invertible(optimal.rank(), &mut rng);
            symmetry::transform(&optimal, g.view())
        }
        Transform::Orthogonal { seed } => {
            let mut rng = StdRng::seed_from_u64(seed);
            let q = symmetry::random_orthogonal(optimal.rank(), &mut rng);
            symmetry::rotate(&optimal, q.view())
        }
        Transform::Scale { e } => symmetry::rescale(&optimal, e),
    };
    let readout = transformed.and_then(|transformed| {
        symmetry::compare(job.decomposition.matrix.view(), &optimal, &transformed)
    });
    SymmetryView {
        wanted: job.wanted,
        transform,
        readout,
    }
}

/// The symmetry panel's state.
pub(super) struct SymmetryPanel {
    pub(super) worker: WorkerPanel<SymmetryJob, SymmetryView>,
    kind: SymmetryKind,
    seed: u64,
    scale_index: usize,
    /// The readout last asked for; asked again only when it changes (or failed).
    requested: Option<Wanted>,
    pub(super) view: Option<SymmetryView>,
    /// The note under the readout.
    pub(super) note: ScrollText,
}

/// What the panel shows.
enum Body<'a> {
    /// No decomposition yet: the pipeline says why.
    Waiting,
    Failed(String),
    Computing,
    Shown(&'a SymmetryView),
}

impl SymmetryPanel {
    pub(super) fn new(waker: &Waker) -> Self {
        SymmetryPanel {
            worker: WorkerPanel::new(Worker::new(waker, symmetry_view), "symmetry"),
            kind: SymmetryKind::General,
            seed: 1,
            scale_index: 0,
            requested: None,
            view: None,
            note: ScrollText::new(),
        }
    }

    /// The symmetry shown.
    pub(super) fn transform(&self) -> Transform {
        match self.kind {
            SymmetryKind::General => Transform::General { seed: self.seed },
            SymmetryKind::Orthogonal => Transform::Orthogonal { seed: self.seed },
            SymmetryKind::Scale => Transform::Scale {
                e: SCALES[self.scale_index % SCALES.len()],
            },
        }
    }

    /// `n` a new G or Q, `g` the next kind, `e` the next scale.
    pub(super) fn act(&mut self, act: Act) {
        match act {
            Act::NewDraw => {
                if self.kind == SymmetryKind::Scale {
                    self.kind = SymmetryKind::General;
                }
                self.seed = self.seed.wrapping_add(1);
            }
            Act::NextSymmetry => self.kind = self.kind.next(),
            Act::Rescale if self.kind == SymmetryKind::Scale => {
                self.scale_index = (self.scale_index + 1) % SCALES.len();
            }
            Act::Rescale => {
                self.kind = SymmetryKind::Scale;
                self.scale_index = 0;
            }
            _ => {}
        }
    }

    /// Asks for the readout of the decomposition `serial` at `ready`'s rank, unless it is
    /// the one asked for last.
    pub(super) fn request(&mut self, serial: u64, ready: &Ready) {
        let wanted = (serial, ready.rank(), self.transform());
        if self.requested == Some(wanted) || !ready.decomposition.squares_in_range() {
            return;
        }
        self.requested = Some(wanted);
        self.worker.set_error(None);
        self.worker.submit(SymmetryJob {
            wanted,
            decomposition: Arc::clone(&ready.decomposition),
        });
    }

    /// Forgets the readouts of the last input.
    pub(super) fn clear(&mut self) {
        self.worker.abandon();
        self.worker.set_error(None);
        self.requested = None;
        self.view = None;
    }

    /// The readout for what `pipeline` shows now, if it has come.
    fn current(&self, pipeline: &Pipeline) -> Option<&SymmetryView> {
        let wanted = (pipeline.serial(), pipeline.rank()?, self.transform());
        self.view.as_ref().filter(|v| v.wanted == wanted)
    }

    fn body(&self, pipeline: &Pipeline) -> Body<'_> {
        let Some(ready) = pipeline.ready() else {
            return Body::Waiting;
        };
        if !ready.decomposition.squares_in_range() {
            let largest = ready.decomposition.largest_entry();
            return Body::Failed(notes::squares_out_of_range("The symmetry readout", largest));
        }
        if let Some(error) = self.worker.error() {
            return Body::Failed(format!("symmetry: {error}"));
        }
        match self.current(pipeline) {
            Some(view) => Body::Shown(view),
            None => Body::Computing,
        }
    }

    /// The readout's lines above the note, for an inside `width` columns wide.
    fn lines(view: &SymmetryView, ui: &Ui, width: u16) -> Vec<Line<'static>> {
        let unicode = ui.glyphs.unicode;
        let hint = |text: &str| Span::styled(spelled(text, unicode).into_owned(), ui.theme.hint);
        let number = |text: String| Span::styled(text, ui.theme.number);
        let mut lines = vec![Line::from(hint(&transform_text(view.transform)))];
        let Some(readout) = &view.readout else {
            lines.push(Line::styled(
                "rank 0: there are no factors to move",
                ui.theme.dim,
            ));
            return lines;
        };
        lines.push(Line::from(vec![
            hint("‖A−A*‖ "),
            number(numfmt::general(readout.a_distance, 4)),
            hint("  ‖B−B*‖ "),
            number(numfmt::general(readout.b_distance, 4)),
        ]));
        // Columns of COLUMN characters after the 8-character label: a space, then the number
        // right-aligned in the rest, so neighbours never touch.
        const COLUMN: usize = 9;
        let shown = (width.saturating_sub(8) as usize / COLUMN).max(1);
        let entries = |entries: &[symmetry::EntryChange], after: bool| {
            entries
                .iter()
                .take(shown)
                .map(|e| {
                    let v = if after { e.after } else { e.before };
                    let n = text::fit_number(v, 3, COLUMN - 1);
                    format!(" {n:>w$}", w = COLUMN - 1)
                })
                .collect::<String>()
        };
        lines.extend([
            Line::from(vec![
                hint("A* row 1"),
                number(entries(&readout.a_entries, false)),
            ]),
            Line::from(vec![
                hint("A  row 1"),
                number(entries(&readout.a_entries, true)),
            ]),
            Line::from(vec![
                hint("‖AB − A*B*‖_F "),
                number(rounding_bound(readout.product_change)),
            ]),
            Line::from(vec![
                hint("error change  "),
                number(rounding_bound(readout.error_change)),
            ]),
            Line::from(vec![
                hint("‖AᵀA − BBᵀ‖_F "),
                number(small_or_bound(readout.imbalance_before, readout.a_distance)),
                hint(" → "),
                number(small_or_bound(readout.imbalance_after, readout.a_distance)),
            ]),
        ]);
        lines
    }

    /// The note under a readout: what this transform did, from the readout's own numbers.
    pub(super) fn note_text(view: &SymmetryView, pipeline: &Pipeline) -> Option<String> {
        let readout = view.readout.as_ref()?;
        let scale = pipeline
            .ready()
            .map_or(1.0, |r| r.decomposition.total_energy().root());
        Some(notes::symmetry(&notes::SymmetryFacts::of(readout, scale)))
    }

    /// Where the note goes inside the panel at `area`, and its text, when a readout is shown.
    fn note_at(&self, area: Rect, ui: &Ui, pipeline: &Pipeline) -> Option<(Rect, String)> {
        let Body::Shown(view) = self.body(pipeline) else {
            return None;
        };
        let text = Self::note_text(view, pipeline)?;
        let inner = inner(area);
        let used = rows_used(Self::lines(view, ui, inner.width).len(), inner);
        Some((below(inner, used.saturating_add(1)), text))
    }

    /// Records the extent of the note in the panel at `area` (`None`: not shown).
    pub(super) fn fit_note(&mut self, area: Option<Rect>, ui: &Ui, pipeline: &Pipeline) {
        match area.and_then(|area| self.note_at(area, ui, pipeline)) {
            Some((at, text)) => fit_note(&mut self.note, Some(at), ui, &text),
            None => fit_note(&mut self.note, None, ui, ""),
        }
    }

    pub(super) fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui, pipeline: &Pipeline) {
        let title = format!(
            "symmetry ({}, {}, {})",
            key_of(Act::NewDraw, ui),
            key_of(Act::NextSymmetry, ui),
            key_of(Act::Rescale, ui)
        );
        let inner = crate::widgets::panel(area, buf, ui, &title, false);
        match self.body(pipeline) {
            Body::Waiting => pipeline.render_waiting(inner, buf, ui),
            Body::Failed(error) => put_wrapped(inner, buf, ui, &error, ui.theme.bad),
            Body::Computing => {
                let waiting = format!("computing{}", ui.glyphs.ellipsis);
                put_lines(inner, buf, ui, vec![Line::styled(waiting, ui.theme.warn)]);
            }
            Body::Shown(view) => {
                let used = put_lines(inner, buf, ui, Self::lines(view, ui, inner.width));
                if let Some(text) = Self::note_text(view, pipeline) {
                    let rest = below(inner, used.saturating_add(1));
                    draw_note(rest, buf, ui, &text, &self.note);
                }
            }
        }
    }

    /// The panel's figures for the readout: the symmetry and what it changes.
    pub(super) fn readout(&self, pipeline: &Pipeline) -> Vec<String> {
        let kind = match self.kind {
            SymmetryKind::General => "an invertible G",
            SymmetryKind::Orthogonal => "an orthogonal Q",
            SymmetryKind::Scale => "a scale e",
        };
        let mut out = vec![format!(
            "lower panel: symmetry by {kind}: {}",
            transform_text(self.transform())
        )];
        match self.body(pipeline) {
            Body::Waiting => {}
            Body::Failed(error) => out.push(error),
            Body::Computing => out.push("computing".into()),
            Body::Shown(view) => match &view.readout {
                None => out.push("rank 0: there are no factors to move".into()),
                Some(r) => {
                    let row = |after: bool| {
                        r.a_entries
                            .iter()
                            .map(|e| numfmt::general(if after { e.after } else { e.before }, 3))
                            .collect::<Vec<_>>()
                            .join(" ")
                    };
                    out.extend([
                        format!("‖A−A*‖ = {}", numfmt::general(r.a_distance, 4)),
                        format!("‖B−B*‖ = {}", numfmt::general(r.b_distance, 4)),
                        format!("A* row 1: {}", row(false)),
                        format!("A row 1: {}", row(true)),
                        format!("‖AB − A*B*‖_F {}", rounding_bound(r.product_change)),
                        format!("error change {}", rounding_bound(r.error_change)),
                        format!(
                            "‖AᵀA − BBᵀ‖_F {} → {}",
                            small_or_bound(r.imbalance_before, r.a_distance),
                            small_or_bound(r.imbalance_after, r.a_distance)
                        ),
                    ]);
                }
            },
        }
        out
    }
}

/// The transform in the panel's words.
fn transform_text(transform: Transform) -> String {
    match transform {
        Transform::General { seed } => format!("A = A*G, B = G⁻¹B* (G no. {seed})"),
        Transform::Orthogonal { seed } => format!("A = A*Q, B = QᵀB* (Q no. {seed})"),
        Transform::Scale { e } => format!("A = e A*, B = B*/e, e = {}", numfmt::general(e, 3)),
    }
}

impl Work for SymmetryPanel {
    fn poll(&mut self) -> bool {
        let taken = take(&mut self.worker, false);
        taken.map(|taken| self.accept(taken)).is_some()
    }

    fn settle_one(&mut self) -> bool {
        if !self.worker.busy() {
            return false;
        }
        let taken = take(&mut self.worker, true);
        taken.map(|taken| self.accept(taken)).is_some()
    }

    fn busy(&self) -> bool {
        self.worker.busy()
    }

    fn busy_label(&self) -> Option<String> {
        self.busy().then(|| "symmetry".to_string())
    }
}

impl SymmetryPanel {
    fn accept(&mut self, taken: Taken<SymmetryView>) {
        match taken {
            Taken::Result(view) => self.view = Some(view),
            // Asked again when next requested.
            Taken::Failed => self.requested = None,
        }
    }
}
