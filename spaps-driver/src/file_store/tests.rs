use super::*;
use spaps_proto::Timestamp;
use std::collections::HashSet;
use std::sync::{mpsc, Arc, Barrier};

fn tokens() -> Tokens {
    Tokens::new("at_file")
        .with_refresh_token("rt_file")
        .with_expires_at(Timestamp::from_unix_seconds(2_000_000_000).unwrap())
}

fn numbered(thread: usize, n: usize) -> Tokens {
    Tokens::new(format!("at_{thread}_{n}"))
        .with_refresh_token(format!("rt_{thread}_{n}"))
        .with_expires_at(Timestamp::from_unix_seconds(2_000_000_000).unwrap())
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Runs `f` on its own thread; a hang fails the test instead of freezing it.
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("did not finish within {limit:?}"))
}

fn load_error(path: PathBuf) -> String {
    let started = Instant::now();
    let result = within(Duration::from_secs(5), move || {
        FileTokenStore::new(path).load()
    });
    assert!(started.elapsed() < Duration::from_secs(2));
    match result {
        Err(Error::TokenStore(e)) => e.to_string(),
        other => panic!("expected a token store error, got {other:?}"),
    }
}

#[test]
fn round_trip_with_owner_only_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileTokenStore::new(dir.path().join("nested").join("tokens.json"));
    assert_eq!(store.load().unwrap(), None);
    store.save(&tokens()).unwrap();
    assert_eq!(store.load().unwrap(), Some(tokens()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(store.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let mode = fs::metadata(dir.path().join("nested"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the new directory is private");
    }
    let text = fs::read_to_string(store.path()).unwrap();
    for key in ["access_token", "refresh_token", "expires_at", "token_type"] {
        assert!(text.contains(key), "{key}");
    }
    store.clear().unwrap();
    store.clear().unwrap();
    assert_eq!(store.load().unwrap(), None);
}

#[test]
fn corrupt_file_is_an_error_that_hides_the_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    fs::write(
        &path,
        b"{\"access_token\": \"at_secret_value\", \"expires_at\": 5",
    )
    .unwrap();
    let err = FileTokenStore::new(&path).load().unwrap_err();
    assert!(matches!(err, Error::TokenStore(_)));
    assert!(!err.to_string().contains("at_secret_value"));
}

#[test]
fn replace_leaves_no_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileTokenStore::new(dir.path().join("t.json"));
    for _ in 0..3 {
        store.save(&tokens()).unwrap();
    }
    assert_eq!(names(dir.path()), ["t.json"]);
}

#[test]
fn debug_shows_no_tokens_and_builder_sets_the_timeout() {
    let store = FileTokenStore::new("/x/t.json").with_lock_timeout(Duration::from_millis(7));
    assert_eq!(store.lock_timeout(), Duration::from_millis(7));
    assert_eq!(store.lock_path(), Path::new("/x/t.json.lock"));
    assert!(store.coordinates_refresh());
    assert_eq!(
        FileTokenStore::new("t.json").lock_timeout(),
        FileTokenStore::DEFAULT_LOCK_TIMEOUT
    );
    assert_eq!(
        FileTokenStore::new("t.json").lock_path(),
        Path::new("./t.json.lock")
    );
}

#[test]
fn concurrent_saves_and_loads_never_fail_tear_or_leak() {
    const WRITERS: usize = 16;
    const SAVES: usize = 100;
    const READERS: usize = 4;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let seed = numbered(usize::MAX, 0);
    FileTokenStore::new(&path).save(&seed).unwrap();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let start = Arc::new(Barrier::new(WRITERS + READERS));
    let writers: Vec<_> = (0..WRITERS)
        .map(|t| {
            let store = FileTokenStore::new(&path);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                for n in 0..SAVES {
                    store.save(&numbered(t, n)).unwrap();
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let store = FileTokenStore::new(&path);
            let start = Arc::clone(&start);
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                start.wait();
                let mut loads = 0usize;
                while !done.load(Ordering::SeqCst) {
                    let got = store.load().unwrap().expect("the file always exists");
                    let access = got.access_token.expose().to_owned();
                    let refresh = got.refresh_token.as_ref().unwrap().expose().to_owned();
                    let suffix = access.strip_prefix("at_").expect("a written value");
                    assert_eq!(refresh, format!("rt_{suffix}"), "torn read");
                    let (t, n) = suffix.split_once('_').unwrap();
                    let n: usize = n.parse().unwrap();
                    if t.parse::<usize>().unwrap() == usize::MAX {
                        assert_eq!(n, 0);
                    } else {
                        assert!(t.parse::<usize>().unwrap() < WRITERS && n < SAVES);
                    }
                    assert_eq!(got, numbered(t.parse().unwrap(), n), "torn read");
                    loads += 1;
                }
                loads
            })
        })
        .collect();
    for w in writers {
        w.join().expect("every save succeeds");
    }
    done.store(true, Ordering::SeqCst);
    let loads: usize = readers
        .into_iter()
        .map(|r| r.join().expect("every load succeeds and decodes"))
        .sum();
    assert!(loads > 0);
    // Each thread's own saves are ordered, so the file holds the last save of one of
    // the threads, never an earlier one.
    let last: HashSet<_> = (0..WRITERS)
        .map(|t| numbered(t, SAVES - 1).access_token.expose().to_owned())
        .collect();
    let store = FileTokenStore::new(&path);
    let final_tokens = store.load().unwrap().unwrap();
    assert!(last.contains(final_tokens.access_token.expose()));
    store.save(&numbered(0, SAVES)).unwrap();
    assert_eq!(store.load().unwrap(), Some(numbered(0, SAVES)));
    assert_eq!(names(dir.path()), ["tokens.json"]);
}

