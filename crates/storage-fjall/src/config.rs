//! Settings the store is opened with, which may differ from one start to the next (unlike the
//! keyspace options fjall keeps with the data): the capacity of the block cache (decision 0019).

/// Settings of one opening of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// Capacity of fjall's block cache in bytes: decompressed data blocks, and the index and
    /// filter partitions of the table files. It fills only as blocks are read, so an idle
    /// server does not hold it.
    pub block_cache_bytes: u64,
}

/// The block cache's capacity when none is configured: 128 MiB (fjall's default is 32 MiB).
/// At 10 million items of 1 KiB it holds the index and filter partitions that GetItem reads
/// three times out of four; larger caches measured no better within the noise of the machine
/// (decision 0019).
pub const DEFAULT_BLOCK_CACHE_BYTES: u64 = 128 * 1024 * 1024;

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            block_cache_bytes: DEFAULT_BLOCK_CACHE_BYTES,
        }
    }
}
