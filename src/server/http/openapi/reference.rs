//! The OpenAPI document as the reference page (`/docs/api`) shows it: its operations grouped by
//! tag, each with its parameters, an example body built from its schema, its answers, and a
//! `curl` line to copy.

use crate::api::dto::{ApiGroup, ApiOperation, ApiParameter, ApiReference, ApiResponse};
use serde_json::{Map, Value};

/// The reference for a server reached at `origin`.
pub fn reference(doc: &Value, origin: &str, sandbox: bool) -> ApiReference {
    let mut groups: Vec<ApiGroup> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| ApiGroup {
            name: text(&t["name"]),
            description: text(&t["description"]),
            operations: Vec::new(),
        })
        .collect();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let operation = operation(doc, origin, method, path, op);
            let tag = text(&op["tags"][0]);
            match groups.iter_mut().find(|g| g.name == tag) {
                Some(group) => group.operations.push(operation),
                None => groups.push(ApiGroup {
                    name: tag,
                    description: String::new(),
                    operations: vec![operation],
                }),
            }
        }
    }
    groups.retain(|g| !g.operations.is_empty());
    for group in &mut groups {
        group.operations.sort_by(|a, b| {
            (a.path.as_str(), method_rank(&a.method))
                .cmp(&(b.path.as_str(), method_rank(&b.method)))
        });
    }
    ApiReference {
        title: text(&doc["info"]["title"]),
        version: text(&doc["info"]["version"]),
        introduction: paragraphs(&text(&doc["info"]["description"])),
        groups,
        sandbox,
    }
}

const METHODS: [&str; 7] = ["get", "post", "put", "patch", "delete", "head", "options"];

fn method_rank(method: &str) -> usize {
    ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
        .iter()
        .position(|m| *m == method)
        .unwrap_or(9)
}

fn operation(doc: &Value, origin: &str, method: &str, path: &str, op: &Value) -> ApiOperation {
    let parameters: Vec<ApiParameter> = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| resolve(doc, p))
        .map(|p| ApiParameter {
            name: text(&p["name"]),
            location: text(&p["in"]),
            required: p["required"].as_bool().unwrap_or(false),
            kind: shape(&p["schema"]),
            description: text(&p["description"]),
        })
        .collect();
    let body = resolve(doc, &op["requestBody"]);
    let body = body["content"]
        .as_object()
        .and_then(|content| content.get("application/json"))
        .map(|media| {
            let example = if media["example"].is_null() {
                example(doc, &media["schema"], 0)
            } else {
                media["example"].clone()
            };
            serde_json::to_string_pretty(&example).unwrap_or_default()
        });
    let responses = op["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(status, response)| {
            let response = resolve(doc, response);
            let shape = response["content"]
                .as_object()
                .and_then(|c| c.iter().next())
                .map(|(media, m)| match shape(&m["schema"]) {
                    s if s.is_empty() => media.clone(),
                    s if media == "application/json" => s,
                    s => format!("{s} ({media})"),
                });
            ApiResponse {
                status: status.clone(),
                description: text(&response["description"]),
                shape,
            }
        })
        .collect();
    let method = method.to_uppercase();
    let secured = op["security"].is_array();
    ApiOperation {
        id: text(&op["operationId"]),
        curl: curl(origin, &method, path, &parameters, secured, body.as_deref()),
        summary: text(&op["summary"]),
        description: paragraphs(&text(&op["description"])),
        method,
        path: path.to_owned(),
        parameters,
        body,
        responses,
    }
}

fn curl(
    origin: &str,
    method: &str,
    path: &str,
    parameters: &[ApiParameter],
    secured: bool,
    body: Option<&str>,
) -> String {
    let query: Vec<String> = parameters
        .iter()
        .filter(|p| p.location == "query" && p.required)
        .map(|p| format!("{}=…", p.name))
        .collect();
    let mut url = format!("{origin}{path}");
    if !query.is_empty() {
        url = format!("{url}?{}", query.join("&"));
    }
    let mut lines = vec![if method == "GET" {
        format!("curl '{url}'")
    } else if method == "HEAD" {
        format!("curl -I '{url}'")
    } else {
        format!("curl -X {method} '{url}'")
    }];
    if secured {
        lines.push("  -H \"Authorization: Bearer $NAMASKAH_API_KEY\"".to_owned());
    }
    if parameters.iter().any(|p| p.name == "Idempotency-Key") {
        lines.push("  -H \"Idempotency-Key: $(uuidgen)\"".to_owned());
    }
    if let Some(body) = body {
        let compact = serde_json::from_str::<Value>(body)
            .map(|v| v.to_string())
            .unwrap_or_else(|_| body.to_owned());
        lines.push("  -H 'Content-Type: application/json'".to_owned());
        lines.push(format!("  -d '{}'", compact.replace('\'', "'\\''")));
    }
    lines.join(" \\\n")
}

