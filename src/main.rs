//! The `dlscope` binary: parse the command line, install the error and panic hooks, then run
//! the terminal app or a headless command.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use dlscope::app::{self, App, Options};
use dlscope::cli::{Cli, Command, Display};
use dlscope::keymap;
use dlscope::runtime;
use dlscope::snapshot;
use dlscope::theme::{ColorDepth, Glyphs, Ui};

/// Exit status for bad flags, bad files and other usage errors.
const USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // One clear line: clap's first line, without the usage block; a missing argument's
            // names follow on indented lines, so they join the line.
            let rendered = e.render().to_string();
            let mut lines = rendered.lines();
            let mut line = lines
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ")
                .to_string();
            if e.kind() == ErrorKind::MissingRequiredArgument {
                let names: Vec<&str> = lines
                    .take_while(|l| l.starts_with(' '))
                    .map(str::trim)
                    .collect();
                line = format!("{} {}", line, names.join(", "));
            }
            eprintln!("dlscope: {line}");
            return ExitCode::from(USAGE);
        }
    };
    if let Err(e) = runtime::install_hooks() {
        eprintln!("dlscope: {e}");
        return ExitCode::FAILURE;
    }
    match dispatch(cli) {
        Ok(code) => code,
        Err(Failure::Usage(msg)) => {
            eprintln!("dlscope: {msg}");
            ExitCode::from(USAGE)
        }
        Err(Failure::Other(report)) => {
            eprintln!("dlscope: {report:?}");
            ExitCode::FAILURE
        }
    }
}

enum Failure {
    /// Bad input found before anything ran: one line, status 2.
    Usage(String),
    Other(color_eyre::Report),
}

impl From<color_eyre::Report> for Failure {
    fn from(e: color_eyre::Report) -> Self {
        Failure::Other(e)
    }
}

fn ui_for(display: &Display) -> Ui {
    let env = |k: &str| std::env::var(k).ok();
    let depth = ColorDepth::detect(display.color, &env);
    let unicode = !display.ascii && Glyphs::locale_is_utf8(&env);
    Ui::new(depth, unicode)
}

fn dispatch(cli: Cli) -> Result<ExitCode, Failure> {
    let ui = ui_for(&cli.display);
    match cli.command {
        None => {
            let options = Options {
                lowrank_input: cli.input,
                max_side: Some(cli.max_side as usize),
                ..Options::default()
            };
            // Bad input is reported before the terminal is touched.
            let runtime = runtime::Runtime::new();
            let mut app = App::new(ui, runtime.waker(), &options)
                .map_err(|e| Failure::Usage(e.to_string()))?;
            app.select(cli.tab);
            if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
                return Err(Failure::Usage(
                    "the app needs a terminal; for text output use `dlscope snapshot` or a headless command (see --help)".into(),
                ));
            }
            let exit = runtime.run(app, cli.mouse)?;
            Ok(ExitCode::from(exit.code().clamp(0, 255) as u8))
        }
        Some(Command::Snapshot(args)) => {
            let keys = keymap::parse_keys(&args.keys)
                .map_err(|e| Failure::Usage(format!("--keys: {e}")))?;
            let options = Options {
                lowrank_input: args.input.or(cli.input),
                max_side: Some(cli.max_side as usize),
                ..Options::default()
            };
            let buf = snapshot::capture(args.tab, args.width, args.height, &keys, ui, &options)
                .map_err(|e| Failure::Usage(e.to_string()))?;
            print!("{}", app::buffer_text(&buf));
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Resnet(args)) => headless::resnet(&args, &ui),
        Some(Command::Lowrank(args)) => headless::lowrank(&args, &ui),
        Some(Command::Scale(args)) => headless::scale(&args, &ui),
        Some(Command::Rnn(args)) => headless::rnn(&args, &ui),
    }
}

/// The headless commands: validate, compute with the same models as the tabs, print.
mod headless {
    use super::{ExitCode, Failure};
    use dlscope::cli::{LowrankArgs, ResnetArgs, RnnArgs, ScaleArgs};
    use dlscope::theme::Ui;
    use dlscope::{lowrank, resnet, rnn, scale};

    fn usage(e: impl std::fmt::Display) -> Failure {
        Failure::Usage(e.to_string())
    }

    fn print_json(value: &serde_json::Value) -> Result<ExitCode, Failure> {
        let text = serde_json::to_string_pretty(value).map_err(|e| Failure::Other(e.into()))?;
        println!("{text}");
        Ok(ExitCode::SUCCESS)
    }

