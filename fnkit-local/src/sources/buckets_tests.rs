use super::*;
use fnkit::manifest::StorageEvents;
use md5::{Digest, Md5};

#[test]
fn keys_that_would_escape_are_refused() {
    let root = Path::new("/b");
    assert_eq!(
        object_path(root, "uploads", "a/b.txt"),
        Ok(PathBuf::from("/b/uploads/a/b.txt"))
    );
    for bad in [
        "../x",
        "a/../../x",
        "/etc/passwd",
        "a//b",
        "./a",
        "a/.",
        "",
        "a/",
        ".fnkit-upload-1",
        "a/.fnkit-upload-1",
    ] {
        assert!(object_path(root, "uploads", bad).is_err(), "{bad}");
    }
    assert_eq!(object_path(root, "uploads", "a\0b"), Err(KeyError::Nul));
    assert!(object_path(root, "Up", "a").is_err());
    assert!(object_path(root, "..", "a").is_err());
}

#[test]
fn triggers_match_bucket_prefix_suffix_and_kind() {
    let t = Trigger::Storage {
        bucket: "uploads".into(),
        prefix: Some("images/".into()),
        suffix: Some(".png".into()),
        events: StorageEvents::Created,
    };
    let created = StorageChange::Created;
    assert!(matches(&t, "uploads", "images/a.png", created));
    assert!(!matches(&t, "uploads", "docs/a.png", created));
    assert!(!matches(&t, "uploads", "images/a.jpg", created));
    assert!(!matches(
        &t,
        "uploads",
        "images/a.png",
        StorageChange::Deleted
    ));
    assert!(!matches(&t, "other", "images/a.png", created));
}

#[test]
fn the_etag_is_the_md5_of_the_content_streamed() {
    let dir = std::env::temp_dir().join(format!("fnkit-etag-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.bin");
    // Larger than one read buffer, so the hash is fed in several pieces.
    let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &content).unwrap();
    let meta = meta_of(&dir, &path, None).unwrap().unwrap();
    assert_eq!(meta.size, 200_000);
    assert_eq!(meta.etag, format!("{:x}", Md5::digest(&content)));
    // Unchanged size and mtime: the known entry is returned without reading.
    let known = ObjectMeta {
        etag: "known".into(),
        ..meta.clone()
    };
    assert_eq!(
        meta_of(&dir, &path, Some(&known)).unwrap().unwrap().etag,
        "known"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(meta_of(&dir, &path, None).unwrap(), None);
}

#[test]
fn a_path_is_inside_its_bucket_only_when_every_link_on_it_stays_inside() {
    use std::os::unix::fs::symlink;
    let base = std::env::temp_dir().join(format!("fnkit-inside-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let (bucket, outside) = (base.join("bucket"), base.join("outside"));
    std::fs::create_dir_all(bucket.join("real")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret"), b"s").unwrap();
    symlink(&outside, bucket.join("out")).unwrap();
    symlink("real", bucket.join("alias")).unwrap();
    symlink("loop", bucket.join("loop")).unwrap();
    symlink("nowhere", bucket.join("dangling")).unwrap();
    assert!(
        inside(&bucket, &bucket.join("real/new/file")),
        "a new file in a real folder"
    );
    assert!(
        inside(&bucket, &bucket.join("alias/file")),
        "a link that stays inside"
    );
    assert!(
        inside(&bucket, &bucket.join("dangling")),
        "a dangling link is replaced or removed"
    );
    assert!(!inside(&bucket, &bucket.join("out/secret")), "a link out");
    assert!(
        !inside(&bucket, &bucket.join("out/new/file")),
        "a new file under a link out"
    );
    assert!(!inside(&bucket, &bucket.join("loop/file")), "a loop");
    std::fs::remove_dir_all(&base).unwrap();
}
