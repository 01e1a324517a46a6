//! The command that starts a worker process: the function's binary (or a program with its
//! arguments and folder) with Lambda's environment variables and nothing of the emulator's own
//! environment.

use std::path::Path;
use std::process::Stdio;

use tokio::process::Command;

use super::environment::FunctionConfig;

/// The search path Lambda gives a function.
const LAMBDA_PATH: &str = "/usr/local/bin:/usr/bin/:/bin:/opt/bin";

/// Credentials for the emulator's own AWS APIs, which accept any signature; on Lambda these are
/// the execution role's temporary credentials.
const LOCAL_CREDENTIALS: [(&str, &str); 3] = [
    ("AWS_ACCESS_KEY_ID", "AKIAFNKITLOCAL000000"),
    ("AWS_SECRET_ACCESS_KEY", "fnkit-local-secret-access-key"),
    ("AWS_SESSION_TOKEN", "fnkit-local-session-token"),
];

/// The worker process of environment `id`, with the environment variables Lambda sets and
/// nothing inherited from the emulator's own environment (a secret exported in the developer's
/// shell is not visible to functions, as on AWS). `LD_LIBRARY_PATH` alone passes through: the
/// binary was linked on this machine and may need it to load.
pub(super) fn command(
    id: u64,
    config: &FunctionConfig,
    api_address: &str,
    endpoint: Option<&str>,
) -> Command {
    let launch = &config.launch;
    let mut command = Command::new(&config.binary);
    command.args(&launch.args).env_clear();
    if let Some(dir) = &launch.dir {
        command.current_dir(dir);
    }
    if let Some(libraries) = std::env::var_os("LD_LIBRARY_PATH") {
        command.env("LD_LIBRARY_PATH", libraries);
    }
    if let Some(endpoint) = endpoint {
        command.env("AWS_ENDPOINT_URL", endpoint);
    }
    command
        .envs(LOCAL_CREDENTIALS)
        .env("PATH", LAMBDA_PATH)
        .env("LANG", "en_US.UTF-8")
        .env("AWS_LAMBDA_RUNTIME_API", api_address)
        .env("AWS_LAMBDA_FUNCTION_NAME", &config.name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env(
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            config.memory_mb.to_string(),
        )
        .env(
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{}", config.name),
        )
        .env(
            "AWS_LAMBDA_LOG_STREAM_NAME",
            format!(
                "{}/[$LATEST]{id:032x}",
                chrono::Utc::now().format("%Y/%m/%d")
            ),
        )
        .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
        .env("_HANDLER", launch.handler.as_ref().unwrap_or(&config.name))
        .env("AWS_REGION", &config.region)
        .env("AWS_DEFAULT_REGION", &config.region)
        .env("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023")
        .env(
            "LAMBDA_TASK_ROOT",
            launch
                .dir
                .as_deref()
                .unwrap_or(config.binary.parent().unwrap_or(Path::new("."))),
        )
        .env("TZ", ":UTC")
        .envs(config.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}
