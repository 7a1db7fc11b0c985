//! The `dlscope` binary: parse the command line, install the error and panic hooks, then run
//! the terminal app or a headless command.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use dlscope::app::App;
use dlscope::cli::{Cli, Command, CommandError, Display};
use dlscope::color::{ColorChoice, ColorDepth};
use dlscope::config::{self, Config, Setting, Source};
use dlscope::graphics::{self, Graphics};
use dlscope::tab::Options;
use dlscope::theme::{Glyphs, Ui};
use dlscope::{keymap, lowrank, resnet, rnn, runtime, scale, snapshot, train};

/// Exit status for bad flags, bad files and other usage errors.
const USAGE: u8 = 2;

fn main() -> ExitCode {
    let utf8 = Glyphs::locale_is_utf8(&|k: &str| std::env::var(k).ok());
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::{ContextKind, ContextValue, ErrorKind};
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                // Under a C locale the help is spelled in ASCII, like everything else.
                let text = e.render().to_string();
                return write_out(&dlscope::text::spelled(&text, utf8));
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
            // clap lists a flag's valid values on a later line: they join the line too.
            if e.kind() == ErrorKind::InvalidValue
                && let Some(ContextValue::Strings(valid)) = e.get(ContextKind::ValidValue)
                && !valid.is_empty()
            {
                line = format!("{line}; it can be {}", valid.join(", "));
            }
            if e.kind() == ErrorKind::MissingRequiredArgument {
                let names: Vec<&str> = lines
                    .take_while(|l| l.starts_with(' '))
                    .map(str::trim)
                    .collect();
                line = format!("{} {}", line, names.join(", "));
            }
            eprintln!("dlscope: {}", dlscope::text::spelled(&line, utf8));
            return ExitCode::from(USAGE);
        }
    };
    if matches!(cli.command, Some(Command::SvdWorker)) {
        return svd_worker();
    }
    if let Err(e) = install_hooks() {
        eprintln!("dlscope: {e}");
        return ExitCode::FAILURE;
    }
    match dispatch(cli) {
        Ok(code) => code,
        Err(Failure::Usage(msg)) => {
            eprintln!("dlscope: {}", dlscope::text::spelled(&msg, utf8));
            ExitCode::from(USAGE)
        }
        Err(Failure::Other(report)) => {
            eprintln!("dlscope: {report:?}");
            ExitCode::FAILURE
        }
    }
}

/// A child of the app's low-rank tab: no config, no terminal, just the computation.
fn svd_worker() -> ExitCode {
    ExitCode::from(lowrank::svd_worker::serve_stdio().clamp(0, 255) as u8)
}

/// Installs color-eyre with a panic hook that restores the terminal before the report. A panic
/// inside a background job is caught there and shown in its tab, so the hook leaves it alone.
fn install_hooks() -> color_eyre::Result<()> {
    let (panic_hook, eyre_hook) = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .into_hooks();
    eyre_hook.install()?;
    std::panic::set_hook(Box::new(move |info| {
        if dlscope::jobs::in_job() {
            return;
        }
        runtime::restore();
        eprintln!("{}", panic_hook.panic_report(info));
    }));
    Ok(())
}

