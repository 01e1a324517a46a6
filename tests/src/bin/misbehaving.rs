//! Functions that misbehave, one way each, for `tests/tests/misbehaving.rs`: the emulator must
//! answer each with the error Lambda gives, keep serving, and lose nothing it accepted. (The
//! fixtures binary has more: `abort`, `spin`, `leak`, `big`, `noisy`, `leave_behind`.)

use std::io::Write;

use fnkit::prelude::*;

/// Recurses until the stack is gone: Rust reports the overflow and aborts the process.
#[function]
async fn stack_overflow(input: serde_json::Value) -> serde_json::Value {
    fn deeper(n: u64, pad: [u8; 512]) -> u64 {
        let pad = std::hint::black_box(pad);
        if n == u64::MAX {
            return u64::from(pad[0]);
        }
        deeper(n + 1, pad).wrapping_add(u64::from(pad[1]))
    }
    serde_json::json!({ "depth": deeper(0, [input["seed"].as_u64().unwrap_or(1) as u8; 512]) })
}

/// Exits with status 3 in the middle of a call.
#[function]
async fn exit_code(_input: serde_json::Value) -> serde_json::Value {
    std::process::exit(3)
}

/// Dies of SIGSEGV, as a fault in foreign code does. Sent twice: Rust's own handler (there to
/// report stack overflows) takes the first one, finds no fault, and restores the default action;
/// the second one kills.
#[function]
async fn segfault(_input: serde_json::Value) -> Result<serde_json::Value, Error> {
    for _ in 0..2 {
        std::process::Command::new("kill")
            .args(["-SEGV", &std::process::id().to_string()])
            .status()?;
    }
    // The signal arrives while this waits.
    tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    Ok(serde_json::json!("still alive"))
}

/// Sleeps for ever (awaiting): only its timeout ends it.
#[function(timeout = "1s")]
async fn endless_sleep(_input: serde_json::Value) -> serde_json::Value {
    std::future::pending::<()>().await;
    serde_json::Value::Null
}

/// Answers, and leaves a thread behind that keeps printing: Lambda would freeze it.
#[function]
async fn leftover_thread(input: serde_json::Value) -> serde_json::Value {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        std::thread::spawn(|| {
            for n in 0.. {
                println!("leftover thread, line {n}");
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        });
    });
    input
}

/// Prints `mb` megabytes: as one line without a newline (`{"newlines": false}`), or as lines of
/// 1 KiB; then answers `done`.
#[function(timeout = "30s")]
async fn flood_output(input: serde_json::Value) -> &'static str {
    let mb = input["mb"].as_u64().unwrap_or(50) as usize;
    let newlines = input["newlines"] != false;
    let mut out = std::io::stdout().lock();
    let line = if newlines {
        let mut l = vec![b'z'; 1023];
        l.push(b'\n');
        l
    } else {
        vec![b'z'; 1024]
    };
    for _ in 0..mb * 1024 {
        let _ = out.write_all(&line);
    }
    let _ = out.write_all(b"\n");
    let _ = out.flush();
    "done"
}

/// Opens files without closing them until the system refuses; answers how many it got and
/// what the refusal was.
#[function]
async fn fd_leak(_input: serde_json::Value) -> serde_json::Value {
    let mut held = Vec::new();
    let refusal = loop {
        match std::fs::File::open("/dev/null") {
            Ok(f) => held.push(f),
            Err(e) => break e,
        }
        if held.len() > 100_000 {
            break std::io::Error::other("no limit");
        }
    };
    serde_json::json!({ "opened": held.len(), "refusal": refusal.raw_os_error() })
}

fn main() {
    fnkit::run()
}
