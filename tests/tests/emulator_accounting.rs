//! Accounting: Lambda's REPORT line, parsed field by field; ledger rows that match what the
//! client saw; aggregates; records that survive a restart.

use std::path::{Path, PathBuf};

use fnkit_local::Config;
use fnkit_tests::emulator::{entry, Served, TestEmulator};
use serde_json::json;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fixtures"))
}

/// The REPORT line's fields, in order, parsed.
fn parse_report(line: &str) -> Vec<(String, String)> {
    let report = line.split_once("REPORT ").expect("a REPORT line").1;
    assert!(
        report.ends_with('\t'),
        "Lambda ends the REPORT line with a tab: {report:?}"
    );
    report
        .trim_end_matches('\t')
        .split('\t')
        .map(|field| {
            let (k, v) = field
                .split_once(": ")
                .unwrap_or_else(|| panic!("field `{field}` is not `Key: value`"));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

fn number(value: &str, unit: &str) -> f64 {
    value
        .strip_suffix(unit)
        .unwrap_or_else(|| panic!("`{value}` does not end in `{unit}`"))
        .parse()
        .unwrap()
}

// long: every field of the REPORT line, checked in Lambda's order against the ledger.
#[tokio::test]
async fn the_report_line_has_lambdas_fields_in_lambdas_order() {
    let bin = fixtures();
    let emulator = TestEmulator::serving(Path::new(&bin)).await;
    let cold = emulator.invoke("whoami", &json!({})).await;
    let warm = emulator.invoke("whoami", &json!({})).await;
    let log = emulator.log();
    for (reply, is_cold) in [(&cold, true), (&warm, false)] {
        let id = reply.header("x-amzn-requestid").unwrap();
        let line = log
            .iter()
            .find(|l| l.contains("REPORT") && l.contains(id))
            .unwrap_or_else(|| panic!("no REPORT for {id}: {log:#?}"));
        assert!(line.starts_with("[whoami] REPORT RequestId: "), "{line}");
        let start = log
            .iter()
            .position(|l| *l == format!("[whoami] START RequestId: {id} Version: $LATEST"))
            .expect("a START line");
        let printed = log
            .iter()
            .position(|l| *l == format!("[whoami {id}] whoami was called"))
            .expect("the worker's stdout, prefixed");
        let end = log
            .iter()
            .position(|l| *l == format!("[whoami] END RequestId: {id}"))
            .expect("an END line");
        let report = log.iter().position(|l| l == line).unwrap();
        // The output may be read after the answer (a pipe and a socket race), but START comes
        // before it and it keeps its request id.
        assert!(
            start < printed && end < report,
            "START, the function's output, END, REPORT: {log:#?}"
        );
        let fields = parse_report(line);
        let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        let mut expected = vec![
            "RequestId",
            "Duration",
            "Billed Duration",
            "Memory Size",
            "Max Memory Used",
        ];
        if is_cold {
            expected.push("Init Duration");
        }
        assert_eq!(keys, expected, "{line}");
        assert_eq!(fields[0].1, id);
        let duration = number(&fields[1].1, " ms");
        let billed = number(&fields[2].1, " ms");
        assert_eq!(
            fields[1].1.split('.').nth(1).map(|d| d.len()),
            Some(5),
            "two decimals then ' ms': {}",
            fields[1].1
        );
        assert_eq!(number(&fields[3].1, " MB"), 256.0);
        let used = number(&fields[4].1, " MB");
        assert!(
            (1.0..256.0).contains(&used),
            "measured, not the limit: {used}"
        );
        let init = is_cold.then(|| number(&fields[5].1, " ms"));
        // Billing is checked against the ledger's exact figures, which the REPORT line prints
        // rounded to 0.01 ms: recomputing it from the rounded text is off by 1 ms now and then.
        let rows = emulator.admin("/_fnkit/invocations?function=whoami").await;
        let row = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["request_id"] == id)
            .unwrap_or_else(|| panic!("no ledger row for {id}: {rows:#}"));
        let exact_duration = row["duration_ms"].as_f64().unwrap();
        let exact_init = row["init_ms"].as_f64();
        assert_eq!(format!("{exact_duration:.2}"), format!("{duration:.2}"));
        assert_eq!(
            exact_init.map(|i| format!("{i:.2}")),
            init.map(|i| format!("{i:.2}"))
        );
        assert_eq!(
            billed,
            (exact_duration + exact_init.unwrap_or(0.0)).ceil().max(1.0),
            "billed = duration (+ init on a cold start), rounded up to 1 ms"
        );
        assert_eq!(billed.fract(), 0.0);
    }
}

#[tokio::test]
async fn ledger_rows_match_what_the_client_saw_and_survive_a_restart() {
    let bin = fixtures();
    let emulator = TestEmulator::start(vec![Served::Fnkit(Path::new(&bin))], |c| {
        c.reuse = fnkit_local::Reuse::Always
    })
    .await;
    let state_dir = emulator.state_dir.clone();
    let mut seen = Vec::new();
    for payload in [json!({"a": 1}), json!({"panic": "x"}), json!({"b": 2})] {
        let reply = emulator.invoke("echo", &payload).await;
        let outcome = if reply.header("x-amz-function-error").is_some() {
            "error"
        } else {
            "ok"
        };
        seen.push((
            reply.header("x-amzn-requestid").unwrap().to_owned(),
            outcome,
        ));
    }
    let rows = emulator.admin("/_fnkit/invocations?function=echo").await;
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    // Newest first.
    for (row, (id, outcome)) in rows.iter().rev().zip(&seen) {
        assert_eq!(row["request_id"], *id);
        assert_eq!(row["outcome"], *outcome);
        assert_eq!(row["function"], "echo");
        assert_eq!(row["trigger"], "event");
        assert_eq!(row["memory_mb"], 128);
        let billed = row["billed_ms"].as_f64().unwrap();
        let expected_gbs = billed / 1000.0 * 128.0 / 1024.0;
        assert!((row["gb_seconds"].as_f64().unwrap() - expected_gbs).abs() < 1e-12);
        let cost = 0.20 / 1e6 + expected_gbs * 0.000_016_666_7;
        assert!(
            (row["cost_x86"].as_f64().unwrap() - cost).abs() < 1e-15,
            "{row}"
        );
    }
    assert_eq!(
        rows.iter().filter(|r| r["init_ms"].is_number()).count(),
        1,
        "one cold start"
    );
    let _ = emulator.stop().await;

    // A new emulator on the same state directory sees the same history.
    let again = TestEmulator::start_with(
        vec![Served::Fnkit(Path::new(&bin))],
        Config {
            state_dir: state_dir.clone(),
            schedules: false,
            ..Config::default()
        },
    )
    .await;
    let stats = again.admin("/_fnkit/stats").await;
    let echo = entry(&stats, "function", "echo");
    assert_eq!(echo["invocations"], 3);
    assert_eq!(echo["errors"], 1);
    assert_eq!(echo["cold_starts"], 1);
    assert!(echo["p50_ms"].as_f64().unwrap() > 0.0);
    assert!(echo["p99_ms"].as_f64().unwrap() >= echo["p50_ms"].as_f64().unwrap());
    let per_million = echo["projected_cost_per_million_x86"].as_f64().unwrap();
    assert!(
        per_million > 0.20,
        "a million calls cost at least the request price: {per_million}"
    );

    // And the file is plain SQLite for anyone's tools.
    let db = rusqlite_count(&state_dir.join("fnkit.db"));
    assert_eq!(db, 3);
}

fn rusqlite_count(path: &Path) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(
        "SELECT COUNT(*) FROM invocations WHERE function = 'echo'",
        [],
        |r| r.get(0),
    )
    .unwrap()
}
