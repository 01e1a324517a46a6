//! A function binary in HTTP mode (`PORT`), as Knative and Cloud Run run it, for the tests of
//! that mode.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Starts `bin` in HTTP mode on a free port of 127.0.0.1 with extra environment variables, and
/// returns the process (killed on drop) and its base URL, once it serves.
pub async fn serve(bin: &Path, env: &[(&str, &str)]) -> (Child, String) {
    let mut child = Command::new(bin)
        .envs(env.iter().copied())
        .env("PORT", "0")
        .env("FNKIT_HOST", "127.0.0.1")
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(at) = line.find("on http://") {
                return line[at + 3..].trim().to_owned();
            }
        }
        panic!("the binary exited before serving");
    })
    .await
    .unwrap();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, base)
}
