//! Allowed decisions, remembered for policy sets that nothing but the action, the resource, the
//! caller and a few known context keys can change.
//!
//! A policy set reads of the request context only the keys it lists
//! ([`palisade_iam::PolicySet::context_keys`]: the keys of its conditions and policy
//! variables; none for a context-free set). Its decision is therefore the same for every
//! request with the same caller, action, resource and VPC endpoint whose context gives those
//! keys the same values, until a policy changes. Such an `Allow` is remembered with the keys'
//! values (absent, one value or several) and with the *stamp* of the state it was decided
//! from: the generations of the directory (identity policies, boundaries), the organizations
//! (SCPs, RCPs), the network (endpoint policies) and the engine's table catalog (table
//! resource policies). The stamp is read before that state, and every store advances its
//! generation only after a change is visible, so an entry can only answer for the state it was
//! decided from (and so for the same policies, which list the same keys): after any change the
//! stamps differ and the request is decided in full again. An entry answers a request only if
//! each recorded key has the recorded value in that request's context; the authorizer reads
//! those few values without building the whole context. Denials are never remembered: they
//! are decided in full, with their reasons, every time.
//!
//! The memo is a fixed table of slots indexed by a hash of the question; a collision only
//! replaces an entry, so its size is bounded whatever callers ask.

use std::sync::{Mutex, PoisonError};

/// The state a decision was made from. Entries answer only while it is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    /// The address of the engine whose table policies were read.
    pub engine: usize,
    pub catalog: u64,
    pub directory: u64,
    pub organizations: u64,
    pub network: u64,
}

/// What a decision is about: everything a context-free policy set looks at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Question<'a> {
    /// The access key the request was signed with: one caller, and one session (with its
    /// session policies) for temporary credentials.
    pub access_key_id: &'a str,
    pub caller_arn: &'a str,
    /// The VPC endpoint the request came through, if any.
    pub endpoint: Option<&'a str>,
    pub action: &'a str,
    pub resource: &'a str,
}

impl Question<'_> {
    fn slot(&self, slots: usize) -> usize {
        let mut h = Hash64::default();
        h.write(self.access_key_id.as_bytes());
        h.write(self.caller_arn.as_bytes());
        if let Some(e) = self.endpoint {
            h.write(e.as_bytes());
        }
        h.write(self.action.as_bytes());
        h.write(self.resource.as_bytes());
        // The high bits are the best mixed.
        usize::try_from(h.0 >> 32).unwrap_or(0) % slots
    }
}

/// The context keys a decision read (lower case) with the values they had, as
/// [`palisade_iam::ContextValue::as_slice`] gives them; an empty list is a missing key (the
/// evaluator does not tell them apart, nor one value from a list of one).
pub(crate) type Recorded = Box<[(Box<str>, Box<[Box<str>]>)]>;

/// A remembered `Allow`.
struct Entry {
    stamp: Stamp,
    access_key_id: Box<str>,
    caller_arn: Box<str>,
    endpoint: Option<Box<str>>,
    action: Box<str>,
    resource: Box<str>,
    /// The keys the deciding policy set reads and their values then; empty for a
    /// context-free set.
    context: Recorded,
}

impl Entry {
    fn answers(&self, stamp: Stamp, q: &Question<'_>) -> bool {
        self.stamp == stamp
            && *self.resource == *q.resource
            && *self.action == *q.action
            && *self.access_key_id == *q.access_key_id
            && *self.caller_arn == *q.caller_arn
            && self.endpoint.as_deref() == q.endpoint
    }
}

/// How many decisions are remembered at most.
const SLOTS: usize = 256;

/// Remembered allowed decisions; see the module documentation.
pub struct DecisionMemo {
    slots: Box<[Mutex<Option<Entry>>]>,
    /// How many checks the memo answered (tests see that it is on the request path).
    #[cfg(test)]
    pub(crate) hits: std::sync::atomic::AtomicUsize,
}

