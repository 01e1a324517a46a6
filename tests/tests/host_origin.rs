//! Web pages cannot reach the emulator (issue 13, defect 9): a request for another host name
//! (DNS rebinding) is refused, and so is a state-changing request from another site's page (a
//! cross-site `text/plain` POST needs no preflight); a page served from this machine and the
//! AWS SDKs (no `Origin`) are served. What a refused request asked for never happens.

use std::path::PathBuf;

use fnkit_tests::emulator::{request, Reply, TestEmulator};
use serde_json::json;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fixtures"))
}

async fn invoke_counter(emulator: &TestEmulator, headers: &[(&str, &str)]) -> Reply {
    request(
        "POST",
        &format!("{}/2015-03-31/functions/counter/invocations", emulator.base),
        headers,
        b"{}".to_vec(),
    )
    .await
}

#[tokio::test]
async fn a_rebound_host_name_is_refused() {
    let emulator = TestEmulator::serving(&fixtures()).await;
    let port = emulator.base.rsplit(':').next().unwrap().to_owned();
    let rebound = format!("rebound.evil.example:{port}");
    let listing = request(
        "GET",
        &format!("{}/_fnkit/functions", emulator.base),
        &[("host", &rebound)],
        Vec::new(),
    )
    .await;
    assert_eq!(listing.status, 403, "{}", listing.text());
    assert!(
        listing.text().contains("--allow-host"),
        "{}",
        listing.text()
    );
    let refused = invoke_counter(&emulator, &[("host", &rebound)]).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    // Loopback names are served; the refused call never ran (the counter starts at one).
    let local = format!("localhost:{port}");
    let reply = invoke_counter(&emulator, &[("host", &local)]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), json!(1));
    emulator.stop().await;
}

#[tokio::test]
async fn another_sites_page_cannot_invoke_or_post() {
    let emulator = TestEmulator::serving(&fixtures()).await;
    let evil = [
        ("origin", "https://evil.example"),
        ("content-type", "text/plain"),
    ];
    let refused = invoke_counter(&emulator, &evil).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert!(
        refused.text().contains("evil.example"),
        "{}",
        refused.text()
    );
    let route = request(
        "POST",
        &format!("{}/items", emulator.base),
        &evil,
        br#"{"id": 1}"#.to_vec(),
    )
    .await;
    assert_eq!(route.status, 403, "{}", route.text());
    let upload = request(
        "PUT",
        &format!("{}/_fnkit/buckets/uploads/images/x.png", emulator.base),
        &evil,
        b"png".to_vec(),
    )
    .await;
    assert_eq!(upload.status, 403, "{}", upload.text());
    assert!(
        !emulator
            .state_dir
            .join("buckets/uploads/images/x.png")
            .exists(),
        "a refused upload was stored"
    );
    // A front end served from this machine (another port) may call its functions.
    let dev = [("origin", "http://localhost:5173")];
    let reply = invoke_counter(&emulator, &dev).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), json!(1), "a refused call ran");
    let route = request(
        "POST",
        &format!("{}/items", emulator.base),
        &dev,
        br#"{"id": 1}"#.to_vec(),
    )
    .await;
    assert_eq!(route.status, 201, "{}", route.text());
    emulator.stop().await;
}
