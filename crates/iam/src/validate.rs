//! Policy checks in the manner of IAM Access Analyzer's `ValidatePolicy`: the parser's
//! errors plus checks of actions, ARNs, principals, condition values and key types, and
//! warnings for statements that are redundant, never match, or are risky.

use crate::actions;
use crate::condition::{parse_base64, parse_bool, parse_cidr, parse_date, parse_number};
use crate::findings::Findings;
use crate::glob::{Pattern, Syntax, split_arn};
use crate::model::{
    ActionClause, Condition, Effect, OperatorFamily, OperatorKind, Policy, PolicyType,
    PrincipalClause, Principals, ResourceClause, SetQualifier, Statement,
};
use crate::parse::parse_document;

/// The type of a known condition key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyType {
    String,
    Arn,
    Numeric,
    Date,
    Bool,
    Ip,
    /// Multi-valued strings (`ArrayOfString`).
    StringList,
}

/// Global and DynamoDB keys whose type is documented (lower case).
fn key_type(key_lower: &str) -> Option<KeyType> {
    let t = match key_lower {
        "aws:sourceip" | "aws:vpcsourceip" => KeyType::Ip,
        "aws:currenttime" | "aws:tokenissuetime" => KeyType::Date,
        "aws:epochtime" => KeyType::Date,
        "aws:multifactorauthage" => KeyType::Numeric,
        "aws:securetransport"
        | "aws:multifactorauthpresent"
        | "aws:viaawsservice"
        | "aws:principalisawsservice"
        | "dynamodb:fulltablescan" => KeyType::Bool,
        "aws:principalarn" | "aws:sourcearn" | "aws:sourcevpcarn" => KeyType::Arn,
        "aws:tagkeys"
        | "aws:calledvia"
        | "aws:principalorgpaths"
        | "aws:principalservicenameslist"
        | "dynamodb:leadingkeys"
        | "dynamodb:attributes" => KeyType::StringList,
        "aws:sourcevpc"
        | "aws:sourcevpce"
        | "aws:username"
        | "aws:userid"
        | "aws:principalaccount"
        | "aws:principalorgid"
        | "aws:principaltype"
        | "aws:requestedregion"
        | "aws:useragent"
        | "aws:sourceaccount"
        | "aws:sourceidentity"
        | "aws:calledviafirst"
        | "aws:calledvialast"
        | "aws:resourceaccount"
        | "dynamodb:select"
        | "dynamodb:returnvalues"
        | "dynamodb:returnconsumedcapacity"
        | "dynamodb:enclosingoperation" => KeyType::String,
        k if k.starts_with("aws:principaltag/")
            || k.starts_with("aws:resourcetag/")
            || k.starts_with("aws:requesttag/") =>
        {
            KeyType::String
        }
        _ => return None,
    };
    Some(t)
}

/// Validates a policy document of the given type and returns every finding.
pub fn validate(text: &str, ty: PolicyType) -> Findings {
    let mut f = Findings::default();
    if let Some((policy, paths)) = parse_document(text, ty, &mut f) {
        check_policy(&policy, &paths, ty, &mut f);
    }
    f
}

fn check_policy(p: &Policy, paths: &[String], ty: PolicyType, f: &mut Findings) {
    let vars = p.version.supports_variables();
    for (i, s) in p.statements.iter().enumerate() {
        let path = paths.get(i).map_or("Statement", String::as_str);
        check_actions(s, path, f);
        check_resources(s, path, vars, f);
        check_principal(s, path, ty, f);
        check_conditions(s, path, vars, f);
        if !vars && mentions_variable(s) {
            f.warning(
                "VARIABLE_IN_2008_POLICY",
                path,
                "policy variables are literal text in a policy without Version \"2012-10-17\"",
            );
        }
        for (j, other) in p.statements.iter().enumerate().take(i) {
            if same_effectively(s, other) {
                f.warning(
                    "REDUNDANT_STATEMENT",
                    path,
                    format!(
                        "the statement repeats {}",
                        paths.get(j).map_or("", String::as_str)
                    ),
                );
            }
        }
    }
}

fn same_effectively(a: &Statement, b: &Statement) -> bool {
    a.effect == b.effect
        && a.principal == b.principal
        && a.action == b.action
        && a.resource == b.resource
        && a.conditions == b.conditions
}

