//! `fnkit-local invoke` and `fnkit-local replay`: calls to an emulator that is running.

use std::path::PathBuf;
use std::process::ExitCode;

use bytes::Bytes;
use clap::Args;
use fnkit_local::client::{side_by_side, ClientError, Endpoint};

/// Where the emulator is.
#[derive(Debug, Args)]
pub(crate) struct EndpointArg {
    /// The running emulator.
    #[arg(long, env = "FNKIT_ENDPOINT", default_value = "http://127.0.0.1:9000")]
    endpoint: Endpoint,
}

#[derive(Debug, Args)]
pub(crate) struct InvokeArgs {
    /// The function.
    function: String,
    /// The payload (the event, as the Invoke API takes it): JSON, `@FILE`, or `@-` for stdin;
    /// `{}` when none is given.
    payload: Option<String>,
    #[command(flatten)]
    endpoint: EndpointArg,
}

#[derive(Debug, Args)]
pub(crate) struct ReplayArgs {
    /// The request id of the invocation to run again (the ledger's, the REPORT line's).
    request_id: String,
    #[command(flatten)]
    endpoint: EndpointArg,
}

/// A runtime for one call.
fn run<T>(call: impl std::future::Future<Output = T>) -> Result<T, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    Ok(runtime.block_on(call))
}

/// The payload an argument names.
fn payload(arg: Option<&str>) -> Result<Bytes, String> {
    let read = |path: &str| -> Result<Vec<u8>, String> {
        if path == "-" {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
                .map_err(|e| format!("stdin: {e}"))?;
            Ok(bytes)
        } else {
            std::fs::read(PathBuf::from(path)).map_err(|e| format!("{path}: {e}"))
        }
    };
    match arg {
        None => Ok(Bytes::from_static(b"{}")),
        Some(a) => match a.strip_prefix('@') {
            Some(path) => read(path).map(Bytes::from),
            None => Ok(Bytes::from(a.to_owned())),
        },
    }
}

fn failed(what: &str, e: impl std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("fnkit-local {what}: {e}");
    ExitCode::from(code)
}

/// A refusal is the caller's mistake (exit 2); anything else is 1.
fn code(e: &ClientError) -> u8 {
    match e {
        ClientError::Refused { status, .. } if *status < 500 => 2,
        _ => 1,
    }
}

pub(crate) fn invoke(args: InvokeArgs) -> ExitCode {
    let payload = match payload(args.payload.as_deref()) {
        Ok(p) => p,
        Err(e) => return failed("invoke", e, 2),
    };
    let endpoint = args.endpoint.endpoint;
    match run(endpoint.invoke(&args.function, payload)) {
        Err(e) => failed("invoke", e, 1),
        Ok(Err(e)) => failed("invoke", &e, code(&e)),
        Ok(Ok(answer)) => {
            eprint!("{}", answer.log);
            println!("{}", String::from_utf8_lossy(&answer.body));
            match answer.function_error {
                Some(_) => ExitCode::from(1),
                None => ExitCode::SUCCESS,
            }
        }
    }
}

pub(crate) fn replay(args: ReplayArgs) -> ExitCode {
    let endpoint = args.endpoint.endpoint;
    match run(endpoint.replay(&args.request_id)) {
        Err(e) => failed("replay", e, 1),
        Ok(Err(e)) => failed("replay", &e, code(&e)),
        Ok(Ok(both)) => {
            print!("{}", side_by_side(&both));
            ExitCode::SUCCESS
        }
    }
}
