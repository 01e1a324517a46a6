//! Finding what to serve: building the user's binaries with cargo (`--example`, `--package`) or
//! taking one as given (`--bin`), and reading each binary's manifest with `--fnkit-describe`.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fnkit::manifest::Manifest;

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
    /// No package or example of that name.
    #[error("no package or example named `{0}` in this workspace; packages: {1}")]
    Unknown(String, String),
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

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

struct Metadata {
    root: PathBuf,
    /// Workspace packages with a binary target: name and manifest path.
    packages: Vec<(String, PathBuf)>,
}

fn metadata() -> Result<Metadata, TargetError> {
    let meta = cargo_metadata::MetadataCommand::new()
        .cargo_path(cargo())
        .no_deps()
        .exec()
        .map_err(|e| TargetError::Cargo {
            args: "metadata --no-deps".into(),
            message: e.to_string(),
        })?;
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
    let status_args = args.join(" ");
    let output = Command::new(cargo())
        .args(&args)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| TargetError::Cargo {
            args: status_args.clone(),
            message: e.to_string(),
        })?;
    if !output.status.success() {
        return Err(TargetError::Cargo {
            args: status_args,
            message: "the build failed (see above)".into(),
        });
    }
    for message in cargo_metadata::Message::parse_stream(&output.stdout[..]).flatten() {
        if let cargo_metadata::Message::CompilerArtifact(artifact) = message {
            let runnable = artifact.target.is_bin() || artifact.target.is_example();
            if let (true, Some(exe)) = (runnable, artifact.executable) {
                bins.push(exe.into_std_path_buf());
            }
        }
    }
    Ok(bins)
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
            String::from_utf8_lossy(&output.stderr).trim()
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
