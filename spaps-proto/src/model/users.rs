//! Models of the users endpoints.
