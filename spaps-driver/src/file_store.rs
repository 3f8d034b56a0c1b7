//! [`FileTokenStore`]: tokens persisted to a JSON file.
//!
//! Shared, as one source file, by `spaps-blocking` and `spaps-tokio`: it uses only
//! `std`, so it compiles unchanged in both.

use std::collections::hash_map::RandomState;
use std::fs::{self, File};
use std::hash::BuildHasher;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use spaps_proto::tokens::{decode_token_file, encode_token_file};
use spaps_proto::{Error, RefreshLock, StoreError, TokenStore, Tokens};

/// Tokens in a JSON file (`access_token`, `refresh_token`, `expires_at`,
/// `token_type`), readable only by the owner (mode 0600 on Unix), that several
/// threads and processes may share.
///
/// # Writing
/// A save writes a fresh temporary file in the same directory, syncs it and renames it
/// over the token file, so a reader (in this process or another) sees either the old
/// tokens or the new ones, never a mix. Every temporary file has its own name (process
/// id, a counter and a per-process random number) and is created exclusively (`O_EXCL`,
/// mode 0600): it never follows a symlink or reuses a file someone planted at that name.
/// A failed save removes its temporary file. Temporary files left by a process that was
/// killed mid-save hold tokens, so every [`load`](TokenStore::load),
/// [`save`](TokenStore::save) and [`clear`](TokenStore::clear) removes the stale ones it
/// finds beside the token file: those older than a minute, or (on Linux) older than a
/// few seconds whose process is gone. A missing directory is created (mode 0700 on
/// Unix).
///
/// A save replaces whatever is at the path, a symlink included: it never writes through
/// a link. [`clear`](TokenStore::clear) removes the file (or the link).
///
/// # Reading
/// A missing file means no tokens. The file must be a regular file (a symlink to one is
/// followed) of at most [`FileTokenStore::MAX_FILE_BYTES`]; a directory, a FIFO, a
/// device, an oversized or a corrupt file is an [`Error::TokenStore`], reported at once,
/// never a hang, a panic or silently ignored.
///
/// # Refreshing
/// The store is meant to be shared, so it [coordinates
/// refreshes](TokenStore::coordinates_refresh): [`lock_refresh`](TokenStore::lock_refresh)
/// takes an exclusive advisory lock (`flock` on Unix, `LockFileEx` on Windows) on a lock
/// file beside the token file, [`FileTokenStore::lock_path`]. The lock is held until the
/// returned guard is dropped, and the operating system releases it when the holder dies.
/// The lock file is created (mode 0600) on first use and never removed: deleting it
/// while another process holds or waits for it would let two processes refresh at once.
/// Every process sharing the tokens must name the token file by the same path.
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    path: PathBuf,
    lock_timeout: Duration,
}

impl FileTokenStore {
    /// The largest token file [`load`](TokenStore::load) accepts, and
    /// [`save`](TokenStore::save) writes: 64 KiB, far more than any real tokens need.
    pub const MAX_FILE_BYTES: u64 = 64 * 1024;

    /// How long [`lock_refresh`](TokenStore::lock_refresh) waits for the refresh lock
    /// unless [`FileTokenStore::with_lock_timeout`] says otherwise: 30 seconds.
    pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

