//! Interaction pieces every tab uses the same way: [`Cycle`] steps through an enum's variants,
//! [`Ladder`] steps through a list of values, [`Playback`] runs an animation (frames, speed,
//! pause, single steps both ways). They know no problem and no terminal.

/// An enum whose variants are stepped through in order, wrapping around at both ends.
///
/// Implement it by listing the variants once in `ALL`; `next` and `prev` follow.
pub trait Cycle: Copy + PartialEq + 'static {
    /// Every variant, in the order the keys step through them.
    const ALL: &'static [Self];

    /// The variant after this one (the first after the last).
    fn next(self) -> Self {
        let i = self.index();
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    /// The variant before this one (the last before the first).
    fn prev(self) -> Self {
        let i = self.index();
        Self::ALL[(i + Self::ALL.len() - 1) % Self::ALL.len()]
    }

    /// The position of this variant in `ALL` (0 if it is missing there).
    fn index(self) -> usize {
        Self::ALL.iter().position(|v| *v == self).unwrap_or(0)
    }
}

/// Steps through an ascending list of values. From a value that is not on the ladder it moves
/// to the nearest rung in the chosen direction; at either end it stays.
#[derive(Clone, Copy, Debug)]
pub struct Ladder<T: 'static>(pub &'static [T]);

impl<T: Copy + PartialOrd + 'static> Ladder<T> {
    /// The next rung above `current` (`up`) or below it; `current` itself at the ends.
    pub fn step(&self, current: T, up: bool) -> T {
        let rungs = self.0;
        let found = if up {
            rungs.iter().find(|&&r| r > current)
        } else {
            rungs.iter().rev().find(|&&r| r < current)
        };
        found.copied().unwrap_or(current)
    }

    /// The rung `n` steps away (`n` > 0 up, < 0 down), stopping at the ends.
    pub fn steps(&self, current: T, n: i32) -> T {
        let mut v = current;
        for _ in 0..n.unsigned_abs() {
            v = self.step(v, n > 0);
        }
        v
    }

    /// The lowest and highest rungs.
    pub fn bounds(&self) -> Option<(T, T)> {
        Some((*self.0.first()?, *self.0.last()?))
    }

    /// The index of the highest rung not above `current` (0 below the ladder).
    pub fn position(&self, current: T) -> usize {
        self.0.iter().rposition(|&r| r <= current).unwrap_or(0)
    }
}

/// The speeds an animation can run at, as multiples of the normal pace.
pub const SPEEDS: [f64; 7] = [0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0];
const NORMAL_SPEED: usize = 3;

/// The speed new animations start at (an index into `SPEEDS`; the config file may set it).
static START_SPEED: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(NORMAL_SPEED);

/// Makes animations created from now on start at `multiple` × the normal pace; false (and no
/// change) when `multiple` is not one of [`SPEEDS`].
pub fn set_start_speed(multiple: f64) -> bool {
    match SPEEDS.iter().position(|&s| s == multiple) {
        Some(i) => {
            START_SPEED.store(i, std::sync::atomic::Ordering::Relaxed);
            true
        }
        None => false,
    }
}

/// Ticks a whole animation takes at normal speed (the runtime ticks 30 times a second, so about
/// six seconds: slow enough to talk over in a classroom).
pub const NORMAL_TICKS: f64 = 180.0;

/// Moves `index` into a list of `len` choices one up (`up`) or down, stopping at the ends;
/// false when it was already at that end.
pub fn step_index(index: &mut usize, len: usize, up: bool) -> bool {
    let next = if up {
        (*index + 1).min(len.saturating_sub(1))
    } else {
        index.saturating_sub(1)
    };
    let changed = next != *index;
    *index = next;
    changed
}

/// An animation over positions `0..len`: playing or paused, at one of [`SPEEDS`], stepped one
/// position at a time by hand. Positions are whole; the pace is fractional so a short run at
/// a slow speed still advances smoothly.
#[derive(Clone, Debug, PartialEq)]
pub struct Playback {
    len: usize,
    position: f64,
    playing: bool,
    speed: usize,
    reverse: bool,
}

