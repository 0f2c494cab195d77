//! PNG export of a region of the window (the smile plot): ask the integration for a screenshot of the next
//! frame, crop it to the region, encode it as PNG and write it atomically.
//!
//! egui 0.37 delivers screenshots through a one-shot callback ([`egui::Context::request_screenshot`]), not
//! as an input event: the callback hands the image to [`PlotPng`] over a channel, and [`PlotPng::poll`],
//! called every frame, finishes the export.

use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;

use egui::{ColorImage, Rect};

/// Debug hook: when this environment variable holds a path (`VOLSCOPE_EXPORT_PNG_ON_START=/tmp/smile.png`),
/// the app exports the smile plot there as PNG once the first fit is drawn, and reports the outcome in the
/// status bar. Used to check the export end to end in a virtual display (Xvfb).
pub const EXPORT_PNG_ON_START_ENV: &str = "VOLSCOPE_EXPORT_PNG_ON_START";

/// Frames to let the layout settle before the start-up export (panels size themselves over the first frames).
const START_EXPORT_MIN_PASSES: u64 = 5;
/// Frames after which the start-up export gives up waiting for the plot.
const START_EXPORT_MAX_PASSES: u64 = 3000;

/// One export waiting for its screenshot.
struct Pending {
    /// Region to keep, in points.
    rect_pt: Rect,
    /// Physical pixels per point when the export was requested.
    pixels_per_point: f32,
    /// Where the PNG goes.
    path: PathBuf,
    /// Where the screenshot callback sends the image.
    image: Receiver<Arc<ColorImage>>,
}

/// Exports a region of the window as PNG: [`PlotPng::request`] once, then [`PlotPng::poll`] every frame until
/// it answers.
#[derive(Default)]
pub struct PlotPng {
    /// The export in flight, if any (a new request replaces it).
    pending: Option<Pending>,
    /// The start-up export's path (see [`EXPORT_PNG_ON_START_ENV`]), until it is requested.
    on_start: Option<PathBuf>,
    /// Why the start-up export gave up, until [`PlotPng::poll`] reports it.
    start_failed: Option<String>,
    /// An export asked for this frame (region in points, path), requested at the end of the frame.
    queued: Option<(Rect, PathBuf)>,
}

impl PlotPng {
    /// An exporter with the start-up export of [`EXPORT_PNG_ON_START_ENV`] armed when the variable is set.
    pub fn from_env() -> Self {
        let on_start = std::env::var_os(EXPORT_PNG_ON_START_ENV).filter(|p| !p.is_empty()).map(PathBuf::from);
        PlotPng { on_start, ..PlotPng::default() }
    }

    /// `true` from a request until its PNG is written (the plot then hides hover marks, which the
    /// screenshot would keep).
    pub fn is_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Asks for a screenshot of the next frame; [`PlotPng::poll`] crops it to `rect` (points) and writes `path`.
    pub fn request(&mut self, ctx: &egui::Context, rect: Rect, path: PathBuf) {
        let (sender, image) = channel();
        let waker = ctx.clone();
        ctx.request_screenshot(move |shot| {
            // The receiver may be gone (a newer request replaced this one): nothing to do then.
            let _ = sender.send(shot);
            waker.request_repaint();
        });
        self.pending = Some(Pending { rect_pt: rect, pixels_per_point: ctx.pixels_per_point(), path, image });
    }

    /// Asks for an export of `rect` (points) to `path`; [`PlotPng::start_export_if_due`] requests its
    /// screenshot at the end of the frame.
    pub fn queue(&mut self, rect: Rect, path: PathBuf) {
        self.queued = Some((rect, path));
    }

