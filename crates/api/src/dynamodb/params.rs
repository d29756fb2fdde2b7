//! Reading request parameters out of a DynamoDB JSON body, with DynamoDB's errors for wrong
//! types (SerializationException) and missing or invalid values (ValidationException).

use std::collections::HashMap;

use palisade_model::{AttributeValue, Item, attribute_value_from_json, item_from_json};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// The top-level object of a request body.
pub struct Params<'a> {
    map: &'a Map<String, Value>,
}

fn token(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL_VALUE",
        Value::Bool(true) => "VALUE_TRUE",
        Value::Bool(false) => "VALUE_FALSE",
        Value::Number(n) if n.is_i64() || n.is_u64() => "VALUE_NUMBER_INT",
        Value::Number(_) => "VALUE_NUMBER_FLOAT",
        Value::String(_) => "VALUE_STRING",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
    }
}

/// A value of the wrong JSON type.
pub fn wrong_type(v: &Value, expected: &str) -> ApiError {
    ApiError::serialization(format!("{} can not be converted to {expected}", token(v)))
}

/// DynamoDB's message for a missing required parameter.
pub fn missing(param: &str) -> ApiError {
    ApiError::validation(format!(
        "1 validation error detected: Value null at '{param}' failed to satisfy constraint: Member must not be null"
    ))
}

/// Converts a model error on an attribute value into the wire error.
pub fn value_error(e: palisade_model::ValueError) -> ApiError {
    if e.is_serialization() {
        ApiError::serialization(e.to_string())
    } else {
        ApiError::validation(e.to_string())
    }
}

impl<'a> Params<'a> {
    /// Parses a request body (already known to be JSON) as an object.
    pub fn parse(body: &[u8]) -> Result<Value, ApiError> {
        let v: Value = serde_json::from_slice(body).map_err(|_| {
            ApiError::serialization("Start of structure or map found where not expected.")
        })?;
        if !v.is_object() {
            return Err(ApiError::serialization(
                "Start of structure or map found where not expected.",
            ));
        }
        Ok(v)
    }

    /// The members of a top-level object.
    pub fn from_map(map: &'a Map<String, Value>) -> Params<'a> {
        Params { map }
    }

    pub fn new(v: &'a Value) -> Result<Params<'a>, ApiError> {
        v.as_object()
            .map(|map| Params { map })
            .ok_or_else(|| wrong_type(v, "Structure"))
    }

    /// A present, non-null field.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    pub fn str(&self, name: &str) -> Result<Option<&'a str>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(wrong_type(v, "String")),
        }
    }

    /// A required string; `param` is the camel-case name DynamoDB uses in messages.
    pub fn req_str(&self, name: &str, param: &str) -> Result<&'a str, ApiError> {
        self.str(name)?.ok_or_else(|| missing(param))
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(wrong_type(v, "Boolean")),
        }
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| wrong_type(&Value::Number(n.clone()), "Integer")),
            Some(v) => Err(wrong_type(v, "Integer")),
        }
    }

    pub fn obj(&self, name: &str) -> Result<Option<Params<'a>>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v @ Value::Object(_)) => Params::new(v).map(Some),
            Some(v) => Err(wrong_type(v, "Structure")),
        }
    }

    pub fn list(&self, name: &str) -> Result<Option<&'a Vec<Value>>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(v) => Err(wrong_type(v, "List")),
        }
    }

    /// A map field as (key, value) pairs.
    pub fn map(&self, name: &str) -> Result<Option<&'a Map<String, Value>>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(v) => Err(wrong_type(v, "Map")),
        }
    }

    pub fn str_list(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        let Some(list) = self.list(name)? else {
            return Ok(None);
        };
        list.iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| wrong_type(v, "String"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// An item-shaped field (`Item`, `Key`, `ExclusiveStartKey`).
    pub fn item(&self, name: &str) -> Result<Option<Item>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => item_from_json(v).map(Some).map_err(value_error),
        }
    }

    /// `ExpressionAttributeNames`.
    pub fn names(&self) -> Result<Option<HashMap<String, String>>, ApiError> {
        let Some(m) = self.map("ExpressionAttributeNames")? else {
            return Ok(None);
        };
        let mut out = HashMap::new();
        for (k, v) in m {
            let s = v.as_str().ok_or_else(|| wrong_type(v, "String"))?;
            out.insert(k.clone(), s.to_string());
        }
        Ok(Some(out))
    }

    /// `ExpressionAttributeValues`.
    pub fn values(&self) -> Result<Option<HashMap<String, AttributeValue>>, ApiError> {
        let Some(m) = self.map("ExpressionAttributeValues")? else {
            return Ok(None);
        };
        let mut out = HashMap::new();
        for (k, v) in m {
            out.insert(
                k.clone(),
                attribute_value_from_json(v).map_err(value_error)?,
            );
        }
        Ok(Some(out))
    }

    /// An enum-valued string checked against its allowed values, with DynamoDB's message.
    pub fn enum_str(
        &self,
        name: &str,
        param: &str,
        allowed: &[&str],
    ) -> Result<Option<&'a str>, ApiError> {
        let Some(s) = self.str(name)? else {
            return Ok(None);
        };
        if allowed.contains(&s) {
            Ok(Some(s))
        } else {
            Err(ApiError::validation(format!(
                "1 validation error detected: Value '{s}' at '{param}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                allowed.join(", ")
            )))
        }
    }
}

/// Checks a table name parameter (a name or, where allowed, a table ARN).
pub fn table_name(p: &Params<'_>, name: &str, param: &str) -> Result<String, ApiError> {
    let s = p.req_str(name, param)?;
    if s.starts_with("arn:") {
        return Ok(s.to_string());
    }
    palisade_model::validate_table_name(s, param).map_err(ApiError::validation)?;
    Ok(s.to_string())
}
