//! Helpers of the end-to-end tests: locating the binaries under test, and a minimal Lambda
//! Runtime API endpoint for driving a function process directly.

pub mod durable;
pub mod emulator;
pub mod raw_durable;
pub mod recorded;
pub mod runtime_api;

use std::path::PathBuf;

/// Builds the workspace package `name` (an example) and returns its binary. The cargo command is
/// fnkit-local's, without the variables cargo set for this test, so the build shares its
/// artifacts with a plain `cargo build` instead of rebuilding build scripts that watch them.
pub fn example_bin(name: &str) -> PathBuf {
    let output = fnkit_local::build::cargo_command()
        .args(["build", "--quiet", "--message-format=json", "-p", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo build -p {name} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == name)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo built no executable for {name}"))
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