    /// Requests the queued export (see [`PlotPng::queue`]), and the start-up export once the plot is `ready`
    /// (its fit done) and its `rect` is known; keeps frames coming until then, and gives up after
    /// `START_EXPORT_MAX_PASSES` frames. The start-up part does nothing when the hook is not armed.
    pub fn start_export_if_due(&mut self, ctx: &egui::Context, rect: Option<Rect>, ready: bool) {
        if let Some((rect, path)) = self.queued.take() {
            self.request(ctx, rect, path);
        }
        let Some(path) = self.on_start.take() else { return };
        let pass = ctx.cumulative_pass_nr();
        match rect {
            Some(rect) if ready && pass >= START_EXPORT_MIN_PASSES => self.request(ctx, rect, path),
            _ if pass > START_EXPORT_MAX_PASSES => {
                self.start_failed = Some(format!("no plot to export to {} after {pass} frames", path.display()));
            }
            _ => {
                self.on_start = Some(path);
                ctx.request_repaint();
            }
        }
    }

    /// Finishes the export in flight once its screenshot has arrived: the written path, or why it failed.
    /// `None` while there is nothing to report.
    pub fn poll(&mut self, ctx: &egui::Context) -> Option<Result<PathBuf, String>> {
        if let Some(reason) = self.start_failed.take() {
            return Some(Err(reason));
        }
        let pending = self.pending.as_ref()?;
        let image = match pending.image.try_recv() {
            Ok(image) => image,
            Err(std::sync::mpsc::TryRecvError::Empty) => {
                ctx.request_repaint();
                return None;
            }
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                let path = self.pending.take()?.path;
                return Some(Err(format!("no screenshot came for {}", path.display())));
            }
        };
        let pending = self.pending.take()?;
        let rect_px = rect_to_pixels(pending.rect_pt, pending.pixels_per_point);
        Some(write_png(&image, rect_px, pending.path))
    }
}

/// Crops, encodes and writes atomically; the path on success.
fn write_png(image: &ColorImage, rect_px: [usize; 4], path: PathBuf) -> Result<PathBuf, String> {
    let bytes = encode_png_crop(image, rect_px)?;
    crate::io::write_atomically(&path, |w| std::io::Write::write_all(w, &bytes))
        .map_err(|e| format!("writing {} failed: {e}", path.display()))?;
    Ok(path)
}

/// A rect in points as whole physical pixels `[x_min, y_min, x_max, y_max]` (max exclusive), widened outwards
/// to whole pixels; negative or non-finite coordinates become 0.
pub fn rect_to_pixels(rect_pt: Rect, pixels_per_point: f32) -> [usize; 4] {
    let px = |v: f32, round: fn(f32) -> f32| {
        let p = round(v * pixels_per_point);
        if p.is_finite() && p > 0.0 {
            p as usize
        } else {
            0
        }
    };
    [
        px(rect_pt.min.x, f32::floor),
        px(rect_pt.min.y, f32::floor),
        px(rect_pt.max.x, f32::ceil),
        px(rect_pt.max.y, f32::ceil),
    ]
}

