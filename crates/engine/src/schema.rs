//! Table and index metadata as the engine keeps it in the catalog.

use palisade_model::{AttributeValue, Item, ScalarType};
use serde::{Deserialize, Serialize};

/// The type of a key attribute (stored form of [`ScalarType`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttrType {
    S,
    N,
    B,
}

impl From<ScalarType> for AttrType {
    fn from(t: ScalarType) -> AttrType {
        match t {
            ScalarType::S => AttrType::S,
            ScalarType::N => AttrType::N,
            ScalarType::B => AttrType::B,
        }
    }
}

impl From<AttrType> for ScalarType {
    fn from(t: AttrType) -> ScalarType {
        match t {
            AttrType::S => ScalarType::S,
            AttrType::N => ScalarType::N,
            AttrType::B => ScalarType::B,
        }
    }
}

/// One key attribute: its name and type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAttr {
    pub name: String,
    pub ty: AttrType,
}

/// A key schema: one partition-key attribute and at most one sort-key attribute for tables and
/// LSIs; up to four of each for GSIs (multi-attribute keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyDef {
    pub partition: Vec<KeyAttr>,
    pub sort: Vec<KeyAttr>,
}

impl KeyDef {
    /// Every key attribute, partition first.
    pub fn attrs(&self) -> impl Iterator<Item = &KeyAttr> {
        self.partition.iter().chain(self.sort.iter())
    }

    /// Whether `name` is one of the key attributes.
    pub fn contains(&self, name: &str) -> bool {
        self.attrs().any(|a| a.name == name)
    }

    /// Whether `item` has every key attribute with the right type (an index is sparse: items
    /// without its keys are not in it).
    pub fn is_present_in(&self, item: &Item) -> bool {
        self.attrs()
            .all(|a| item.get(&a.name).and_then(AttributeValue::scalar_type) == Some(a.ty.into()))
    }
}

/// Which attributes an index carries besides the keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Projection {
    All,
    KeysOnly,
    Include(Vec<String>),
}

/// Global or local secondary index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexKind {
    Global,
    Local,
}

/// Lifecycle of a table or index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Creating,
    Updating,
    Deleting,
    Active,
}

impl Status {
    /// DynamoDB's name for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Creating => "CREATING",
            Status::Updating => "UPDATING",
            Status::Deleting => "DELETING",
            Status::Active => "ACTIVE",
        }
    }
}

/// Read and write capacity units of provisioned mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throughput {
    pub read: u64,
    pub write: u64,
}

/// A secondary index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexMeta {
    pub name: String,
    /// Number of the index inside its table's key space; never reused within a table.
    pub number: u16,
    pub kind: IndexKind,
    pub keys: KeyDef,
    pub projection: Projection,
    pub status: Status,
    /// Provisioned throughput of a GSI in provisioned mode.
    pub throughput: Option<Throughput>,
}

impl IndexMeta {
    /// Whether the index stores attribute `name` of its items (keys of the index and of the
    /// table are always stored).
    pub fn projects(&self, name: &str, table_keys: &KeyDef) -> bool {
        if self.keys.contains(name) || table_keys.contains(name) {
            return true;
        }
        match &self.projection {
            Projection::All => true,
            Projection::KeysOnly => false,
            Projection::Include(names) => names.iter().any(|n| n == name),
        }
    }

    /// The projection of a table item into this index.
    pub fn project(&self, item: &Item, table_keys: &KeyDef) -> Item {
        match &self.projection {
            Projection::All => item.clone(),
            _ => item
                .iter()
                .filter(|(k, _)| self.projects(k, table_keys))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

/// Billing mode of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BillingMode {
    Provisioned,
    PayPerRequest,
}

impl BillingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            BillingMode::Provisioned => "PROVISIONED",
            BillingMode::PayPerRequest => "PAY_PER_REQUEST",
        }
    }
}

/// Everything the catalog knows about one table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableMeta {
    /// Internal number of the table; prefixes all of its keys; never reused.
    pub id: u64,
    pub account: String,
    pub name: String,
    /// DynamoDB's `TableId` (a UUID).
    pub uuid: String,
    pub keys: KeyDef,
    /// AttributeDefinitions as given (name, type), in the order given.
    pub attribute_definitions: Vec<KeyAttr>,
    pub billing_mode: BillingMode,
    pub throughput: Option<Throughput>,
    pub indexes: Vec<IndexMeta>,
    pub next_index_number: u16,
    pub status: Status,
    /// Seconds since the epoch, with millisecond precision.
    pub created_at: f64,
    pub billing_mode_changed_at: Option<f64>,
    pub tags: Vec<(String, String)>,
    pub stream_view_type: Option<String>,
    pub stream_label: Option<String>,
    pub table_class: String,
    pub deletion_protection: bool,
    pub resource_policy: Option<String>,
    /// RevisionId of the resource policy (a digest of its text, so the same document gives the
    /// same revision).
    #[serde(default)]
    pub policy_revision: Option<String>,
}

impl TableMeta {
    /// The table's ARN.
    pub fn arn(&self, region: &str) -> String {
        format!(
            "arn:aws:dynamodb:{region}:{}:table/{}",
            self.account, self.name
        )
    }

    /// A secondary index by name.
    pub fn index(&self, name: &str) -> Option<&IndexMeta> {
        self.indexes.iter().find(|i| i.name == name)
    }

    /// The type of attribute `name` if it is declared in AttributeDefinitions.
    pub fn attr_type(&self, name: &str) -> Option<AttrType> {
        self.attribute_definitions
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.ty)
    }
}
