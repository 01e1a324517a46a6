//! The scheduled cleanup: every five minutes, delete reports older than `MAX_AGE_HOURS` (24
//! unless the command line or the deployment says otherwise) from the `reports` bucket, through
//! the official AWS SDK (`aws-sdk-s3`), the code that runs unchanged on Lambda.
//!
//! ```sh
//! cargo run -p fnkit-local -- --example cleanup --env MAX_AGE_HOURS=0
//! curl -X PUT -d '{}' http://127.0.0.1:9000/_fnkit/buckets/reports/old.json
//! curl -X POST http://127.0.0.1:9000/_fnkit/schedules/cleanup_reports   # fire it now
//! ```

use std::time::{Duration, SystemTime};

use aws_sdk_s3::types::{Delete, Object, ObjectIdentifier};
use fnkit::prelude::*;

/// The keys of `objects` last modified before `cutoff`.
fn expired(objects: &[Object], cutoff: SystemTime) -> impl Iterator<Item = &str> {
    objects.iter().filter_map(move |object| {
        let modified = SystemTime::try_from(*object.last_modified()?).ok()?;
        (modified < cutoff).then_some(object.key()?)
    })
}

/// The S3 client and how old a report may get, set up once per execution environment.
#[derive(Debug)]
struct Cleanup {
    s3: aws_sdk_s3::Client,
    max_age: Duration,
}

/// Deletes old reports: lists the whole bucket first, then deletes in batches of 1,000 (S3's
/// most per DeleteObjects), so deleting never disturbs the listing's continuation.
#[function(
    trigger = schedule(cron = "0 */5 * * * *"),
    uses = [bucket("reports")],
    env = ["MAX_AGE_HOURS=24"],
    timeout = "60s"
)]
async fn cleanup_reports(tick: ScheduleEvent, cleanup: State<Cleanup>) -> Result<(), Error> {
    let bucket = fnkit::resource::bucket("reports");
    let cutoff = tick.time - cleanup.max_age;
    let mut old = Vec::new();
    let mut pages = cleanup
        .s3
        .list_objects_v2()
        .bucket(&bucket)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page?;
        for key in expired(page.contents(), cutoff) {
            old.push(ObjectIdentifier::builder().key(key).build()?);
        }
    }
    let mut deleted = 0;
    for batch in old.chunks(1000) {
        let delete = Delete::builder()
            .set_objects(Some(batch.to_vec()))
            .quiet(true)
            .build()?;
        let answer = cleanup
            .s3
            .delete_objects()
            .bucket(&bucket)
            .delete(delete)
            .send()
            .await?;
        for error in answer.errors() {
            println!("not deleted {:?}: {:?}", error.key(), error.message());
        }
        deleted += batch.len() - answer.errors().len();
    }
    println!(
        "deleted {deleted} report(s) older than {:?}",
        cleanup.max_age
    );
    Ok(())
}

async fn set_up() -> Cleanup {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let hours: u64 = std::env::var("MAX_AGE_HOURS")
        .ok()
        .and_then(|h| h.parse().ok())
        .unwrap_or(24);
    Cleanup {
        s3: aws_sdk_s3::Client::new(&config),
        max_age: Duration::from_secs(hours.saturating_mul(3600)),
    }
}

fn main() {
    fnkit::Runtime::new().state_async(set_up()).run()
}

// The function itself runs against the emulator's S3 in tests/tests/examples.rs.
#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::primitives::DateTime;

    fn object(key: &str, age: Duration) -> Object {
        Object::builder()
            .key(key)
            .last_modified(DateTime::from(SystemTime::now() - age))
            .build()
    }

    #[test]
    fn only_what_is_older_than_the_cutoff_expires() {
        let day = Duration::from_secs(86_400);
        let objects = [
            object("a/old.json", 3 * day),
            object("new.json", Duration::ZERO),
            Object::builder().key("undated.json").build(),
        ];
        let cutoff = SystemTime::now() - day;
        assert_eq!(
            expired(&objects, cutoff).collect::<Vec<_>>(),
            ["a/old.json"]
        );
    }
}