fn mentions_variable(s: &Statement) -> bool {
    let res = match &s.resource {
        Some(ResourceClause::Resource(v) | ResourceClause::NotResource(v)) => v.as_slice(),
        None => &[],
    };
    res.iter()
        .chain(s.conditions.iter().flat_map(|c| c.values.iter()))
        .any(|v| v.contains("${"))
}

fn check_actions(s: &Statement, path: &str, f: &mut Findings) {
    let (name, list) = match &s.action {
        ActionClause::Action(v) => ("Action", v),
        ActionClause::NotAction(v) => ("NotAction", v),
    };
    for (i, a) in list.iter().enumerate() {
        let p = format!("{path}.{name}[{i}]");
        if a == "*" {
            if name == "NotAction" {
                f.warning(
                    "NEVER_MATCHES",
                    &p,
                    "NotAction \"*\" excludes every action: the statement never applies",
                );
            }
            continue;
        }
        let Some((svc, act)) = a.split_once(':') else {
            f.error(
                "INVALID_ACTION",
                &p,
                format!("the action \"{a}\" must have the form service:action"),
            );
            continue;
        };
        if svc.is_empty()
            || act.is_empty()
            || !svc.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            f.error(
                "INVALID_ACTION",
                &p,
                format!("the action \"{a}\" is not valid"),
            );
            continue;
        }
        let svc_lower = svc.to_ascii_lowercase();
        if let Some(known) = actions::known(&svc_lower) {
            let pattern = Pattern::parse(
                &act.to_ascii_lowercase(),
                Syntax {
                    wildcards: true,
                    variables: false,
                },
            );
            let matches = known
                .iter()
                .any(|k| pattern.matches(&k.to_ascii_lowercase(), false, &NoVars) == Some(true));
            if !matches {
                if act.contains(['*', '?']) {
                    f.warning(
                        "UNKNOWN_ACTION",
                        &p,
                        format!("the pattern \"{a}\" matches no {svc_lower} action"),
                    );
                } else {
                    f.error(
                        "UNKNOWN_ACTION",
                        &p,
                        format!("\"{a}\" is not a {svc_lower} action"),
                    );
                }
            }
        }
        for (j, b) in list.iter().enumerate() {
            if j != i && covers(b, a) && (b != a || j < i) {
                f.warning(
                    "REDUNDANT_ACTION",
                    &p,
                    format!("\"{a}\" is already covered by \"{b}\""),
                );
                break;
            }
        }
    }
}

/// Whether the action pattern `general` covers the action pattern `specific`.
fn covers(general: &str, specific: &str) -> bool {
    let g = Pattern::parse(
        &general.to_ascii_lowercase(),
        Syntax {
            wildcards: true,
            variables: false,
        },
    );
    g.matches(&specific.to_ascii_lowercase(), false, &NoVars) == Some(true)
}

struct NoVars;
impl crate::glob::Resolver for NoVars {
    fn single(&self, _: &str, _: u64) -> Option<&str> {
        None
    }
}

fn check_resources(s: &Statement, path: &str, vars: bool, f: &mut Findings) {
    let (name, list) = match &s.resource {
        Some(ResourceClause::Resource(v)) => ("Resource", v),
        Some(ResourceClause::NotResource(v)) => ("NotResource", v),
        None => return,
    };
    for (i, r) in list.iter().enumerate() {
        let p = format!("{path}.{name}[{i}]");
        if r == "*" {
            if name == "NotResource" {
                f.warning(
                    "NEVER_MATCHES",
                    &p,
                    "NotResource \"*\" excludes every resource: the statement never applies",
                );
            }
            continue;
        }
        let Some(parts) = split_arn(r).filter(|p| p[0] == "arn") else {
            f.error(
                "INVALID_ARN",
                &p,
                format!(
                    "\"{r}\" is not an ARN (arn:partition:service:region:account:resource) or \"*\""
                ),
            );
            continue;
        };
        if parts[2].is_empty() || parts[2].contains(['*', '?']) {
            f.error(
                "INVALID_ARN",
                &p,
                format!("the service of \"{r}\" must be named without wildcards"),
            );
        }
        if !matches!(
            parts[1],
            "aws" | "aws-cn" | "aws-us-gov" | "aws-iso" | "aws-iso-b" | "*"
        ) {
            f.warning(
                "INVALID_ARN",
                &p,
                format!("\"{}\" is not an AWS partition", parts[1]),
            );
        }
        let acct = parts[4];
        let account_ok = acct.is_empty()
            || acct.contains(['*', '?', '$'])
            || acct == "aws"
            || (acct.len() == 12 && acct.bytes().all(|b| b.is_ascii_digit()));
        if !account_ok {
            f.error(
                "INVALID_ARN",
                &p,
                format!("\"{acct}\" is not a 12-digit account id"),
            );
        }
        if vars && parts[..5].iter().any(|x| x.contains("${")) {
            f.error(
                "INVALID_ARN",
                &p,
                "policy variables are allowed only in the resource part of an ARN",
            );
        }
        if parts[5].is_empty() {
            f.error("INVALID_ARN", &p, format!("\"{r}\" has no resource part"));
        }
    }
}

