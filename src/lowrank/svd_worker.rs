//! The completion's full SVD in a child process, so that stale work stops at once.
//!
//! After an input's first view the Low-rank tab completes its decomposition: every singular
//! value, then every vector ([`partial::complete_values`], [`partial::complete`]). Each is one
//! call into faer's SVD, which has no cancellation hook: on a thread, a stale completion of a
//! 4096×4096 input would go on for up to half a minute on one core, holding over a gigabyte.
//! The interactive app therefore runs each stage in a child process, `dlscope svd-worker` (this
//! same binary, a hidden subcommand). Abandoning the work (a new input, quitting) kills the child:
//! the job thread checks its [`Cancel`] every [`POLL`] while it waits, so stale work ends within
//! that interval and its core and memory return to the system at once. The child also watches
//! its standard input, which the parent keeps open: if the parent dies without killing it, the
//! pipe closes and the child exits ([`EXIT_ABANDONED`]) instead of finishing.
//!
//! The child computes what the thread would ([`partial::complete_values`], and faer's thin SVD
//! as in [`partial::complete`]), but the full SVD on every core ([`parallelism_for`]) at a lower
//! priority ([`NICENESS`]): it is killed rather than left running when stale, so it may use both
//! cores while the app, which comes first, is idle. The tests compare both paths bit for bit
//! (below 640×640, where both run on one thread). If the child cannot be started (no executable
//! at hand, a process limit) the caller computes on its own thread, on one core.
//!
//! # Protocol (all integers and floats little-endian)
//!
//! * Request, on the child's stdin: the 8 bytes [`MAGIC`], the stage (one byte: 0 values,
//!   1 vectors), rows and cols (u64 each), then rows·cols f64 in row-major order. The parent
//!   keeps stdin open until it has the reply.
//! * Reply, on its stdout: one status byte. 0: k = min(rows, cols) singular values (f64,
//!   descending), and for stage 1 then U (rows×k) and V (cols×k), each column after column.
//!   1: the SVD did not converge. 2: a non-finite entry at (row, col), two u64. 3: σ₁ is beyond
//!   the largest f64.

use std::io::{self, BufWriter, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use ndarray::{Array2, ArrayView2, ShapeBuilder};

use crate::jobs::Cancel;
pub use crate::lowrank::model::partial::WorkerError;
use crate::lowrank::model::partial::{self, PartialError};
use crate::lowrank::model::{Svd, parallelism_for, thin_svd_with};

/// The hidden subcommand that runs the child's side ([`serve_stdio`]).
pub const SUBCOMMAND: &str = "svd-worker";

/// The first bytes of a request: a request from another version is refused.
pub const MAGIC: &[u8; 8] = b"DLSVD\x00\x00\x01";

/// How often the parent looks at its [`Cancel`] while the child computes.
pub const POLL: Duration = Duration::from_millis(20);

/// The child's exit status for a request it could not read.
pub const EXIT_BAD_REQUEST: i32 = 3;

/// The child's exit status when its parent closed the pipe before the answer was written.
pub const EXIT_ABANDONED: i32 = 4;

/// How much the child lowers its own priority (nice(2)).
pub const NICENESS: i32 = 10;

/// Floats per read or write chunk (512 KiB).
const CHUNK: usize = 1 << 16;

/// Which stage of the completion to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// All singular values, descending.
    Values,
    /// The full thin SVD.
    Vectors,
}

/// A stage's result.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Values(Vec<f64>),
    Vectors(Svd),
}

/// Computes `stage` of `x` in a child process started from `exe` (this binary), killing it as
/// soon as `cancel` says the work is stale. `Err` only if the child could not be started: the
/// caller may then compute on its own thread. `heartbeat` is called every [`POLL`] while the
/// child computes (to redraw an elapsed time, say).
pub fn run(
    exe: &Path,
    x: ArrayView2<f64>,
    stage: Stage,
    cancel: &Cancel,
    heartbeat: &mut dyn FnMut(),
) -> io::Result<Result<Answer, PartialError>> {
    let (m, n) = x.dim();
    if m == 0 || n == 0 {
        return Ok(Err(PartialError::Empty { rows: m, cols: n }));
    }
    if let Some(((row, col), _)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Ok(Err(PartialError::NonFinite { row, col }));
    }
    if cancel.is_cancelled() {
        return Ok(Err(PartialError::Cancelled));
    }
    let mut child = Running(
        Command::new(exe)
            .arg(SUBCOMMAND)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?,
    );
    Ok(child.ask(x, stage, cancel, heartbeat))
}

