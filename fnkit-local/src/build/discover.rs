//! Finding what to serve when nothing is named: the binaries of the cargo package (or the whole
//! workspace) the emulator is started in, built and asked for their manifests, and for each one
//! that is not served, why.

use std::fmt;
use std::path::{Path, PathBuf};

use cargo_metadata::{DependencyKind, Package};
use fnkit::manifest::Manifest;

use super::{describe, run_cargo, workspace, TargetError};

/// What [`discover`] found.
#[derive(Debug)]
pub struct Discovery {
    /// Where it looked, for messages: `package foo` or `workspace at /path`.
    pub scope: String,
    /// The binaries that answered with a manifest, with that manifest.
    pub served: Vec<(PathBuf, Manifest)>,
    /// The binaries that did not, and why.
    pub skipped: Vec<Skipped>,
    /// The compiler's errors when a package failed to build (empty when none did).
    pub build_errors: String,
}

/// A binary [`discover`] does not serve.
#[derive(Debug)]
pub struct Skipped {
    /// Its package.
    pub package: String,
    /// Its name (the `[[bin]]` target).
    pub binary: String,
    /// Why it is not served.
    pub reason: SkipReason,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "binary `{}` of package `{}`: {}",
            self.binary, self.package, self.reason
        )
    }
}

/// Why a binary is not served.
#[derive(Debug, thiserror::Error)]
pub enum SkipReason {
    /// Its package does not depend on fnkit, so it is not run to ask.
    #[error("not an fnkit binary (its package does not depend on `fnkit`)")]
    NotFnkit,
    /// It did not compile.
    #[error("its build failed (the compiler's messages are above)")]
    BuildFailed,
    /// cargo succeeded but produced no executable for it (a `required-features` target, say).
    #[error("cargo built no executable for it (does it need `required-features`?)")]
    NotBuilt,
    /// It ran but did not answer `--fnkit-describe` with a valid manifest.
    #[error("{0}")]
    Describe(String),
}

/// Lists skipped binaries one per line, for [`TargetError::NothingToServe`].
pub(super) fn list(skipped: &[Skipped]) -> String {
    if skipped.is_empty() {
        return "\n  it has no binary target (a `src/main.rs`, `src/bin/*.rs` or `[[bin]]`)".into();
    }
    skipped.iter().map(|s| format!("\n  {s}")).collect()
}

/// The packages the emulator stands in: the one whose folder holds the working directory, or
/// every member when it runs at the workspace's root (or in a folder no member owns).
fn in_scope(meta: &cargo_metadata::Metadata, cwd: &Path) -> (String, Vec<Package>) {
    let members: Vec<Package> = meta.workspace_packages().into_iter().cloned().collect();
    let root = meta.workspace_root.as_std_path();
    let owner = members
        .iter()
        .filter(|p| {
            p.manifest_path
                .parent()
                .is_some_and(|d| d.as_std_path() != root && cwd.starts_with(d))
        })
        .max_by_key(|p| p.manifest_path.as_str().len());
    match owner {
        Some(p) => (format!("package `{}`", p.name), vec![p.clone()]),
        None if members.len() == 1 => (format!("package `{}`", members[0].name), members),
        None => (format!("the workspace at {}", root.display()), members),
    }
}

fn depends_on_fnkit(package: &Package) -> bool {
    package
        .dependencies
        .iter()
        .any(|d| d.name == "fnkit" && d.kind == DependencyKind::Normal)
}

