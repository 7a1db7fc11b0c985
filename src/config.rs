//! Settings that persist: a TOML file in the platform's config directory
//! (`$XDG_CONFIG_HOME/dlscope/config.toml`, else `~/.config/dlscope/config.toml` on Linux; the
//! platform's own place elsewhere) with defaults for colour, how pictures are drawn, mouse,
//! animation speed, the tab to open, and key remaps of the global actions. Every setting's source is kept, so
//! `dlscope config` can say where each came from. A bad file is one error line naming the file
//! and the line, found before the terminal is touched.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::color::ColorChoice;
use crate::graphics::Graphics;
use crate::keymap::{GLOBAL, Global, Key};

/// What the file may say. Unknown keys are an error, not ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct File {
    color: Option<Spanned<String>>,
    graphics: Option<Spanned<String>>,
    mouse: Option<Spanned<bool>>,
    animation_speed: Option<Spanned<f64>>,
    tab: Option<Spanned<String>>,
    keys: Option<BTreeMap<String, Spanned<String>>>,
}

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Default,
    /// The config file, at this line.
    File(PathBuf, usize),
    /// A command-line flag.
    Flag(&'static str),
    /// An environment variable.
    Env(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File(path, line) => write!(f, "{}:{line}", crate::text::shown_path(path)),
            Source::Flag(flag) => write!(f, "command line ({flag})"),
            Source::Env(var) => write!(f, "environment ({var})"),
        }
    }
}

/// A setting with its source.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting<T> {
    pub value: T,
    pub source: Source,
}

impl<T> Setting<T> {
    fn default(value: T) -> Self {
        Setting {
            value,
            source: Source::Default,
        }
    }
}

/// The global actions a config file may give other keys, by name.
pub const ACTIONS: &[(&str, Global)] = &[
    ("quit", Global::Quit),
    ("help", Global::Help),
    ("next-tab", Global::NextTab),
    ("previous-tab", Global::PrevTab),
    ("save-screen", Global::Export),
    ("copy", Global::Copy),
];

/// The effective settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The file that was read, if any.
    pub file: Option<PathBuf>,
    pub color: Setting<ColorChoice>,
    /// How pictures are drawn (`--graphics`).
    pub graphics: Setting<Graphics>,
    pub mouse: Setting<bool>,
    /// Animation speed as a multiple of the normal pace (one of `controls::SPEEDS`).
    pub animation_speed: Setting<f64>,
    pub tab: Setting<String>,
    /// Global actions bound to other keys: (key, action name, action), sorted by name.
    pub keys: Vec<(Setting<Key>, &'static str, Global)>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            file: None,
            color: Setting::default(ColorChoice::Auto),
            graphics: Setting::default(Graphics::Auto),
            mouse: Setting::default(false),
            animation_speed: Setting::default(1.0),
            tab: Setting::default("resnet".to_string()),
            keys: Vec::new(),
        }
    }
}

/// A bad config file: one line naming the file and the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(
                f,
                "{}:{line}: {}",
                crate::text::shown_path(&self.path),
                self.message
            ),
            None => write!(
                f,
                "{}: {}",
                crate::text::shown_path(&self.path),
                self.message
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The config file's usual place: `$XDG_CONFIG_HOME/dlscope/config.toml`, else
/// `~/.config/dlscope/config.toml` (Linux), the platform's own config directory elsewhere.
pub fn default_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(xdg) = env("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        return Some(Path::new(&xdg).join("dlscope").join("config.toml"));
    }
    use etcetera::base_strategy::BaseStrategy;
    let strategy = etcetera::choose_base_strategy().ok()?;
    Some(strategy.config_dir().join("dlscope").join("config.toml"))
}

/// The line (1-based) of a byte offset in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// A config file is a few lines; a longer "file" (a device, a stream) is refused.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The text at `path`, or `None` when it goes on past `MAX_CONFIG_BYTES` (read no further:
/// the size a file reports is not a bound).
fn read_bounded(path: &Path) -> std::io::Result<Option<String>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Ok(None);
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()))
}

