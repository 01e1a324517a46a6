use super::*;
use fnkit::manifest::StorageEvents;

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
    let meta = meta_of(&path, None).unwrap().unwrap();
    assert_eq!(meta.size, 200_000);
    assert_eq!(meta.etag, format!("{:x}", Md5::digest(&content)));
    // Unchanged size and mtime: the known entry is returned without reading.
    let known = ObjectMeta {
        etag: "known".into(),
        ..meta.clone()
    };
    assert_eq!(meta_of(&path, Some(&known)).unwrap().unwrap().etag, "known");
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(meta_of(&path, None).unwrap(), None);
}
