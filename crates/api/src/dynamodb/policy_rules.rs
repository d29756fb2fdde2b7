//! What a DynamoDB table's resource policy may contain, checked before it is stored: only
//! actions that apply to tables and indexes, only the service principals DynamoDB accepts, and
//! no public access (DynamoDB's Block Public Access, always on).
//!
//! Public access follows AWS's rule for resource policies: an `Allow` statement is public when
//! its principal is `*` (or it uses `NotPrincipal`), unless one of its conditions pins a
//! trusted key (`aws:PrincipalAccount`, `aws:PrincipalOrgID`, `aws:SourceVpce`, …) to values
//! with neither wildcards nor policy variables. Negated and `…IfExists` operators never pin a
//! key: they hold when the key is absent.

use palisade_iam::{ActionClause, Effect, OperatorKind, Policy, PrincipalClause, Principals};

/// Actions whose resource types include a table or an index (AWS's Service Authorization
/// Reference): the only ones a table's resource policy may name.
const TABLE_ACTIONS: &[&str] = &[
    "AssociateTableReplica",
    "BatchGetItem",
    "BatchWriteItem",
    "ConditionCheckItem",
    "CreateBackup",
    "CreateGlobalTable",
    "CreateGlobalTableWitness",
    "CreateTable",
    "CreateTableReplica",
    "DeleteGlobalTableWitness",
    "DeleteItem",
    "DeleteResourcePolicy",
    "DeleteTable",
    "DeleteTableReplica",
    "DescribeContinuousBackups",
    "DescribeContributorInsights",
    "DescribeKinesisStreamingDestination",
    "DescribeTable",
    "DescribeTableReplicaAutoScaling",
    "DescribeTimeToLive",
    "DisableKinesisStreamingDestination",
    "EnableKinesisStreamingDestination",
    "ExportTableToPointInTime",
    "GetItem",
    "GetResourcePolicy",
    "ImportTable",
    "ListExports",
    "ListImports",
    "ListTagsOfResource",
    "PartiQLDelete",
    "PartiQLInsert",
    "PartiQLSelect",
    "PartiQLUpdate",
    "PutItem",
    "PutResourcePolicy",
    "Query",
    "ReadDataForReplication",
    "ReplicateSettings",
    "RestoreTableFromAwsBackup",
    "RestoreTableFromBackup",
    "RestoreTableToPointInTime",
    "Scan",
    "SearchVectors",
    "StartAwsBackupJob",
    "TagResource",
    "UntagResource",
    "UpdateContinuousBackups",
    "UpdateContributorInsights",
    "UpdateGlobalTable",
    "UpdateGlobalTableSettings",
    "UpdateGlobalTableVersion",
    "UpdateItem",
    "UpdateKinesisStreamingDestination",
    "UpdateTable",
    "UpdateTableReplicaAutoScaling",
    "UpdateTimeToLive",
    "WriteDataForReplication",
];

/// Service principals DynamoDB accepts in a table's resource policy (Redshift zero-ETL and
/// multi-account global-table replication).
const SERVICE_PRINCIPALS: &[&str] = &[
    "redshift.amazonaws.com",
    "replication.dynamodb.amazonaws.com",
];

/// Condition keys that restrict who a statement applies to (AWS's list for Block Public Access).
const TRUSTED_KEYS: &[&str] = &[
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:userid",
    "aws:principalservicename",
    "aws:principalservicenameslist",
    "aws:principalisawsservice",
    "aws:ec2instancesourcevpc",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
];

/// The action names of `policy` that a table's resource policy may not contain, quoted, in the
/// order written.
pub fn invalid_actions(policy: &Policy) -> Vec<String> {
    let mut invalid = Vec::new();
    for statement in &policy.statements {
        let (ActionClause::Action(actions) | ActionClause::NotAction(actions)) = &statement.action;
        for action in actions {
            if !table_action(action) && !invalid.contains(action) {
                invalid.push(action.clone());
            }
        }
    }
    invalid
}

fn table_action(action: &str) -> bool {
    if action == "*" {
        return true;
    }
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    if !service.eq_ignore_ascii_case("dynamodb") {
        return false;
    }
    if name.contains('*') || name.contains('?') {
        // A pattern is fine when it names at least one table action.
        return TABLE_ACTIONS
            .iter()
            .any(|a| wildcard_match(name.as_bytes(), a.as_bytes()));
    }
    TABLE_ACTIONS.iter().any(|a| a.eq_ignore_ascii_case(name))
}

/// `*` and `?` matching, ignoring ASCII case (action names are ASCII).
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| wildcard_match(rest, &text[i..])),
        Some((&p, rest)) => text.split_first().is_some_and(|(&t, tail)| {
            (p == b'?' || p.eq_ignore_ascii_case(&t)) && wildcard_match(rest, tail)
        }),
    }
}

/// Whether `policy` names a service principal DynamoDB does not accept.
pub fn has_invalid_service_principal(policy: &Policy) -> bool {
    policy.statements.iter().any(|s| match &s.principal {
        Some(PrincipalClause::Principal(Principals::Listed(map)))
        | Some(PrincipalClause::NotPrincipal(Principals::Listed(map))) => map
            .service
            .iter()
            .any(|svc| !SERVICE_PRINCIPALS.contains(&svc.as_str())),
        _ => false,
    })
}

