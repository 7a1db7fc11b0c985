//! The whole command-line surface in one place (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::color::ColorChoice;

/// Explore the fundamentals of deep learning from a terminal: ResNet's parameters, low-rank
/// approximation by the SVD, scale invariance, and gradients through RNNs and LSTMs.
#[derive(Debug, Parser)]
#[command(name = "dlscope", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub display: Display,

    /// The tab the app opens on: resnet, lowrank, scale, rnn or train (default: resnet, or
    /// the config file's `tab`).
    #[arg(long, allow_negative_numbers = true, value_parser = tab_name)]
    pub tab: Option<String>,

    /// Enable the mouse: click tabs and rows.
    #[arg(long)]
    pub mouse: bool,

    /// An image (PNG, JPEG, PGM/PPM), 2-D .npy array or numeric CSV for the low-rank tab.
    #[arg(long, allow_negative_numbers = true, value_name = "PATH")]
    pub input: Option<PathBuf>,

    /// Pictures larger than this on a side are downscaled (low-rank tab).
    #[arg(long, allow_negative_numbers = true, value_name = "N", default_value_t = 1024, value_parser = whole_in::<u32>(2, 8192))]
    pub max_side: u32,

    /// Data matrices (.npy, CSV) are taken whole up to this many bytes as float64 and refused
    /// beyond (low-rank tab; 134217728 is a 4096×4096 matrix).
    #[arg(long, allow_negative_numbers = true, value_name = "BYTES", default_value_t = crate::lowrank::input::DEFAULT_MAX_BYTES, value_parser = whole_in::<u64>(8, MAX_BYTES_LIMIT))]
    pub max_bytes: u64,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// How things are drawn; shared by the app and `snapshot`.
#[derive(Debug, Args, Clone)]
pub struct Display {
    /// Colour: auto (the default: none when NO_COLOR is set), always, or never.
    #[arg(long, allow_negative_numbers = true, value_enum, global = true)]
    pub color: Option<ColorChoice>,

    /// Read settings from this file instead of the usual place
    /// ($XDG_CONFIG_HOME/dlscope/config.toml or ~/.config/dlscope/config.toml).
    #[arg(
        long,
        allow_negative_numbers = true,
        value_name = "PATH",
        global = true,
        conflicts_with = "no_config"
    )]
    pub config: Option<PathBuf>,

    /// Read no config file.
    #[arg(long, global = true)]
    pub no_config: bool,

    /// Draw only ASCII characters (the default where the locale is not UTF-8); pictures too,
    /// unless --graphics says otherwise.
    #[arg(long, global = true)]
    pub ascii: bool,

    /// How pictures (the low-rank images) are drawn; inside tmux a protocol needs tmux's
    /// allow-passthrough on. Default: auto, or ascii with --ascii, or the config file's
    /// `graphics`.
    #[arg(
        long,
        allow_negative_numbers = true,
        value_enum,
        global = true,
        value_name = "HOW"
    )]
    pub graphics: Option<crate::graphics::Graphics>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Problem 1: a ResNet's module tree with parameters, output shapes and MACs.
    Resnet(ResnetArgs),
    /// Problem 2: X ≈ AB by the SVD at one rank, with the error both ways (Eckart–Young).
    Lowrank(LowrankArgs),
    /// Problem 3: gradient descent on a scale-invariant function.
    Scale(ScaleArgs),
    /// Problem 6: gradient norms through time in an RNN or an LSTM.
    Rnn(RnnArgs),
    /// Problem 6, trained: an RNN and an LSTM learning a task that needs memory, with and
    /// without clipping.
    Train(TrainArgs),
    /// Print the effective settings and where each came from (default, config file, flag).
    Config,
    /// Render one tab headlessly after some keys and print the frame (text, ANSI, SVG or HTML).
    Snapshot(SnapshotArgs),
    /// Internal: the app's low-rank tab starts this to compute a full SVD in a process it can
    /// stop at once (binary request on stdin, answer on stdout).
    #[command(name = "svd-worker", hide = true)]
    SvdWorker,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// The tab to render: resnet, lowrank, scale, rnn or train.
    #[arg(long, allow_negative_numbers = true, value_parser = tab_name)]
    pub tab: String,
    /// Frame width in columns.
    #[arg(long, allow_negative_numbers = true, default_value_t = 120, value_parser = whole_in::<u16>(1, 1000))]
    pub width: u16,
    /// Frame height in rows.
    #[arg(long, allow_negative_numbers = true, default_value_t = 40, value_parser = whole_in::<u16>(1, 1000))]
    pub height: u16,
    /// Keys to press first, space-separated, named as the help overlay writes them
    /// (e.g. "j j Enter ?").
    #[arg(long, default_value = "", allow_hyphen_values = true)]
    pub keys: String,
    /// An input file for the low-rank tab.
    #[arg(long, allow_negative_numbers = true, value_name = "PATH")]
    pub input: Option<PathBuf>,
    /// Take the frame mid-run: after the keys, let the animation they left running play this
    /// many frames (30 a second) instead of jumping to its end.
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u32>, value_name = "N")]
    pub frames: Option<u32>,
    /// How to write the frame: text, ansi (with colour codes), svg or html. With --graphics
    /// kitty, sixel or iterm2, ansi carries the image escapes a terminal would get; text, svg
    /// and html draw the pictures as half blocks (characters without 256 colours).
    #[arg(
        long,
        allow_negative_numbers = true,
        value_enum,
        default_value = "text"
    )]
    pub format: crate::export::Format,
    /// The pixel size of a cell that protocol images are encoded for, WIDTHxHEIGHT.
    #[arg(long, allow_negative_numbers = true, value_name = "WxH", default_value = "10x20", value_parser = cell_size)]
    pub cell_size: (u16, u16),
    /// Print the tab's readout (what `m` copies: its figures and settings in plain lines)
    /// instead of the frame.
    #[arg(long, conflicts_with = "format")]
    pub readout: bool,
}