/// Writes a command's output to stdout. A reader that closed the pipe early (`| head`) ends
/// the command quietly with status 0, as it would for `cat`.
fn write_out(text: &str) -> ExitCode {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dlscope: cannot write the output: {e}");
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

impl From<CommandError> for Failure {
    fn from(e: CommandError) -> Self {
        Failure::Usage(e.0)
    }
}

fn ui_for(display: &Display, color: ColorChoice) -> Ui {
    let env = |k: &str| std::env::var(k).ok();
    let depth = ColorDepth::detect(color, &env);
    let unicode = !display.ascii && Glyphs::locale_is_utf8(&env);
    Ui::new(depth, unicode)
}

/// The config file's settings with the command line's flags on top (flags win).
fn settings(cli: &Cli) -> Result<Config, Failure> {
    let env = |k: &str| std::env::var(k).ok();
    let mut config = config::resolve(cli.display.config.as_deref(), cli.display.no_config, &env)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    if let Some(color) = cli.display.color {
        config.color = Setting {
            value: color,
            source: Source::Flag("--color"),
        };
    }
    // `--ascii` means ASCII pictures too, unless `--graphics` says otherwise.
    if let Some(graphics) = cli.display.graphics {
        config.graphics = Setting {
            value: graphics,
            source: Source::Flag("--graphics"),
        };
    } else if cli.display.ascii {
        config.graphics = Setting {
            value: Graphics::Ascii,
            source: Source::Flag("--ascii"),
        };
    }
    if cli.mouse {
        config.mouse = Setting {
            value: true,
            source: Source::Flag("--mouse"),
        };
    }
    if let Some(tab) = &cli.tab {
        config.tab = Setting {
            value: tab.clone(),
            source: Source::Flag("--tab"),
        };
    }
    Ok(config)
}

/// `dlscope snapshot`: the frame (or the readout) of a tab after some keys, as text.
fn snapshot_command(
    args: &dlscope::cli::SnapshotArgs,
    options: &Options,
    config: &Config,
    ui: Ui,
) -> Result<String, Failure> {
    let unicode = ui.glyphs.unicode;
    let keys =
        keymap::parse_keys(&args.keys).map_err(|e| Failure::Usage(format!("--keys: {e}")))?;
    let moment = match args.frames {
        Some(n) => snapshot::Moment::AfterFrames(n),
        None => snapshot::Moment::Settled,
    };
    let images = graphics::headless(
        config.graphics.value,
        args.format == dlscope::export::Format::Ansi,
        ui.depth,
        unicode,
        args.cell_size,
    );
    let mut app = snapshot::app_after(
        &args.tab,
        args.width,
        args.height,
        &keys,
        ui.with_images(images),
        options,
        moment,
    )
    .map_err(|e| Failure::Usage(e.to_string()))?;
    Ok(if args.readout {
        let readout = app.readout().unwrap_or_default();
        dlscope::text::spelled(&readout, unicode).into_owned()
    } else {
        let buf = dlscope::app::render_to_buffer(&mut app, args.width, args.height);
        dlscope::export::render(&buf, args.format)
    })
}

fn dispatch(cli: Cli) -> Result<ExitCode, Failure> {
    let config = settings(&cli)?;
    let ui = ui_for(&cli.display, config.color.value);
    let unicode = ui.glyphs.unicode;
    dlscope::controls::set_start_speed(config.animation_speed.value);
    let remaps: Vec<(dlscope::keymap::Key, dlscope::keymap::Global)> = config
        .keys
        .iter()
        .map(|(k, _, action)| (k.value, *action))
        .collect();
    let output = match cli.command {
        None => {
            let options = Options {
                lowrank_input: cli.input,
                max_side: Some(cli.max_side as usize),
                max_bytes: Some(cli.max_bytes),
                // Completions run in a child process that is killed when they go stale.
                svd_worker: std::env::current_exe().ok(),
            };
            // Bad input is reported before the terminal is touched.
            let runtime = runtime::Runtime::new();
            let mut app = App::new(ui, runtime.waker(), &options)
                .map_err(|e| Failure::Usage(e.to_string()))?;
            app.select(&config.tab.value);
            app.remap_global(&remaps);
            if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
                return Err(Failure::Usage(
                    "the app needs a terminal; for text output use `dlscope snapshot` or a headless command (see --help)".into(),
                ));
            }
            let exit = runtime
                .run(app, config.mouse.value, config.graphics.value)
                .map_err(|e| Failure::Other(e.into()))?;
            return Ok(ExitCode::from(exit.code().clamp(0, 255) as u8));
        }
        Some(Command::Snapshot(args)) => {
            let options = Options {
                lowrank_input: args.input.clone().or(cli.input),
                max_side: Some(cli.max_side as usize),
                max_bytes: Some(cli.max_bytes),
                ..Options::default()
            };
            snapshot_command(&args, &options, &config, ui)?
        }
        Some(Command::Config) => {
            let env = |k: &str| std::env::var(k).ok();
            let images = graphics::describe(config.graphics.value, ui.depth, unicode, &env);
            dlscope::text::spelled(&config.describe(Some(&images)), unicode).into_owned()
        }
        Some(Command::Resnet(args)) => resnet::report::command(&args, unicode)?,
        Some(Command::Lowrank(args)) => lowrank::report::command(&args, unicode)?,
        Some(Command::Scale(args)) => scale::report::command(&args, unicode)?,
        Some(Command::Rnn(args)) => rnn::report::command(&args, unicode)?,
        Some(Command::Train(args)) => train::report::command(&args, unicode)?,
        Some(Command::SvdWorker) => return Ok(svd_worker()),
    };
    Ok(write_out(&output))
}
