//! When a failed step attempt is tried again: exponential (or linear) backoff, capped, with
//! jitter, in whole seconds of at least 1 (the service's `NextAttemptDelaySeconds`), as AWS's
//! durable SDKs compute it (Python SDK 3.0.0, `retries.py`; the presets are theirs too), and
//! which failures are retried at all ([`Retryable`]: by error type, message or predicate).

use std::sync::Arc;
use std::time::Duration;

use crate::Error;

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

/// A step's retry strategy: how many attempts, how long between them, and which failures are
/// worth another attempt.
///
/// ```
/// use std::time::Duration;
/// use fnkit::durable::{Retry, StepConfig};
///
/// // Up to 4 attempts, 1 s then 2 s then 4 s apart, only for throttling and timeouts.
/// let retry = Retry::exponential()
///     .max_attempts(4)
///     .initial(Duration::from_secs(1))
///     .jitter(fnkit::durable::retry::Jitter::None)
///     .only_errors(["ThrottlingException", "TimeoutError"]);
/// let config = StepConfig::default().retry(retry.clone());
///
/// let throttled = fnkit::Error::new("ThrottlingException", "slow down");
/// assert!(retry.retries(&throttled));
/// assert!(!retry.retries(&fnkit::Error::new("ValidationError", "bad input")));
/// assert_eq!(retry.next_delay(2, 0.5), Some(2));
/// ```
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
    /// Which failures are retried (every one unless narrowed).
    pub retryable: Retryable,
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
            retryable: Retryable::default(),
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
            retryable: Retryable::default(),
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

    /// The same, retrying only failures whose error type is one of `types` (other failures
    /// fail the step at once). A type matches an error's `errorType` whole, or as its last
    /// path segment: `"TransientError"` matches `my_crate::errors::TransientError`, the type
    /// name a `std::error::Error` converted with `?` carries. Adds to earlier narrowings: a
    /// failure is retried when any of them matches (as Python's `retryable_error_types` and
    /// `retryable_errors` together).
    pub fn only_errors<I, S>(mut self, types: I) -> Retry
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.retryable
            .types
            .extend(types.into_iter().map(Into::into));
        self
    }

    /// The same, retrying only failures of the Rust error type `E` (converted into
    /// [`Error`] with `?` or `.into()`, which names it by its full type name), besides what
    /// earlier narrowings retry.
    ///
    /// ```
    /// use fnkit::durable::Retry;
    ///
    /// #[derive(Debug)]
    /// struct Busy;
    /// impl std::fmt::Display for Busy {
    ///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    ///         f.write_str("the service is busy")
    ///     }
    /// }
    /// impl std::error::Error for Busy {}
    ///
    /// let retry = Retry::transient().only_error_type::<Busy>();
    /// assert!(retry.retries(&fnkit::Error::from(Busy)));
    /// assert!(!retry.retries(&fnkit::Error::new("Fatal", "no")));
    /// ```
    pub fn only_error_type<E: 'static>(mut self) -> Retry {
        let name = std::any::type_name::<E>();
        self.retryable.types.push(name.to_owned());
        self
    }

    /// The same, retrying only failures whose message contains one of `patterns` (plain
    /// substrings, as Python's `retryable_errors` strings), besides what earlier narrowings
    /// retry.
    pub fn only_messages<I, S>(mut self, patterns: I) -> Retry
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let patterns = patterns.into_iter().map(Into::into);
        self.retryable.messages.extend(patterns);
        self
    }

    /// The same, retrying only failures `retry` says yes to, besides what earlier narrowings
    /// retry (a later `retry_if` replaces an earlier one).
    ///
    /// ```
    /// use fnkit::durable::Retry;
    ///
    /// let retry = Retry::default().retry_if(|e| e.message().starts_with("HTTP 5"));
    /// assert!(retry.retries(&fnkit::Error::new("Upstream", "HTTP 503 from the bank")));
    /// assert!(!retry.retries(&fnkit::Error::new("Upstream", "HTTP 404 from the bank")));
    /// ```
    pub fn retry_if<F>(mut self, retry: F) -> Retry
    where
        F: Fn(&Error) -> bool + Send + Sync + 'static,
    {
        self.retryable.predicate = Some(Predicate(Arc::new(retry)));
        self
    }

    /// Whether a failed attempt that ended with `error` is worth another one (the attempts
    /// left aside: see [`Retry::next_delay`]).
    pub fn retries(&self, error: &Error) -> bool {
        self.retryable.matches(error)
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

/// Which failed attempts a [`Retry`] tries again: every one by default; once narrowed (by
/// [`Retry::only_errors`], [`Retry::only_error_type`], [`Retry::only_messages`] or
/// [`Retry::retry_if`]), those that match any of the narrowings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Retryable {
    types: Vec<String>,
    messages: Vec<String>,
    predicate: Option<Predicate>,
}