/// A module name for `--freeze`: never empty (an empty one froze nothing, silently).
fn module_name(text: &str) -> Result<String, String> {
    match text.trim() {
        "" => Err("a module name is empty (give names separated by commas, like layer1,fc)".into()),
        name => Ok(name.to_string()),
    }
}

/// A whole number: a negative or non-numeric value is refused with what is accepted (clap's
/// own message for "-5" would be "unexpected argument" or "invalid digit").
fn whole<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    let t = text.trim();
    t.parse::<T>().map_err(|_| match t.parse::<f64>() {
        Ok(x) if x < 0.0 => "expected a whole number of 0 or more (it cannot be negative)".into(),
        Ok(x) if x.fract() != 0.0 => "expected a whole number (no decimals)".into(),
        Ok(_) => "expected a whole number, and this one is too large".into(),
        Err(_) => "expected a whole number".into(),
    })
}

/// The largest `--max-bytes`: 1 TiB.
const MAX_BYTES_LIMIT: u64 = 1 << 40;

/// A whole number from `lo` to `hi`; anything else is refused naming the range.
fn whole_in<T>(lo: T, hi: T) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy + Send + Sync + 'static,
{
    move |text: &str| {
        let range = || format!("expected a whole number from {lo} to {hi}");
        match text.trim().parse::<T>() {
            Ok(v) if lo <= v && v <= hi => Ok(v),
            _ => Err(range()),
        }
    }
}

/// Reads `WIDTHxHEIGHT` in pixels, each 1 to 1000.
fn cell_size(text: &str) -> Result<(u16, u16), String> {
    let bad = || format!("{text:?} is not WIDTHxHEIGHT in pixels (1 to 1000 each), like 10x20");
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    let w: u16 = w.trim().parse().map_err(|_| bad())?;
    let h: u16 = h.trim().parse().map_err(|_| bad())?;
    if !(1..=1000).contains(&w) || !(1..=1000).contains(&h) {
        return Err(bad());
    }
    Ok((w, h))
}

/// Reads a tab name; the error lists the tabs there are.
fn tab_name(name: &str) -> Result<String, String> {
    crate::tabs::parse_name(name).map(str::to_string)
}

/// A headless command's failure: one line for the user (status 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandError(pub String);

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CommandError {}

