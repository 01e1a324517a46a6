//! Compile-time behaviour of `#[function]`: every mistake in `ui/` must fail with the reviewed
//! message under the offending tokens (`ui/*.stderr`), and everything in `pass/` must compile and
//! run. `ui-durable/` and `pass-durable/` do the same for durable functions, with the `durable`
//! feature (on in the workspace's test run: the tests crate enables it). Regenerate the `.stderr`
//! files with `TRYBUILD=overwrite cargo test -p fnkit --features durable --test ui` and review
//! them as a diff. (Without the feature, rustc's own error names it: checked by hand, as the
//! workspace's test run always has the feature on.)

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/pass/*.rs");
    if cfg!(feature = "durable") {
        t.compile_fail("tests/ui-durable/*.rs");
        t.pass("tests/pass-durable/*.rs");
    } else {
        eprintln!("ui-durable/ and pass-durable/ skipped: run with --features durable");
    }
}
