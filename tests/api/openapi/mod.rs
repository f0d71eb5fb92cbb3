//! SPEC §8, the OpenAPI document at `GET /api/v5/openapi.json`: it is the
//! committed snapshot (`snapshot.json` here), it is valid OpenAPI 3.1 (the
//! OpenAPI Initiative's schema, `oas-3.1-schema.json`, committed beside it:
//! no network at test time), and the server's real answers match it
//! (traffic.rs).
//!
//! `oas-3.1-schema.json` is `src/schemas/validation/schema.yaml` of the
//! OAI/OpenAPI-Specification repository (branch `v3.1-dev`, commit
//! 76fa096c152f, Apache-2.0) turned into JSON. It checks the document's
//! structure; every Schema Object in it is checked against JSON Schema
//! 2020-12's meta-schema, which the `jsonschema` crate carries.

mod traffic;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::helpers::*;

/// What the test server's issuer becomes in the snapshot.
const SNAPSHOT_ISSUER: &str = "https://gatehouse.example";

fn here(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/openapi").join(file)
}

/// The served document, checked for its media type and `servers`.
async fn served_document(app: &TestApp) -> Value {
    let response = app.http.get(app.url("/api/v5/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["servers"], json!([{ "url": app.base }]), "the server is the issuer");
    document
}

#[tokio::test]
async fn the_openapi_document_is_the_committed_snapshot() {
    let app = TestApp::spawn().await;

    let mut document = served_document(&app).await;

    document["servers"] = json!([{ "url": SNAPSHOT_ISSUER }]);
    let served = serde_json::to_string_pretty(&document).unwrap() + "\n";
    assert_snapshot(&here("snapshot.json"), &served);
}

/// Compares `actual` with the file at `path`; `UPDATE_SNAPSHOTS=1` writes
/// the file instead (then review the change with `git diff` and commit it).
#[track_caller]
fn assert_snapshot(path: &Path, actual: &str) {
    if std::env::var("UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected != actual {
        let diff = similar::TextDiff::from_lines(expected.as_str(), actual);
        let diff = diff.unified_diff().context_radius(4).header("committed", "served").to_string();
        panic!(
            "the served OpenAPI document differs from {}:\n{diff}\nIf the change is intended, run \
             `UPDATE_SNAPSHOTS=1 cargo test --test api openapi::the_openapi_document_is_the_committed_snapshot` \
             and commit the file.",
            path.display()
        );
    }
}

#[tokio::test]
async fn the_openapi_document_is_valid_openapi_3_1() {
    let app = TestApp::spawn().await;

    let document = served_document(&app).await;

    assert_eq!(document["openapi"], "3.1.0");
    let oas: Value = serde_json::from_str(&std::fs::read_to_string(here("oas-3.1-schema.json")).unwrap()).unwrap();
    let validator = jsonschema::draft202012::new(&oas).unwrap();
    let errors: Vec<String> =
        validator.iter_errors(&document).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "not valid OpenAPI 3.1:\n{}", errors.join("\n"));
    for (name, schema) in document["components"]["schemas"].as_object().unwrap() {
        let checked = jsonschema::draft202012::meta::validator().validate(schema).map_err(|e| e.to_string());
        assert_eq!(checked, Ok(()), "schema {name} is not JSON Schema 2020-12");
    }
    // utoipa's own model reads it back whole.
    let parsed: utoipa::openapi::OpenApi = serde_json::from_value(document.clone()).unwrap();
    assert_eq!(serde_json::to_value(&parsed).unwrap(), document);
}

/// The document as a contract: what each operation may answer.
pub struct Contract {
    document: Value,
}

/// One answer of the server, read whole.
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Answer {
    pub async fn read(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
        let body = response.bytes().await.unwrap().to_vec();
        Answer { status, content_type, body }
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

impl Contract {
    pub async fn of(app: &TestApp) -> Contract {
        Contract { document: served_document(app).await }
    }

    /// Sends `request`, checks the answer against the document and returns it.
    pub async fn send(&self, method: &str, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.unwrap();
        let path = response.url().path().to_owned();
        let answer = Answer::read(response).await;
        if let Err(why) = self.check(method, &path, &answer) {
            panic!(
                "{} {path} answered {}, which the OpenAPI document does not allow: {why}",
                method.to_uppercase(),
                answer.status
            );
        }
        answer
    }

    /// Whether the document allows `answer` for `method path`: the status
    /// must be listed for the operation; a listed body must come with its
    /// media type and match its schema (with the components' objects closed,
    /// so an undocumented field fails too); an answer documented without a
    /// body must have none.
    pub fn check(&self, method: &str, path: &str, answer: &Answer) -> Result<(), String> {
        let operation = self.document["paths"][path]
            .get(method)
            .ok_or_else(|| format!("no operation {method} {path} in the document"))?;
        let documented = operation["responses"]
            .get(answer.status.to_string())
            .ok_or_else(|| format!("status {} is not documented for this operation", answer.status))?;
        let Some(content) = documented.get("content").and_then(Value::as_object) else {
            return match answer.body.is_empty() {
                true => Ok(()),
                false => Err(format!(
                    "documented without a body, and it has one: {:?}",
                    String::from_utf8_lossy(&answer.body)
                )),
            };
        };
        let media_type = answer.content_type.as_deref().unwrap_or_default().split(';').next().unwrap().trim();
        let schema = &content
            .get(media_type)
            .ok_or_else(|| format!("media type {media_type:?} is not documented (only {:?})", content.keys()))?["schema"];
        let body: Value = serde_json::from_slice(&answer.body).map_err(|e| format!("the body is not JSON: {e}"))?;
        let validator = jsonschema::draft202012::new(&self.schema_with_components(schema))
            .map_err(|e| format!("the document's schema does not compile: {e}"))?;
        let errors: Vec<String> =
            validator.iter_errors(&body).map(|e| format!("{e} (at `{}`)", e.instance_path())).collect();
        match errors.is_empty() {
            true => Ok(()),
            false => Err(format!("the body {body} does not match its schema: {}", errors.join("; "))),
        }
    }

    /// `schema`, with the document's components beside it so that its
    /// `#/components/schemas/…` references resolve, and every object schema
    /// closed (`additionalProperties: false`).
    fn schema_with_components(&self, schema: &Value) -> Value {
        let mut components = self.document["components"].clone();
        for schema in components["schemas"].as_object_mut().unwrap().values_mut() {
            if schema.get("properties").is_some() && schema.get("additionalProperties").is_none() {
                schema["additionalProperties"] = json!(false);
            }
        }
        json!({ "allOf": [schema], "components": components })
    }

    /// The document, to change in a test of the checker itself.
    pub fn document_mut(&mut self) -> &mut Value {
        &mut self.document
    }
}
