//! Pictures through a terminal image protocol (kitty, sixel or iTerm2, encoded by ratatui-image)
//! where `Ui::images` chose one, else as cells ([`GreyImage`]: half blocks or characters). An
//! encoded picture is kept until the picture, its area or the screen changes, so a frame that
//! changes something else re-sends nothing, and a resize re-encodes at the new size.

use std::cell::RefCell;

use image::{DynamicImage, GrayImage};
use ratatui::buffer::Buffer;
use ratatui::layout::{Rect, Size};
use ratatui::widgets::Widget;
use ratatui_image::protocol::Protocol as Encoded;
use ratatui_image::protocol::iterm2::Iterm2;
use ratatui_image::protocol::kitty::Kitty;
use ratatui_image::protocol::sixel::Sixel;

use super::image::GreyImage;
use crate::graphics::{Images, Protocol};
use crate::theme::Ui;

/// An image larger than this many pixels is drawn as cells instead (a guard, not a limit met in
/// practice: 200×60 cells of 10×20 pixels are 2.4 million).
const MAX_PIXELS: u64 = 16_000_000;

/// What an encoded picture was made from: when any part changes, it is made again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    revision: u64,
    area: Rect,
    images: Images,
}

struct Slot {
    key: Key,
    /// Where the picture sits and its encoding; `None` when encoding failed (cells are drawn).
    placed: Option<(Rect, Encoded)>,
}

/// The encoded pictures of one tab, one slot per picture it shows.
#[derive(Default)]
pub struct Pictures {
    slots: RefCell<Vec<Option<Slot>>>,
}

impl Pictures {
    pub fn new() -> Self {
        Self::default()
    }

    /// Draws picture `slot` fitted and centred in `area`. `revision` names the picture's
    /// content: the caller changes it whenever the values (or their range) change, and only
    /// then, or when the area or `ui.images` change, is the picture encoded again.
    pub fn render(
        &self,
        slot: usize,
        revision: u64,
        image: &GreyImage,
        area: Rect,
        buf: &mut Buffer,
        ui: &Ui,
    ) {
        let area = area.intersection(buf.area);
        let Some(protocol) = ui.images.protocol() else {
            image.render(area, buf, ui);
            return;
        };
        let key = Key {
            revision,
            area,
            images: ui.images,
        };
        let mut slots = self.slots.borrow_mut();
        if slots.len() <= slot {
            slots.resize_with(slot + 1, || None);
        }
        let fresh = !matches!(&slots[slot], Some(s) if s.key == key);
        if fresh {
            let id = ui.images.id_base.wrapping_add(slot as u32).max(1);
            slots[slot] = Some(Slot {
                key,
                placed: encode(image, area, &ui.images, protocol, id),
            });
        }
        match slots[slot].as_ref().and_then(|s| s.placed.as_ref()) {
            Some((at, encoded)) => ratatui_image::Image::new(encoded).render(*at, buf),
            None => image.render(area, buf, ui),
        }
    }
}

/// The cells a `rows`×`cols` picture takes in `area` with its aspect ratio kept, for cells of
/// `cell` pixels, centred.
pub fn placement(rows: usize, cols: usize, area: Rect, cell: (u16, u16)) -> Option<Rect> {
    if rows == 0 || cols == 0 || area.width == 0 || area.height == 0 || cell.0 == 0 || cell.1 == 0 {
        return None;
    }
    let (cw, ch) = (f64::from(cell.0), f64::from(cell.1));
    let scale =
        (f64::from(area.width) * cw / cols as f64).min(f64::from(area.height) * ch / rows as f64);
    let w = ((cols as f64 * scale / cw).round() as u16).clamp(1, area.width);
    let h = ((rows as f64 * scale / ch).round() as u16).clamp(1, area.height);
    Some(Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    ))
}

