use std::borrow::Cow;

use super::*;

fn spec(name: &'static str, trigger: Trigger) -> FunctionSpec {
    FunctionSpec::new(name, trigger, 10, 128, None, 2, "src/main.rs", 1, "app")
}

fn function<'t>(template: &'t Value, id: &str) -> &'t Value {
    &template["Resources"][id]["Properties"]
}

#[test]
fn logical_ids_are_alphanumeric() {
    assert_eq!(logical_id("on-upload_v2"), "OnUploadV2");
    assert_eq!(logical_id("hello"), "Hello");
}

#[test]
fn a_storage_function_reads_its_bucket_by_the_name_it_is_given() {
    let storage = Trigger::Storage {
        bucket: Cow::Borrowed("uploads"),
        prefix: None,
        suffix: None,
        events: StorageEvents::Created,
    };
    let template = template(&[spec("word_count", storage)], "test").unwrap();
    let name = bucket_name("uploads");
    assert_eq!(
        template["Resources"]["UploadsBucket"]["Properties"]["BucketName"],
        name
    );
    let props = function(&template, "WordCountFunction");
    assert_eq!(
        props["Environment"]["Variables"]["FNKIT_BUCKET_UPLOADS"],
        name
    );
    // Least privilege: read on its own bucket, nothing else.
    assert_eq!(
        props["Policies"],
        json!([{"S3ReadPolicy": {"BucketName": name}}])
    );
    // The name is computed, not a `Ref` to the bucket (whose notifications refer to the function).
    assert!(!name.to_string().contains("UploadsBucket"), "{name}");
    assert_eq!(props["AutoPublishAlias"], "live");
    // An asynchronous function's retries and maximum event age, as the attribute says.
    assert_eq!(
        props["EventInvokeConfig"],
        json!({"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 21600})
    );
}

#[test]
fn a_queue_function_gets_its_queues_name_and_no_extra_policy() {
    let queue = Trigger::Queue {
        name: Cow::Borrowed("orders"),
        batch_size: 10,
        window_ms: 0,
        max_receive_count: 3,
    };
    let queued = template(&[spec("take_orders", queue)], "test").unwrap();
    let props = function(&queued, "TakeOrdersFunction");
    assert_eq!(
        props["Environment"]["Variables"]["FNKIT_QUEUE_ORDERS"],
        json!({"Fn::GetAtt": ["OrdersQueue", "QueueName"]})
    );
    assert!(props.get("Policies").is_none(), "{props}");
    let plain = template(&[spec("add", Trigger::Event)], "test").unwrap();
    let props = function(&plain, "AddFunction");
    assert!(props.get("Environment").is_none() && props.get("Policies").is_none());
}

#[test]
fn long_bucket_names_stay_within_s3s_limit() {
    let long = "a".repeat(60);
    let name = bucket_name(&long);
    let base = name["Fn::Join"][1][0].as_str().unwrap();
    // 50 characters, a dash and the 12 hex digits of the stack id's last UUID group: 63.
    assert_eq!(base.len(), 50);
}

#[test]
fn used_resources_are_created_named_and_granted_one_by_one() {
    let storage = Trigger::Storage {
        bucket: Cow::Borrowed("uploads"),
        prefix: None,
        suffix: None,
        events: StorageEvents::Created,
    };
    const USES: &[Resource] = &[
        Resource::Bucket(Cow::Borrowed("reports")),
        Resource::Queue(Cow::Borrowed("done")),
        Resource::Function(Cow::Borrowed("notify")),
    ];
    let functions = [
        spec("word_count", storage).with_uses(USES),
        spec("notify", Trigger::Event),
    ];
    let template = template(&functions, "test").unwrap();
    let resources = &template["Resources"];
    assert_eq!(
        resources["ReportsBucket"]["Properties"]["BucketName"],
        bucket_name("reports")
    );
    assert_eq!(resources["DoneQueue"]["Type"], "AWS::SQS::Queue");
    let props = function(&template, "WordCountFunction");
    let variables = &props["Environment"]["Variables"];
    assert_eq!(variables["FNKIT_BUCKET_UPLOADS"], bucket_name("uploads"));
    assert_eq!(variables["FNKIT_BUCKET_REPORTS"], bucket_name("reports"));
    assert_eq!(
        variables["FNKIT_QUEUE_DONE"],
        json!({"Fn::GetAtt": ["DoneQueue", "QueueName"]})
    );
    assert_eq!(
        variables["FNKIT_FUNCTION_NOTIFY"],
        json!({"Ref": "NotifyFunction"})
    );
    assert_eq!(
        props["Policies"],
        json!([
            {"S3ReadPolicy": {"BucketName": bucket_name("uploads")}},
            {"S3CrudPolicy": {"BucketName": bucket_name("reports")}},
            {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": ["DoneQueue", "QueueName"]}}},
            {"LambdaInvokePolicy": {"FunctionName": {"Ref": "NotifyFunction"}}},
        ])
    );
    // The function it invokes gets nothing it did not ask for.
    assert!(function(&template, "NotifyFunction")
        .get("Policies")
        .is_none());
    let alone = [spec("word_count", Trigger::Event).with_uses(USES)];
    let err = super::template(&alone, "test").unwrap_err();
    assert!(
        err.contains("uses function `notify`, which this binary does not define"),
        "{err}"
    );
}

#[test]
fn the_attributes_variables_are_in_the_template() {
    const ENV: &[fnkit::manifest::Variable] = &[fnkit::manifest::Variable {
        name: Cow::Borrowed("LOG_LEVEL"),
        value: Cow::Borrowed("debug"),
    }];
    let template = template(&[spec("add", Trigger::Event).with_env(ENV)], "test").unwrap();
    let props = function(&template, "AddFunction");
    assert_eq!(
        props["Environment"]["Variables"],
        json!({"LOG_LEVEL": "debug"})
    );
}

#[test]
fn overlapping_storage_notifications_are_refused_naming_both_functions() {
    let on = |prefix: &'static str| Trigger::Storage {
        bucket: Cow::Borrowed("uploads"),
        prefix: Some(Cow::Borrowed(prefix)),
        suffix: None,
        events: StorageEvents::Created,
    };
    let both = [
        spec("all_csv", on("csv/")),
        spec("csv_2026", on("csv/2026/")),
    ];
    let refused = template(&both, "test").unwrap_err();
    assert!(
        refused.contains("`all_csv`") && refused.contains("`csv_2026`"),
        "{refused}"
    );
    let apart = [spec("csv", on("csv/")), spec("images", on("images/"))];
    assert!(template(&apart, "test").is_ok());
}

#[test]
fn a_durable_function_gets_its_config_and_rights_on_its_own_executions() {
    let durable =
        spec("approve", Trigger::Event).with_durable(fnkit_spec::durable::DurableConfig {
            execution_timeout_secs: 604_800,
            retention_days: 30,
        });
    let template = template(&[durable, spec("plain", Trigger::Event)], "test").unwrap();
    let props = function(&template, "ApproveFunction");
    assert_eq!(
        props["DurableConfig"],
        json!({"ExecutionTimeout": 604_800, "RetentionPeriodInDays": 30})
    );
    assert_eq!(props["AutoPublishAlias"], "live");
    let policy = &template["Resources"]["ApproveFunctionDurablePolicy"]["Properties"];
    assert_eq!(policy["Roles"], json!([{"Ref": "ApproveFunctionRole"}]));
    let statement = &policy["PolicyDocument"]["Statement"][0];
    assert_eq!(
        statement["Action"],
        json!([
            "lambda:CheckpointDurableExecution",
            "lambda:GetDurableExecutionState"
        ])
    );
    assert_eq!(
        statement["Resource"],
        json!({"Fn::Sub": "${ApproveFunction.Arn}:*"})
    );
    // Only durable functions get either.
    assert!(function(&template, "PlainFunction")
        .get("DurableConfig")
        .is_none());
    assert!(template["Resources"]
        .get("PlainFunctionDurablePolicy")
        .is_none());
}
