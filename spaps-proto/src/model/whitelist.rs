//! Models of the whitelist endpoints.
