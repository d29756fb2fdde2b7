//! Helpers shared by the directory's integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ops::Bound;
use std::sync::Arc;

use palisade_directory::*;
use palisade_iam::{PolicySet, RequestContext};
use palisade_storage::Storage;
use palisade_storage::memory::MemoryStorage;

pub const A: &str = "111122223333";
pub const KEY: [u8; 32] = [9; 32];

pub fn open(storage: &Arc<MemoryStorage>) -> Directory {
    Directory::open(storage.clone() as Arc<dyn Storage>, KeyProvider::Bytes(KEY)).unwrap()
}

pub fn fresh() -> (Arc<MemoryStorage>, Directory) {
    let s = Arc::new(MemoryStorage::new());
    let d = open(&s);
    (s, d)
}

pub fn code<T: std::fmt::Debug>(r: Result<T>) -> (ErrorCode, String) {
    match r {
        Err(DirectoryError::Aws { code, message }) => (code, message),
        other => panic!("expected an AWS error, got {other:?}"),
    }
}

pub fn all_bytes(s: &MemoryStorage) -> Vec<u8> {
    let snap = s.snapshot().unwrap();
    let mut out = Vec::new();
    for e in snap.range(Bound::Unbounded, Bound::Unbounded, false) {
        let (k, v) = e.unwrap();
        out.extend(k);
        out.extend(v);
    }
    out
}

pub fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

pub fn allows(d: &Directory, caller: &Caller, action: &str, resource: &str) -> bool {
    let pols = d.principal_policies(&caller.entity);
    let session = d.session_policy(&caller.access_key_id);
    let set = PolicySet {
        identity: &pols.identity,
        permissions_boundary: pols.boundary.as_ref(),
        session_policies: &session,
        ..PolicySet::default()
    };
    let ctx: RequestContext = caller.request_context(action, resource);
    set.evaluate(&ctx).is_allowed()
}

pub const ALLOW_GET: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}]}"#;
pub const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

pub fn trust(principal: &str, extra: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":["sts:AssumeRole","sts:TagSession"]{extra}}}]}}"#
    )
}
