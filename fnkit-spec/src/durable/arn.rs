//! The durable execution ARN:
//! `arn:aws:lambda:<region>:<account>:function:<name>:<version>/durable-execution/<execution name>/<execution id>`.
//! The version is `$LATEST` or a number, never an alias; the EXECUTION operation's id is the
//! last segment (the official Python SDK finds the input there).

/// The parts of a durable execution ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionArn {
    /// The region.
    pub region: String,
    /// The account.
    pub account: String,
    /// The function's name.
    pub function: String,
    /// `$LATEST` or a version number.
    pub version: String,
    /// The execution's name (the idempotency key of the call that started it).
    pub name: String,
    /// The execution's id.
    pub id: String,
}

impl ExecutionArn {
    /// Reads `arn`; `None` if it is not a durable execution ARN.
    pub fn parse(arn: &str) -> Option<ExecutionArn> {
        let (function_arn, rest) = arn.split_once("/durable-execution/")?;
        let (name, id) = rest.split_once('/')?;
        let parts: Vec<&str> = function_arn.split(':').collect();
        let ["arn", _, "lambda", region, account, "function", function, version] = parts[..] else {
            return None;
        };
        let version_ok = version == "$LATEST"
            || version == "$LATEST.PUBLISHED"
            || (!version.is_empty() && version.bytes().all(|b| b.is_ascii_digit()));
        if !version_ok || !super::is_execution_name(name) || !super::is_execution_name(id) {
            return None;
        }
        Some(ExecutionArn {
            region: region.to_owned(),
            account: account.to_owned(),
            function: function.to_owned(),
            version: version.to_owned(),
            name: name.to_owned(),
            id: id.to_owned(),
        })
    }

    /// The function's ARN, with its version.
    pub fn function_arn(&self) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{}:{}",
            self.region, self.account, self.function, self.version
        )
    }
}

impl std::fmt::Display for ExecutionArn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/durable-execution/{}/{}",
            self.function_arn(),
            self.name,
            self.id
        )
    }
}
