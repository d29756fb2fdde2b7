//! Behaviour of the fjall backend beyond the shared conformance suite: reopening, the format
//! version, keys fjall cannot store, and panicking transaction functions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ops::Bound;
use std::sync::Arc;

use palisade_storage::{Storage, StorageError, TransactError, WriteTxn};
use palisade_storage_fjall::{FORMAT_VERSION, FjallStorage};

async fn put(store: &FjallStorage, key: &[u8], value: &[u8]) -> Result<(), TransactError> {
    let (key, value) = (key.to_vec(), value.to_vec());
    store
        .transact(Box::new(move |txn: &mut dyn WriteTxn| {
            txn.put(&key, &value);
            Ok(())
        }))
        .await
}

#[tokio::test]
async fn data_survives_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = FjallStorage::open(dir.path()).unwrap();
        put(&store, b"kept", b"value").await.unwrap();
        put(&store, b"gone", b"value").await.unwrap();
        store
            .transact(Box::new(|txn: &mut dyn WriteTxn| {
                txn.delete(b"gone");
                Ok(())
            }))
            .await
            .unwrap();
    }
    let store = FjallStorage::open(dir.path()).unwrap();
    let snap = store.snapshot().unwrap();
    assert_eq!(snap.get(b"kept").unwrap(), Some(b"value".to_vec()));
    assert_eq!(snap.get(b"gone").unwrap(), None);
    assert_eq!(
        snap.range(Bound::Unbounded, Bound::Unbounded, true).count(),
        1
    );
}

#[tokio::test]
async fn another_format_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(FjallStorage::open(dir.path()).unwrap());
    {
        let db = fjall::Database::builder(dir.path()).open().unwrap();
        let meta = db
            .keyspace("meta", fjall::KeyspaceCreateOptions::default)
            .unwrap();
        assert_eq!(
            meta.get("format_version").unwrap().as_deref(),
            Some(&FORMAT_VERSION.to_be_bytes()[..])
        );
        meta.insert("format_version", 99u32.to_be_bytes()).unwrap();
        db.persist(fjall::PersistMode::SyncAll).unwrap();
    }
    match FjallStorage::open(dir.path()) {
        Err(StorageError::Corrupt(message)) => assert!(message.contains("99"), "{message}"),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a store with format version 99 was opened"),
    }
}

#[tokio::test]
async fn keys_fjall_cannot_store_fail_the_transaction_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = FjallStorage::open(dir.path()).unwrap();
    for key in [Vec::new(), vec![b'k'; 65_536]] {
        let result = put(&store, &key, b"v").await;
        assert!(
            matches!(result, Err(TransactError::Storage(StorageError::Io(_)))),
            "{result:?}"
        );
        assert_eq!(store.snapshot().unwrap().get(&key).unwrap(), None);
    }
    let longest = vec![b'k'; 65_535];
    put(&store, &longest, b"v").await.unwrap();
    assert_eq!(
        store.snapshot().unwrap().get(&longest).unwrap(),
        Some(b"v".to_vec())
    );
}

#[tokio::test]
async fn a_panicking_transaction_panics_its_caller_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(FjallStorage::open(dir.path()).unwrap());
    let panicking = {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            store
                .transact(Box::new(|txn: &mut dyn WriteTxn| {
                    txn.put(b"half", b"written");
                    panic!("deliberate panic in a transaction");
                }))
                .await
        })
    };
    let error = panicking.await.unwrap_err();
    assert!(error.is_panic());
    // The writer survived and the panicking transaction left nothing behind.
    put(&store, b"after", b"ok").await.unwrap();
    let snap = store.snapshot().unwrap();
    assert_eq!(snap.get(b"half").unwrap(), None);
    assert_eq!(snap.get(b"after").unwrap(), Some(b"ok".to_vec()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn readers_do_not_wait_for_a_busy_writer() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(FjallStorage::open(dir.path()).unwrap());
    put(&store, b"k", b"before").await.unwrap();
    let (entered_tx, entered_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let release_rx = std::sync::Mutex::new(release_rx);
    let writer = {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            store
                .transact(Box::new(move |txn: &mut dyn WriteTxn| {
                    txn.put(b"k", b"after");
                    entered_tx.send(()).unwrap();
                    // Hold the writer inside this transaction until the reader has read.
                    release_rx.lock().unwrap().recv().unwrap();
                    Ok(())
                }))
                .await
        })
    };
    tokio::task::spawn_blocking(move || entered_rx.recv().unwrap())
        .await
        .unwrap();
    // The writer is busy: a snapshot is still available and shows the committed state.
    assert_eq!(
        store.snapshot().unwrap().get(b"k").unwrap(),
        Some(b"before".to_vec())
    );
    release_tx.send(()).unwrap();
    writer.await.unwrap().unwrap();
    assert_eq!(
        store.snapshot().unwrap().get(b"k").unwrap(),
        Some(b"after".to_vec())
    );
}
