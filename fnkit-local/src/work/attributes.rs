//! How a stored message's `attributes` column holds both kinds of SQS attributes: a string
//! value is a system attribute (what the `/_fnkit/queues` API has always taken), an object
//! `{"DataType", "StringValue" | "BinaryValue" (base64)}` a message attribute, in the SQS API's
//! own JSON form. One place reads and writes that form: the SQS front and the delivery loop.

use std::collections::HashMap;

use base64::Engine as _;
use fnkit::MessageAttribute;

/// A message attribute in the SQS API's JSON form.
pub(crate) fn to_json(attribute: &MessageAttribute) -> serde_json::Value {
    let mut out = serde_json::json!({ "DataType": attribute.data_type });
    if let Some(s) = &attribute.string_value {
        out["StringValue"] = s.clone().into();
    }
    if let Some(b) = &attribute.binary_value {
        out["BinaryValue"] = base64::engine::general_purpose::STANDARD.encode(b).into();
    }
    out
}

/// A message attribute from the SQS API's JSON form, or why not.
pub(crate) fn from_json(value: &serde_json::Value) -> Result<MessageAttribute, String> {
    let data_type = value["DataType"]
        .as_str()
        .ok_or("a message attribute needs a DataType")?;
    let base = data_type.split('.').next().unwrap_or_default();
    let string_value = value["StringValue"].as_str().map(str::to_owned);
    let binary_value = match value["BinaryValue"].as_str() {
        Some(b) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(b)
                .map_err(|_| "a BinaryValue is not base64")?,
        ),
        None => None,
    };
    match base {
        "String" | "Number" if string_value.is_some() => {}
        "Binary" if binary_value.is_some() => {}
        "String" | "Number" | "Binary" => {
            return Err(format!("a {base} attribute needs its value"));
        }
        _ => return Err(format!("`{data_type}` is not String, Number or Binary")),
    }
    Ok(MessageAttribute {
        data_type: data_type.to_owned(),
        string_value,
        binary_value,
    })
}

/// The stored column split into system attributes and message attributes.
pub(crate) fn split(
    stored: &serde_json::Value,
) -> (HashMap<String, String>, HashMap<String, MessageAttribute>) {
    let mut system = HashMap::new();
    let mut message = HashMap::new();
    for (name, value) in stored.as_object().into_iter().flatten() {
        match value {
            serde_json::Value::String(s) => {
                system.insert(name.clone(), s.clone());
            }
            other => {
                if let Ok(a) = from_json(other) {
                    message.insert(name.clone(), a);
                }
            }
        }
    }
    (system, message)
}
