//! Why a cancellable decomposition gave no result: the leading triplets ([`super::partial`]),
//! the bidiagonalisation ([`super::bidiag`]) and the completion, wherever it runs.

use std::fmt;

use super::SvdError;

/// Why the leading triplets (or the completion) gave no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartialError {
    /// The matrix has no entries.
    Empty { rows: usize, cols: usize },
    /// An entry was NaN or infinite.
    NonFinite { row: usize, col: usize },
    /// The request became stale (a newer input, rank or quitting) and was abandoned.
    Cancelled,
    /// A small SVD inside (or faer's full SVD in the completion) did not converge.
    NoConvergence,
    /// σ₁ is beyond the largest f64 (the entries were scaled, the result cannot be).
    Overflow,
    /// The child process computing the completion gave no answer.
    Worker(WorkerError),
}

impl fmt::Display for PartialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartialError::Empty { rows, cols } => {
                write!(f, "cannot decompose an empty {rows}×{cols} matrix")
            }
            PartialError::NonFinite { row, col } => write!(
                f,
                "cannot decompose: entry at row {}, column {} is not a finite number",
                row + 1,
                col + 1
            ),
            PartialError::Cancelled => f.write_str("abandoned: a newer request replaced it"),
            PartialError::NoConvergence => {
                f.write_str("the singular value decomposition did not converge")
            }
            PartialError::Overflow => write!(f, "{}", SvdError::Overflow),
            PartialError::Worker(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for PartialError {}

impl From<SvdError> for PartialError {
    fn from(e: SvdError) -> Self {
        match e {
            SvdError::NonFinite { row, col } => PartialError::NonFinite { row, col },
            SvdError::NoConvergence | SvdError::ShapeMismatch { .. } => PartialError::NoConvergence,
            SvdError::Overflow => PartialError::Overflow,
        }
    }
}

/// Why the process computing the completion gave no answer (beyond the SVD's own errors, which
/// come back as themselves). The completion runs in a child process in the app
/// (`crate::lowrank::svd_worker`), which reports its failures as this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerError {
    /// It ended before a whole answer: exit status, or `None` if a signal ended it.
    Died { status: Option<i32> },
    /// Its answer did not follow the protocol.
    Garbled,
}

impl fmt::Display for WorkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkerError::Died { status: Some(code) } => write!(
                f,
                "the SVD worker process stopped (exit status {code}) before it answered"
            ),
            WorkerError::Died { status: None } => f.write_str(
                "the SVD worker process was stopped by a signal (out of memory?) before it answered",
            ),
            WorkerError::Garbled => f.write_str("the SVD worker process answered garbage"),
        }
    }
}

impl std::error::Error for WorkerError {}
