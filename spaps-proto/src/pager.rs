//! [`Pager`] and [`Items`]: every page (or every item) of a list endpoint.
//!
//! `request.pages()` (on a bound list endpoint) gives a [`Pager`]. On the blocking client it is an `Iterator` of
//! pages; on the async client a `Stream` of pages. `.items()` flattens either into
//! items. Each next request comes from the endpoint's [`Paginated::next_page`], the one
//! paging decision of the core; the walk stops at the first error.
//!
//! A walk never asks for the same page twice: each request's
//! [`Paginated::position`] goes through a [`WalkGuard`], and when the server's answer
//! points back at a cursor already requested (or at an offset that does not advance),
//! the walk yields [`Error::Paging`] after the pages it has and then ends.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use crate::endpoint::{CallOptions, Paginated};
use crate::error::Error;
use crate::paging::WalkGuard;
use crate::request::Execute;

/// Every page of a list endpoint. See the module docs.
#[must_use = "a pager does nothing until it is iterated"]
pub struct Pager<'a, X: Execute, E: Paginated> {
    client: &'a X,
    next: Option<E>,
    options: CallOptions,
    in_flight: Option<(E, X::Outcome<'a, E::Output>)>,
    guard: WalkGuard,
    /// The error that ends the walk after the page just yielded.
    stopped: Option<Error>,
}

impl<'a, X: Execute + 'a, E: Paginated> Pager<'a, X, E> {
    /// A walk that starts with `endpoint` on `client`.
    pub(crate) fn new(client: &'a X, endpoint: E, options: CallOptions) -> Self {
        let mut guard = WalkGuard::new();
        // The first position of a walk is always new.
        let _ = guard.admit(endpoint.position());
        Self {
            client,
            next: Some(endpoint),
            options,
            in_flight: None,
            guard,
            stopped: None,
        }
    }

    /// Every item of every page.
    pub fn items(self) -> Items<'a, X, E> {
        Items {
            pages: self,
            buffer: VecDeque::new(),
        }
    }

    fn advance(&mut self, request: &E, page: &Result<E::Output, Error>) {
        self.next = None;
        let Some(next) = page.as_ref().ok().and_then(|page| request.next_page(page)) else {
            return;
        };
        match self.guard.admit(next.position()) {
            Ok(()) => self.next = Some(next),
            Err(reason) => {
                self.stopped = Some(Error::Paging {
                    operation: E::NAME,
                    reason,
                })
            }
        }
    }
}

impl<'a, X, E> Iterator for Pager<'a, X, E>
where
    X: Execute + 'a,
    E: Paginated,
    X::Outcome<'a, E::Output>: Into<Result<E::Output, Error>>,
{
    type Item = Result<E::Output, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(stopped) = self.stopped.take() {
            return Some(Err(stopped));
        }
        let request = self.next.take()?;
        let page = self
            .client
            .execute(request.clone(), self.options.clone())
            .into();
        self.advance(&request, &page);
        Some(page)
    }
}

impl<'a, X, E> Stream for Pager<'a, X, E>
where
    X: Execute + 'a,
    E: Paginated + Unpin,
    X::Outcome<'a, E::Output>: Future<Output = Result<E::Output, Error>> + Unpin,
{
    type Item = Result<E::Output, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.in_flight.is_none() {
            if let Some(stopped) = this.stopped.take() {
                return Poll::Ready(Some(Err(stopped)));
            }
            let Some(request) = this.next.take() else {
                return Poll::Ready(None);
            };
            let future = this.client.execute(request.clone(), this.options.clone());
            this.in_flight = Some((request, future));
        }
        let Some((request, future)) = &mut this.in_flight else {
            return Poll::Ready(None);
        };
        match Pin::new(future).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(page) => {
                let request = request.clone();
                this.in_flight = None;
                this.advance(&request, &page);
                Poll::Ready(Some(page))
            }
        }
    }
}

/// Every item of every page of a list endpoint.
#[must_use = "an item walk does nothing until it is iterated"]
pub struct Items<'a, X: Execute, E: Paginated> {
    pages: Pager<'a, X, E>,
    buffer: VecDeque<E::Item>,
}

