//! The conformance suite every storage backend must pass. Backends call [`run_all`] from their
//! tests (inside a Tokio runtime) with a function that makes a fresh, empty store; each check
//! panics with a description when the backend misbehaves.
//!
//! The checks compare the backend against a plain sorted map (the model) wherever they can.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a conformance check reports a failure by panicking, like a test"
)]

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::{Abort, ReadView, Storage, TransactError, WriteTxn};

#[path = "conformance_random.rs"]
mod random;
pub use random::random_transactions;

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// Runs every check, each against a fresh store from `make`.
pub async fn run_all<S: Storage>(make: impl Fn() -> S) {
    get_put_delete(&make()).await;
    ranges_match_model(&make()).await;
    prefix_scans(&make()).await;
    ranges_inside_transaction(&make()).await;
    read_your_writes(&make()).await;
    abort_discards_writes(&make()).await;
    multi_key_atomicity(Arc::new(make())).await;
    snapshot_isolation(&make()).await;
    concurrent_increments(Arc::new(make()), 100).await;
    large_values(&make()).await;
    many_keys(&make(), 10_000).await;
    for seed in [1, 2, 3] {
        random_transactions(&make(), seed, 200).await;
    }
}

/// Commits `writes` (`None` deletes) in one transaction.
pub async fn commit<S: Storage>(store: &S, writes: Vec<(Vec<u8>, Option<Vec<u8>>)>) {
    store
        .transact(Box::new(move |txn: &mut dyn WriteTxn| {
            for (k, v) in &writes {
                match v {
                    Some(v) => txn.put(k, v),
                    None => txn.delete(k),
                }
            }
            Ok(())
        }))
        .await
        .expect("commit failed");
}

fn put(k: &[u8], v: &[u8]) -> (Vec<u8>, Option<Vec<u8>>) {
    (k.to_vec(), Some(v.to_vec()))
}

fn del(k: &[u8]) -> (Vec<u8>, Option<Vec<u8>>) {
    (k.to_vec(), None)
}

/// Reads `key` both ways ([`ReadView::get`] and [`ReadView::get_shared`]), checks that they
/// agree, and returns the value.
fn read(view: &dyn ReadView, key: &[u8]) -> Option<Vec<u8>> {
    let copied = view.get(key).expect("get failed");
    let shared = view.get_shared(key).expect("get_shared failed");
    assert_eq!(
        shared.as_deref(),
        copied.as_deref(),
        "get_shared disagrees with get for {key:?}"
    );
    copied
}

/// A range read both ways ([`ReadView::range`] and [`ReadView::range_shared`]): checks that
/// they agree and that keys come in order, and returns the entries.
fn collect(view: &dyn ReadView, start: Bound<&[u8]>, end: Bound<&[u8]>, rev: bool) -> Model {
    let copied = collect_copied(view, start, end, rev);
    let shared: Vec<(Vec<u8>, Vec<u8>)> = view
        .range_shared(start, end, rev)
        .map(|e| e.map(|(k, v)| (k.to_vec(), v.to_vec())))
        .collect::<Result<_, _>>()
        .expect("range_shared failed");
    let mut expected: Vec<(Vec<u8>, Vec<u8>)> = copied.clone().into_iter().collect();
    if rev {
        expected.reverse();
    }
    assert_eq!(
        shared, expected,
        "range_shared disagrees with range {start:?}..{end:?} (reverse: {rev})"
    );
    copied
}

fn collect_copied(view: &dyn ReadView, start: Bound<&[u8]>, end: Bound<&[u8]>, rev: bool) -> Model {
    let mut out = Model::new();
    let mut last: Option<Vec<u8>> = None;
    for entry in view.range(start, end, rev) {
        let (k, v) = entry.expect("range failed");
        if let Some(prev) = &last {
            let in_order = if rev { prev > &k } else { prev < &k };
            assert!(
                in_order,
                "range out of order: {prev:?} then {k:?} (reverse: {rev})"
            );
        }
        last = Some(k.clone());
        out.insert(k, v);
    }
    out
}