    pub fn resnet(args: &ResnetArgs, ui: &Ui) -> Result<ExitCode, Failure> {
        let cfg = resnet::model::Config {
            arch: args.arch.parse().map_err(usage)?,
            num_classes: args.num_classes,
            input_hw: resnet::model::parse_input_size(&args.input_size).map_err(usage)?,
            conv_bias: args.conv_bias,
        };
        cfg.validate().map_err(usage)?;
        let net = resnet::model::build(&cfg);
        if args.json {
            return print_json(&resnet::report::json(&cfg, &net));
        }
        print_text(&resnet::report::table(&cfg, &net, !ui.glyphs.unicode), ui);
        Ok(ExitCode::SUCCESS)
    }

    /// A summary as the terminal can show it: plain ASCII where the glyphs are ASCII.
    fn print_text(text: &str, ui: &Ui) {
        if ui.glyphs.unicode {
            print!("{text}");
        } else {
            print!("{}", dlscope::numfmt::ascii_fold(text));
        }
    }

    pub fn lowrank(args: &LowrankArgs, ui: &Ui) -> Result<ExitCode, Failure> {
        use lowrank::input::{Builtin, Source};
        let source = match (&args.builtin, &args.input) {
            (_, Some(path)) => Source::Path(path.clone()),
            (Some(name), None) => Source::Builtin(
                name.parse::<Builtin>()
                    .map_err(|e| usage(format!("--builtin: {e}")))?,
            ),
            (None, None) => Source::Builtin(Builtin::Camera),
        };
        let loaded = lowrank::input::load(&source, args.max_side as usize).map_err(usage)?;
        let (rows, cols) = loaded.matrix.dim();
        let rank = lowrank::report::validate(args.rank, rows, cols).map_err(usage)?;
        let decomposition = lowrank::model::Decomposition::compute(loaded.matrix.clone())
            .map_err(|e| usage(format!("{}: {e}", loaded.name)))?;
        let mut reconstruction =
            lowrank::model::Reconstruction::new(std::sync::Arc::new(decomposition));
        reconstruction.set_rank(rank);
        let readouts = lowrank::model::Readouts::compute(&reconstruction);
        let decomposition = reconstruction.decomposition();
        if args.json {
            return print_json(&lowrank::report::json(&loaded, decomposition, &readouts));
        }
        print_text(
            &lowrank::report::summary(&loaded, decomposition, &readouts),
            ui,
        );
        Ok(ExitCode::SUCCESS)
    }

    pub fn scale(args: &ScaleArgs, ui: &Ui) -> Result<ExitCode, Failure> {
        let init = match &args.init {
            None => None,
            Some(text) => Some(
                text.split(',')
                    .map(|v| v.trim().parse::<f64>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| {
                        usage(format!(
                            "--init: {text:?} is not a comma-separated list of numbers"
                        ))
                    })?,
            ),
        };
        let params = scale::model::Params {
            function: args
                .function
                .parse()
                .map_err(|e| usage(format!("--function: {e}")))?,
            dim: args.dim,
            lr: args.lr,
            steps: args.steps,
            init,
            lambda: args.lambda,
            weight_decay: args.weight_decay,
            seed: args.seed,
        };
        let run = scale::model::run(&params).map_err(usage)?;
        if args.json {
            return print_json(&scale::report::json(&params, &run));
        }
        print_text(&scale::report::summary(&params, &run), ui);
        Ok(ExitCode::SUCCESS)
    }

    pub fn rnn(args: &RnnArgs, ui: &Ui) -> Result<ExitCode, Failure> {
        let flag = |name: &str, e: String| usage(format!("{name}: {e}"));
        let params = rnn::model::Params {
            cell: args.cell.parse().map_err(|e| flag("--cell", e))?,
            hidden: args.hidden,
            steps: args.steps,
            rho: args.rho,
            activation: args
                .activation
                .parse()
                .map_err(|e| flag("--activation", e))?,
            forget_bias: args.forget_bias,
            init: args.init.parse().map_err(|e| flag("--init", e))?,
            input_size: args.input_size,
            input_scale: args.input_scale,
            clip: args.clip.parse().map_err(|e| flag("--clip", e))?,
            seed: args.seed,
        };
        params.validate().map_err(usage)?;
        let run = rnn::model::run(&params);
        if args.json {
            return print_json(&rnn::report::json(&params, &run, args.include_weights));
        }
        print_text(&rnn::report::summary(&params, &run), ui);
        Ok(ExitCode::SUCCESS)
    }
}