#[cfg(unix)]
#[test]
fn planted_links_and_files_at_temporary_names_are_never_written_through() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let victim_dir = tempfile::tempdir().unwrap();
    let victim = victim_dir.path().join("victim");
    fs::write(&victim, b"untouched").unwrap();
    let path = dir.path().join("t.json");
    let pid = std::process::id();
    // The names of earlier versions, and the next names this process will use.
    let mut planted = vec![format!(".t.json.{pid}.tmp")];
    let next = TEMP_SEQ.load(Ordering::SeqCst);
    for seq in next..next + 32 {
        planted.push(temporary_name("t.json", pid, seq, process_nonce()));
    }
    for (i, name) in planted.iter().enumerate() {
        if i % 2 == 0 {
            symlink(&victim, dir.path().join(name)).unwrap();
        } else {
            fs::write(dir.path().join(name), b"planted").unwrap();
        }
    }
    // A dangling link too: O_CREAT without O_EXCL would create its target.
    let dangling = victim_dir.path().join("created");
    symlink(
        &dangling,
        dir.path()
            .join(temporary_name("t.json", pid, next + 32, process_nonce())),
    )
    .unwrap();
    let store = FileTokenStore::new(&path);
    for _ in 0..40 {
        store.save(&tokens()).unwrap();
    }
    assert_eq!(store.load().unwrap(), Some(tokens()));
    assert_eq!(fs::read(&victim).unwrap(), b"untouched");
    assert!(!dangling.exists());
    for (i, name) in planted.iter().enumerate() {
        let p = dir.path().join(name);
        if i % 2 == 0 {
            assert!(fs::symlink_metadata(&p).unwrap().file_type().is_symlink());
        } else {
            assert_eq!(fs::read(&p).unwrap(), b"planted");
        }
    }
    assert_eq!(names(victim_dir.path()), ["victim"]);
}

#[cfg(unix)]
#[test]
fn a_link_at_the_token_path_is_read_through_and_replaced_on_save() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.json");
    FileTokenStore::new(&real).save(&tokens()).unwrap();
    let link = dir.path().join("link.json");
    symlink(&real, &link).unwrap();
    let store = FileTokenStore::new(&link);
    assert_eq!(store.load().unwrap(), Some(tokens()));
    store.save(&numbered(1, 1)).unwrap();
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_file());
    assert_eq!(FileTokenStore::new(&real).load().unwrap(), Some(tokens()));
}