fn in_bounds(k: &[u8], start: Bound<&[u8]>, end: Bound<&[u8]>) -> bool {
    let after_start = match start {
        Bound::Included(s) => k >= s,
        Bound::Excluded(s) => k > s,
        Bound::Unbounded => true,
    };
    let before_end = match end {
        Bound::Included(e) => k <= e,
        Bound::Excluded(e) => k < e,
        Bound::Unbounded => true,
    };
    after_start && before_end
}

fn model_range(model: &Model, start: Bound<&[u8]>, end: Bound<&[u8]>) -> Model {
    model
        .iter()
        .filter(|(k, _)| in_bounds(k, start, end))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Every bound built from `probes`, plus unbounded.
fn bounds(probes: &[Vec<u8>]) -> Vec<Bound<&[u8]>> {
    let mut out = vec![Bound::Unbounded];
    for p in probes {
        out.push(Bound::Included(p.as_slice()));
        out.push(Bound::Excluded(p.as_slice()));
    }
    out
}

/// Checks every range (all bound kinds, both directions) of `view` against `model`.
fn check_all_ranges(view: &dyn ReadView, model: &Model, probes: &[Vec<u8>]) {
    let bs = bounds(probes);
    for &start in &bs {
        for &end in &bs {
            let expected = model_range(model, start, end);
            for rev in [false, true] {
                let got = collect(view, start, end, rev);
                assert_eq!(got, expected, "range {start:?}..{end:?} (reverse: {rev})");
            }
        }
    }
}

/// Point reads, overwrites and deletes, seen through snapshots.
pub async fn get_put_delete<S: Storage>(store: &S) {
    assert_eq!(read(&*store.snapshot().unwrap(), b"a"), None);
    commit(store, vec![put(b"a", b"1"), put(b"b", b"2")]).await;
    let snap = store.snapshot().unwrap();
    assert_eq!(read(&*snap, b"a"), Some(b"1".to_vec()));
    assert_eq!(read(&*snap, b"b"), Some(b"2".to_vec()));
    assert_eq!(read(&*snap, b"c"), None);
    drop(snap);
    commit(
        store,
        vec![put(b"a", b"one"), del(b"b"), del(b"never-written")],
    )
    .await;
    let snap = store.snapshot().unwrap();
    assert_eq!(read(&*snap, b"a"), Some(b"one".to_vec()));
    assert_eq!(read(&*snap, b"b"), None);
    assert_eq!(read(&*snap, b"never-written"), None);
    // An empty value is a value, not a delete.
    drop(snap);
    commit(store, vec![put(b"empty", b"")]).await;
    assert_eq!(
        read(&*store.snapshot().unwrap(), b"empty"),
        Some(Vec::new())
    );
}

fn range_fixture() -> (Model, Vec<Vec<u8>>) {
    let keys: [&[u8]; 10] = [
        b"\x00",
        b"a",
        b"a\x00",
        b"a\xff",
        b"ab",
        b"b",
        b"ba",
        b"c",
        b"c\xff\xff",
        b"\xff",
    ];
    let model: Model = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.to_vec(), format!("v{i}").into_bytes()))
        .collect();
    let mut probes: Vec<Vec<u8>> = keys.iter().map(|k| k.to_vec()).collect();
    probes.extend([
        b"".to_vec(),
        b"aa".to_vec(),
        b"bz".to_vec(),
        b"\xff\xff".to_vec(),
    ]);
    (model, probes)
}

/// Ranges in both directions with every combination of bounds (present keys, absent keys,
/// inverted and empty ranges), and early termination.
pub async fn ranges_match_model<S: Storage>(store: &S) {
    let (model, probes) = range_fixture();
    commit(store, model.iter().map(|(k, v)| put(k, v)).collect()).await;
    let snap = store.snapshot().unwrap();
    check_all_ranges(&*snap, &model, &probes);
    let first: Vec<_> = snap
        .range(Bound::Unbounded, Bound::Unbounded, false)
        .take(2)
        .map(|e| e.unwrap().0)
        .collect();
    assert_eq!(first, [b"\x00".to_vec(), b"a".to_vec()]);
    let last: Vec<_> = snap
        .range(Bound::Unbounded, Bound::Unbounded, true)
        .take(2)
        .map(|e| e.unwrap().0)
        .collect();
    assert_eq!(last, [b"\xff".to_vec(), b"c\xff\xff".to_vec()]);
}

