//! The no-op function as an fnkit binary.

// Link the library so its #[function] registers.
use fnkit_bench as _;

fn main() {
    fnkit::run()
}
