//! The command that starts a worker process: the function's binary (or a program with its
//! arguments and folder) with Lambda's environment variables and nothing of the emulator's own
//! environment, in a process group of its own; and what is done to that group: its file limit,
//! and the SIGKILL that ends it with every process the function started.

use std::path::Path;
use std::process::Stdio;

use tokio::process::Command;

use super::environment::FunctionConfig;

/// The open files a Lambda function may hold (Lambda quotas: "File descriptors", 1,024).
pub(super) const MOST_OPEN_FILES: u64 = 1024;

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
        // Its own group: the processes it starts are killed with it (`kill_group`), and a
        // Ctrl-C in the emulator's terminal, which the terminal sends to its foreground group,
        // reaches the emulator alone, which then drains the calls in flight.
        .process_group(0)
        .kill_on_drop(true);
    command
}

/// Gives the started worker Lambda's limit of open files. Best effort: where the system refuses,
/// the worker keeps the emulator's limit.
pub(super) fn limit_files(pid: u32) {
    use rustix::process::{prlimit, Pid, Resource, Rlimit};
    let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return;
    };
    let limit = Rlimit {
        current: Some(MOST_OPEN_FILES),
        maximum: Some(MOST_OPEN_FILES),
    };
    let _ = prlimit(Some(pid), Resource::Nofile, limit);
}

/// SIGKILLs the worker's process group: the worker and whatever it started that stayed in the
/// group (a child, a daemon that only forked). A process that left the group (`setsid`) is
/// out of reach, as docs/emulator.md says.
pub(super) fn kill_group(pid: u32) {
    use rustix::process::{kill_process_group, Pid, Signal};
    if let Some(group) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
        let _ = kill_process_group(group, Signal::KILL);
    }
}
