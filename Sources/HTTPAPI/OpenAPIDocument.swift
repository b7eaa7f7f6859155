/// The OpenAPI 3.1 description of `/api/v1`, served at `/api/v1/openapi.json`.
///
/// `openapi.json` beside this file is the source of the API: `make openapi` generates from it the server interface
/// (`APIProtocol`), its types and its routes (`Generated/`), and embeds it as ``json``. ``sha256`` records the document
/// the code was generated from, and a test fails when the two differ.
enum OpenAPIDocument {}