fn check_principal(s: &Statement, path: &str, ty: PolicyType, f: &mut Findings) {
    let (name, principals) = match &s.principal {
        Some(PrincipalClause::Principal(p)) => ("Principal", p),
        Some(PrincipalClause::NotPrincipal(p)) => {
            if s.effect == Effect::Allow {
                f.warning("ALLOW_WITH_NOT_PRINCIPAL", &format!("{path}.NotPrincipal"),
                    "Allow with NotPrincipal grants access to every principal not listed, including anonymous callers");
            } else {
                f.warning("DENY_WITH_NOT_PRINCIPAL", &format!("{path}.NotPrincipal"),
                    "Deny with NotPrincipal always denies principals with a permissions boundary, and needs the excepted principals' account listed too; prefer Principal \"*\" with ArnNotEquals aws:PrincipalArn");
            }
            ("NotPrincipal", p)
        }
        None => return,
    };
    let Principals::Listed(m) = principals else {
        return;
    };
    for (i, a) in m.aws.iter().enumerate() {
        let p = format!("{path}.{name}.AWS[{i}]");
        if !valid_aws_principal(a) {
            f.error("INVALID_PRINCIPAL", &p, format!("\"{a}\" is not an account id, \"*\", or a root, user, role, assumed-role or federated-user ARN (wildcards are not allowed in principal ARNs)"));
        }
    }
    for (i, svc) in m.service.iter().enumerate() {
        if !svc.ends_with(".amazonaws.com") && !svc.ends_with(".amazonaws.com.cn") {
            f.warning(
                "INVALID_PRINCIPAL",
                &format!("{path}.{name}.Service[{i}]"),
                format!("\"{svc}\" is not a service principal"),
            );
        }
    }
    if !m.federated.is_empty() && ty != PolicyType::Trust {
        f.warning(
            "FEDERATED_PRINCIPAL",
            &format!("{path}.{name}.Federated"),
            "Federated principals only take part in role trust policies",
        );
    }
    if !m.canonical_user.is_empty() {
        f.warning(
            "CANONICAL_USER",
            &format!("{path}.{name}.CanonicalUser"),
            "CanonicalUser principals are specific to Amazon S3 and never match a request",
        );
    }
}

fn valid_aws_principal(a: &str) -> bool {
    if a == "*" || (a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit())) {
        return true;
    }
    if a.contains(['*', '?']) {
        return false;
    }
    let Some(p) = split_arn(a) else { return false };
    let acct_ok = p[4].len() == 12 && p[4].bytes().all(|b| b.is_ascii_digit());
    let res = p[5];
    p[0] == "arn"
        && acct_ok
        && p[3].is_empty()
        && match p[2] {
            "iam" => res == "root" || res.starts_with("user/") || res.starts_with("role/"),
            "sts" => res.starts_with("assumed-role/") || res.starts_with("federated-user/"),
            _ => false,
        }
}

