//! The emulator's settings: reuse of execution environments, limits, prices, where state lives.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// When a warm execution environment is reused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reuse {
    /// Reuse a warm environment whenever one is idle (as Lambda does).
    Always,
    /// A fresh process for every invocation: state kept in statics never survives.
    Never,
    /// A fresh process with probability `P` (0–1), a warm one otherwise: Spin's trick to flush
    /// out state that only works by accident.
    Random(f64),
}

impl FromStr for Reuse {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "always" => Ok(Reuse::Always),
            "never" => Ok(Reuse::Never),
            _ => {
                let p = s
                    .strip_prefix("random:")
                    .or_else(|| (s == "random").then_some("0.5"))
                    .ok_or_else(|| format!("`{s}` is not a reuse policy; use always, never or random:P (P from 0 to 1)"))?;
                match p.parse::<f64>() {
                    Ok(p) if (0.0..=1.0).contains(&p) => Ok(Reuse::Random(p)),
                    _ => Err(format!("`{p}` is not a probability; use random:P with P from 0 to 1, e.g. random:0.5")),
                }
            }
        }
    }
}

/// Prices used for cost accounting, per AWS's us-east-1 list prices by default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prices {
    /// Dollars per request.
    pub per_request: f64,
    /// Dollars per GB-second on x86_64.
    pub per_gb_second_x86: f64,
    /// Dollars per GB-second on arm64.
    pub per_gb_second_arm: f64,
}

impl Default for Prices {
    fn default() -> Self {
        Prices {
            per_request: 0.20 / 1_000_000.0,
            per_gb_second_x86: 0.000_016_666_7,
            per_gb_second_arm: 0.000_013_333_4,
        }
    }
}

/// Everything the emulator can be told.
#[derive(Debug, Clone)]
pub struct Config {
    /// Reuse policy of warm environments.
    pub reuse: Reuse,
    /// Recycle an environment after this many invocations.
    pub max_uses: Option<u32>,
    /// Stop an environment idle this long.
    pub idle_timeout: Duration,
    /// The account's concurrency pool (Lambda's default quota: 1,000): functions with reserved
    /// `concurrency` take their share of it, the others share the rest.
    pub max_concurrency: u32,
    /// How long a worker may take from spawn to its first `/next` (Lambda: 10 s).
    pub init_timeout: Duration,
    /// Where the ledger (`fnkit.db`) lives.
    pub state_dir: PathBuf,
    /// Cost accounting prices.
    pub prices: Prices,
    /// The region reported to functions.
    pub region: String,
    /// Extra environment variables for every worker.
    pub env: Vec<(String, String)>,
    /// Where buckets live (default: `<state_dir>/buckets`).
    pub buckets_dir: Option<PathBuf>,
    /// Whether schedules fire on their own (manual firing works either way).
    pub schedules: bool,
    /// How long a failed queue message waits before it is delivered again.
    pub queue_retry_delay: Duration,
    /// The first retry delay of a failed asynchronous invocation; each retry doubles it.
    pub async_retry_base: Duration,
    /// Durable executions skip their waits and step retry delays (a virtual clock, as AWS's
    /// Python testing runner has): history still records the modelled durations. Callback
    /// timeouts and execution timeouts keep real time.
    pub durable_skip_time: bool,
    /// Connections the front serves at once (at most half the descriptors the process may
    /// open); one more is answered `503` and closed.
    pub max_connections: usize,
    /// How long a client may take to send a request's head; a kept-alive connection left idle
    /// this long is closed too.
    pub header_timeout: Duration,
    /// Host names served besides this machine's loopback ones (DNS rebinding is refused for
    /// the rest), and the web origins allowed to change things.
    pub allowed_hosts: Vec<String>,
    /// The admin API's token, which it needs when the emulator listens beyond loopback.
    pub admin_token: Option<String>,
    /// The largest request payload and response the ledger records whole for each invocation
    /// (for replay and the dashboard); a larger one is recorded by its size alone. 0 records
    /// none.
    pub record_max_bytes: usize,
}

impl Config {
    /// Where execution environments get their own `/tmp` (`TMPDIR`): `<state-dir>/tmp`.
    pub fn tmp_root(&self) -> PathBuf {
        self.state_dir.join("tmp")
    }

    /// Where buckets live: `--buckets-dir`, else `<state-dir>/buckets`.
    pub fn buckets_root(&self) -> PathBuf {
        self.buckets_dir
            .clone()
            .unwrap_or_else(|| self.state_dir.join("buckets"))
    }
}

/// What [`Config::record_max_bytes`] is unless told: Lambda's asynchronous payload limit of
/// before 2026, large enough for every event a trigger makes but a large upload.
pub const RECORD_MAX_BYTES: usize = 256 * 1024;

impl Default for Config {
    fn default() -> Self {
        Config {
            reuse: Reuse::Always,
            max_uses: None,
            idle_timeout: Duration::from_secs(300),
            max_concurrency: 1000,
            init_timeout: Duration::from_secs(10),
            state_dir: PathBuf::from(".fnkit"),
            prices: Prices::default(),
            region: "us-east-1".to_owned(),
            env: Vec::new(),
            buckets_dir: None,
            schedules: true,
            queue_retry_delay: Duration::from_secs(1),
            async_retry_base: Duration::from_secs(1),
            durable_skip_time: false,
            max_connections: 4096,
            header_timeout: Duration::from_secs(30),
            allowed_hosts: Vec::new(),
            admin_token: None,
            record_max_bytes: RECORD_MAX_BYTES,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuse_policies_parse() {
        assert_eq!("always".parse(), Ok(Reuse::Always));
        assert_eq!("never".parse(), Ok(Reuse::Never));
        assert_eq!("random:0.25".parse(), Ok(Reuse::Random(0.25)));
        assert!("random:2".parse::<Reuse>().is_err());
        assert!("sometimes".parse::<Reuse>().is_err());
    }
}
