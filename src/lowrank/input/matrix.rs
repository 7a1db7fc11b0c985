//! Data matrices: 2-D float32/float64 `.npy` arrays and numeric CSV files, taken whole (never
//! resampled) if their float64 copy fits the byte limit, refused with their real size if not.

use ndarray::{Array2, ArrayView2};
use ndarray_npy::{ReadNpyError, ReadNpyExt};

use super::Problem;

/// Bytes a rows×cols float64 matrix takes (u128: a header may announce any size).
pub(super) fn matrix_bytes(rows: usize, cols: usize) -> u128 {
    rows as u128 * cols as u128 * 8
}

/// Refuses a rows×cols matrix whose float64 copy is larger than `max_bytes`.
pub(super) fn check_size(rows: usize, cols: usize, max_bytes: u64) -> Result<(), Problem> {
    if matrix_bytes(rows, cols) > u128::from(max_bytes) {
        return Err(Problem::MatrixTooLarge {
            rows,
            cols,
            limit: max_bytes,
        });
    }
    Ok(())
}

/// The refusal of a `.npy` file whose header (in `head`, the file's first bytes) announces a
/// float32/float64 matrix too large for `max_bytes`: found before the rest is read. `None` if
/// the header is not all in `head`, or does not parse, or announces anything else (the full
/// read says what).
pub(super) fn npy_too_large(head: &[u8], max_bytes: u64) -> Option<Problem> {
    let mut rest = head;
    let header = ndarray_npy::npy::header::Header::from_reader(&mut rest).ok()?;
    let descr = header.type_descriptor.to_string();
    let kind = descr.trim_matches(['\'', '"']);
    if header.shape.len() != 2 || !matches!(kind, "<f8" | ">f8" | "=f8" | "<f4" | ">f4" | "=f4") {
        return None;
    }
    check_size(header.shape[0], header.shape[1], max_bytes).err()
}

/// Read a 2-D float32/float64 `.npy` array, checking its header before allocating.
pub(super) fn load_npy(bytes: &[u8], max_bytes: u64) -> Result<Array2<f64>, Problem> {
    let mut rest = bytes;
    let header = ndarray_npy::npy::header::Header::from_reader(&mut rest)
        .map_err(|e| Problem::CorruptNpy(e.to_string()))?;
    if header.shape.len() != 2 {
        return Err(Problem::NotAMatrix {
            ndim: header.shape.len(),
        });
    }
    let (rows, cols) = (header.shape[0], header.shape[1]);
    if rows == 0 || cols == 0 {
        return Err(Problem::Empty { rows, cols });
    }
    // Only float32 and float64 are read: any other element type (bool, integers, complex…) is
    // named as such before the size check below, which assumes 4-byte elements.
    let descr = header.type_descriptor.to_string();
    let kind = descr.trim_matches(['\'', '"']);
    if !matches!(kind, "<f8" | ">f8" | "=f8" | "<f4" | ">f4" | "=f4") {
        return Err(Problem::UnsupportedElement(descr));
    }
    check_size(rows, cols, max_bytes)?;
    // Every supported element takes at least 4 bytes: a header promising more than the file
    // holds is caught here, before the reader allocates room for it.
    if rows as u128 * cols as u128 * 4 > rest.len() as u128 {
        return Err(Problem::CorruptNpy(format!(
            "the header announces {rows}×{cols} entries but only {} bytes of data follow",
            rest.len()
        )));
    }
    let matrix = match Array2::<f64>::read_npy(bytes) {
        Ok(matrix) => matrix,
        Err(ReadNpyError::WrongDescriptor(_)) => match Array2::<f32>::read_npy(bytes) {
            Ok(matrix) => matrix.mapv(f64::from),
            Err(ReadNpyError::WrongDescriptor(descr)) => {
                return Err(Problem::UnsupportedElement(descr.to_string()));
            }
            Err(e) => return Err(npy_problem(e)),
        },
        Err(e) => return Err(npy_problem(e)),
    };
    check_finite(matrix.view())?;
    Ok(matrix)
}

fn npy_problem(e: ReadNpyError) -> Problem {
    match e {
        ReadNpyError::WrongNdim(_, ndim) => Problem::NotAMatrix { ndim },
        ReadNpyError::MissingData => {
            Problem::CorruptNpy("the data is shorter than the header says".to_string())
        }
        other => Problem::CorruptNpy(other.to_string()),
    }
}

fn check_finite(matrix: ArrayView2<f64>) -> Result<(), Problem> {
    match matrix.indexed_iter().find(|(_, v)| !v.is_finite()) {
        Some(((i, j), &value)) => Err(Problem::NonFinite {
            row: i + 1,
            col: j + 1,
            value,
        }),
        None => Ok(()),
    }
}

/// Read a numeric CSV file (see the module documentation for the header rule). Once the matrix
/// is too large for `max_bytes` its values are dropped and only its rows counted to the end of
/// the file, so the refusal names its real size.
pub(super) fn load_csv(bytes: &[u8], max_bytes: u64) -> Result<Array2<f64>, Problem> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut values = Vec::new();
    let mut too_large = false;
    let mut width: Option<usize> = None;
    let mut data_rows = 0usize;
    for (index, record) in reader.records().enumerate() {
        let row = index + 1;
        let record = record.map_err(|e| csv_problem(&e, row))?;
        match width {
            None => width = Some(record.len()),
            Some(expected) if record.len() != expected => {
                return Err(Problem::Ragged {
                    row,
                    found: record.len(),
                    expected,
                });
            }
            Some(_) => {}
        }
        if index == 0 && record.iter().all(|cell| cell.parse::<f64>().is_err()) {
            continue;
        }
        data_rows += 1;
        if !too_large && check_size(data_rows, record.len(), max_bytes).is_err() {
            // Only the rows are counted from here on.
            too_large = true;
            values = Vec::new();
        }
        if too_large {
            continue;
        }
        for (j, cell) in record.iter().enumerate() {
            let value: f64 = cell.parse().map_err(|_| Problem::NotANumber {
                row,
                col: j + 1,
                cell: shorten(cell),
            })?;
            if !value.is_finite() {
                return Err(Problem::NonFinite {
                    row,
                    col: j + 1,
                    value,
                });
            }
            values.push(value);
        }
    }
    let cols = width.unwrap_or(0);
    if data_rows == 0 || cols == 0 {
        return Err(Problem::Empty {
            rows: data_rows,
            cols,
        });
    }
    check_size(data_rows, cols, max_bytes)?;
    Array2::from_shape_vec((data_rows, cols), values)
        .map_err(|e| Problem::Csv(format!("inconsistent shape: {e}")))
}

fn csv_problem(e: &csv::Error, row: usize) -> Problem {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => Problem::Csv(format!("row {row} is not UTF-8 text")),
        csv::ErrorKind::Io(io) => Problem::Unreadable(io.to_string()),
        _ => Problem::Csv(e.to_string()),
    }
}

/// A cell quoted in an error message, cut to 40 characters.
fn shorten(cell: &str) -> String {
    const LIMIT: usize = 40;
    if cell.chars().count() <= LIMIT {
        cell.to_string()
    } else {
        let mut short: String = cell.chars().take(LIMIT).collect();
        short.push('…');
        short
    }
}
