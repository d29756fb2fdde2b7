//! The JSON shapes of Organizations responses (`Organization`, `Root`, `Account`,
//! `PolicySummary`, …) and the reading of request members, pagination included.

use palisade_organizations::model::builtin_policies;
use palisade_organizations::{
    AccountRec, CreateAccountStatus, OrgData, OrgError, OuRec, PolicyView, RootRec,
};
use serde_json::{Map, Value, json};

/// Largest and default page size of the List* operations (`MaxResults` 1..=20).
pub const MAX_PAGE: usize = 20;

/// Epoch seconds with milliseconds, as the AWS JSON protocols encode timestamps.
fn ts(ms: i64) -> Value {
    // Precision loss is impossible for realistic timestamps (< 2^53 ms).
    #[allow(clippy::cast_precision_loss)]
    let secs = ms as f64 / 1000.0;
    json!(secs)
}

fn policy_types(root: &RootRec) -> Value {
    Value::Array(
        root.enabled
            .iter()
            .map(|k| json!({"Type": k.wire_name(), "Status": "ENABLED"}))
            .collect(),
    )
}

/// `Organization`.
pub fn organization(org: &OrgData) -> Value {
    let email = org
        .accounts
        .get(&org.management_account)
        .map(|a| a.email.as_str())
        .unwrap_or_default();
    json!({
        "Id": org.id,
        "Arn": org.arn(),
        "FeatureSet": org.feature_set.wire_name(),
        "MasterAccountArn": org.account_arn(&org.management_account),
        "MasterAccountId": org.management_account,
        "MasterAccountEmail": email,
        "AvailablePolicyTypes": policy_types(&org.root),
    })
}

/// `Root`.
pub fn root(org: &OrgData, root: &RootRec) -> Value {
    json!({
        "Id": root.id,
        "Arn": org.root_arn(),
        "Name": root.name,
        "PolicyTypes": policy_types(root),
    })
}

/// `OrganizationalUnit`.
pub fn ou(org: &OrgData, ou: &OuRec) -> Value {
    json!({"Id": ou.id, "Arn": org.ou_arn(&ou.id), "Name": ou.name})
}

/// `Account`.
pub fn account(org: &OrgData, a: &AccountRec) -> Value {
    json!({
        "Id": a.id,
        "Arn": org.account_arn(&a.id),
        "Email": a.email,
        "Name": a.name,
        "Status": "ACTIVE",
        "State": "ACTIVE",
        "JoinedMethod": a.joined_method.wire_name(),
        "JoinedTimestamp": ts(a.joined_ms),
    })
}

/// `PolicySummary`.
pub fn policy_summary(org: &OrgData, p: &PolicyView<'_>) -> Value {
    json!({
        "Id": p.id,
        "Arn": org.policy_arn(p),
        "Name": p.name,
        "Description": p.description,
        "Type": p.kind.wire_name(),
        "AwsManaged": p.aws_managed,
    })
}

/// `Policy`: the summary and the document.
pub fn policy(org: &OrgData, p: &PolicyView<'_>) -> Value {
    json!({"PolicySummary": policy_summary(org, p), "Content": p.content})
}

/// `CreateAccountStatus`.
pub fn create_account_status(s: &CreateAccountStatus) -> Value {
    let mut v = json!({
        "Id": s.id,
        "AccountName": s.account_name,
        "State": s.state,
        "RequestedTimestamp": ts(s.requested_ms),
        "CompletedTimestamp": ts(s.completed_ms),
    });
    if let Some(obj) = v.as_object_mut() {
        if let Some(id) = &s.account_id {
            obj.insert("AccountId".into(), json!(id));
        }
        if let Some(r) = &s.failure_reason {
            obj.insert("FailureReason".into(), json!(r));
        }
    }
    v
}

/// Every policy of the organization, AWS-managed first.
pub fn all_policies(org: &OrgData) -> Vec<PolicyView<'_>> {
    let mut out: Vec<PolicyView<'_>> = builtin_policies().into_iter().collect();
    out.extend(org.policies.keys().filter_map(|id| org.policy(id)));
    out
}

/// The members of a request body.
pub struct Input(Map<String, Value>);

impl Input {
    /// Parses a body; an empty body is an empty object.
    pub fn parse(body: &[u8]) -> Result<Input, String> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Input(Map::new()));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => Ok(Input(m)),
            Ok(_) => Err("Start of structure or map found where not expected.".into()),
            Err(e) => Err(format!("Request body is not valid JSON: {e}")),
        }
    }

    /// An optional string member.
    pub fn opt(&self, name: &str) -> Result<Option<&str>, OrgError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(OrgError::invalid(
                "INVALID_INPUT",
                format!("{name} must be a string."),
            )),
        }
    }

    /// A required string member (`InvalidInputException` / `INPUT_REQUIRED` when absent).
    pub fn req(&self, name: &str) -> Result<&str, OrgError> {
        self.opt(name)?.ok_or_else(|| {
            OrgError::invalid(
                "INPUT_REQUIRED",
                format!("You must specify a value for {name}."),
            )
        })
    }

    /// `NextToken` and `MaxResults` as (offset, page size).
    pub fn page(&self) -> Result<(usize, usize), OrgError> {
        let size = match self.0.get("MaxResults") {
            None | Some(Value::Null) => MAX_PAGE,
            Some(v) => {
                let n = v.as_i64().ok_or_else(|| {
                    OrgError::invalid("INVALID_INPUT", "MaxResults must be an integer.")
                })?;
                if n < 1 {
                    return Err(OrgError::invalid(
                        "MIN_VALUE_EXCEEDED",
                        "You provided a value for MaxResults that is less than the minimum 1.",
                    ));
                }
                if n > 20 {
                    return Err(OrgError::invalid(
                        "MAX_VALUE_EXCEEDED",
                        "You provided a value for MaxResults that is greater than the maximum 20.",
                    ));
                }
                usize::try_from(n).unwrap_or(MAX_PAGE)
            }
        };
        let offset = match self.opt("NextToken")? {
            None => 0,
            Some(t) => decode_token(t).ok_or_else(|| {
                OrgError::invalid(
                    "INVALID_NEXT_TOKEN",
                    "You specified an invalid value for nextToken. You must get the value from the response to a previous call to the API.",
                )
            })?,
        };
        Ok((offset, size))
    }
}

const TOKEN_PREFIX: &str = "pal1-";

fn decode_token(t: &str) -> Option<usize> {
    t.strip_prefix(TOKEN_PREFIX)?.parse().ok()
}

/// One page of `items` under `key`, with `NextToken` when more remain.
pub fn paged(key: &str, items: Vec<Value>, (offset, size): (usize, usize)) -> Value {
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(offset).take(size).collect();
    let mut out = Map::new();
    out.insert(key.to_string(), Value::Array(page));
    if offset.saturating_add(size) < total {
        out.insert(
            "NextToken".into(),
            json!(format!("{TOKEN_PREFIX}{}", offset + size)),
        );
    }
    Value::Object(out)
}
