//! Durability under a crash: a child process (this test binary, re-executed) commits
//! transactions from many tasks and prints each acknowledged key; the parent kills it with
//! SIGKILL mid-stream, reopens the store and checks that every acknowledged key is there.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::ops::Bound;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use palisade_storage::{Storage, WriteTxn};
use palisade_storage_fjall::FjallStorage;

/// Set in the child: the store directory and the key prefix to write.
const DIR_VAR: &str = "PALISADE_CRASH_TEST_DIR";
const PREFIX_VAR: &str = "PALISADE_CRASH_TEST_PREFIX";
const CHILD_TEST: &str = "crash_writer_child";
const ACK: &str = "ACK ";

fn value_for(key: &str) -> Vec<u8> {
    key.as_bytes().iter().copied().cycle().take(1024).collect()
}

/// The child's body: writes until killed. Ignored in normal runs; the parent runs it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by crash_loses_no_acknowledged_write as its child process"]
async fn crash_writer_child() {
    let dir = std::env::var(DIR_VAR).expect("the crash test sets the store directory");
    let prefix = std::env::var(PREFIX_VAR).expect("the crash test sets the key prefix");
    let store = Arc::new(FjallStorage::open(Path::new(&dir)).unwrap());
    let mut tasks = Vec::new();
    for task in 0..16 {
        let store = Arc::clone(&store);
        let prefix = prefix.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0u32.. {
                let key = format!("{prefix}-{task:02}-{i:08}");
                let (k, v) = (key.clone().into_bytes(), value_for(&key));
                // Every transaction also bumps a per-task counter, so a multi-key commit is
                // checked too.
                let counter = format!("{prefix}-count-{task:02}").into_bytes();
                store
                    .transact(Box::new(move |txn: &mut dyn WriteTxn| {
                        txn.put(&k, &v);
                        txn.put(&counter, &(i + 1).to_be_bytes());
                        Ok(())
                    }))
                    .await
                    .unwrap();
                println!("{ACK}{key}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// Runs the child against `dir` until it has acknowledged `kill_after` keys, kills it and
/// returns every key it acknowledged.
fn run_and_kill(dir: &Path, prefix: &str, kill_after: usize) -> Vec<String> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([CHILD_TEST, "--exact", "--ignored", "--nocapture"])
        .env(DIR_VAR, dir)
        .env(PREFIX_VAR, prefix)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acked = Vec::new();
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        if let Some(key) = line.unwrap().strip_prefix(ACK) {
            acked.push(key.to_owned());
            if acked.len() >= kill_after {
                break;
            }
        }
    }
    // `Child::kill` sends SIGKILL on Unix: no destructor or flush runs in the child.
    child.kill().unwrap();
    // Lines already written before the kill were acknowledged too.
    for line in lines {
        if let Some(key) = line.unwrap().strip_prefix(ACK) {
            acked.push(key.to_owned());
        }
    }
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the child should have been killed, got {status}"
    );
    acked
}

#[tokio::test]
async fn crash_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut all_acked: Vec<String> = Vec::new();
    for (round, kill_after) in [(0, 40), (1, 400), (2, 1500)] {
        let prefix = format!("r{round}");
        let acked = run_and_kill(dir.path(), &prefix, kill_after);
        assert!(
            acked.len() >= kill_after,
            "round {round}: only {} acks",
            acked.len()
        );
        all_acked.extend(acked);

        let store = FjallStorage::open(dir.path()).unwrap();
        let snap = store.snapshot().unwrap();
        for key in &all_acked {
            let value = snap.get(key.as_bytes()).unwrap();
            assert_eq!(
                value,
                Some(value_for(key)),
                "acknowledged key {key} lost or damaged"
            );
        }
        // Each task's counter matches its data keys: no transaction was half applied, and the
        // counter covers at least every acknowledged key of its task.
        for task in 0..16 {
            let data_prefix = format!("{prefix}-{task:02}-");
            let end = palisade_storage::keyenc::prefix_successor(data_prefix.as_bytes()).unwrap();
            let stored = snap
                .range(
                    Bound::Included(data_prefix.as_bytes()),
                    Bound::Excluded(&end),
                    false,
                )
                .count() as u32;
            let counter = snap
                .get(format!("{prefix}-count-{task:02}").as_bytes())
                .unwrap()
                .map_or(0, |v| u32::from_be_bytes(v.try_into().unwrap()));
            assert_eq!(stored, counter, "round {round} task {task}");
            let acked = all_acked
                .iter()
                .filter(|k| k.starts_with(&data_prefix))
                .count() as u32;
            assert!(
                counter >= acked,
                "round {round} task {task}: {counter} < {acked}"
            );
        }
    }
}
