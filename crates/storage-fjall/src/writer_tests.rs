//! The group semantics of the writer, with jobs queued before it starts so that they all form
//! one group.

use std::ops::Bound;
use std::sync::mpsc;

use fjall::KeyspaceCreateOptions;
use palisade_storage::{ReadView, WriteTxn};
use parking_lot::Mutex;

use super::*;

type Seen = Arc<Mutex<Vec<String>>>;

fn job(
    jobs: &mpsc::Sender<Job>,
    f: impl FnMut(&mut dyn WriteTxn) -> Result<(), Abort> + Send + 'static,
) -> oneshot::Receiver<Reply> {
    let (reply, answer) = oneshot::channel();
    jobs.send(Job {
        f: Box::new(f),
        reply,
    })
    .unwrap();
    answer
}

fn outcome(answer: oneshot::Receiver<Reply>) -> Result<(), TransactError> {
    match answer.blocking_recv().unwrap() {
        Ok(outcome) => outcome,
        Err(_) => panic!("unexpected panic outcome"),
    }
}

fn keys(txn: &dyn WriteTxn, reverse: bool) -> String {
    txn.range(Bound::Unbounded, Bound::Unbounded, reverse)
        .map(|e| String::from_utf8(e.unwrap().0).unwrap())
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn one_group_sees_earlier_jobs_drops_aborted_ones_and_syncs_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::builder(dir.path()).open().unwrap();
    let data = db.keyspace("data", KeyspaceCreateOptions::default).unwrap();
    // Committed before the group.
    data.insert("z", "0").unwrap();
    let seen: Seen = Arc::default();
    let (jobs, queue) = mpsc::channel();

    let first = job(&jobs, |t| {
        t.put(b"a", b"1");
        Ok(())
    });
    let s = Arc::clone(&seen);
    let second = job(&jobs, move |t| {
        s.lock().push(format!("a={:?}", t.get(b"a")?));
        t.put(b"b", b"2");
        Ok(())
    });
    let aborted = job(&jobs, |t| {
        t.put(b"c", b"3");
        t.delete(b"a");
        Err(Abort)
    });
    let s = Arc::clone(&seen);
    let fourth = job(&jobs, move |t| {
        s.lock().push(format!("c={:?}", t.get(b"c")?));
        s.lock().push(keys(t, false));
        t.put(b"d", b"4");
        t.delete(b"z");
        s.lock().push(keys(t, true));
        Ok(())
    });
    let bad_key = job(&jobs, |t| {
        t.put(b"", b"empty key");
        Ok(())
    });
    let panicking = job(&jobs, |t| {
        t.put(b"p", b"never");
        panic!("deliberate panic in a transaction");
    });
    let s = Arc::clone(&seen);
    let last = job(&jobs, move |t| {
        s.lock().push(keys(t, false));
        Ok(())
    });
    drop(jobs);

    let counters = Arc::new(Counters::default());
    run(db.clone(), data.clone(), queue, Arc::clone(&counters));

    assert!(outcome(first).is_ok());
    assert!(outcome(second).is_ok());
    assert!(matches!(outcome(aborted), Err(TransactError::Aborted)));
    assert!(outcome(fourth).is_ok());
    assert!(matches!(
        outcome(bad_key),
        Err(TransactError::Storage(StorageError::Io(_)))
    ));
    assert!(
        panicking.blocking_recv().unwrap().is_err(),
        "the panic is handed back"
    );
    assert!(outcome(last).is_ok());
    assert_eq!(
        *seen.lock(),
        ["a=Some([49])", "c=None", "a,b,z", "d,b,a", "a,b,d",]
    );
    assert_eq!(counters.groups.load(Ordering::Relaxed), 1);
    assert_eq!(counters.syncs.load(Ordering::Relaxed), 1);
    assert_eq!(counters.transactions.load(Ordering::Relaxed), 7);

    let snapshot = SnapshotView {
        snapshot: db.snapshot(),
        data,
    };
    let stored: Vec<_> = snapshot
        .range(Bound::Unbounded, Bound::Unbounded, false)
        .map(|e| e.unwrap())
        .collect();
    assert_eq!(
        stored,
        [
            (b"a".to_vec(), b"1".to_vec()),
            (b"b".to_vec(), b"2".to_vec()),
            (b"d".to_vec(), b"4".to_vec()),
        ]
    );
}
