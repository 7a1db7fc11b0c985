//! The lab's state as plain lines (what the copy key and `snapshot --readout` give): the
//! preset, the settings, and per run the figures of its status line and the note.

use strum::IntoEnumIterator;

use super::render::{run_label, status_text};
use super::{Control, TrainTab, notes};
use crate::components::controls::ControlSet;

impl TrainTab {
    pub(super) fn readout_text(&self) -> String {
        let lab = &self.lab;
        let settings: Vec<String> = Control::iter()
            .map(|c| format!("{} {}", lab.label(c), lab.value(c)))
            .collect();
        let state = if self.playing { "training" } else { "paused" };
        let mut out = vec![
            format!("Training lab: preset {}, {state}", self.preset.name()),
            format!(
                "settings: {}, activation {}, seed {}",
                settings.join(", "),
                lab.activation.name(),
                lab.seed
            ),
            format!("chosen control: {}", lab.label(self.selected())),
            format!(
                "baseline loss {}",
                crate::numfmt::general(lab.task.baseline_loss(), 3)
            ),
        ];
        let histories = self.histories();
        let findings = notes::findings(lab, &histories);
        for (i, run) in self.runs.iter().enumerate() {
            out.push(format!("run {} {}", i + 1, status_text(self, i)));
            if let Some(Some(k)) = findings.rescaled.get(i) {
                out.push(format!(
                    "run {} {}: norm clipping rescaled the gradient in {k} of {} iterations",
                    i + 1,
                    run_label(self, i),
                    run.history.len()
                ));
            }
        }
        out.extend(notes::note(lab, &histories));
        out.join("\n")
    }
}
