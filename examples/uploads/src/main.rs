//! The upload processor: when a text file lands in the `uploads` bucket under `incoming/`, count
//! its lines, words and bytes and write a JSON report to the `reports` bucket.
//!
//! It reads and writes through the official AWS SDK (`aws-sdk-s3`), the code that runs unchanged
//! on Lambda. Under `fnkit-local` the SDK finds the emulator's S3 in the environment every worker
//! gets (`AWS_ENDPOINT_URL`, stand-in credentials); on Lambda the same variables are AWS's, and
//! the template from `fnkit-local package` creates both buckets, passes the generated name of
//! `reports` (`FNKIT_BUCKET_REPORTS`) and grants read on `uploads`, read and write on `reports`.
//!
//! ```sh
//! cargo run -p fnkit-local -- --example uploads
//! curl -X PUT --data-binary @README.md http://127.0.0.1:9000/_fnkit/buckets/uploads/incoming/readme.txt
//! curl http://127.0.0.1:9000/_fnkit/buckets/reports/incoming/readme.txt.json
//! # or through S3, as the function does:
//! aws --endpoint-url http://127.0.0.1:9000 s3 cp README.md s3://uploads/incoming/readme.txt
//! aws --endpoint-url http://127.0.0.1:9000 s3 cp s3://reports/incoming/readme.txt.json -
//! ```

use aws_sdk_s3::primitives::ByteStream;
use fnkit::prelude::*;
use serde::Serialize;

/// Counts of one file.
#[derive(Debug, Serialize, PartialEq, Eq)]
struct Report {
    key: String,
    lines: usize,
    words: usize,
    bytes: usize,
}

fn count(key: &str, text: &str) -> Report {
    Report {
        key: key.to_owned(),
        lines: text.lines().count(),
        words: text.split_whitespace().count(),
        bytes: text.len(),
    }
}

/// Counts the words of each uploaded file and stores `reports/<key>.json`.
#[function(
    trigger = storage(bucket = "uploads", prefix = "incoming/", events = "created"),
    uses = [bucket("reports")],
    timeout = "30s",
    memory = 256
)]
async fn word_count(event: StorageEvent, s3: State<aws_sdk_s3::Client>) -> Result<(), Error> {
    for object in event {
        // The event names the bucket by its logical name; the SDK needs the deployed one.
        let upload = s3
            .get_object()
            .bucket(fnkit::resource::bucket(&object.bucket))
            .key(&object.key)
            .send()
            .await?;
        let bytes = upload.body.collect().await?.into_bytes();
        let report = count(&object.key, &String::from_utf8_lossy(&bytes));
        s3.put_object()
            .bucket(fnkit::resource::bucket("reports"))
            .key(format!("{}.json", object.key))
            .content_type("application/json")
            .body(ByteStream::from(serde_json::to_vec_pretty(&report)?))
            .send()
            .await?;
        println!(
            "{}: {} lines, {} words, {} bytes",
            report.key, report.lines, report.words, report.bytes
        );
    }
    Ok(())
}

/// The S3 client, made once per execution environment (cold start) from the environment.
async fn s3_client() -> aws_sdk_s3::Client {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    aws_sdk_s3::Client::new(&config)
}

fn main() {
    fnkit::Runtime::new().state_async(s3_client()).run()
}

// The handler itself runs against the emulator's S3 in tests/tests/examples.rs (an upload
// through S3, the storage trigger, the report read back through S3).
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_words_and_bytes() {
        assert_eq!(
            count("a.txt", "one two\nthree\n"),
            Report {
                key: "a.txt".into(),
                lines: 2,
                words: 3,
                bytes: 14
            }
        );
        assert_eq!(
            count("e.txt", ""),
            Report {
                key: "e.txt".into(),
                lines: 0,
                words: 0,
                bytes: 0
            }
        );
    }
}