#[cfg(unix)]
#[test]
fn a_fifo_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    match std::process::Command::new("mkfifo").arg(&path).status() {
        Ok(status) if status.success() => {}
        other => {
            eprintln!("SKIPPED a_fifo_is_an_error_not_a_hang: mkfifo unavailable ({other:?})");
            return;
        }
    }
    let message = load_error(path.clone());
    assert!(message.contains("FIFO"), "{message}");
    // A link to it as well.
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    assert!(load_error(link).contains("FIFO"));
}

#[cfg(unix)]
#[test]
fn a_device_is_an_error_not_an_endless_read() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("tokens.json");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let message = load_error(link);
    assert!(message.contains("device"), "{message}");
}

#[test]
fn a_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    fs::create_dir(&path).unwrap();
    let message = load_error(path);
    assert!(message.contains("directory"), "{message}");
}

#[test]
fn an_oversized_file_is_an_error_and_one_at_the_limit_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let big = vec![b' '; FileTokenStore::MAX_FILE_BYTES as usize + 1];
    fs::write(&path, &big).unwrap();
    assert!(load_error(path.clone()).contains("limit"));
    // At the limit: read, then rejected only as not being a token record.
    let mut record = encode_token_file(&tokens());
    record.resize(FileTokenStore::MAX_FILE_BYTES as usize, b' ');
    fs::write(&path, &record).unwrap();
    assert_eq!(FileTokenStore::new(&path).load().unwrap(), Some(tokens()));
    // Tokens too large to read back are not written.
    let huge = Tokens::new("a".repeat(FileTokenStore::MAX_FILE_BYTES as usize));
    assert!(matches!(
        FileTokenStore::new(&path).save(&huge),
        Err(Error::TokenStore(_))
    ));
    assert_eq!(FileTokenStore::new(&path).load().unwrap(), Some(tokens()));
}

fn plant(dir: &Path, name: &str, age: Duration) -> PathBuf {
    let path = dir.join(name);
    let file = File::create(&path).unwrap();
    file.set_modified(SystemTime::now() - age).unwrap();
    path
}

#[test]
fn stale_temporary_files_are_swept() {
    let dir = tempfile::tempdir().unwrap();
    let pid = std::process::id();
    let nonce = process_nonce();
    let old = plant(
        dir.path(),
        &temporary_name("t.json", pid, 1, nonce),
        Duration::from_secs(120),
    );
    let legacy = plant(dir.path(), ".t.json.77.tmp", Duration::from_secs(120));
    // A fresh one of a live process (this one) is a save in progress.
    let live = plant(
        dir.path(),
        &temporary_name("t.json", pid, 2, nonce),
        Duration::ZERO,
    );
    // Other files are left alone, however old.
    let other = plant(dir.path(), ".t.json.notes.tmp", Duration::from_secs(120));
    let unrelated = plant(
        dir.path(),
        &temporary_name("u.json", 1, 1, 1),
        Duration::from_secs(120),
    );
    let store = FileTokenStore::new(dir.path().join("t.json"));
    assert_eq!(store.load().unwrap(), None);
    assert!(!old.exists() && !legacy.exists());
    assert!(live.exists() && other.exists() && unrelated.exists());
    #[cfg(target_os = "linux")]
    {
        // No process has this id (pid_max is at most 2^22), so once past the grace
        // its file goes at once.
        let dead = plant(
            dir.path(),
            &temporary_name("t.json", u32::MAX - 1, 3, 9),
            DEAD_GRACE + Duration::from_secs(1),
        );
        let young = plant(
            dir.path(),
            &temporary_name("t.json", u32::MAX - 1, 4, 9),
            Duration::ZERO,
        );
        store.save(&tokens()).unwrap();
        assert!(!dead.exists());
        assert!(young.exists());
    }
    store.clear().unwrap();
    assert!(live.exists());
}

