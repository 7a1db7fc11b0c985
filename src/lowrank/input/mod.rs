//! Turning an input into the matrix X: a built-in image or matrix, an image file (PNG, JPEG,
//! PGM/PPM), a 2-D `.npy` array (float32 or float64) or a numeric CSV file.
//!
//! - Images become grey levels in [0, 1]: colour is mixed as luma 0.299 R + 0.587 G + 0.114 B in
//!   floating point (no rounding), then divided by 255 (8-bit) or 65535 (16-bit). Alpha is ignored.
//! - Matrices (`.npy`, CSV) are used as they are.
//! - CSV: comma-separated, cells trimmed. The first row is a header (and skipped) only when none
//!   of its cells is a number; otherwise every cell must be a number. Rows are counted from 1
//!   including the header row, so an error's row is the file's record number.
//! - Anything with a side longer than `max_side` is shrunk by area averaging (each output cell is
//!   the mean of the input over the area it covers, with fractional overlaps weighted exactly),
//!   keeping the aspect ratio; [`Loaded::downscaled_from`] records the original size.
//! - Sizes are checked before anything large is allocated: the file size, the image header's
//!   dimensions and the `.npy` header's shape.

use std::fmt;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use ndarray::{Array2, ArrayView2};
use ndarray_npy::{ReadNpyError, ReadNpyExt};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

use super::model::orthonormal_columns;

mod resize;

pub use resize::fitted_shape;
#[cfg(test)]
use resize::overlaps;
use resize::{fit, resample};

/// The default limit on either side of the matrix: larger inputs are downscaled.
pub const DEFAULT_MAX_SIDE: usize = 1024;
/// Files larger than this are refused before being read.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// Decoded images larger than this (in bytes of pixels) are refused before decoding.
pub const MAX_DECODED_BYTES: u64 = 256 * 1024 * 1024;
/// Images wider or taller than this are refused from their header.
pub const MAX_IMAGE_SIDE: u32 = 16384;
/// Matrices with more entries than this are refused (2^25 entries = 256 MiB of f64).
pub const MAX_MATRIX_ENTRIES: usize = 1 << 25;

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

