//! `fnkit-local` in a user's own crate, outside this workspace: run with no arguments it builds the
//! crate's binary and serves it; a crate whose `main` never calls `fnkit::run()` is named with the
//! fix. The crates depend on fnkit by path, as the README tells a user to, and are built with the
//! workspace's lock file (so no newer dependency is fetched) into one target folder kept between
//! runs (so only the first run pays for the dependencies).

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a first build of fnkit and its dependencies may take on a slow machine.
const BUILD: Duration = Duration::from_secs(20 * 60);

const GREET: &str = r#"use fnkit::prelude::*;

/// Greets whoever the payload names.
#[function(timeout = "5s", memory = 128)]
async fn greet(input: serde_json::Value) -> Result<serde_json::Value, Error> {
    let name = input["name"].as_str().unwrap_or("world");
    Ok(serde_json::json!({ "greeting": format!("hello, {name}") }))
}

fn main() {
    fnkit::run();
}
"#;

const FORGOT: &str = r#"use fnkit::prelude::*;

/// Never served: `main` does not call `fnkit::run()`.
#[function]
async fn forgotten(input: serde_json::Value) -> serde_json::Value {
    input
}

fn main() {
    println!("starting up");
}
"#;

/// Writes a crate named `name` with `main` as its `src/main.rs` into a fresh folder.
fn user_crate(name: &str, main: &str) -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    // Outside this workspace (CARGO_TARGET_TMPDIR is inside it), as a user's crate is.
    let dir = std::env::temp_dir()
        .join(format!("fnkit-own-project-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let fnkit = workspace.join("fnkit");
    // The README's dependency lines, with the path to this checkout.
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [dependencies]\nfnkit = {{ path = {:?} }}\nserde_json = \"1\"\n",
        fnkit.display().to_string()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(dir.join("src/main.rs"), main).unwrap();
    std::fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    dir
}

/// The emulator's process, killed when dropped: a test that fails before stopping it must not
/// leave it serving (and, under `--watch`, watching).
struct Running(Option<Child>);

impl Running {
    fn into_inner(mut self) -> Child {
        self.0.take().expect("running")
    }
}

impl std::ops::Deref for Running {
    type Target = Child;
    fn deref(&self) -> &Child {
        self.0.as_ref().expect("running")
    }
}

impl std::ops::DerefMut for Running {
    fn deref_mut(&mut self) -> &mut Child {
        self.0.as_mut().expect("running")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `fnkit-local` with no arguments but a free port, in `dir`.
fn fnkit_local(dir: &Path) -> Running {
    fnkit_local_with(dir, &[])
}

/// `fnkit-local` with a free port and `args`, in `dir`.
fn fnkit_local_with(dir: &Path, args: &[&str]) -> Running {
    let child = Command::new(env!("CARGO_BIN_EXE_fnkit-local"))
        .args(["--port", "0", "--no-schedules"])
        .args(args)
        .current_dir(dir)
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("own-project-target"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fnkit-local runs");
    Running(Some(child))
}

/// Sends each line of `pipe` down a channel, so a test can wait for one with a deadline.
fn lines(pipe: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::sync_channel(1024);
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Posts `body` to the Invoke API and returns the status line and body.
fn invoke(base: &str, function: &str, body: &str) -> (String, String) {
    let path = format!("/2015-03-31/functions/{function}/invocations");
    exchange(base, "POST", &path, body)
}

/// One request on a new connection; returns the status line and body.
fn exchange(base: &str, method: &str, path: &str, body: &str) -> (String, String) {
    let address = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    (
        head.lines().next().unwrap_or("").to_owned(),
        body.to_owned(),
    )
}

/// Stops the emulator as Ctrl-C would and returns what it printed after.
fn stop(child: Running, out: &mpsc::Receiver<String>) -> String {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let mut rest = String::new();
    while let Ok(line) = out.recv_timeout(Duration::from_secs(30)) {
        rest.push_str(&line);
        rest.push('\n');
    }
    drop(child);
    rest
}

#[test]
fn with_no_arguments_it_builds_and_serves_the_crate_it_runs_in() {
    let dir = user_crate("greeter", GREET);
    let mut child = fnkit_local(&dir);
    let out = lines(child.stdout.take().unwrap());
    let err = lines(child.stderr.take().unwrap());
    let mut seen = Vec::new();
    let base = loop {
        let line = out.recv_timeout(BUILD).unwrap_or_else(|_| {
            let errors: Vec<String> = err.try_iter().collect();
            panic!(
                "no banner; stdout: {seen:#?}\nstderr: {}",
                errors.join("\n")
            )
        });
        if let Some(rest) = line.strip_prefix("fnkit-local: serving 1 function(s) on ") {
            break rest.to_owned();
        }
        seen.push(line);
    };
    assert!(
        seen.iter()
            .any(|l| l.contains("keeping state in")
                && l.contains("add `.fnkit/` to your .gitignore")),
        "the first start says where state lives: {seen:#?}"
    );
    let (status, body) = invoke(&base, "greet", r#"{"name":"Ada"}"#);
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["greeting"], "hello, Ada");
    let summary = stop(child, &out);
    assert!(
        summary.contains("greet"),
        "the summary names the function: {summary}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_crate_whose_main_never_calls_run_is_named_with_the_fix() {
    let dir = user_crate("forgetful", FORGOT);
    let output = fnkit_local(&dir).into_inner().wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("nothing to serve in package `forgetful`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("binary `forgetful` of package `forgetful`"),
        "names the binary: {stderr}"
    );
    assert!(
        stderr.contains("must call `fnkit::run()`") && stderr.contains("in its `main`"),
        "says what to call: {stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn outside_any_crate_it_says_what_to_do() {
    // CARGO_TARGET_TMPDIR is inside this workspace; a folder outside any crate is needed.
    let outside = std::env::temp_dir().join(format!("fnkit-no-crate-{}", std::process::id()));
    std::fs::create_dir_all(&outside).unwrap();
    if outside.ancestors().any(|d| d.join("Cargo.toml").is_file()) {
        return; // The system's temporary folder is inside a crate: nothing to check here.
    }
    let output = Command::new(env!("CARGO_BIN_EXE_fnkit-local"))
        .current_dir(&outside)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is in no cargo package or workspace"),
        "{stderr}"
    );
    assert!(stderr.contains("--package NAME"), "{stderr}");
    let _ = std::fs::remove_dir_all(&outside);
}

/// The watched crate's source, answering `answer`, with the attribute `attribute`.
fn version(attribute: &str, answer: &str) -> String {
    format!(
        "use fnkit::prelude::*;\n\n#[function({attribute})]\nasync fn which(_input: serde_json::Value) -> &'static str {{\n    {answer:?}\n}}\n\nfn main() {{\n    fnkit::run();\n}}\n"
    )
}

/// Waits for a line of `out` that contains `wanted`; returns it and the lines before it.
fn until_line(out: &mpsc::Receiver<String>, wanted: &str) -> (String, Vec<String>) {
    let mut seen = Vec::new();
    loop {
        let line = out
            .recv_timeout(BUILD)
            .unwrap_or_else(|_| panic!("no line with {wanted:?}; saw {seen:#?}"));
        if line.contains(wanted) {
            return (line, seen);
        }
        seen.push(line);
    }
}

/// `/_fnkit/build` says the last build failed with `error`, and build `generation` serves on.
fn assert_failed_build(base: &str, generation: u64, error: &str) {
    let (_, build) = exchange(base, "GET", "/_fnkit/build", "");
    let build: serde_json::Value = serde_json::from_str(&build).unwrap();
    assert_eq!(
        (&build["state"], &build["generation"]),
        (&"failed".into(), &generation.into()),
        "{build}"
    );
    let errors = build["errors"].as_str().unwrap_or_default();
    assert!(errors.contains(error), "{build}");
}

/// What `which` answers now.
fn which(base: &str) -> String {
    let (status, body) = invoke(base, "which", "{}");
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    body
}

#[test]
fn under_watch_a_saved_change_is_served_without_a_restart_or_a_stale_answer() {
    let dir = user_crate("watched", &version("timeout = \"5s\"", "one"));
    let main = dir.join("src/main.rs");
    let mut child = fnkit_local_with(&dir, &["--watch"]);
    let out = lines(child.stdout.take().unwrap());
    let err = lines(child.stderr.take().unwrap());
    let banner = "fnkit-local: serving 1 function(s) on ";
    let (line, _) = until_line(&out, banner);
    let base = line[banner.len()..].to_owned();
    assert_eq!(which(&base), "\"one\"");

    // A change of code: once the emulator has seen it, a call waits for the new build.
    std::fs::write(&main, version("timeout = \"5s\"", "two")).unwrap();
    let _ = until_line(&out, "changed; rebuilding");
    assert_eq!(
        which(&base),
        "\"two\"",
        "a call made during the rebuild gets the new code"
    );
    let (_, before) = until_line(&out, "rebuilt in");
    assert!(
        !before.iter().any(|l| l.contains(banner)),
        "swapped in place, not restarted: {before:#?}"
    );

    // A compile error: said once, and the last good build serves on.
    std::fs::write(
        &main,
        version("timeout = \"5s\"", "three").replace("\"three\"", "3"),
    )
    .unwrap();
    let (failed, _) = until_line(&out, "the build failed");
    assert!(failed.contains("the last good build serves on"), "{failed}");
    assert_eq!(which(&base), "\"two\"");
    // The dashboard shows it too (its build state, from /_fnkit/build and the live feed).
    assert_failed_build(&base, 2, "error[E0308]");

    // A change of attributes restarts the emulator in the same process, on the same port.
    std::fs::write(&main, version("timeout = \"6s\"", "four")).unwrap();
    let _ = until_line(&out, "the emulator restarts on the new build");
    let (line, _) = until_line(&out, banner);
    assert_eq!(line[banner.len()..], base);
    assert_eq!(which(&base), "\"four\"");

    // A set the emulator refuses (no function left) is said, and the last good build, from
    // its copy, serves on.
    std::fs::write(&main, "fn main() {\n    fnkit::run();\n}\n").unwrap();
    let (refused, mut err_seen) = until_line(&err, "the new build cannot be served");
    assert!(refused.contains("no functions to serve"), "{refused}");
    let _ = until_line(&out, banner);
    assert_eq!(which(&base), "\"four\"");
    assert_failed_build(&base, 3, "no functions to serve");
    assert!(
        child.try_wait().unwrap().is_none(),
        "the same process serves"
    );
    let functions = stop(child, &out);
    assert!(functions.contains("which"), "{functions}");
    // Its stderr, to its end: the compiler's error was printed once in the whole run.
    err_seen.extend(err.iter());
    let errors: Vec<&String> = err_seen
        .iter()
        .filter(|l| l.starts_with("error[E"))
        .collect();
    assert_eq!(errors.len(), 1, "the compiler's error, once: {errors:#?}");
    let _ = std::fs::remove_dir_all(&dir);
}
