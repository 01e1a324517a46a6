//! `fnkit-local package`: builds a release binary that runs where it is deployed, and writes the
//! deploy files for AWS Lambda (a `bootstrap.zip` per function and a SAM `template.yaml`) or
//! Knative (a Dockerfile, a `Service` and its `Trigger`s).
//!
//! The binary must load on `provided.al2023` (glibc 2.34). One linked against this machine's
//! newer glibc may not (`GLIBC_2.xx not found` at cold start), so the build goes through
//! `cargo zigbuild` for `x86_64-unknown-linux-gnu.2.17` when it is installed, and the highest
//! `GLIBC_` symbol version the binary needs is checked (`objdump -T`) before anything is written.

mod knative;
mod sam;
mod yaml;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use fnkit::manifest::{FunctionSpec, Manifest, Variable};

use crate::build::{self, Target};

/// The highest glibc `provided.al2023` has.
pub const MAX_GLIBC: (u32, u32) = (2, 34);
/// The glibc target cargo-zigbuild links against.
pub const ZIG_TARGET: &str = "x86_64-unknown-linux-gnu.2.17";

/// Where to deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// AWS Lambda, custom runtime `provided.al2023`.
    Lambda,
    /// Knative Serving and Eventing.
    Knative,
}

/// A packaging failure.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// Building or describing the binary failed.
    #[error(transparent)]
    Target(#[from] crate::build::TargetError),
    /// The binary needs a newer glibc than the platform has.
    #[error("{bin} needs GLIBC_{}.{} but provided.al2023 has {}.{}; install cargo-zigbuild (`cargo install cargo-zigbuild` and `pip install ziglang`) so fnkit-local links against glibc 2.17", .needed.0, .needed.1, MAX_GLIBC.0, MAX_GLIBC.1)]
    Glibc {
        /// The binary.
        bin: PathBuf,
        /// The version it needs.
        needed: (u32, u32),
    },
    /// The manifest cannot be deployed as is.
    #[error("{0}")]
    Manifest(String),
    /// Writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A variable given for every function has a name Lambda refuses.
    #[error(transparent)]
    Variable(#[from] fnkit_spec::env::NameError),
    /// Exactly one binary is packaged at a time.
    #[error("package one binary at a time (got {0})")]
    OneBinary(usize),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PackageError + '_ {
    move |source| PackageError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Adds `env` (the command line's `--env-file` and `--env`) to every function's own variables,
/// `env` winning, so the deployment gets what the emulator gave the functions.
fn with_variables(functions: &mut [FunctionSpec], env: &[(String, String)]) {
    for spec in functions {
        let mut variables: Vec<Variable> = spec
            .env
            .iter()
            .filter(|v| !env.iter().any(|(name, _)| *name == v.name))
            .cloned()
            .collect();
        variables.extend(env.iter().map(|(name, value)| Variable {
            name: name.clone().into(),
            value: value.clone().into(),
        }));
        spec.env = variables.into();
    }
}

/// Whether `cargo zigbuild` is installed.
pub fn zigbuild_available() -> bool {
    build::cargo_command()
        .args(["zigbuild", "--help"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The highest `GLIBC_x.y` symbol version `bin` needs, from `objdump -T`.
pub fn glibc_needed(bin: &Path) -> Result<Option<(u32, u32)>, PackageError> {
    let output = Command::new("objdump")
        .arg("-T")
        .arg(bin)
        .output()
        .map_err(io(bin))?;
    if !output.status.success() {
        return Err(PackageError::Io {
            path: bin.to_owned(),
            source: std::io::Error::other(String::from_utf8_lossy(&output.stderr).into_owned()),
        });
    }
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter_map(|w| w.strip_prefix("GLIBC_"))
        .filter_map(|v| {
            let mut parts = v.split('.');
            Some((
                parts.next()?.parse().ok()?,
                parts.next().and_then(|m| m.parse().ok()).unwrap_or(0),
            ))
        })
        .max())
}

/// What `package` wrote.
#[derive(Debug, Clone)]
pub struct Packaged {
    /// The folder of the deploy files.
    pub dir: PathBuf,
    /// The files written.
    pub files: Vec<PathBuf>,
    /// The highest glibc the binary needs.
    pub glibc: Option<(u32, u32)>,
    /// Whether cargo-zigbuild built it.
    pub zigbuild: bool,
}

/// Builds `targets` for release (through cargo-zigbuild when installed), checks the binary, and
/// writes the deploy files under `out/<platform>/`, every function with the variables `env` adds
/// to its own (their names checked first, as the emulator checks them, before the build).
pub fn package(
    platform: Platform,
    targets: &[Target],
    out: &Path,
    env: &[(String, String)],
) -> Result<Packaged, PackageError> {
    for (name, _) in env {
        fnkit_spec::env::check_name(name)?;
    }
    let zig = zigbuild_available() && !targets.iter().all(|t| matches!(t, Target::Bin(_)));
    let bins = build::build_for(targets, true, zig.then_some(ZIG_TARGET))?;
    let [bin] = bins.as_slice() else {
        return Err(PackageError::OneBinary(bins.len()));
    };
    let glibc = glibc_needed(bin)?;
    if platform == Platform::Lambda {
        if let Some(needed) = glibc.filter(|v| *v > MAX_GLIBC) {
            return Err(PackageError::Glibc {
                bin: bin.clone(),
                needed,
            });
        }
    }
    let mut manifest: Manifest = build::describe(bin)?;
    with_variables(&mut manifest.functions, env);
    let binary_name = bin
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("function")
        .to_owned();
    let dir = match platform {
        Platform::Lambda => out.join("lambda"),
        Platform::Knative => out.join("knative"),
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let binary = std::fs::read(bin).map_err(io(bin))?;
    let files = write_files(platform, &dir, &manifest, &binary, &binary_name)?;
    Ok(Packaged {
        dir,
        files,
        glibc,
        zigbuild: zig,
    })
}

/// Writes the deploy files of `platform` into `dir`: per function a zip and one SAM template
/// (Lambda), or the binary, a Service, Triggers and a Dockerfile (Knative). Returns their paths.
fn write_files(
    platform: Platform,
    dir: &Path,
    manifest: &Manifest,
    binary: &[u8],
    binary_name: &str,
) -> Result<Vec<PathBuf>, PackageError> {
    let mut files = Vec::new();
    match platform {
        Platform::Lambda => {
            for spec in &manifest.functions {
                let zip_path = dir.join(spec.name.as_ref()).join("bootstrap.zip");
                std::fs::create_dir_all(zip_path.parent().unwrap_or(dir)).map_err(io(&zip_path))?;
                write_zip(&zip_path, binary)?;
                files.push(zip_path);
            }
            let description = format!(
                "fnkit functions of {binary_name}, packaged by fnkit-local {}",
                env!("CARGO_PKG_VERSION")
            );
            let template =
                sam::template(&manifest.functions, &description).map_err(PackageError::Manifest)?;
            let path = dir.join("template.yaml");
            std::fs::write(&path, yaml::to_yaml(&template)).map_err(io(&path))?;
            files.push(path);
        }
        Platform::Knative => {
            let service = knative::k8s_name(binary_name);
            let (service_doc, trigger_docs, dockerfile) =
                knative::files(&service, binary_name, &manifest.functions)
                    .map_err(PackageError::Manifest)?;
            let copy = dir.join(binary_name);
            std::fs::write(&copy, binary).map_err(io(&copy))?;
            set_executable(&copy)?;
            let service_path = dir.join("service.yaml");
            std::fs::write(&service_path, yaml::to_yaml(&service_doc))
                .map_err(io(&service_path))?;
            let triggers_path = dir.join("triggers.yaml");
            let triggers: Vec<String> = trigger_docs.iter().map(yaml::to_yaml).collect();
            std::fs::write(&triggers_path, triggers.join("---\n")).map_err(io(&triggers_path))?;
            let docker_path = dir.join("Dockerfile");
            std::fs::write(&docker_path, dockerfile).map_err(io(&docker_path))?;
            files.extend([copy, service_path, triggers_path, docker_path]);
        }
    }
    Ok(files)
}

fn set_executable(path: &Path) -> Result<(), PackageError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(io(path))
}

/// A zip holding the binary as an executable `bootstrap`.
fn write_zip(path: &Path, binary: &[u8]) -> Result<(), PackageError> {
    let file = std::fs::File::create(path).map_err(io(path))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755);
    let zip_err = |e: zip::result::ZipError| PackageError::Io {
        path: path.to_owned(),
        source: std::io::Error::other(e),
    };
    zip.start_file("bootstrap", options).map_err(zip_err)?;
    zip.write_all(binary).map_err(io(path))?;
    zip.finish().map_err(zip_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use fnkit::manifest::Trigger;

    use super::*;

    #[test]
    fn the_command_line_s_variables_join_each_function_s_and_win() {
        const OWN: &[Variable] = &[
            Variable {
                name: Cow::Borrowed("MAX_AGE_HOURS"),
                value: Cow::Borrowed("24"),
            },
            Variable {
                name: Cow::Borrowed("LOG_LEVEL"),
                value: Cow::Borrowed("info"),
            },
        ];
        let spec = |name| {
            FunctionSpec::new(
                name,
                Trigger::Event,
                10,
                128,
                None,
                2,
                "src/main.rs",
                1,
                "app",
            )
        };
        let mut functions = [spec("cleanup").with_env(OWN), spec("plain")];
        let given = [("MAX_AGE_HOURS".to_owned(), "1".to_owned())];
        with_variables(&mut functions, &given);
        let pairs = |f: &FunctionSpec| -> Vec<(String, String)> {
            f.env
                .iter()
                .map(|v| (v.name.to_string(), v.value.to_string()))
                .collect()
        };
        assert_eq!(
            pairs(&functions[0]),
            [
                ("LOG_LEVEL".to_owned(), "info".to_owned()),
                ("MAX_AGE_HOURS".to_owned(), "1".to_owned())
            ]
        );
        assert_eq!(
            pairs(&functions[1]),
            [("MAX_AGE_HOURS".to_owned(), "1".to_owned())]
        );
    }

    #[test]
    fn a_variable_lambda_reserves_is_refused_before_anything_is_built() {
        let out = std::env::temp_dir().join(format!("fnkit-package-env-{}", std::process::id()));
        let given = [("AWS_REGION".to_owned(), "eu-west-1".to_owned())];
        let missing = Target::Bin(out.join("no-such-binary"));
        let refused = package(Platform::Lambda, &[missing], &out, &given);
        assert!(
            matches!(
                refused,
                Err(PackageError::Variable(fnkit_spec::env::NameError::Reserved(ref n))) if n == "AWS_REGION"
            ),
            "{refused:?}"
        );
        assert!(!out.exists(), "nothing written");
    }
}
