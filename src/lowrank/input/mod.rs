//! Turning an input into the matrix X: a built-in image or matrix, an image file (PNG, JPEG,
//! PGM/PPM), a 2-D `.npy` array (float32 or float64) or a numeric CSV file.
//!
//! - Pictures become grey levels in [0, 1]: colour is mixed as luma 0.299 R + 0.587 G + 0.114 B
//!   in floating point (no rounding), then divided by 255 (8-bit) or 65535 (16-bit). Alpha is
//!   ignored. A picture with a side longer than `max_side` is shrunk by area averaging (each
//!   output cell is the mean of the input over the area it covers, with fractional overlaps
//!   weighted exactly), keeping the aspect ratio; [`Loaded::downscaled_from`] records the
//!   original size.
//! - Data matrices (`.npy`, CSV, the synthetic built-in) are never resampled: they are taken
//!   whole if their float64 copy fits `max_bytes`, and refused with their size otherwise.
//! - CSV: comma-separated, cells trimmed. The first row is a header (and skipped) only when none
//!   of its cells is a number; otherwise every cell must be a number. Rows are counted from 1
//!   including the header row, so an error's row is the file's record number.
//! - Sizes are checked before anything large is allocated: the file size, the image header's
//!   dimensions and the `.npy` header's shape.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ndarray::Array2;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

use super::model::orthonormal_columns;
use crate::numfmt::group_thousands;

mod matrix;
mod picture;
mod resize;

#[cfg(test)]
use resize::overlaps;
pub use resize::{area_average, fitted_shape};

/// The default limit on either side of a picture: larger pictures are downscaled.
pub const DEFAULT_MAX_SIDE: usize = 1024;
/// The default limit on a data matrix's size as float64: 4096×4096 entries (134,217,728 bytes).
pub const DEFAULT_MAX_BYTES: u64 = 4096 * 4096 * 8;
/// Files larger than this many times the matrix limit are refused before being read: room for
/// a CSV's text, which spends some 20 bytes on a number that takes 8 as float64.
pub const FILE_BYTES_PER_MATRIX_BYTE: u64 = 4;
/// Decoded images larger than this (in bytes of pixels) are refused before decoding.
pub const MAX_DECODED_BYTES: u64 = 256 * 1024 * 1024;
/// Images wider or taller than this are refused from their header.
pub const MAX_IMAGE_SIDE: u32 = 16384;

/// How large an input may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A picture with a longer side is shrunk to this (at least 1).
    pub max_side: usize,
    /// A data matrix whose float64 copy takes more bytes is refused; files larger than
    /// [`FILE_BYTES_PER_MATRIX_BYTE`] times this are refused before being read.
    pub max_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_side: DEFAULT_MAX_SIDE,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

impl Limits {
    /// The largest file read: [`FILE_BYTES_PER_MATRIX_BYTE`] × `max_bytes`.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_bytes.saturating_mul(FILE_BYTES_PER_MATRIX_BYTE)
    }
}

static CAMERA_PNG: &[u8] = include_bytes!("../../../assets/camera.png");
static ASTRONAUT_PNG: &[u8] = include_bytes!("../../../assets/astronaut.png");

/// Size of the synthetic matrix.
pub const SYNTHETIC_SHAPE: (usize, usize) = (256, 192);
/// Singular values of the synthetic matrix's rank-5 part.
pub const SYNTHETIC_SINGULAR_VALUES: [f64; 5] = [50.0, 40.0, 30.0, 20.0, 10.0];
/// Standard deviation of the synthetic matrix's Gaussian noise. The noise's largest singular
/// value is about NOISE_STD (√m + √n) ≈ 0.6, far below σ₅ = 10.
pub const SYNTHETIC_NOISE_STD: f64 = 0.02;
const SYNTHETIC_SEED: u64 = 20_240_205;

/// A picture that fits the side limit, and its original (rows, cols) if it had to be shrunk.
pub type Fitted = (Array2<f64>, Option<(usize, usize)>);