impl CommandError {
    /// The error of a flag: `--name: what is wrong`.
    pub fn flag(name: &str, e: impl std::fmt::Display) -> Self {
        CommandError(format!("{name}: {e}"))
    }
    /// Any error as one line.
    pub fn of(e: impl std::fmt::Display) -> Self {
        CommandError(e.to_string())
    }
}

/// What a headless command prints: its text as the glyph set can show it, or JSON.
pub fn emit_text(text: &str, unicode: bool) -> String {
    crate::text::spelled(text, unicode).into_owned()
}

/// Pretty JSON of a report type, with a final newline.
pub fn emit_json<T: serde::Serialize>(value: &T) -> Result<String, CommandError> {
    serde_json::to_string_pretty(value)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(CommandError::of)
}

#[derive(Debug, Args)]
pub struct ResnetArgs {
    /// resnet18, resnet34, resnet50, resnet101 or resnet152.
    #[arg(long, allow_negative_numbers = true, default_value = "resnet18")]
    pub arch: String,
    /// Number of output classes of the final fully connected layer.
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u64>, default_value_t = 1000)]
    pub num_classes: u64,
    /// Input size: `224` (square) or `HxW`.
    #[arg(long, allow_negative_numbers = true, default_value = "224")]
    pub input_size: String,
    /// Give every convolution a bias (torchvision's have none).
    #[arg(long)]
    pub conv_bias: bool,
    /// Print JSON instead of the table (the same as `--format json`).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// How to print the network: table, json, csv (one row per module) or markdown.
    #[arg(
        long,
        allow_negative_numbers = true,
        value_enum,
        default_value = "table"
    )]
    pub format: ResnetFormat,
    /// Images per batch, for the activation memory.
    #[arg(long, allow_negative_numbers = true, default_value_t = 1, value_parser = whole_in::<u64>(1, crate::resnet::model::cost::MAX_BATCH))]
    pub batch: u64,
    /// The dtype of parameters and activations: float32, float16 or bfloat16.
    #[arg(long, allow_negative_numbers = true, default_value = "float32")]
    pub dtype: String,
    /// The optimizer whose state is counted: sgd or adam.
    #[arg(long, allow_negative_numbers = true, default_value = "sgd")]
    pub optimizer: String,
    /// SGD's momentum μ; with μ > 0 SGD keeps one buffer per parameter.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.0)]
    pub momentum: f64,
    /// Modules whose parameters are frozen (requires_grad off), comma-separated.
    #[arg(
        long,
        allow_negative_numbers = true,
        value_name = "NAME[,NAME...]",
        value_delimiter = ',',
        value_parser = module_name
    )]
    pub freeze: Vec<String>,
}

/// `dlscope resnet --format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ResnetFormat {
    #[default]
    Table,
    Json,
    Csv,
    Markdown,
}

