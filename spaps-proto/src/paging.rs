//! The paging decision: given a page, is there a next one, and where does it start?
//!
//! SPAPS pages two ways: `limit`/`offset` with a `total`, and cursors
//! (`starting_after` the last id, with `has_more`). Each list endpoint implements
//! [`crate::Paginated`] with one of the two functions below; the clients turn that into
//! an `Iterator` (blocking) or a `Stream` (tokio) of items.

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
