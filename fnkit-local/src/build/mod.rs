//! Finding what to serve: building the user's binaries with cargo (`--example`, `--package`),
//! taking one as given (`--bin`), or finding them in the crate the emulator stands in
//! ([`discover`]); and reading each binary's manifest with `--fnkit-describe`.

mod discover;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fnkit::manifest::Manifest;

pub use discover::{discover, Discovery, SkipReason, Skipped};

/// A failure to find, build or describe a binary.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// cargo could not be run or failed.
    #[error("cargo {args}: {message}")]
    Cargo {
        /// The arguments given.
        args: String,
        /// What went wrong.
        message: String,
    },
    /// The build failed; cargo printed why, and `errors` keeps the compiler's errors.
    #[error("cargo {args}: the build failed (see above)")]
    BuildFailed {
        /// The arguments given.
        args: String,
        /// The compiler's errors, as cargo printed them.
        errors: String,
    },
    /// No package or example of that name.
    #[error("no package or example named `{0}` in this workspace; packages: {1}")]
    Unknown(String, String),
    /// Nothing was named and the working directory is in no cargo package.
    #[error("{} is in no cargo package or workspace (no Cargo.toml here or above); run fnkit-local in your crate's folder, or say what to serve: --example NAME, --examples, --package NAME or --bin PATH", .0.display())]
    NotACrate(PathBuf),
    /// Nothing was named and no binary of the package or workspace answered with a manifest.
    #[error("nothing to serve in {scope}:{}", discover::list(.skipped))]
    NothingToServe {
        /// Where it looked.
        scope: String,
        /// Each binary, and why it is not served.
        skipped: Vec<Skipped>,
        /// The compiler's errors, when a build failed (cargo printed them already).
        build_errors: String,
    },
    /// The binary could not describe itself.
    #[error("{bin}: {message}")]
    Describe {
        /// The binary.
        bin: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// What to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An example: a package under `examples/` of this name, or a cargo `--example` target.
    Example(String),
    /// A workspace package with one binary.
    Package(String),
    /// A binary built already.
    Bin(PathBuf),
    /// Every package under the workspace's `examples/`.
    AllExamples,
}

/// A `cargo` command (`$CARGO` when cargo started us) without the variables cargo sets for the
/// crate it runs (`CARGO_PKG_*`, `CARGO_MANIFEST_DIR`, …), which `cargo run -p fnkit-local` and
/// a test leave in our environment. Build scripts (ring's, aws-lc-sys's) rerun when those change,
/// so inheriting them would rebuild the dependency tree here and again at the user's next plain
/// `cargo build`.
pub fn cargo_command() -> Command {
    let mut command = Command::new(cargo());
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        let about_a_crate = [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_BIN_",
            "CARGO_CRATE_",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix))
            || [
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
            ]
            .contains(&name);
        if about_a_crate {
            command.env_remove(name);
        }
    }
    command
}

/// `$CARGO` when cargo started us, else `cargo` from the `PATH`.
fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

struct Metadata {
    root: PathBuf,
    /// Workspace packages with a binary target: name and manifest path.
    packages: Vec<(String, PathBuf)>,
}

/// `cargo metadata --no-deps` of the working directory's package or workspace.
fn workspace() -> Result<cargo_metadata::Metadata, TargetError> {
    cargo_metadata::MetadataCommand::new()
        .cargo_path(cargo())
        .no_deps()
        .exec()
        .map_err(|e| TargetError::Cargo {
            args: "metadata --no-deps".into(),
            message: e.to_string(),
        })
}

fn metadata() -> Result<Metadata, TargetError> {
    let meta = workspace()?;
    let packages = meta
        .workspace_packages()
        .into_iter()
        .filter(|p| p.targets.iter().any(|t| t.is_bin()))
        .map(|p| {
            (
                p.name.to_string(),
                p.manifest_path.clone().into_std_path_buf(),
            )
        })
        .collect();
    Ok(Metadata {
        root: meta.workspace_root.into_std_path_buf(),
        packages,
    })
}

