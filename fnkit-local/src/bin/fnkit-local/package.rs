//! `fnkit-local package`: build a release binary and write the files that deploy it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use fnkit_local::build::Target;

use crate::{function_env, EnvArgs};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum PlatformArg {
    /// AWS Lambda: a bootstrap.zip per function and a SAM template.yaml.
    Lambda,
    /// Knative: a Dockerfile, a Service and Triggers.
    Knative,
}

#[derive(Debug, Args)]
pub(crate) struct PackageArgs {
    /// Where to deploy.
    #[arg(long)]
    target: PlatformArg,
    /// Package an example (a package under examples/, or a cargo example target).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["package", "bin"])]
    example: Option<String>,
    /// Package a workspace package's binary.
    #[arg(long, short = 'p', value_name = "NAME", conflicts_with = "bin")]
    package: Option<String>,
    /// Package a binary built already.
    #[arg(long, value_name = "PATH")]
    bin: Option<PathBuf>,
    /// Where the files go (`<out>/lambda/...` or `<out>/knative/...`).
    #[arg(long, value_name = "DIR", default_value = "target/fnkit")]
    out: PathBuf,
    #[command(flatten)]
    env: EnvArgs,
}

pub(crate) fn package(args: PackageArgs) -> ExitCode {
    let target = match (args.example, args.package, args.bin) {
        (Some(e), _, _) => Target::Example(e),
        (_, Some(p), _) => Target::Package(p),
        (_, _, Some(b)) => Target::Bin(b),
        _ => {
            eprintln!("fnkit-local package: say what to package: --example NAME, --package NAME or --bin PATH");
            return ExitCode::from(2);
        }
    };
    let platform = match args.target {
        PlatformArg::Lambda => fnkit_local::package::Platform::Lambda,
        PlatformArg::Knative => fnkit_local::package::Platform::Knative,
    };
    if !fnkit_local::package::zigbuild_available() {
        eprintln!(
            "fnkit-local package: cargo-zigbuild is not installed, building with this machine's glibc; \
             the binary may not load on provided.al2023 (install it: `cargo install cargo-zigbuild` and `pip install ziglang`)"
        );
    }
    let env = match function_env(&args.env) {
        Ok(env) => env,
        Err(e) => {
            eprintln!("fnkit-local package: {e}");
            return ExitCode::from(2);
        }
    };
    match fnkit_local::package::package(platform, &[target], &args.out, &env) {
        Ok(p) => {
            let glibc = p
                .glibc
                .map(|(a, b)| format!("GLIBC_{a}.{b}"))
                .unwrap_or_else(|| "none".to_owned());
            println!(
                "fnkit-local: packaged for {:?} in {} (highest glibc symbol: {glibc}{})",
                args.target,
                p.dir.display(),
                if p.zigbuild {
                    ", linked by cargo-zigbuild against glibc 2.17"
                } else {
                    ""
                }
            );
            for f in &p.files {
                println!("  {}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("fnkit-local package: {e}");
            ExitCode::from(1)
        }
    }
}