impl<'a, X, E> Iterator for Items<'a, X, E>
where
    X: Execute + 'a,
    E: Paginated,
    X::Outcome<'a, E::Output>: Into<Result<E::Output, Error>>,
{
    type Item = Result<E::Item, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.buffer.pop_front() {
                return Some(Ok(item));
            }
            match self.pages.next()? {
                Ok(page) => self.buffer.extend(E::into_items(page)),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

impl<'a, X, E> Stream for Items<'a, X, E>
where
    X: Execute + 'a,
    E: Paginated + Unpin,
    E::Item: Unpin,
    X::Outcome<'a, E::Output>: Future<Output = Result<E::Output, Error>> + Unpin,
{
    type Item = Result<E::Item, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            match Pin::new(&mut this.pages).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(page))) => this.buffer.extend(E::into_items(page)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use bytes::Bytes;
    use proptest::prelude::*;

    use super::*;
    use crate::api::email::ListEmailLogs;
    use crate::api::sessions::ListSessions;
    use crate::driver::Now;
    use crate::machine::Machine;
    use crate::paging::PagingError;
    use crate::Endpoint;

    /// A client that answers each request with `answer(path and query)` and counts them.
    struct Fake<F> {
        answer: F,
        sent: RefCell<Vec<String>>,
    }

    impl<F: Fn(&str) -> String> Fake<F> {
        fn new(answer: F) -> Self {
            Self {
                answer,
                sent: RefCell::new(Vec::new()),
            }
        }
    }

    impl<F: Fn(&str) -> String> Execute for Fake<F> {
        type Outcome<'a, T: Send + 'static>
            = Result<T, Error>
        where
            Self: 'a;

        fn run<M, S>(&self, _start: S) -> Result<M::Output, Error>
        where
            M: Machine,
            S: FnOnce(&crate::Config, Now) -> M + Send + 'static,
        {
            Err(Error::Misuse(crate::error::Misuse::Other(
                "the fake client runs endpoints only",
            )))
        }

        fn execute<E: Endpoint>(
            &self,
            endpoint: E,
            _options: CallOptions,
        ) -> Result<E::Output, Error> {
            let spec = endpoint.request()?.validate()?;
            let target = format!("{}?{}", spec.path(), spec.query_string());
            self.sent.borrow_mut().push(target.clone());
            let body = (self.answer)(&target);
            endpoint.parse(&http::Response::new(Bytes::from(body)))
        }
    }

    fn sessions(ids: &[&str]) -> String {
        let list: Vec<_> = ids
            .iter()
            .map(|id| {
                serde_json::json!({"id": id, "user_id": "u", "application_id": "a",
                    "created_at": "2025-01-15T12:00:00Z"})
            })
            .collect();
        serde_json::json!({"data": {"sessions": list}}).to_string()
    }

    fn list_sessions<F: Fn(&str) -> String>(client: &Fake<F>) -> Pager<'_, Fake<F>, ListSessions> {
        ListSessions::new().limit(2u32).on(client).pages()
    }

    #[test]
    fn a_repeated_cursor_yields_the_pages_then_the_error_then_ends() {
        let client = Fake::new(|_: &str| sessions(&["s1", "s2"]));
        let mut pages = list_sessions(&client);
        assert!(pages.next().unwrap().is_ok());
        assert!(pages.next().unwrap().is_ok());
        let error = pages.next().unwrap().unwrap_err();
        assert!(matches!(
            error,
            Error::Paging {
                operation: "sessions.list_sessions",
                reason: PagingError::RepeatedCursor { page: 2 }
            }
        ));
        assert!(pages.next().is_none());
        assert!(pages.next().is_none());
        assert_eq!(client.sent.borrow().len(), 2);
    }

    #[test]
    fn items_end_with_the_error_too() {
        let client = Fake::new(|_: &str| sessions(&["s1", "s2"]));
        let items: Vec<_> = list_sessions(&client).items().collect();
        assert_eq!(items.len(), 5);
        assert!(items[..4].iter().all(Result::is_ok));
        assert!(matches!(items[4], Err(Error::Paging { .. })));
    }

    #[test]
    fn an_offset_that_does_not_advance_ends_the_walk() {
        let client = Fake::new(|_: &str| r#"{"data":{"logs":[{"id":"l1"}]}}"#.to_owned());
        let walk: Vec<_> = ListEmailLogs::new()
            .offset(u64::MAX - 1)
            .on(&client)
            .pages()
            .collect();
        // u64::MAX - 1, then u64::MAX, then u64::MAX again: stopped.
        assert_eq!(walk.len(), 3);
        assert!(matches!(
            walk[2],
            Err(Error::Paging {
                reason: PagingError::OffsetNotAdvancing {
                    page: 2,
                    previous: u64::MAX,
                    next: u64::MAX
                },
                ..
            })
        ));
        assert_eq!(client.sent.borrow().len(), 2);
    }

    #[test]
    fn an_honest_walk_is_unchanged() {
        let client = Fake::new(|target: &str| {
            if target.contains("starting_after=s2") {
                sessions(&["s3"])
            } else {
                sessions(&["s1", "s2"])
            }
        });
        let pages: Vec<_> = list_sessions(&client).collect();
        assert_eq!(pages.len(), 2);
        assert!(pages.iter().all(Result::is_ok));
    }

    proptest! {
        /// Whatever a lying server answers (a cursor from a small set on each page), a
        /// walk ends, asks for each cursor at most once, and ends with the error exactly
        /// when the server pointed back at a cursor already asked for.
        #[test]
        fn a_walk_never_asks_twice(script in proptest::collection::vec(0usize..6, 1..40)) {
            let ids = ["a", "b", "c", "d", "e", "f"];
            let step = RefCell::new(0usize);
            let client = Fake::new(|_: &str| {
                let mut i = step.borrow_mut();
                let last = ids[script[*i % script.len()]];
                *i += 1;
                sessions(&["x", last])
            });
            let walk: Vec<_> = list_sessions(&client).take(100).collect();
            let sent = client.sent.borrow();
            let mut unique = sent.clone();
            unique.sort();
            unique.dedup();
            prop_assert_eq!(unique.len(), sent.len());
            prop_assert!(sent.len() <= ids.len() + 1);
            prop_assert!(walk.len() <= sent.len() + 1);
            let stopped = matches!(walk.last(), Some(Err(Error::Paging { .. })));
            prop_assert!(stopped);
        }
    }
}
