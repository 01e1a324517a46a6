//! A serving process of its own, for the tests that kill it or signal it: `fnkit-local` started
//! with `--port 0`, or a function binary in HTTP mode with `PORT=0`; its base URL read from its
//! log, and the rest of its log handed back.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// A started emulator process.
#[allow(missing_debug_implementations)]
pub struct Running {
    /// The process (killed when dropped).
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its log after the line that named the URL.
    pub lines: Lines<BufReader<ChildStdout>>,
}

impl Running {
    /// Keeps reading its log in the background (so it never blocks on a full pipe); returns the
    /// process and its base URL.
    pub fn drained(self) -> (Child, String) {
        let mut lines = self.lines;
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        (self.child, self.base)
    }
}

/// Starts `command` (fnkit-local with its arguments; `--port 0` is added) and waits up to 60 s
/// for it to say where it serves.
pub async fn start(mut command: Command) -> Running {
    command.args(["--port", "0"]);
    serving(command).await
}

/// `bin` in HTTP mode (as Knative and Cloud Run run it) on a free port of 127.0.0.1, to be
/// started with [`serving`].
pub fn http_mode(bin: &std::path::Path) -> Command {
    let mut command = Command::new(bin);
    command
        .env("PORT", "0")
        .env("FNKIT_HOST", "127.0.0.1")
        .env_remove("AWS_LAMBDA_RUNTIME_API");
    command
}

/// Starts `command`, which picks its own port, and waits up to 60 s for it to say where it
/// serves (`... on http://HOST:PORT`).
pub async fn serving(mut command: Command) -> Running {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("the process starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let base = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("its log") {
            if let Some(at) = line.find("on http://") {
                return line[at + 3..].trim().to_owned();
            }
        }
        panic!("the process exited before serving");
    })
    .await
    .expect("the process serves within 60 s");
    Running { child, base, lines }
}
