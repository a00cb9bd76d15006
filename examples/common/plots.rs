//! Pictures for the examples: training curves, a confusion matrix, a digit. Text is drawn
//! with the DejaVu font embedded in the binary, so no system font is needed.
#![allow(dead_code)] // each example uses some of these

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;

type Result<T> = std::result::Result<T, String>;

fn fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
    });
}

/// A picture that could not be drawn, as the library's error for that file.
pub fn error(path: &Path, msg: String) -> tensorgears::Error {
    tensorgears::Error::Data {
        file: path.display().to_string(),
        msg: format!("cannot draw the picture: {msg}"),
    }
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Loss and accuracy per epoch, side by side, as a PNG.
pub fn curves(path: &Path, losses: &[f32], accuracies: &[f32]) -> Result<()> {
    fonts();
    let root = BitMapBackend::new(path, (1100, 450)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let (left, right) = root.split_horizontally(550);
    let epochs = losses.len().max(1) as f32;
    let series = [
        (left, losses, "training loss", "loss", RED),
        (right, accuracies, "training accuracy", "accuracy", BLUE),
    ];
    for (area, values, title, y_label, color) in series {
        let lo = values.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let pad = ((hi - lo) * 0.1).max(1e-3);
        let mut chart = ChartBuilder::on(&area)
            .caption(title, ("sans-serif", 24))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(65)
            .build_cartesian_2d(0.5f32..epochs + 0.5, (lo - pad)..(hi + pad))
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc(y_label)
            .x_labels(values.len().max(2))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.3}"))
            .label_style(("sans-serif", 15))
            .draw()
            .map_err(err)?;
        let points = values.iter().enumerate().map(|(i, &v)| (i as f32 + 1.0, v));
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            .map_err(err)?;
        chart
            .draw_series(points.map(|p| Circle::new(p, 4, color.filled())))
            .map_err(err)?;
    }
    root.present().map_err(err)
}

/// A 10x10 confusion matrix (rows: true digit, columns: predicted digit) as a PNG heat map
/// with the count in each cell.
pub fn confusion(path: &Path, counts: &[[u32; 10]; 10]) -> Result<()> {
    fonts();
    let root = BitMapBackend::new(path, (720, 720)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("confusion matrix, test set", ("sans-serif", 26))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..10.0, 0f64..10.0)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("predicted digit")
        .y_desc("true digit")
        .x_labels(11)
        .y_labels(11)
        // Ticks fall on cell edges; shift each label half a cell, onto the cell it names.
        .x_label_offset(32)
        .y_label_offset(-32)
        .x_label_formatter(&|x| {
            if *x < 9.5 {
                format!("{}", x.round() as i32)
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| {
            if *y < 9.5 {
                format!("{}", 9 - y.round() as i32)
            } else {
                String::new()
            }
        })
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(err)?;
    let max = counts.iter().flatten().copied().max().unwrap_or(1).max(1) as f64;
    for (t, row) in counts.iter().enumerate() {
        for (p, &n) in row.iter().enumerate() {
            // Row 0 at the top, as a matrix is read.
            let (x, y) = (p as f64, 9.0 - t as f64);
            let shade = (n as f64 / max).sqrt();
            let c = (255.0 * (1.0 - shade)) as u8;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x, y), (x + 1.0, y + 1.0)],
                    RGBColor(c, c, 255).filled(),
                )))
                .map_err(err)?;
            let text_color = if shade > 0.6 { WHITE } else { BLACK };
            let style = TextStyle::from(("sans-serif", 14).into_font())
                .color(&text_color)
                .pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Center,
                ));
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{n}"),
                    (x + 0.5, y + 0.5),
                    style,
                )))
                .map_err(err)?;
        }
    }
    root.present().map_err(err)
}

/// A grey-scale digit as a PNG, dark ink on a light background (like matplotlib's
/// `cmap=binary`), each pixel drawn as a `scale` x `scale` square.
pub fn digit(path: &Path, pixels: &[u8], rows: usize, cols: usize, scale: u32) -> Result<()> {
    let img = image::GrayImage::from_fn(cols as u32 * scale, rows as u32 * scale, |x, y| {
        let p = pixels[(y / scale) as usize * cols + (x / scale) as usize];
        image::Luma([255 - p])
    });
    img.save(path).map_err(err)
}
