//! Suite 9 (map): handlers `c9_<n>`, written from each YAML's prose, on `DurableContext::map`.
//! Items that fail raise a plain error; the YAMLs leave its type and message open.

use std::time::Duration;

use fnkit::durable::{
    BatchConfig, BatchResult, CompletionConfig, DurableContext, MapConfig, Nesting, Serdes,
};
use fnkit::prelude::*;
use serde_json::{json, Value};

use crate::batches::{one_at_a_time, project, FULL, NO_STATUS};

/// The items of the execution's input (an array), or none.
fn items(input: &Value) -> Vec<Value> {
    input.as_array().cloned().unwrap_or_default()
}

/// Maps `items` one at a time under `completion`: `"fail"` fails, anything else is returned.
async fn map_tolerance(
    ctx: &DurableContext,
    items: Vec<Value>,
    completion: CompletionConfig,
) -> Result<BatchResult<Value>, Error> {
    let config = one_at_a_time().completion(completion);
    Ok(ctx
        .map("map", items, config, |_, item: Value, _| async move {
            match item.as_str() {
                Some("fail") => Err(Error::new("RuntimeError", "item failed")),
                _ => Ok(item),
            }
        })
        .await?)
}

/// 9-1: a step per item.
#[function(durable, timeout = "60s")]
async fn c9_1(input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let r = ctx
        .map(
            "map",
            items(&input),
            one_at_a_time(),
            |ctx, item: Value, _| async move {
                let name = item.as_str().unwrap_or_default().to_owned();
                Ok(ctx
                    .step("", |_| async move { Ok(json!(format!("Hello, {name}!"))) })
                    .await?)
            },
        )
        .await?;
    Ok(r.into_results())
}

/// 9-2: no name; each item doubled directly.
#[function(durable, timeout = "60s")]
async fn c9_2(input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let r = ctx
        .map(
            "",
            items(&input),
            one_at_a_time(),
            |_, item: Value, _| async move { Ok(json!(item.as_i64().unwrap_or(0) * 2)) },
        )
        .await?;
    Ok(r.into_results())
}

/// 9-3: the function gets the index too.
#[function(durable, timeout = "60s")]
async fn c9_3(input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let r = ctx
        .map("indexed", items(&input), one_at_a_time(), |_, item: Value, index| async move {
            Ok(json!(item.as_i64().unwrap_or(0) + index as i64))
        })
        .await?;
    Ok(r.into_results())
}

/// 9-4: no items.
#[function(durable, timeout = "60s")]
async fn c9_4(input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let r = ctx
        .map(
            "empty",
            items(&input),
            one_at_a_time(),
            |_, item: Value, _| async move { Ok(item) },
        )
        .await?;
    Ok(r.into_results())
}

/// 9-5: fail-fast; the third item never starts.
#[function(durable, timeout = "60s")]
async fn c9_5(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let c = CompletionConfig::default().tolerated_failures(0);
    let r = map_tolerance(&ctx, vec![json!("ok"), json!("fail"), json!("never")], c).await?;
    Ok(project(&r, FULL))
}

/// 9-6: fail-fast, and the handler throws the item's error.
#[function(durable, timeout = "60s")]
async fn c9_6(_input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let c = CompletionConfig::default().tolerated_failures(0);
    let r = map_tolerance(&ctx, vec![json!("fail"), json!("never")], c).await?;
    r.throw_if_error()?;
    Ok(r.into_results())
}

/// 9-7: two successes are enough.
#[function(durable, timeout = "60s")]
async fn c9_7(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let c = CompletionConfig::default().min_successful(2);
    let items = (0..4).map(|i| json!(format!("r{i}"))).collect();
    let r = map_tolerance(&ctx, items, c).await?;
    Ok(project(
        &r,
        &["completionReason", "successCount", "totalCount"],
    ))
}

/// 9-8: one failure tolerated.
#[function(durable, timeout = "60s")]
async fn c9_8(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let c = CompletionConfig::default().tolerated_failures(1);
    let r = map_tolerance(&ctx, vec![json!("a"), json!("fail"), json!("c")], c).await?;
    Ok(project(&r, FULL))
}

/// 9-9: the second failure is one too many.
#[function(durable, timeout = "60s")]
async fn c9_9(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let c = CompletionConfig::default().tolerated_failures(1);
    let r = map_tolerance(&ctx, vec![json!("fail"), json!("fail"), json!("c")], c).await?;
    Ok(project(&r, NO_STATUS))
}

/// 9-10: half failed is more than a quarter.
#[function(durable, timeout = "60s")]
async fn c9_10(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let c = CompletionConfig::default().tolerated_failure_percentage(25.0);
    let items = vec![json!("fail"), json!("fail"), json!("c"), json!("d")];
    let r = map_tolerance(&ctx, items, c).await?;
    Ok(project(&r, NO_STATUS))
}

/// 9-11: three items, two at a time; results in index order.
#[function(durable, timeout = "60s")]
async fn c9_11(_input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let items = (0..3).map(|i| json!(format!("r{i}"))).collect();
    let config = BatchConfig::default().max_concurrency(2);
    let r = ctx
        .map(
            "concurrent",
            items,
            config,
            |_, item: Value, _| async move { Ok(item) },
        )
        .await?;
    Ok(r.into_results())
}

