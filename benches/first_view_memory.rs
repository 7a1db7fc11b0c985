//! Peak resident size of the first view, of every singular value (step 1 of the completion) and
//! of the full SVD (issue 12, goal 4), and of the release binary's processes (issue 20, item 14).
//!
//! `cargo bench --bench first_view_memory -- <side> <partial|partial-seq|values|full>` builds the side×side
//! photo-like input of benches/first_view.rs and prints VmHWM (peak RSS) from /proc/self/status
//! after building the input and after the computation. One process per measurement, so the
//! peaks do not mix.
//!
//! `cargo bench --bench first_view_memory -- <side> processes` writes the same input as an 8-bit
//! grey PNG to a temporary directory, then runs the release binary on it and samples
//! /proc/PID/status of every process involved ([`processes`]):
//!
//! 1. headless, `dlscope lowrank --input PNG --max-side SIDE --json`;
//! 2. the app, `dlscope --tab lowrank --input PNG --max-side SIDE`, in a pseudo-terminal of
//!    120×40 until the full SVD is done (its `svd-worker` child has come and gone and the tab
//!    bar no longer says "step 2 of 2"), together with that child.
//!
//! It also writes the matrix the binary decomposes (the PNG loaded by `dlscope::lowrank::input`)
//! as .npy beside the PNG, for `benches/svd_numpy_memory.py`, and prints that script's command.

#![allow(clippy::unwrap_used)] // benchmarks may fail loudly

#[path = "first_view_memory/processes.rs"]
mod processes;

use dlscope::jobs::Cancel;
use dlscope::lowrank::input::{Builtin, Source, load};
use dlscope::lowrank::model::partial::{Options, complete_values, leading, upscaled_photo};
use dlscope::lowrank::model::thin_svd;

fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let side: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(2048);
    let mode = args.get(1).map_or("partial", String::as_str);
    if mode == "processes" {
        processes::run(side);
        return;
    }
    let camera = load(&Source::Builtin(Builtin::Camera), 1024)
        .unwrap()
        .matrix;
    let x = upscaled_photo(camera.view(), side, side, 0.01, side as u64);
    drop(camera);
    let matrix_mib = (side * side * 8) as f64 / (1024.0 * 1024.0);
    let before = peak_mib();
    let start = std::time::Instant::now();
    match mode {
        "full" => {
            let svd = thin_svd(x.view()).unwrap();
            std::hint::black_box(&svd);
        }
        "values" => {
            // Step 1 of the completion: our bidiagonalisation and the Golub–Kahan eigenvalues.
            let par = dlscope::lowrank::model::parallelism_for(x.len());
            let values = complete_values(x.view(), &Cancel::never(), &mut |_| {}, &|| par).unwrap();
            std::hint::black_box(&values);
        }
        _ => {
            // "partial-seq": the products on one thread (Par::Seq) instead of the default pool.
            let options = if mode == "partial-seq" {
                Options {
                    par: faer::Par::Seq,
                    ..Options::for_rank(10)
                }
            } else {
                Options::for_rank(10)
            };
            let result = leading(x.view(), &options, &Cancel::never(), &mut |_| {}).unwrap();
            std::hint::black_box(&result);
        }
    }
    let elapsed = start.elapsed();
    let after = peak_mib();
    println!(
        "{side}x{side} {mode}: matrix {matrix_mib:.0} MiB, peak RSS {before:.0} MiB with the input, \
         {after:.0} MiB after ({:.1}x the matrix), {:.2} s",
        after / matrix_mib,
        elapsed.as_secs_f64()
    );
}
