//! The lab's state as plain lines (what the copy key and `snapshot --readout` give): the
//! preset, the settings, and per run the figures of its status line and the note.

use strum::IntoEnumIterator;

use super::render::status_text;
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
        for i in 0..self.runs.len() {
            out.push(format!("run {} {}", i + 1, status_text(self, i)));
        }
        out.extend(notes::note(lab, &histories));
        out.join("\n")
    }
}