/// The inputs that ship with the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::EnumIter)]
pub enum Builtin {
    /// A 512×512 grey photograph (scikit-image's `camera`).
    Camera,
    /// A 512×512 colour photograph (scikit-image's `astronaut`), converted to luma.
    Astronaut,
    /// A 256×192 matrix of rank 5 plus small Gaussian noise.
    Synthetic,
}

impl Builtin {
    /// Every built-in, in menu order.
    pub const ALL: [Builtin; 3] = [Builtin::Camera, Builtin::Astronaut, Builtin::Synthetic];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Camera => "camera",
            Builtin::Astronaut => "astronaut",
            Builtin::Synthetic => "synthetic",
        }
    }

    /// One line saying what the input is.
    pub fn description(self) -> &'static str {
        match self {
            Builtin::Camera => "photograph, 512×512 grey",
            Builtin::Astronaut => "photograph, 512×512 colour as luma",
            Builtin::Synthetic => "rank 5 plus noise, 256×192",
        }
    }
}

impl fmt::Display for Builtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a built-in input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownBuiltin(pub String);

impl fmt::Display for UnknownBuiltin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown built-in input {:?} (choose camera, astronaut or synthetic)",
            self.0
        )
    }
}

impl std::error::Error for UnknownBuiltin {}

impl FromStr for Builtin {
    type Err = UnknownBuiltin;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Builtin::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownBuiltin(s.to_string()))
    }
}

/// Where the matrix comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    Builtin(Builtin),
    Path(PathBuf),
}

impl FromStr for Source {
    type Err = std::convert::Infallible;

    /// A built-in's name selects it; anything else is a path (write `./camera` for a file
    /// called `camera`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Source::from_arg(Path::new(s)))
    }
}

impl Source {
    /// What `--input ARG` names, decided here for the app and `dlscope lowrank` alike: a
    /// built-in's name (`camera`, `astronaut`, `synthetic`) selects the built-in; anything else is
    /// a file path (write `./synthetic` for a file of that name).
    pub fn from_arg(arg: &Path) -> Source {
        match arg.to_str().map(str::parse::<Builtin>) {
            Some(Ok(builtin)) => Source::Builtin(builtin),
            _ => Source::Path(arg.to_path_buf()),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Builtin(builtin) => f.write_str(builtin.name()),
            Source::Path(path) => f.write_str(&crate::text::shown_path(path)),
        }
    }
}

/// A loaded input.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The built-in's name or the file's name.
    pub name: String,
    /// X, m×n: the matrix decomposed.
    pub matrix: Array2<f64>,
    /// (rows, cols) of a picture before downscaling, if it was downscaled; always `None` for a
    /// data matrix, which is taken whole.
    pub downscaled_from: Option<(usize, usize)>,
    /// True for images (grey levels in [0, 1]); false for plain matrices.
    pub is_image: bool,
}

impl Loaded {
    /// How the matrix decomposed was taken from the input: [`Taken::Whole`], or
    /// [`Taken::Resized`] for a picture shrunk to fit `max_side`.
    pub fn taken(&self) -> Taken {
        match self.downscaled_from {
            Some(from) => Taken::Resized { from },
            None => Taken::Whole,
        }
    }
}

/// Which matrix was decomposed, as the screen and the JSON say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// The input as it is, every entry.
    Whole,
    /// A picture shrunk by area averaging from (rows, cols).
    Resized { from: (usize, usize) },
}

impl Taken {
    /// "whole", or "resized" (the JSON's `decomposed`).
    pub fn name(self) -> &'static str {
        match self {
            Taken::Whole => "whole",
            Taken::Resized { .. } => "resized",
        }
    }
}

/// An input that could not be loaded. Displays as one line: `file: problem`.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    /// The file as it was given (or the built-in's name).
    pub file: String,
    pub problem: Problem,
}

