//! IAM and STS over AWS's Query protocol (form-encoded requests, XML responses).
