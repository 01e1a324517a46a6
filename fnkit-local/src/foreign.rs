//! Functions not built with fnkit: any program that speaks the Lambda Runtime API (an official
//! AWS runtime client, such as Python's `awslambdaric` with a durable SDK handler, or a
//! `lambda_runtime` binary), described in a JSON file given with `--functions`:
//!
//! ```json
//! {"functions": [
//!   {"name": "greet", "command": [".venv/bin/python", "-m", "awslambdaric"],
//!    "handler": "handlers.greet", "dir": "python", "timeout_secs": 60, "memory_mb": 256,
//!    "durable": {"execution_timeout_secs": 900, "retention_days": 1},
//!    "env": {"LOG_LEVEL": "debug"}}]}
//! ```
//!
//! `command` is the program and its arguments; a program with a `/` and `dir` are taken
//! relative to the file's folder, a bare name is looked up on the emulator's `PATH`. `handler`
//! is the worker's `_HANDLER` (the function's name when absent). Every function has the `event`
//! trigger (an Invoke API target).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fnkit::manifest::{DurableConfig, FunctionSpec, Trigger, Variable};
use serde::Deserialize;

/// A function that is a program of its own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForeignFunction {
    /// Its name.
    pub name: String,
    /// The program and its arguments.
    pub command: Vec<String>,
    /// `_HANDLER` (the name when absent).
    #[serde(default)]
    pub handler: Option<String>,
    /// The working directory and `LAMBDA_TASK_ROOT`.
    #[serde(default)]
    pub dir: Option<PathBuf>,
    /// Timeout in seconds (Lambda's default: 3).
    #[serde(default = "default_timeout")]
    pub timeout_secs: u32,
    /// Memory size in MB (Lambda's default: 128).
    #[serde(default = "default_memory")]
    pub memory_mb: u32,
    /// Reserved concurrency.
    #[serde(default)]
    pub concurrency: Option<u32>,
    /// Set for a durable function.
    #[serde(default)]
    pub durable: Option<DurableConfig>,
    /// Environment variables.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

fn default_timeout() -> u32 {
    3
}

fn default_memory() -> u32 {
    128
}

/// Why a functions file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ForeignError {
    /// It cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// It is not a functions file.
    #[error("{path} is not a functions file: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    functions: Vec<ForeignFunction>,
}

/// Reads the functions of `path`, with their programs and folders resolved and their settings
/// checked by the rules the macro applies.
pub fn read(path: &Path) -> Result<Vec<ForeignFunction>, ForeignError> {
    let text = std::fs::read_to_string(path).map_err(|source| ForeignError::Read {
        path: path.to_owned(),
        source,
    })?;
    let invalid = |message: String| ForeignError::Invalid {
        path: path.to_owned(),
        message,
    };
    let file: File = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut functions = Vec::new();
    for mut f in file.functions {
        let Some(program) = f.command.first().cloned() else {
            return Err(invalid(format!(
                "function `{}` has an empty command",
                f.name
            )));
        };
        let resolved = resolve(&program, base).ok_or_else(|| {
            invalid(format!(
                "`{program}` (the command of `{}`) is not found",
                f.name
            ))
        })?;
        f.command[0] = resolved.to_string_lossy().into_owned();
        f.dir = Some(match &f.dir {
            Some(dir) => base.join(dir),
            None => base.to_owned(),
        });
        f.spec()
            .check()
            .map_err(|e| invalid(format!("function `{}`: {e}", f.name)))?;
        functions.push(f);
    }
    Ok(functions)
}

/// A program with a `/`, from `base`; a bare name, from the `PATH`.
fn resolve(program: &str, base: &Path) -> Option<PathBuf> {
    if program.contains('/') {
        let path = base.join(program);
        return path
            .exists()
            .then(|| std::path::absolute(&path).unwrap_or(path));
    }
    let search = std::env::var_os("PATH")?;
    std::env::split_paths(&search)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

impl ForeignFunction {
    /// Its spec, as a manifest would give it.
    pub fn spec(&self) -> FunctionSpec {
        let mut spec = FunctionSpec::new(
            "",
            Trigger::Event,
            self.timeout_secs,
            self.memory_mb,
            self.concurrency,
            0,
            "functions file",
            0,
            "foreign",
        );
        spec.name = Cow::Owned(self.name.clone());
        spec.durable = self.durable;
        let env = self.env.iter().map(|(k, v)| Variable {
            name: Cow::Owned(k.clone()),
            value: Cow::Owned(v.clone()),
        });
        spec.env = Cow::Owned(env.collect());
        spec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(json: &str) -> (PathBuf, Result<Vec<ForeignFunction>, ForeignError>) {
        let dir = std::env::temp_dir().join(format!("fnkit-foreign-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("functions.json");
        std::fs::write(&path, json).unwrap();
        let read = read(&path);
        (dir, read)
    }

    #[test]
    fn programs_and_folders_are_resolved_and_settings_checked() {
        let (dir, read) = file(
            r#"{"functions": [{"name": "py", "command": ["sh", "-c", "true"], "dir": "handlers",
                "timeout_secs": 60, "durable": {"execution_timeout_secs": 900, "retention_days": 1},
                "env": {"LOG_LEVEL": "debug"}}]}"#,
        );
        let f = &read.unwrap()[0];
        assert!(f.command[0].ends_with("/sh"), "{:?}", f.command);
        assert_eq!(f.dir.as_deref(), Some(dir.join("handlers").as_path()));
        let spec = f.spec();
        assert_eq!(
            (spec.name.as_ref(), spec.timeout_secs, spec.memory_mb),
            ("py", 60, 128)
        );
        assert_eq!(spec.durable.unwrap().execution_timeout_secs, 900);
        assert_eq!(spec.env[0].name, "LOG_LEVEL");
    }

    #[test]
    fn mistakes_are_refused_with_the_reason() {
        let cases = [
            (
                r#"{"functions": [{"name": "a", "command": []}]}"#,
                "empty command",
            ),
            (
                r#"{"functions": [{"name": "a", "command": ["./nope"]}]}"#,
                "not found",
            ),
            (
                r#"{"functions": [{"name": "a", "command": ["sh"], "timeout": 3}]}"#,
                "unknown field",
            ),
            (
                r#"{"functions": [{"name": "a", "command": ["sh"], "timeout_secs": 901}]}"#,
                "timeout_secs",
            ),
            (
                r#"{"functions": [{"name": "a b", "command": ["sh"]}]}"#,
                "a b",
            ),
        ];
        for (json, says) in cases {
            let err = file(json).1.unwrap_err().to_string();
            assert!(err.contains(says), "{json}: {err}");
        }
    }
}
