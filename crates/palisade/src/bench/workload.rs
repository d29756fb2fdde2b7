//! The workloads: which request each one sends, how its keys are picked and how an answer is
//! checked. Bodies are written by hand into one buffer per request (no JSON tree), so the
//! generator spends its time on HTTP and signing, like a lean client would.

use std::fmt::Write as _;

use bytes::Bytes;

/// Size of the `payload` attribute: with the key attributes an item is about 1 KiB.
pub const PAYLOAD_BYTES: usize = 1000;
/// Items in the partition the `query` workload reads (all of them in one page).
pub const QUERY_ITEMS: usize = 100;
/// The partition key of the `query` workload's partition.
pub const QUERY_PARTITION: &str = "query";
/// Items per BatchWriteItem request.
pub const BATCH_SIZE: usize = 25;
/// Puts per TransactWriteItems request.
pub const TRANSACT_SIZE: usize = 4;

pub const GET_ITEM: &str = "DynamoDB_20120810.GetItem";
pub const PUT_ITEM: &str = "DynamoDB_20120810.PutItem";
pub const QUERY: &str = "DynamoDB_20120810.Query";
pub const UPDATE_ITEM: &str = "DynamoDB_20120810.UpdateItem";
pub const BATCH_WRITE_ITEM: &str = "DynamoDB_20120810.BatchWriteItem";
pub const TRANSACT_WRITE_ITEMS: &str = "DynamoDB_20120810.TransactWriteItems";

/// A workload of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// GetItem of a random preloaded key.
    Get,
    /// PutItem of a 1 KiB item at a random key.
    Put,
    /// Query of one partition of 100 items of 1 KiB.
    Query,
    /// Half GetItem, half PutItem.
    Mixed,
    /// Conditional UpdateItem incrementing a counter.
    Cond,
    /// BatchWriteItem of 25 puts.
    Batch,
    /// TransactWriteItems of 4 puts.
    Transact,
}

impl Workload {
    /// Every workload, in report order.
    pub const ALL: [Workload; 7] = [
        Workload::Get,
        Workload::Put,
        Workload::Query,
        Workload::Mixed,
        Workload::Cond,
        Workload::Batch,
        Workload::Transact,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Get => "get",
            Workload::Put => "put",
            Workload::Query => "query",
            Workload::Mixed => "mixed",
            Workload::Cond => "cond",
            Workload::Batch => "batch",
            Workload::Transact => "transact",
        }
    }

    /// Parses a comma-separated list of workload names (`all` for every workload).
    pub fn parse_list(text: &str) -> Result<Vec<Workload>, String> {
        let mut list = Vec::new();
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name == "all" {
                list.extend(Workload::ALL);
                continue;
            }
            let workload = Workload::ALL
                .into_iter()
                .find(|w| w.name() == name)
                .ok_or_else(|| {
                    format!(
                        "unknown workload {name:?}; choose from all, {}",
                        Workload::ALL.map(Workload::name).join(", ")
                    )
                })?;
            if !list.contains(&workload) {
                list.push(workload);
            }
        }
        if list.is_empty() {
            return Err("no workload given".to_owned());
        }
        Ok(list)
    }

    /// Items written per request (reported as items/s for the multi-item writes).
    pub fn items_per_request(self) -> u64 {
        match self {
            Workload::Batch => BATCH_SIZE as u64,
            Workload::Transact => TRANSACT_SIZE as u64,
            _ => 1,
        }
    }
}

/// A small, fast pseudo-random generator (SplitMix64): key choice needs speed, not quality.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound.max(1))) >> 64) as u64
    }
}

/// What every request of a run shares: the table, the key space and the payload.
#[derive(Debug, Clone)]
pub struct Shape {
    pub table: String,
    /// Preloaded items `item-0 .. item-(items-1)`.
    pub items: u64,
    /// Connections of the run: multi-item writes use disjoint keys per connection, so
    /// transactions never conflict with each other.
    pub connections: u64,
    pub payload: String,
}

impl Shape {
    pub fn new(table: String, items: u64, connections: u64) -> Self {
        // Letters varying along the string, so the payload does not compress to nothing.
        let payload = (0..PAYLOAD_BYTES)
            .map(|i| char::from(b'a' + ((i * 7 + i / 26) % 26) as u8))
            .collect();
        Self {
            table,
            items,
            connections,
            payload,
        }
    }

