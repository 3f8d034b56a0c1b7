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
mod tests;