fn check_conditions(s: &Statement, path: &str, vars: bool, f: &mut Findings) {
    for c in &s.conditions {
        let p = format!("{path}.Condition.{}.{}", c.operator, c.key);
        check_values(c, &p, vars, f);
        let key_lower = c.key.to_ascii_lowercase();
        if let Some(t) = key_type(&key_lower) {
            check_key_type(c, t, &p, f);
        }
        // A `Null: {key: "false"}` guard makes the key required.
        let guarded = s.conditions.iter().any(|g| {
            g.operator.kind == OperatorKind::Null
                && g.key.eq_ignore_ascii_case(&c.key)
                && g.values.iter().all(|v| v.eq_ignore_ascii_case("false"))
        });
        if c.operator.qualifier == Some(SetQualifier::ForAllValues)
            && s.effect == Effect::Allow
            && !c.operator.kind.is_negated()
            && !guarded
        {
            f.warning(
                "FOR_ALL_VALUES_IN_ALLOW",
                &p,
                "ForAllValues is true when the key is absent or empty, so this Allow also applies to requests without the key; add a Null check",
            );
        }
    }
    // StringEquals and StringNotEquals on the same key with the same values never both hold.
    for a in &s.conditions {
        for b in &s.conditions {
            if a.operator.kind == OperatorKind::StringEquals
                && b.operator.kind == OperatorKind::StringNotEquals
                && a.operator.qualifier.is_none()
                && b.operator.qualifier.is_none()
                && a.key.eq_ignore_ascii_case(&b.key)
                && a.values.iter().all(|v| b.values.contains(v))
            {
                f.warning("NEVER_MATCHES", &format!("{path}.Condition"),
                    format!("StringEquals and StringNotEquals on \"{}\" exclude each other: the statement never applies", a.key));
            }
        }
    }
}

fn check_values(c: &Condition, p: &str, vars: bool, f: &mut Findings) {
    let family = c.operator.kind.family();
    for (i, v) in c.values.iter().enumerate() {
        let vp = if c.values.len() == 1 {
            p.to_owned()
        } else {
            format!("{p}[{i}]")
        };
        let ok = match family {
            OperatorFamily::String | OperatorFamily::Arn => true,
            OperatorFamily::Numeric => parse_number(v).is_some(),
            OperatorFamily::Date => parse_date(v).is_some(),
            OperatorFamily::Bool | OperatorFamily::Null => parse_bool(v).is_some(),
            OperatorFamily::Binary => parse_base64(v).is_some(),
            OperatorFamily::Ip => parse_cidr(v).is_some(),
        };
        if !ok {
            f.error(
                "INVALID_CONDITION_VALUE",
                &vp,
                format!(
                    "\"{v}\" is not a valid value for {}",
                    c.operator.kind.name()
                ),
            );
        }
        if vars
            && v.contains("${")
            && !matches!(family, OperatorFamily::String | OperatorFamily::Arn)
        {
            f.warning(
                "VARIABLE_NOT_SUPPORTED",
                &vp,
                format!(
                    "{} does not substitute policy variables",
                    c.operator.kind.name()
                ),
            );
        }
        if family == OperatorFamily::Arn && v != "*" && split_arn(v).is_none() {
            f.warning(
                "INVALID_ARN",
                &vp,
                format!("\"{v}\" is not ARN-shaped: it can only match values that are not ARNs"),
            );
        }
    }
}

fn check_key_type(c: &Condition, t: KeyType, p: &str, f: &mut Findings) {
    let family = c.operator.kind.family();
    let fits = match family {
        OperatorFamily::Null => true,
        OperatorFamily::String => matches!(t, KeyType::String | KeyType::StringList | KeyType::Arn),
        OperatorFamily::Arn => t == KeyType::Arn,
        OperatorFamily::Numeric => t == KeyType::Numeric,
        OperatorFamily::Date => matches!(t, KeyType::Date),
        OperatorFamily::Bool => t == KeyType::Bool,
        OperatorFamily::Ip => t == KeyType::Ip,
        OperatorFamily::Binary => false,
    };
    if !fits {
        f.error(
            "TYPE_MISMATCH",
            p,
            format!(
                "the operator {} does not match the type of the key \"{}\"",
                c.operator.kind.name(),
                c.key
            ),
        );
    }
    let multi = t == KeyType::StringList;
    if multi && c.operator.qualifier.is_none() && family != OperatorFamily::Null {
        f.warning(
            "MISSING_SET_OPERATOR",
            p,
            format!(
                "\"{}\" is multi-valued: use ForAllValues: or ForAnyValue:",
                c.key
            ),
        );
    }
    if !multi && c.operator.qualifier.is_some() {
        f.warning("SET_OPERATOR_ON_SINGLE_VALUE", p, format!("\"{}\" is single-valued: ForAllValues:/ForAnyValue: is not needed and can be misleading", c.key));
    }
}