/// Reads the config at `path`; a missing file at the default place is no error (`required`
/// false), one named with `--config` is.
pub fn load(path: &Path, required: bool) -> Result<Config, ConfigError> {
    let text = match read_bounded(path) {
        Ok(Some(t)) => t,
        Ok(None) => {
            return Err(ConfigError {
                path: path.to_path_buf(),
                line: None,
                message: format!(
                    "it is longer than {} KiB, too long for a config file (reading stopped there)",
                    MAX_CONFIG_BYTES / 1024
                ),
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            return Ok(Config::default());
        }
        Err(e) => {
            return Err(ConfigError {
                path: path.to_path_buf(),
                line: None,
                message: format!("cannot read it: {e}"),
            });
        }
    };
    parse(&text, path)
}

/// Parses and validates a config file's text (`path` only names it in errors and sources).
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let r = FileText { text, path };
    let file: File = toml::from_str(text).map_err(|e| {
        let message = e.message().trim().replace('\n', "; ");
        r.err(e.span().map(|s| s.start), message)
    })?;
    let mut config = Config {
        file: Some(path.to_path_buf()),
        ..Config::default()
    };
    read_settings(&r, &file, &mut config)?;
    read_keys(&r, file.keys.unwrap_or_default(), &mut config)?;
    Ok(config)
}

/// A config file's text and path, for errors and sources that name its lines.
struct FileText<'a> {
    text: &'a str,
    path: &'a Path,
}

impl FileText<'_> {
    /// An error at the line of byte `offset` (or of the whole file).
    fn err(&self, offset: Option<usize>, message: String) -> ConfigError {
        ConfigError {
            path: self.path.to_path_buf(),
            line: offset.map(|o| line_of(self.text, o)),
            message,
        }
    }

    /// The source of a value found at `span`.
    fn at(&self, span: std::ops::Range<usize>) -> Source {
        Source::File(self.path.to_path_buf(), line_of(self.text, span.start))
    }
}

/// The file's settings (colour, graphics, mouse, animation speed, tab) into `config`.
fn read_settings(r: &FileText<'_>, file: &File, config: &mut Config) -> Result<(), ConfigError> {
    if let Some(c) = &file.color {
        let value = match c.get_ref().as_str() {
            "auto" => ColorChoice::Auto,
            "always" => ColorChoice::Always,
            "never" => ColorChoice::Never,
            other => {
                return Err(r.err(
                    Some(c.span().start),
                    format!("color is {other:?}; it can be auto, always or never"),
                ));
            }
        };
        config.color = Setting {
            value,
            source: r.at(c.span()),
        };
    }
    if let Some(g) = &file.graphics {
        let Some(value) = Graphics::parse(g.get_ref()) else {
            return Err(r.err(
                Some(g.span().start),
                format!(
                    "graphics is {:?}; it can be auto, kitty, sixel, iterm2, blocks or ascii",
                    g.get_ref()
                ),
            ));
        };
        config.graphics = Setting {
            value,
            source: r.at(g.span()),
        };
    }
    if let Some(m) = &file.mouse {
        config.mouse = Setting {
            value: *m.get_ref(),
            source: r.at(m.span()),
        };
    }
    if let Some(s) = &file.animation_speed {
        let v = *s.get_ref();
        if !crate::controls::SPEEDS.contains(&v) {
            let speeds: Vec<String> = crate::controls::SPEEDS
                .iter()
                .map(|x| x.to_string())
                .collect();
            return Err(r.err(
                Some(s.span().start),
                format!("animation-speed is {v}; it can be {}", speeds.join(", ")),
            ));
        }
        config.animation_speed = Setting {
            value: v,
            source: r.at(s.span()),
        };
    }
    if let Some(t) = &file.tab {
        let name =
            crate::tabs::parse_name(t.get_ref()).map_err(|e| r.err(Some(t.span().start), e))?;
        config.tab = Setting {
            value: name.to_string(),
            source: r.at(t.span()),
        };
    }
    Ok(())
}

