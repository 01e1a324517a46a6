//! `fnkit::durable` against the emulator's durable execution service: `#[function(durable)]`'s
//! settings in the manifest, the ids operations get, replay of recorded results, and the
//! non-determinism error when a replay asks for another operation than the one recorded. The
//! fixture is served as built: its functions declare themselves durable.

use fnkit::manifest::DurableConfig;
use fnkit_tests::durable::{history, invoke};
use fnkit_tests::emulator::TestEmulator;
use serde_json::json;

fn bin() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_BIN_EXE_durable_sdk"))
}

async fn emulator(bin: &std::path::Path) -> TestEmulator {
    TestEmulator::serving(bin).await
}

#[test]
fn the_attribute_puts_the_durable_settings_in_the_manifest() {
    let manifest = fnkit_local::build::describe(bin()).expect("the fixture describes itself");
    let durable = |name: &str| {
        let f = manifest.functions.iter().find(|f| f.name == name).unwrap();
        f.durable
    };
    let one_hour = DurableConfig {
        execution_timeout_secs: 3600,
        retention_days: 1,
    };
    assert_eq!(durable("three"), Some(one_hour));
    assert_eq!(durable("drifting"), Some(DurableConfig::default()));
}

#[tokio::test]
async fn operations_get_their_code_paths_ids_and_replay_their_results() {
    let e = emulator(bin()).await;
    let reply = invoke(&e, "three:$LATEST", json!(4), &[]).await;
    assert_eq!(reply.json(), json!(50), "{}", reply.text());
    let arn = reply
        .header("x-amz-durable-execution-arn")
        .unwrap()
        .to_owned();
    let events = history(&e, &arn).await;
    let steps: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["EventType"] == "StepSucceeded" || e["EventType"] == "WaitStarted")
        .map(|e| (e["Name"].as_str().unwrap(), e["Id"].as_str().unwrap()))
        .collect();
    // SHA-256 of the positions "1", "2" and "3" (printf 1 | sha256sum).
    assert_eq!(
        steps,
        [
            (
                "a",
                "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
            ),
            (
                "w",
                "d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35"
            ),
            (
                "b",
                "4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce"
            ),
        ]
    );
    // Step `a` ran once: the replay took its recorded result.
    let a_runs = events
        .iter()
        .filter(|e| e["EventType"] == "StepStarted" && e["Name"] == "a")
        .count();
    assert_eq!(a_runs, 1);
}

