//! When a failed step attempt is tried again: exponential (or linear) backoff, capped, with
//! jitter, in whole seconds of at least 1 (the service's `NextAttemptDelaySeconds`), as AWS's
//! durable SDKs compute it (Python SDK 3.0.0, `retries.py`; the presets are theirs too).

use std::time::Duration;

/// How a delay is spread (AWS Architecture Blog, "Exponential Backoff And Jitter").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// The computed delay.
    None,
    /// A random delay from 0 to the computed one.
    Full,
    /// Half the computed delay plus a random part of the other half.
    Half,
}

/// A step's retry strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct Retry {
    /// Attempts in all, the first included (1: no retry).
    pub max_attempts: u32,
    /// The delay before the second attempt.
    pub initial: Duration,
    /// The longest delay.
    pub max: Duration,
    /// How the delay grows.
    pub growth: Growth,
    /// How it is spread.
    pub jitter: Jitter,
}

/// How a delay grows from one attempt to the next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Growth {
    /// Multiplied by this each time.
    Exponential(f64),
    /// Increased by this each time.
    Linear(Duration),
}

impl Default for Retry {
    /// The SDKs' default: 6 attempts, 5 s doubling to at most 60 s, full jitter.
    fn default() -> Self {
        Retry {
            max_attempts: 6,
            initial: Duration::from_secs(5),
            max: Duration::from_secs(60),
            growth: Growth::Exponential(2.0),
            jitter: Jitter::Full,
        }
    }
}

impl Retry {
    /// No retry: one attempt.
    pub fn none() -> Retry {
        Retry {
            max_attempts: 1,
            ..Retry::default()
        }
    }

    /// Exponential backoff: 3 attempts, 5 s doubling to at most 5 min, full jitter; change any
    /// of it with the methods below.
    pub fn exponential() -> Retry {
        Retry {
            max_attempts: 3,
            initial: Duration::from_secs(5),
            max: Duration::from_secs(300),
            growth: Growth::Exponential(2.0),
            jitter: Jitter::Full,
        }
    }

    /// Quick retries for transient errors: 3 attempts, doubling from 5 s, half jitter.
    pub fn transient() -> Retry {
        Retry {
            jitter: Jitter::Half,
            ..Retry::exponential()
        }
    }

    /// Longer retries while a resource is unavailable: 5 attempts, 5 s doubling to 5 min.
    pub fn resource_availability() -> Retry {
        Retry {
            max_attempts: 5,
            ..Retry::exponential()
        }
    }

    /// The same, with `n` attempts in all.
    pub fn max_attempts(mut self, n: u32) -> Retry {
        self.max_attempts = n.max(1);
        self
    }

    /// The same, waiting `d` before the second attempt.
    pub fn initial(mut self, d: Duration) -> Retry {
        self.initial = d;
        self
    }

    /// The same, never waiting longer than `d`.
    pub fn max_delay(mut self, d: Duration) -> Retry {
        self.max = d;
        self
    }

    /// The same, the delay multiplied by `rate` after each attempt.
    pub fn backoff(mut self, rate: f64) -> Retry {
        self.growth = Growth::Exponential(rate);
        self
    }

    /// The same, the delay increased by `step` after each attempt.
    pub fn linear(mut self, step: Duration) -> Retry {
        self.growth = Growth::Linear(step);
        self
    }

    /// The same, spread by `jitter`.
    pub fn jitter(mut self, jitter: Jitter) -> Retry {
        self.jitter = jitter;
        self
    }

    /// After `attempts_made` failed attempts (1 after the first), the delay before the next one
    /// in whole seconds, or `None` when they are used up. `random` is a number in `[0, 1)`.
    pub fn next_delay(&self, attempts_made: u32, random: f64) -> Option<u64> {
        if attempts_made >= self.max_attempts {
            return None;
        }
        let n = f64::from(attempts_made.saturating_sub(1));
        let initial = self.initial.as_secs_f64();
        let base = match self.growth {
            Growth::Exponential(rate) => initial * rate.powf(n),
            Growth::Linear(step) => initial + step.as_secs_f64() * n,
        }
        .min(self.max.as_secs_f64());
        let spread = match self.jitter {
            Jitter::None => base,
            Jitter::Half => base / 2.0 + random * base / 2.0,
            Jitter::Full => random * base,
        };
        // Whole seconds, at least 1 and at most the service's longest delay.
        let longest = *fnkit_spec::durable::DELAY_SECS.end();
        Some((spread.ceil() as u64).clamp(1, longest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_backoff_is_capped_and_stops_at_the_last_attempt() {
        let r = Retry::exponential()
            .max_attempts(5)
            .initial(Duration::from_secs(2))
            .backoff(3.0)
            .max_delay(Duration::from_secs(30))
            .jitter(Jitter::None);
        let delays: Vec<Option<u64>> = (1..=5).map(|n| r.next_delay(n, 0.5)).collect();
        assert_eq!(delays, [Some(2), Some(6), Some(18), Some(30), None]);
        assert_eq!(Retry::none().next_delay(1, 0.5), None);
    }

    #[test]
    fn jitter_spreads_within_its_bounds_and_never_below_one_second() {
        let full = Retry::default();
        // 5 s * 2^(3-1) = 20 s, spread over [0, 20).
        assert_eq!(full.next_delay(3, 0.0), Some(1));
        assert_eq!(full.next_delay(3, 0.5), Some(10));
        assert_eq!(full.next_delay(3, 0.99), Some(20));
        let half = Retry::transient();
        assert_eq!(half.next_delay(1, 0.0), Some(3), "5/2 = 2.5, rounded up");
        assert_eq!(half.next_delay(1, 0.99), Some(5));
        let linear = Retry::exponential()
            .linear(Duration::from_secs(4))
            .jitter(Jitter::None);
        assert_eq!(linear.next_delay(2, 0.3), Some(9));
        // Never past what the service accepts (366 days).
        let year = Retry::exponential()
            .initial(Duration::from_secs(u64::MAX / 2))
            .max_delay(Duration::MAX)
            .jitter(Jitter::None);
        assert_eq!(year.next_delay(1, 0.5), Some(31_622_400));
    }
}
