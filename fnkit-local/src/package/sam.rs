//! The AWS SAM template for a binary's functions: one `AWS::Serverless::Function` per function
//! (custom runtime `provided.al2023`, `Handler` = the function's name), with its events, limits,
//! async retry policy and dead-letter queue, and the buckets and queues its triggers need.
//!
//! Names: a function knows its trigger's bucket or queue by the logical name of its attribute;
//! the template gives the physical name in `FNKIT_BUCKET_<NAME>` / `FNKIT_QUEUE_<NAME>`
//! (`fnkit_spec::names::resource_variable`, read by `fnkit::resource`), and likewise for what it
//! `uses`. Permissions are the least each needs: read on a storage trigger's bucket (SAM's
//! `S3ReadPolicy`; SAM itself adds the SQS poller's rights for a queue trigger), read and write on
//! a used bucket (`S3CrudPolicy`), send on a used queue (`SQSSendMessagePolicy`), invoke on a
//! used function (`LambdaInvokePolicy`). A bucket's name is `<logical>-<12 hex digits of the
//! stack id>`, computed in the template, because the function's policy and variable cannot
//! `!Ref` a bucket whose notifications `!Ref` the function (a circular dependency).

use fnkit::manifest::{FunctionSpec, Resource, StorageEvents, Trigger};
use fnkit_spec::names::{resource_variable, ResourceKind};
use fnkit_spec::schedule::eventbridge_expression;
use serde_json::{json, Map, Value};

