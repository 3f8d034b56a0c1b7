//! [`Pager`] and [`Items`]: every page (or every item) of a list endpoint.
//!
//! `request.pages()` gives a [`Pager`]. On the blocking client it is an `Iterator` of
//! pages; on the async client a `Stream` of pages. `.items()` flattens either into
//! items. Each next request comes from the endpoint's [`Paginated::next_page`], the one
//! paging decision of the core; the walk stops at the first error.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use crate::endpoint::{CallOptions, Execute, Paginated, Request};
use crate::error::Error;

impl<'a, X: Execute, E: Paginated> Request<'a, X, E> {
    /// Every page, starting with this request's.
    pub fn pages(self) -> Pager<'a, X, E> {
        let (client, endpoint, options) = self.into_parts();
        Pager {
            client,
            next: Some(endpoint),
            options,
            in_flight: None,
        }
    }
}

/// Every page of a list endpoint. See the module docs.
#[must_use = "a pager does nothing until it is iterated"]
pub struct Pager<'a, X: Execute, E: Paginated> {
    client: &'a X,
    next: Option<E>,
    options: CallOptions,
    in_flight: Option<(E, X::Outcome<'a, E::Output>)>,
}

impl<'a, X: Execute + 'a, E: Paginated> Pager<'a, X, E> {
    /// Every item of every page.
    pub fn items(self) -> Items<'a, X, E> {
        Items {
            pages: self,
            buffer: VecDeque::new(),
        }
    }

    fn advance(&mut self, request: &E, page: &Result<E::Output, Error>) {
        self.next = match page {
            Ok(page) => request.next_page(page),
            Err(_) => None,
        };
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
