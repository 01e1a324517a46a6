//! Helpers of the end-to-end tests: locating the binaries under test, and a minimal Lambda
//! Runtime API endpoint for driving a function process directly.

pub mod durable;
pub mod emulator;
pub mod process;
pub mod raw_durable;
pub mod recorded;
pub mod runtime_api;

use std::path::PathBuf;

/// The binary of the workspace package `name` (an example), built with every binary of the
/// workspace by one `cargo build --workspace --bins` per test process. The whole workspace is
/// built, not `-p name`, because cargo resolves features for the packages it is asked to build:
/// `-p name` would rebuild much of the AWS SDK with another feature set, while the workspace's set
/// is the one `cargo test --workspace` has just built. The cargo command is fnkit-local's, without
/// the variables cargo set for this test, so build scripts that watch them are not rerun.
pub fn example_bin(name: &str) -> PathBuf {
    static BUILT: std::sync::OnceLock<Vec<(String, PathBuf)>> = std::sync::OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let output = fnkit_local::build::cargo_command()
            .args([
                "build",
                "--quiet",
                "--message-format=json",
                "--workspace",
                "--bins",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "cargo build --workspace --bins failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact")
            .filter_map(|m| {
                let exe = m["executable"].as_str()?;
                Some((m["target"]["name"].as_str()?.to_owned(), PathBuf::from(exe)))
            })
            .collect()
    });
    built
        .iter()
        .find(|(target, _)| target == name)
        .map(|(_, exe)| exe.clone())
        .unwrap_or_else(|| panic!("cargo built no executable for {name}"))
}

/// One of the example events `aws_lambda_events` ships (AWS's own examples, `src/fixtures`), from
/// the version the workspace locks, read where cargo keeps its source.
pub fn aws_example_event(name: &str) -> Vec<u8> {
    let output = fnkit_local::build::cargo_command()
        .args(["metadata", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(output.status.success(), "cargo metadata failed");
    let meta: serde_json::Value = serde_json::from_slice(&output.stdout).expect("its JSON");
    let manifest = meta["packages"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "aws_lambda_events"))
        .and_then(|p| p["manifest_path"].as_str())
        .expect("aws_lambda_events is a dependency");
    let path = std::path::Path::new(manifest)
        .with_file_name("src")
        .join("fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The AWS SDK's configuration for the emulator at `base`: its endpoint, a region, and stand-in
/// credentials (it accepts any signature).
pub async fn sdk_config(base: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(base)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .load()
        .await
}
