//! Finding what to serve: building the user's binaries with cargo (`--example`, `--package`) or
//! taking one as given (`--bin`), and reading each binary's manifest with `--fnkit-describe`.

use std::path::{Path, PathBuf};
use std::process::Command;

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

fn run_cargo(args: &[String]) -> Result<String, TargetError> {
    let output = Command::new(cargo())
        .args(args)
        .output()
        .map_err(|e| TargetError::Cargo {
            args: args.join(" "),
            message: e.to_string(),
        })?;
    if !output.status.success() {
        return Err(TargetError::Cargo {
            args: args.join(" "),
            message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

struct Metadata {
    root: PathBuf,
    packages: Vec<(String, PathBuf)>,
}

fn metadata() -> Result<Metadata, TargetError> {
    let out = run_cargo(&[
        "metadata".into(),
        "--no-deps".into(),
        "--format-version".into(),
        "1".into(),
    ])?;
    let json: serde_json::Value = serde_json::from_str(&out).map_err(|e| TargetError::Cargo {
        args: "metadata".into(),
        message: e.to_string(),
    })?;
    let root = PathBuf::from(json["workspace_root"].as_str().unwrap_or("."));
    let packages = json["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| {
            p["targets"].as_array().into_iter().flatten().any(|t| {
                t["kind"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|k| k == "bin")
            })
        })
        .filter_map(|p| {
            Some((
                p["name"].as_str()?.to_owned(),
                PathBuf::from(p["manifest_path"].as_str()?),
            ))
        })
        .collect();
    Ok(Metadata { root, packages })
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
    let mut bins = Vec::new();
    let mut cargo_args: Vec<Vec<String>> = Vec::new();
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
                cargo_args.push(vec!["-p".into(), name.clone()]);
            }
            (Target::Example(name), Some(_)) => {
                cargo_args.push(vec!["--example".into(), name.clone()])
            }
            (Target::Package(name), Some(m)) => {
                let names: Vec<&str> = m.packages.iter().map(|(n, _)| n.as_str()).collect();
                return Err(TargetError::Unknown(name.clone(), names.join(", ")));
            }
            (Target::AllExamples, Some(m)) => {
                let examples = m.root.join("examples");
                for (name, manifest) in &m.packages {
                    if manifest.starts_with(&examples) {
                        cargo_args.push(vec!["-p".into(), name.clone()]);
                    }
                }
            }
            _ => unreachable!("metadata is read whenever a target needs it"),
        }
    }
    if !cargo_args.is_empty() {
        let mut args = match zig_target {
            Some(t) => vec!["zigbuild".to_owned(), "--target".to_owned(), t.to_owned()],
            None => vec!["build".to_owned()],
        };
        args.push("--message-format=json-render-diagnostics".to_owned());
        if release {
            args.push("--release".to_owned());
        }
        for a in &cargo_args {
            args.extend(a.iter().cloned());
        }
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
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let Ok(m) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if m["reason"] != "compiler-artifact" {
                continue;
            }
            let kinds = &m["target"]["kind"];
            let runnable = kinds
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k == "bin" || k == "example");
            if let (true, Some(exe)) = (runnable, m["executable"].as_str()) {
                bins.push(PathBuf::from(exe));
            }
        }
    }
    Ok(bins)
}

/// Reads a binary's manifest by running it with `--fnkit-describe`.
pub fn describe(bin: &Path) -> Result<Manifest, TargetError> {
    let err = |message: String| TargetError::Describe {
        bin: bin.to_owned(),
        message,
    };
    let output = Command::new(bin)
        .arg(fnkit::DESCRIBE_FLAG)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .output()
        .map_err(|e| err(format!("cannot run it: {e}")))?;
    if !output.status.success() {
        return Err(err(format!(
            "`{}` failed: {}",
            fnkit::DESCRIBE_FLAG,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let manifest: Manifest = serde_json::from_slice(&output.stdout).map_err(|e| {
        err(format!(
            "is it an fnkit binary? its `{}` output is not a manifest: {e}",
            fnkit::DESCRIBE_FLAG
        ))
    })?;
    // Everything downstream (routes, clocks, deploy files) relies on the rules the macro applies.
    manifest.check().map_err(|e| err(e.to_string()))?;
    Ok(manifest)
}
