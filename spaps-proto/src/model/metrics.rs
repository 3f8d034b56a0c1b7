//! Models of the metrics endpoints.
