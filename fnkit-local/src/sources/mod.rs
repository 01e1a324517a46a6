//! Where events come from besides callers: buckets (uploads and files written into their
//! folders, reconciled with the bucket index) and clocks (schedules). Each turns what happened
//! into stored work (`work::Work::push`), so an event is never lost between being noticed and
//! being delivered.

pub(crate) mod buckets;
pub(crate) mod schedule;
pub(crate) mod watcher;
