//! Models of the dayrate endpoints.