#[derive(Debug, Args)]
pub struct LowrankArgs {
    /// A built-in matrix: camera, astronaut or synthetic (the default is camera).
    #[arg(long, allow_negative_numbers = true, conflicts_with = "input")]
    pub builtin: Option<String>,
    /// An image (PNG, JPEG, PGM/PPM), a 2-D .npy array or a numeric CSV.
    #[arg(long, allow_negative_numbers = true, value_name = "PATH")]
    pub input: Option<PathBuf>,
    /// The rank r of the approximation A*B* (default 10, or min(rows, cols) if that is smaller).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<usize>)]
    pub rank: Option<usize>,
    /// Pictures (PNG, JPEG, PGM/PPM) larger than this on a side are downscaled.
    #[arg(long, allow_negative_numbers = true, default_value_t = 1024, value_parser = whole_in::<u32>(2, 8192))]
    pub max_side: u32,
    /// Data matrices (.npy, CSV) are taken whole up to this many bytes as float64 and refused
    /// beyond (134217728 is a 4096×4096 matrix).
    #[arg(long, allow_negative_numbers = true, value_name = "BYTES", default_value_t = crate::lowrank::input::DEFAULT_MAX_BYTES, value_parser = whole_in::<u64>(8, MAX_BYTES_LIMIT))]
    pub max_bytes: u64,
    /// Print JSON instead of the summary.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// ratio, rayleigh or logistic.
    #[arg(long, allow_negative_numbers = true, default_value = "rayleigh")]
    pub function: String,
    /// Dimension of x (ratio is 2-D only).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<usize>, default_value_t = 2)]
    pub dim: usize,
    /// Step size η.
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    pub lr: f64,
    /// Number of descent steps.
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<usize>, default_value_t = 200)]
    pub steps: usize,
    /// Starting point, comma-separated (`1,0.3`).
    #[arg(long, value_name = "X,Y,...", allow_hyphen_values = true)]
    pub init: Option<String>,
    /// The λ of the gradient-scaling check ∇f(λx) = ∇f(x)/λ.
    #[arg(long, default_value_t = 2.0, allow_negative_numbers = true)]
    pub lambda: f64,
    /// Weight decay λ_wd.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub weight_decay: f64,
    /// Standard deviation σ of Gaussian noise added to every gradient (seeded by --seed).
    #[arg(
        long,
        default_value_t = 0.0,
        allow_negative_numbers = true,
        value_name = "SIGMA"
    )]
    pub noise: f64,
    /// Seed of the random parts (A for rayleigh in other dimensions, the logistic data, the
    /// gradient noise).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u64>, default_value_t = 0)]
    pub seed: u64,
    /// Print JSON instead of the summary.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RnnArgs {
    /// rnn or lstm.
    #[arg(long, allow_negative_numbers = true)]
    pub cell: String,
    /// Hidden size H (1 to 512).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<usize>, default_value_t = 64)]
    pub hidden: usize,
    /// Sequence length T (1 to 2000).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<usize>, default_value_t = 100)]
    pub steps: usize,
    /// Spectral radius ρ of each recurrent H×H block.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub rho: f64,
    /// The RNN's nonlinearity: identity, tanh, relu or sigmoid.
    #[arg(long, allow_negative_numbers = true, default_value = "tanh")]
    pub activation: String,
    /// The LSTM's forget-gate bias.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub forget_bias: f64,
    /// Recurrent weights: gaussian or orthogonal (then rescaled to spectral radius ρ).
    #[arg(long, allow_negative_numbers = true, default_value = "gaussian")]
    pub init: String,
    /// Input size I.
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<usize>, default_value_t = 8)]
    pub input_size: usize,
    /// Standard deviation of the inputs.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub input_scale: f64,
    /// Gradient clipping: none, norm:C or value:C.
    #[arg(long, allow_negative_numbers = true, default_value = "none")]
    pub clip: String,
    /// Seed of every random draw.
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u64>, default_value_t = 0)]
    pub seed: u64,
    /// Print JSON instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// With --json: also the weights (PyTorch state_dict names), inputs and v.
    #[arg(long, requires = "json")]
    pub include_weights: bool,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// long-memory (an RNN and an LSTM, same settings) or exploding (one RNN without and with
    /// clipping); other flags change the preset's settings. Without it: one run.
    #[arg(long, allow_negative_numbers = true)]
    pub preset: Option<String>,
    /// adding (regression, baseline 1/6) or recall (classify the first symbol, baseline ln K).
    #[arg(long, allow_negative_numbers = true)]
    pub task: Option<String>,
    /// Number of symbols K of the recall task (2 to 64; default 8).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<usize>)]
    pub classes: Option<usize>,
    /// rnn or lstm (one run, or the cell of the exploding preset; default lstm).
    #[arg(long, allow_negative_numbers = true)]
    pub cell: Option<String>,
    /// The RNN's nonlinearity: tanh or relu.
    #[arg(long, allow_negative_numbers = true)]
    pub activation: Option<String>,
    /// Sequence length T (1 to 1000; adding needs 2).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<usize>)]
    pub steps: Option<usize>,
    /// Hidden size H (1 to 256).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<usize>)]
    pub hidden: Option<usize>,
    /// Sequences per batch B (1 to 1024).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<usize>)]
    pub batch: Option<usize>,
    /// Number of updates N (1 to 100000).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<usize>)]
    pub iterations: Option<usize>,
    /// sgd or adam.
    #[arg(long, allow_negative_numbers = true)]
    pub optimizer: Option<String>,
    /// Learning rate η.
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// SGD's momentum μ (0 to below 1; default 0.9).
    #[arg(long, allow_negative_numbers = true)]
    pub momentum: Option<f64>,
    /// Gradient clipping: none, norm:C or value:C (as torch.nn.utils.clip_grad_norm_ and
    /// clip_grad_value_).
    #[arg(long, allow_negative_numbers = true)]
    pub clip: Option<String>,
    /// Rescale each H×H block of W_hh to this spectral radius after the draw.
    #[arg(long, allow_negative_numbers = true)]
    pub rho: Option<f64>,
    /// The LSTM's forget slice of bias_ih (bias_hh's set to 0).
    #[arg(long, allow_negative_numbers = true)]
    pub forget_bias: Option<f64>,
    /// Seed of the weights and of the batches.
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u64>)]
    pub seed: Option<u64>,
    /// Print JSON instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// With --json: each run's initial_state (PyTorch state_dict names) and its first
    /// min(N, 20) batches, to replay the run in PyTorch.
    #[arg(long, requires = "json")]
    pub include_weights: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every flag that takes a value, given "-5": never clap's "unexpected argument" (a
    /// negative number read as a flag), and where clap refuses it, the line names the flag.
    #[test]
    fn every_flag_takes_a_negative_number_as_its_value() {
        let cli = Cli::command();
        // The flags a subcommand requires, so that only the flag under test can fail.
        let required = |sub: &str| -> Vec<&'static str> {
            match sub {
                "snapshot" => vec!["--tab", "rnn"],
                "rnn" => vec!["--cell", "rnn"],
                _ => vec![],
            }
        };
        let mut tried = 0;
        let subs: Vec<Option<&clap::Command>> = std::iter::once(None)
            .chain(cli.get_subcommands().map(Some))
            .collect();
        for sub in subs {
            let cmd = sub.unwrap_or(&cli);
            for arg in cmd.get_arguments() {
                let Some(long) = arg.get_long() else { continue };
                if !arg.get_action().takes_values() || long == "help" {
                    continue;
                }
                let mut argv = vec!["dlscope".to_string()];
                if let Some(s) = sub {
                    argv.push(s.get_name().to_string());
                    argv.extend(required(s.get_name()).iter().map(|a| a.to_string()));
                }
                argv.push(format!("--{long}"));
                argv.push("-5".into());
                tried += 1;
                if let Err(e) = Cli::try_parse_from(&argv) {
                    assert_ne!(
                        e.kind(),
                        clap::error::ErrorKind::UnknownArgument,
                        "{argv:?}: {e}"
                    );
                    let text = e.to_string();
                    assert!(text.contains(&format!("--{long}")), "{argv:?}: {text}");
                }
            }
        }
        assert!(tried >= 40, "only {tried} flags tried");
    }

    #[test]
    fn conflicting_or_empty_flags_are_refused() {
        let parse = |args: &[&str]| {
            let argv = ["dlscope", "resnet"].iter().chain(args).copied();
            Cli::try_parse_from(argv)
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        let e = parse(&["--format", "csv", "--json"]).unwrap_err();
        assert!(e.contains("--json") && e.contains("--format"), "{e}");
        for empty in ["", ",,,", "layer1,,fc", " "] {
            let e = parse(&["--freeze", empty]).unwrap_err();
            assert!(
                e.contains("--freeze") && e.contains("empty"),
                "{empty:?}: {e}"
            );
        }
        assert!(parse(&["--freeze", "layer1,fc"]).is_ok());
        assert!(parse(&["--json"]).is_ok());
    }

    #[test]
    fn whole_numbers_say_what_they_accept() {
        assert_eq!(whole::<u32>("7"), Ok(7));
        assert!(
            whole::<u32>("-1")
                .unwrap_err()
                .contains("cannot be negative")
        );
        assert!(whole::<u32>("2.5").unwrap_err().contains("no decimals"));
        assert!(whole::<u8>("300").unwrap_err().contains("too large"));
        let side = whole_in::<u32>(2, 8192);
        assert_eq!(side("8192"), Ok(8192));
        assert_eq!(
            side("1").unwrap_err(),
            "expected a whole number from 2 to 8192"
        );
        assert_eq!(
            side("-4").unwrap_err(),
            "expected a whole number from 2 to 8192"
        );
    }
}
