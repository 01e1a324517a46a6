//! The benchmark's subject: a no-op HTTP function. `noop` serves it through fnkit (under the
//! emulator or on Lambda); `bare` serves the same handler from a bare hyper server in-process,
//! the ceiling to compare with. See docs/performance.md and scripts/bench.sh.

use fnkit::prelude::*;

/// Answers `ok`.
#[function(trigger = http(method = "GET", path = "/noop"))]
pub async fn noop(_req: HttpRequest) -> &'static str {
    "ok"
}
