//! Models of the issue reporting endpoints.
