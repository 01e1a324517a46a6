//! The description of a binary's functions: what `#[function]` registers, and the versioned JSON
//! that `<binary> --fnkit-describe` prints for the emulator and the deploy targets.
//!
//! The types live in `fnkit-spec`, the crate of rules the macro, this SDK and the emulator share;
//! they are re-exported here, where users find them. The format is described in
//! `docs/manifest.md`.
//!
//! ```
//! let json = r#"{"manifest_version":1,"fnkit_version":"0.1.0","functions":[
//!   {"name":"hello","trigger":{"type":"http","method":"GET","path":"/hello/{name}"},
//!    "timeout_secs":5,"memory_mb":128,"concurrency":null,"retries":2,
//!    "source":{"file":"src/main.rs","line":3,"module":"hello"}}]}"#;
//! let manifest: fnkit::manifest::Manifest = serde_json::from_str(json).unwrap();
//! assert_eq!(manifest.functions[0].name, "hello");
//! manifest.check().unwrap(); // the rules the macro applies
//! ```

/// A durable function's settings (its `durable` entry).
pub use fnkit_spec::durable::DurableConfig;
pub use fnkit_spec::manifest::*;
pub use fnkit_spec::schedule::ScheduleError;
