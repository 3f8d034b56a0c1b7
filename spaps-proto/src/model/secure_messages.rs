//! Models of the secure messages endpoints.
