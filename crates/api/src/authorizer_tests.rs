//! Tests of the authorizer: the table-policy cache, address texts, and the decision memo's
//! reading of single context keys against the request context it stands for.

use super::*;
use palisade_engine::schema::{AttrType, BillingMode, KeyAttr};
use palisade_engine::{CreateTableInput, EngineConfig};
use palisade_storage::memory::MemoryStorage;

const ACCT: &str = "111122223333";
const ARN: &str = "arn:aws:dynamodb:us-east-1:111122223333:table/t";

fn engine() -> Engine {
    let config = EngineConfig {
        region: "us-east-1".into(),
        account: ACCT.into(),
    };
    Engine::open(Arc::new(MemoryStorage::new()), config).unwrap()
}

async fn create(engine: &Engine, policy: Option<&str>) {
    let input = CreateTableInput {
        account: ACCT.into(),
        name: "t".into(),
        attribute_definitions: vec![KeyAttr {
            name: "pk".into(),
            ty: AttrType::S,
        }],
        key_schema: vec![("pk".into(), true)],
        billing_mode: Some(BillingMode::PayPerRequest),
        resource_policy: policy.map(str::to_owned),
        ..CreateTableInput::default()
    };
    engine.create_table(input).await.unwrap();
}

/// A table policy with `n` statements (the cache tests tell policies apart by that).
fn policy(n: usize) -> String {
    let statements: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"Sid":"s{i}","Effect":"Allow","Principal":{{"AWS":"444455556666"}},"Action":"dynamodb:GetItem","Resource":"{ARN}"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

/// How many statements the policy the cache gives for `resource` has.
fn count(cache: &PolicyCache, engine: &Engine, resource: &str) -> Option<usize> {
    Some(cache.table_policy(engine, resource)?.statement_count())
}

#[test]
fn table_arns_of_resources() {
    assert_eq!(table_arn(ARN), Some(ARN));
    assert_eq!(table_arn(&format!("{ARN}/index/i")), Some(ARN));
    assert_eq!(table_arn(&format!("{ARN}/stream/2024")), Some(ARN));
    assert_eq!(table_arn("*"), None);
    assert_eq!(table_arn("arn:aws:iam::111122223333:user/table/x"), None);
    // As the table ARN was found before: the first ":table/" after a ":dynamodb:"
    // anywhere.
    let before = |r: &str| -> Option<String> {
        if !r.starts_with("arn:") || !r.contains(":dynamodb:") {
            return None;
        }
        let (prefix, rest) = r.split_once(":table/")?;
        let name = rest.split_once('/').map_or(rest, |(n, _)| n);
        Some(format!("{prefix}:table/{name}"))
    };
    for r in [
        "arn:aws:dynamodb:r:a:table/x:table/y/index/z",
        "arn:aws:s3:::table/x:dynamodb:y",
        "arn:aws:dynamodb:r:a:table/",
        "arn:aws:dynamodb:r:a:table",
        "arn::dynamodb:::table/t/stream/s",
        "ARN:aws:dynamodb:r:a:table/t",
    ] {
        assert_eq!(table_arn(r).map(str::to_owned), before(r), "{r}");
    }
}

#[test]
fn addresses_read_as_display_writes_them() {
    for n in 0..=255u8 {
        for ip in [
            [n, 0, 10, 255],
            [127, n, 0, 1],
            [9, 99, n, 100],
            [1, 2, 3, n],
        ] {
            let ip = IpAddr::from(ip);
            assert_eq!(ip_text(ip), ip.to_string());
        }
    }
    let v6: IpAddr = "2001:db8::1".parse().unwrap();
    assert_eq!(ip_text(v6), "2001:db8::1");
}

#[tokio::test]
async fn a_changed_policy_is_seen_by_the_next_request() {
    let engine = engine();
    let cache = PolicyCache::default();
    assert_eq!(count(&cache, &engine, ARN), None);
    create(&engine, None).await;
    assert_eq!(count(&cache, &engine, ARN), None);
    engine
        .put_resource_policy(ARN, policy(1), None)
        .await
        .unwrap();
    assert_eq!(count(&cache, &engine, ARN), Some(1));
    let index = format!("{ARN}/index/i");
    assert_eq!(count(&cache, &engine, &index), Some(1));
    engine
        .put_resource_policy(ARN, policy(2), None)
        .await
        .unwrap();
    assert_eq!(count(&cache, &engine, ARN), Some(2));
    assert_eq!(count(&cache, &engine, &index), Some(2));
    engine.delete_resource_policy(ARN, None).await.unwrap();
    assert_eq!(count(&cache, &engine, ARN), None);
    engine
        .put_resource_policy(ARN, policy(3), None)
        .await
        .unwrap();
    assert_eq!(count(&cache, &engine, ARN), Some(3));
}

#[tokio::test]
async fn a_table_created_again_brings_its_own_policy() {
    let engine = engine();
    let cache = PolicyCache::default();
    create(&engine, Some(&policy(1))).await;
    assert_eq!(count(&cache, &engine, ARN), Some(1));
    engine.delete_table(ACCT, "t").await.unwrap();
    assert_eq!(count(&cache, &engine, ARN), None);
    create(&engine, None).await;
    assert_eq!(count(&cache, &engine, ARN), None);
    engine.delete_table(ACCT, "t").await.unwrap();
    create(&engine, Some(&policy(2))).await;
    assert_eq!(count(&cache, &engine, ARN), Some(2));
}

#[tokio::test]
async fn one_cache_never_mixes_engines() {
    let (a, b) = (engine(), engine());
    let cache = PolicyCache::default();
    create(&a, Some(&policy(1))).await;
    create(&b, None).await;
    assert_eq!(count(&cache, &a, ARN), Some(1));
    assert_eq!(count(&cache, &b, ARN), None);
    assert_eq!(count(&cache, &a, ARN), Some(1));
}

/// The values `key` has in `ctx` (an empty list when missing), as the memo records them.
fn values_in(ctx: &RequestContextOf<'_>, key: &str) -> Vec<Box<str>> {
    ctx.get(key)
        .map_or(&[][..], ContextValue::as_slice)
        .iter()
        .map(|v| v.as_str().into())
        .collect()
}

/// What the memo reads of one key on its hit path ([`IamAuthorizer::agrees`]) is what the full
/// request context ([`IamAuthorizer::context`]) holds for it, whatever the check's keys and
/// tags, the origin and the organization: the same value agrees, any other does not.
#[tokio::test]
async fn single_keys_read_as_the_request_context_has_them() {
    let storage: Arc<MemoryStorage> = Arc::new(MemoryStorage::new());
    let directory = Directory::in_memory();
    let organizations = Organizations::open(storage.clone()).unwrap();
    let network = Network::open(storage).unwrap();
    let created = crate::organizations::handle(
        &organizations,
        ACCT,
        "CreateOrganization",
        br#"{"FeatureSet":"ALL"}"#,
    )
    .await;
    assert_eq!(created.status, 200);
    let mut caller = Caller::root(ACCT);
    caller.tags.push(palisade_directory::Tag {
        key: "Dept".into(),
        value: "eng".into(),
    });
    let checks = [
        Check::new("dynamodb:GetItem", ARN),
        Check::new("dynamodb:Query", format!("{ARN}/index/i"))
            .keys("dynamodb:LeadingKeys", vec!["a".into(), "b".into()])
            .key("dynamodb:Select", "ALL_ATTRIBUTES")
            .key("DynamoDB:select", "COUNT")
            .key("aws:SourceIp", "192.0.2.9")
            .key("aws:ResourceTag/Env", "given")
            .keys("dynamodb:Attributes", Vec::new())
            .tags(&[
                ("Team".into(), "a".into()),
                ("team".into(), "b".into()),
                ("Env".into(), "tagged".into()),
            ]),
    ];
    let vpc = |ip: Option<&str>| VpcOrigin {
        vpc_id: "vpc-1".into(),
        endpoint_id: "vpce-1".into(),
        source_ip: ip.map(|i| i.parse().unwrap()),
        policies: Vec::new(),
    };
    let origins = [
        Origin::default(),
        Origin {
            source_ip: Some("127.0.0.1".parse().unwrap()),
            secure_transport: true,
            vpc: None,
        },
        Origin {
            source_ip: Some("2001:db8::1".parse().unwrap()),
            ..Origin::default()
        },
        Origin {
            source_ip: Some("10.0.0.1".parse().unwrap()),
            secure_transport: false,
            vpc: Some(vpc(Some("10.1.2.3"))),
        },
        Origin {
            vpc: Some(vpc(None)),
            ..Origin::default()
        },
    ];
    let probes = [
        "aws:sourceip",
        "aws:vpcsourceip",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:resourcetag/team",
        "aws:resourcetag/env",
        "aws:resourcetag/none",
        "aws:resourcetag/",
        "aws:principaltag/dept",
        "aws:securetransport",
        "aws:requestedregion",
        "aws:userid",
        "aws:username",
        "dynamodb:leadingkeys",
        "dynamodb:select",
        "dynamodb:attributes",
        "nothing:here",
    ];
    for origin in &origins {
        let authorizer = IamAuthorizer {
            directory: &directory,
            organizations: &organizations,
            network: &network,
            caller: &caller,
            session_policies: &[],
            origin,
            region: "us-east-1",
            resource_policy: None,
            tables: None,
        };
        let shared = authorizer.shared();
        assert!(shared.principal_org.is_some() && shared.org_paths.is_some());
        for check in &checks {
            let ctx = authorizer.context(&shared, check);
            let listed: Vec<String> = ctx.keys().map(|(k, _)| k.into_owned()).collect();
            // The clock's keys may move on between the two reads.
            let keys = listed
                .iter()
                .map(String::as_str)
                .chain(probes)
                .filter(|k| !k.ends_with("time"));
            for key in keys {
                let values = values_in(&ctx, key);
                let agrees =
                    |recorded: &[Box<str>]| authorizer.agrees(check, &mut None, key, recorded);
                assert!(agrees(&values), "{key} {values:?} {origin:?}");
                let mut more = values.clone();
                more.push("x".into());
                assert!(!agrees(&more), "{key} {more:?} {origin:?}");
                if let Some((last, rest)) = values.split_last() {
                    assert!(!agrees(rest), "{key} {rest:?} {origin:?}");
                    let mut changed = rest.to_vec();
                    changed.push(format!("{last}x").into());
                    assert!(!agrees(&changed), "{key} {changed:?} {origin:?}");
                }
            }
        }
    }
}
