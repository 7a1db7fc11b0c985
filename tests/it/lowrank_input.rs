//! Loading inputs for the low-rank problem: every kind of bad input gives a one-line error naming
//! the file and the problem; good inputs give the expected matrix.

use std::io::Cursor;
use std::path::Path;

use crate::common::{TempDir, npy_bytes};

use dlscope::lowrank::input::{Builtin, Limits, Loaded, Problem, Source, Taken, load, load_within};
use image::{ImageBuffer, ImageFormat, Luma, Rgb};
use ndarray::{Array1, Array2, Array3, array};
use ndarray_npy::write_npy;

fn load_path(path: &Path) -> Result<Loaded, dlscope::lowrank::input::InputError> {
    load(&Source::Path(path.to_path_buf()), 1024)
}

/// The error's Display, with the directory part of the path removed.
fn message(path: &Path) -> String {
    let err = load_path(path).unwrap_err();
    let text = err.to_string();
    assert!(!text.contains('\n'), "not one line: {text}");
    let dir = format!("{}/", path.parent().unwrap().display());
    text.replacen(&dir, "", 1)
}

fn png_bytes<P: image::Pixel<Subpixel = S> + image::PixelWithColorType, S: image::Primitive>(
    image: &ImageBuffer<P, Vec<S>>,
    format: ImageFormat,
) -> Vec<u8>
where
    [S]: image::EncodableLayout,
{
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

#[test]
fn builtins_load_with_their_shapes() {
    let camera = load(&Source::Builtin(Builtin::Camera), 1024).unwrap();
    assert_eq!(camera.name, "camera");
    assert_eq!(camera.matrix.dim(), (512, 512));
    assert!(camera.is_image);
    assert_eq!(camera.downscaled_from, None);
    assert!(camera.matrix.iter().all(|v| (0.0..=1.0).contains(v)));
    // Grey levels are k/255 exactly.
    assert!(camera.matrix.iter().all(|v| {
        let k = v * 255.0;
        (k - k.round()).abs() < 1e-9
    }));

    let astronaut = load(&Source::Builtin(Builtin::Astronaut), 1024).unwrap();
    assert_eq!(astronaut.matrix.dim(), (512, 512));
    assert!(astronaut.matrix.iter().all(|v| (0.0..=1.0).contains(v)));

    let synthetic = load(&Source::Builtin(Builtin::Synthetic), 1024).unwrap();
    assert_eq!(synthetic.matrix.dim(), (256, 192));
    assert!(!synthetic.is_image);

    let small = load(&Source::Builtin(Builtin::Camera), 100).unwrap();
    assert_eq!(small.matrix.dim(), (100, 100));
    assert_eq!(small.downscaled_from, Some((512, 512)));
}

#[test]
fn colour_becomes_luma_without_rounding() {
    let dir = TempDir::new("luma");
    let image = ImageBuffer::from_fn(2, 1, |x, _| {
        if x == 0 {
            Rgb([255u8, 0, 0])
        } else {
            Rgb([10u8, 20, 30])
        }
    });
    let path = dir.write("two.png", &png_bytes(&image, ImageFormat::Png));
    let loaded = load_path(&path).unwrap();
    assert_eq!(loaded.name, "two.png");
    assert!(loaded.is_image);
    assert_eq!(loaded.matrix.dim(), (1, 2));
    assert!((loaded.matrix[(0, 0)] - 0.299).abs() < 1e-15);
    let expected = (0.299 * 10.0 + 0.587 * 20.0 + 0.114 * 30.0) / 255.0;
    assert!((loaded.matrix[(0, 1)] - expected).abs() < 1e-15);
}

#[test]
fn sixteen_bit_images_are_scaled_by_65535() {
    let dir = TempDir::new("sixteen");
    let image: ImageBuffer<Luma<u16>, Vec<u16>> =
        ImageBuffer::from_fn(3, 2, |x, y| Luma([(x * 20000 + y * 5000) as u16]));
    let path = dir.write("deep.png", &png_bytes(&image, ImageFormat::Png));
    let loaded = load_path(&path).unwrap();
    assert_eq!(loaded.matrix.dim(), (2, 3));
    assert!((loaded.matrix[(1, 2)] - 45000.0 / 65535.0).abs() < 1e-15);
}

#[test]
fn pgm_and_jpeg_load() {
    let dir = TempDir::new("formats");
    let path = dir.write("tiny.pgm", b"P5\n3 2\n255\n\x00\x33\x66\x99\xcc\xff");
    let loaded = load_path(&path).unwrap();
    assert_eq!(loaded.matrix, array![[0.0, 0.2, 0.4], [0.6, 0.8, 1.0]]);

    let image = ImageBuffer::from_fn(16, 8, |_, _| Luma([128u8]));
    let path = dir.write("flat.jpg", &png_bytes(&image, ImageFormat::Jpeg));
    let loaded = load_path(&path).unwrap();
    assert_eq!(loaded.matrix.dim(), (8, 16));
    assert!(
        loaded
            .matrix
            .iter()
            .all(|v| (v - 128.0 / 255.0).abs() < 2.0 / 255.0)
    );
}

#[test]
fn big_images_are_downscaled_by_area_averaging() {
    let dir = TempDir::new("downscale");
    // 2600 rows × 1300 columns; max side 1300 halves both sides, so each output pixel is the
    // mean of a 2×2 block.
    let (width, height) = (1300u32, 2600u32);
    let value = |x: u32, y: u32| ((x * 7 + y * 13) % 256) as u8;
    let image = ImageBuffer::from_fn(width, height, |x, y| Luma([value(x, y)]));
    let path = dir.write("big.png", &png_bytes(&image, ImageFormat::Png));
    let loaded = load(&Source::Path(path), 1300).unwrap();
    assert_eq!(loaded.downscaled_from, Some((2600, 1300)));
    assert_eq!(loaded.matrix.dim(), (1300, 650));
    for &(p, q) in &[(0usize, 0usize), (17, 300), (1299, 649), (640, 1)] {
        let (x, y) = (2 * q as u32, 2 * p as u32);
        let mean = (f64::from(value(x, y))
            + f64::from(value(x + 1, y))
            + f64::from(value(x, y + 1))
            + f64::from(value(x + 1, y + 1)))
            / 4.0
            / 255.0;
        assert!((loaded.matrix[(p, q)] - mean).abs() < 1e-12, "({p}, {q})");
    }
    // At the default limit of 1024 the aspect ratio is kept: 1024 × 512.
    let path = dir.0.join("big.png");
    let loaded = load(&Source::Path(path), 1024).unwrap();
    assert_eq!(loaded.matrix.dim(), (1024, 512));
    let mean_in =
        image.pixels().map(|p| f64::from(p.0[0])).sum::<f64>() / f64::from(width * height) / 255.0;
    let mean_out = loaded.matrix.mean().unwrap();
    assert!((mean_in - mean_out).abs() < 1e-9);
}

#[test]
fn matrices_from_npy_and_csv_are_used_as_they_are() {
    let dir = TempDir::new("matrices");
    let x = array![[1.5, -2.0, 3.25], [4.0, 5e10, -6e-3]];
    let path = dir.0.join("x.npy");
    write_npy(&path, &x).unwrap();
    let loaded = load_path(&path).unwrap();
    assert_eq!(loaded.matrix, x);
    assert!(!loaded.is_image);

    let path = dir.0.join("x32.npy");
    write_npy(&path, &x.mapv(|v| v as f32)).unwrap();
    assert_eq!(
        load_path(&path).unwrap().matrix,
        x.mapv(|v| f64::from(v as f32))
    );

    let path = dir.0.join("fortran.npy");
    write_npy(&path, &x.t().to_owned().reversed_axes()).unwrap();
    assert_eq!(load_path(&path).unwrap().matrix, x);

    let path = dir.write("x.csv", b"1.5, -2, 3.25\n4,5e10,-6e-3\n");
    assert_eq!(load_path(&path).unwrap().matrix, x);

    let path = dir.write("header.csv", b"a,b,c\n1.5,-2,3.25\n4,5e10,-6e-3\n");
    assert_eq!(load_path(&path).unwrap().matrix, x);
}

#[test]
fn data_matrices_are_taken_whole_whatever_max_side() {
    // Resizing is for pictures: a 40×10 matrix under --max-side 20 is still 40×10.
    let dir = TempDir::new("bigmatrix");
    let x = Array2::from_shape_fn((40, 10), |(i, j)| (i * 10 + j) as f64);
    let path = dir.0.join("tall.npy");
    write_npy(&path, &x).unwrap();
    let loaded = load(&Source::Path(path.clone()), 20).unwrap();
    assert_eq!(loaded.downscaled_from, None);
    assert_eq!(loaded.taken(), Taken::Whole);
    assert_eq!(loaded.matrix, x);
    let text = "1,2,3\n4,5,6\n7,8,9\n10,11,12\n";
    let csv = dir.write("tall.csv", text.as_bytes());
    let loaded = load(&Source::Path(csv), 2).unwrap();
    assert_eq!(loaded.matrix.dim(), (4, 3));
    let synthetic = load(&Source::Builtin(Builtin::Synthetic), 24).unwrap();
    assert_eq!(
        (synthetic.matrix.dim(), synthetic.taken()),
        ((256, 192), Taken::Whole)
    );
    // Up to the byte limit exactly: 40×10 float64 is 3,200 bytes.
    let within = |max_bytes| {
        load_within(
            &Source::Path(path.clone()),
            &Limits {
                max_side: 20,
                max_bytes,
            },
        )
    };
    assert_eq!(within(3200).unwrap().matrix, x);
    assert_eq!(
        within(3199).unwrap_err().problem,
        Problem::MatrixTooLarge {
            rows: 40,
            cols: 10,
            limit: 3199
        }
    );
}

#[test]
fn missing_file() {
    let dir = TempDir::new("missing");
    let path = dir.0.join("photo.png");
    assert_eq!(
        message(&path),
        "photo.png: cannot read the file (no such file)"
    );
}

#[test]
fn directory_instead_of_a_file() {
    let dir = TempDir::new("directory");
    let path = dir.0.join("folder.png");
    std::fs::create_dir(&path).unwrap();
    assert_eq!(
        message(&path),
        "folder.png: cannot read the file (it is a directory)"
    );
}

#[test]
fn unknown_format() {
    let dir = TempDir::new("unknown");
    let path = dir.write("notes.txt", b"hello there");
    assert_eq!(
        message(&path),
        "notes.txt: unknown format (expected a PNG, JPEG, PGM/PPM image, a .npy array or a .csv file)"
    );
    let path = dir.write("noextension", b"\x00\x01\x02");
    assert!(message(&path).starts_with("noextension: unknown format"));
    let path = dir.write("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00");
    assert_eq!(
        message(&path),
        "anim.gif: GIF images are not supported (use PNG, JPEG or PGM/PPM)"
    );
}

#[test]
fn png_that_is_not_a_png() {
    let dir = TempDir::new("fakepng");
    let path = dir.write("photo.png", b"this is text, not an image");
    assert_eq!(
        message(&path),
        "photo.png: truncated or corrupt PNG image (it does not start with the format's signature)"
    );
}

#[test]
fn truncated_and_corrupt_png() {
    let dir = TempDir::new("truncated");
    let image = ImageBuffer::from_fn(64, 64, |x, y| Luma([((x * y) % 256) as u8]));
    let good = png_bytes(&image, ImageFormat::Png);
    let path = dir.write("photo.png", &good[..good.len() / 2]);
    let text = message(&path);
    assert!(
        text.starts_with("photo.png: truncated or corrupt PNG image ("),
        "{text}"
    );
    let mut corrupt = good.clone();
    let middle = corrupt.len() / 2;
    for byte in &mut corrupt[middle..middle + 16] {
        *byte ^= 0x5a;
    }
    let path = dir.write("corrupt.png", &corrupt);
    let text = message(&path);
    assert!(
        text.starts_with("corrupt.png: truncated or corrupt PNG image ("),
        "{text}"
    );
}

#[test]
fn truncated_jpeg() {
    let dir = TempDir::new("jpeg");
    let image = ImageBuffer::from_fn(64, 64, |x, y| Luma([((x + y) % 256) as u8]));
    let good = png_bytes(&image, ImageFormat::Jpeg);
    let path = dir.write("photo.jpg", &good[..good.len() / 3]);
    assert_eq!(
        message(&path),
        "photo.jpg: truncated or corrupt JPEG image (the file ends before the image does)"
    );
    // The decoder fills missing rows with grey and says nothing when the cut falls in the
    // image data: every cut is refused all the same.
    for cut in 3..good.len() {
        let path = dir.write("cut.jpg", &good[..cut]);
        assert_eq!(
            message(&path),
            "cut.jpg: truncated or corrupt JPEG image (the file ends before the image does)",
            "cut at {cut} of {}",
            good.len()
        );
    }
    assert!(load_path(&dir.write("whole.jpg", &good)).is_ok());
}

#[test]
fn corrupt_jpeg_is_one_clean_line() {
    let dir = TempDir::new("jpegcorrupt");
    let image = ImageBuffer::from_fn(64, 64, |x, y| Luma([((x + y) % 256) as u8]));
    let mut bad = png_bytes(&image, ImageFormat::Jpeg);
    // The frame header (0xFFC0: length, precision, height, width, components): no components.
    let sof = bad.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    bad[sof + 9] = 0;
    let text = message(&dir.write("bad.jpg", &bad));
    // The decoder's own words, without the image crate's wrapper, zune-jpeg's "Reason:" or the
    // space it left before the closing parenthesis.
    assert_eq!(
        text,
        "bad.jpg: truncated or corrupt JPEG image (error parsing SOF segment: Number of components cannot be zero)"
    );
}

#[test]
fn huge_image_header_is_refused_before_decoding() {
    let dir = TempDir::new("huge");
    let path = dir.write("huge.pgm", b"P5\n100000 100000\n255\n\x00\x00\x00\x00");
    let text = message(&path);
    assert!(
        text.starts_with("huge.pgm: image of 100000×100000 pixels is too large to decode"),
        "{text}"
    );
    // Within the per-side limit but beyond the pixel budget.
    let path = dir.write("wide.pgm", b"P5\n16000 16000\n65535\n\x00\x00");
    let text = message(&path);
    assert!(
        text.starts_with("wide.pgm: image of 16000×16000 pixels is too large to decode"),
        "{text}"
    );
}

#[test]
fn npy_that_is_not_a_matrix() {
    let dir = TempDir::new("npyshape");
    let path = dir.0.join("vector.npy");
    write_npy(&path, &Array1::<f64>::zeros(5)).unwrap();
    assert_eq!(
        message(&path),
        "vector.npy: 1-D array, expected a 2-D matrix"
    );
    let path = dir.0.join("cube.npy");
    write_npy(&path, &Array3::<f64>::zeros((2, 3, 4))).unwrap();
    assert_eq!(message(&path), "cube.npy: 3-D array, expected a 2-D matrix");
    let path = dir.write("scalar.npy", &npy_bytes("<f8", false, "()", &[0u8; 8]));
    assert_eq!(
        message(&path),
        "scalar.npy: 0-D array, expected a 2-D matrix"
    );
    let path = dir.0.join("empty.npy");
    write_npy(&path, &Array2::<f64>::zeros((0, 3))).unwrap();
    assert_eq!(message(&path), "empty.npy: empty matrix (0×3)");
}

#[test]
fn npy_with_non_finite_entries() {
    let dir = TempDir::new("npynan");
    let path = dir.0.join("nan.npy");
    write_npy(&path, &array![[1.0, 2.0], [3.0, f64::NAN]]).unwrap();
    assert_eq!(
        message(&path),
        "nan.npy: row 2, column 2: NaN is not a finite number"
    );
    let path = dir.0.join("inf.npy");
    write_npy(&path, &array![[1.0f32, f32::NEG_INFINITY]]).unwrap();
    assert_eq!(
        message(&path),
        "inf.npy: row 1, column 2: -inf is not a finite number"
    );
}

#[test]
fn npy_with_other_element_types_or_missing_data() {
    let dir = TempDir::new("npytype");
    let path = dir.0.join("ints.npy");
    write_npy(&path, &array![[1i64, 2], [3, 4]]).unwrap();
    assert_eq!(
        message(&path),
        "ints.npy: unsupported .npy element type '<i8' (expected float32 or float64)"
    );
    // The header promises 100×100 float64 but 16 bytes follow.
    let path = dir.write(
        "short.npy",
        &npy_bytes("<f8", false, "(100, 100)", &[0u8; 16]),
    );
    assert_eq!(
        message(&path),
        "short.npy: truncated or corrupt .npy file (the header announces 100×100 entries but only 16 bytes of data follow)"
    );
    // A header announcing an enormous shape is refused without allocating.
    let path = dir.write(
        "enormous.npy",
        &npy_bytes("<f8", false, "(4000000000, 4000000000)", &[0u8; 16]),
    );
    assert_eq!(
        message(&path),
        "enormous.npy: matrix of 4000000000×4000000000 takes 128,000,000,000,000,000,000 bytes as float64, more than the limit of 134,217,728 bytes (--max-bytes)"
    );
    // 2×2 float64 needs 32 bytes; 28 follow (more than the 4-byte minimum check).
    let path = dir.write(
        "partial.npy",
        &npy_bytes("<f8", false, "(2, 2)", &[0u8; 28]),
    );
    assert_eq!(
        message(&path),
        "partial.npy: truncated or corrupt .npy file (the data is shorter than the header says)"
    );
    let path = dir.write("garbage.npy", b"\x93NUMPY\x01\x00\xff");
    assert!(message(&path).starts_with("garbage.npy: truncated or corrupt .npy file ("));
    let path = dir.write("text.npy", b"1,2,3");
    assert_eq!(
        message(&path),
        "text.npy: truncated or corrupt .npy file (it does not start with the .npy signature)"
    );
}

#[test]
fn csv_with_a_non_numeric_cell() {
    let dir = TempDir::new("csvcell");
    let path = dir.write("data.csv", b"1,2,3\n4,5,6\n7,abc,9\n");
    assert_eq!(
        message(&path),
        "data.csv: row 3, column 2: \"abc\" is not a number"
    );
    // A first row with some numbers is data, not a header.
    let path = dir.write("mixed.csv", b"1,x,3\n4,5,6\n");
    assert_eq!(
        message(&path),
        "mixed.csv: row 1, column 2: \"x\" is not a number"
    );
    let path = dir.write("blank.csv", b"1,2\n3,\n");
    assert_eq!(
        message(&path),
        "blank.csv: row 2, column 2: \"\" is not a number"
    );
}

#[test]
fn csv_ragged_rows() {
    let dir = TempDir::new("csvragged");
    let path = dir.write("ragged.csv", b"1,2,3\n4,5\n");
    assert_eq!(
        message(&path),
        "ragged.csv: row 2 has 2 columns, expected 3 like the first row"
    );
    let path = dir.write("header.csv", b"a,b\n1,2,3\n");
    assert_eq!(
        message(&path),
        "header.csv: row 2 has 3 columns, expected 2 like the first row"
    );
}

#[test]
fn csv_non_finite_empty_and_not_text() {
    let dir = TempDir::new("csvother");
    let path = dir.write("nan.csv", b"1,2\nNaN,4\n");
    assert_eq!(
        message(&path),
        "nan.csv: row 2, column 1: NaN is not a finite number"
    );
    let path = dir.write("inf.csv", b"1,inf\n");
    assert_eq!(
        message(&path),
        "inf.csv: row 1, column 2: inf is not a finite number"
    );
    let path = dir.write("empty.csv", b"");
    assert_eq!(message(&path), "empty.csv: empty matrix (0×0)");
    let path = dir.write("header_only.csv", b"a,b,c\n");
    assert_eq!(message(&path), "header_only.csv: empty matrix (0×3)");
    let path = dir.write("binary.csv", b"1,2\n\xff\xfe,3\n");
    assert_eq!(
        message(&path),
        "binary.csv: cannot read as CSV (row 2 is not UTF-8 text)"
    );
}

#[test]
fn oversized_file_is_refused_before_reading() {
    let dir = TempDir::new("oversized");
    let path = dir.0.join("big.csv");
    let file = std::fs::File::create(&path).unwrap();
    // A sparse file: no disk space is used, but its length is beyond the limit.
    let limit = 4 * dlscope::lowrank::input::DEFAULT_MAX_BYTES;
    file.set_len(limit + 1).unwrap();
    assert_eq!(
        message(&path),
        "big.csv: file is 536,870,913 bytes, more than the limit of 536,870,912 bytes (4 × --max-bytes)"
    );
}

#[test]
fn problem_kinds_are_matchable() {
    let dir = TempDir::new("kinds");
    let path = dir.write("data.csv", b"1,2\n3,x\n");
    let err = load_path(&path).unwrap_err();
    assert_eq!(
        err.problem,
        Problem::NotANumber {
            row: 2,
            col: 2,
            cell: "x".into()
        }
    );
}
