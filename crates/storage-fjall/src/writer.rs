//! The writer thread: runs transactions one after another and commits them in groups that
//! share one fsync.
//!
//! The thread takes the first waiting job, then keeps taking jobs that are already queued
//! (up to a limit) while it runs them. Every job of a group runs against the committed data
//! plus the writes of the group's earlier jobs; an aborted job's writes are dropped. The
//! group's writes then go to fjall as one batch, synced once, and only then does any job of
//! the group get its answer.
//!
//! **Gathering.** Callers usually send their next transaction soon after their answer (a
//! client with a few requests in flight, a closed loop). Committing whatever is queued at
//! once would split N such callers into two alternating halves: the jobs that arrived during
//! a sync form the next group, and the callers just answered miss it and wait a whole extra
//! sync. So after a group that synced, the next group waits for as many jobs as were
//! answered plus those that were already queued, but never longer than the last sync took
//! (nor [`MAX_GATHER_WAIT`]): waiting less than a sync to share a sync is never a loss of
//! throughput, and a lone caller (one job answered, none queued) never waits at all.

use std::any::Any;
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use fjall::{Database, Keyspace, PersistMode};
use palisade_storage::overlay::Overlay;
use palisade_storage::{Abort, StorageError, TransactError, TxnFn};
use tokio::sync::oneshot;

use crate::view::{MAX_KEY_LEN, SnapshotView, TxnView, key_is_storable};

/// Most jobs committed by one sync.
const MAX_GROUP_JOBS: usize = 1024;
/// A group stops taking jobs once its writes reach about this many bytes.
const MAX_GROUP_BYTES: usize = 32 << 20;
/// Longest a group waits for the callers of the previous group (see the module's docs).
const MAX_GATHER_WAIT: Duration = Duration::from_millis(10);

/// What a job's caller receives: the transaction's outcome, or the payload of a panic of the
/// transaction function, to be resumed in the caller.
pub(crate) type Reply = Result<Result<(), TransactError>, Box<dyn Any + Send>>;

/// A transaction waiting for the writer.
pub(crate) struct Job {
    pub(crate) f: TxnFn,
    pub(crate) reply: oneshot::Sender<Reply>,
}

/// Counters of the writer's work.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) transactions: AtomicU64,
    pub(crate) groups: AtomicU64,
    pub(crate) syncs: AtomicU64,
}

/// How one job of a group ended, before the group is synced.
enum Outcome {
    Committed,
    Aborted,
    /// The transaction met a storage error, or wrote something fjall cannot store.
    Failed(StorageError),
    Panicked(Box<dyn Any + Send>),
}

/// Runs jobs from `jobs` until every sender is gone.
pub(crate) fn run(db: Database, data: Keyspace, jobs: Receiver<Job>, counters: Arc<Counters>) {
    let mut queue = Queue {
        jobs,
        backlog: VecDeque::new(),
    };
    // What the next group gathers: how many jobs, until when.
    let mut gather: Option<(usize, Instant)> = None;
    while let Some(first) = queue.next_blocking() {
        let committed = SnapshotView {
            snapshot: db.snapshot(),
            data: data.clone(),
        };
        let mut group = Overlay::new();
        let mut group_bytes = 0usize;
        let mut answered: Vec<(oneshot::Sender<Reply>, Outcome)> = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next {
            let outcome = run_job(&committed, &mut group, &mut group_bytes, job.f);
            answered.push((job.reply, outcome));
            next = if answered.len() >= MAX_GROUP_JOBS || group_bytes >= MAX_GROUP_BYTES {
                None
            } else {
                match gather {
                    Some((expected, until)) if answered.len() < expected => queue.next_until(until),
                    _ => queue.next_queued(),
                }
            };
        }
        drop(committed);
        let written = if group.is_empty() {
            gather = None;
            Ok(())
        } else {
            counters.syncs.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let written = commit_group(&db, &data, group);
            let took = started.elapsed();
            // The jobs that arrived during the sync, and the callers about to be answered.
            let expected = queue.take_queued() + answered.len();
            gather = Some((expected, Instant::now() + took.min(MAX_GATHER_WAIT)));
            written
        };
        counters.groups.fetch_add(1, Ordering::Relaxed);
        counters
            .transactions
            .fetch_add(answered.len() as u64, Ordering::Relaxed);
        if let Err(e) = &written {
            tracing::error!(error = %e, jobs = answered.len(), "group commit failed");
        }
        for (reply, outcome) in answered {
            let answer = match (outcome, &written) {
                (Outcome::Panicked(payload), _) => Err(payload),
                (Outcome::Failed(e), _) => Ok(Err(TransactError::Storage(e))),
                // The outcome may rest on writes that were just lost: report the failure.
                (_, Err(e)) => Ok(Err(TransactError::Storage(StorageError::Io(e.to_string())))),
                (Outcome::Committed, Ok(())) => Ok(Ok(())),
                (Outcome::Aborted, Ok(())) => Ok(Err(TransactError::Aborted)),
            };
            // The caller may have stopped waiting; the transaction stands either way.
            let _ = reply.send(answer);
        }
    }
}

