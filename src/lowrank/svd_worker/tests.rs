//! The protocol, end to end in memory: what the child answers is what the thread computes, bit
//! for bit. (The child process itself is tested in `tests/svd_worker.rs`.)

use ndarray::Array2;

use super::*;
use crate::lowrank::model::gaussian_matrix;

/// The request as bytes, read back by the child's side, answered, and the answer read back.
fn through_the_protocol(x: &Array2<f64>, stage: Stage) -> Result<Answer, PartialError> {
    let mut request = Vec::new();
    assert!(write_request(&mut request, x.view(), stage, None).unwrap());
    assert_eq!(request.len(), 8 + 1 + 16 + 8 * x.len());
    let read = read_request(&mut request.as_slice()).unwrap();
    assert_eq!(read.stage, stage);
    // Bit for bit (a NaN sent is a NaN received).
    let bits = |a: &Array2<f64>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(read.matrix.dim(), x.dim());
    assert_eq!(bits(&read.matrix), bits(x));
    let mut reply = Vec::new();
    answer(&read, &mut reply).unwrap();
    let (m, n) = x.dim();
    read_answer(&mut reply.as_slice(), m, n, stage)
}

#[test]
fn values_and_vectors_arrive_bit_for_bit_as_computed_on_a_thread() {
    // Tall, wide and square; sizes that are not multiples of the chunk, and one over a chunk.
    for (m, n, seed) in [(37, 23, 1), (23, 37, 2), (300, 300, 3)] {
        let x = gaussian_matrix(m, n, seed);
        let never = Cancel::never();
        let values =
            partial::complete_values(x.view(), &never, &mut |_| {}, &|| faer::Par::Seq).unwrap();
        assert_eq!(
            through_the_protocol(&x, Stage::Values),
            Ok(Answer::Values(values))
        );
        let svd = partial::complete(x.view(), &never).unwrap();
        let Ok(Answer::Vectors(got)) = through_the_protocol(&x, Stage::Vectors) else {
            panic!("no vectors for {m}×{n}");
        };
        assert_eq!(got.singular_values, svd.singular_values);
        assert_eq!(got.u, svd.u);
        assert_eq!(got.v, svd.v);
        // Still the layout the rest of the tab expects: each vector one contiguous column.
        assert!(got.u.t().is_standard_layout() && got.v.t().is_standard_layout());
        // And an SVD: U diag(σ) Vᵀ gives X back.
        let scaled = &got.u * &ndarray::Array1::from(got.singular_values.clone());
        let back = scaled.dot(&got.v.t());
        let worst = (&back - &x).iter().fold(0.0f64, |a, d| a.max(d.abs()));
        assert!(worst < 1e-12, "{m}×{n}: reconstruction off by {worst:e}");
    }
}

#[test]
fn the_errors_of_the_svd_come_back_as_themselves() {
    let mut reply = vec![2u8];
    reply.extend_from_slice(&7u64.to_le_bytes());
    reply.extend_from_slice(&3u64.to_le_bytes());
    assert_eq!(
        read_answer(&mut reply.as_slice(), 10, 10, Stage::Values),
        Err(PartialError::NonFinite { row: 7, col: 3 })
    );
    assert_eq!(
        read_answer(&mut [1u8].as_slice(), 10, 10, Stage::Vectors),
        Err(PartialError::NoConvergence)
    );
    // A NaN sent anyway is named by the child, at the entry where it is.
    let mut x = gaussian_matrix(6, 5, 4);
    x[(4, 2)] = f64::NAN;
    assert_eq!(
        through_the_protocol(&x, Stage::Vectors),
        Err(PartialError::NonFinite { row: 4, col: 2 })
    );
}

#[test]
fn a_short_or_unknown_answer_is_garbled_not_a_result() {
    let x = gaussian_matrix(9, 7, 5);
    let mut request = Vec::new();
    write_request(&mut request, x.view(), Stage::Vectors, None).unwrap();
    let read = read_request(&mut request.as_slice()).unwrap();
    let mut reply = Vec::new();
    answer(&read, &mut reply).unwrap();
    for cut in [0, 1, 8, reply.len() - 1] {
        assert_eq!(
            read_answer(&mut &reply[..cut], 9, 7, Stage::Vectors),
            Err(PartialError::Worker(WorkerError::Garbled)),
            "cut at {cut} of {}",
            reply.len()
        );
    }
    assert_eq!(
        read_answer(&mut [9u8].as_slice(), 9, 7, Stage::Values),
        Err(PartialError::Worker(WorkerError::Garbled))
    );
}

#[test]
fn a_bad_request_is_refused_before_anything_is_allocated() {
    let x = gaussian_matrix(3, 3, 6);
    let mut request = Vec::new();
    write_request(&mut request, x.view(), Stage::Values, None).unwrap();
    // Another version.
    let mut other = request.clone();
    other[7] = 2;
    assert!(read_request(&mut other.as_slice()).is_err());
    // An unknown stage.
    let mut other = request.clone();
    other[8] = 5;
    assert!(read_request(&mut other.as_slice()).is_err());
    // A shape whose size overflows: refused, not a failed allocation.
    let mut other = request[..9].to_vec();
    other.extend_from_slice(&u64::MAX.to_le_bytes());
    other.extend_from_slice(&3u64.to_le_bytes());
    let err = read_request(&mut other.as_slice()).unwrap_err();
    assert!(err.to_string().contains("too large"), "{err}");
    // Cut short.
    assert!(read_request(&mut &request[..request.len() - 1]).is_err());
}

#[test]
fn a_request_stops_being_written_once_it_is_stale() {
    use crate::jobs::{Waker, Worker};
    use std::sync::mpsc;
    // A worker whose job waits until it is stale, then writes a request over a chunk long.
    let (started_tx, started_rx) = mpsc::channel();
    let (written_tx, written_rx) = mpsc::channel();
    let mut w = Worker::cancellable(
        &Waker::new(|| {}),
        move |x: Array2<f64>, cancel: &Cancel| {
            let _ = started_tx.send(());
            while !cancel.is_cancelled() {
                std::thread::yield_now();
            }
            let mut out = Vec::new();
            let whole = write_request(&mut out, x.view(), Stage::Values, Some(cancel)).unwrap();
            let _ = written_tx.send((whole, out.len()));
        },
    );
    let x = gaussian_matrix(3 * CHUNK / 100, 100, 7);
    w.submit(x.clone());
    started_rx.recv().unwrap();
    w.abandon();
    let (whole, len) = written_rx.recv().unwrap();
    assert!(!whole);
    // The header and one chunk, not the whole matrix.
    assert_eq!(len, 25 + 8 * CHUNK);
    assert!(len < 25 + 8 * x.len());
}

#[test]
fn the_worker_error_says_what_happened() {
    assert_eq!(
        PartialError::Worker(WorkerError::Died { status: Some(3) }).to_string(),
        "the SVD worker process stopped (exit status 3) before it answered"
    );
    assert!(
        WorkerError::Died { status: None }
            .to_string()
            .contains("signal")
    );
}
