//! Links inside bucket folders (issue 13, defects 1 and 3): a loop of links neither hangs the
//! emulator nor stops it serving after a restart, and no read, write, deletion or watcher event
//! reaches a file outside its bucket through a link, by the upload API or the S3 API.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Duration;

use fnkit_tests::emulator::{request, signed, temp_dir, Served, TestEmulator};
use fnkit_tests::recorded::until;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fixtures"))
}

/// An emulator over the fixtures whose buckets are `buckets`, recording into a fresh file.
async fn start(buckets: &Path) -> (TestEmulator, PathBuf) {
    let out = temp_dir("out").join("out.txt");
    let (o, b) = (out.clone(), buckets.to_owned());
    let emulator = TestEmulator::start(vec![Served::Fnkit(&fixtures())], move |c| {
        c.env
            .push(("FIXTURE_OUT".into(), o.to_string_lossy().into_owned()));
        c.buckets_dir = Some(b);
    })
    .await;
    (emulator, out)
}

/// Answers within a minute (a generous bound: a hung emulator never does).
async fn answers(emulator: &TestEmulator) {
    let call = emulator.admin("/_fnkit/functions");
    let answered = tokio::time::timeout(Duration::from_secs(60), call).await;
    assert!(answered.is_ok(), "the emulator does not answer");
}

#[tokio::test]
async fn a_loop_of_links_made_while_the_emulator_runs_does_not_hang_it() {
    let buckets = temp_dir("buckets");
    let uploads = buckets.join("uploads");
    std::fs::create_dir_all(uploads.join("images/a")).unwrap();
    let (emulator, out) = start(&buckets).await;
    answers(&emulator).await;
    symlink(".", uploads.join("loop")).unwrap();
    symlink("..", uploads.join("images/a/up")).unwrap();
    symlink("../../images", uploads.join("images/a/side")).unwrap();
    std::fs::create_dir_all(uploads.join("images/a/b/c")).unwrap();
    std::fs::write(uploads.join("images/a/b/c/x.txt"), b"x").unwrap();
    let seen = until(&out, "the file's event", |l| {
        l.iter().any(|l| l.starts_with("images/a/b/c/x.txt"))
    })
    .await;
    answers(&emulator).await;
    assert!(
        !seen
            .iter()
            .any(|l| l.contains("loop/") || l.contains("/up/") || l.contains("/side/")),
        "no key through a link: {seen:#?}"
    );
}

#[tokio::test]
async fn a_loop_of_links_in_a_bucket_neither_hangs_the_emulator_nor_stops_a_restart() {
    let buckets = temp_dir("buckets");
    let uploads = buckets.join("uploads");
    std::fs::create_dir_all(uploads.join("a")).unwrap();
    std::fs::create_dir_all(uploads.join("images")).unwrap();
    symlink(".", uploads.join("loop")).unwrap();
    symlink("../a", uploads.join("a/back")).unwrap();
    symlink("knot2", uploads.join("knot1")).unwrap();
    symlink("knot1", uploads.join("knot2")).unwrap();
    // No loop, but 2^24 paths through links: `fan/d0/{l1,l2}` both lead to `fan/d1`, and so on.
    for level in 0..24 {
        let dir = uploads.join(format!("fan/d{level}"));
        std::fs::create_dir_all(&dir).unwrap();
        for link in ["l1", "l2"] {
            symlink(format!("../d{}", level + 1), dir.join(link)).unwrap();
        }
    }
    std::fs::create_dir_all(uploads.join("fan/d24")).unwrap();
    for round in ["first start", "restart"] {
        let (emulator, out) = start(&buckets).await;
        answers(&emulator).await;
        // The watcher still works: a file dropped in fires (the fixture records `images/`).
        let name = format!("images/{}.txt", round.replace(' ', "-"));
        std::fs::write(uploads.join(&name), b"hello").unwrap();
        let seen = until(&out, round, |l| l.iter().any(|l| l.starts_with(&name))).await;
        assert!(
            !seen
                .iter()
                .any(|l| l.starts_with("loop/") || l.contains("knot")),
            "{round}: no key through a link: {seen:#?}"
        );
        let listed = emulator.admin("/_fnkit/buckets/uploads").await;
        assert!(!listed.to_string().contains("loop/"), "{round}: {listed}");
        emulator.stop().await;
    }
}

#[tokio::test]
async fn no_operation_or_event_reaches_a_file_outside_the_bucket_through_a_link() {
    let outside = temp_dir("outside");
    std::fs::write(outside.join("secret.txt"), b"secret").unwrap();
    let buckets = temp_dir("buckets");
    // Under `images/`, where the fixture records every event.
    let images = buckets.join("uploads/images");
    std::fs::create_dir_all(&images).unwrap();
    symlink(&outside, images.join("linked")).unwrap();
    symlink(outside.join("secret.txt"), images.join("secret.txt")).unwrap();
    let (emulator, out) = start(&buckets).await;
    let base = &emulator.base;
    let auth = signed("s3");
    let api = |key: &str| format!("{base}/_fnkit/buckets/uploads/images/{key}");
    for key in ["secret.txt", "linked/secret.txt"] {
        let get = request("GET", &api(key), &[], Vec::new()).await;
        assert_eq!(get.status, 403, "{key}: {}", get.text());
        assert!(!get.text().contains("secret\n") && get.text() != "secret");
        let s3 = request(
            "GET",
            &format!("{base}/uploads/images/{key}"),
            &[("authorization", auth.as_str())],
            Vec::new(),
        )
        .await;
        assert_eq!(s3.status, 403, "{key}: {}", s3.text());
        assert!(s3.text().contains("AccessDenied"), "{}", s3.text());
    }
    let delete = request("DELETE", &api("linked/secret.txt"), &[], Vec::new()).await;
    assert_eq!(delete.status, 403, "{}", delete.text());
    let s3_delete = request(
        "DELETE",
        &format!("{base}/uploads/images/linked/secret.txt"),
        &[("authorization", auth.as_str())],
        Vec::new(),
    )
    .await;
    assert_eq!(s3_delete.status, 403, "{}", s3_delete.text());
    assert!(
        outside.join("secret.txt").exists(),
        "nothing outside was deleted"
    );
    let put = request("PUT", &api("linked/deeper/new.txt"), &[], b"x".to_vec()).await;
    assert_eq!(put.status, 403, "{}", put.text());
    assert!(
        !outside.join("deeper").exists(),
        "no folder was made outside"
    );
    // A file written outside (seen through the link) fires nothing; one inside does.
    std::fs::write(outside.join("dropped.txt"), b"outside").unwrap();
    std::fs::write(images.join("real.txt"), b"inside").unwrap();
    let seen = until(&out, "the inside file's event", |l| {
        l.iter().any(|l| l.starts_with("images/real.txt"))
    })
    .await;
    assert!(
        !seen
            .iter()
            .any(|l| l.contains("dropped.txt") || l.contains("secret.txt")),
        "{seen:#?}"
    );
}