/// The writer's incoming jobs: the channel, and the jobs already taken out of it (counted
/// after a sync) but not yet run.
struct Queue {
    jobs: Receiver<Job>,
    backlog: VecDeque<Job>,
}

impl Queue {
    /// The next job, waiting for one; `None` once every sender is gone.
    fn next_blocking(&mut self) -> Option<Job> {
        self.backlog.pop_front().or_else(|| self.jobs.recv().ok())
    }

    /// The next job if one is already waiting.
    fn next_queued(&mut self) -> Option<Job> {
        self.backlog
            .pop_front()
            .or_else(|| self.jobs.try_recv().ok())
    }

    /// The next job, waiting for one until `until` at the latest.
    fn next_until(&mut self, until: Instant) -> Option<Job> {
        if let Some(job) = self.next_queued() {
            return Some(job);
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        self.jobs.recv_timeout(left).ok()
    }

    /// Moves every job waiting in the channel to the backlog; returns how many wait in all.
    fn take_queued(&mut self) -> usize {
        while let Ok(job) = self.jobs.try_recv() {
            self.backlog.push_back(job);
        }
        self.backlog.len()
    }
}

fn run_job(
    committed: &SnapshotView,
    group: &mut Overlay,
    group_bytes: &mut usize,
    mut f: TxnFn,
) -> Outcome {
    let mut txn = TxnView::new(committed, group);
    match catch_unwind(AssertUnwindSafe(|| f(&mut txn))) {
        Ok(Ok(())) => {
            let own = txn.own;
            if let Some(e) = unstorable_write(&own) {
                return Outcome::Failed(e);
            }
            *group_bytes += own
                .iter()
                .map(|(k, v)| k.len() + v.map_or(0, <[u8]>::len))
                .sum::<usize>();
            if group.is_empty() {
                // The group's first writes: take them whole instead of inserting each.
                *group = own;
            } else {
                group.apply(own);
            }
            Outcome::Committed
        }
        Ok(Err(Abort)) => match txn.read_failure.into_inner() {
            Some(message) => Outcome::Failed(StorageError::Io(message)),
            None => Outcome::Aborted,
        },
        Err(payload) => Outcome::Panicked(payload),
    }
}

/// A storage error for the first write fjall would refuse (it panics on them), if any.
fn unstorable_write(writes: &Overlay) -> Option<StorageError> {
    writes.iter().find_map(|(key, value)| {
        if !key_is_storable(key) {
            Some(StorageError::Io(format!(
                "cannot store a key of {} bytes (keys must be 1 to {MAX_KEY_LEN} bytes)",
                key.len()
            )))
        } else if value.is_some_and(|v| u32::try_from(v.len()).is_err()) {
            Some(StorageError::Io(
                "cannot store a value of 4 GiB or more".into(),
            ))
        } else {
            None
        }
    })
}

/// Writes a group's writes as one fjall batch and syncs the journal (`fdatasync`: the journal
/// only grows, and `fdatasync` also makes its new length durable) before publishing them.
fn commit_group(db: &Database, data: &Keyspace, group: Overlay) -> Result<(), StorageError> {
    let mut batch = fjall::OwnedWriteBatch::with_capacity(db.clone(), group.len())
        .durability(Some(PersistMode::SyncData));
    for (key, value) in group.into_writes() {
        match value {
            Some(value) => batch.insert(data, key, value),
            None => batch.remove(data, key),
        }
    }
    batch.commit().map_err(crate::fjall_error)
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
