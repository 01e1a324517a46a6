//! Durable work: everything asynchronous the emulator accepts (Event invocations, queue
//! messages, storage and schedule events) is stored before it is acknowledged and delivered by a
//! loop per queue and per function. This module owns the one rule that joins the two: work is
//! committed to the [`store`] first, then its loop is woken ([`Work::push`]).

pub(crate) mod attributes;
pub(crate) mod delivery;
pub(crate) mod store;

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Notify;

use crate::db::DbError;
use store::{Kind, NewMessage, ObjectMeta, Store};

/// The store and the wakers of the delivery loops.
#[derive(Debug)]
pub(crate) struct Work {
    pub store: Store,
    wakers: HashMap<(Kind, String), Arc<Notify>>,
}

impl Work {
    /// A waker for each function's asynchronous invocations and for each queue in `queues`.
    pub fn new<'a>(
        store: Store,
        functions: impl IntoIterator<Item = &'a str>,
        queues: impl IntoIterator<Item = &'a str>,
    ) -> Work {
        let mut wakers = HashMap::new();
        for f in functions {
            wakers.insert((Kind::Async, f.to_owned()), Arc::default());
        }
        for q in queues {
            wakers.insert((Kind::Queue, q.to_owned()), Arc::default());
        }
        Work { store, wakers }
    }

    /// The waker of a queue's or a function's delivery loop.
    pub fn waker(&self, kind: Kind, target: &str) -> Arc<Notify> {
        self.wakers
            .get(&(kind, target.to_owned()))
            .cloned()
            .unwrap_or_default()
    }

    /// Tells a delivery loop that work is ready.
    pub fn wake(&self, kind: Kind, target: &str) {
        if let Some(w) = self.wakers.get(&(kind, target.to_owned())) {
            w.notify_one();
        }
    }

    fn wake_all(&self, targets: Vec<(Kind, String)>) {
        for (kind, target) in targets {
            self.wake(kind, &target);
        }
    }

    /// Stores `messages` in one transaction, then wakes their loops: durable before anyone is
    /// told, so a crash after this returns loses nothing.
    pub async fn push(&self, messages: Vec<NewMessage>) -> Result<(), DbError> {
        let targets = targets(&messages);
        self.store.enqueue(messages).await?;
        self.wake_all(targets);
        Ok(())
    }

    /// Records an object's change with the events it fires, then wakes their loops.
    pub async fn object_changed(
        &self,
        bucket: &str,
        key: &str,
        meta: Option<ObjectMeta>,
        events: Vec<NewMessage>,
    ) -> Result<(), DbError> {
        let targets = targets(&events);
        self.store.object_changed(bucket, key, meta, events).await?;
        self.wake_all(targets);
        Ok(())
    }

    /// Moves `<queue>-dlq` back to `queue` and wakes its loop; returns how many moved.
    pub async fn redrive_queue(&self, queue: &str) -> Result<usize, DbError> {
        let n = self
            .store
            .redrive_queue(&fnkit_spec::names::dead_letter_queue(queue), queue)
            .await?;
        self.wake(Kind::Queue, queue);
        Ok(n)
    }

    /// Makes the dead async invocations of `function` ready and wakes its loop.
    pub async fn redrive_async(&self, function: &str) -> Result<usize, DbError> {
        let n = self.store.redrive_async(function).await?;
        self.wake(Kind::Async, function);
        Ok(n)
    }
}

/// The loops that `messages` go to.
fn targets(messages: &[NewMessage]) -> Vec<(Kind, String)> {
    messages
        .iter()
        .map(|m| (m.kind, m.target.clone()))
        .collect()
}
