//! Models of the email endpoints.