/// The part `rect_px = [x_min, y_min, x_max, y_max]` (pixels, max exclusive) of `image` as an 8-bit RGB PNG.
///
/// The rect is clamped to the image; an empty result is an error. Alpha is dropped: a screenshot's colours are
/// what the screen showed, and a framebuffer's alpha channel is not meaningful.
pub fn encode_png_crop(image: &ColorImage, rect_px: [usize; 4]) -> Result<Vec<u8>, String> {
    let [width_px, height_px] = image.size;
    if image.pixels.len() != width_px.saturating_mul(height_px) {
        return Err(format!("image of {width_px}×{height_px} pixels holds {} pixels", image.pixels.len()));
    }
    let x0 = rect_px[0].min(width_px);
    let y0 = rect_px[1].min(height_px);
    let x1 = rect_px[2].min(width_px);
    let y1 = rect_px[3].min(height_px);
    if x1 <= x0 || y1 <= y0 {
        return Err(format!("empty crop {rect_px:?} of an image of {width_px}×{height_px} pixels"));
    }
    let (w, h) = (x1 - x0, y1 - y0);
    let mut rgb = Vec::with_capacity(w * h * 3);
    for row in image.pixels[y0 * width_px..y1 * width_px].chunks_exact(width_px) {
        for c in &row[x0..x1] {
            rgb.extend_from_slice(&[c.r(), c.g(), c.b()]);
        }
    }
    let too_big = |_| format!("crop of {w}×{h} pixels is too large for PNG");
    let (w32, h32) = (u32::try_from(w).map_err(too_big)?, u32::try_from(h).map_err(too_big)?);
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w32, h32);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let encode_err = |e: png::EncodingError| format!("PNG encoding failed: {e}");
    let mut writer = encoder.write_header().map_err(encode_err)?;
    writer.write_image_data(&rgb).map_err(encode_err)?;
    writer.finish().map_err(encode_err)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::Color32;

    /// A `w`×`h` opaque image whose pixel (x, y) is (x, y, x + y).
    fn ramp(w: usize, h: usize) -> ColorImage {
        let pixels =
            (0..h).flat_map(|y| (0..w).map(move |x| Color32::from_rgb(x as u8, y as u8, (x + y) as u8))).collect();
        ColorImage::new([w, h], pixels)
    }

    /// Decodes an 8-bit RGB PNG: (width, height, bytes).
    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.color_type, info.bit_depth), (png::ColorType::Rgb, png::BitDepth::Eight));
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    #[test]
    fn a_crop_decodes_to_exactly_its_pixels() {
        let image = ramp(7, 5);
        let (w, h, rgb) = decode(&encode_png_crop(&image, [2, 1, 5, 4]).unwrap());
        assert_eq!((w, h), (3, 3));
        let expected: Vec<u8> = (1..4u8).flat_map(|y| (2..5u8).flat_map(move |x| [x, y, x + y])).collect();
        assert_eq!(rgb, expected);
    }

    #[test]
    fn the_whole_image_round_trips() {
        let image = ramp(4, 3);
        let (w, h, rgb) = decode(&encode_png_crop(&image, [0, 0, 4, 3]).unwrap());
        assert_eq!((w, h), (4, 3));
        let expected: Vec<u8> = image.pixels.iter().flat_map(|c| [c.r(), c.g(), c.b()]).collect();
        assert_eq!(rgb, expected);
    }

    #[test]
    fn out_of_range_rects_are_clamped() {
        let image = ramp(6, 4);
        let (w, h, rgb) = decode(&encode_png_crop(&image, [4, 2, 100, usize::MAX]).unwrap());
        assert_eq!((w, h), (2, 2));
        assert_eq!(rgb, vec![4, 2, 6, 5, 2, 7, 4, 3, 7, 5, 3, 8]);
    }

    #[test]
    fn empty_crops_are_errors_not_panics() {
        let image = ramp(6, 4);
        for rect in [[3, 1, 3, 4], [3, 1, 2, 4], [0, 4, 6, 9], [6, 0, 10, 4], [10, 10, 20, 20], [0, 0, 0, 0]] {
            assert!(encode_png_crop(&image, rect).unwrap_err().contains("empty crop"), "{rect:?}");
        }
        let empty = ColorImage::new([0, 0], Vec::new());
        assert!(encode_png_crop(&empty, [0, 0, 10, 10]).is_err());
        let inconsistent = ColorImage { size: [3, 3], source_size: egui::Vec2::ZERO, pixels: vec![Color32::RED; 4] };
        assert!(encode_png_crop(&inconsistent, [0, 0, 3, 3]).is_err());
    }

    #[test]
    fn a_rect_in_points_widens_to_whole_pixels() {
        let rect = Rect::from_min_max(egui::pos2(10.2, 20.0), egui::pos2(30.6, 40.5));
        assert_eq!(rect_to_pixels(rect, 1.0), [10, 20, 31, 41]);
        assert_eq!(rect_to_pixels(rect, 2.0), [20, 40, 62, 81]);
        let off_screen = Rect::from_min_max(egui::pos2(-5.0, f32::NAN), egui::pos2(3.0, 4.0));
        assert_eq!(rect_to_pixels(off_screen, 1.5), [0, 0, 5, 6]);
    }

    #[test]
    fn an_export_writes_the_cropped_png_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("smile.png");
        let written = write_png(&ramp(8, 8), [1, 1, 3, 2], path.clone()).unwrap();
        assert_eq!(written, path);
        let (w, h, rgb) = decode(&std::fs::read(&path).unwrap());
        assert_eq!((w, h, rgb), (2, 1, vec![1, 1, 2, 2, 1, 3]));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
        let missing_dir = dir.path().join("no/such/dir/smile.png");
        assert!(write_png(&ramp(8, 8), [0, 0, 8, 8], missing_dir).unwrap_err().contains("writing"));
    }

    /// Runs one frame of `ctx` with `frame`; the screenshot callbacks it asked for.
    fn frame(ctx: &egui::Context, mut frame: impl FnMut(&egui::Context)) -> Vec<egui::ScreenshotCallback> {
        let mut output = ctx.run_ui(egui::RawInput::default(), |ui| frame(ui.ctx()));
        output.textures_delta.clear(); // no painter here: the font atlas is never uploaded
        let commands = output.viewport_output.into_values().flat_map(|v| v.commands);
        commands
            .filter_map(|c| match c {
                egui::ViewportCommand::Screenshot(callback) => Some(callback),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_requested_screenshot_is_cropped_and_written_when_it_arrives() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plot.png");
        let ctx = egui::Context::default();
        let mut png = PlotPng::default();
        assert!(png.poll(&ctx).is_none(), "nothing to report before a request");
        let rect = Rect::from_min_max(egui::pos2(1.0, 2.0), egui::pos2(4.0, 3.0));
        let shots = frame(&ctx, |ctx| png.request(ctx, rect, path.clone()));
        assert_eq!(shots.len(), 1, "one screenshot asked for");
        assert!(png.poll(&ctx).is_none(), "waiting for the screenshot");
        for shot in shots {
            shot.complete(Arc::new(ramp(8, 8)));
        }
        assert_eq!(png.poll(&ctx), Some(Ok(path.clone())));
        let (w, h, rgb) = decode(&std::fs::read(&path).unwrap());
        assert_eq!((w, h, rgb), (3, 1, vec![1, 2, 3, 2, 2, 4, 3, 2, 5]));
        assert!(png.poll(&ctx).is_none(), "reported once");
    }

    #[test]
    fn a_screenshot_that_never_comes_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = egui::Context::default();
        let mut png = PlotPng::default();
        let rect = Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(4.0, 4.0));
        let shots = frame(&ctx, |ctx| png.request(ctx, rect, dir.path().join("plot.png")));
        drop(shots);
        assert!(png.poll(&ctx).unwrap().unwrap_err().contains("no screenshot came"));
    }

    #[test]
    fn the_start_up_export_waits_for_the_plot_and_gives_up_in_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = egui::Context::default();
        let rect = Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(4.0, 4.0));
        let armed = || PlotPng { on_start: Some(dir.path().join("start.png")), ..PlotPng::default() };

        let mut png = armed();
        let mut asked = 0;
        for pass in 0..=START_EXPORT_MIN_PASSES {
            let ready = pass >= 2;
            asked += frame(&ctx, |ctx| png.start_export_if_due(ctx, Some(rect), ready)).len();
        }
        assert_eq!(asked, 1, "one screenshot, once the plot is ready and the layout has settled");
        assert!(png.on_start.is_none() && png.pending.is_some());

        let mut png = armed();
        let mut asked = 0;
        while ctx.cumulative_pass_nr() <= START_EXPORT_MAX_PASSES + 1 {
            asked += frame(&ctx, |ctx| png.start_export_if_due(ctx, None, true)).len();
        }
        assert_eq!(asked, 0);
        assert!(png.poll(&ctx).unwrap().unwrap_err().contains("no plot to export"));
        assert!(png.poll(&ctx).is_none());
        assert_eq!(PlotPng::default().on_start, None, "not armed by default");
    }
}