/// Prefix scans with [`crate::keyenc::prefix_successor`] as the exclusive end.
pub async fn prefix_scans<S: Storage>(store: &S) {
    let mut model = Model::new();
    for prefix in [&b"t1"[..], b"t1\xff", b"t2", b"t\xff"] {
        for i in 0..5u8 {
            let mut k = prefix.to_vec();
            k.extend([0, i]);
            model.insert(k, vec![i]);
        }
    }
    commit(store, model.iter().map(|(k, v)| put(k, v)).collect()).await;
    let snap = store.snapshot().unwrap();
    for prefix in [&b"t1"[..], b"t1\xff", b"t2", b"t", b"t\xff", b"u", b""] {
        let end = crate::keyenc::prefix_successor(prefix);
        let end_bound = end.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
        let expected: Model = model
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for rev in [false, true] {
            let got = collect(&*snap, Bound::Included(prefix), end_bound, rev);
            assert_eq!(got, expected, "prefix {prefix:?} (reverse: {rev})");
        }
    }
}

/// Ranges inside a transaction merge its own puts and deletes with committed data, in both
/// directions and for every combination of bounds.
pub async fn ranges_inside_transaction<S: Storage>(store: &S) {
    let (mut model, probes) = range_fixture();
    commit(store, model.iter().map(|(k, v)| put(k, v)).collect()).await;
    let pending = vec![
        put(b"a", b"changed"),
        del(b"a\x00"),
        put(b"aa", b"new"),
        del(b"ba"),
        del(b"absent"),
        put(b"\xff\xff", b"new-last"),
        put(b"\x00", b"changed-first"),
        del(b"\xff"),
    ];
    for (k, v) in &pending {
        match v {
            Some(v) => model.insert(k.clone(), v.clone()),
            None => model.remove(k),
        };
    }
    let checked = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&checked);
    let result = store
        .transact(Box::new(move |txn: &mut dyn WriteTxn| {
            for (k, v) in &pending {
                match v {
                    Some(v) => txn.put(k, v),
                    None => txn.delete(k),
                }
            }
            check_all_ranges(&*txn, &model, &probes);
            for (k, v) in &model {
                assert_eq!(read(&*txn, k).as_ref(), Some(v));
            }
            assert_eq!(read(&*txn, b"ba"), None);
            flag.store(true, Ordering::SeqCst);
            Err(Abort)
        }))
        .await;
    assert!(matches!(result, Err(TransactError::Aborted)));
    assert!(
        checked.load(Ordering::SeqCst),
        "transaction body did not run"
    );
    // The aborted writes left the committed data untouched.
    let (original, probes) = range_fixture();
    check_all_ranges(&*store.snapshot().unwrap(), &original, &probes);
}

/// A transaction reads its own puts and deletes, including repeated writes of one key.
pub async fn read_your_writes<S: Storage>(store: &S) {
    commit(store, vec![put(b"k", b"old"), put(b"gone", b"x")]).await;
    store
        .transact(Box::new(|txn: &mut dyn WriteTxn| {
            assert_eq!(read(&*txn, b"k"), Some(b"old".to_vec()));
            txn.put(b"k", b"new");
            assert_eq!(read(&*txn, b"k"), Some(b"new".to_vec()));
            txn.delete(b"k");
            assert_eq!(read(&*txn, b"k"), None);
            txn.put(b"k", b"newest");
            assert_eq!(read(&*txn, b"k"), Some(b"newest".to_vec()));
            txn.delete(b"gone");
            assert_eq!(read(&*txn, b"gone"), None);
            Ok(())
        }))
        .await
        .unwrap();
    let snap = store.snapshot().unwrap();
    assert_eq!(read(&*snap, b"k"), Some(b"newest".to_vec()));
    assert_eq!(read(&*snap, b"gone"), None);
}

