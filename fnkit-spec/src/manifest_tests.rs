use super::*;

fn spec(name: &'static str, trigger: Trigger) -> FunctionSpec {
    FunctionSpec::new(name, trigger, 3, 128, None, 2, "src/main.rs", 7, "app")
}

fn manifest(functions: Vec<FunctionSpec>) -> Manifest {
    Manifest {
        manifest_version: MANIFEST_VERSION,
        fnkit_version: "0.1.0".into(),
        functions,
    }
}

fn http(method: &'static str, path: &'static str) -> Trigger {
    Trigger::Http {
        method: method.into(),
        path: path.into(),
    }
}

#[test]
fn a_good_manifest_passes() {
    let m = manifest(vec![
        spec("a", http("GET", "/a/{id}")),
        spec(
            "b",
            Trigger::Schedule(ScheduleExpr::Rate(Rate::new(5, RateUnit::Minutes))),
        ),
    ]);
    assert_eq!(m.check(), Ok(()));
}

#[test]
fn every_rule_is_checked_on_load() {
    let bad = |functions| manifest(functions).check().unwrap_err().to_string();
    let mut s = spec("a", Trigger::Event);
    s.timeout_secs = 901;
    assert!(bad(vec![s]).contains("timeout_secs"));
    assert!(bad(vec![spec("a b", Trigger::Event)]).contains("function name"));
    assert!(bad(vec![spec("a", http("get", "/"))]).contains("GET"));
    assert!(bad(vec![spec("a", http("GET", "/users/:id"))]).contains("{id}"));
    let cron = Trigger::Schedule(ScheduleExpr::Cron("*/5 * * * *".into()));
    assert!(bad(vec![spec("a", cron)]).contains("6 or 7"));
    let queue = Trigger::Queue {
        name: "orders".into(),
        batch_size: 100,
        window_ms: 0,
        max_receive_count: 3,
    };
    assert!(bad(vec![spec("a", queue)]).contains("window"));
    let storage = Trigger::Storage {
        bucket: "Bad_Bucket".into(),
        prefix: None,
        suffix: None,
        events: StorageEvents::All,
    };
    assert!(bad(vec![spec("a", storage)]).contains("bucket"));
    assert!(
        bad(vec![spec("a", Trigger::Event), spec("a", Trigger::Event)]).contains("two functions")
    );
    let conflict = bad(vec![
        spec("a", http("GET", "/u/{id}")),
        spec("b", http("GET", "/u/{x}")),
    ]);
    assert!(conflict.contains("match the same requests"), "{conflict}");
    let mut old = manifest(vec![]);
    old.manifest_version = 2;
    assert_eq!(old.check(), Err(ManifestError::Version { found: 2 }));
}
