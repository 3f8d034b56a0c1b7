//! The paging decision: given a page, is there a next one, and where does it start?
//!
//! SPAPS pages two ways: `limit`/`offset` with a `total`, and cursors
//! (`starting_after` the last id, with `has_more`). Each list endpoint implements
//! [`crate::Paginated`] with one of the two functions below; the clients turn that into
//! an `Iterator` (blocking) or a `Stream` (tokio) of items.
//!
//! A server can lie: send back a cursor that was already requested, or an offset that
//! does not move. Followed blindly, either makes a walk ask for the same pages forever.
//! Every walk therefore keeps a [`WalkGuard`]: each request's [`PagePosition`] must be
//! new (a cursor not seen before in this walk) or further on (an offset larger than the
//! last), else the walk ends with [`crate::Error::Paging`] after the pages it already
//! gave. The guard keeps one entry per page requested, so its memory grows with the
//! requests it has already cost.

use std::collections::HashSet;

/// The offset of the next page for offset paging, or `None` when this page was the last.
///
/// `offset` is this page's offset, `count` its number of items, `total` the server's
/// total (when sent). An empty page always ends the walk, so a server that misreports
/// `total` cannot make it loop forever.
///
/// ```
/// use spaps_proto::paging::next_offset;
/// assert_eq!(next_offset(0, 10, Some(25)), Some(10));
/// assert_eq!(next_offset(20, 5, Some(25)), None);
/// assert_eq!(next_offset(0, 0, Some(25)), None);
/// assert_eq!(next_offset(0, 10, None), Some(10));
/// ```
pub fn next_offset(offset: u64, count: usize, total: Option<u64>) -> Option<u64> {
    if count == 0 {
        return None;
    }
    let next = offset.saturating_add(count as u64);
    match total {
        Some(total) if next >= total => None,
        _ => Some(next),
    }
}

/// The cursor of the next page for cursor paging, or `None` when this page was the last.
///
/// `has_more` is the server's flag (when sent); `last_id` the id of this page's last
/// item. Without a flag, a page shorter than `limit` (or empty) is the last.
///
/// ```
/// use spaps_proto::paging::next_cursor;
/// assert_eq!(next_cursor(Some(true), Some("b"), 2, Some(2)), Some("b".to_owned()));
/// assert_eq!(next_cursor(Some(false), Some("b"), 2, Some(2)), None);
/// assert_eq!(next_cursor(None, Some("b"), 1, Some(2)), None);
/// assert_eq!(next_cursor(Some(true), None, 0, None), None);
/// ```
pub fn next_cursor(
    has_more: Option<bool>,
    last_id: Option<&str>,
    count: usize,
    limit: Option<u32>,
) -> Option<String> {
    let last = last_id.filter(|id| !id.is_empty())?;
    if count == 0 {
        return None;
    }
    let more = match has_more {
        Some(flag) => flag,
        None => limit.is_some_and(|l| count >= l as usize),
    };
    more.then(|| last.to_owned())
}

/// Where the page a request asks for starts: what a walk's [`WalkGuard`] compares.
/// Given by [`crate::Paginated::position`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PagePosition {
    /// The `offset` of `limit`/`offset` paging (0 for the first page). Each page of a
    /// walk must start further on than the one before.
    Offset(u64),
    /// The cursor the page starts from (empty for the first page), or any other value
    /// that names the page. No two pages of a walk may have the same one.
    Cursor(String),
}

pub use crate::error::PagingError;

/// The loop guard of one page walk: admits each request's [`PagePosition`] only if it
/// is new. See the module docs.
///
/// ```
/// use spaps_proto::paging::{PagePosition, PagingError, WalkGuard};
/// let mut guard = WalkGuard::new();
/// assert!(guard.admit(PagePosition::Cursor(String::new())).is_ok());
/// assert!(guard.admit(PagePosition::Cursor("b".into())).is_ok());
/// assert_eq!(
///     guard.admit(PagePosition::Cursor("b".into())),
///     Err(PagingError::RepeatedCursor { page: 2 })
/// );
///
/// let mut guard = WalkGuard::new();
/// assert!(guard.admit(PagePosition::Offset(0)).is_ok());
/// assert!(guard.admit(PagePosition::Offset(10)).is_ok());
/// assert!(guard.admit(PagePosition::Offset(10)).is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct WalkGuard {
    cursors: HashSet<String>,
    last_offset: Option<u64>,
    pages: u32,
}

