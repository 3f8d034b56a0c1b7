//! Typed request and response models, one module per group.
//!
//! Models ignore fields they do not know, hold times as [`crate::Timestamp`], and
//! serialize back to JSON. Secrets inside them are [`crate::Secret`]s.

#![warn(clippy::exhaustive_structs, clippy::exhaustive_enums)]

pub mod auth;
pub mod crypto;
pub mod dayrate;
pub mod device_flow;
pub mod email;
pub mod entitlements;
pub mod issue_reporting;
pub mod metrics;
pub mod payments;
pub mod secure_messages;
pub mod sessions;
pub mod support_telemetry;
pub mod usage;
pub mod users;
pub mod whitelist;
