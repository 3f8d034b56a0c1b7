//! [`FileTokenStore`]: tokens persisted to a JSON file.
//!
//! Shared, as one source file, by `spaps-blocking` and `spaps-tokio`: it uses only
//! `std`, so it compiles unchanged in both.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use spaps_proto::tokens::{decode_token_file, encode_token_file};
use spaps_proto::{Error, TokenStore, Tokens};

/// Tokens in a JSON file (`access_token`, `refresh_token`, `expires_at`,
/// `token_type`), readable only by the owner (mode 0600 on Unix), replaced atomically
/// (written to a temporary file in the same directory, synced, then renamed).
///
/// A missing file means no tokens; a corrupt one is an [`Error::TokenStore`], never a
/// panic and never silently ignored.
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    path: PathBuf,
}

impl FileTokenStore {
    /// A store at `path`. Nothing is read or created until first use.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
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

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write_atomically(&self, bytes: &[u8]) -> std::io::Result<()> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&dir)?;
        let file_name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "tokens.json".to_owned());
        let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
        let result = (|| {
            let mut options = fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options.open(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            drop(file);
            fs::rename(&tmp, &self.path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

impl TokenStore for FileTokenStore {
    fn load(&self) -> Result<Option<Tokens>, Error> {
        match fs::read(&self.path) {
            Ok(bytes) => decode_token_file(&bytes).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::TokenStore(format!(
                "cannot read {}: {e}",
                self.path.display()
            ))),
        }
    }

    fn save(&self, tokens: &Tokens) -> Result<(), Error> {
        self.write_atomically(&encode_token_file(tokens))
            .map_err(|e| Error::TokenStore(format!("cannot write {}: {e}", self.path.display())))
    }

    fn clear(&self) -> Result<(), Error> {
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::TokenStore(format!(
                "cannot remove {}: {e}",
                self.path.display()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spaps_proto::Timestamp;

    fn tokens() -> Tokens {
        Tokens::new("at_file")
            .with_refresh_token("rt_file")
            .with_expires_at(Timestamp::from_unix_seconds(2_000_000_000).unwrap())
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
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
