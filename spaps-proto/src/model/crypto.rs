//! Models of the crypto endpoints.