/// A CloudFormation logical id from a name: `on-upload_v2` → `OnUploadV2`.
pub(crate) fn logical_id(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut chars = p.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The physical name of bucket `logical`: `<logical>-<last group of the stack id's UUID>`, at
/// most 63 characters as S3 requires.
pub(crate) fn bucket_name(logical: &str) -> Value {
    let mut base: String = logical.chars().take(50).collect();
    while base.ends_with(['-', '.']) {
        base.pop();
    }
    let stack_uuid = json!({"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]});
    let suffix = json!({"Fn::Select": [4, {"Fn::Split": ["-", stack_uuid]}]});
    json!({"Fn::Join": ["-", [base, suffix]]})
}

/// The variables and policies a function's trigger resources and the resources it `uses` give
/// it, adding the used buckets and queues to `resources`. A used function must be in `defined`.
fn wiring(
    spec: &FunctionSpec,
    defined: &[FunctionSpec],
    resources: &mut Map<String, Value>,
) -> Result<(Map<String, Value>, Vec<Value>), String> {
    let (wired, mut policies) = trigger_wiring(&spec.trigger);
    // The attribute's variables first; the names the template wires win.
    let mut variables: Map<String, Value> = spec
        .env
        .iter()
        .map(|v| (v.name.to_string(), json!(v.value)))
        .collect();
    variables.extend(wired);
    for resource in spec.uses.iter() {
        let (kind, name) = resource.parts();
        let variable = resource_variable(kind, name);
        match resource {
            Resource::Bucket(_) => {
                let bucket_id = format!("{}Bucket", logical_id(name));
                resources.entry(bucket_id).or_insert_with(|| {
                    json!({"Type": "AWS::S3::Bucket", "Properties": {"BucketName": bucket_name(name)}})
                });
                variables.insert(variable, bucket_name(name));
                policies.push(json!({"S3CrudPolicy": {"BucketName": bucket_name(name)}}));
            }
            Resource::Queue(_) => {
                let queue_id = format!("{}Queue", logical_id(name));
                resources
                    .entry(queue_id.clone())
                    .or_insert_with(|| json!({"Type": "AWS::SQS::Queue"}));
                let queue_name = json!({"Fn::GetAtt": [queue_id, "QueueName"]});
                variables.insert(variable, queue_name.clone());
                policies.push(json!({"SQSSendMessagePolicy": {"QueueName": queue_name}}));
            }
            Resource::Function(_) => {
                if !defined.iter().any(|f| f.name == name) {
                    return Err(format!(
                        "function `{}` uses function `{name}`, which this binary does not define",
                        spec.name
                    ));
                }
                let function = json!({"Ref": format!("{}Function", logical_id(name))});
                variables.insert(variable, function.clone());
                policies.push(json!({"LambdaInvokePolicy": {"FunctionName": function}}));
            }
        }
    }
    Ok((variables, policies))
}

/// The variables and policies a function's trigger resources give it.
fn trigger_wiring(trigger: &Trigger) -> (Map<String, Value>, Vec<Value>) {
    let mut variables = Map::new();
    let mut policies = Vec::new();
    match trigger {
        Trigger::Storage { bucket, .. } => {
            let name = bucket_name(bucket);
            variables.insert(
                resource_variable(ResourceKind::Bucket, bucket),
                name.clone(),
            );
            policies.push(json!({"S3ReadPolicy": {"BucketName": name}}));
        }
        Trigger::Queue { name, .. } => {
            let queue_id = format!("{}Queue", logical_id(name));
            variables.insert(
                resource_variable(ResourceKind::Queue, name),
                json!({"Fn::GetAtt": [queue_id, "QueueName"]}),
            );
        }
        _ => {}
    }
    (variables, policies)
}

/// The S3 event source of a storage function, adding its bucket to `resources`.
fn storage_event(trigger: &Trigger, resources: &mut Map<String, Value>) -> Value {
    let Trigger::Storage {
        bucket,
        prefix,
        suffix,
        events: kinds,
    } = trigger
    else {
        return Value::Null;
    };
    let bucket_id = format!("{}Bucket", logical_id(bucket));
    resources.entry(bucket_id.clone()).or_insert_with(
        || json!({"Type": "AWS::S3::Bucket", "Properties": {"BucketName": bucket_name(bucket)}}),
    );
    let mut rules = Vec::new();
    if let Some(p) = prefix {
        rules.push(json!({"Name": "prefix", "Value": p}));
    }
    if let Some(s) = suffix {
        rules.push(json!({"Name": "suffix", "Value": s}));
    }
    let s3_events = match kinds {
        StorageEvents::Created => json!(["s3:ObjectCreated:*"]),
        StorageEvents::Deleted => json!(["s3:ObjectRemoved:*"]),
        StorageEvents::All => json!(["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]),
    };
    let mut p = json!({"Bucket": {"Ref": bucket_id}, "Events": s3_events});
    if !rules.is_empty() {
        p["Filter"] = json!({"S3Key": {"Rules": rules}});
    }
    p
}

/// The SQS event source of a queue function, adding its queue and dead-letter queue.
fn queue_event(spec: &FunctionSpec, resources: &mut Map<String, Value>) -> Value {
    let Trigger::Queue {
        name,
        batch_size,
        window_ms,
        max_receive_count,
    } = &spec.trigger
    else {
        return Value::Null;
    };
    let queue_id = format!("{}Queue", logical_id(name));
    let dlq_id = format!("{}DeadLetterQueue", logical_id(name));
    resources
        .entry(dlq_id.clone())
        .or_insert_with(|| json!({"Type": "AWS::SQS::Queue"}));
    // AWS wants the visibility timeout at least the function timeout (6x recommended).
    resources.entry(queue_id.clone()).or_insert_with(|| {
        json!({"Type": "AWS::SQS::Queue", "Properties": {
            "VisibilityTimeout": (spec.timeout_secs * 6).min(43_200),
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]}, "maxReceiveCount": max_receive_count},
        }})
    });
    let mut p = json!({
        "Queue": {"Fn::GetAtt": [queue_id, "Arn"]},
        "BatchSize": batch_size,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
    });
    if *window_ms > 0 {
        p["MaximumBatchingWindowInSeconds"] = json!(window_ms.div_ceil(1000));
    }
    p
}

/// The function's event source, adding what it needs to `resources` and `outputs`.
fn events(
    spec: &FunctionSpec,
    resources: &mut Map<String, Value>,
    outputs: &mut Map<String, Value>,
) -> Result<Map<String, Value>, String> {
    let mut events = Map::new();
    match &spec.trigger {
        Trigger::Event => {}
        Trigger::Http { method, path } => {
            events.insert(
                "Http".into(),
                json!({"Type": "HttpApi", "Properties": {"Method": method, "Path": path}}),
            );
            outputs.insert(
                "HttpApiUrl".into(),
                json!({"Description": "Base URL of the HTTP functions", "Value": {"Fn::Sub": "https://${ServerlessHttpApi}.execute-api.${AWS::Region}.amazonaws.com"}}),
            );
        }
        Trigger::Storage { .. } => {
            let p = storage_event(&spec.trigger, resources);
            events.insert("Storage".into(), json!({"Type": "S3", "Properties": p}));
        }
        Trigger::Queue { .. } => {
            let p = queue_event(spec, resources);
            events.insert("Queue".into(), json!({"Type": "SQS", "Properties": p}));
        }
        Trigger::Schedule(expr) => {
            let schedule = eventbridge_expression(expr)
                .map_err(|e| format!("function `{}`: {e}", spec.name))?;
            events.insert(
                "Schedule".into(),
                json!({"Type": "Schedule", "Properties": {"Schedule": schedule}}),
            );
        }
    }
    Ok(events)
}

/// SAM's `DurableConfig` of a durable function.
fn durable_config(config: fnkit_spec::durable::DurableConfig) -> Value {
    json!({
        "ExecutionTimeout": config.execution_timeout_secs,
        "RetentionPeriodInDays": config.retention_days,
    })
}

/// What a durable function's role may do with its own executions: checkpoint and read their
/// state, on the qualified ARNs (`function:NAME:*`; an execution ARN always names a version,
/// and an unqualified ARN never matches one). A policy of its own on the role SAM makes for the
/// function (`<id>Role`), because the function's `Policies` cannot name the function's own ARN
/// without a circular dependency.
fn durable_policy(function_id: &str) -> Value {
    json!({
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyName": "durable-execution",
            "Roles": [{"Ref": format!("{function_id}Role")}],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Action": ["lambda:CheckpointDurableExecution", "lambda:GetDurableExecutionState"],
                    "Resource": {"Fn::Sub": format!("${{{function_id}.Arn}}:*")},
                }],
            },
        },
    })
}