/// Builds every binary of the package (or workspace) the working directory is in whose package
/// depends on fnkit, asks each for its manifest, and says why each other binary is not served.
/// Fails only when nothing qualifies, or cargo cannot be asked at all.
pub fn discover(release: bool) -> Result<Discovery, TargetError> {
    let cwd = std::env::current_dir().map_err(|e| TargetError::Cargo {
        args: "metadata".into(),
        message: format!("cannot read the working directory: {e}"),
    })?;
    if !cwd.ancestors().any(|d| d.join("Cargo.toml").is_file()) {
        return Err(TargetError::NotACrate(cwd));
    }
    let meta = workspace()?;
    let (scope, packages) = in_scope(&meta, &cwd);
    let mut skipped = Vec::new();
    let mut wanted = Vec::new();
    for package in &packages {
        let fnkit = depends_on_fnkit(package);
        for bin in package.targets.iter().filter(|t| t.is_bin()) {
            if fnkit {
                wanted.push((package, bin.name.clone()));
            } else {
                skipped.push(Skipped {
                    package: package.name.to_string(),
                    binary: bin.name.clone(),
                    reason: SkipReason::NotFnkit,
                });
            }
        }
    }
    let mut served = Vec::new();
    let mut build_errors = String::new();
    if !wanted.is_empty() {
        let built;
        (built, build_errors) = build_bins(&wanted, release)?;
        // Asked side by side: a binary that serves instead of answering costs its timeout once.
        let outcomes: Vec<Result<(PathBuf, Manifest), SkipReason>> = std::thread::scope(|s| {
            let asking: Vec<_> = built
                .into_iter()
                .map(|exe| s.spawn(move || exe.and_then(ask)))
                .collect();
            asking
                .into_iter()
                .map(|h| h.join().unwrap_or(Err(SkipReason::NotBuilt)))
                .collect()
        });
        for ((package, binary), outcome) in wanted.into_iter().zip(outcomes) {
            match outcome {
                Ok(found) => served.push(found),
                Err(reason) => skipped.push(Skipped {
                    package: package.name.to_string(),
                    binary,
                    reason,
                }),
            }
        }
    }
    if served.is_empty() {
        return Err(TargetError::NothingToServe {
            scope,
            skipped,
            build_errors,
        });
    }
    Ok(Discovery {
        scope,
        served,
        skipped,
        build_errors,
    })
}

/// Asks a built binary for its manifest.
fn ask(exe: PathBuf) -> Result<(PathBuf, Manifest), SkipReason> {
    match describe(&exe) {
        Ok(manifest) => Ok((exe, manifest)),
        Err(TargetError::Describe { message, .. }) => Err(SkipReason::Describe(message)),
        Err(other) => Err(SkipReason::Describe(other.to_string())),
    }
}

/// What [`build_bins`] gives back: each binary's executable or why there is none, and the
/// compiler's errors.
type Built = (Vec<Result<PathBuf, SkipReason>>, String);

/// Builds the wanted binaries in one cargo run that goes on past a failing package, and returns,
/// in the same order, each one's executable or why there is none.
fn build_bins(wanted: &[(&Package, String)], release: bool) -> Result<Built, TargetError> {
    let mut args: Vec<String> = [
        "build",
        "--keep-going",
        "--bins",
        "--message-format=json-render-diagnostics",
    ]
    .map(String::from)
    .into();
    if release {
        args.push("--release".into());
    }
    let mut named: Vec<&str> = Vec::new();
    for (package, _) in wanted {
        // The package id, not the name: a dependency may share a member's name.
        if !named.contains(&package.id.repr.as_str()) {
            named.push(package.id.repr.as_str());
            args.extend(["-p".to_owned(), package.id.repr.clone()]);
        }
    }
    let run = run_cargo(args, true)?;
    let executables = wanted
        .iter()
        .map(|(package, binary)| {
            run.artifacts
                .iter()
                .find(|a| {
                    a.package_id == package.id && a.target.is_bin() && &a.target.name == binary
                })
                .and_then(|a| a.executable.clone())
                .map(|e| e.into_std_path_buf())
                .ok_or(if run.ok {
                    SkipReason::NotBuilt
                } else {
                    SkipReason::BuildFailed
                })
        })
        .collect();
    Ok((executables, run.errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This workspace's metadata (tests run in the package's folder).
    fn this_workspace() -> cargo_metadata::Metadata {
        workspace().expect("cargo metadata of this workspace")
    }

    #[test]
    fn the_folder_decides_the_scope() {
        let meta = this_workspace();
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        let (scope, packages) = in_scope(&meta, here);
        assert_eq!(scope, "package `fnkit-local`");
        assert_eq!(packages.len(), 1);
        let (scope, packages) = in_scope(&meta, meta.workspace_root.as_std_path());
        assert!(scope.starts_with("the workspace at "), "{scope}");
        assert_eq!(packages.len(), meta.workspace_packages().len());
        // A folder inside a member belongs to the member.
        let (scope, _) = in_scope(&meta, &here.join("src/build"));
        assert_eq!(scope, "package `fnkit-local`");
    }

    #[test]
    fn only_packages_that_depend_on_fnkit_are_run() {
        let meta = this_workspace();
        let package = |name: &str| {
            meta.workspace_packages()
                .into_iter()
                .find(|p| p.name.as_str() == name)
                .unwrap_or_else(|| panic!("no package {name}"))
        };
        assert!(depends_on_fnkit(package("hello")));
        assert!(depends_on_fnkit(package("fnkit-local")));
        assert!(!depends_on_fnkit(package("fnkit-spec")));
        assert!(!depends_on_fnkit(package("fnkit")));
    }
}
