//! The durable execution service: Lambda durable functions run by the emulator as AWS runs them.
//! An Invoke of a durable function starts an execution; the service invokes the handler with the
//! execution's state (the envelope), takes its checkpoints, and invokes it again whenever
//! something it waits for happens (a wait ends, a retry is due, a failed invocation is retried),
//! one invocation at a time, until it answers SUCCEEDED or FAILED or runs out of time. All of it
//! is in SQLite, so executions survive a crash of the emulator and resume after a restart.
//!
//! What a checkpoint, a callback or the clock does to an execution is the engine's
//! (`fnkit_spec::durable::engine`: pure functions, shared with `fnkit::testing::durable`); this
//! module keeps executions in SQLite and runs them.
//!
//! | file | owns |
//! |---|---|
//! | `chained.rs` | chained invokes' targets run: a durable target's execution invoked, a plain one invoked once; reconciling at start-up |
//! | `store.rs` | the SQLite tables, one transaction per change |
//! | `service.rs` | this handle's work: invoking through the engine, the scheduler, recovery |
//!
//! The HTTP routes (`/2025-12-01/...`) are `http/durable_api.rs`.

mod chained;
mod service;
mod store;

use std::sync::Arc;

use tokio::sync::{watch, Notify};

use crate::db::DbError;
use crate::engine::Engine;
use fnkit_spec::durable::engine::chained as engine_chained;
pub(crate) use fnkit_spec::durable::engine::model::{Completion, Exec};
pub(crate) use service::describe;
pub(crate) use store::{DurableStore, ListFilter};

/// A refused call of the durable execution API, with the model's error type.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// `InvalidParameterValueException` (400).
    #[error("{0}")]
    Invalid(String),
    /// `ResourceNotFoundException` (404).
    #[error("{0}")]
    NotFound(String),
    /// `CallbackTimeoutException` (400).
    #[error("{0}")]
    CallbackTimeout(String),
    /// `DurableExecutionAlreadyStartedException` (409).
    #[error("{0}")]
    AlreadyStarted(String),
    /// The database failed (`ServiceException`, 500).
    #[error(transparent)]
    Db(#[from] DbError),
}

impl ApiError {
    /// The HTTP status and the error type Lambda answers with.
    pub fn status_and_type(&self) -> (http::StatusCode, &'static str) {
        use http::StatusCode as C;
        match self {
            ApiError::Invalid(_) => (C::BAD_REQUEST, "InvalidParameterValueException"),
            ApiError::NotFound(_) => (C::NOT_FOUND, "ResourceNotFoundException"),
            ApiError::CallbackTimeout(_) => (C::BAD_REQUEST, "CallbackTimeoutException"),
            ApiError::AlreadyStarted(_) => (C::CONFLICT, "DurableExecutionAlreadyStartedException"),
            ApiError::Db(_) => (C::INTERNAL_SERVER_ERROR, "ServiceException"),
        }
    }
}

/// The service: its store, the engine it invokes handlers through, and its wake-ups.
#[derive(Debug)]
pub(crate) struct Durable {
    store: DurableStore,
    engine: Arc<Engine>,
    /// Wakes the scheduler: something may be due earlier than it sleeps for.
    wake: Notify,
    /// Bumped whenever an execution ends; synchronous callers wait on it.
    closed: watch::Sender<u64>,
}

impl Durable {
    /// The service over `store`, invoking through `engine`.
    pub fn new(store: DurableStore, engine: Arc<Engine>) -> Arc<Durable> {
        Arc::new(Durable {
            store,
            engine,
            wake: Notify::new(),
            closed: watch::Sender::new(0),
        })
    }

    /// What chained invokes can target now: each function with the version it serves (which a
    /// rebuild under `--watch` moves on).
    pub(crate) fn targets(&self) -> engine_chained::Targets {
        let functions = self.engine.functions.iter().map(|(name, f)| {
            let target = engine_chained::Target {
                durable: f.spec.durable,
                version: f.version(),
                any_qualifier: false,
            };
            (name.clone(), target)
        });
        engine_chained::Targets {
            functions: functions.collect(),
            region: self.engine.config.region.clone(),
            account: service::ACCOUNT.to_owned(),
        }
    }
}