    fn key(&self, out: &mut String, index: u64) {
        let _ = write!(out, r#"{{"pk":{{"S":"item-{index}"}},"sk":{{"S":"0"}}}}"#);
    }

    fn item(&self, out: &mut String, index: u64) {
        let _ = write!(
            out,
            r#"{{"pk":{{"S":"item-{index}"}},"sk":{{"S":"0"}},"payload":{{"S":"{}"}}}}"#,
            self.payload
        );
    }

    /// `count` distinct keys of connection `connection`'s share of the key space (the keys
    /// `i` with `i % connections == connection`), starting at a random place. Keys past the
    /// preloaded ones are fine for writes.
    fn disjoint_keys(&self, rng: &mut Rng, connection: u64, count: usize) -> Vec<u64> {
        let stride = self.connections.max(1);
        let share = (self.items / stride).max(count as u64);
        let start = rng.below(share);
        (0..count as u64)
            .map(|j| connection + stride * ((start + j) % share))
            .collect()
    }

    /// The GetItem body for item `index`.
    pub fn get(&self, index: u64) -> Bytes {
        let mut out = String::with_capacity(96 + self.table.len());
        let _ = write!(out, r#"{{"TableName":"{}","Key":"#, self.table);
        self.key(&mut out, index);
        out.push('}');
        Bytes::from(out)
    }

    /// The PutItem body for item `index`.
    pub fn put(&self, index: u64) -> Bytes {
        let mut out = String::with_capacity(PAYLOAD_BYTES + 128 + self.table.len());
        let _ = write!(out, r#"{{"TableName":"{}","Item":"#, self.table);
        self.item(&mut out, index);
        out.push('}');
        Bytes::from(out)
    }

    /// The Query body reading the whole query partition.
    pub fn query(&self) -> Bytes {
        Bytes::from(format!(
            r#"{{"TableName":"{}","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{{":p":{{"S":"{QUERY_PARTITION}"}}}}}}"#,
            self.table
        ))
    }

    /// The conditional UpdateItem body for item `index`.
    pub fn cond(&self, index: u64) -> Bytes {
        let mut out = String::with_capacity(320 + self.table.len());
        let _ = write!(out, r#"{{"TableName":"{}","Key":"#, self.table);
        self.key(&mut out, index);
        out.push_str(
            r#","UpdateExpression":"SET n = if_not_exists(n, :zero) + :one","ConditionExpression":"attribute_not_exists(locked)","ExpressionAttributeValues":{":zero":{"N":"0"},":one":{"N":"1"}}}"#,
        );
        Bytes::from(out)
    }

    /// A BatchWriteItem body putting the items `indexes`.
    pub fn batch(&self, indexes: &[u64]) -> Bytes {
        let mut out = String::with_capacity(indexes.len() * (PAYLOAD_BYTES + 96) + 64);
        let _ = write!(out, r#"{{"RequestItems":{{"{}":["#, self.table);
        for (n, &index) in indexes.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            out.push_str(r#"{"PutRequest":{"Item":"#);
            self.item(&mut out, index);
            out.push_str("}}");
        }
        out.push_str("]}}");
        Bytes::from(out)
    }

    /// A BatchWriteItem body putting the items of the query partition `first..first+count`.
    pub fn batch_query_partition(&self, first: usize, count: usize) -> Bytes {
        let mut out = String::with_capacity(count * (PAYLOAD_BYTES + 96) + 64);
        let _ = write!(out, r#"{{"RequestItems":{{"{}":["#, self.table);
        for n in 0..count {
            if n > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                r#"{{"PutRequest":{{"Item":{{"pk":{{"S":"{QUERY_PARTITION}"}},"sk":{{"S":"{:03}"}},"payload":{{"S":"{}"}}}}}}}}"#,
                first + n,
                self.payload
            );
        }
        out.push_str("]}}");
        Bytes::from(out)
    }

    /// A TransactWriteItems body putting the items `indexes`.
    pub fn transact(&self, indexes: &[u64]) -> Bytes {
        let mut out = String::with_capacity(indexes.len() * (PAYLOAD_BYTES + 128) + 32);
        out.push_str(r#"{"TransactItems":["#);
        for (n, &index) in indexes.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            let _ = write!(out, r#"{{"Put":{{"TableName":"{}","Item":"#, self.table);
            self.item(&mut out, index);
            out.push_str("}}");
        }
        out.push_str("]}");
        Bytes::from(out)
    }
}

/// What an answer must contain to count as a success, beyond HTTP 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Nothing more.
    Ok,
    /// A GetItem answer with the item.
    Item,
    /// A Query answer with the whole partition in one page.
    FullPartition,
    /// A BatchWriteItem answer with nothing left unprocessed.
    AllProcessed,
}

/// The next request of `workload` on connection `connection`: target, body and check.
pub fn next_request(
    shape: &Shape,
    workload: Workload,
    rng: &mut Rng,
    connection: u64,
) -> (&'static str, Bytes, Expect) {
    let random_key = |rng: &mut Rng| rng.below(shape.items);
    match workload {
        Workload::Get => (GET_ITEM, shape.get(random_key(rng)), Expect::Item),
        Workload::Put => (PUT_ITEM, shape.put(random_key(rng)), Expect::Ok),
        Workload::Query => (QUERY, shape.query(), Expect::FullPartition),
        Workload::Mixed => {
            if rng.next_u64() & 1 == 0 {
                (GET_ITEM, shape.get(random_key(rng)), Expect::Item)
            } else {
                (PUT_ITEM, shape.put(random_key(rng)), Expect::Ok)
            }
        }
        Workload::Cond => (UPDATE_ITEM, shape.cond(random_key(rng)), Expect::Ok),
        Workload::Batch => {
            let keys = shape.disjoint_keys(rng, connection, BATCH_SIZE);
            (BATCH_WRITE_ITEM, shape.batch(&keys), Expect::AllProcessed)
        }
        Workload::Transact => {
            let keys = shape.disjoint_keys(rng, connection, TRANSACT_SIZE);
            (TRANSACT_WRITE_ITEMS, shape.transact(&keys), Expect::Ok)
        }
    }
}

/// Checks a 200 answer against `expect`; `Err` names what is wrong.
pub fn check(expect: Expect, body: &[u8]) -> Result<(), &'static str> {
    match expect {
        Expect::Ok => Ok(()),
        Expect::Item => {
            if contains(body, br#""Item""#) {
                Ok(())
            } else {
                Err("GetItem found no item")
            }
        }
        Expect::FullPartition => {
            if contains(body, br#""LastEvaluatedKey""#) {
                return Err("Query needed more than one page");
            }
            match json_number_after(body, br#""Count""#) {
                Some(count) if count == QUERY_ITEMS as u64 => Ok(()),
                _ => Err("Query returned the wrong number of items"),
            }
        }
        Expect::AllProcessed => match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(value)
                if value
                    .get("UnprocessedItems")
                    .and_then(|u| u.as_object())
                    .is_none_or(|u| u.is_empty()) =>
            {
                Ok(())
            }
            _ => Err("BatchWriteItem left items unprocessed"),
        },
    }
}

/// Where `needle` first occurs in `haystack`. A vectorized search: the load generator scans
/// every answer, and a byte-by-byte window search over a 100 KiB Query page cost it about as
/// much CPU as the server spent answering, so that `query` measured the generator.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

/// The unsigned integer following `"name"` and a colon.
fn json_number_after(body: &[u8], name: &[u8]) -> Option<u64> {
    let rest = body.get(find(body, name)? + name.len()..)?;
    let rest = rest
        .trim_ascii_start()
        .strip_prefix(b":")?
        .trim_ascii_start();
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(rest.get(..digits)?).ok()?.parse().ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_valid_json_of_the_right_size() {
        let shape = Shape::new("bench".into(), 100, 4);
        let mut rng = Rng::new(7);
        for workload in Workload::ALL {
            for connection in 0..4 {
                let (_, body, _) = next_request(&shape, workload, &mut rng, connection);
                let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
                assert!(value.is_object());
            }
        }
        let put: serde_json::Value = serde_json::from_slice(&shape.put(3)).unwrap();
        let item = serde_json::to_string(&put["Item"]).unwrap();
        assert!((1000..1100).contains(&item.len()), "{}", item.len());
        let query: serde_json::Value =
            serde_json::from_slice(&shape.batch_query_partition(0, 25)).unwrap();
        assert_eq!(query["RequestItems"]["bench"].as_array().unwrap().len(), 25);
    }

    #[test]
    fn multi_item_writes_use_distinct_keys_per_connection() {
        let shape = Shape::new("t".into(), 100, 16);
        let mut rng = Rng::new(1);
        for connection in 0..16 {
            let keys = shape.disjoint_keys(&mut rng, connection, BATCH_SIZE);
            let mut sorted = keys.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), BATCH_SIZE);
            assert!(keys.iter().all(|k| k % 16 == connection));
        }
    }

    #[test]
    fn answers_are_checked() {
        assert!(check(Expect::Item, br#"{"Item":{}}"#).is_ok());
        assert!(check(Expect::Item, b"{}").is_err());
        assert!(check(Expect::FullPartition, br#"{"Count": 100,"Items":[]}"#).is_ok());
        assert!(check(Expect::FullPartition, br#"{"Count":99}"#).is_err());
        assert!(check(Expect::AllProcessed, br#"{"UnprocessedItems":{}}"#).is_ok());
        assert!(check(Expect::AllProcessed, br#"{"UnprocessedItems":{"t":[]}}"#).is_err());
        assert_eq!(
            Workload::parse_list("get, put,get").unwrap(),
            [Workload::Get, Workload::Put]
        );
        assert_eq!(Workload::parse_list("all").unwrap().len(), 7);
        assert!(Workload::parse_list("scan").is_err());
    }
}