/// Returning [`Abort`] discards every write, and the next transaction does not see them.
pub async fn abort_discards_writes<S: Storage>(store: &S) {
    commit(store, vec![put(b"keep", b"1")]).await;
    let result = store
        .transact(Box::new(|txn: &mut dyn WriteTxn| {
            txn.put(b"keep", b"2");
            txn.put(b"new", b"x");
            txn.delete(b"keep");
            Err(Abort)
        }))
        .await;
    assert!(matches!(result, Err(TransactError::Aborted)), "{result:?}");
    store
        .transact(Box::new(|txn: &mut dyn WriteTxn| {
            assert_eq!(read(&*txn, b"keep"), Some(b"1".to_vec()));
            assert_eq!(read(&*txn, b"new"), None);
            Ok(())
        }))
        .await
        .unwrap();
    let snap = store.snapshot().unwrap();
    assert_eq!(read(&*snap, b"keep"), Some(b"1".to_vec()));
    assert_eq!(read(&*snap, b"new"), None);
}

/// Readers never see half of a multi-key transaction.
pub async fn multi_key_atomicity<S: Storage>(store: Arc<S>) {
    const ROUNDS: u32 = 50;
    let keys: Vec<Vec<u8>> = (0..8u8).map(|i| vec![b'm', i]).collect();
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let store = Arc::clone(&store);
        let keys = keys.clone();
        let done = Arc::clone(&done);
        tokio::spawn(async move {
            for round in 0..ROUNDS {
                let value = round.to_be_bytes().to_vec();
                commit(&*store, keys.iter().map(|k| put(k, &value)).collect()).await;
            }
            done.store(true, Ordering::SeqCst);
        })
    };
    let mut observations = 0;
    loop {
        let finished = done.load(Ordering::SeqCst);
        let snap = store.snapshot().unwrap();
        let values: Vec<Option<Vec<u8>>> = keys.iter().map(|k| read(&*snap, k)).collect();
        assert!(
            values.windows(2).all(|w| w[0] == w[1]),
            "torn read: {values:?}"
        );
        let scanned = collect(&*snap, Bound::Unbounded, Bound::Unbounded, false);
        assert!(
            scanned.is_empty() || scanned.len() == keys.len(),
            "torn scan"
        );
        assert!(
            scanned.values().all(|v| Some(v) == values[0].as_ref()),
            "torn scan"
        );
        drop(snap);
        observations += 1;
        if finished {
            break;
        }
        tokio::task::yield_now().await;
    }
    writer.await.unwrap();
    let last = (ROUNDS - 1).to_be_bytes().to_vec();
    let snap = store.snapshot().unwrap();
    for k in &keys {
        assert_eq!(read(&*snap, k), Some(last.clone()));
    }
    assert!(observations > 0);
}

/// A snapshot keeps showing the data as of its creation while later transactions commit.
pub async fn snapshot_isolation<S: Storage>(store: &S) {
    commit(store, vec![put(b"a", b"1"), put(b"b", b"1")]).await;
    let before = store.snapshot().unwrap();
    commit(store, vec![put(b"a", b"2"), del(b"b"), put(b"c", b"2")]).await;
    let middle = store.snapshot().unwrap();
    commit(store, vec![put(b"a", b"3")]).await;
    let expected_before: Model = [put(b"a", b"1"), put(b"b", b"1")]
        .into_iter()
        .map(|(k, v)| (k, v.unwrap()))
        .collect();
    assert_eq!(read(&*before, b"a"), Some(b"1".to_vec()));
    assert_eq!(read(&*before, b"c"), None);
    assert_eq!(
        collect(&*before, Bound::Unbounded, Bound::Unbounded, false),
        expected_before
    );
    assert_eq!(
        collect(&*before, Bound::Unbounded, Bound::Unbounded, true),
        expected_before
    );
    assert_eq!(read(&*middle, b"a"), Some(b"2".to_vec()));
    assert_eq!(read(&*middle, b"b"), None);
    assert_eq!(read(&*store.snapshot().unwrap(), b"a"), Some(b"3".to_vec()));
}

