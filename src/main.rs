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
            // One clear line: clap's first line, without the usage block.
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            eprintln!("dlscope: {}", first.trim_start_matches("error: "));
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
            if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
                return Err(Failure::Usage(
                    "the app needs a terminal; for text output use `dlscope snapshot` or a headless command (see --help)".into(),
                ));
            }
            let options = Options {
                lowrank_input: cli.input,
                max_side: Some(cli.max_side as usize),
            };
            let tab = cli.tab;
            let mouse = cli.mouse;
            let exit = runtime::run(
                |waker| {
                    let mut app = App::new(ui, waker, &options)?;
                    app.select(tab);
                    Ok(app)
                },
                mouse,
            )?;
            Ok(ExitCode::from(exit.code().clamp(0, 255) as u8))
        }
        Some(Command::Snapshot(args)) => {
            let keys = keymap::parse_keys(&args.keys)
                .map_err(|e| Failure::Usage(format!("--keys: {e}")))?;
            let options = Options {
                lowrank_input: args.input.or(cli.input),
                max_side: Some(cli.max_side as usize),
            };
            let buf = snapshot::capture(args.tab, args.width, args.height, &keys, ui, &options)
                .map_err(|e| Failure::Usage(e.to_string()))?;
            print!("{}", app::buffer_text(&buf));
            Ok(ExitCode::SUCCESS)
        }
    }
}
