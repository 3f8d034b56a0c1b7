//! Typed request and response models, one module per group.
//!
//! Models ignore fields they do not know, hold times as [`crate::Timestamp`], and
//! serialize back to JSON. Secrets inside them are [`crate::Secret`]s.

pub mod auth;
pub mod sessions;
