//! The upload processor: when a text file lands in the `uploads` bucket under `incoming/`, count
//! its lines, words and bytes and write a JSON report to the `reports` bucket.
//!
//! Locally, buckets are folders and `fnkit-local` tells functions where (`FNKIT_BUCKETS_DIR`):
//!
//! ```sh
//! cargo run -p fnkit-local -- --example uploads
//! curl -X PUT --data-binary @README.md http://127.0.0.1:9000/_fnkit/buckets/uploads/incoming/readme.txt
//! curl http://127.0.0.1:9000/_fnkit/buckets/reports/incoming/readme.txt.json
//! ```
//!
//! On AWS the same function would read and write through S3 (the `aws-sdk-s3` crate); only
//! [`Buckets`] would change.

use std::path::PathBuf;

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

/// Where objects live: local folders under `FNKIT_BUCKETS_DIR`.
#[derive(Debug)]
struct Buckets(PathBuf);

impl Buckets {
    fn from_env() -> Buckets {
        Buckets(
            std::env::var_os("FNKIT_BUCKETS_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| ".fnkit/buckets".into()),
        )
    }

    fn read(&self, bucket: &str, key: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.0.join(bucket).join(key))
    }

    /// Writes atomically (a temporary file renamed into place), so no reader sees half a report.
    fn write(&self, bucket: &str, key: &str, body: &[u8]) -> std::io::Result<()> {
        let path = self.0.join(bucket).join(key);
        let dir = path.parent().unwrap_or(&self.0);
        std::fs::create_dir_all(dir)?;
        let temp = dir.join(format!(".fnkit-upload-report-{}", std::process::id()));
        std::fs::write(&temp, body)?;
        std::fs::rename(temp, path)
    }
}

/// Counts the words of each uploaded file and stores `reports/<key>.json`.
#[function(
    trigger = storage(bucket = "uploads", prefix = "incoming/", events = "created"),
    uses = [bucket("reports")],
    timeout = "30s",
    memory = 256
)]
async fn word_count(event: StorageEvent, buckets: State<Buckets>) -> Result<(), Error> {
    for object in event {
        let bytes = buckets.read(&object.bucket, &object.key)?;
        let text = String::from_utf8_lossy(&bytes);
        let report = count(&object.key, &text);
        let json = serde_json::to_vec_pretty(&report)?;
        buckets.write("reports", &format!("{}.json", object.key), &json)?;
        println!(
            "{}: {} lines, {} words, {} bytes",
            report.key, report.lines, report.words, report.bytes
        );
    }
    Ok(())
}

fn main() {
    // Cold-start set-up, once per worker.
    fnkit::Runtime::new().state(Buckets::from_env()).run()
}

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

    #[tokio::test]
    async fn writes_a_report_for_an_upload() {
        let root = std::env::temp_dir().join(format!("uploads-example-{}", std::process::id()));
        std::fs::create_dir_all(root.join("uploads/incoming")).unwrap();
        std::fs::write(
            root.join("uploads/incoming/note.txt"),
            "hello brave new world\n",
        )
        .unwrap();
        let runtime = fnkit::Runtime::new().state(Buckets(root.clone()));
        let event = fnkit::testing::storage("uploads", "incoming/note.txt")
            .size(22)
            .payload();
        fnkit::testing::invoke_with(&runtime, "word_count", event)
            .await
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(
            &std::fs::read(root.join("reports/incoming/note.txt.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(report["words"], 4);
        assert_eq!(report["lines"], 1);
    }
}
