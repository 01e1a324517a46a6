//! Durable functions compile with their settings, other extractors and arguments in any order,
//! and carry their settings into the manifest.
use std::time::Duration;

use fnkit::durable::DurableContext;
use fnkit::prelude::*;

#[derive(serde::Deserialize)]
struct Order {
    id: String,
}

#[function(durable)]
async fn plain(order: Order, ctx: DurableContext) -> Result<String, Error> {
    let checked: String = ctx.step("check", |_| async move { Ok(order.id) }).await?;
    ctx.wait("cool-down", Duration::from_secs(1)).await?;
    Ok(checked)
}

#[function(durable(timeout = "7d", retention = "30d"), timeout = "1m", memory = 512)]
async fn reordered(ctx: DurableContext, call: Context, input: serde_json::Value) -> Result<u64, fnkit::durable::DurableError> {
    let _ = (call, input);
    ctx.step("one", |_| async { Ok(1) }).await
}

/// Counts invocations; the plugins come from a function, once per process.
struct Count;
impl fnkit::durable::plugin::DurablePlugin for Count {}

fn telemetry() -> fnkit::durable::plugin::Plugins {
    fnkit::durable::plugin::Plugins::default().with(|_| Count)
}

#[function(durable(plugins = telemetry, retention = "1d"))]
async fn watched(input: u64, ctx: DurableContext) -> Result<u64, Error> {
    Ok(ctx.step("double", |_| async move { Ok(input * 2) }).await?)
}

fn main() {
    let manifest = fnkit::registry::manifest().unwrap();
    let durable = |name: &str| manifest.functions.iter().find(|f| f.name == name).unwrap().durable;
    assert_eq!(durable("plain"), Some(fnkit::manifest::DurableConfig::default()));
    let week = durable("reordered").unwrap();
    assert_eq!((week.execution_timeout_secs, week.retention_days), (7 * 86_400, 30));
    assert_eq!(manifest.functions.iter().find(|f| f.name == "reordered").unwrap().timeout_secs, 60);
    assert_eq!(durable("watched").unwrap().retention_days, 1, "plugins stay out of the manifest");
}
