//! What the runs show, in words computed from their numbers. The tab and `dlscope train`
//! print the same note; the tests assert the numbers each sentence states.

pub use crate::train::findings::{Findings, findings, note, percent, times};