impl WalkGuard {
    /// A guard for a new walk.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the position of the next page request, the first page's included.
    ///
    /// # Errors
    /// [`PagingError::RepeatedCursor`] for a cursor already admitted,
    /// [`PagingError::OffsetNotAdvancing`] for an offset not larger than the last one
    /// admitted. A refused position is not recorded.
    pub fn admit(&mut self, position: PagePosition) -> Result<(), PagingError> {
        let page = self.pages;
        match position {
            PagePosition::Offset(next) => match self.last_offset {
                Some(previous) if next <= previous => {
                    return Err(PagingError::OffsetNotAdvancing {
                        page,
                        previous,
                        next,
                    })
                }
                _ => self.last_offset = Some(next),
            },
            PagePosition::Cursor(cursor) => {
                if self.cursors.contains(&cursor) {
                    return Err(PagingError::RepeatedCursor { page });
                }
                self.cursors.insert(cursor);
            }
        }
        self.pages = self.pages.saturating_add(1);
        Ok(())
    }

    /// The page requests admitted so far.
    pub fn pages(&self) -> u32 {
        self.pages
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_saturated_offset_does_not_advance() {
        // `next_offset` saturates at u64::MAX: the guard ends what would loop there.
        let mut guard = WalkGuard::new();
        guard.admit(PagePosition::Offset(u64::MAX)).unwrap();
        let next = next_offset(u64::MAX, 5, None).unwrap();
        assert_eq!(
            guard.admit(PagePosition::Offset(next)),
            Err(PagingError::OffsetNotAdvancing {
                page: 1,
                previous: u64::MAX,
                next: u64::MAX
            })
        );
    }

    #[test]
    fn offsets_must_strictly_increase() {
        let mut guard = WalkGuard::new();
        guard.admit(PagePosition::Offset(0)).unwrap();
        guard.admit(PagePosition::Offset(10)).unwrap();
        assert!(guard.admit(PagePosition::Offset(5)).is_err());
        assert!(guard.admit(PagePosition::Offset(10)).is_err());
        // A refused position is not recorded: the walk can still go on from 10.
        guard.admit(PagePosition::Offset(11)).unwrap();
        assert_eq!(guard.pages(), 3);
    }

    #[test]
    fn a_cursor_cycle_is_caught_not_only_an_immediate_repeat() {
        let mut guard = WalkGuard::new();
        for c in ["", "a", "b"] {
            guard.admit(PagePosition::Cursor(c.into())).unwrap();
        }
        assert_eq!(
            guard.admit(PagePosition::Cursor("a".into())),
            Err(PagingError::RepeatedCursor { page: 3 })
        );
        let e = crate::Error::Paging {
            operation: "sessions.list_sessions",
            reason: PagingError::RepeatedCursor { page: 3 },
        };
        assert_eq!(
            e.to_string(),
            "sessions.list_sessions: paging stopped: after page 3, the server sent a cursor \
             already requested in this walk"
        );
    }

    proptest! {
        /// Whatever positions a server makes a walk ask for, the guard admits each at
        /// most once, so a walk makes at most one request per distinct position.
        #[test]
        fn admits_each_position_at_most_once(
            positions in proptest::collection::vec(
                prop_oneof![
                    (0u64..8).prop_map(PagePosition::Offset),
                    "[a-d]{0,1}".prop_map(PagePosition::Cursor),
                ],
                0..64,
            )
        ) {
            let mut guard = WalkGuard::new();
            let mut admitted = Vec::new();
            for p in positions {
                if guard.admit(p.clone()).is_ok() {
                    prop_assert!(!admitted.contains(&p), "{:?} admitted twice", p);
                    if let (PagePosition::Offset(o), Some(last)) = (&p, admitted.iter().rev().find_map(|a| match a {
                        PagePosition::Offset(o) => Some(*o),
                        PagePosition::Cursor(_) => None,
                    })) {
                        prop_assert!(*o > last);
                    }
                    admitted.push(p);
                }
            }
            prop_assert_eq!(guard.pages() as usize, admitted.len());
        }
    }
}