/// What `$ref` points to (one level), or the value itself.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    v["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|pointer| doc.pointer(pointer))
        .unwrap_or(v)
}

/// A schema in a word or two: its name, or its type.
fn shape(schema: &Value) -> String {
    if let Some(name) = schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
        return name.to_owned();
    }
    if let Some(options) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
        let named: Vec<String> = options
            .iter()
            .filter(|o| o["type"] != "null")
            .map(shape)
            .collect();
        return named.join(" or ");
    }
    let kind = match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    };
    match kind.as_str() {
        "array" => format!("array of {}", shape(&schema["items"])),
        "string" if schema["format"].is_string() => format!("string ({})", text(&schema["format"])),
        "string" if schema["enum"].is_array() => schema["enum"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => kind,
    }
}

/// An example of a value of `schema`: its own example where it has one, else one made from
/// its type.
fn example(doc: &Value, schema: &Value, depth: usize) -> Value {
    if depth > 8 {
        return Value::Null;
    }
    if !schema["example"].is_null() {
        return schema["example"].clone();
    }
    if let Some(first) = schema["examples"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    if schema["$ref"].is_string() {
        return example(doc, resolve(doc, schema), depth + 1);
    }
    if let Some(options) = schema["oneOf"]
        .as_array()
        .or(schema["anyOf"].as_array())
        .or(schema["allOf"].as_array())
    {
        return options
            .iter()
            .find(|o| o["type"] != "null")
            .map_or(Value::Null, |o| example(doc, o, depth + 1));
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    let kind = match &schema["type"] {
        Value::String(t) => t.as_str(),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema["properties"].is_object() => "object",
        _ => "null",
    };
    match kind {
        "object" => {
            let mut object = Map::new();
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                object.insert(name.clone(), example(doc, property, depth + 1));
            }
            Value::Object(object)
        }
        "array" => Value::Array(vec![example(doc, &schema["items"], depth + 1)]),
        "string" => Value::String(
            match schema["format"].as_str() {
                Some("date-time") => "2026-12-01T12:00:00Z",
                Some("date") => "2026-12-01",
                _ => "string",
            }
            .to_owned(),
        ),
        "integer" => Value::from(schema["minimum"].as_i64().filter(|m| *m > 0).unwrap_or(1)),
        "number" => Value::from(1.5),
        "boolean" => Value::Bool(false),
        _ => Value::Null,
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn paragraphs(s: &str) -> Vec<String> {
    s.split("\n\n")
        .map(|p| p.trim().replace('\n', " "))
        .filter(|p| !p.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_example_is_built_from_the_schema_and_its_references() {
        let doc = json!({"components": {"schemas": {
            "Money": {"type": "string", "example": "1.5000"},
            "New": {"type": "object", "properties": {
                "country": {"type": "string"},
                "hours": {"type": ["integer", "null"], "minimum": 1},
                "price": {"$ref": "#/components/schemas/Money"},
                "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
                "at": {"type": "string", "format": "date-time"}
            }}
        }}});
        let schema = json!({"$ref": "#/components/schemas/New"});
        assert_eq!(
            example(&doc, &schema, 0),
            json!({"country": "string", "hours": 1, "price": "1.5000", "tags": ["a"],
                   "at": "2026-12-01T12:00:00Z"})
        );
        assert_eq!(shape(&schema), "New");
        assert_eq!(
            shape(&json!({"type": "array", "items": {"$ref": "#/components/schemas/Money"}})),
            "array of Money"
        );
    }

    #[test]
    fn the_curl_line_carries_the_key_the_idempotency_key_and_the_body() {
        let key = ApiParameter {
            name: "Idempotency-Key".into(),
            location: "header".into(),
            required: false,
            kind: "string".into(),
            description: String::new(),
        };
        let line = curl(
            "http://127.0.0.1:3000",
            "POST",
            "/api/rentals/create",
            &[key],
            true,
            Some("{\n  \"country\": \"GB\"\n}"),
        );
        assert_eq!(
            line,
            "curl -X POST 'http://127.0.0.1:3000/api/rentals/create' \\\n  \
             -H \"Authorization: Bearer $NAMASKAH_API_KEY\" \\\n  \
             -H \"Idempotency-Key: $(uuidgen)\" \\\n  \
             -H 'Content-Type: application/json' \\\n  \
             -d '{\"country\":\"GB\"}'"
        );
    }
}
