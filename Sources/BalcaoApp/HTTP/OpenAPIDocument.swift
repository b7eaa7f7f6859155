/// The OpenAPI 3.1 description of `/api/v1`, served at `/api/v1/openapi.json`.
///
/// A test compares its paths and methods with the router's, so the two cannot drift apart.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Balcão API",
    "version": "1",
    "description": "Documents and search of a Balcão appliance. Every operation needs `Authorization: Bearer <api token>`."
  },
  "servers": [{"url": "/api/v1"}],
  "security": [{"bearer": []}],
  "paths": {
    "/documents": {
      "get": {
        "operationId": "listDocuments",
        "summary": "Every document, newest first",
        "responses": {
          "200": {"description": "The documents", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DocumentList"}}}},
          "401": {"$ref": "#/components/responses/Error"}
        }
      },
      "post": {
        "operationId": "uploadDocument",
        "summary": "Upload a PDF, DOCX or text file; it is processed in the background",
        "requestBody": {
          "required": true,
          "content": {
            "multipart/form-data": {
              "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                  "file": {"type": "string", "format": "binary"},
                  "agent": {"type": "string", "description": "Name of the agent that answers from this document"},
                  "password": {"type": "string", "description": "Password of an encrypted PDF"}
                }
              }
            }
          }
        },
        "responses": {
          "201": {"description": "Stored and queued", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Document"}}}},
          "200": {"description": "The same content was uploaded before: the existing document", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Document"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "415": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/documents/{id}": {
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int64"}}],
      "get": {
        "operationId": "getDocument",
        "summary": "One document and its processing state",
        "responses": {
          "200": {"description": "The document", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Document"}}}},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"}
        }
      },
      "delete": {
        "operationId": "deleteDocument",
        "summary": "Delete a document with its chunks, vectors and original",
        "responses": {
          "200": {"description": "The deleted document", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Document"}}}},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "409": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/search": {
      "get": {
        "operationId": "search",
        "summary": "The passages that best match a text (accent- and case-insensitive)",
        "parameters": [
          {"name": "q", "in": "query", "required": true, "schema": {"type": "string"}},
          {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 5}},
          {"name": "agent", "in": "query", "schema": {"type": "string"}, "description": "Search only this agent's documents"}
        ],
        "responses": {
          "200": {"description": "Best first", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResults"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"}
        }
      }
    }
  },
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    "responses": {
      "Error": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    },
    "schemas": {
      "Document": {
        "type": "object",
        "required": ["id", "filename", "sha256", "bytes", "status", "reason", "pages", "chunks", "created_at", "updated_at"],
        "properties": {
          "id": {"type": "integer", "format": "int64"},
          "filename": {"type": "string"},
          "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
          "bytes": {"type": "integer"},
          "status": {"type": "string", "enum": ["queued", "extracting", "chunking", "embedding", "indexed", "failed", "needs_ocr", "unreadable"]},
          "reason": {"type": ["string", "null"], "description": "Why the document did not reach indexed, in plain words"},
          "pages": {"type": ["integer", "null"]},
          "chunks": {"type": "integer"},
          "created_at": {"type": "string", "format": "date-time"},
          "updated_at": {"type": "string", "format": "date-time"}
        }
      },
      "DocumentList": {
        "type": "object",
        "required": ["documents"],
        "properties": {"documents": {"type": "array", "items": {"$ref": "#/components/schemas/Document"}}}
      },
      "SearchResults": {
        "type": "object",
        "required": ["results"],
        "properties": {
          "results": {
            "type": "array",
            "items": {
              "type": "object",
              "required": ["document_id", "filename", "page", "section", "text", "score"],
              "properties": {
                "document_id": {"type": "integer", "format": "int64"},
                "filename": {"type": "string"},
                "page": {"type": ["integer", "null"]},
                "section": {"type": "string"},
                "text": {"type": "string"},
                "score": {"type": "number"}
              }
            }
          }
        }
      },
      "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
          "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}}
          }
        }
      }
    }
  }
}
"""#
}
