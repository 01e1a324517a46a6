//! What a rebuild depends on, as cargo itself decides: the dep-info file cargo writes beside
//! each binary (`target/debug/hello.d`) lists every source file the compiler read, path
//! dependencies and `include_str!`s included; the manifests (`Cargo.toml`) above them and the
//! `Cargo.lock` beside the topmost one are added. Files of the registry (`$CARGO_HOME`) and of
//! the target folder never change under the user, so they are left out.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The files whose change calls for a rebuild of `binaries`.
pub(crate) fn of(binaries: &[PathBuf]) -> BTreeSet<PathBuf> {
    of_with(binaries, &cargo_home())
}

fn of_with(binaries: &[PathBuf], cargo_home: &Option<PathBuf>) -> BTreeSet<PathBuf> {
    let mut files = BTreeSet::new();
    for bin in binaries {
        let dep_info = PathBuf::from(format!("{}.d", bin.display()));
        let Ok(text) = std::fs::read_to_string(&dep_info) else {
            continue;
        };
        let target = target_dir(bin);
        for file in parse(&text) {
            let outside =
                |root: &Option<PathBuf>| root.as_ref().is_some_and(|r| file.starts_with(r));
            if !outside(cargo_home) && !outside(&target) {
                files.insert(file);
            }
        }
    }
    let manifests = manifests_above(&files, cargo_home);
    files.extend(manifests);
    files
}

/// The folders to watch for `files` (each file's own folder: a save that replaces a file by a
/// rename is seen there).
pub(crate) fn folders(files: &BTreeSet<PathBuf>) -> BTreeSet<PathBuf> {
    files
        .iter()
        .filter_map(|f| f.parent())
        .filter(|d| d.is_dir())
        .map(Path::to_owned)
        .collect()
}

/// The prerequisites of the first rule of a Makefile-style dep-info file (`target: a.rs b.rs`,
/// spaces in names escaped as `\ `).
fn parse(text: &str) -> Vec<PathBuf> {
    let Some(first) = text.lines().find(|l| !l.trim().is_empty()) else {
        return Vec::new();
    };
    // The target ends at the first unescaped `: ` (a Windows drive's colon has no space after).
    let Some(colon) = first.find(": ") else {
        return Vec::new();
    };
    let mut files = Vec::new();
    let mut current = String::new();
    let mut chars = first[colon + 2..].chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => current.extend(chars.next()),
            ' ' => {
                if !current.is_empty() {
                    files.push(PathBuf::from(std::mem::take(&mut current)));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        files.push(PathBuf::from(current));
    }
    files
}

/// Every `Cargo.toml` in a folder above one of `files`, and the `Cargo.lock` beside the topmost.
fn manifests_above(files: &BTreeSet<PathBuf>, cargo_home: &Option<PathBuf>) -> Vec<PathBuf> {
    let mut found = BTreeSet::new();
    for file in files {
        let mut topmost = None;
        for dir in file.ancestors().skip(1) {
            if cargo_home.as_ref().is_some_and(|h| dir.starts_with(h)) {
                break;
            }
            let manifest = dir.join("Cargo.toml");
            if manifest.is_file() {
                found.insert(manifest);
                topmost = Some(dir.to_owned());
            }
        }
        if let Some(lock) = topmost
            .map(|d| d.join("Cargo.lock"))
            .filter(|l| l.is_file())
        {
            found.insert(lock);
        }
    }
    found.into_iter().collect()
}

fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
}

/// The target folder a binary was built in: the nearest folder above it that cargo tagged
/// (`CACHEDIR.TAG`).
fn target_dir(bin: &Path) -> Option<PathBuf> {
    bin.ancestors()
        .skip(1)
        .find(|d| d.join("CACHEDIR.TAG").is_file())
        .map(Path::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_rule_lists_the_sources_with_escaped_spaces() {
        let text = "/w/target/debug/hello: /w/src/main.rs /w/src/my\\ file.rs /w/lib/src/lib.rs\n\n/w/src/main.rs:\n";
        assert_eq!(
            parse(text),
            ["/w/src/main.rs", "/w/src/my file.rs", "/w/lib/src/lib.rs"].map(PathBuf::from)
        );
        assert!(parse("").is_empty());
    }

    #[test]
    fn a_binary_depends_on_its_sources_and_manifests_not_the_registry_or_the_target() {
        let root = std::env::temp_dir().join(format!("fnkit-inputs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let ws = root.join("ws");
        for dir in [
            "app/src",
            "target/debug/build/x/out",
            "home/registry/src/serde",
        ] {
            std::fs::create_dir_all(ws.join(dir)).unwrap();
        }
        for file in [
            "Cargo.toml",
            "Cargo.lock",
            "app/Cargo.toml",
            "app/src/main.rs",
            "target/CACHEDIR.TAG",
        ] {
            std::fs::write(ws.join(file), "").unwrap();
        }
        let bin = ws.join("target/debug/app");
        let dep_info = format!(
            "{}: {} {} {}\n",
            bin.display(),
            ws.join("app/src/main.rs").display(),
            ws.join("target/debug/build/x/out/gen.rs").display(),
            ws.join("home/registry/src/serde/lib.rs").display(),
        );
        std::fs::write(ws.join("target/debug/app.d"), dep_info).unwrap();
        let files = of_with(&[bin], &Some(ws.join("home")));
        let expected: BTreeSet<PathBuf> = [
            "app/src/main.rs",
            "app/Cargo.toml",
            "Cargo.toml",
            "Cargo.lock",
        ]
        .iter()
        .map(|f| ws.join(f))
        .collect();
        assert_eq!(files, expected);
        let watched: Vec<PathBuf> = folders(&files).into_iter().collect();
        assert_eq!(watched, [ws.clone(), ws.join("app"), ws.join("app/src")]);
        let _ = std::fs::remove_dir_all(&root);
    }
}
