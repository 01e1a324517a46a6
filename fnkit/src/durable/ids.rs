//! Operation ids. Every durable operation gets an id from its position in the handler's code
//! path: the n-th operation of a context is `n` at the top level and `<parent path>-n` inside a
//! child context (counted from 1), and the id on the wire is the SHA-256 of that path in hex, as
//! the official Rust SDK computes it (`engine.rs`, `compute_wire_id`). The same code path gives
//! the same ids on every replay; a different one is caught by comparing each operation with its
//! record (its type, sub-type, name and parent).

use sha2::{Digest, Sha256};

/// The ids of one context's operations, in the order the handler starts them.
#[derive(Debug, Clone)]
pub struct OperationIds {
    prefix: Option<String>,
    next: u64,
}

/// An operation's place in the code path and its id on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationId {
    /// The positional path, e.g. `2-1-3`.
    pub path: String,
    /// The id checkpoints carry: SHA-256 of the path, 64 hex characters.
    pub wire: String,
}

impl OperationIds {
    /// The ids of the handler's top-level operations.
    pub fn root() -> OperationIds {
        OperationIds {
            prefix: None,
            next: 1,
        }
    }

    /// The ids of the operations inside the child context (or map item) at `parent`.
    pub fn child(parent: &OperationId) -> OperationIds {
        OperationIds {
            prefix: Some(parent.path.clone()),
            next: 1,
        }
    }

    /// The next operation's id.
    pub fn next_id(&mut self) -> OperationId {
        let id = self.peek();
        self.next += 1;
        id
    }

    /// The id the next operation will get, without giving it out.
    pub fn peek(&self) -> OperationId {
        self.at(self.next)
    }

    /// The id of this context's `n`-th operation (from 1), whatever the counter says: a batch
    /// gives its branch `i` the id at `i + 1` from the index, not from the order branches start.
    pub fn at(&self, n: u64) -> OperationId {
        let path = match &self.prefix {
            Some(prefix) => format!("{prefix}-{n}"),
            None => n.to_string(),
        };
        OperationId {
            wire: wire_id(&path),
            path,
        }
    }
}

/// The wire id of a positional path.
pub fn wire_id(path: &str) -> String {
    let digest = Sha256::digest(path.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_code_path_and_hash_it() {
        let mut root = OperationIds::root();
        let first = root.next_id();
        let second = root.next_id();
        assert_eq!((first.path.as_str(), second.path.as_str()), ("1", "2"));
        // SHA-256("1"), as `printf 1 | sha256sum` gives it.
        assert_eq!(
            first.wire,
            "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
        );
        let mut inner = OperationIds::child(&second);
        assert_eq!(inner.peek(), inner.peek(), "peeking gives nothing out");
        assert_eq!(inner.next_id().path, "2-1");
        let deeper = inner.next_id();
        assert_eq!(deeper.path, "2-2");
        assert_eq!(OperationIds::child(&deeper).next_id().path, "2-2-1");
        assert_eq!(
            inner.at(7).path,
            "2-7",
            "by position, the counter untouched"
        );
        assert_eq!(inner.next_id().path, "2-3");
        // Within the API's id rule: [a-zA-Z0-9-_]{1,64}.
        assert!(fnkit_spec::durable::is_operation_id(&deeper.wire));
    }

    #[test]
    fn a_replay_gives_the_same_ids() {
        let run = || {
            let mut ids = OperationIds::root();
            let a = ids.next_id();
            let mut child = OperationIds::child(&a);
            vec![a.wire.clone(), child.next_id().wire, ids.next_id().wire]
        };
        assert_eq!(run(), run());
    }
}
