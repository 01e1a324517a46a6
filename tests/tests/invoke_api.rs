//! The Invoke API's extras, driven by aws-sdk-lambda (which we did not write): the log's tail
//! (`LogType::Tail`), a client context handed to the function, request ids on errors, and the
//! `INIT_START` line of a cold start.

use std::path::Path;

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::LogType;
use base64::Engine as _;
use fnkit_tests::emulator::TestEmulator;

#[tokio::test]
async fn a_synchronous_call_gets_its_log_tail_and_hands_over_its_client_context() {
    let bin = env!("CARGO_BIN_EXE_fixtures");
    let emulator = TestEmulator::serving(Path::new(bin)).await;
    let lambda = aws_sdk_lambda::Client::new(&fnkit_tests::sdk_config(&emulator.base).await);
    let context = r#"{"client":{"app_title":"notes"},"custom":{"tenant":"acme"}}"#;
    let encoded = base64::engine::general_purpose::STANDARD.encode(context);
    let out = lambda
        .invoke()
        .function_name("whoami")
        .log_type(LogType::Tail)
        .client_context(encoded)
        .payload(Blob::new("{}"))
        .send()
        .await
        .unwrap();
    let answer: serde_json::Value =
        serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap();
    assert_eq!(answer["client_context"], context, "{answer}");
    let id = answer["request_id"].as_str().unwrap();
    let tail = base64::engine::general_purpose::STANDARD
        .decode(out.log_result().expect("X-Amz-Log-Result"))
        .unwrap();
    let tail = String::from_utf8(tail).unwrap();
    assert!(tail.len() <= 4096, "{}", tail.len());
    let lines: Vec<&str> = tail.lines().collect();
    assert_eq!(lines[0], format!("START RequestId: {id} Version: $LATEST"));
    assert!(lines.contains(&"whoami was called"), "{tail}");
    assert!(
        lines.contains(&format!("END RequestId: {id}").as_str()),
        "{tail}"
    );
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with(&format!("REPORT RequestId: {id}\t")),
        "{tail}"
    );

    // Without Tail, no log in the answer.
    let plain = lambda
        .invoke()
        .function_name("whoami")
        .payload(Blob::new("{}"))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.log_result(), None);

    // A cold start begins with INIT_START; the warm call has none of its own.
    let log = emulator.log();
    let inits = log
        .iter()
        .filter(|l| l.starts_with("[whoami] INIT_START Runtime Version: "))
        .count();
    assert_eq!(inits, 1, "{log:#?}");
}

#[tokio::test]
async fn errors_name_their_request_and_a_bad_client_context_is_refused() {
    let bin = env!("CARGO_BIN_EXE_fixtures");
    let emulator = TestEmulator::serving(Path::new(bin)).await;
    let lambda = aws_sdk_lambda::Client::new(&fnkit_tests::sdk_config(&emulator.base).await);
    // Errors name their request too.
    let missing = lambda
        .invoke()
        .function_name("nope")
        .send()
        .await
        .unwrap_err();
    let service = missing.into_service_error();
    assert!(service.is_resource_not_found_exception(), "{service:?}");
    use aws_sdk_lambda::operation::RequestId as _;
    assert!(
        service.request_id().is_some_and(|r| !r.is_empty()),
        "{service:?}"
    );

    // A client context that is not base64 JSON is refused.
    let bad = lambda
        .invoke()
        .function_name("whoami")
        .client_context("%%% not base64")
        .send()
        .await
        .unwrap_err();
    let bad = bad.into_service_error();
    assert!(bad.is_invalid_request_content_exception(), "{bad:?}");
}

// long: one story, two runs of the emulator: the qualifiers of build 1, then of its rebuild.
#[tokio::test]
async fn qualifiers_name_the_running_build_and_nothing_else() {
    // A copy of the fixtures, so that a rebuild can be made by changing it.
    let dir = fnkit_tests::emulator::temp_dir("versions");
    let bin = dir.join("fixtures");
    std::fs::copy(env!("CARGO_BIN_EXE_fixtures"), &bin).unwrap();
    let state = dir.join("state");
    let config = || fnkit_local::Config {
        state_dir: state.clone(),
        schedules: false,
        ..fnkit_local::Config::default()
    };
    let served = || vec![fnkit_tests::emulator::Served::Fnkit(bin.as_path())];
    let emulator = TestEmulator::start_with(served(), config()).await;
    let lambda = aws_sdk_lambda::Client::new(&fnkit_tests::sdk_config(&emulator.base).await);
    let call = |name: &str, qualifier: Option<&str>| {
        lambda
            .invoke()
            .function_name(name)
            .set_qualifier(qualifier.map(str::to_owned))
            .payload(Blob::new("{}"))
            .send()
    };
    for (name, qualifier, executed, arn_tail) in [
        ("whoami", None, "$LATEST", ":function:whoami"),
        (
            "whoami",
            Some("$LATEST"),
            "$LATEST",
            ":function:whoami:$LATEST",
        ),
        ("whoami", Some("live"), "1", ":function:whoami:live"),
        ("whoami:live", None, "1", ":function:whoami:live"),
        ("whoami", Some("1"), "1", ":function:whoami:1"),
    ] {
        let out = call(name, qualifier).await.unwrap();
        assert_eq!(
            out.executed_version(),
            Some(executed),
            "{name} {qualifier:?}"
        );
        let answer: serde_json::Value =
            serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap();
        let arn = answer["arn"].as_str().unwrap();
        assert!(arn.ends_with(arn_tail), "{name} {qualifier:?}: {arn}");
    }
    for (name, qualifier) in [
        ("whoami", Some("2")),
        ("whoami", Some("beta")),
        ("whoami:beta", None),
    ] {
        let e = call(name, qualifier)
            .await
            .unwrap_err()
            .into_service_error();
        assert!(
            e.is_resource_not_found_exception(),
            "{name} {qualifier:?}: {e:?}"
        );
    }
    let e = call("whoami:live", Some("1"))
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_invalid_parameter_value_exception(), "{e:?}");
    emulator.stop().await;

    // A rebuild (the binary changed) is the next version; the old number is gone.
    let mut bytes = std::fs::read(&bin).unwrap();
    bytes.push(0);
    std::fs::write(&bin, bytes).unwrap();
    let emulator = TestEmulator::start_with(served(), config()).await;
    let lambda = aws_sdk_lambda::Client::new(&fnkit_tests::sdk_config(&emulator.base).await);
    let out = lambda
        .invoke()
        .function_name("whoami")
        .qualifier("live")
        .payload(Blob::new("{}"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.executed_version(), Some("2"));
    let old = lambda
        .invoke()
        .function_name("whoami")
        .qualifier("1")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(old.is_resource_not_found_exception(), "{old:?}");
    let functions = emulator.admin("/_fnkit/functions").await;
    assert_eq!(
        fnkit_tests::emulator::entry(&functions, "name", "whoami")["version"],
        2
    );
}