/// The template (as JSON, written out as YAML) for `functions`, whose zips are at
/// `<function>/bootstrap.zip` next to it.
pub(crate) fn template(functions: &[FunctionSpec], description: &str) -> Result<Value, String> {
    // S3 would refuse the bucket's notification configuration at deploy time; say so now.
    fnkit_spec::storage::check_overlaps(functions).map_err(|e| e.to_string())?;
    let mut resources = Map::new();
    let mut outputs = Map::new();
    for spec in functions {
        let id = format!("{}Function", logical_id(&spec.name));
        let mut props = Map::new();
        props.insert(
            "CodeUri".into(),
            json!(format!("{}/bootstrap.zip", spec.name)),
        );
        props.insert("Handler".into(), json!(spec.name));
        // Every deploy publishes a version and points this alias at it; event sources invoke the
        // alias (the emulator resolves it to the running build).
        props.insert("AutoPublishAlias".into(), json!(fnkit_spec::names::ALIAS));
        props.insert("Runtime".into(), json!("provided.al2023"));
        props.insert("Architectures".into(), json!(["x86_64"]));
        props.insert("Timeout".into(), json!(spec.timeout_secs));
        props.insert("MemorySize".into(), json!(spec.memory_mb));
        props.insert(
            "EphemeralStorage".into(),
            json!({"Size": spec.ephemeral_mb}),
        );
        if let Some(c) = spec.concurrency {
            props.insert("ReservedConcurrentExecutions".into(), json!(c));
        }
        let asynchronous = !matches!(spec.trigger, Trigger::Http { .. } | Trigger::Queue { .. });
        let events = events(spec, &mut resources, &mut outputs)?;
        if asynchronous {
            let dlq_id = format!("{}DeadLetterQueue", logical_id(&spec.name));
            resources.insert(dlq_id.clone(), json!({"Type": "AWS::SQS::Queue"}));
            props.insert(
                "DeadLetterQueue".into(),
                json!({"Type": "SQS", "TargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]}}),
            );
            props.insert(
                "EventInvokeConfig".into(),
                json!({
                    "MaximumRetryAttempts": spec.retries,
                    "MaximumEventAgeInSeconds": spec.max_event_age_secs,
                }),
            );
        }
        if !events.is_empty() {
            props.insert("Events".into(), Value::Object(events));
        }
        let (variables, policies) = wiring(spec, functions, &mut resources)?;
        if !variables.is_empty() {
            props.insert(
                "Environment".into(),
                json!({"Variables": Value::Object(variables)}),
            );
        }
        if !policies.is_empty() {
            props.insert("Policies".into(), Value::Array(policies));
        }
        if let Some(config) = spec.durable {
            props.insert("DurableConfig".into(), durable_config(config));
            resources.insert(format!("{id}DurablePolicy"), durable_policy(&id));
        }
        resources.insert(
            id,
            json!({"Type": "AWS::Serverless::Function", "Properties": props}),
        );
    }
    let mut template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": description,
        "Resources": resources,
    });
    if !outputs.is_empty() {
        template["Outputs"] = Value::Object(outputs);
    }
    Ok(template)
}

#[cfg(test)]
#[path = "sam_tests.rs"]
mod tests;
