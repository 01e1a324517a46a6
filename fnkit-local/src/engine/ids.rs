//! Identifiers and chance: Lambda-style request ids (random UUID v4), the clock in Unix epoch
//! milliseconds, and a uniform random number for `--reuse random:P`.

use std::time::{SystemTime, UNIX_EPOCH};

pub(super) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as i64
}

/// A request id as Lambda's: a random UUID v4.
pub(crate) fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A uniform random number in [0, 1), for `--reuse random:P`: the 53 low bits of a UUID v4's
/// second half, all of them random (the version and variant bits sit above them).
pub(super) fn random() -> f64 {
    let (_, low) = uuid::Uuid::new_v4().as_u64_pair();
    (low & ((1 << 53) - 1)) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_random_uuid_v4() {
        let a = new_request_id();
        let parsed = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_ne!(a, new_request_id());
        // The old generator repeated one group in every id; a random one does not.
        let ids: Vec<String> = (0..64).map(|_| new_request_id()).collect();
        let fourth: std::collections::HashSet<&str> =
            ids.iter().map(|id| id.split('-').nth(3).unwrap()).collect();
        assert!(fourth.len() > 32, "{fourth:?}");
    }

    #[test]
    fn random_is_in_the_unit_interval() {
        let samples: Vec<f64> = (0..1000).map(|_| random()).collect();
        assert!(samples.iter().all(|x| (0.0..1.0).contains(x)));
        assert!(samples.iter().any(|&x| x < 0.25) && samples.iter().any(|&x| x > 0.75));
    }
}
