//! The lines `fnkit-local` prints when it starts serving: each function with how to call it and
//! its limits. They go through the emulator's log, so `--log-format json` writes them as JSON
//! too.

use std::net::SocketAddr;

use fnkit::manifest::{ScheduleExpr, Trigger};
use fnkit_local::Emulator;

use crate::ServeArgs;

/// Writes `text` to the log, a line at a time.
pub(crate) fn say(logs: &fnkit_local::Logs, text: &str) {
    for line in text.lines() {
        logs.info(line);
    }
}

pub(crate) fn print_banner(emulator: &Emulator, local: SocketAddr, cli: &ServeArgs) {
    let base = format!("http://{local}");
    let logs = emulator.logs();
    say(
        logs,
        &format!(
            "fnkit-local: serving {} function(s) on {base}\n",
            emulator.functions().len()
        ),
    );
    for f in emulator.functions() {
        let s = &f.spec;
        let how = match &s.trigger {
            Trigger::Http { method, path } => format!("{method} {base}{path}"),
            // A durable function is invoked by a qualified name, as on AWS.
            Trigger::Event if s.durable.is_some() => format!(
                "durable: POST {base}/2015-03-31/functions/{}:{}/invocations",
                s.name,
                fnkit_spec::names::ALIAS
            ),
            Trigger::Event => format!("POST {base}/2015-03-31/functions/{}/invocations", s.name),
            Trigger::Storage { bucket, prefix, .. } => format!(
                "storage: bucket {bucket}{}",
                prefix
                    .as_deref()
                    .map(|p| format!(" prefix {p}"))
                    .unwrap_or_default()
            ),
            Trigger::Queue {
                name, batch_size, ..
            } => format!("queue: {name} (batches of {batch_size})"),
            Trigger::Schedule(ScheduleExpr::Cron(c)) => format!("schedule: cron {c}"),
            Trigger::Schedule(ScheduleExpr::Rate(r)) => format!("schedule: rate {r}"),
        };
        let concurrency = match s.concurrency {
            Some(reserved) => format!("reserved concurrency {reserved}"),
            None => format!("concurrency {} (shared)", f.concurrency),
        };
        say(
            logs,
            &format!(
                "  {:<20} {:<56} timeout {}s, memory {} MB, /tmp {} MB, {concurrency}",
                s.name, how, s.timeout_secs, s.memory_mb, s.ephemeral_mb
            ),
        );
    }
    say(
        logs,
        &format!(
            "\n  reuse {:?}, ledger {}\n  dashboard: {base}/_fnkit/\n  admin: {base}/_fnkit/functions, {base}/_fnkit/stats, {base}/_fnkit/metrics\n  Ctrl-C drains in-flight invocations and prints a summary.\n",
            cli.reuse,
            emulator.ledger().path().display()
        ),
    );
}
