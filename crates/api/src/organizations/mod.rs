//! AWS Organizations over its JSON 1.1 protocol (`X-Amz-Target: AWSOrganizationsV20161128.*`).