/// What was wrong with an input.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// The file could not be read (missing, a directory, no permission…).
    Unreadable(String),
    /// Neither the extension nor the first bytes name a supported format.
    UnknownFormat,
    /// An image format that is recognised but not supported (e.g. GIF).
    UnsupportedImageFormat(String),
    /// The file is larger than `limit` ([`Limits::max_file_bytes`]).
    FileTooLarge { bytes: u64, limit: u64 },
    /// A stream, pipe or device that gave more than `limit` bytes (its size was not known
    /// before reading, so reading stopped at the limit).
    StreamTooLarge { limit: u64 },
    /// The image's header announces more pixels than may be decoded.
    ImageTooLarge { width: u32, height: u32 },
    /// A data matrix whose float64 copy is larger than `limit` bytes ([`Limits::max_bytes`]).
    MatrixTooLarge {
        rows: usize,
        cols: usize,
        limit: u64,
    },
    /// An image that does not decode.
    CorruptImage {
        format: &'static str,
        detail: String,
    },
    /// A `.npy` file that does not parse.
    CorruptNpy(String),
    /// A `.npy` element type other than float32 or float64.
    UnsupportedElement(String),
    /// An array that is not 2-D.
    NotAMatrix { ndim: usize },
    /// A matrix with no rows or no columns.
    Empty { rows: usize, cols: usize },
    /// NaN or ±∞ at (row, col), 1-based.
    NonFinite { row: usize, col: usize, value: f64 },
    /// A CSV cell that is not a number, at (row, col), 1-based.
    NotANumber {
        row: usize,
        col: usize,
        cell: String,
    },
    /// A CSV row whose length differs from the first row's.
    Ragged {
        row: usize,
        found: usize,
        expected: usize,
    },
    /// A CSV file the csv reader could not read (e.g. not UTF-8).
    Csv(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Unreadable(reason) => write!(f, "cannot read the file ({reason})"),
            Problem::UnknownFormat => write!(
                f,
                "unknown format (expected a PNG, JPEG, PGM/PPM image, a .npy array or a .csv file)"
            ),
            Problem::UnsupportedImageFormat(format) => write!(
                f,
                "{format} images are not supported (use PNG, JPEG or PGM/PPM)"
            ),
            Problem::FileTooLarge { bytes, limit } => write!(
                f,
                "file is {} bytes, more than the limit of {} bytes ({FILE_BYTES_PER_MATRIX_BYTE} × --max-bytes)",
                group_thousands(*bytes),
                group_thousands(*limit)
            ),
            Problem::StreamTooLarge { limit } => write!(
                f,
                "it gave more than the limit of {} bytes ({FILE_BYTES_PER_MATRIX_BYTE} × --max-bytes; reading stopped there)",
                group_thousands(*limit)
            ),
            Problem::ImageTooLarge { width, height } => write!(
                f,
                "image of {width}×{height} pixels is too large to decode (limit {} MiB of pixels, {MAX_IMAGE_SIDE} per side)",
                MAX_DECODED_BYTES / (1024 * 1024)
            ),
            Problem::MatrixTooLarge { rows, cols, limit } => write!(
                f,
                "matrix of {rows}×{cols} takes {} bytes as float64, more than the limit of {} bytes (--max-bytes)",
                grouped_u128(matrix::matrix_bytes(*rows, *cols)),
                group_thousands(*limit)
            ),
            Problem::CorruptImage { format, detail } => {
                write!(f, "truncated or corrupt {format} image ({detail})")
            }
            Problem::CorruptNpy(detail) => write!(f, "truncated or corrupt .npy file ({detail})"),
            Problem::UnsupportedElement(descr) => write!(
                f,
                "unsupported .npy element type {descr} (expected float32 or float64)"
            ),
            Problem::NotAMatrix { ndim } => {
                write!(f, "{ndim}-D array, expected a 2-D matrix")
            }
            Problem::Empty { rows, cols } => write!(f, "empty matrix ({rows}×{cols})"),
            Problem::NonFinite { row, col, value } => {
                write!(f, "row {row}, column {col}: {value} is not a finite number")
            }
            Problem::NotANumber { row, col, cell } => {
                write!(f, "row {row}, column {col}: {cell:?} is not a number")
            }
            Problem::Ragged {
                row,
                found,
                expected,
            } => write!(
                f,
                "row {row} has {found} column{}, expected {expected} like the first row",
                if *found == 1 { "" } else { "s" }
            ),
            Problem::Csv(detail) => write!(f, "cannot read as CSV ({detail})"),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, one_line(&self.problem.to_string()))
    }
}

