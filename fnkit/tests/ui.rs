//! Compile-time behaviour of `#[function]`: every mistake in `ui/` must fail with the reviewed
//! message under the offending tokens (`ui/*.stderr`), and everything in `pass/` must compile and
//! run. `ui-durable/` and `pass-durable/` do the same for durable functions, with the `durable`
//! feature (on in the workspace's test run: the tests crate enables it). Regenerate the `.stderr`
//! files with `TRYBUILD=overwrite cargo test -p fnkit --test ui` and review them as a diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/pass/*.rs");
    if cfg!(feature = "durable") {
        t.compile_fail("tests/ui-durable/*.rs");
        t.pass("tests/pass-durable/*.rs");
    }
}
