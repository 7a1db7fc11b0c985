//! The whole command-line surface in one place (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::app::TabId;
use crate::theme::ColorChoice;

/// Explore the fundamentals of deep learning from a terminal: ResNet's parameters, low-rank
/// approximation by the SVD, scale invariance, and gradients through RNNs and LSTMs.
#[derive(Debug, Parser)]
#[command(name = "dlscope", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub display: Display,

    /// The tab the app opens on.
    #[arg(long, value_enum, default_value = "resnet")]
    pub tab: TabId,

    /// Enable the mouse: click tabs and rows.
    #[arg(long)]
    pub mouse: bool,

    /// An image (PNG, JPEG, PGM/PPM), 2-D .npy array or numeric CSV for the low-rank tab.
    #[arg(long, value_name = "PATH")]
    pub input: Option<PathBuf>,

    /// Inputs larger than this on a side are downscaled (low-rank tab).
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(2..=8192))]
    pub max_side: u32,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// How things are drawn; shared by the app and `snapshot`.
#[derive(Debug, Args, Clone)]
pub struct Display {
    /// Colour: auto (the default: none when NO_COLOR is set), always, or never.
    #[arg(long, value_enum, default_value = "auto", global = true)]
    pub color: ColorChoice,

    /// Draw only ASCII characters (the default where the locale is not UTF-8).
    #[arg(long, global = true)]
    pub ascii: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render one tab headlessly after some keys and print the frame as plain text.
    Snapshot(SnapshotArgs),
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// The tab to render.
    #[arg(long, value_enum)]
    pub tab: TabId,
    /// Frame width in columns.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub width: u16,
    /// Frame height in rows.
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub height: u16,
    /// Keys to press first, space-separated, named as the help overlay writes them
    /// (e.g. "j j Enter ?").
    #[arg(long, default_value = "", allow_hyphen_values = true)]
    pub keys: String,
    /// An input file for the low-rank tab.
    #[arg(long, value_name = "PATH")]
    pub input: Option<PathBuf>,
}