/// The index (from 0) and Sid of the first statement granting public access, if any.
pub fn public_statement(policy: &Policy) -> Option<(usize, Option<String>)> {
    policy
        .statements
        .iter()
        .enumerate()
        .find(|(_, s)| {
            s.effect == Effect::Allow && open_principal(s.principal.as_ref()) && !pinned(s)
        })
        .map(|(i, s)| (i, s.sid.clone()))
}

/// `*` as the principal (or among the AWS principals), or any `NotPrincipal` in an Allow.
fn open_principal(principal: Option<&PrincipalClause>) -> bool {
    match principal {
        None => false,
        Some(PrincipalClause::NotPrincipal(_)) => true,
        Some(PrincipalClause::Principal(Principals::Any)) => true,
        Some(PrincipalClause::Principal(Principals::Listed(map))) => {
            map.aws.iter().any(|p| p == "*")
        }
    }
}

/// Whether one of the statement's conditions pins a trusted key to concrete values.
fn pinned(statement: &palisade_iam::Statement) -> bool {
    statement.conditions.iter().any(|c| {
        let key = c.key.to_ascii_lowercase();
        if !TRUSTED_KEYS.contains(&key.as_str()) || c.operator.if_exists || c.values.is_empty() {
            return false;
        }
        let concrete = c
            .values
            .iter()
            .all(|v| !v.contains('*') && !v.contains('?') && !v.contains("${"));
        match c.operator.kind {
            OperatorKind::Bool => {
                key == "aws:principalisawsservice" && c.values.iter().all(|v| v == "true")
            }
            OperatorKind::StringEquals
            | OperatorKind::StringEqualsIgnoreCase
            | OperatorKind::StringLike
            | OperatorKind::ArnEquals
            | OperatorKind::ArnLike => concrete,
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use palisade_iam::{Policy, PolicyType};

    use super::*;

    fn parse(text: &str) -> Policy {
        Policy::parse(text, PolicyType::Resource).expect("policy parses")
    }

    fn allow(principal: &str, condition: &str) -> Policy {
        parse(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"S","Effect":"Allow","Principal":{principal},"Action":"dynamodb:GetItem","Resource":"*"{condition}}}]}}"#
        ))
    }

    #[test]
    fn stream_and_account_actions_are_not_table_actions() {
        let p = parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},
            "Action":["dynamodb:GetItem","dynamodb:GetRecords","s3:GetObject","dynamodb:Get*","dynamodb:ListStreams","dynamodb:*"],"Resource":"*"}]}"#,
        );
        assert_eq!(
            invalid_actions(&p),
            vec![
                "dynamodb:GetRecords",
                "s3:GetObject",
                "dynamodb:ListStreams"
            ]
        );
    }

    #[test]
    fn a_pattern_must_name_some_table_action() {
        let p = parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},
            "Action":["dynamodb:GetShard*","dynamodb:Put*"],"Resource":"*"}]}"#,
        );
        assert_eq!(invalid_actions(&p), vec!["dynamodb:GetShard*"]);
    }

    #[test]
    fn only_known_service_principals() {
        let ok = allow(r#"{"Service":"replication.dynamodb.amazonaws.com"}"#, "");
        assert!(!has_invalid_service_principal(&ok));
        let bad = allow(r#"{"Service":"lambda.amazonaws.com"}"#, "");
        assert!(has_invalid_service_principal(&bad));
    }

    #[test]
    fn a_star_principal_is_public_unless_a_trusted_key_pins_it() {
        assert_eq!(
            public_statement(&allow(r#""*""#, "")),
            Some((0, Some("S".into())))
        );
        assert!(public_statement(&allow(r#"{"AWS":"*"}"#, "")).is_some());
        assert!(public_statement(&allow(r#"{"AWS":"111122223333"}"#, "")).is_none());
        let org = r#","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}"#;
        assert!(public_statement(&allow(r#""*""#, org)).is_none());
        let vpce = r#","Condition":{"StringEquals":{"aws:SourceVpce":["vpce-1","vpce-2"]}}"#;
        assert!(public_statement(&allow(r#""*""#, vpce)).is_none());
    }

    #[test]
    fn wildcards_variables_negations_and_untrusted_keys_do_not_pin() {
        for condition in [
            r#","Condition":{"StringLike":{"aws:PrincipalAccount":"1111*"}}"#,
            r#","Condition":{"StringEquals":{"aws:PrincipalArn":"${aws:username}"}}"#,
            r#","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc123"}}"#,
            r#","Condition":{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-1"}}"#,
            r#","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
            r#","Condition":{"Bool":{"aws:PrincipalIsAWSService":"false"}}"#,
        ] {
            assert!(
                public_statement(&allow(r#""*""#, condition)).is_some(),
                "{condition} should leave the statement public"
            );
        }
        let service = r#","Condition":{"Bool":{"aws:PrincipalIsAWSService":"true"}}"#;
        assert!(public_statement(&allow(r#""*""#, service)).is_none());
    }

    #[test]
    fn deny_statements_and_not_principal() {
        let deny = parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"dynamodb:*","Resource":"*"}]}"#,
        );
        assert!(public_statement(&deny).is_none());
        let not_principal = parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"dynamodb:GetItem","Resource":"*"}]}"#,
        );
        assert!(public_statement(&not_principal).is_some());
    }
}
