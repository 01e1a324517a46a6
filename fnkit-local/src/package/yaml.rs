//! A small YAML writer for the deploy files: maps, lists and scalars from a `serde_json::Value`,
//! in block style, strings double-quoted (JSON's escapes are valid YAML), so the output is
//! readable and unambiguous. CloudFormation intrinsics use their long form (`Fn::GetAtt`).

use serde_json::Value;

/// The YAML text of `value`.
pub(crate) fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    write(&mut out, value, 0);
    out
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::Array(a) if a.is_empty() => "[]".to_owned(),
        Value::Object(o) if o.is_empty() => "{}".to_owned(),
        other => other.to_string(),
    }
}

fn is_block(value: &Value) -> bool {
    matches!(value, Value::Array(a) if !a.is_empty())
        || matches!(value, Value::Object(o) if !o.is_empty())
}

fn key(k: &str) -> String {
    let plain = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.:/".contains(c))
        && !k.starts_with(['-', ':']);
    if plain {
        k.to_owned()
    } else {
        serde_json::to_string(k).unwrap_or_default()
    }
}

fn write(out: &mut String, value: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                out.push_str(&pad);
                out.push_str(&key(k));
                out.push(':');
                if is_block(v) {
                    out.push('\n');
                    write(out, v, indent + 2);
                } else {
                    out.push(' ');
                    out.push_str(&scalar(v));
                    out.push('\n');
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                out.push_str(&pad);
                out.push_str("- ");
                if is_block(item) {
                    // The first line of the item follows the dash; the rest is indented past it.
                    let mut nested = String::new();
                    write(&mut nested, item, indent + 2);
                    out.push_str(nested.trim_start());
                } else {
                    out.push_str(&scalar(item));
                    out.push('\n');
                }
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_block_yaml() {
        let v = json!({"a": 1, "b": {"c": "x y", "d": [1, {"e": true, "f": "g"}], "h": []}, "Fn::GetAtt": ["Q", "Arn"]});
        assert_eq!(
            to_yaml(&v),
            "Fn::GetAtt:\n  - \"Q\"\n  - \"Arn\"\na: 1\nb:\n  c: \"x y\"\n  d:\n    - 1\n    - e: true\n      f: \"g\"\n  h: []\n"
        );
    }
}
