//! The randomised part of the conformance suite: random transactions checked step by step
//! against a sorted map, including reads inside transactions and old snapshots.

use std::ops::Bound;

use super::{Model, collect, in_bounds};
use crate::{Abort, ReadView, Storage, TransactError, WriteTxn};

/// A small deterministic generator (SplitMix64), so that a failing seed can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Short keys over bytes that exercise ordering edges (0x00, 0xFF, shared prefixes).
    fn key(&mut self, allow_empty: bool) -> Vec<u8> {
        const ALPHABET: [u8; 4] = [0x00, b'a', b'b', 0xFF];
        let len = if allow_empty {
            self.below(4)
        } else {
            1 + self.below(3)
        };
        (0..len)
            .map(|_| ALPHABET[self.below(ALPHABET.len())])
            .collect()
    }

    fn bound(&mut self) -> Bound<Vec<u8>> {
        match self.below(3) {
            0 => Bound::Unbounded,
            1 => Bound::Included(self.key(true)),
            _ => Bound::Excluded(self.key(true)),
        }
    }
}

/// One step of a random transaction.
#[derive(Debug, Clone)]
enum Op {
    Put(Vec<u8>, Vec<u8>),
    Delete(Vec<u8>),
    Get(Vec<u8>),
    Range(Bound<Vec<u8>>, Bound<Vec<u8>>, bool),
}

fn random_ops(rng: &mut Rng, round: usize) -> Vec<Op> {
    (0..1 + rng.below(10))
        .map(|i| match rng.below(4) {
            0 => Op::Put(rng.key(false), format!("{round}.{i}").into_bytes()),
            1 => Op::Delete(rng.key(false)),
            2 => Op::Get(rng.key(false)),
            _ => Op::Range(rng.bound(), rng.bound(), rng.below(2) == 0),
        })
        .collect()
}

/// Runs `ops` in `txn`, checking every read against `model` with the transaction's own
/// writes applied so far; returns the model as the transaction leaves it.
fn run_ops(txn: &mut dyn WriteTxn, ops: &[Op], mut model: Model) -> Result<Model, Abort> {
    for op in ops {
        match op {
            Op::Put(k, v) => {
                txn.put(k, v);
                model.insert(k.clone(), v.clone());
            }
            Op::Delete(k) => {
                txn.delete(k);
                model.remove(k);
            }
            Op::Get(k) => assert_eq!(txn.get(k)?, model.get(k).cloned(), "get {k:?} in txn"),
            Op::Range(start, end, rev) => {
                let (start, end) = (
                    start.as_ref().map(Vec::as_slice),
                    end.as_ref().map(Vec::as_slice),
                );
                let expected: Model = model
                    .iter()
                    .filter(|(k, _)| in_bounds(k, start, end))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let got = collect(&*txn, start, end, *rev);
                assert_eq!(
                    got, expected,
                    "range {start:?}..{end:?} (reverse: {rev}) in txn"
                );
            }
        }
    }
    Ok(model)
}

fn check_view(view: &dyn ReadView, model: &Model, what: &str) {
    assert_eq!(
        collect(view, Bound::Unbounded, Bound::Unbounded, false),
        *model,
        "{what}"
    );
    assert_eq!(
        collect(view, Bound::Unbounded, Bound::Unbounded, true),
        *model,
        "{what}"
    );
    for k in model.keys() {
        assert_eq!(
            view.get(k).unwrap().as_ref(),
            model.get(k),
            "{what}: get {k:?}"
        );
    }
}

/// `rounds` random transactions (about one in five aborted) from the generator seeded with
/// `seed`, every read inside them checked against a sorted map, the committed state checked
/// after each, and snapshots checked again after later commits.
pub async fn random_transactions<S: Storage>(store: &S, seed: u64, rounds: usize) {
    let mut rng = Rng(seed);
    let mut model = Model::new();
    let mut old: Vec<(Box<dyn ReadView + '_>, Model)> = Vec::new();
    for round in 0..rounds {
        let ops = random_ops(&mut rng, round);
        let abort = rng.below(5) == 0;
        let before = model.clone();
        let result: std::sync::Arc<parking_lot::Mutex<Option<Model>>> = Default::default();
        let out = std::sync::Arc::clone(&result);
        let outcome = store
            .transact(Box::new(move |txn: &mut dyn WriteTxn| {
                let after = run_ops(txn, &ops, before.clone())?;
                *out.lock() = Some(after);
                if abort { Err(Abort) } else { Ok(()) }
            }))
            .await;
        match outcome {
            Ok(()) => model = result.lock().take().expect("the transaction ran"),
            Err(TransactError::Aborted) => assert!(abort, "seed {seed} round {round}: aborted"),
            Err(e) => panic!("seed {seed} round {round}: {e}"),
        }
        let snapshot = store.snapshot().unwrap();
        check_view(&*snapshot, &model, &format!("seed {seed} round {round}"));
        if rng.below(8) == 0 {
            old.push((snapshot, model.clone()));
        }
    }
    for (i, (snapshot, expected)) in old.iter().enumerate() {
        check_view(
            &**snapshot,
            expected,
            &format!("seed {seed}: old snapshot {i}"),
        );
    }
}