/// The file's key remaps into `config`: a known action each, on a key free for it.
fn read_keys(
    r: &FileText<'_>,
    keys: BTreeMap<String, Spanned<String>>,
    config: &mut Config,
) -> Result<(), ConfigError> {
    for (action, key) in keys {
        let offset = Some(key.span().start);
        let Some(&(name, global)) = ACTIONS.iter().find(|(n, _)| *n == action) else {
            let names: Vec<&str> = ACTIONS.iter().map(|(n, _)| *n).collect();
            return Err(r.err(
                offset,
                format!(
                    "keys: unknown action {action:?}; the actions are {}",
                    names.join(", ")
                ),
            ));
        };
        let parsed =
            Key::parse(key.get_ref()).map_err(|e| r.err(offset, format!("keys.{action}: {e}")))?;
        if let Some(problem) = conflict(parsed, global, &config.keys) {
            return Err(r.err(offset, format!("keys.{action}: {problem}")));
        }
        config.keys.push((
            Setting {
                value: parsed,
                source: r.at(key.span()),
            },
            name,
            global,
        ));
    }
    Ok(())
}

/// Why `key` cannot take `action`: it already means something else somewhere.
fn conflict(
    key: Key,
    action: Global,
    taken: &[(Setting<Key>, &'static str, Global)],
) -> Option<String> {
    let name = key.name(false);
    if let Some((_, other, _)) = taken.iter().find(|(k, _, _)| k.value == key) {
        return Some(format!("{name} is already given to {other}"));
    }
    if let Some(b) = GLOBAL
        .iter()
        .find(|b| b.keys.contains(&key) && b.action != action)
    {
        // A key freed by remapping its own action is still taken until that remap is read;
        // keep it simple: a default global key cannot be reused.
        return Some(format!("{name} already means \"{}\"", b.help));
    }
    for spec in crate::tabs::TABS {
        if let Some(help) = crate::tabs::key_help(spec.name, key) {
            return Some(format!(
                "{name} already means \"{help}\" on the {} tab",
                spec.name
            ));
        }
    }
    None
}

/// Parses `--config`/`--no-config` and the environment into the config to use.
pub fn resolve(
    explicit: Option<&Path>,
    disabled: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    if disabled {
        return Ok(Config::default());
    }
    match explicit {
        Some(path) => load(path, true),
        None => match default_path(env) {
            Some(path) => {
                load(&path, false).map(|c| if path.exists() { c } else { Config::default() })
            }
            None => Ok(Config::default()),
        },
    }
}

impl Config {
    /// The effective settings, one per line, with where each came from (`dlscope config`);
    /// `images` says how pictures will be drawn, after the `graphics` line.
    pub fn describe(&self, images: Option<&str>) -> String {
        let mut out = String::new();
        let file = match &self.file {
            Some(p) => crate::text::shown_path(p),
            None => "none".to_string(),
        };
        out.push_str(&format!("{:<18}{file}\n", "config file"));
        let color = match self.color.value {
            ColorChoice::Auto => "auto",
            ColorChoice::Always => "always",
            ColorChoice::Never => "never",
        };
        out.push_str(&format!(
            "{:<18}{color:<10} {}\n",
            "color", self.color.source
        ));
        out.push_str(&format!(
            "{:<18}{:<10} {}\n",
            "graphics",
            self.graphics.value.name(),
            self.graphics.source
        ));
        if let Some(images) = images {
            out.push_str(&format!("{:<18}{images}\n", "images"));
        }
        out.push_str(&format!(
            "{:<18}{:<10} {}\n",
            "mouse", self.mouse.value, self.mouse.source
        ));
        out.push_str(&format!(
            "{:<18}{:<10} {}\n",
            "animation-speed", self.animation_speed.value, self.animation_speed.source
        ));
        out.push_str(&format!(
            "{:<18}{:<10} {}\n",
            "tab", self.tab.value, self.tab.source
        ));
        for (name, global) in ACTIONS {
            let remapped = self.keys.iter().find(|(_, n, _)| n == name);
            let (keys, source) = match remapped {
                Some((k, _, _)) => (k.value.name(false), k.source.to_string()),
                None => (
                    GLOBAL
                        .iter()
                        .find(|b| b.action == *global)
                        .map(|b| crate::widgets::help::key_list(b.keys, false))
                        .unwrap_or_default(),
                    "default".to_string(),
                ),
            };
            out.push_str(&format!(
                "{:<18}{keys:<10} {source}\n",
                format!("keys.{name}")
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs of spaces as one, so tests do not depend on column widths.
    fn squeeze(text: &str) -> String {
        text.lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn parse_str(text: &str) -> Result<Config, ConfigError> {
        parse(text, Path::new("/home/u/.config/dlscope/config.toml"))
    }

    #[test]
    fn a_full_file_is_read_with_its_lines() {
        let c = parse_str(
            "# settings\ncolor = \"never\"\nmouse = true\nanimation-speed = 0.5\ntab = \"rnn\"\ngraphics = \"sixel\"\n[keys]\nsave-screen = \"F2\"\ncopy = \"C-y\"\n",
        )
        .expect("valid");
        assert_eq!(c.color.value, ColorChoice::Never);
        assert_eq!(
            c.color.source,
            Source::File("/home/u/.config/dlscope/config.toml".into(), 2)
        );
        assert!(c.mouse.value);
        assert_eq!(c.animation_speed.value, 0.5);
        assert_eq!(c.tab.value, "rnn");
        assert_eq!(c.graphics.value, Graphics::Sixel);
        assert_eq!(
            c.graphics.source,
            Source::File("/home/u/.config/dlscope/config.toml".into(), 6)
        );
        assert_eq!(c.keys.len(), 2);
        let (key, name, action) = &c.keys[0];
        assert_eq!((*name, *action), ("copy", Global::Copy));
        assert_eq!(key.value, Key::ctrl('y'));
        assert_eq!(
            key.source,
            Source::File("/home/u/.config/dlscope/config.toml".into(), 9)
        );
        let text = squeeze(&c.describe(Some("sixel, as asked")));
        assert!(
            text.contains("keys.save-screen F2 /home/u/.config/dlscope/config.toml:8"),
            "{text}"
        );
        assert!(text.contains("keys.previous-tab S-Tab default"), "{text}");
        assert!(text.contains("keys.quit q / C-c default"), "{text}");
        assert!(
            text.contains("graphics sixel /home/u/.config/dlscope/config.toml:6\nimages sixel, as asked\nmouse"),
            "{text}"
        );
    }

    #[test]
    fn every_error_names_the_file_and_line() {
        let cases = [
            ("color = \"pink\"\n", 1, "auto, always or never"),
            (
                "mouse = false\ngraphics = \"png\"\n",
                2,
                "graphics is \"png\"; it can be auto, kitty, sixel, iterm2, blocks or ascii",
            ),
            ("graphics = 1\n", 1, "string"),
            ("\n\nbogus = 1\n", 3, "unknown field"),
            ("mouse = \"yes\"\n", 1, "bool"),
            ("animation-speed = 3\n", 1, "0.125"),
            ("tab = \"nope\"\n", 1, "the tabs are resnet"),
            ("[keys]\nfly = \"x\"\n", 2, "unknown action \"fly\""),
            ("[keys]\nquit = \"Hyper-Q\"\n", 2, "unknown key name"),
            (
                "[keys]\nquit = \"?\"\n",
                2,
                "already means \"show or hide this help\"",
            ),
            (
                "[keys]\nquit = \"F5\"\ncopy = \"F5\"\n",
                2,
                "already given to copy",
            ),
            ("color = \n", 1, ""),
        ];
        for (text, line, needle) in cases {
            let e = parse_str(text).expect_err(text);
            assert_eq!(e.line, Some(line), "{text:?}: {e}");
            let shown = e.to_string();
            assert!(
                shown.starts_with("/home/u/.config/dlscope/config.toml:"),
                "{shown}"
            );
            assert!(shown.contains(needle), "{text:?}: {shown}");
            assert!(!shown.contains('\n'), "one line: {shown:?}");
        }
    }

    #[test]
    fn a_key_a_tab_uses_is_a_conflict() {
        // `j` moves on every tab and `+` is bound by several.
        let e = parse_str("[keys]\ncopy = \"+\"\n").expect_err("conflict");
        assert!(e.message.contains("already means"), "{e}");
    }

    #[test]
    fn the_place_follows_xdg() {
        let env = |k: &str| (k == "XDG_CONFIG_HOME").then(|| "/x/conf".to_string());
        assert_eq!(
            default_path(&env),
            Some(PathBuf::from("/x/conf/dlscope/config.toml"))
        );
        let none = |_: &str| None;
        assert!(resolve(None, true, &none).expect("disabled").file.is_none());
        let missing = resolve(Some(Path::new("/nonexistent/dlscope.toml")), false, &none);
        assert!(missing.is_err(), "an explicit --config must exist");
    }
}
