//! A worker sees the variables Lambda sets, the emulator's AWS endpoint with stand-in
//! credentials, the function's own (`env = [...]`) and those given to the emulator for functions
//! (which win), and nothing else: a
//! variable exported in the emulator's own environment is not visible, as on AWS. This binary
//! holds one test, because it sets a variable in its own process.

use std::path::{Path, PathBuf};

use fnkit_tests::emulator::{Served, TestEmulator};
use serde_json::json;

#[test]
fn a_worker_sees_lambdas_variables_and_not_the_emulators_environment() {
    // Set before any thread of the test's runtime exists.
    std::env::set_var("FNKIT_TEST_SHELL_SECRET", "hunter2");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let bin = PathBuf::from(env!("CARGO_BIN_EXE_fixtures"));
        let emulator = TestEmulator::start(vec![Served::Fnkit(Path::new(&bin))], |config| {
            config.env = vec![("GREETING".into(), "from --env".into())];
        })
        .await;
        let reply = emulator.invoke("whoami", &json!({})).await;
        let env = reply.json()["env"].clone();
        let names: Vec<&String> = env.as_object().unwrap().keys().collect();
        assert!(
            env.get("FNKIT_TEST_SHELL_SECRET").is_none(),
            "the emulator's environment leaked: {names:?}"
        );
        for inherited in ["HOME", "USER", "CARGO_MANIFEST_DIR", "RUSTUP_HOME"] {
            if std::env::var_os(inherited).is_some() {
                assert!(
                    env.get(inherited).is_none(),
                    "{inherited} leaked: {names:?}"
                );
            }
        }
        // The attribute's variables reach the worker; the command line's win over them.
        assert_eq!(env["FROM_ATTRIBUTE"], "attribute value");
        assert_eq!(env["GREETING"], "from --env");
        assert_eq!(env["AWS_ENDPOINT_URL"], emulator.base.as_str());
        assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "whoami");
        assert_eq!(env["PATH"], "/usr/local/bin:/usr/bin/:/bin:/opt/bin");
        for credential in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
        ] {
            assert!(
                env[credential].as_str().is_some_and(|v| !v.is_empty()),
                "{credential}: {names:?}"
            );
        }
        emulator.stop().await;
    });
}
