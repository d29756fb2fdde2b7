//! A fixed-size latency histogram with log-linear buckets: every power of two is split into 32
//! equal sub-buckets, so a recorded value is known to within about 3 %. Recording never allocates
//! and costs a few instructions; histograms of several connections merge by adding counters.

use std::time::Duration;

/// Sub-buckets per power of two, as a power of two.
const SUB_BITS: u32 = 5;
const SUB: usize = 1 << SUB_BITS;
/// Values below `SUB` get a bucket each; above, one group of `SUB` buckets per power of two.
const BUCKETS: usize = (64 - SUB_BITS as usize + 1) * SUB;

/// Latencies in nanoseconds.
#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64; BUCKETS]>,
    total: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: Box::new([0; BUCKETS]),
            total: 0,
            max: 0,
        }
    }
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("count", &self.total)
            .field("max_ns", &self.max)
            .finish()
    }
}

/// The bucket a value falls in.
fn index(value: u64) -> usize {
    if value < SUB as u64 {
        return value as usize;
    }
    let exponent = 63 - value.leading_zeros();
    let sub = (value >> (exponent - SUB_BITS)) as usize & (SUB - 1);
    (exponent - SUB_BITS + 1) as usize * SUB + sub
}

/// The largest value that falls in bucket `i`.
fn upper_bound(i: usize) -> u64 {
    if i < SUB {
        return i as u64;
    }
    let group = (i / SUB) as u32;
    let sub = (i % SUB) as u64;
    let exponent = group + SUB_BITS - 1;
    let width = 1u64 << (exponent - SUB_BITS);
    ((SUB as u64 + sub) << (exponent - SUB_BITS)).saturating_add(width - 1)
}

impl Histogram {
    /// Records one latency.
    pub fn record(&mut self, latency: Duration) {
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        if let Some(slot) = self.counts.get_mut(index(nanos)) {
            *slot += 1;
        }
        self.total += 1;
        self.max = self.max.max(nanos);
    }

    /// Adds every value recorded in `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            *mine += theirs;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// How many values were recorded.
    #[cfg(test)]
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The largest value recorded (exact).
    pub fn max(&self) -> Duration {
        Duration::from_nanos(self.max)
    }

    /// The value below which a fraction `q` (0 to 1) of the recorded values fall, rounded up to
    /// its bucket's upper bound (never above the maximum). Zero when nothing was recorded.
    pub fn quantile(&self, q: f64) -> Duration {
        if self.total == 0 {
            return Duration::ZERO;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        for (i, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Duration::from_nanos(upper_bound(i).min(self.max));
            }
        }
        Duration::from_nanos(self.max)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_ordered_and_tight() {
        let small = 0..5_000u64;
        let around_powers = (1..63).map(|s| 1u64 << s).flat_map(|v| [v - 1, v, v + 1]);
        let mut previous = 0;
        for value in small.clone().chain(around_powers) {
            let i = index(value);
            assert!(i < BUCKETS);
            let upper = upper_bound(i);
            assert!(upper >= value, "{value} above its bucket's bound {upper}");
            assert!(
                (upper - value) as f64 <= value as f64 / 32.0 + 1.0,
                "bucket of {value} too wide"
            );
        }
        for value in small {
            let i = index(value);
            assert!(i >= previous, "buckets out of order at {value}");
            previous = i;
        }
        assert!(index(u64::MAX) < BUCKETS);
    }

    #[test]
    fn quantiles_of_a_uniform_spread() {
        let mut h = Histogram::default();
        for micros in 1..=1000u64 {
            h.record(Duration::from_micros(micros));
        }
        let p50 = h.quantile(0.5).as_micros() as f64;
        let p99 = h.quantile(0.99).as_micros() as f64;
        assert!((500.0..=520.0).contains(&p50), "p50 {p50}");
        assert!((990.0..=1000.0).contains(&p99), "p99 {p99}");
        assert_eq!(h.max(), Duration::from_micros(1000));
        assert_eq!(h.count(), 1000);

        let mut other = Histogram::default();
        other.record(Duration::from_secs(2));
        h.merge(&other);
        assert_eq!(h.count(), 1001);
        assert_eq!(h.quantile(1.0), Duration::from_secs(2));
        assert_eq!(Histogram::default().quantile(0.5), Duration::ZERO);
    }
}