#[test]
fn a_second_lock_waits_for_the_first_guard() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileTokenStore::new(dir.path().join("t.json"));
    let first = store.lock_refresh().unwrap();
    let (tx, rx) = mpsc::channel();
    let other = store.clone();
    let waiter = std::thread::spawn(move || {
        let guard = other.lock_refresh().unwrap();
        tx.send(Instant::now()).unwrap();
        drop(guard);
    });
    assert!(
        rx.recv_timeout(Duration::from_millis(300)).is_err(),
        "the second lock was taken while the first was held"
    );
    let released = Instant::now();
    drop(first);
    let taken = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(taken >= released);
    waiter.join().unwrap();
    // The lock file stays, private.
    assert!(store.lock_path().exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(store.lock_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_lock_held_too_long_times_out_with_a_token_store_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.json");
    let held = FileTokenStore::new(&path).lock_refresh().unwrap();
    let short = FileTokenStore::new(&path).with_lock_timeout(Duration::from_millis(150));
    let started = Instant::now();
    let err = within(Duration::from_secs(10), move || short.lock_refresh())
        .expect_err("the lock is held");
    let waited = started.elapsed();
    assert!(matches!(err, Error::TokenStore(_)), "{err:?}");
    assert!(waited >= Duration::from_millis(150), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    let zero = FileTokenStore::new(&path).with_lock_timeout(Duration::ZERO);
    assert!(zero.lock_refresh().is_err());
    drop(held);
    let _again = zero.lock_refresh().expect("free once released");
}

#[cfg(unix)]
#[test]
fn a_planted_lock_link_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    fs::write(&victim, b"untouched").unwrap();
    let store = FileTokenStore::new(dir.path().join("t.json"));
    std::os::unix::fs::symlink(&victim, store.lock_path()).unwrap();
    assert!(matches!(store.lock_refresh(), Err(Error::TokenStore(_))));
    assert_eq!(fs::read(&victim).unwrap(), b"untouched");
}

const LOCK_CHILD_ENV: &str = "SPAPS_FILE_STORE_LOCK_CHILD";
const LOCK_TEST: &str = "file_store::tests::the_refresh_lock_excludes_other_processes";
const CHILDREN: usize = 4;
const ROUNDS: usize = 3;

fn nanos_now() -> u128 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// The children take the lock in turn and print when they held it; the spans of all
/// the processes must not overlap.
#[test]
fn the_refresh_lock_excludes_other_processes() {
    if let Some(path) = std::env::var_os(LOCK_CHILD_ENV) {
        let store = FileTokenStore::new(PathBuf::from(path));
        for _ in 0..ROUNDS {
            let guard = store.lock_refresh().unwrap();
            let enter = nanos_now();
            std::thread::sleep(Duration::from_millis(30));
            let exit = nanos_now();
            drop(guard);
            println!("LOCK-SPAN {enter} {exit}");
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.json");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..CHILDREN)
        .map(|_| {
            std::process::Command::new(&exe)
                .args(["--exact", LOCK_TEST, "--nocapture", "--test-threads=1"])
                .env(LOCK_CHILD_ENV, &path)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut spans = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "child failed: {stdout}");
        let mine: Vec<(u128, u128)> = stdout
            .lines()
            // libtest may print "test NAME ... " on the same line first.
            .filter_map(|l| l.split_once("LOCK-SPAN ").map(|(_, span)| span))
            .map(|l| {
                let (a, b) = l.split_once(' ').unwrap();
                (a.parse().unwrap(), b.parse().unwrap())
            })
            .collect();
        assert_eq!(mine.len(), ROUNDS, "the child ran the test: {stdout}");
        spans.extend(mine);
    }
    spans.sort();
    for pair in spans.windows(2) {
        assert!(
            pair[0].1 <= pair[1].0,
            "two processes held the lock at once: {pair:?}"
        );
    }
}