/// The picture at exactly the pixels of its cells, encoded for `protocol`.
fn encode(
    image: &GreyImage,
    area: Rect,
    images: &Images,
    protocol: Protocol,
    id: u32,
) -> Option<(Rect, Encoded)> {
    let at = placement(image.rows, image.cols, area, images.cell)?;
    let width = u32::from(at.width) * u32::from(images.cell.0);
    let height = u32::from(at.height) * u32::from(images.cell.1);
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return None;
    }
    let pixels = image.pixels(width as usize, height as usize);
    let grey = DynamicImage::ImageLuma8(GrayImage::from_raw(width, height, pixels)?);
    let size = Size::new(at.width, at.height);
    let encoded = match protocol {
        Protocol::Kitty => {
            Encoded::Kitty(Kitty::new(grey, size, id, images.tmux, images.kitty_compression).ok()?)
        }
        Protocol::Sixel => Encoded::Sixel(Sixel::new(grey, size, images.tmux).ok()?),
        Protocol::Iterm2 => Encoded::ITerm2(Iterm2::new(grey, size, images.tmux).ok()?),
    };
    Some((at, encoded))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::color::ColorDepth;
    use crate::graphics::{Drawing, Images};

    fn ui_with(drawing: Drawing) -> Ui {
        let ui = Ui::new(ColorDepth::TrueColor, true);
        let images = Images {
            drawing,
            ..ui.images
        };
        ui.with_images(images)
    }

    fn ramp() -> impl Fn(usize, usize) -> f64 {
        |r: usize, c: usize| (r + c) as f64
    }

    /// An 8×8 ramp, 0 at the top left to 14 at the bottom right.
    fn ramp_image(f: &dyn Fn(usize, usize) -> f64) -> GreyImage<'_> {
        GreyImage {
            rows: 8,
            cols: 8,
            value: f,
            range: (0.0, 14.0),
        }
    }

    fn first_symbol(buf: &Buffer) -> String {
        buf.content
            .iter()
            .map(|c| c.symbol())
            .find(|s| s.contains('\x1b'))
            .unwrap_or_default()
            .to_string()
    }

    #[test]
    fn placement_keeps_the_aspect_ratio_in_pixels() {
        // A square in 40×10 cells of 10×20 pixels: 200×200 pixels, 20×10 cells.
        let at = placement(64, 64, Rect::new(0, 0, 40, 10), (10, 20));
        assert_eq!(at, Some(Rect::new(10, 0, 20, 10)));
        let at = placement(10, 100, Rect::new(0, 0, 40, 10), (10, 20));
        assert_eq!(at, Some(Rect::new(0, 4, 40, 2)));
        assert_eq!(placement(0, 3, Rect::new(0, 0, 4, 4), (10, 20)), None);
        assert_eq!(placement(3, 3, Rect::new(0, 0, 0, 4), (10, 20)), None);
    }

    #[test]
    fn cells_without_a_protocol() {
        let f = ramp();
        let img = ramp_image(&f);
        let area = Rect::new(0, 0, 16, 8);
        let ui = ui_with(Drawing::HalfBlocks);
        let mut direct = Buffer::empty(area);
        img.render(area, &mut direct, &ui);
        let mut via = Buffer::empty(area);
        Pictures::new().render(0, 1, &img, area, &mut via, &ui);
        assert_eq!(direct, via);
    }

    #[test]
    fn each_protocol_writes_its_escape() {
        let f = ramp();
        let img = ramp_image(&f);
        let area = Rect::new(0, 0, 16, 8);
        for (protocol, start) in [
            (Protocol::Kitty, "\x1b_G"),
            (Protocol::Sixel, "\x1bP"),
            (Protocol::Iterm2, "\x1b]1337;File="),
        ] {
            let ui = ui_with(Drawing::Protocol(protocol));
            let mut buf = Buffer::empty(area);
            Pictures::new().render(0, 1, &img, area, &mut buf, &ui);
            let escape = first_symbol(&buf);
            assert!(
                escape.contains(start),
                "{protocol:?}: {:?}",
                &escape[..40.min(escape.len())]
            );
        }
    }

    #[test]
    fn encoded_once_until_the_picture_area_or_screen_changes() {
        let f = ramp();
        let img = ramp_image(&f);
        let area = Rect::new(0, 0, 16, 8);
        let ui = ui_with(Drawing::Protocol(Protocol::Kitty));
        let pictures = Pictures::new();
        let draw = |revision: u64, area: Rect, ui: &Ui| {
            let mut buf = Buffer::empty(Rect::new(0, 0, 40, 20));
            pictures.render(0, revision, &img, area, &mut buf, ui);
            first_symbol(&buf)
        };
        // Kitty transmits once; the same picture again is placeholders only.
        assert!(draw(1, area, &ui).contains("\x1b_G"));
        assert_eq!(draw(1, area, &ui), "");
        assert!(draw(2, area, &ui).contains("\x1b_G"), "new content");
        assert_eq!(draw(2, area, &ui), "");
        assert!(
            draw(2, Rect::new(0, 0, 20, 10), &ui).contains("\x1b_G"),
            "resized"
        );
        let mut cleared = ui.clone();
        cleared.images.epoch += 1;
        assert!(
            draw(2, Rect::new(0, 0, 20, 10), &cleared).contains("\x1b_G"),
            "screen cleared"
        );
    }

    #[test]
    fn tiny_and_empty_areas_do_not_panic() {
        let f = ramp();
        for (rows, cols) in [(0, 0), (1, 1), (3, 200), (200, 3)] {
            let img = GreyImage {
                rows,
                cols,
                value: &f,
                range: (0.0, 1.0),
            };
            for protocol in [Protocol::Kitty, Protocol::Sixel, Protocol::Iterm2] {
                let ui = ui_with(Drawing::Protocol(protocol));
                for (w, h) in [(0, 0), (1, 1), (2, 1), (5, 3), (40, 12)] {
                    let area = Rect::new(0, 0, w, h);
                    let mut buf = Buffer::empty(Rect::new(0, 0, 5, 5));
                    Pictures::new().render(0, 0, &img, area, &mut buf, &ui);
                }
            }
        }
    }
}
