//! Environment variables a user gives functions: which names Lambda accepts (and which it keeps
//! for itself), and the `.env`-style file `fnkit-local --env-file` reads.
//!
//! ```
//! use fnkit_spec::env::{check_name, parse_env_file};
//! assert!(check_name("TABLE_NAME").is_ok());
//! assert!(check_name("AWS_REGION").is_err()); // Lambda sets it
//! let vars = parse_env_file("# settings\nexport GREETING=\"hello, world\"\nLEVEL=debug # inline\n").unwrap();
//! assert_eq!(vars, [("GREETING".into(), "hello, world".into()), ("LEVEL".into(), "debug".into())]);
//! ```

/// Names Lambda sets in every execution environment and refuses in a function's configuration
/// ("Reserved keys used in this request"). `LANG`, `PATH` and `LD_LIBRARY_PATH` may be overridden.
pub const RESERVED: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_REGION",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "LAMBDA_RUNTIME_DIR",
    "LAMBDA_TASK_ROOT",
    "TZ",
];

/// A variable name Lambda would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Lambda sets this one itself.
    #[error("`{0}` is set by Lambda itself and cannot be given to a function")]
    Reserved(String),
    /// Not a letter followed by letters, digits and underscores.
    #[error("`{0}` is not a variable name Lambda accepts: a letter, then letters, digits or `_`")]
    Invalid(String),
}

/// Checks a variable name as Lambda does: `[a-zA-Z][a-zA-Z0-9_]+`, and not reserved.
pub fn check_name(name: &str) -> Result<(), NameError> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first_ok || name.len() < 2 || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        // `_HANDLER` and `_X_AMZN_TRACE_ID` start with `_`: say they are reserved, not invalid.
        if RESERVED.contains(&name) {
            return Err(NameError::Reserved(name.to_owned()));
        }
        return Err(NameError::Invalid(name.to_owned()));
    }
    if RESERVED.contains(&name) {
        return Err(NameError::Reserved(name.to_owned()));
    }
    Ok(())
}

/// A line of an env file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct EnvFileError {
    /// 1-based.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

/// Reads `KEY=VALUE` lines: blank lines and `#` comments are skipped, `export ` is allowed before
/// the key, a value in double quotes may hold `#`, spaces and the escapes `\n`, `\"`, `\\`; one in
/// single quotes is taken as written; an unquoted value ends at ` #` and is trimmed. Every name is
/// checked with [`check_name`]. No variable is expanded (Lambda does not expand either).
pub fn parse_env_file(text: &str) -> Result<Vec<(String, String)>, EnvFileError> {
    let mut vars: Vec<(String, String)> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let err = |message: String| EnvFileError {
            line: index + 1,
            message,
        };
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| err(format!("`{line}` is not KEY=VALUE")))?;
        let key = key.trim();
        check_name(key).map_err(|e| err(e.to_string()))?;
        let value = parse_value(value.trim_start()).map_err(err)?;
        match vars.iter_mut().find(|(k, _)| k == key) {
            Some(existing) => existing.1 = value,
            None => vars.push((key.to_owned(), value)),
        }
    }
    Ok(vars)
}

fn parse_value(value: &str) -> Result<String, String> {
    if let Some(rest) = value.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return trailing(chars.as_str()).map(|()| out),
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some(c @ ('"' | '\\')) => out.push(c),
                    Some(c) => {
                        out.push('\\');
                        out.push(c);
                    }
                    None => break,
                },
                c => out.push(c),
            }
        }
        return Err("a double-quoted value is not closed on its line".into());
    }
    if let Some(rest) = value.strip_prefix('\'') {
        let (inner, after) = rest
            .split_once('\'')
            .ok_or("a single-quoted value is not closed on its line")?;
        return trailing(after).map(|()| inner.to_owned());
    }
    let value = match value.find(" #") {
        Some(at) => &value[..at],
        None => value,
    };
    Ok(value.trim_end().to_owned())
}

/// Only a comment may follow a quoted value.
fn trailing(after: &str) -> Result<(), String> {
    let after = after.trim();
    if after.is_empty() || after.starts_with('#') {
        Ok(())
    } else {
        Err(format!("`{after}` follows the closing quote"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_lambdas_rules() {
        assert!(check_name("A1_b").is_ok());
        assert!(matches!(
            check_name("AWS_REGION"),
            Err(NameError::Reserved(_))
        ));
        assert!(matches!(
            check_name("_HANDLER"),
            Err(NameError::Reserved(_))
        ));
        assert!(matches!(check_name("1ABC"), Err(NameError::Invalid(_))));
        assert!(matches!(check_name("A-B"), Err(NameError::Invalid(_))));
        assert!(matches!(check_name("A"), Err(NameError::Invalid(_))));
        // Not reserved on Lambda: a function may set its own.
        assert!(check_name("PATH").is_ok());
        assert!(check_name("AWS_ENDPOINT_URL").is_ok());
    }

    #[test]
    fn values_are_read_as_written() {
        let text = "AA=plain value  # comment\nBB=\"quoted # not a comment\\n\\\"x\\\"\"\nCC='single $HOME \\n'\nDD=\nEE=a#b\nAA=again\n";
        let vars = parse_env_file(text).unwrap();
        assert_eq!(
            vars,
            [
                ("AA".into(), "again".into()),
                ("BB".into(), "quoted # not a comment\n\"x\"".into()),
                ("CC".into(), "single $HOME \\n".into()),
                ("DD".into(), String::new()),
                ("EE".into(), "a#b".into()),
            ]
        );
    }

    #[test]
    fn bad_lines_are_named() {
        let e = parse_env_file("OK=1\n\nnot a pair\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("is not KEY=VALUE"), "{e}");
        let e = parse_env_file("AWS_REGION=eu-west-1").unwrap_err();
        assert!(e.message.contains("set by Lambda itself"), "{e}");
        let e = parse_env_file("AB=\"open").unwrap_err();
        assert!(e.message.contains("not closed"), "{e}");
        let e = parse_env_file("AB='x' y").unwrap_err();
        assert!(e.message.contains("follows the closing quote"), "{e}");
    }
}
