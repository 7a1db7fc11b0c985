//! Pictures: PNG, JPEG and PGM/PPM files decoded into grey levels in [0, 1] (colour as luma),
//! within decode limits read from the header, and shrunk by area averaging to fit `max_side`.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::resize::resample;
use super::{Fitted, InputError, Loaded, MAX_DECODED_BYTES, MAX_IMAGE_SIDE, Problem};

pub(super) fn image_format_for_extension(ext: &str) -> Option<ImageFormat> {
    match ext {
        "png" => Some(ImageFormat::Png),
        "jpg" | "jpeg" => Some(ImageFormat::Jpeg),
        "pgm" | "ppm" | "pnm" | "pbm" | "pam" => Some(ImageFormat::Pnm),
        _ => None,
    }
}

pub(super) fn format_name(format: ImageFormat) -> &'static str {
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

/// What a decoder said was wrong, as one clean clause: the decoder's own message without the
/// image crate's "Format error decoding Jpeg:" wrapper (the format is named already), its debug
/// quoting, runs of spaces and trailing spaces or punctuation.
pub(super) fn decoder_detail(e: &image::ImageError) -> String {
    let text = match e {
        image::ImageError::Decoding(decoding) => match std::error::Error::source(decoding) {
            Some(underlying) => underlying.to_string(),
            None => decoding.to_string(),
        },
        other => other.to_string(),
    };
    clean_detail(&text)
}

/// One line of words: whitespace runs become one space, a debug wrapper such as `Format("…")`
/// and zune-jpeg's "I/O errors" prefix are removed, its ". Reason:" becomes ": ", the ends lose spaces, quotes and a final
/// full stop, and a capital that starts a sentence is lowered (the text follows a parenthesis).
pub(super) fn clean_detail(text: &str) -> String {
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let unwrapped = ["Format(\"", "FormatStatic(\""]
        .iter()
        .find_map(|prefix| words.strip_prefix(prefix)?.strip_suffix("\")"))
        .unwrap_or(&words);
    let unwrapped = unwrapped.strip_prefix("I/O errors ").unwrap_or(unwrapped);
    let unwrapped = unwrapped
        .replace(". Reason:", ": ")
        .replace(". Reason ", ": ");
    let trimmed = unwrapped.trim_matches(|c: char| c.is_whitespace() || c == '"' || c == '.');
    let mut chars = trimmed.chars();
    match (chars.next(), chars.next()) {
        (None, _) => "the decoder gave no reason".to_string(),
        (Some(first), Some(second)) if first.is_uppercase() && second.is_lowercase() => first
            .to_lowercase()
            .chain(trimmed.chars().skip(1))
            .collect(),
        _ => trimmed.to_string(),
    }
}

/// True if a JPEG file ends before its end-of-image marker (a cut-short download, say). The
/// decoder would fill the missing rows with grey and say nothing, so this is checked first.
/// The marker segments are walked by their lengths up to the first scan, whose entropy-coded
/// data holds 0xFF only as 0xFF00 or a restart marker; any other marker after it starts a
/// segment (more tables and scans in a progressive file), up to 0xFFD9.
pub(super) fn jpeg_ends_early(bytes: &[u8]) -> bool {
    let mut i = 2; // after the start-of-image marker
    let mut in_scan = false;
    loop {
        let Some(&byte) = bytes.get(i) else {
            return true;
        };
        if in_scan {
            if byte != 0xFF {
                i += 1;
                continue;
            }
            match bytes.get(i + 1) {
                None => return true,
                Some(0x00 | 0xD0..=0xD7 | 0xFF) => {
                    i += 1;
                    continue;
                }
                Some(_) => in_scan = false,
            }
        }
        if byte != 0xFF {
            return false; // not a marker: the decoder says what is wrong
        }
        let Some(&marker) = bytes.get(i + 1) else {
            return true;
        };
        match marker {
            0xFF => i += 1,
            0xD9 => return false,
            0x01 | 0xD0..=0xD7 => i += 2,
            _ => {
                let (Some(&high), Some(&low)) = (bytes.get(i + 2), bytes.get(i + 3)) else {
                    return true;
                };
                i += 2 + usize::from(u16::from_be_bytes([high, low]));
                in_scan = marker == 0xDA;
            }
        }
    }
}

/// Decode an image (format from its signature) into grey levels in [0, 1].
pub(super) fn load_image_bytes(
    file: &str,
    bytes: &[u8],
    max_side: usize,
) -> Result<Loaded, InputError> {
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
            detail: format!(
                "the header announces a size beyond the limits: {}",
                decoder_detail(&e)
            ),
        }),
        other => error(Problem::CorruptImage {
            format: format_name(format),
            detail: decoder_detail(&other),
        }),
    };
    if format == ImageFormat::Jpeg && jpeg_ends_early(bytes) {
        return Err(error(Problem::CorruptImage {
            format: format_name(format),
            detail: "the file ends before the image does".to_string(),
        }));
    }
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
