//! Item sizes as DynamoDB counts them (for limits, statistics and capacity units).

pub use palisade_model::item_size;