/// A child that is killed and reaped when dropped, whatever happened.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Running {
    fn ask(
        &mut self,
        x: ArrayView2<f64>,
        stage: Stage,
        cancel: &Cancel,
        heartbeat: &mut dyn FnMut(),
    ) -> Result<Answer, PartialError> {
        let (Some(mut stdin), Some(stdout)) = (self.0.stdin.take(), self.0.stdout.take()) else {
            return Err(self.died());
        };
        match write_request(&mut stdin, x, stage, Some(cancel)) {
            Ok(true) => {}
            Ok(false) => return Err(PartialError::Cancelled),
            Err(_) => return Err(self.died()),
        }
        // The answer is read on a thread of its own, so this one can kill the child when the
        // work goes stale; killing closes the pipe and ends that read too.
        let (m, n) = x.dim();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut stdout = stdout;
            let _ = tx.send(read_answer(&mut stdout, m, n, stage));
        });
        let answer = loop {
            if cancel.is_cancelled() {
                let _ = self.0.kill();
                break Err(PartialError::Cancelled);
            }
            match rx.recv_timeout(POLL) {
                Ok(answer) => break answer,
                Err(mpsc::RecvTimeoutError::Timeout) => heartbeat(),
                Err(mpsc::RecvTimeoutError::Disconnected) => break Err(self.died()),
            }
        };
        let _ = reader.join();
        drop(stdin);
        match answer {
            Err(PartialError::Worker(WorkerError::Garbled)) => {
                // A short answer: did the child die (out of memory, killed)?
                match self.0.try_wait() {
                    Ok(Some(_)) => Err(self.died()),
                    _ => Err(PartialError::Worker(WorkerError::Garbled)),
                }
            }
            other => other,
        }
    }

    /// How the child ended (waiting for it if it has not yet).
    fn died(&mut self) -> PartialError {
        let status = self.0.wait().ok().and_then(|s| s.code());
        PartialError::Worker(WorkerError::Died { status })
    }
}

/// Writes a request. `Ok(false)` if `cancel` went stale before it was all written.
pub fn write_request(
    out: &mut impl Write,
    x: ArrayView2<f64>,
    stage: Stage,
    cancel: Option<&Cancel>,
) -> io::Result<bool> {
    let (m, n) = x.dim();
    let mut header = Vec::with_capacity(25);
    header.extend_from_slice(MAGIC);
    header.push(match stage {
        Stage::Values => 0,
        Stage::Vectors => 1,
    });
    header.extend_from_slice(&(m as u64).to_le_bytes());
    header.extend_from_slice(&(n as u64).to_le_bytes());
    out.write_all(&header)?;
    let mut bytes = Vec::with_capacity(CHUNK * 8);
    let mut stale = false;
    let mut flush = |bytes: &mut Vec<u8>| -> io::Result<()> {
        out.write_all(bytes)?;
        bytes.clear();
        Ok(())
    };
    for v in x.iter() {
        bytes.extend_from_slice(&v.to_le_bytes());
        if bytes.len() == CHUNK * 8 {
            flush(&mut bytes)?;
            if cancel.is_some_and(Cancel::is_cancelled) {
                stale = true;
                break;
            }
        }
    }
    if stale {
        return Ok(false);
    }
    flush(&mut bytes)?;
    out.flush()?;
    Ok(true)
}

/// A request as the child reads it.
#[derive(Debug)]
pub struct Request {
    pub stage: Stage,
    pub matrix: Array2<f64>,
}

/// Reads a request; an error says what was wrong with it.
pub fn read_request(input: &mut impl Read) -> io::Result<Request> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    let mut magic = [0u8; 8];
    input.read_exact(&mut magic)?;
    if &magic != MAGIC {
        return Err(bad("not a dlscope SVD request of this version"));
    }
    let mut stage = [0u8; 1];
    input.read_exact(&mut stage)?;
    let stage = match stage[0] {
        0 => Stage::Values,
        1 => Stage::Vectors,
        _ => return Err(bad("unknown stage")),
    };
    let m = read_u64(input)?;
    let n = read_u64(input)?;
    let len = usize::try_from(m)
        .ok()
        .zip(usize::try_from(n).ok())
        .and_then(|(m, n)| m.checked_mul(n).map(|len| (m, n, len)))
        .filter(|&(_, _, len)| len.checked_mul(8).is_some());
    let Some((m, n, len)) = len else {
        return Err(bad("matrix too large"));
    };
    let mut data = vec![0.0; len];
    read_floats(input, &mut data)?;
    let matrix = Array2::from_shape_vec((m, n), data).map_err(|_| bad("bad shape"))?;
    Ok(Request { stage, matrix })
}

/// Computes a request's answer and writes it.
pub fn answer(request: &Request, out: &mut impl Write) -> io::Result<()> {
    write_answer(compute(request), out)
}

/// [`answer`] for the child's side: the request's matrix is freed as soon as the answer is
/// computed, so the m×n input is not held beside the vectors while they are written.
pub fn answer_owned(request: Request, out: &mut impl Write) -> io::Result<()> {
    let result = compute(&request);
    drop(request);
    write_answer(result, out)
}

/// A request's answer.
fn compute(request: &Request) -> Result<Answer, PartialError> {
    let never = Cancel::never();
    let x = request.matrix.view();
    match request.stage {
        Stage::Values => {
            let par = parallelism_for(x.len());
            partial::complete_values(x, &never, &mut |_| {}, &|| par).map(Answer::Values)
        }
        // Every thread: the child is killed, not left running, when its work goes stale.
        Stage::Vectors => thin_svd_with(x, parallelism_for(x.len()))
            .map(Answer::Vectors)
            .map_err(PartialError::from),
    }
}