/// The `cargo build` arguments that select `targets`, and the binaries given as they are.
fn selection(targets: &[Target]) -> Result<(Vec<String>, Vec<PathBuf>), TargetError> {
    let mut bins = Vec::new();
    let mut args: Vec<String> = Vec::new();
    let needs_metadata = targets.iter().any(|t| !matches!(t, Target::Bin(_)));
    let meta = if needs_metadata {
        Some(metadata()?)
    } else {
        None
    };
    for target in targets {
        match (target, &meta) {
            (Target::Bin(path), _) => bins.push(path.clone()),
            (Target::Package(name), Some(m)) | (Target::Example(name), Some(m))
                if m.packages.iter().any(|(n, _)| n == name) =>
            {
                args.extend(["-p".into(), name.clone()]);
            }
            (Target::Example(name), Some(_)) => args.extend(["--example".into(), name.clone()]),
            (Target::Package(name), Some(m)) => {
                let names: Vec<&str> = m.packages.iter().map(|(n, _)| n.as_str()).collect();
                return Err(TargetError::Unknown(name.clone(), names.join(", ")));
            }
            (Target::AllExamples, Some(m)) => {
                let examples = m.root.join("examples");
                for (name, manifest) in &m.packages {
                    if manifest.starts_with(&examples) {
                        args.extend(["-p".into(), name.clone()]);
                    }
                }
            }
            _ => unreachable!("metadata is read whenever a target needs it"),
        }
    }
    Ok((args, bins))
}

/// Builds the targets (release or debug) and returns their binaries.
pub fn build(targets: &[Target], release: bool) -> Result<Vec<PathBuf>, TargetError> {
    build_for(targets, release, None)
}

/// [`build`] for a cross target through `cargo zigbuild` (e.g. `x86_64-unknown-linux-gnu.2.17`).
pub fn build_for(
    targets: &[Target],
    release: bool,
    zig_target: Option<&str>,
) -> Result<Vec<PathBuf>, TargetError> {
    let (selected, mut bins) = selection(targets)?;
    if selected.is_empty() {
        return Ok(bins);
    }
    let mut args = match zig_target {
        Some(t) => vec!["zigbuild".to_owned(), "--target".to_owned(), t.to_owned()],
        None => vec!["build".to_owned()],
    };
    args.push("--message-format=json-render-diagnostics".to_owned());
    if release {
        args.push("--release".to_owned());
    }
    args.extend(selected);
    let run = run_cargo(args, false)?;
    bins.extend(
        run.artifacts
            .into_iter()
            .filter(|a| a.target.is_bin() || a.target.is_example())
            .filter_map(|a| a.executable.map(|e| e.into_std_path_buf())),
    );
    Ok(bins)
}

/// What one `cargo build --message-format=json…` produced.
struct CargoRun {
    /// Whether cargo succeeded (with `--keep-going`, some artifacts may exist either way).
    ok: bool,
    artifacts: Vec<cargo_metadata::Artifact>,
    /// The compiler's errors, as cargo printed them.
    errors: String,
}

/// Runs cargo with `args` (its messages go to our stderr as they come, and its errors are kept),
/// and collects the artifacts. Unless `keep_going`, a failed build is an error.
fn run_cargo(args: Vec<String>, keep_going: bool) -> Result<CargoRun, TargetError> {
    let status_args = args.join(" ");
    let failed = |message: String| TargetError::Cargo {
        args: status_args.clone(),
        message,
    };
    let mut child = cargo_command()
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(e.to_string()))?;
    let stderr = child.stderr.take();
    let tee = std::thread::spawn(move || stderr.map(errors_of).unwrap_or_default());
    let mut stdout = Vec::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_end(&mut stdout);
    }
    let status = child.wait().map_err(|e| failed(e.to_string()))?;
    let errors = tee.join().unwrap_or_default();
    if !status.success() && !keep_going {
        return Err(TargetError::BuildFailed {
            args: status_args,
            errors,
        });
    }
    let artifacts = cargo_metadata::Message::parse_stream(&stdout[..])
        .flatten()
        .filter_map(|m| match m {
            cargo_metadata::Message::CompilerArtifact(a) => Some(a),
            _ => None,
        })
        .collect();
    Ok(CargoRun {
        ok: status.success(),
        artifacts,
        errors,
    })
}

/// The most of cargo's errors kept (the rest still reach stderr).
const ERRORS_KEPT: usize = 64 * 1024;

/// Copies cargo's stderr to ours line by line, and keeps its error messages: each block from a
/// line that starts with `error` to the next blank line.
fn errors_of(stderr: impl std::io::Read) -> String {
    use std::io::{BufRead as _, Write as _};
    let mut errors = String::new();
    let mut in_error = false;
    let mut reader = std::io::BufReader::new(stderr);
    let mut bytes = Vec::new();
    // Read to the end whatever comes (bytes that are not UTF-8 included): cargo must never find
    // its stderr closed.
    while matches!(reader.read_until(b'\n', &mut bytes), Ok(n) if n > 0) {
        let _ = std::io::stderr().lock().write_all(&bytes);
        let line = String::from_utf8_lossy(&bytes);
        let line = line.trim_end_matches(['\n', '\r']);
        if line.starts_with("error") {
            in_error = true;
        } else if line.trim().is_empty() {
            if in_error && errors.len() < ERRORS_KEPT {
                errors.push('\n');
            }
            in_error = false;
        }
        if in_error && errors.len() < ERRORS_KEPT {
            errors.push_str(line);
            errors.push('\n');
        }
        bytes.clear();
    }
    errors
}

