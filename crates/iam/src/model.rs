//! The typed policy model. A value of these types is a document AWS would accept for its
//! policy type: `Action` xor `NotAction`, `Principal` xor `NotPrincipal`, known operators.

use std::fmt;

/// The kind of document being parsed; decides which elements are required or forbidden
/// and the size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyType {
    /// An identity-based policy (also used for permissions boundaries and session policies).
    Identity,
    /// A resource-based policy (DynamoDB table or stream policy).
    Resource,
    /// A service control policy.
    Scp,
    /// A resource control policy.
    Rcp,
    /// A VPC endpoint policy.
    Endpoint,
    /// A role trust policy.
    Trust,
}

impl PolicyType {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity",
            PolicyType::Resource => "resource",
            PolicyType::Scp => "scp",
            PolicyType::Rcp => "rcp",
            PolicyType::Endpoint => "endpoint",
            PolicyType::Trust => "trust",
        }
    }

    /// Parses a command-line name.
    pub fn from_name(name: &str) -> Option<PolicyType> {
        [
            PolicyType::Identity,
            PolicyType::Resource,
            PolicyType::Scp,
            PolicyType::Rcp,
            PolicyType::Endpoint,
            PolicyType::Trust,
        ]
        .into_iter()
        .find(|t| t.name() == name)
    }

    /// Whether statements must name a `Principal` or `NotPrincipal`.
    pub fn requires_principal(self) -> bool {
        matches!(
            self,
            PolicyType::Resource | PolicyType::Rcp | PolicyType::Endpoint | PolicyType::Trust
        )
    }
}

/// The policy language version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `2012-10-17`: the current version; policy variables are substituted.
    V2012_10_17,
    /// `2008-10-17` (also the meaning of an omitted `Version`): `${...}` is literal text.
    V2008_10_17,
}

impl Version {
    /// Whether `${...}` is a policy variable in this version.
    pub fn supports_variables(self) -> bool {
        self == Version::V2012_10_17
    }
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The language version (`V2008_10_17` when the document omits it).
    pub version: Version,
    /// Whether the document states its `Version`.
    pub version_given: bool,
    /// The optional `Id`.
    pub id: Option<String>,
    /// The statements, in document order.
    pub statements: Vec<Statement>,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Grants (subject to the other policy types).
    Allow,
    /// Denies explicitly; always wins.
    Deny,
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The optional `Sid`.
    pub sid: Option<String>,
    /// The effect.
    pub effect: Effect,
    /// `Principal` or `NotPrincipal`, absent in identity policies and SCPs.
    pub principal: Option<PrincipalClause>,
    /// `Action` or `NotAction`.
    pub action: ActionClause,
    /// `Resource` or `NotResource`, absent in trust policies.
    pub resource: Option<ResourceClause>,
    /// The condition entries (operator, key, values); all must hold.
    pub conditions: Vec<Condition>,
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalClause {
    /// `Principal`: the statement applies to the listed principals.
    Principal(Principals),
    /// `NotPrincipal`: the statement applies to everyone except the listed principals.
    NotPrincipal(Principals),
}

/// The principals of a `Principal` element.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Principals {
    /// `"*"`: everyone, including anonymous callers.
    #[default]
    Any,
    /// A map of principal types to values.
    Listed(PrincipalMap),
}

/// The typed lists of a principal map. At least one list is non-empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrincipalMap {
    /// `AWS`: account ids, account root ARNs, user, role, session ARNs, or `*`.
    pub aws: Vec<String>,
    /// `Service`: service principals such as `dynamodb.amazonaws.com`.
    pub service: Vec<String>,
    /// `Federated`: identity providers (trust policies).
    pub federated: Vec<String>,
    /// `CanonicalUser`: S3 canonical user ids (never matches in Palisade).
    pub canonical_user: Vec<String>,
}

/// `Action` or `NotAction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionClause {
    /// The statement covers these actions.
    Action(Vec<String>),
    /// The statement covers every action except these.
    NotAction(Vec<String>),
}

/// `Resource` or `NotResource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceClause {
    /// The statement covers these resources.
    Resource(Vec<String>),
    /// The statement covers every resource except these.
    NotResource(Vec<String>),
}

/// One `operator: { key: values }` entry of a `Condition` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The operator, including any set qualifier and `IfExists`.
    pub operator: ConditionOperator,
    /// The condition key as written (matched case-insensitively).
    pub key: String,
    /// The values as text (JSON numbers and booleans are kept as their JSON text).
    pub values: Vec<String>,
}

/// `ForAllValues:` or `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    /// Every request value must match (true when the key is absent or empty).
    ForAllValues,
    /// At least one request value must match (false when the key is absent or empty).
    ForAnyValue,
}

/// The base condition operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum OperatorKind {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

/// The value family an operator compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperatorFamily {
    /// `String*`.
    String,
    /// `Numeric*`.
    Numeric,
    /// `Date*`.
    Date,
    /// `Bool`.
    Bool,
    /// `BinaryEquals`.
    Binary,
    /// `IpAddress`, `NotIpAddress`.
    Ip,
    /// `Arn*`.
    Arn,
    /// `Null`.
    Null,
}

