//! Item sizes as DynamoDB counts them (for limits, statistics and capacity units).

pub use palisade_model::{attribute_value_size as value_size, item_size};
