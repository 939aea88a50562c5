//! The API reference page (`/docs/api`): the OpenAPI document, as the page shows it.

use super::*;

/// The whole reference, one group per tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiReference {
    pub title: String,
    pub version: String,
    /// Markdown-ish paragraphs (`**bold**` and `` `code` `` only).
    pub introduction: Vec<String>,
    pub groups: Vec<ApiGroup>,
    /// Whether this server runs in sandbox mode (where the page's requests can be tried).
    pub sandbox: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiGroup {
    pub name: String,
    pub description: String,
    pub operations: Vec<ApiOperation>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiOperation {
    /// `list_rentals`: the operation's id, and the anchor of its section.
    pub id: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: Vec<String>,
    pub parameters: Vec<ApiParameter>,
    /// An example request body (JSON), if it takes one.
    pub body: Option<String>,
    pub responses: Vec<ApiResponse>,
    /// A request to copy: `curl …`.
    pub curl: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiParameter {
    pub name: String,
    /// `path`, `query` or `header`.
    pub location: String,
    pub required: bool,
    /// `integer`, `string`, `Money`…
    pub kind: String,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiResponse {
    /// `200`, `404`, `default`.
    pub status: String,
    pub description: String,
    /// The schema's name, or its type.
    pub shape: Option<String>,
}
