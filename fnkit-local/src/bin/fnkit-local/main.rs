//! `fnkit-local`: build the functions, serve them with the cloud's rules, print the bill.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
mod banner;
mod calls;
mod package;

use fnkit_local::build::{self as target, Target};
use fnkit_local::watch::{Make, Plan, Rebuild, Served};
use fnkit_local::{Config, Emulator, EmulatorError, Logs, Prices, Reuse, Summary};

/// Runs fnkit functions locally as the cloud does: isolated worker processes, enforced timeouts,
/// memory and concurrency, and a ledger of what each invocation cost.
#[derive(Debug, Parser)]
#[command(
    name = "fnkit-local",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "With none of --example, --examples, --package or --bin, it builds and serves every binary of the \
                  cargo package it is run in (or of the whole workspace, at its root) whose package depends on fnkit."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build a release binary and write the files to deploy it (AWS Lambda or Knative).
    Package(package::PackageArgs),
    /// Invoke a function of a running emulator and print its response (stdout) and its log
    /// to the REPORT line (stderr); exits 1 when the function failed.
    Invoke(calls::InvokeArgs),
    /// Run a recorded invocation again against the build served now, and show the old and the
    /// new outcome side by side.
    Replay(calls::ReplayArgs),
}

/// How the log is written.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    /// For people.
    Text,
    /// One JSON object per line, for machines.
    Json,
}

/// Variables for every function, served or packaged.
#[derive(Debug, Args)]
pub(crate) struct EnvArgs {
    /// An environment variable for every function, KEY=VALUE (after --env-file). Repeatable.
    /// Functions see only these, their attribute's and the variables Lambda sets, not the
    /// emulator's environment; `package` writes them into the template.
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_env)]
    env: Vec<(String, String)>,
    /// A `.env`-style file of KEY=VALUE lines for every function.
    #[arg(long, value_name = "PATH")]
    env_file: Option<PathBuf>,
}

/// Serving options.
#[derive(Debug, Args)]
struct ServeArgs {
    /// Serve an example: a package under examples/ (or a cargo example target). Repeatable.
    #[arg(long = "example", value_name = "NAME")]
    examples: Vec<String>,
    /// Serve every package under the workspace's examples/.
    #[arg(long = "examples")]
    all_examples: bool,
    /// Serve a workspace package's binary. Repeatable.
    #[arg(long = "package", short = 'p', value_name = "NAME")]
    packages: Vec<String>,
    /// Serve a binary that is already built. Repeatable.
    #[arg(long = "bin", value_name = "PATH")]
    bins: Vec<PathBuf>,
    /// Serve the programs a JSON functions file describes: Runtime API programs not built with
    /// fnkit, e.g. a Python durable handler (see the `foreign` module's docs). Repeatable.
    #[arg(long = "functions", value_name = "PATH")]
    functions: Vec<PathBuf>,
    /// Build in release mode.
    #[arg(long)]
    release: bool,
    /// How the log is written: `text` for people (`[function request-id] line`), `json` for
    /// machines (one object per line: time, level, source, function, request_id, message).
    #[arg(long, value_enum, default_value = "text")]
    log_format: LogFormat,
    /// Rebuild on every saved change to the sources cargo builds the binaries from, and serve
    /// the new build without a restart; a call made during a rebuild waits for it.
    #[arg(long)]
    watch: bool,
    /// Address to listen on (loopback unless you say otherwise).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 9000)]
    port: u16,
    /// Reuse of warm environments: always, never, or random:P (a fresh one with probability P).
    #[arg(long, default_value = "always", value_parser = parse_reuse)]
    reuse: Reuse,
    /// Recycle an environment after N invocations.
    #[arg(long, value_name = "N")]
    max_uses: Option<u32>,
    /// Stop environments idle this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    idle_timeout: u64,
    /// The account's concurrency pool, as Lambda's quota (default 1,000): functions that set
    /// `concurrency` reserve their share; the others share the rest.
    #[arg(long, default_value_t = 1000)]
    max_concurrency: u32,
    /// Where the ledger and other state live.
    #[arg(long, default_value = ".fnkit")]
    state_dir: PathBuf,
    /// Where buckets live (default: <state-dir>/buckets).
    #[arg(long, value_name = "DIR")]
    buckets_dir: Option<PathBuf>,
    /// Do not fire schedules on their own (POST /_fnkit/schedules/{function} still fires one).
    #[arg(long)]
    no_schedules: bool,
    /// Milliseconds before a failed queue message is delivered again.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    queue_retry_delay: u64,
    /// Milliseconds before the first retry of a failed asynchronous invocation (doubling after).
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    async_retry_base: u64,
    /// Durable executions skip their waits and step retry delays (history keeps the modelled
    /// durations); callbacks and execution timeouts keep real time.
    #[arg(long)]
    durable_skip_time: bool,
    /// Connections served at once (at most half the descriptors the process may open); one more
    /// is answered 503 and closed.
    #[arg(long, value_name = "N", default_value_t = 4096, value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: u64,
    /// Seconds a client may take to send a request's head; a kept-alive connection left idle
    /// this long is closed too.
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout: u64,
    /// A host name to serve besides localhost and 127.0.0.1 (other names are refused, against
    /// DNS rebinding), and whose web pages may change things. Repeatable.
    #[arg(long = "allow-host", value_name = "NAME")]
    allowed_hosts: Vec<String>,
    /// The token the admin API (/_fnkit/) needs as `Authorization: Bearer <token>` when
    /// listening beyond loopback (--host 0.0.0.0); without it the admin API is closed there.
    /// FNKIT_ADMIN_TOKEN gives it too, out of sight of `ps`.
    #[arg(long, value_name = "TOKEN")]
    admin_token: Option<String>,
    #[command(flatten)]
    env: EnvArgs,
    /// The largest payload and response recorded whole with each invocation, for replay and
    /// the dashboard (the newest 5,000 invocations keep theirs); 0 records none.
    #[arg(long, value_name = "BYTES", default_value_t = fnkit_local::RECORD_MAX_BYTES)]
    record_max_bytes: usize,
    /// Dollars per request.
    #[arg(long, default_value_t = Prices::default().per_request)]
    price_request: f64,
    /// Dollars per GB-second, x86_64.
    #[arg(long, default_value_t = Prices::default().per_gb_second_x86)]
    price_x86: f64,
    /// Dollars per GB-second, arm64.
    #[arg(long, default_value_t = Prices::default().per_gb_second_arm)]
    price_arm: f64,
}

