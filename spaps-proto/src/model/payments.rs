//! Models of the payments endpoints.
