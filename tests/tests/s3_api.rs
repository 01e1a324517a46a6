//! The S3 front at the request level, for what boto3 (scripts/check-s3-boto3.py) may not send on
//! this machine: an `aws-chunked` upload with a trailing checksum signed with credentials the
//! emulator has never seen, the S3 error document, and a request signed for a service the
//! emulator does not serve.

use std::path::Path;

use fnkit_tests::emulator::{request, signed, TestEmulator};

#[tokio::test]
async fn an_aws_chunked_upload_with_any_credentials_is_stored_decoded() {
    let bin = env!("CARGO_BIN_EXE_fixtures");
    let emulator = TestEmulator::serving(Path::new(bin)).await;
    let auth = signed("s3");
    let body = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n".to_vec();
    let put = request(
        "PUT",
        &format!("{}/uploads/notes/hello.txt", emulator.base),
        &[
            ("authorization", auth.as_str()),
            ("x-amz-date", "20261128T120000Z"),
            ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "11"),
            ("x-amz-trailer", "x-amz-checksum-crc32"),
        ],
        body,
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.text());
    // MD5 of "hello world".
    assert_eq!(
        put.header("etag"),
        Some("\"5eb63bbbe01eeed093cb22bb8f5acdc3\"")
    );
    let get = request(
        "GET",
        &format!("{}/uploads/notes/hello.txt", emulator.base),
        &[
            ("authorization", auth.as_str()),
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
        ],
        Vec::new(),
    )
    .await;
    assert_eq!(get.text(), "hello world");
    let missing = request(
        "GET",
        &format!("{}/uploads/nothing-here", emulator.base),
        &[("authorization", auth.as_str())],
        Vec::new(),
    )
    .await;
    assert_eq!(missing.status, 404);
    assert!(
        missing.text().contains("<Code>NoSuchKey</Code>"),
        "{}",
        missing.text()
    );
    emulator.stop().await;
}

#[tokio::test]
async fn a_request_signed_for_an_unserved_service_is_refused_by_name() {
    let bin = env!("CARGO_BIN_EXE_fixtures");
    let emulator = TestEmulator::serving(Path::new(bin)).await;
    let auth = signed("dynamodb");
    let reply = request(
        "POST",
        &format!("{}/", emulator.base),
        &[
            ("authorization", auth.as_str()),
            ("x-amz-target", "DynamoDB_20120810.ListTables"),
        ],
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(reply.text().contains("`dynamodb`"), "{}", reply.text());
    emulator.stop().await;
}

#[tokio::test]
async fn a_read_after_the_file_changed_on_disk_answers_the_new_etag() {
    let bin = env!("CARGO_BIN_EXE_fixtures");
    let emulator = TestEmulator::serving(Path::new(bin)).await;
    let auth = signed("s3");
    let url = format!("{}/uploads/notes/changing.txt", emulator.base);
    let headers = [
        ("authorization", auth.as_str()),
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
    ];
    let put = request("PUT", &url, &headers, b"first version".to_vec()).await;
    assert_eq!(put.status, 200, "{}", put.text());
    // Rewritten by hand, longer (so its size differs from the index entry whatever the clock).
    let file = emulator
        .state_dir
        .join("buckets/uploads/notes/changing.txt");
    std::fs::write(&file, b"the second, longer version").unwrap();
    let head = request("HEAD", &url, &headers, Vec::new()).await;
    let expected = format!(
        "\"{}\"",
        fnkit::platform::md5_hex(b"the second, longer version")
    );
    assert_eq!(
        head.header("etag"),
        Some(expected.as_str()),
        "not the index's stale eTag"
    );
    assert_eq!(head.header("content-length"), Some("26"));
    emulator.stop().await;
}