impl std::error::Error for InputError {}

/// Collapse any line breaks a library put in a message, so every error is one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `n` with thousands separated by commas (sizes announced by a header may pass u64).
fn grouped_u128(n: u128) -> String {
    match u64::try_from(n) {
        Ok(n) => group_thousands(n),
        Err(_) => {
            let digits = n.to_string();
            let mut out = String::with_capacity(digits.len() + digits.len() / 3);
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i).is_multiple_of(3) {
                    out.push(',');
                }
                out.push(c);
            }
            out
        }
    }
}

/// Load `source` within the default byte limit, downscaling a picture with a side longer than
/// `max_side` (see [`load_within`]).
pub fn load(source: &Source, max_side: usize) -> Result<Loaded, InputError> {
    load_within(
        source,
        &Limits {
            max_side,
            ..Limits::default()
        },
    )
}

/// Load `source` as a matrix: a picture with a side longer than `limits.max_side` (0 is taken
/// as 1) is downscaled; a data matrix is taken whole, or refused if its float64 copy would take
/// more than `limits.max_bytes`.
pub fn load_within(source: &Source, limits: &Limits) -> Result<Loaded, InputError> {
    let max_side = limits.max_side.max(1);
    match source {
        Source::Builtin(Builtin::Camera) => {
            picture::load_image_bytes("camera", CAMERA_PNG, max_side)
        }
        Source::Builtin(Builtin::Astronaut) => {
            picture::load_image_bytes("astronaut", ASTRONAUT_PNG, max_side)
        }
        Source::Builtin(Builtin::Synthetic) => {
            let name = Builtin::Synthetic.name().to_string();
            let (rows, cols) = SYNTHETIC_SHAPE;
            matrix::check_size(rows, cols, limits.max_bytes).map_err(|problem| InputError {
                file: name.clone(),
                problem,
            })?;
            Ok(Loaded {
                name,
                matrix: synthetic_parts().matrix(),
                downscaled_from: None,
                is_image: false,
            })
        }
        Source::Path(path) => load_path(path, max_side, limits.max_bytes),
    }
}

/// The first bytes of every `.npy` file.
const NPY_MAGIC: &[u8] = b"\x93NUMPY";

/// How much of a file is read first, to find a `.npy` header's shape before the rest.
const HEAD_BYTES: u64 = 64 * 1024;

/// The file's bytes, or why not: at most `limit` bytes are read, whatever size it reports. A
/// `.npy` file announcing a matrix larger than `max_bytes` is refused from its header.
fn read_bounded(path: &Path, limit: u64, max_bytes: u64) -> Result<Vec<u8>, Problem> {
    use std::io::Read;
    let metadata = std::fs::metadata(path).map_err(|e| io_problem(&e))?;
    if metadata.is_dir() {
        return Err(Problem::Unreadable("it is a directory".to_string()));
    }
    let mut file = std::fs::File::open(path).map_err(|e| io_problem(&e))?;
    let mut bytes = Vec::new();
    (&mut file)
        .take(HEAD_BYTES.min(limit.saturating_add(1)))
        .read_to_end(&mut bytes)
        .map_err(|e| io_problem(&e))?;
    if bytes.starts_with(NPY_MAGIC)
        && let Some(problem) = matrix::npy_too_large(&bytes, max_bytes)
    {
        return Err(problem);
    }
    if metadata.len() > limit {
        return Err(Problem::FileTooLarge {
            bytes: metadata.len(),
            limit,
        });
    }
    // The size a file reports is not a bound (a pipe, /dev/zero): read at most one byte past
    // the limit, whatever it is.
    let left = limit.saturating_add(1).saturating_sub(bytes.len() as u64);
    file.take(left)
        .read_to_end(&mut bytes)
        .map_err(|e| io_problem(&e))?;
    if bytes.len() as u64 > limit {
        return Err(Problem::StreamTooLarge { limit });
    }
    Ok(bytes)
}

