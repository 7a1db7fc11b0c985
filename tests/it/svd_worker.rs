//! The low-rank tab's completion in a child process (`dlscope svd-worker`), with the real
//! binary: the same numbers as on a thread, killed as soon as it is stale, gone when its parent
//! is.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};

use dlscope::jobs::{Cancel, Waker, Worker};
use dlscope::lowrank::model::gaussian_matrix;
use dlscope::lowrank::model::partial::{self, PartialError};
use dlscope::lowrank::svd_worker::{self, Answer, EXIT_ABANDONED, EXIT_BAD_REQUEST, Stage};
use ndarray::Array2;

use crate::common;

/// The tests here count this process's children: one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn exe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_dlscope"))
}

/// `dlscope svd-worker` with piped stdin and stdout.
fn spawn_worker(stderr: Stdio) -> std::process::Child {
    Command::new(exe())
        .arg(svd_worker::SUBCOMMAND)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

#[test]
fn the_child_computes_what_the_thread_computes_bit_for_bit() {
    let _serial = serial();
    let never = Cancel::never();
    for (m, n, seed) in [(210, 150, 1), (150, 210, 2)] {
        let x = gaussian_matrix(m, n, seed);
        let values = svd_worker::run(exe(), x.view(), Stage::Values, &never, &mut || {}).unwrap();
        assert_eq!(
            values,
            Ok(Answer::Values(
                partial::complete_values(x.view(), &never, &mut |_| {}, &|| faer::Par::Seq)
                    .unwrap()
            ))
        );
        let vectors = svd_worker::run(exe(), x.view(), Stage::Vectors, &never, &mut || {}).unwrap();
        assert_eq!(
            vectors,
            Ok(Answer::Vectors(
                partial::complete(x.view(), &never).unwrap()
            ))
        );
    }
}

#[test]
fn bad_entries_are_refused_without_a_child() {
    let _serial = serial();
    let mut x = gaussian_matrix(4, 4, 3);
    x[(1, 2)] = f64::INFINITY;
    // A path that cannot be started: the answer comes before any attempt to start it.
    let nowhere = Path::new("/nonexistent/dlscope");
    assert_eq!(
        svd_worker::run(
            nowhere,
            x.view(),
            Stage::Values,
            &Cancel::never(),
            &mut || {}
        )
        .unwrap(),
        Err(PartialError::NonFinite { row: 1, col: 2 })
    );
    // A finite matrix needs the child: starting it fails, so the caller can compute itself.
    assert!(
        svd_worker::run(
            nowhere,
            gaussian_matrix(4, 4, 4).view(),
            Stage::Values,
            &Cancel::never(),
            &mut || {}
        )
        .is_err()
    );
}

/// The ids of this process's children that run `svd-worker`.
#[cfg(target_os = "linux")]
fn svd_children() -> Vec<u32> {
    common::svd_children_of(std::process::id())
        .into_iter()
        .map(|(pid, _)| pid)
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn stale_work_is_killed_not_waited_for() {
    // A 2048×2048 full SVD takes seconds of one core; the job is abandoned as soon as its
    // child exists, and must come back Cancelled with the child gone.
    let _serial = serial();
    let (tx, rx) = mpsc::channel();
    let beats = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&beats);
    let mut worker = Worker::cancellable(
        &Waker::new(|| {}),
        move |x: Array2<f64>, cancel: &Cancel| {
            let mut heartbeat = || {
                counter.fetch_add(1, Ordering::SeqCst);
            };
            let outcome = svd_worker::run(exe(), x.view(), Stage::Vectors, cancel, &mut heartbeat)
                .map(|answer| answer.map(|_| ()));
            let _ = tx.send(outcome.map_err(|e| e.to_string()));
        },
    );
    let before = svd_children();
    worker.submit(gaussian_matrix(2048, 2048, 5));
    // Three heartbeats: the request is written and the parent is waiting on the child.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while beats.load(Ordering::SeqCst) < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "the parent never waited on its child"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let children: Vec<u32> = svd_children()
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect();
    assert_eq!(children.len(), 1, "{children:?}");
    let child = children[0];
    // It runs below the app in priority (nice is field 19 of /proc/PID/stat). It lowers its
    // own priority once it has read the request, so wait for that.
    let niceness = || {
        let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(16)?.parse::<i32>().ok())
    };
    while niceness() != Some(svd_worker::NICENESS) {
        assert!(
            std::time::Instant::now() < deadline,
            "the child never lowered its priority: {:?}",
            niceness()
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    worker.abandon();
    let outcome = rx.recv().expect("the job answers");
    assert_eq!(outcome, Ok(Err(PartialError::Cancelled)));
    // `run` reaps its child before it returns: it is not running, nor a zombie.
    assert!(
        !svd_children().contains(&child),
        "child {child} is still there"
    );
}

#[test]
fn a_child_whose_parent_is_gone_stops_instead_of_finishing() {
    let _serial = serial();
    // The request is written, then the pipe closed, as when the app exits without killing it.
    let mut child = spawn_worker(Stdio::null());
    let x = gaussian_matrix(2048, 2048, 6);
    let mut stdin = child.stdin.take().unwrap();
    svd_worker::write_request(&mut stdin, x.view(), Stage::Vectors, None).unwrap();
    drop(stdin);
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    let status = child.wait().unwrap();
    // It did not finish the seconds-long SVD and answer: it saw the closed pipe and left.
    assert_eq!(status.code(), Some(EXIT_ABANDONED));
    assert!(out.is_empty(), "{} bytes of answer", out.len());
}

#[test]
fn a_bad_request_is_one_line_and_a_non_zero_status() {
    let _serial = serial();
    let mut child = spawn_worker(Stdio::piped());
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"not a request at all")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(EXIT_BAD_REQUEST));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("svd-worker: cannot read the request"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn the_subcommand_is_not_in_the_help() {
    let _serial = serial();
    let output = Command::new(exe()).arg("--help").output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(!help.contains("svd-worker"), "{help}");
    assert!(help.contains("snapshot"));
}