const OPERATORS: [(OperatorKind, &str); 27] = [
    (OperatorKind::StringEquals, "StringEquals"),
    (OperatorKind::StringNotEquals, "StringNotEquals"),
    (
        OperatorKind::StringEqualsIgnoreCase,
        "StringEqualsIgnoreCase",
    ),
    (
        OperatorKind::StringNotEqualsIgnoreCase,
        "StringNotEqualsIgnoreCase",
    ),
    (OperatorKind::StringLike, "StringLike"),
    (OperatorKind::StringNotLike, "StringNotLike"),
    (OperatorKind::NumericEquals, "NumericEquals"),
    (OperatorKind::NumericNotEquals, "NumericNotEquals"),
    (OperatorKind::NumericLessThan, "NumericLessThan"),
    (OperatorKind::NumericLessThanEquals, "NumericLessThanEquals"),
    (OperatorKind::NumericGreaterThan, "NumericGreaterThan"),
    (
        OperatorKind::NumericGreaterThanEquals,
        "NumericGreaterThanEquals",
    ),
    (OperatorKind::DateEquals, "DateEquals"),
    (OperatorKind::DateNotEquals, "DateNotEquals"),
    (OperatorKind::DateLessThan, "DateLessThan"),
    (OperatorKind::DateLessThanEquals, "DateLessThanEquals"),
    (OperatorKind::DateGreaterThan, "DateGreaterThan"),
    (OperatorKind::DateGreaterThanEquals, "DateGreaterThanEquals"),
    (OperatorKind::Bool, "Bool"),
    (OperatorKind::BinaryEquals, "BinaryEquals"),
    (OperatorKind::IpAddress, "IpAddress"),
    (OperatorKind::NotIpAddress, "NotIpAddress"),
    (OperatorKind::ArnEquals, "ArnEquals"),
    (OperatorKind::ArnLike, "ArnLike"),
    (OperatorKind::ArnNotEquals, "ArnNotEquals"),
    (OperatorKind::ArnNotLike, "ArnNotLike"),
    (OperatorKind::Null, "Null"),
];

impl OperatorKind {
    /// The operator's name as written in policies.
    pub fn name(self) -> &'static str {
        OPERATORS
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("", |(_, n)| n)
    }

    /// Parses an operator name (case-sensitive, as IAM requires).
    pub fn from_name(name: &str) -> Option<OperatorKind> {
        OPERATORS.iter().find(|(_, n)| *n == name).map(|(k, _)| *k)
    }

    /// Whether the operator is a negation (true when the key is absent).
    pub fn is_negated(self) -> bool {
        use OperatorKind as O;
        matches!(
            self,
            O::StringNotEquals
                | O::StringNotEqualsIgnoreCase
                | O::StringNotLike
                | O::NumericNotEquals
                | O::DateNotEquals
                | O::NotIpAddress
                | O::ArnNotEquals
                | O::ArnNotLike
        )
    }

    /// The value family the operator compares.
    pub fn family(self) -> OperatorFamily {
        use OperatorKind as O;
        match self {
            O::StringEquals
            | O::StringNotEquals
            | O::StringEqualsIgnoreCase
            | O::StringNotEqualsIgnoreCase
            | O::StringLike
            | O::StringNotLike => OperatorFamily::String,
            O::NumericEquals
            | O::NumericNotEquals
            | O::NumericLessThan
            | O::NumericLessThanEquals
            | O::NumericGreaterThan
            | O::NumericGreaterThanEquals => OperatorFamily::Numeric,
            O::DateEquals
            | O::DateNotEquals
            | O::DateLessThan
            | O::DateLessThanEquals
            | O::DateGreaterThan
            | O::DateGreaterThanEquals => OperatorFamily::Date,
            O::Bool => OperatorFamily::Bool,
            O::BinaryEquals => OperatorFamily::Binary,
            O::IpAddress | O::NotIpAddress => OperatorFamily::Ip,
            O::ArnEquals | O::ArnLike | O::ArnNotEquals | O::ArnNotLike => OperatorFamily::Arn,
            O::Null => OperatorFamily::Null,
        }
    }
}

/// A full operator: optional set qualifier, base operator, optional `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConditionOperator {
    /// `ForAllValues:` / `ForAnyValue:`, if written.
    pub qualifier: Option<SetQualifier>,
    /// The base operator.
    pub kind: OperatorKind,
    /// Whether `IfExists` was appended (absent key -> true).
    pub if_exists: bool,
}

impl ConditionOperator {
    /// Parses `[ForAllValues:|ForAnyValue:]Base[IfExists]`. `NullIfExists` is rejected.
    pub fn parse(text: &str) -> Option<ConditionOperator> {
        let (qualifier, rest) = if let Some(r) = text.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), r)
        } else if let Some(r) = text.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), r)
        } else {
            (None, text)
        };
        if let Some(kind) = OperatorKind::from_name(rest) {
            return Some(ConditionOperator {
                qualifier,
                kind,
                if_exists: false,
            });
        }
        let base = rest.strip_suffix("IfExists")?;
        let kind = OperatorKind::from_name(base)?;
        if kind == OperatorKind::Null {
            return None;
        }
        Some(ConditionOperator {
            qualifier,
            kind,
            if_exists: true,
        })
    }
}

impl fmt::Display for ConditionOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.qualifier {
            Some(SetQualifier::ForAllValues) => f.write_str("ForAllValues:")?,
            Some(SetQualifier::ForAnyValue) => f.write_str("ForAnyValue:")?,
            None => {}
        }
        f.write_str(self.kind.name())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names_round_trip() {
        for (kind, name) in OPERATORS {
            assert_eq!(kind.name(), name);
            let op = ConditionOperator::parse(&format!("ForAnyValue:{name}IfExists"));
            if kind == OperatorKind::Null {
                assert_eq!(op, None);
            } else {
                let op = op.unwrap();
                assert_eq!(op.kind, kind);
                assert_eq!(op.to_string(), format!("ForAnyValue:{name}IfExists"));
            }
        }
        assert_eq!(ConditionOperator::parse("stringequals"), None);
        assert_eq!(ConditionOperator::parse("ForSomeValues:StringEquals"), None);
    }
}