fn parse_reuse(s: &str) -> Result<Reuse, String> {
    s.parse()
}

/// The variables for functions: the `--env-file`'s, then `--env`'s (which win). The emulator and
/// the packager check the names.
pub(crate) fn function_env(cli: &EnvArgs) -> Result<Vec<(String, String)>, String> {
    let mut env = match &cli.env_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("--env-file {}: {e}", path.display()))?;
            fnkit_spec::env::parse_env_file(&text)
                .map_err(|e| format!("--env-file {}: {e}", path.display()))?
        }
        None => Vec::new(),
    };
    for (key, value) in &cli.env {
        env.retain(|(k, _)| k != key);
        env.push((key.clone(), value.clone()));
    }
    Ok(env)
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("`{s}` is not KEY=VALUE"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Package(args)) => package::package(args),
        Some(Command::Invoke(args)) => calls::invoke(args),
        Some(Command::Replay(args)) => calls::replay(args),
        None => serve_main(cli.serve),
    }
}

fn serve_main(cli: ServeArgs) -> ExitCode {
    let mut targets: Vec<Target> = Vec::new();
    targets.extend(cli.examples.iter().cloned().map(Target::Example));
    targets.extend(cli.packages.iter().cloned().map(Target::Package));
    targets.extend(cli.bins.iter().cloned().map(Target::Bin));
    if cli.all_examples {
        targets.push(Target::AllExamples);
    }
    let plan = match watch_plan(&cli, &targets) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("fnkit-local: {e}");
            return ExitCode::from(2);
        }
    };
    let bins = if targets.is_empty() && !cli.functions.is_empty() {
        Vec::new()
    } else if targets.is_empty() {
        // Nothing named: serve the crate (or workspace) this is run in, as `cargo run` would.
        match target::discover(cli.release) {
            Ok(found) => {
                for skipped in &found.skipped {
                    eprintln!("fnkit-local: not serving {skipped}");
                }
                found
                    .served
                    .into_iter()
                    .map(|(bin, manifest)| (bin, Some(manifest)))
                    .collect()
            }
            Err(e) => {
                eprintln!("fnkit-local: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        match target::build(&targets, cli.release) {
            Ok(bins) => bins.into_iter().map(|bin| (bin, None)).collect(),
            Err(e) => {
                eprintln!("fnkit-local: {e}");
                return ExitCode::from(1);
            }
        }
    };
    let env = match function_env(&cli.env) {
        Ok(env) => env,
        Err(e) => {
            eprintln!("fnkit-local: {e}");
            return ExitCode::from(2);
        }
    };
    let config = config(&cli, env);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fnkit-local: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(serve(cli, bins, config, plan))
}

/// What `--watch` rebuilds, if it was asked for.
fn watch_plan(cli: &ServeArgs, targets: &[Target]) -> Result<Option<Plan>, String> {
    if !cli.watch {
        return Ok(None);
    }
    if targets.iter().any(|t| matches!(t, Target::Bin(_))) {
        return Err("--watch rebuilds cargo targets; a --bin is built already (name its --package or --example instead)".into());
    }
    match (targets.is_empty(), cli.functions.is_empty()) {
        (true, false) => Err(
            "--watch has nothing to rebuild: --functions programs are not built by cargo".into(),
        ),
        (true, true) => Ok(Some(Plan::Discover)),
        (false, _) => Ok(Some(Plan::Targets(targets.to_vec()))),
    }
}

/// The emulator's settings from the command line (and `FNKIT_ADMIN_TOKEN`).
fn config(cli: &ServeArgs, env: Vec<(String, String)>) -> Config {
    Config {
        reuse: cli.reuse,
        max_uses: cli.max_uses,
        idle_timeout: Duration::from_secs(cli.idle_timeout),
        max_concurrency: cli.max_concurrency,
        state_dir: cli.state_dir.clone(),
        prices: Prices {
            per_request: cli.price_request,
            per_gb_second_x86: cli.price_x86,
            per_gb_second_arm: cli.price_arm,
        },
        env,
        buckets_dir: cli.buckets_dir.clone(),
        schedules: !cli.no_schedules,
        queue_retry_delay: Duration::from_millis(cli.queue_retry_delay),
        async_retry_base: Duration::from_millis(cli.async_retry_base),
        durable_skip_time: cli.durable_skip_time,
        max_connections: usize::try_from(cli.max_connections).unwrap_or(usize::MAX),
        header_timeout: Duration::from_secs(cli.header_timeout),
        allowed_hosts: cli.allowed_hosts.clone(),
        record_max_bytes: cli.record_max_bytes,
        admin_token: cli
            .admin_token
            .clone()
            .or_else(|| std::env::var("FNKIT_ADMIN_TOKEN").ok()),
        ..Config::default()
    }
}

/// Serves `bins` (and the `--functions` programs) until a signal; under `--watch`, rebuilds
/// them on every saved change.
async fn serve(cli: ServeArgs, bins: Vec<Served>, config: Config, plan: Option<Plan>) -> ExitCode {
    let mut foreign = Vec::new();
    for file in &cli.functions {
        match fnkit_local::foreign::read(file) {
            Ok(functions) => foreign.extend(functions),
            Err(e) => {
                eprintln!("fnkit-local: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let logs = match cli.log_format {
        LogFormat::Text => Logs::stdout(),
        LogFormat::Json => Logs::stdout_json(),
    };
    let logs_for_make = logs.clone();
    let make: Make = Arc::new(move |bins: Vec<Served>| {
        let mut builder = Emulator::builder()
            .config(config.clone())
            .logs(logs_for_make.clone());
        for f in &foreign {
            builder = builder.foreign(f.clone());
        }
        for (bin, manifest) in bins {
            builder = match manifest {
                Some(manifest) => builder.binary_with_manifest(bin, manifest),
                None => builder.binary(bin),
            };
        }
        builder
    });
    let address = format!("{}:{}", cli.host, cli.port);
    let listener = match std::net::TcpListener::bind(&address).and_then(|l| {
        l.set_nonblocking(true)?;
        Ok(l)
    }) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("fnkit-local: cannot listen on {address}: {e} (use --port to pick another)");
            return ExitCode::from(1);
        }
    };
    let banner =
        |emulator: &Emulator, local: SocketAddr| banner::print_banner(emulator, local, &cli);
    let served = match plan {
        Some(plan) => {
            let rebuild = Rebuild {
                plan,
                release: cli.release,
                state_dir: cli.state_dir.clone(),
            };
            fnkit_local::watch::serve(rebuild, bins, make, listener, shutdown_signal(), banner)
                .await
        }
        None => serve_once(bins, &make, listener, banner).await,
    };
    match served {
        Ok(summary) => {
            banner::say(
                &logs,
                &format!("\nfnkit-local: stopped. This run:\n{summary}"),
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("fnkit-local: {e}");
            ExitCode::from(1)
        }
    }
}

/// Serves `bins` until a signal, without watching.
async fn serve_once(
    bins: Vec<Served>,
    make: &Make,
    listener: std::net::TcpListener,
    banner: impl Fn(&Emulator, SocketAddr),
) -> Result<Summary, EmulatorError> {
    let emulator = make(bins).build()?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    banner(&emulator, listener.local_addr()?);
    emulator.serve(listener, shutdown_signal()).await
}

/// Ctrl-C, SIGTERM, or SIGHUP: the workers lead groups of their own, so a closed terminal's
/// hang-up reaches the emulator alone, which then stops them.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).ok();
        let mut hangup = signal(SignalKind::hangup()).ok();
        tokio::select! {
            _ = ctrl_c => {}
            _ = received(term.as_mut()) => {}
            _ = received(hangup.as_mut()) => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Waits for a signal, or for ever when it could not be watched.
#[cfg(unix)]
async fn received(signal: Option<&mut tokio::signal::unix::Signal>) {
    match signal {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending().await,
    }
}