/// How long a binary may take to print its manifest.
const DESCRIBE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a binary that never reaches `fnkit::run()` is told.
const CALL_RUN: &str = "a binary that registers #[function]s must call `fnkit::run()` (or `fnkit::Runtime::new()...run()`) in its `main`, which answers `--fnkit-describe`";

/// Runs `bin --fnkit-describe` and returns its output, or why not within the timeout (a `main`
/// that never calls `fnkit::run()` may serve forever instead).
fn run_describe(bin: &Path) -> Result<std::process::Output, String> {
    let mut child = Command::new(bin)
        .arg(fnkit::DESCRIBE_FLAG)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run it: {e}"))?;
    // Read both pipes while waiting, so a large manifest cannot fill one and stall the child.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let deadline = Instant::now() + DESCRIBE_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                return Ok(std::process::Output {
                    status,
                    stdout: stdout.join().unwrap_or_default(),
                    stderr: stderr.join().unwrap_or_default(),
                })
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "it did not answer `{}` within {} s; {CALL_RUN}",
                    fnkit::DESCRIBE_FLAG,
                    DESCRIBE_TIMEOUT.as_secs()
                ));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Reads a binary's manifest by running it with `--fnkit-describe`.
pub fn describe(bin: &Path) -> Result<Manifest, TargetError> {
    let err = |message: String| TargetError::Describe {
        bin: bin.to_owned(),
        message,
    };
    let output = run_describe(bin).map_err(err)?;
    if !output.status.success() {
        return Err(err(format!(
            "`{}` failed: {}",
            fnkit::DESCRIBE_FLAG,
            first_lines(&String::from_utf8_lossy(&output.stderr), 2)
        )));
    }
    let manifest: Manifest = serde_json::from_slice(&output.stdout).map_err(|e| {
        err(format!(
            "its `{}` output is not a manifest ({e}); {CALL_RUN}",
            fnkit::DESCRIBE_FLAG
        ))
    })?;
    // Everything downstream (routes, clocks, deploy files) relies on the rules the macro applies.
    manifest.check().map_err(|e| err(e.to_string()))?;
    Ok(manifest)
}

/// The first `n` non-empty lines of a binary's error output, saying how many more there were (a
/// panic's backtrace, a CLI's usage text).
fn first_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    let mut shown = lines[..lines.len().min(n)].join(" / ");
    if lines.len() > n {
        shown.push_str(&format!(" (and {} more lines)", lines.len() - n));
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::{cargo_command, first_lines};

    #[test]
    fn cargo_runs_without_the_variables_cargo_set_for_this_crate() {
        // `cargo test` set these for this test binary, as `cargo run` does for fnkit-local.
        let inherited = std::env::var_os("CARGO_PKG_NAME").is_some();
        assert!(inherited, "cargo sets CARGO_PKG_NAME for a test");
        let command = cargo_command();
        let removed: Vec<String> = command
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect();
        for name in [
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION_MAJOR",
            "CARGO_MANIFEST_DIR",
        ] {
            assert!(
                removed.iter().any(|r| r == name),
                "{name} kept: {removed:?}"
            );
        }
        // What configures cargo itself stays.
        assert!(removed
            .iter()
            .all(|r| r != "CARGO_HOME" && r != "CARGO_TARGET_DIR"));
    }

    #[test]
    fn cargo_s_errors_are_kept_and_its_stderr_read_to_the_end() {
        let stderr: &[u8] = b"   Compiling x v0.1.0\n\xff\xfe not UTF-8\nerror[E0308]: mismatched types\n --> src/main.rs:1:1\n\nwarning: unused\nerror: could not compile `x`\n";
        assert_eq!(
            super::errors_of(stderr),
            "error[E0308]: mismatched types\n --> src/main.rs:1:1\n\nerror: could not compile `x`\n"
        );
    }

    #[test]
    fn long_error_output_is_cut_to_its_first_lines() {
        let panic = "thread 'main' panicked at src/lib.rs:86:65:\nMissing AWS_LAMBDA_FUNCTION_NAME\n\nstack backtrace:\n   0: x\n";
        assert_eq!(
            first_lines(panic, 2),
            "thread 'main' panicked at src/lib.rs:86:65: / Missing AWS_LAMBDA_FUNCTION_NAME (and 2 more lines)"
        );
        assert_eq!(first_lines("one line\n", 2), "one line");
        assert_eq!(first_lines("", 2), "");
    }
}
