//! Models of the support telemetry endpoints.
