//! Where events come from besides callers: buckets (uploads and files written into their
//! folders, reconciled with the bucket index) and clocks (schedules). Each turns what happened
//! into stored work (`work::Work::push`), so an event is never lost between being noticed and
//! being delivered. `files.rs` is the buckets' file side (links, walks, stats, MD5s; blocking).

pub(crate) mod buckets;
mod files;
pub(crate) mod schedule;
pub(crate) mod watcher;