/// `tasks` concurrent read-increment-write transactions on one counter end with the exact
/// count (no lost update: transactions are serialisable).
pub async fn concurrent_increments<S: Storage>(store: Arc<S>, tasks: u64) {
    let mut handles = Vec::new();
    for i in 0..tasks {
        let store = Arc::clone(&store);
        handles.push(tokio::spawn(async move {
            store
                .transact(Box::new(move |txn: &mut dyn WriteTxn| {
                    let current = match txn.get(b"counter")? {
                        Some(v) => u64::from_be_bytes(v.try_into().map_err(|_| Abort)?),
                        None => 0,
                    };
                    txn.put(b"counter", &(current + 1).to_be_bytes());
                    txn.put(format!("task-{i}").as_bytes(), &current.to_be_bytes());
                    Ok(())
                }))
                .await
        }));
    }
    for h in handles {
        h.await.unwrap().unwrap();
    }
    let snap = store.snapshot().unwrap();
    let counter = read(&*snap, b"counter").unwrap();
    assert_eq!(u64::from_be_bytes(counter.try_into().unwrap()), tasks);
    // Each task saw a distinct counter value: together, exactly 0..tasks.
    let mut seen: Vec<u64> = (0..tasks)
        .map(|i| {
            let v = snap.get(format!("task-{i}").as_bytes()).unwrap().unwrap();
            u64::from_be_bytes(v.try_into().unwrap())
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..tasks).collect::<Vec<_>>());
}

/// Values of 400 KB (DynamoDB's item size limit) are stored and read back intact.
pub async fn large_values<S: Storage>(store: &S) {
    let big: Vec<u8> = (0..400 * 1024).map(|i: u32| (i % 251) as u8).collect();
    let other: Vec<u8> = big.iter().rev().copied().collect();
    commit(store, vec![put(b"big1", &big), put(b"big2", &other)]).await;
    let snap = store.snapshot().unwrap();
    assert_eq!(read(&*snap, b"big1").as_ref(), Some(&big));
    let all = collect(&*snap, Bound::Unbounded, Bound::Unbounded, true);
    assert_eq!(all.get(&b"big2"[..]), Some(&other));
    let expected = big.clone();
    store
        .transact(Box::new(move |txn: &mut dyn WriteTxn| {
            assert_eq!(read(&*txn, b"big1").as_ref(), Some(&expected));
            txn.put(b"big3", &expected);
            Ok(())
        }))
        .await
        .unwrap();
    assert_eq!(read(&*store.snapshot().unwrap(), b"big3"), Some(big));
}

/// `count` keys written over several transactions are all found, in order, by scans.
pub async fn many_keys<S: Storage>(store: &S, count: u32) {
    let key = |i: u32| format!("key-{i:08}").into_bytes();
    for chunk in (0..count).collect::<Vec<_>>().chunks(1000) {
        commit(
            store,
            chunk
                .iter()
                .map(|&i| put(&key(i), &i.to_le_bytes()))
                .collect(),
        )
        .await;
    }
    let snap = store.snapshot().unwrap();
    let mut n = 0u32;
    for entry in snap.range(Bound::Unbounded, Bound::Unbounded, false) {
        let (k, v) = entry.unwrap();
        assert_eq!(k, key(n));
        assert_eq!(v, n.to_le_bytes());
        n += 1;
    }
    assert_eq!(n, count);
    let reversed: Vec<Vec<u8>> = snap
        .range(Bound::Unbounded, Bound::Unbounded, true)
        .take(3)
        .map(|e| e.unwrap().0)
        .collect();
    assert_eq!(reversed, [key(count - 1), key(count - 2), key(count - 3)]);
    let mid = count / 2;
    let window = collect(
        &*snap,
        Bound::Included(&key(mid)),
        Bound::Excluded(&key(mid + 10)),
        true,
    );
    assert_eq!(
        window.keys().cloned().collect::<Vec<_>>(),
        (mid..mid + 10).map(key).collect::<Vec<_>>()
    );
    assert_eq!(
        snap.get(&key(count - 1)).unwrap(),
        Some((count - 1).to_le_bytes().to_vec())
    );
}
