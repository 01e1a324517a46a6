//! Functions that keep their state in S3 and SQS, and call another function, through the
//! official AWS SDK for Rust, with the clients made once at cold start (`Runtime::state_async`).
//! Nothing here knows the emulator: the SDK finds its endpoint (`AWS_ENDPOINT_URL`) and credentials in the environment the
//! emulator gives workers, as it finds the real ones on Lambda.

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_sqs::types::MessageAttributeValue;
use fnkit::prelude::*;
use serde::Deserialize;
use serde_json::json;

/// The clients, made at cold start.
struct Aws {
    s3: aws_sdk_s3::Client,
    sqs: aws_sdk_sqs::Client,
    lambda: aws_sdk_lambda::Client,
}

async fn connect() -> Aws {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    Aws {
        s3: aws_sdk_s3::Client::new(&config),
        sqs: aws_sdk_sqs::Client::new(&config),
        lambda: aws_sdk_lambda::Client::new(&config),
    }
}

/// What to keep, and where.
#[derive(Debug, Deserialize)]
struct Note {
    bucket: String,
    key: String,
    text: String,
    queue: String,
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Writes a note to S3 and reads it back (whole and a range), lists it, then sends it through
/// a queue and receives it, and reports what each step saw, typed errors included.
#[function(timeout = "60s", memory = 256)]
async fn keep(note: Note, aws: State<Aws>) -> Result<serde_json::Value, Failure> {
    let mut seen = in_s3(&aws.s3, &note).await?;
    let queued = through_sqs(&aws.sqs, &note).await?;
    if let (Some(seen), serde_json::Value::Object(queued)) = (seen.as_object_mut(), queued) {
        seen.extend(queued);
    }
    Ok(seen)
}

async fn in_s3(s3: &aws_sdk_s3::Client, note: &Note) -> Result<serde_json::Value, Failure> {
    let _ = s3.create_bucket().bucket(&note.bucket).send().await;
    let put = s3
        .put_object()
        .bucket(&note.bucket)
        .key(&note.key)
        .body(ByteStream::from(note.text.clone().into_bytes()))
        .send()
        .await?;
    let whole = s3
        .get_object()
        .bucket(&note.bucket)
        .key(&note.key)
        .send()
        .await?;
    let whole = whole.body.collect().await?.into_bytes();
    let range = s3
        .get_object()
        .bucket(&note.bucket)
        .key(&note.key)
        .range("bytes=0-4")
        .send()
        .await?;
    let range = range.body.collect().await?.into_bytes();
    let listed = s3.list_objects_v2().bucket(&note.bucket).send().await?;
    let keys: Vec<String> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect();
    let missing = s3
        .get_object()
        .bucket(&note.bucket)
        .key("no/such/key")
        .send()
        .await
        .map_err(|e| e.into_service_error());
    Ok(json!({
        "etag": put.e_tag(),
        "whole": String::from_utf8_lossy(&whole),
        "range": String::from_utf8_lossy(&range),
        "keys": keys,
        "no_such_key": matches!(&missing, Err(e) if e.is_no_such_key()),
    }))
}

async fn through_sqs(sqs: &aws_sdk_sqs::Client, note: &Note) -> Result<serde_json::Value, Failure> {
    let url = sqs.create_queue().queue_name(&note.queue).send().await?;
    let url = url.queue_url().unwrap_or_default().to_owned();
    let tenant = MessageAttributeValue::builder()
        .data_type("String")
        .string_value("acme")
        .build()?;
    let sent = sqs
        .send_message()
        .queue_url(&url)
        .message_body(&note.text)
        .message_attributes("tenant", tenant)
        .send()
        .await?;
    let received = sqs
        .receive_message()
        .queue_url(&url)
        .message_attribute_names("All")
        .wait_time_seconds(5)
        .send()
        .await?;
    let message = received
        .messages()
        .first()
        .cloned()
        .ok_or("ReceiveMessage returned no message")?;
    if let Some(handle) = message.receipt_handle() {
        sqs.delete_message()
            .queue_url(&url)
            .receipt_handle(handle)
            .send()
            .await?;
    }
    let no_queue = sqs
        .get_queue_url()
        .queue_name("no-such-queue")
        .send()
        .await
        .map_err(|e| e.into_service_error());
    Ok(json!({
        "sent_md5": sent.md5_of_message_body(),
        "received": message.body(),
        "received_md5": message.md5_of_body(),
        "tenant": message
            .message_attributes()
            .and_then(|a| a.get("tenant"))
            .and_then(|a| a.string_value()),
        "queue_does_not_exist": matches!(&no_queue, Err(e) if e.is_queue_does_not_exist()),
    }))
}

/// Upper-cases what it is given: the function `relay` invokes.
#[function(timeout = "10s", memory = 128)]
async fn shout(text: String) -> Result<String, Error> {
    Ok(text.to_uppercase())
}

/// Invokes `shout` through aws-sdk-lambda: synchronously (its answer), as an event (202), with a
/// payload it cannot decode (a function error), and a function that does not exist (the typed
/// error).
#[function(uses = [function("shout")], timeout = "60s", memory = 256)]
async fn relay(text: String, aws: State<Aws>) -> Result<serde_json::Value, Failure> {
    let shout = fnkit::resource::function("shout");
    let invoke = |payload: Vec<u8>| {
        aws.lambda
            .invoke()
            .function_name(&shout)
            .payload(Blob::new(payload))
    };
    let answered = invoke(serde_json::to_vec(&text)?).send().await?;
    let answer = payload_json(answered.payload())?;
    let queued = invoke(serde_json::to_vec(&text)?)
        .invocation_type(InvocationType::Event)
        .send()
        .await?;
    let failed = invoke(b"42".to_vec()).send().await?;
    let failure = payload_json(failed.payload())?;
    let missing = aws
        .lambda
        .invoke()
        .function_name("no-such-function")
        .send()
        .await
        .map_err(|e| e.into_service_error());
    Ok(json!({
        "status": answered.status_code(),
        "answer": answer,
        "executed_version": answered.executed_version(),
        "event_status": queued.status_code(),
        "function_error": failed.function_error(),
        "error_type": failure["errorType"],
        "not_found": matches!(&missing, Err(e) if e.is_resource_not_found_exception()),
    }))
}

/// An Invoke answer's payload as JSON (`null` when there is none).
fn payload_json(payload: Option<&Blob>) -> Result<serde_json::Value, Failure> {
    Ok(match payload {
        Some(payload) => serde_json::from_slice(payload.as_ref())?,
        None => serde_json::Value::Null,
    })
}

fn main() {
    fnkit::Runtime::new().state_async(connect()).run()
}