fn load_path(path: &Path, max_side: usize, max_bytes: u64) -> Result<Loaded, InputError> {
    let file = crate::text::shown_path(path);
    let error = |problem| InputError {
        file: file.clone(),
        problem,
    };
    let limits = Limits {
        max_side,
        max_bytes,
    };
    let bytes = read_bounded(path, limits.max_file_bytes(), max_bytes).map_err(error)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.clone());
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();

    // A data matrix is taken whole.
    let whole = |matrix: Array2<f64>| Loaded {
        name: name.clone(),
        matrix,
        downscaled_from: None,
        is_image: false,
    };
    // CSV is text and has no signature, so its extension decides before any sniffing.
    if extension == "csv" {
        return matrix::load_csv(&bytes, max_bytes)
            .map(whole)
            .map_err(error);
    }
    if bytes.starts_with(NPY_MAGIC) {
        return matrix::load_npy(&bytes, max_bytes)
            .map(whole)
            .map_err(error);
    }
    if image::guess_format(&bytes).is_ok() {
        let mut loaded = picture::load_image_bytes(&file, &bytes, max_side)?;
        loaded.name = name;
        return Ok(loaded);
    }
    // No signature matched: the extension says what the file should have been.
    match extension.as_str() {
        "npy" => Err(error(Problem::CorruptNpy(
            "it does not start with the .npy signature".to_string(),
        ))),
        ext => match picture::image_format_for_extension(ext) {
            Some(format) => Err(error(Problem::CorruptImage {
                format: picture::format_name(format),
                detail: "it does not start with the format's signature".to_string(),
            })),
            None => Err(error(Problem::UnknownFormat)),
        },
    }
}

fn io_problem(e: &std::io::Error) -> Problem {
    let reason = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "it is a directory".to_string(),
        _ => e.to_string(),
    };
    Problem::Unreadable(reason)
}

/// The synthetic matrix's parts: L = U diag(σ) Vᵀ of rank 5 with known singular values, and the
/// noise N, so X = L + N.
#[derive(Debug, Clone)]
pub struct SyntheticParts {
    pub low_rank: Array2<f64>,
    pub noise: Array2<f64>,
}

impl SyntheticParts {
    /// X = L + N.
    pub fn matrix(&self) -> Array2<f64> {
        &self.low_rank + &self.noise
    }
}

/// Build the synthetic matrix's parts from a fixed seed: Haar-random orthonormal U (m×5) and
/// V (n×5), singular values [`SYNTHETIC_SINGULAR_VALUES`], noise N(0, [`SYNTHETIC_NOISE_STD`]²).
pub fn synthetic_parts() -> SyntheticParts {
    let (m, n) = SYNTHETIC_SHAPE;
    let mut rng = StdRng::seed_from_u64(SYNTHETIC_SEED);
    let r = SYNTHETIC_SINGULAR_VALUES.len();
    let u = orthonormal_columns(m, r, &mut rng);
    let v = orthonormal_columns(n, r, &mut rng);
    let scaled_u = Array2::from_shape_fn((m, r), |(i, j)| u[(i, j)] * SYNTHETIC_SINGULAR_VALUES[j]);
    let low_rank = scaled_u.dot(&v.t());
    let noise = Array2::from_shape_fn((m, n), |_| {
        SYNTHETIC_NOISE_STD * rng.sample::<f64, _>(StandardNormal)
    });
    SyntheticParts { low_rank, noise }
}

#[cfg(test)]
mod tests;