/// A matrix that fits the size limit, and its original (rows, cols) if it had to be shrunk.
type Fitted = (Array2<f64>, Option<(usize, usize)>);

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
    /// X, m×n.
    pub matrix: Array2<f64>,
    /// (rows, cols) before downscaling, if it was downscaled.
    pub downscaled_from: Option<(usize, usize)>,
    /// True for images (grey levels in [0, 1]); false for plain matrices.
    pub is_image: bool,
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
    /// The file is larger than [`MAX_FILE_BYTES`].
    FileTooLarge { bytes: u64 },
    /// A stream, pipe or device that gave more than [`MAX_FILE_BYTES`] (its size was not known
    /// before reading, so reading stopped at the limit).
    StreamTooLarge,
    /// The image's header announces more pixels than may be decoded.
    ImageTooLarge { width: u32, height: u32 },
    /// A matrix with more entries than [`MAX_MATRIX_ENTRIES`].
    MatrixTooLarge { rows: usize, cols: usize },
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
            Problem::FileTooLarge { bytes } => write!(
                f,
                "file is {bytes} bytes, more than the {} MiB limit",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
            Problem::StreamTooLarge => write!(
                f,
                "it gave more than the {} MiB limit (reading stopped there)",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
            Problem::ImageTooLarge { width, height } => write!(
                f,
                "image of {width}×{height} pixels is too large to decode (limit {} MiB of pixels, {MAX_IMAGE_SIDE} per side)",
                MAX_DECODED_BYTES / (1024 * 1024)
            ),
            Problem::MatrixTooLarge { rows, cols } => write!(
                f,
                "matrix of {rows}×{cols} has more than {MAX_MATRIX_ENTRIES} entries"
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

/// Load `source` as a matrix, downscaling anything with a side longer than `max_side`
/// (a `max_side` of 0 is taken as 1).
pub fn load(source: &Source, max_side: usize) -> Result<Loaded, InputError> {
    let max_side = max_side.max(1);
    match source {
        Source::Builtin(Builtin::Camera) => load_image_bytes("camera", CAMERA_PNG, max_side),
        Source::Builtin(Builtin::Astronaut) => {
            load_image_bytes("astronaut", ASTRONAUT_PNG, max_side)
        }
        Source::Builtin(Builtin::Synthetic) => {
            let matrix = synthetic_parts().matrix();
            let (matrix, downscaled_from) = fit(matrix.view(), max_side);
            Ok(Loaded {
                name: Builtin::Synthetic.name().to_string(),
                matrix,
                downscaled_from,
                is_image: false,
            })
        }
        Source::Path(path) => load_path(path, max_side),
    }
}

fn load_path(path: &Path, max_side: usize) -> Result<Loaded, InputError> {
    let file = crate::text::shown_path(path);
    let error = |problem| InputError {
        file: file.clone(),
        problem,
    };
    let metadata = std::fs::metadata(path).map_err(|e| error(io_problem(&e)))?;
    if metadata.is_dir() {
        return Err(error(Problem::Unreadable("it is a directory".to_string())));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(error(Problem::FileTooLarge {
            bytes: metadata.len(),
        }));
    }
    // The size a file reports is not a bound (a pipe, /dev/zero): read at most one byte past
    // the limit, whatever it is.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| {
            std::io::Read::read_to_end(&mut std::io::Read::take(f, MAX_FILE_BYTES + 1), &mut bytes)
        })
        .map_err(|e| error(io_problem(&e)))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(error(Problem::StreamTooLarge));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.clone());
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();

    let matrix = |matrix: Array2<f64>| {
        let (matrix, downscaled_from) = fit(matrix.view(), max_side);
        Loaded {
            name: name.clone(),
            matrix,
            downscaled_from,
            is_image: false,
        }
    };
    // CSV is text and has no signature, so its extension decides before any sniffing.
    if extension == "csv" {
        return load_csv(&bytes).map(matrix).map_err(error);
    }
    if bytes.starts_with(b"\x93NUMPY") {
        return load_npy(&bytes).map(matrix).map_err(error);
    }
    if image::guess_format(&bytes).is_ok() {
        let mut loaded = load_image_bytes(&file, &bytes, max_side)?;
        loaded.name = name;
        return Ok(loaded);
    }
    // No signature matched: the extension says what the file should have been.
    match extension.as_str() {
        "npy" => Err(error(Problem::CorruptNpy(
            "it does not start with the .npy signature".to_string(),
        ))),
        ext => match image_format_for_extension(ext) {
            Some(format) => Err(error(Problem::CorruptImage {
                format: format_name(format),
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

fn image_format_for_extension(ext: &str) -> Option<ImageFormat> {
    match ext {
        "png" => Some(ImageFormat::Png),
        "jpg" | "jpeg" => Some(ImageFormat::Jpeg),
        "pgm" | "ppm" | "pnm" | "pbm" | "pam" => Some(ImageFormat::Pnm),
        _ => None,
    }
}

fn format_name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Png => "PNG",
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Pnm => "PGM/PPM",
        ImageFormat::Gif => "GIF",
        ImageFormat::WebP => "WebP",
        ImageFormat::Tiff => "TIFF",
        ImageFormat::Bmp => "BMP",
        _ => "this",
    }
}

/// Decode an image (format from its signature) into grey levels in [0, 1].
fn load_image_bytes(file: &str, bytes: &[u8], max_side: usize) -> Result<Loaded, InputError> {
    let error = |problem| InputError {
        file: file.to_string(),
        problem,
    };
    let format = image::guess_format(bytes).map_err(|_| error(Problem::UnknownFormat))?;
    if !matches!(
        format,
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Pnm
    ) {
        return Err(error(Problem::UnsupportedImageFormat(
            format_name(format).to_string(),
        )));
    }
    let corrupt = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => error(Problem::CorruptImage {
            format: format_name(format),
            detail: format!("the header announces a size beyond the limits: {e}"),
        }),
        other => error(Problem::CorruptImage {
            format: format_name(format),
            detail: other.to_string(),
        }),
    };
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let decoder = match reader.into_decoder() {
        Ok(decoder) => decoder,
        Err(image::ImageError::Limits(_)) => {
            // The header was read but refused: report its dimensions if they can be had.
            let (width, height) = header_dimensions(bytes, format).unwrap_or((0, 0));
            return Err(error(Problem::ImageTooLarge { width, height }));
        }
        Err(e) => return Err(corrupt(e)),
    };
    let (width, height) = decoder.dimensions();
    if decoder.total_bytes() > MAX_DECODED_BYTES {
        return Err(error(Problem::ImageTooLarge { width, height }));
    }
    if width == 0 || height == 0 {
        return Err(error(Problem::Empty {
            rows: height as usize,
            cols: width as usize,
        }));
    }
    let image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    let (matrix, downscaled_from) = grey_levels(&image, max_side).ok_or_else(|| {
        error(Problem::UnsupportedImageFormat(format!(
            "{} with pixel type {:?}",
            format_name(format),
            image.color()
        )))
    })?;
    Ok(Loaded {
        name: file.to_string(),
        matrix,
        downscaled_from,
        is_image: true,
    })
}

/// The dimensions in an image header, read without any limit (nothing is decoded).
fn header_dimensions(bytes: &[u8], format: ImageFormat) -> Option<(u32, u32)> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.no_limits();
    reader.into_dimensions().ok()
}

/// Grey levels of a decoded image in [0, 1], downscaled to fit `max_side`. `None` for a pixel
/// type this program does not know.
fn grey_levels(image: &DynamicImage, max_side: usize) -> Option<Fitted> {
    let width = image.width() as usize;
    let height = image.height() as usize;
    let from_u8 = |v: u8| f64::from(v) / 255.0;
    let from_u16 = |v: u16| f64::from(v) / 65535.0;
    let from_f32 = f64::from;
    let result = match image {
        DynamicImage::ImageLuma8(b) => {
            grey_from_raw(b.as_raw(), height, width, 1, from_u8, max_side)
        }
        DynamicImage::ImageLumaA8(b) => {
            grey_from_raw(b.as_raw(), height, width, 2, from_u8, max_side)
        }
        DynamicImage::ImageRgb8(b) => {
            grey_from_raw(b.as_raw(), height, width, 3, from_u8, max_side)
        }
        DynamicImage::ImageRgba8(b) => {
            grey_from_raw(b.as_raw(), height, width, 4, from_u8, max_side)
        }
        DynamicImage::ImageLuma16(b) => {
            grey_from_raw(b.as_raw(), height, width, 1, from_u16, max_side)
        }
        DynamicImage::ImageLumaA16(b) => {
            grey_from_raw(b.as_raw(), height, width, 2, from_u16, max_side)
        }
        DynamicImage::ImageRgb16(b) => {
            grey_from_raw(b.as_raw(), height, width, 3, from_u16, max_side)
        }
        DynamicImage::ImageRgba16(b) => {
            grey_from_raw(b.as_raw(), height, width, 4, from_u16, max_side)
        }
        DynamicImage::ImageRgb32F(b) => {
            grey_from_raw(b.as_raw(), height, width, 3, from_f32, max_side)
        }
        DynamicImage::ImageRgba32F(b) => {
            grey_from_raw(b.as_raw(), height, width, 4, from_f32, max_side)
        }
        _ => return None,
    };
    Some(result)
}

/// Luma of interleaved pixels with `channels` channels (1–2: grey [+ alpha], 3–4: RGB [+ alpha]).
fn grey_from_raw<T: Copy>(
    raw: &[T],
    rows: usize,
    cols: usize,
    channels: usize,
    to_unit: impl Fn(T) -> f64,
    max_side: usize,
) -> Fitted {
    let row_len = cols * channels;
    let fill_row = |i: usize, out: &mut [f64]| {
        let start = i * row_len;
        let Some(row) = raw.get(start..start + row_len) else {
            return;
        };
        for (value, pixel) in out.iter_mut().zip(row.chunks_exact(channels)) {
            *value = match *pixel {
                [r, g, b, ..] => 0.299 * to_unit(r) + 0.587 * to_unit(g) + 0.114 * to_unit(b),
                [grey, ..] => to_unit(grey),
                [] => 0.0,
            };
        }
    };
    resample(rows, cols, max_side, fill_row)
}

/// Read a 2-D float32/float64 `.npy` array, checking its header before allocating.
fn load_npy(bytes: &[u8]) -> Result<Array2<f64>, Problem> {
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
    let entries = rows.checked_mul(cols);
    if entries.is_none_or(|e| e > MAX_MATRIX_ENTRIES) {
        return Err(Problem::MatrixTooLarge { rows, cols });
    }
    // Every supported element takes at least 4 bytes: a header promising more than the file
    // holds is caught here, before the reader allocates room for it.
    if entries.is_none_or(|e| e.saturating_mul(4) > rest.len()) {
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

/// Read a numeric CSV file (see the module documentation for the header rule).
fn load_csv(bytes: &[u8]) -> Result<Array2<f64>, Problem> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut values = Vec::new();
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
        data_rows += 1;
        if values.len() > MAX_MATRIX_ENTRIES {
            return Err(Problem::MatrixTooLarge {
                rows: data_rows,
                cols: width.unwrap_or(0),
            });
        }
    }
    let cols = width.unwrap_or(0);
    if data_rows == 0 || cols == 0 {
        return Err(Problem::Empty {
            rows: data_rows,
            cols,
        });
    }
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
