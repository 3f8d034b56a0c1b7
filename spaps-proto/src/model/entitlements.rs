//! Models of the entitlements endpoints.