/// Writes an answer (see the protocol in the module doc).
fn write_answer(result: Result<Answer, PartialError>, out: &mut impl Write) -> io::Result<()> {
    match result {
        Ok(Answer::Values(values)) => {
            out.write_all(&[0])?;
            write_floats(out, values.iter().copied())?;
        }
        Ok(Answer::Vectors(svd)) => {
            out.write_all(&[0])?;
            write_floats(out, svd.singular_values.iter().copied())?;
            // Column after column: `t()` of a column-major array iterates in memory order.
            write_floats(out, svd.u.t().iter().copied())?;
            write_floats(out, svd.v.t().iter().copied())?;
        }
        Err(PartialError::NonFinite { row, col }) => {
            out.write_all(&[2])?;
            out.write_all(&(row as u64).to_le_bytes())?;
            out.write_all(&(col as u64).to_le_bytes())?;
        }
        Err(PartialError::Overflow) => out.write_all(&[3])?,
        Err(_) => out.write_all(&[1])?,
    }
    out.flush()
}

/// Reads an answer to a request for `stage` of an m×n matrix.
pub fn read_answer(
    input: &mut impl Read,
    m: usize,
    n: usize,
    stage: Stage,
) -> Result<Answer, PartialError> {
    let garbled = |_| PartialError::Worker(WorkerError::Garbled);
    let mut status = [0u8; 1];
    input.read_exact(&mut status).map_err(garbled)?;
    match status[0] {
        0 => {}
        1 => return Err(PartialError::NoConvergence),
        2 => {
            let row = read_u64(input).map_err(garbled)? as usize;
            let col = read_u64(input).map_err(garbled)? as usize;
            return Err(PartialError::NonFinite { row, col });
        }
        3 => return Err(PartialError::Overflow),
        _ => return Err(PartialError::Worker(WorkerError::Garbled)),
    }
    let k = m.min(n);
    let mut values = vec![0.0; k];
    read_floats(input, &mut values).map_err(garbled)?;
    match stage {
        Stage::Values => Ok(Answer::Values(values)),
        Stage::Vectors => {
            let mut u = Array2::<f64>::zeros((m, k).f());
            let mut v = Array2::<f64>::zeros((n, k).f());
            for a in [&mut u, &mut v] {
                let Some(slice) = a.as_slice_memory_order_mut() else {
                    return Err(PartialError::Worker(WorkerError::Garbled));
                };
                read_floats(input, slice).map_err(garbled)?;
            }
            Ok(Answer::Vectors(Svd {
                u,
                singular_values: values,
                v,
            }))
        }
    }
}

/// The child's side: read the request from stdin, answer on stdout, exit early if the parent
/// closes stdin. Returns the exit status.
pub fn serve_stdio() -> i32 {
    let mut stdin = io::stdin();
    let request = match read_request(&mut stdin) {
        Ok(request) => request,
        Err(e) => {
            eprintln!("dlscope {SUBCOMMAND}: cannot read the request: {e}");
            return EXIT_BAD_REQUEST;
        }
    };
    // Below the app in priority: it may use both cores, but the app (and a new input's first
    // view) comes first.
    #[cfg(unix)]
    let _ = rustix::process::nice(NICENESS);
    // The parent keeps stdin open while it wants the answer: end of file means it is gone.
    std::thread::spawn(move || {
        let mut byte = [0u8; 64];
        loop {
            match stdin.read(&mut byte) {
                Ok(0) | Err(_) => std::process::exit(EXIT_ABANDONED),
                Ok(_) => {}
            }
        }
    });
    let mut out = BufWriter::with_capacity(1 << 20, io::stdout().lock());
    match answer_owned(request, &mut out) {
        Ok(()) => 0,
        Err(_) => EXIT_ABANDONED,
    }
}

fn read_u64(input: &mut impl Read) -> io::Result<u64> {
    let mut bytes = [0u8; 8];
    input.read_exact(&mut bytes)?;
    Ok(u64::from_le_bytes(bytes))
}

fn read_floats(input: &mut impl Read, dest: &mut [f64]) -> io::Result<()> {
    let mut bytes = vec![0u8; CHUNK.min(dest.len()) * 8];
    for part in dest.chunks_mut(CHUNK) {
        let bytes = &mut bytes[..part.len() * 8];
        input.read_exact(bytes)?;
        for (v, b) in part.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut le = [0u8; 8];
            le.copy_from_slice(b);
            *v = f64::from_le_bytes(le);
        }
    }
    Ok(())
}

fn write_floats(out: &mut impl Write, values: impl Iterator<Item = f64>) -> io::Result<()> {
    let mut bytes = Vec::with_capacity(CHUNK * 8);
    for v in values {
        bytes.extend_from_slice(&v.to_le_bytes());
        if bytes.len() == CHUNK * 8 {
            out.write_all(&bytes)?;
            bytes.clear();
        }
    }
    out.write_all(&bytes)
}

#[cfg(test)]
mod tests;