/// Invokes `target`, which must fail with a non-determinism error: its message.
async fn non_deterministic(target: &str) -> String {
    let e = emulator(bin()).await;
    let reply = invoke(&e, target, json!({}), &[]).await;
    assert_eq!(reply.header("x-amz-function-error"), Some("Unhandled"));
    let error = reply.json();
    assert_eq!(
        error["errorType"], "DurableExecution.NonDeterministic",
        "{error}"
    );
    error["errorMessage"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_replay_that_asks_for_another_operation_fails_naming_it() {
    let message = non_deterministic("drifting:$LATEST").await;
    assert!(
        message.contains("operation 1") && message.contains("step-0") && message.contains("step-1"),
        "{message}"
    );
}

/// Runs `dies_once` with `semantics`: the attempt that finished, and the history's step events.
async fn dies_once(semantics: &str) -> (serde_json::Value, Vec<serde_json::Value>) {
    let e = emulator(bin()).await;
    let marker = e.state_dir.join(format!("marker-{semantics}"));
    let input = json!({"marker": marker, "semantics": semantics});
    let reply = invoke(&e, "dies_once:$LATEST", input, &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(
        marker.exists(),
        "the first run of the body died after writing its marker"
    );
    let arn = reply
        .header("x-amz-durable-execution-arn")
        .unwrap()
        .to_owned();
    let steps = history(&e, &arn)
        .await
        .into_iter()
        .filter(|ev| {
            ev["EventType"]
                .as_str()
                .unwrap_or_default()
                .starts_with("Step")
        })
        .collect();
    (reply.json(), steps)
}

#[tokio::test]
async fn an_at_least_once_step_interrupted_by_a_crash_runs_again_in_the_same_attempt() {
    let (attempt, steps) = dies_once("at_least_once").await;
    assert_eq!(attempt, json!(1), "{steps:#?}");
    let kinds: Vec<&str> = steps
        .iter()
        .map(|e| e["EventType"].as_str().unwrap())
        .collect();
    // START goes with the end: the crashed run left nothing.
    assert_eq!(kinds, ["StepStarted", "StepSucceeded"]);
}

#[tokio::test]
async fn an_at_most_once_step_interrupted_by_a_crash_is_a_failed_attempt_not_run_again() {
    let (attempt, steps) = dies_once("at_most_once").await;
    assert_eq!(attempt, json!(2), "{steps:#?}");
    let kinds: Vec<&str> = steps
        .iter()
        .map(|e| e["EventType"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["StepStarted", "StepFailed", "StepStarted", "StepSucceeded"]
    );
    assert_eq!(
        steps[1]["StepFailedDetails"]["Error"]["Payload"]["ErrorType"],
        "StepInterruptedError"
    );
}

/// Runs `batched` nested as `nesting` says: its result and history.
async fn batched(nesting: &str) -> (serde_json::Value, Vec<serde_json::Value>) {
    let e = emulator(bin()).await;
    let reply = invoke(&e, "batched:$LATEST", json!({"nesting": nesting}), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let arn = reply
        .header("x-amz-durable-execution-arn")
        .unwrap()
        .to_owned();
    (reply.json(), history(&e, &arn).await)
}

/// The events of `kind`: their ids, in order.
fn ids_of<'a>(events: &'a [serde_json::Value], kind: &str) -> Vec<&'a str> {
    events
        .iter()
        .filter(|e| e["EventType"] == kind)
        .map(|e| e["Id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_nested_map_whose_branches_wait_suspends_and_finishes_each_branch_once() {
    let (result, events) = batched("nested").await;
    assert_eq!(result, json!([3, 5, 7]), "{events:#?}");
    let iterations: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["SubType"] == "MapIteration" && e["EventType"] == "ContextSucceeded")
        .collect();
    assert_eq!(iterations.len(), 3, "{events:#?}");
    // Each step ran once: six steps, six distinct ids.
    let mut started = ids_of(&events, "StepStarted");
    assert_eq!(started.len(), 6, "{events:#?}");
    started.sort();
    started.dedup();
    assert_eq!(started.len(), 6, "{events:#?}");
}

#[tokio::test]
async fn a_flat_map_records_no_context_per_item_and_replays_its_branches_bodies() {
    let (result, events) = batched("flat").await;
    assert_eq!(result, json!([3, 5, 7]), "{events:#?}");
    assert!(
        !events.iter().any(|e| e["SubType"] == "MapIteration"),
        "no iteration contexts: {events:#?}"
    );
    let map = ids_of(&events, "ContextSucceeded");
    assert_eq!(map.len(), 1, "only the map's own context: {events:#?}");
    // The steps and waits are the map's children, each recorded once though the branches'
    // bodies ran again on every replay.
    let children: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["EventType"] == "StepStarted" || e["EventType"] == "WaitStarted")
        .collect();
    assert_eq!(children.len(), 9, "{events:#?}");
    assert!(
        children.iter().all(|e| e["ParentId"] == map[0]),
        "{events:#?}"
    );
    let mut ids: Vec<&str> = children.iter().map(|e| e["Id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 9, "{events:#?}");
}

#[tokio::test]
async fn a_history_written_nested_is_not_replayed_flat() {
    let message = non_deterministic("renested:$LATEST").await;
    assert!(
        message.contains("FLAT") && message.contains("MapIteration"),
        "{message}"
    );
}

#[tokio::test]
async fn plugins_hear_each_invocation_operation_and_attempt_once_in_order() {
    let e = emulator(bin()).await;
    let trace = e.state_dir.join("trace");
    let input = json!({"trace": trace});
    let reply = invoke(&e, "watched:$LATEST", input, &[]).await;
    assert_eq!(reply.json(), json!(3), "{}", reply.text());
    let lines = std::fs::read_to_string(&trace).expect("the plugin wrote its trace");
    let lines: Vec<&str> = lines.lines().collect();
    assert_eq!(
        lines,
        [
            "invocation-start first=true",
            "operation-start a replayed=false",
            "attempt-start a 1",
            "attempt-end a SUCCEEDED",
            "operation-end a SUCCEEDED",
            "operation-start later replayed=false",
            "attempt-start later 1",
            "operation-start pause replayed=false",
            // The wait suspends the invocation: the child's body does not end in it.
            "attempt-end later INCOMPLETE",
            "invocation-end PENDING",
            // The replay: `a` ended in an earlier invocation and is not heard of again; the
            // wait ended between invocations and is heard of once, when reached.
            "invocation-start first=false",
            "operation-start later replayed=true",
            "attempt-start later -",
            "operation-end pause SUCCEEDED",
            "operation-start b replayed=false",
            "attempt-start b 1",
            "attempt-end b SUCCEEDED",
            "operation-end b SUCCEEDED",
            "attempt-end later SUCCEEDED",
            "operation-end later SUCCEEDED",
            "invocation-end SUCCEEDED",
        ]
    );
}