    /// A store at `path`. Nothing is read or created until first use.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            lock_timeout: Self::DEFAULT_LOCK_TIMEOUT,
        }
    }

    /// `$HOME/.config/spaps/tokens.json` (`%USERPROFILE%` on Windows), when a home
    /// directory is known.
    pub fn default_location() -> Option<Self> {
        let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"))?;
        Some(Self::new(
            Path::new(&home)
                .join(".config")
                .join("spaps")
                .join("tokens.json"),
        ))
    }

    /// Sets how long [`lock_refresh`](TokenStore::lock_refresh) waits for another
    /// holder to release the refresh lock before it gives up with
    /// [`Error::TokenStore`] (default [`FileTokenStore::DEFAULT_LOCK_TIMEOUT`]). Zero
    /// tries once.
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The refresh lock file: the token file's name with `.lock` appended, in the same
    /// directory.
    pub fn lock_path(&self) -> PathBuf {
        self.dir().join(format!("{}.lock", self.file_name()))
    }

    /// How long [`lock_refresh`](TokenStore::lock_refresh) waits for the lock.
    pub fn lock_timeout(&self) -> Duration {
        self.lock_timeout
    }

    fn dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "tokens.json".to_owned())
    }

    fn sweep(&self) {
        sweep_stale_temporaries(&self.dir(), &self.file_name());
    }

    fn read_capped(&self) -> Result<Option<Vec<u8>>, Error> {
        let fail = |what: String| Error::store(format!("cannot read {}: {what}", self.display()));
        let fail_io = |e: io::Error| {
            StoreError::with_source(format!("cannot read {}: {e}", self.display()), e).into()
        };
        // Look before opening: opening a FIFO would block until a writer appears, and a
        // device could be endless.
        let meta = match fs::metadata(&self.path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(fail_io(e)),
        };
        check_regular(&meta, &fail)?;
        let file = match File::open(&self.path) {
            Ok(file) => file,
            // Removed (a concurrent clear) since it was looked at.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(fail_io(e)),
        };
        // What was opened may not be what was looked at.
        check_regular(&file.metadata().map_err(fail_io)?, &fail)?;
        let mut bytes = Vec::new();
        file.take(Self::MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(fail_io)?;
        if bytes.len() as u64 > Self::MAX_FILE_BYTES {
            return Err(fail(too_large()));
        }
        Ok(Some(bytes))
    }

    fn write_atomically(&self, bytes: &[u8]) -> io::Result<()> {
        let dir = self.dir();
        create_private_dir(&dir)?;
        let file_name = self.file_name();
        sweep_stale_temporaries(&dir, &file_name);
        let (tmp, mut file) = create_temporary(&dir, &file_name)?;
        let result = (|| {
            file.write_all(bytes)?;
            file.sync_all()?;
            drop(file);
            fs::rename(&tmp, &self.path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result?;
        sync_dir(&dir);
        Ok(())
    }

    fn open_lock_file(&self) -> io::Result<File> {
        let dir = self.dir();
        create_private_dir(&dir)?;
        let path = self.lock_path();
        let mut create = fs::OpenOptions::new();
        create.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            create.mode(0o600);
        }
        match create.open(&path) {
            Ok(file) => return Ok(file),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        // It exists: lock it only if it is a plain file (not a symlink someone planted,
        // not a FIFO whose open would block).
        let meta = fs::symlink_metadata(&path)?;
        if !meta.file_type().is_file() {
            return Err(io::Error::other("the lock file is not a regular file"));
        }
        File::open(&path)
    }

    fn display(&self) -> std::path::Display<'_> {
        self.path.display()
    }
}

impl TokenStore for FileTokenStore {
    /// The tokens in the file; `None` when there is no file.
    ///
    /// # Errors
    /// [`Error::TokenStore`] when the path is not a regular file (or a symlink to one),
    /// is larger than [`FileTokenStore::MAX_FILE_BYTES`], cannot be read, or does not
    /// hold a token record.
    fn load(&self) -> Result<Option<Tokens>, Error> {
        self.sweep();
        match self.read_capped()? {
            Some(bytes) => decode_token_file(&bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Replaces the file atomically (see [Writing](FileTokenStore#writing)).
    ///
    /// # Errors
    /// [`Error::TokenStore`] when the file cannot be written; the old file is then left
    /// as it was.
    fn save(&self, tokens: &Tokens) -> Result<(), Error> {
        let bytes = encode_token_file(tokens);
        if bytes.len() as u64 > Self::MAX_FILE_BYTES {
            return Err(Error::store(format!(
                "cannot write {}: {}",
                self.display(),
                too_large()
            )));
        }
        self.write_atomically(&bytes).map_err(|e| {
            StoreError::with_source(format!("cannot write {}: {e}", self.display()), e).into()
        })
    }

    /// Removes the file (a missing one is fine). The lock file stays.
    ///
    /// # Errors
    /// [`Error::TokenStore`] when the file exists and cannot be removed.
    fn clear(&self) -> Result<(), Error> {
        self.sweep();
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::with_source(
                format!("cannot remove {}: {e}", self.display()),
                e,
            )
            .into()),
        }
    }

    /// Always `true`: a token file is there to be shared.
    fn coordinates_refresh(&self) -> bool {
        true
    }

    /// Takes the exclusive lock on [`FileTokenStore::lock_path`] (see
    /// [Refreshing](FileTokenStore#refreshing)), creating the file if needed. Threads of
    /// one process exclude each other as processes do. Blocks the calling thread,
    /// polling with short sleeps, for at most [`FileTokenStore::lock_timeout`].
    ///
    /// # Errors
    /// [`Error::TokenStore`] when the lock file cannot be created or opened (or is not a
    /// regular file), when the file system does not support locking, or when the lock is
    /// still held by someone else after the timeout.
    fn lock_refresh(&self) -> Result<RefreshLock, Error> {
        let lock_path = self.lock_path();
        let fail =
            |what: String| Error::store(format!("cannot lock {}: {what}", lock_path.display()));
        let fail_io = |e: io::Error| -> Error {
            StoreError::with_source(format!("cannot lock {}: {e}", lock_path.display()), e).into()
        };
        let file = self.open_lock_file().map_err(fail_io)?;
        let start = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(RefreshLock::new(HeldLock(file))),
                Err(fs::TryLockError::WouldBlock) => {}
                Err(fs::TryLockError::Error(e)) => return Err(fail_io(e)),
            }
            let waited = start.elapsed();
            if waited >= self.lock_timeout {
                return Err(fail(format!(
                    "another client held the refresh lock for longer than {} ms",
                    self.lock_timeout.as_millis()
                )));
            }
            std::thread::sleep(pause.min(self.lock_timeout - waited));
            pause = (pause * 2).min(MAX_LOCK_POLL);
        }
    }
}

/// Temporary files untouched for this long are abandoned: a save writes and renames its
/// file within moments.
const STALE_AFTER: Duration = Duration::from_secs(60);
/// Temporary files of a process that no longer exists are abandoned once this old (the
/// grace covers a writer in another PID namespace whose id means nothing here).
const DEAD_GRACE: Duration = Duration::from_secs(5);
/// Longest sleep between two tries for the refresh lock.
const MAX_LOCK_POLL: Duration = Duration::from_millis(20);
/// How many temporary names a save tries before it gives up.
const TEMP_ATTEMPTS: u32 = 64;

/// Numbers the temporary files of this process.
static TEMP_SEQ: AtomicU64 = AtomicU64::new(0);

/// A held refresh lock; dropping it releases the lock (closing the file would too).
struct HeldLock(File);

impl Drop for HeldLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

fn check_regular(meta: &fs::Metadata, fail: &impl Fn(String) -> Error) -> Result<(), Error> {
    if !meta.is_file() {
        return Err(fail(format!("not a regular file ({})", kind_of(meta))));
    }
    if meta.len() > FileTokenStore::MAX_FILE_BYTES {
        return Err(fail(too_large()));
    }
    Ok(())
}

fn too_large() -> String {
    format!(
        "larger than the {} byte limit of a token file",
        FileTokenStore::MAX_FILE_BYTES
    )
}

fn kind_of(meta: &fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "not a file"
}

/// A random number fixed for the life of the process, so temporary names cannot be
/// guessed by someone who knows the process id.
fn process_nonce() -> u64 {
    static NONCE: OnceLock<u64> = OnceLock::new();
    *NONCE.get_or_init(|| {
        RandomState::new().hash_one((std::process::id(), SystemTime::now(), Instant::now()))
    })
}

/// `.NAME.PID.SEQ.NONCE.tmp`.
fn temporary_name(file_name: &str, pid: u32, seq: u64, nonce: u64) -> String {
    format!(".{file_name}.{pid}.{seq}.{nonce:016x}.tmp")
}

/// Creates a new temporary file beside the token file, never opening an existing one.
fn create_temporary(dir: &Path, file_name: &str) -> io::Result<(PathBuf, File)> {
    let mut options = fs::OpenOptions::new();
    // O_CREAT | O_EXCL: fails on any existing name, a symlink (even a dangling one)
    // included, so nothing planted at the name is ever written through.
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut attempt = 0;
    loop {
        let seq = TEMP_SEQ.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(temporary_name(
            file_name,
            std::process::id(),
            seq,
            process_nonce(),
        ));
        match options.open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt + 1 < TEMP_ATTEMPTS => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Removes abandoned temporary files of the token file `file_name` in `dir`. Best
/// effort: errors are ignored. Nothing is opened, so planted FIFOs or links are harmless
/// (a link is removed, not followed).
fn sweep_stale_temporaries(dir: &Path, file_name: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{file_name}.");
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(temporary_pid)
        else {
            continue;
        };
        // Does not follow a symlink.
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        let age = meta
            .modified()
            .ok()
            .and_then(|at| now.duration_since(at).ok())
            .unwrap_or(Duration::ZERO);
        if age >= STALE_AFTER || (age >= DEAD_GRACE && !process_alive(pid)) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The process id in the middle of a temporary name: `PID.SEQ.NONCE` (this version) or
/// `PID` (earlier versions).
fn temporary_pid(middle: &str) -> Option<u32> {
    let parts: Vec<&str> = middle.split('.').collect();
    let pid = match parts.as_slice() {
        [pid] => pid,
        [pid, seq, nonce] => {
            seq.parse::<u64>().ok()?;
            u64::from_str_radix(nonce, 16).ok()?;
            pid
        }
        _ => return None,
    };
    pid.parse().ok()
}

/// Whether process `pid` may still be running; true when it cannot be told.
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(target_os = "linux")]
    {
        if Path::new("/proc/self").exists() {
            return Path::new("/proc").join(pid.to_string()).exists();
        }
    }
    true
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Makes a rename durable (best effort; Unix only).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
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
}