/// 9-12: FLAT nesting: each item's step is the map's own child.
#[function(durable, timeout = "60s")]
async fn c9_12(_input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let items = vec![json!("fa"), json!("fb")];
    let config = one_at_a_time().nesting(Nesting::Flat);
    let r = ctx
        .map("flat", items, config, |ctx, item: Value, _| async move {
            Ok(ctx.step("", |_| async move { Ok(item) }).await?)
        })
        .await?;
    Ok(r.into_results())
}

/// 9-13: each iteration named from its item.
#[function(durable, timeout = "60s")]
async fn c9_13(input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let config =
        MapConfig::from(one_at_a_time()).item_namer(|item: &Value, _| format!("item-{item}"));
    let r = ctx
        .map(
            "named-items",
            items(&input),
            config,
            |_, item: Value, _| async move { Ok(json!(item.as_i64().unwrap_or(0) * 10)) },
        )
        .await?;
    Ok(r.into_results())
}

/// Keeps each item's result as `wrapped:<text>` (not JSON) in its checkpoint.
#[derive(Debug)]
struct WrappedText;

impl Serdes for WrappedText {
    fn serialize(&self, value: Value) -> Result<String, Error> {
        Ok(format!("wrapped:{}", value.as_str().unwrap_or_default()))
    }
    fn deserialize(&self, text: &str) -> Result<Value, Error> {
        Ok(json!(text.strip_prefix("wrapped:").unwrap_or(text)))
    }
}

/// 9-14: an item serdes writes each result as bare text.
#[function(durable, timeout = "60s")]
async fn c9_14(_input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let config = one_at_a_time().item_serdes(WrappedText);
    let r = ctx
        .map(
            "wrapped",
            vec![json!("x"), json!("y")],
            config,
            |_, item: Value, _| async move {
                Ok(json!(item.as_str().unwrap_or_default().to_uppercase()))
            },
        )
        .await?;
    Ok(r.into_results())
}

/// 9-15: the second item waits; the replay skips the first.
#[function(durable, timeout = "60s")]
async fn c9_15(_input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let r = ctx
        .map(
            "waits",
            vec![json!("r0"), json!("r1")],
            one_at_a_time(),
            |ctx, item: Value, i| async move {
                if i == 1 {
                    ctx.wait("", Duration::from_secs(1)).await?;
                }
                Ok(ctx.step("", |_| async move { Ok(item) }).await?)
            },
        )
        .await?;
    Ok(r.into_results())
}

/// 9-16: results too large to checkpoint together.
#[function(durable, timeout = "60s")]
async fn c9_16(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let r = ctx
        .map(
            "large",
            vec![json!(0); 4],
            one_at_a_time(),
            |_, _: Value, _| async { Ok(json!("x".repeat(70_000))) },
        )
        .await?;
    Ok(project(&r, &["successCount", "totalCount"]))
}

/// Upper-cases each of `items`.
async fn upper(
    ctx: &DurableContext,
    name: &str,
    items: [&str; 2],
    config: BatchConfig,
) -> Result<BatchResult<Value>, Error> {
    let items = items.iter().map(|i| json!(i)).collect();
    Ok(ctx
        .map(name, items, config, |_, item: Value, _| async move {
            Ok(json!(item.as_str().unwrap_or_default().to_uppercase()))
        })
        .await?)
}

/// 9-17: a wait after the map; the replay reads the map's result back.
#[function(durable, timeout = "60s")]
async fn c9_17(_input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let r = upper(&ctx, "then-wait", ["a", "b"], one_at_a_time()).await?;
    ctx.wait("", Duration::from_secs(1)).await?;
    Ok(r.into_results())
}

/// 9-18: a wait after a map with a failed item; the replay reads it back, failure included.
#[function(durable, timeout = "60s")]
async fn c9_18(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let c = CompletionConfig::default().tolerated_failures(1);
    let r = map_tolerance(&ctx, vec![json!("ok"), json!("fail")], c).await?;
    ctx.wait("", Duration::from_secs(1)).await?;
    Ok(project(&r, FULL))
}

/// Writes a whole map result as `OPSERDE:<results joined by commas>`.
#[derive(Debug)]
struct OpSerde;

impl Serdes for OpSerde {
    fn serialize(&self, value: Value) -> Result<String, Error> {
        let results: Vec<String> = value["all"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| i["result"].as_str().unwrap_or_default().to_owned())
            .collect();
        Ok(format!("OPSERDE:{}", results.join(",")))
    }
    fn deserialize(&self, text: &str) -> Result<Value, Error> {
        let results = text.strip_prefix("OPSERDE:").unwrap_or(text);
        let all: Vec<Value> = results
            .split(',')
            .filter(|r| !r.is_empty())
            .enumerate()
            .map(|(index, r)| json!({"index": index, "status": "SUCCEEDED", "result": r}))
            .collect();
        Ok(json!({"all": all, "completionReason": "ALL_COMPLETED"}))
    }
}

/// 9-19: an operation serdes writes the whole result.
#[function(durable, timeout = "60s")]
async fn c9_19(_input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    Ok(
        upper(&ctx, "opserde", ["x", "y"], one_at_a_time().serdes(OpSerde))
            .await?
            .into_results(),
    )
}

/// 9-20: the same, read back by the replay after a wait.
#[function(durable, timeout = "60s")]
async fn c9_20(_input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let r = upper(&ctx, "opserde", ["x", "y"], one_at_a_time().serdes(OpSerde)).await?;
    ctx.wait("", Duration::from_secs(1)).await?;
    Ok(r.into_results())
}