impl Retryable {
    fn matches(&self, error: &Error) -> bool {
        if self.types.is_empty() && self.messages.is_empty() && self.predicate.is_none() {
            return true;
        }
        let kind = error.error_type();
        let typed = self.types.iter().any(|t| {
            kind == t
                || kind
                    .strip_suffix(t.as_str())
                    .is_some_and(|path| path.ends_with("::"))
        });
        let message = self.messages.iter().any(|m| error.message().contains(m));
        typed || message || self.predicate.as_ref().is_some_and(|p| (p.0)(error))
    }
}

/// A user's "retry this failure?"; equal only to itself (the same `Arc`).
#[derive(Clone)]
struct Predicate(Arc<dyn Fn(&Error) -> bool + Send + Sync>);

impl PartialEq for Predicate {
    fn eq(&self, other: &Predicate) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for Predicate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Predicate(..)")
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

    #[test]
    fn every_failure_is_retried_until_narrowed() {
        let any = Error::new("Anything", "at all");
        assert!(Retry::default().retries(&any));
        assert!(
            Retry::none().retries(&any),
            "the filter is apart from the attempts"
        );
        let narrowed = Retry::default().only_errors(["TransientError"]);
        assert!(!narrowed.retries(&any));
    }

    #[test]
    fn error_types_match_whole_or_as_the_last_path_segment() {
        let retry = Retry::default().only_errors(["TransientError"]);
        let yes = |kind: &str| retry.retries(&Error::new(kind.to_owned(), "m"));
        assert!(yes("TransientError"));
        assert!(yes("my_crate::errors::TransientError"));
        assert!(!yes("NotTransientError"), "a suffix is not a segment");
        assert!(!yes("my_crate::NotTransientError"));
        assert!(!yes("TransientErrors"));
    }

    #[derive(Debug)]
    struct Busy;

    impl std::fmt::Display for Busy {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("busy")
        }
    }

    impl std::error::Error for Busy {}

    #[test]
    fn a_rust_error_type_matches_what_question_mark_makes_of_it() {
        let retry = Retry::default().only_error_type::<Busy>();
        assert!(retry.retries(&Error::from(Busy)));
        let parse: Error = "x".parse::<u32>().unwrap_err().into();
        assert!(!retry.retries(&parse));
    }

    #[test]
    fn narrowings_add_up_as_python_s_types_and_messages_do() {
        let retry = Retry::default()
            .only_errors(["Throttled"])
            .only_messages(["timed out", "reset"]);
        let yes = |kind: &str, message: &str| retry.retries(&Error::new(kind.to_owned(), message));
        assert!(yes("Throttled", "anything"));
        assert!(yes("IoError", "connection reset by peer"));
        assert!(yes("Other", "the request timed out"));
        assert!(!yes("Other", "bad request"));
        let predicate = retry.clone().retry_if(|e| e.message() == "bad request");
        assert!(predicate.retries(&Error::new("Other", "bad request")));
        assert!(!predicate.retries(&Error::new("Other", "worse request")));
        assert_eq!(predicate, predicate.clone(), "a predicate equals itself");
        assert_ne!(predicate, retry.retry_if(|_| true));
    }
}
