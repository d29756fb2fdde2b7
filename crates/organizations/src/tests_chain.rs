//! The authorization queries (SCP/RCP chains, org id, org paths) and persistence.

use std::ops::Bound;
use std::sync::Arc;

use crate::model::{FULL_AWS_ACCESS_ID, RCP_FULL_AWS_ACCESS_ID};
use crate::tests::{ALLOW_DYNAMO, DENY_DELETE, MGMT, OUTSIDER, RCP_DENY, new_account, setup};
use crate::{Organizations, PolicyChain, PolicyKind};

fn labels(chain: &PolicyChain) -> Vec<Vec<String>> {
    chain
        .levels()
        .iter()
        .map(|l| {
            l.iter()
                .map(|p| p.label().unwrap_or("").to_string())
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn scp_chain_levels_root_ous_account() {
    let (_, orgs, org) = setup().await;
    let root = org.root.id.clone();
    let acct = new_account(&orgs, "app").await;
    assert!(orgs.scp_chain(&acct).is_none(), "SCPs not enabled yet");
    orgs.enable_policy_type(MGMT, &root, PolicyKind::Scp)
        .await
        .unwrap();
    let full =
        format!("arn:aws:organizations::aws:policy/service_control_policy/{FULL_AWS_ACCESS_ID}");

    // Directly under the root: two levels.
    let chain = orgs.scp_chain(&acct).unwrap();
    assert_eq!(chain.targets(), &[root.clone(), acct.clone()]);
    assert_eq!(labels(&chain), vec![vec![full.clone()], vec![full.clone()]]);

    // Two OUs deep, with a deny on the inner OU and an allow replacing FullAWSAccess on
    // the account.
    let ou1 = orgs
        .create_organizational_unit(MGMT, &root, "prod")
        .await
        .unwrap();
    let ou2 = orgs
        .create_organizational_unit(MGMT, &ou1.id, "web")
        .await
        .unwrap();
    orgs.move_account(MGMT, &acct, &root, &ou2.id)
        .await
        .unwrap();
    let deny = orgs
        .create_policy(MGMT, "deny", "", PolicyKind::Scp, DENY_DELETE)
        .await
        .unwrap();
    let allow = orgs
        .create_policy(MGMT, "allow", "", PolicyKind::Scp, ALLOW_DYNAMO)
        .await
        .unwrap();
    orgs.attach_policy(MGMT, &deny.id, &ou2.id).await.unwrap();
    orgs.attach_policy(MGMT, &allow.id, &acct).await.unwrap();
    orgs.detach_policy(MGMT, FULL_AWS_ACCESS_ID, &acct)
        .await
        .unwrap();
    let arn = |id: &str| {
        format!(
            "arn:aws:organizations::{MGMT}:policy/{}/service_control_policy/{id}",
            org.id
        )
    };
    let chain = orgs.scp_chain(&acct).unwrap();
    assert_eq!(
        chain.targets(),
        &[root.clone(), ou1.id.clone(), ou2.id.clone(), acct.clone()]
    );
    assert_eq!(
        labels(&chain),
        vec![
            vec![full.clone()],
            vec![full.clone()],
            vec![full.clone(), arn(&deny.id)],
            vec![arn(&allow.id)],
        ]
    );
    // Deref gives the slice PolicySet::scps takes.
    let levels: &[Vec<palisade_iam::CompiledPolicy>] = &chain;
    assert_eq!(levels.len(), 4);
    assert_eq!(levels[2][1].statement_count(), 1);

    // The management account is exempt; outsiders have no chain.
    assert!(orgs.scp_chain(MGMT).is_none());
    assert!(orgs.scp_chain(OUTSIDER).is_none());
    assert!(orgs.rcp_chain(&acct).is_none(), "RCPs not enabled");

    // A changed document shows up at once.
    orgs.update_policy(MGMT, &deny.id, None, None, Some(ALLOW_DYNAMO))
        .await
        .unwrap();
    let chain = orgs.scp_chain(&acct).unwrap();
    assert_eq!(chain.levels()[2][1].statement_count(), 1);

    // Disabling SCPs removes the chain.
    orgs.disable_policy_type(MGMT, &root, PolicyKind::Scp)
        .await
        .unwrap();
    assert!(orgs.scp_chain(&acct).is_none());
}

#[tokio::test]
async fn rcp_chain_and_org_paths() {
    let (_, orgs, org) = setup().await;
    let root = org.root.id.clone();
    let acct = new_account(&orgs, "data").await;
    let ou = orgs
        .create_organizational_unit(MGMT, &root, "sec")
        .await
        .unwrap();
    orgs.move_account(MGMT, &acct, &root, &ou.id).await.unwrap();
    orgs.enable_policy_type(MGMT, &root, PolicyKind::Rcp)
        .await
        .unwrap();
    let tls = orgs
        .create_policy(MGMT, "tls", "", PolicyKind::Rcp, RCP_DENY)
        .await
        .unwrap();
    orgs.attach_policy(MGMT, &tls.id, &ou.id).await.unwrap();
    let full = format!(
        "arn:aws:organizations::aws:policy/resource_control_policy/{RCP_FULL_AWS_ACCESS_ID}"
    );
    let chain = orgs.rcp_chain(&acct).unwrap();
    assert_eq!(
        labels(&chain),
        vec![
            vec![full.clone()],
            vec![
                full.clone(),
                format!(
                    "arn:aws:organizations::{MGMT}:policy/{}/resource_control_policy/{}",
                    org.id, tls.id
                )
            ],
            vec![full.clone()],
        ]
    );
    assert!(orgs.scp_chain(&acct).is_none(), "SCPs not enabled");
    assert!(orgs.rcp_chain(MGMT).is_none(), "management account exempt");

    assert_eq!(orgs.principal_org_id(&acct), Some(org.id.clone()));
    assert_eq!(orgs.principal_org_id(OUTSIDER), None);
    assert_eq!(
        orgs.org_paths(&acct),
        Some(format!("{}/{}/{}/", org.id, root, ou.id))
    );
    assert_eq!(orgs.org_paths(MGMT), Some(format!("{}/{}/", org.id, root)));
    assert_eq!(orgs.org_paths(OUTSIDER), None);
}

#[tokio::test]
async fn state_survives_reopen_and_uses_only_0x30_keys() {
    let (storage, orgs, org) = setup().await;
    let root = org.root.id.clone();
    orgs.enable_policy_type(MGMT, &root, PolicyKind::Scp)
        .await
        .unwrap();
    let acct = new_account(&orgs, "app").await;
    let ou = orgs
        .create_organizational_unit(MGMT, &root, "prod")
        .await
        .unwrap();
    orgs.move_account(MGMT, &acct, &root, &ou.id).await.unwrap();
    let p = orgs
        .create_policy(MGMT, "deny", "", PolicyKind::Scp, DENY_DELETE)
        .await
        .unwrap();
    orgs.attach_policy(MGMT, &p.id, &ou.id).await.unwrap();
    let before = orgs.organization(MGMT).unwrap();
    let chain_before = labels(&orgs.scp_chain(&acct).unwrap());
    drop(orgs);

    let reopened = Organizations::open(Arc::clone(&storage)).unwrap();
    assert_eq!(reopened.organization(MGMT).unwrap(), before);
    assert_eq!(labels(&reopened.scp_chain(&acct).unwrap()), chain_before);
    assert_eq!(reopened.organization(&acct).unwrap().id, org.id);
    assert!(before.version > 1);

    let snap = storage.snapshot().unwrap();
    let keys: Vec<Vec<u8>> = snap
        .range(Bound::Unbounded, Bound::Unbounded, false)
        .map(|e| e.unwrap().0)
        .collect();
    assert_eq!(
        keys.len(),
        3,
        "one organization and two account index entries"
    );
    assert!(keys.iter().all(|k| k.first() == Some(&0x30)));

    // Writes through the reopened instance continue the version sequence.
    reopened
        .create_organizational_unit(MGMT, &root, "dev")
        .await
        .unwrap();
    assert_eq!(
        reopened.organization(MGMT).unwrap().version,
        before.version + 1
    );
}

#[tokio::test]
async fn failed_changes_leave_storage_and_view_untouched() {
    let (storage, orgs, org) = setup().await;
    let before = orgs.organization(MGMT).unwrap();
    let r = orgs
        .create_organizational_unit(MGMT, "ou-abcd-zzzzzzzz", "x")
        .await;
    assert!(r.is_err());
    assert_eq!(orgs.organization(MGMT).unwrap(), before);
    let reopened = Organizations::open(storage).unwrap();
    assert_eq!(reopened.organization(MGMT).unwrap(), before);
    assert_eq!(before.id, org.id);
}

#[tokio::test]
async fn concurrent_changes_all_land() {
    let (_, orgs, org) = setup().await;
    let orgs = Arc::new(orgs);
    let mut tasks = Vec::new();
    for i in 0..16 {
        let orgs = Arc::clone(&orgs);
        let root = org.root.id.clone();
        tasks.push(tokio::spawn(async move {
            orgs.create_organizational_unit(MGMT, &root, &format!("ou{i}"))
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let now = orgs.organization(MGMT).unwrap();
    assert_eq!(now.ous.len(), 16);
    assert_eq!(now.version, 17);
}

#[tokio::test]
async fn chains_drive_the_policy_evaluator() {
    use palisade_iam::{
        CompiledPolicy, Outcome, PolicyKind as Kind, PolicySet, PolicyType, Principal,
        RequestContext,
    };
    let (_, orgs, org) = setup().await;
    let root = org.root.id.clone();
    orgs.enable_policy_type(MGMT, &root, PolicyKind::Scp)
        .await
        .unwrap();
    let acct = new_account(&orgs, "app").await;
    let ou = orgs
        .create_organizational_unit(MGMT, &root, "prod")
        .await
        .unwrap();
    orgs.move_account(MGMT, &acct, &root, &ou.id).await.unwrap();
    let deny = orgs
        .create_policy(MGMT, "deny", "", PolicyKind::Scp, DENY_DELETE)
        .await
        .unwrap();
    orgs.attach_policy(MGMT, &deny.id, &ou.id).await.unwrap();

    let identity = [CompiledPolicy::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        PolicyType::Identity,
    )
    .unwrap()];
    let table = format!("arn:aws:dynamodb:us-east-1:{acct}:table/t");
    let user = Principal::parse(&format!("arn:aws:iam::{acct}:user/alice")).unwrap();
    let decide = |chain: &PolicyChain, action: &str| {
        let set = PolicySet {
            identity: &identity,
            scps: chain.levels(),
            ..PolicySet::default()
        };
        let ctx = RequestContext::new(user.clone(), action, &table);
        let d = set.evaluate(&ctx);
        (
            d.outcome,
            d.deciding
                .and_then(|x| x.statement)
                .and_then(|s| s.policy.map(str::to_string)),
            d.deciding.map(|x| (x.kind, x.level)),
        )
    };
    let chain = orgs.scp_chain(&acct).unwrap();
    assert_eq!(decide(&chain, "dynamodb:GetItem").0, Outcome::Allow);
    let (outcome, policy, _) = decide(&chain, "dynamodb:DeleteTable");
    assert_eq!(outcome, Outcome::ExplicitDeny);
    assert_eq!(
        policy,
        Some(format!(
            "arn:aws:organizations::{MGMT}:policy/{}/service_control_policy/{}",
            org.id, deny.id
        ))
    );

    // Replace FullAWSAccess on the account with an allow of dynamodb only: other services
    // are implicitly denied at the account level (levels: root 0, OU 1, account 2).
    let allow = orgs
        .create_policy(MGMT, "dynamo", "", PolicyKind::Scp, ALLOW_DYNAMO)
        .await
        .unwrap();
    orgs.attach_policy(MGMT, &allow.id, &acct).await.unwrap();
    orgs.detach_policy(MGMT, FULL_AWS_ACCESS_ID, &acct)
        .await
        .unwrap();
    let chain = orgs.scp_chain(&acct).unwrap();
    assert_eq!(decide(&chain, "dynamodb:GetItem").0, Outcome::Allow);
    let (outcome, _, deciding) = decide(&chain, "s3:GetObject");
    assert_eq!(outcome, Outcome::ImplicitDeny);
    assert_eq!(deciding, Some((Kind::Scp, Some(2))));
}