impl Default for DecisionMemo {
    fn default() -> DecisionMemo {
        DecisionMemo {
            slots: (0..SLOTS).map(|_| Mutex::new(None)).collect(),
            #[cfg(test)]
            hits: std::sync::atomic::AtomicUsize::new(0),
        }
    }
}

impl DecisionMemo {
    /// Whether `q` was allowed at exactly this state by a policy set whose context keys had
    /// the values they have now. `agrees(key, values)` tells whether the current request's
    /// context gives `key` these values; it is asked only about the keys of an entry for the
    /// same question and stamp, and stops at the first key that disagrees.
    pub(crate) fn allowed(
        &self,
        stamp: Stamp,
        q: &Question<'_>,
        mut agrees: impl FnMut(&str, &[Box<str>]) -> bool,
    ) -> bool {
        let Some(slot) = self.slots.get(q.slot(self.slots.len())) else {
            return false;
        };
        let entry = slot.lock().unwrap_or_else(PoisonError::into_inner);
        let hit = entry.as_ref().is_some_and(|e| {
            e.answers(stamp, q) && e.context.iter().all(|(key, values)| agrees(key, values))
        });
        #[cfg(test)]
        if hit {
            self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        hit
    }

    /// Remembers that a policy set read at `stamp` allowed `q` when its context keys had the
    /// values in `context`.
    pub(crate) fn remember(&self, stamp: Stamp, q: &Question<'_>, context: Recorded) {
        let Some(slot) = self.slots.get(q.slot(self.slots.len())) else {
            return;
        };
        let entry = Entry {
            stamp,
            access_key_id: q.access_key_id.into(),
            caller_arn: q.caller_arn.into(),
            endpoint: q.endpoint.map(Into::into),
            action: q.action.into(),
            resource: q.resource.into(),
            context,
        };
        *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(entry);
    }
}

/// A fast non-cryptographic hash (the multiply-rotate scheme of FxHash). Slots are only a
/// cache: a collision costs a full decision, never a wrong one.
#[derive(Default)]
struct Hash64(u64);

impl Hash64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(c);
            self.add(u64::from_le_bytes(word));
        }
        let mut last = [0u8; 8];
        let rest = chunks.remainder();
        last[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(last));
        // The length ends the field, so that ("ab", "c") and ("a", "bc") differ.
        self.add(bytes.len() as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp() -> Stamp {
        Stamp {
            engine: 1,
            catalog: 2,
            directory: 3,
            organizations: 4,
            network: 5,
        }
    }

    fn question<'a>(resource: &'a str, endpoint: Option<&'a str>) -> Question<'a> {
        Question {
            access_key_id: "AKIDEXAMPLE",
            caller_arn: "arn:aws:iam::111122223333:user/alice",
            endpoint,
            action: "dynamodb:GetItem",
            resource,
        }
    }

    const T: &str = "arn:aws:dynamodb:us-east-1:111122223333:table/t";

    /// Whether the memo answers `q` for a request whose context agrees with no recorded key.
    fn allowed(memo: &DecisionMemo, stamp: Stamp, q: &Question<'_>) -> bool {
        memo.allowed(stamp, q, |_, _| false)
    }

    fn recorded(keys: &[(&str, &[&str])]) -> Recorded {
        keys.iter()
            .map(|(k, vs)| ((*k).into(), vs.iter().map(|v| (*v).into()).collect()))
            .collect()
    }

    #[test]
    fn answers_only_requests_that_agree_on_every_recorded_key() {
        let memo = DecisionMemo::default();
        let q = question(T, None);
        memo.remember(
            stamp(),
            &q,
            recorded(&[
                ("aws:sourceip", &["10.1.2.3"]),
                ("aws:sourcevpc", &[]),
                ("dynamodb:leadingkeys", &["a", "b"]),
            ]),
        );
        // The request's context, as the authorizer would read it.
        let context = |ip: &'static str, leading: &'static [&'static str]| {
            move |key: &str, values: &[Box<str>]| {
                let now: &[&str] = match key {
                    "aws:sourceip" => std::slice::from_ref(&ip),
                    "dynamodb:leadingkeys" => leading,
                    _ => &[],
                };
                now.len() == values.len() && now.iter().zip(values).all(|(a, b)| **a == **b)
            }
        };
        assert!(memo.allowed(stamp(), &q, context("10.1.2.3", &["a", "b"])));
        assert!(!memo.allowed(stamp(), &q, context("192.0.2.1", &["a", "b"])));
        assert!(!memo.allowed(stamp(), &q, context("10.1.2.3", &["a"])));
        assert!(!memo.allowed(stamp(), &q, context("10.1.2.3", &["a", "b", "c"])));
        // Each recorded key is asked about until one disagrees.
        let mut asked = Vec::new();
        memo.allowed(stamp(), &q, |k, _| {
            asked.push(k.to_owned());
            true
        });
        assert_eq!(
            asked,
            ["aws:sourceip", "aws:sourcevpc", "dynamodb:leadingkeys"]
        );
        // Another stamp: the keys are not even asked about.
        let other = Stamp {
            directory: 9,
            ..stamp()
        };
        assert!(!memo.allowed(other, &q, |_, _| true));
    }

    #[test]
    fn answers_only_the_same_question_at_the_same_state() {
        let memo = DecisionMemo::default();
        let q = question(T, None);
        assert!(!allowed(&memo, stamp(), &q));
        memo.remember(stamp(), &q, Box::default());
        assert!(allowed(&memo, stamp(), &q));
        // Any store that moved makes the entry silent.
        for changed in [
            Stamp {
                engine: 9,
                ..stamp()
            },
            Stamp {
                catalog: 9,
                ..stamp()
            },
            Stamp {
                directory: 9,
                ..stamp()
            },
            Stamp {
                organizations: 9,
                ..stamp()
            },
            Stamp {
                network: 9,
                ..stamp()
            },
        ] {
            assert!(!allowed(&memo, changed, &q), "{changed:?}");
        }
        // Any other part of the question too.
        assert!(!allowed(&memo, stamp(), &question(&format!("{T}x"), None)));
        assert!(!allowed(&memo, stamp(), &question(T, Some("vpce-1"))));
        let other_key = Question {
            access_key_id: "AKIDOTHER",
            ..q
        };
        assert!(!allowed(&memo, stamp(), &other_key));
        let other_caller = Question {
            caller_arn: "arn:aws:iam::111122223333:user/bob",
            ..q
        };
        assert!(!allowed(&memo, stamp(), &other_caller));
        let other_action = Question {
            action: "dynamodb:PutItem",
            ..q
        };
        assert!(!allowed(&memo, stamp(), &other_action));
    }

    #[test]
    fn stays_bounded_and_correct_under_collisions() {
        let memo = DecisionMemo::default();
        let names: Vec<String> = (0..4 * SLOTS).map(|i| format!("{T}{i}")).collect();
        for n in &names {
            memo.remember(stamp(), &question(n, None), Box::default());
        }
        // Each slot holds one entry; the last one stored in a slot answers, the others are
        // decided again, and nothing answers a question never asked.
        let answered = names
            .iter()
            .filter(|n| allowed(&memo, stamp(), &question(n, None)))
            .count();
        assert!(answered <= SLOTS && answered > 0, "{answered}");
        assert!(!allowed(&memo, stamp(), &question("never-asked", None)));
    }

    #[test]
    fn field_boundaries_count() {
        let mut a = Hash64::default();
        a.write(b"ab");
        a.write(b"c");
        let mut b = Hash64::default();
        b.write(b"a");
        b.write(b"bc");
        assert_ne!(a.0, b.0);
    }
}