impl Playback {
    /// An animation over `len` positions, paused at the start.
    pub fn new(len: usize) -> Self {
        Playback {
            len,
            position: 0.0,
            playing: false,
            speed: START_SPEED
                .load(std::sync::atomic::Ordering::Relaxed)
                .min(SPEEDS.len() - 1),
            reverse: false,
        }
    }

    /// The same, but played from the last position back to the first (a backward pass).
    pub fn reversed(len: usize) -> Self {
        let mut p = Playback::new(len);
        p.reverse = true;
        p.position = p.last() as f64;
        p
    }

    /// The number of positions.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn last(&self) -> usize {
        self.len.saturating_sub(1)
    }

    /// The current position (`0..len`; 0 when empty). Rounded toward the start of the
    /// animation's direction, so every position shows for the same share of the ticks, the last
    /// one included (played backwards, position k shows while k − 1 < t ≤ k).
    pub fn position(&self) -> usize {
        let t = self.position.max(0.0);
        let whole = if self.reverse { t.ceil() } else { t.floor() };
        (whole as usize).min(self.last())
    }

    /// How far along the animation is, from 0 at its start to 1 at its end.
    pub fn progress(&self) -> f64 {
        if self.last() == 0 {
            return 1.0;
        }
        let p = self.position() as f64 / self.last() as f64;
        if self.reverse { 1.0 - p } else { p }
    }

    pub fn playing(&self) -> bool {
        self.playing && !self.at_end()
    }

    /// True at the position the animation ends on.
    pub fn at_end(&self) -> bool {
        if self.reverse {
            self.position() == 0
        } else {
            self.position() >= self.last()
        }
    }

    /// The speed as a multiple of the normal pace.
    pub fn speed(&self) -> f64 {
        SPEEDS[self.speed]
    }

    /// Changes the number of positions (a new result), keeping the speed; starts over and plays.
    pub fn restart_with(&mut self, len: usize) {
        self.len = len;
        self.restart();
    }

    /// Back to the start, playing.
    pub fn restart(&mut self) {
        self.position = if self.reverse {
            self.last() as f64
        } else {
            0.0
        };
        self.playing = self.len > 1;
    }

    /// Plays from where it is, or from the start when at the end; pauses when playing.
    pub fn toggle(&mut self) {
        if self.playing() {
            self.playing = false;
        } else if self.at_end() {
            self.restart();
        } else {
            self.playing = true;
        }
    }

    pub fn pause(&mut self) {
        self.playing = false;
    }

    /// Pauses and moves one position forward in the animation's direction (`forward`) or back.
    pub fn step(&mut self, forward: bool) {
        self.playing = false;
        let ahead = forward != self.reverse;
        let p = self.position() as f64;
        self.position = if ahead {
            (p + 1.0).min(self.last() as f64)
        } else {
            (p - 1.0).max(0.0)
        };
    }

    /// Pauses at a position (clamped).
    pub fn seek(&mut self, position: usize) {
        self.playing = false;
        self.position = position.min(self.last()) as f64;
    }

    /// Pauses at the end.
    pub fn finish(&mut self) {
        self.playing = false;
        self.position = if self.reverse {
            0.0
        } else {
            self.last() as f64
        };
    }

    /// One step slower (`false`) or faster (`true`); false when already at that end.
    pub fn change_speed(&mut self, faster: bool) -> bool {
        step_index(&mut self.speed, SPEEDS.len(), faster)
    }

    /// Advances one tick at the current speed; returns true when the position changed.
    pub fn tick(&mut self) -> bool {
        if !self.playing() {
            self.playing = false;
            return false;
        }
        let before = self.position();
        let per_tick = (self.last().max(1) as f64 / NORMAL_TICKS) * self.speed();
        if self.reverse {
            self.position = (self.position - per_tick).max(0.0);
        } else {
            self.position = (self.position + per_tick).min(self.last() as f64);
        }
        if self.at_end() {
            self.playing = false;
        }
        self.position() != before || !self.playing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Colour {
        Red,
        Green,
        Blue,
    }
    impl Cycle for Colour {
        const ALL: &'static [Self] = &[Colour::Red, Colour::Green, Colour::Blue];
    }

    #[test]
    fn cycle_wraps_both_ways() {
        assert_eq!(Colour::Red.next(), Colour::Green);
        assert_eq!(Colour::Blue.next(), Colour::Red);
        assert_eq!(Colour::Red.prev(), Colour::Blue);
        for c in Colour::ALL {
            assert_eq!(c.next().prev(), *c);
        }
    }

    #[test]
    fn ladder_steps_from_any_value() {
        const LR: Ladder<f64> = Ladder(&[0.001, 0.01, 0.1, 1.0]);
        assert_eq!(LR.step(0.1, true), 1.0);
        assert_eq!(LR.step(0.05, false), 0.01);
        assert_eq!(LR.step(0.05, true), 0.1);
        assert_eq!(LR.step(1.0, true), 1.0);
        assert_eq!(LR.step(0.001, false), 0.001);
        assert_eq!(LR.steps(0.001, 10), 1.0);
        assert_eq!(LR.steps(1.0, -2), 0.01);
        assert_eq!(LR.position(0.05), 1);
        assert_eq!(LR.bounds(), Some((0.001, 1.0)));
    }

    #[test]
    fn playback_runs_to_the_end_and_stops() {
        let mut p = Playback::new(11);
        p.restart();
        assert!(p.playing());
        let mut ticks = 0;
        while p.playing() {
            p.tick();
            ticks += 1;
            assert!(ticks < 1000);
        }
        assert_eq!(p.position(), 10);
        assert!(p.at_end());
        // About NORMAL_TICKS at normal speed, whatever the length.
        assert!((ticks as f64 - NORMAL_TICKS).abs() <= 2.0, "{ticks}");
        p.toggle();
        assert!(
            p.playing() && p.position() == 0,
            "at the end, play starts over"
        );
    }

    #[test]
    fn backwards_every_position_shows_as_long_and_the_pass_takes_as_long() {
        for len in [3, 11, 20, 200] {
            let mut p = Playback::reversed(len);
            p.restart();
            let mut shown = vec![0usize; len];
            shown[p.position()] += 1;
            let mut ticks = 0;
            while p.playing() {
                p.tick();
                ticks += 1;
                shown[p.position()] += 1;
                assert!(ticks < 1000);
            }
            assert_eq!(p.position(), 0);
            // As long as forwards (it used to end about one position early, 171 of 180 ticks
            // at 20 positions).
            assert!((ticks as f64 - NORMAL_TICKS).abs() <= 2.0, "{len}: {ticks}");
            // Every position between the ends for the same number of ticks, to one.
            let per = NORMAL_TICKS / (len - 1) as f64;
            for (k, n) in shown.iter().enumerate().skip(1).take(len - 2) {
                assert!(
                    (*n as f64 - per).abs() <= 1.0,
                    "{len}: position {k} {n} ticks"
                );
            }
        }
    }

    #[test]
    fn playback_speed_changes_the_pace() {
        let count = |faster: i32| {
            let mut p = Playback::new(1000);
            for _ in 0..faster.abs() {
                p.change_speed(faster > 0);
            }
            p.restart();
            let mut ticks = 0;
            while p.playing() {
                p.tick();
                ticks += 1;
            }
            ticks
        };
        let normal = count(0);
        assert!(count(1) * 2 <= normal + 1);
        assert!(count(-1) >= 2 * normal - 1);
        let mut p = Playback::new(5);
        for _ in 0..20 {
            p.change_speed(true);
        }
        assert_eq!(p.speed(), 8.0);
        assert!(!p.change_speed(true));
    }

    #[test]
    fn single_steps_both_ways_and_reverse_runs() {
        let mut p = Playback::reversed(5);
        assert_eq!(p.position(), 4);
        p.step(true);
        assert_eq!(p.position(), 3, "forward in a backward pass goes towards 0");
        p.step(false);
        p.step(false);
        assert_eq!(p.position(), 4, "clamped at the start");
        p.finish();
        assert!(p.at_end() && p.position() == 0);
        assert_eq!(p.progress(), 1.0);
        let mut empty = Playback::new(0);
        empty.restart();
        assert!(!empty.playing());
        assert!(!empty.tick());
        assert_eq!(empty.position(), 0);
    }
}
