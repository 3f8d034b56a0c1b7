//! `arguments!`: the methods every endpoint struct has, written from its field list.
//!
//! It sits above [`crate::request`] (the bindings) and [`crate::pager`] (page walks),
//! both of which its methods use, and below the endpoint modules that invoke it.

/// Writes the methods of one endpoint struct from its field list:
/// `arguments!(ListSessions() { limit: u32, starting_after: String })` (required
/// fields in the parentheses, optional ones with their types in the braces; `pages`
/// first for a [`Paginated`](crate::Paginated) endpoint).
///
/// It gives, on the endpoint's own type: a setter per optional argument on every
/// binding (`.limit(20)` stores `Some(20)`, see [`Arg`](crate::Arg)); `on(client)` on the plain
/// value; and on a [`Bound`](crate::Bound) one the call options (`access_token`, `idempotency_key`,
/// `call_timeout`), `send`, `IntoFuture` where the client's outcome is a future, and
/// `pages` for a list endpoint.
macro_rules! arguments {
    (pages $name:ident $($rest:tt)*) => {
        $crate::arguments::arguments!($name $($rest)*);

        impl<'a, X: $crate::request::Execute> $name<$crate::request::Bound<'a, X>> {
            /// Every page, starting with this request's (see [`Pager`](crate::pager::Pager)).
            pub fn pages(self) -> $crate::pager::Pager<'a, X, $name> {
                let (endpoint, bound) = self.rebind($crate::request::Unbound);
                let (client, options) = bound.into_parts();
                $crate::pager::Pager::new(client, endpoint, options)
            }
        }
    };
    ($name:ident ($($field:ident),* $(,)?) { $($opt:ident : $ty:ty),* $(,)? }) => {
        impl<B> $name<B> {
            $(
                #[doc = concat!("Sets the optional argument `", stringify!($opt), "`.")]
                pub fn $opt(mut self, value: impl $crate::request::Arg<$ty>) -> Self {
                    self.$opt = Some($crate::request::Arg::into_arg(value));
                    self
                }
            )*

            /// The same arguments with another binding, and the old binding.
            fn rebind<C>(self, bound: C) -> ($name<C>, B) {
                (
                    $name {
                        $($field: self.$field,)*
                        $($opt: self.$opt,)*
                        bound,
                    },
                    self.bound,
                )
            }
        }

        impl $name {
            /// This request on `client`: then `.send()` it, or `.await` it on an async
            /// client. (A group accessor such as `client.sessions()` does this for you.)
            pub fn on<X: $crate::request::Execute>(
                self,
                client: &X,
            ) -> $name<$crate::request::Bound<'_, X>> {
                self.rebind($crate::request::Bound::new(client)).0
            }
        }

        impl<'a, X: $crate::request::Execute> $name<$crate::request::Bound<'a, X>> {
            /// Uses `token` as the bearer token for this call instead of the stored one
            /// (no refresh is attempted for it).
            pub fn access_token(mut self, token: impl Into<$crate::Secret>) -> Self {
                self.bound.options_mut().access_token = Some(token.into());
                self
            }

            /// Attaches an idempotency key, kept the same on every retry (it makes a
            /// POST or PATCH retryable).
            pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
                self.bound.options_mut().idempotency_key = Some(key.into());
                self
            }

            /// Sets this call's overall deadline (every attempt, backoff and token
            /// refresh together), instead of the client's.
            pub fn call_timeout(mut self, limit: std::time::Duration) -> Self {
                self.bound.options_mut().call_timeout = Some(limit);
                self
            }

            /// Sends the request: a future on an async client, the result on a
            /// blocking one.
            pub fn send(self) -> X::Outcome<'a, <$name as $crate::Endpoint>::Output> {
                let (endpoint, bound) = self.rebind($crate::request::Unbound);
                bound.send(endpoint)
            }
        }

        impl<'a, X> ::std::future::IntoFuture for $name<$crate::request::Bound<'a, X>>
        where
            X: $crate::request::Execute,
            X::Outcome<'a, <$name as $crate::Endpoint>::Output>: ::std::future::Future,
        {
            type Output = <X::Outcome<'a, <$name as $crate::Endpoint>::Output>
                as ::std::future::Future>::Output;
            type IntoFuture = X::Outcome<'a, <$name as $crate::Endpoint>::Output>;

            fn into_future(self) -> Self::IntoFuture {
                self.send()
            }
        }
    };
}
pub(crate) use arguments;
