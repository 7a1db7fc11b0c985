//! How many colours the terminal may be sent: the `--color` choice and the environment
//! (NO_COLOR, COLORTERM, TERM) decide. Below both the theme (which picks its styles by it) and
//! the picture decision in `graphics` (half blocks need greys).

/// How many colours the terminal may be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColorDepth {
    /// No colour: emphasis by bold and reverse only (NO_COLOR, `--color never`).
    None,
    /// The 16 named ANSI colours (the default; safe over SSH and in tmux).
    Ansi16,
    /// The xterm 256-colour palette (used only for grey ramps of images).
    Ansi256,
    /// 24-bit colour, only when COLORTERM says the terminal has it.
    TrueColor,
}

/// The `--color` choice on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorDepth {
    /// Decides the colour depth from the flag and the environment (NO_COLOR, COLORTERM, TERM).
    pub fn detect(choice: ColorChoice, env: &dyn Fn(&str) -> Option<String>) -> Self {
        let no_color = env("NO_COLOR").is_some_and(|v| !v.is_empty());
        match choice {
            ColorChoice::Never => return ColorDepth::None,
            ColorChoice::Auto if no_color => return ColorDepth::None,
            _ => {}
        }
        let colorterm = env("COLORTERM").unwrap_or_default().to_ascii_lowercase();
        if colorterm == "truecolor" || colorterm == "24bit" {
            return ColorDepth::TrueColor;
        }
        let term = env("TERM").unwrap_or_default();
        if term.contains("256color") {
            ColorDepth::Ansi256
        } else {
            ColorDepth::Ansi16
        }
    }
}

/// An environment of fixed variables, for tests of what the environment decides.
#[cfg(test)]
pub(crate) fn env_of(
    pairs: &'static [(&'static str, &'static str)],
) -> impl Fn(&str) -> Option<String> {
    move |k| {
        pairs
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_wins_in_auto_but_not_always() {
        let env = env_of(&[("NO_COLOR", "1"), ("COLORTERM", "truecolor")]);
        assert_eq!(
            ColorDepth::detect(ColorChoice::Auto, &env),
            ColorDepth::None
        );
        assert_eq!(
            ColorDepth::detect(ColorChoice::Always, &env),
            ColorDepth::TrueColor
        );
        assert_eq!(
            ColorDepth::detect(ColorChoice::Never, &env_of(&[])),
            ColorDepth::None
        );
    }

    #[test]
    fn depth_follows_colorterm_and_term() {
        assert_eq!(
            ColorDepth::detect(ColorChoice::Auto, &env_of(&[("TERM", "xterm-256color")])),
            ColorDepth::Ansi256
        );
        assert_eq!(
            ColorDepth::detect(ColorChoice::Auto, &env_of(&[("TERM", "screen")])),
            ColorDepth::Ansi16
        );
        assert_eq!(
            ColorDepth::detect(ColorChoice::Auto, &env_of(&[("COLORTERM", "24bit")])),
            ColorDepth::TrueColor
        );
    }
}
