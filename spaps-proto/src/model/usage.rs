//! Models of the usage endpoints.
