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
                          "agent": {"type": "string", "maxLength": 100, "pattern": "^$|\\S", "description": "Name of the agent that answers from this document (created on first use); empty for none"},
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
                  "415": {"$ref": "#/components/responses/Error"},
                  "503": {"description": "The data directory is read-only (code read_only) or another process holds the database lock (code database_busy); nothing was stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                  "507": {"description": "The disk is full (code disk_full); nothing was stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
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
                  {"name": "q", "in": "query", "required": true, "schema": {"type": "string", "minLength": 1, "pattern": "\\S"}, "description": "The text: at least one character that is not white space"},
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
            },
            "/agents": {
              "get": {"operationId": "listAgents", "summary": "Every agent", "responses": {"200": {"description": "The agents", "content": {"application/json": {"schema": {"type": "object", "required": ["agents"], "properties": {"agents": {"type": "array", "items": {"$ref": "#/components/schemas/Agent"}}}}}}}, "401": {"$ref": "#/components/responses/Error"}}},
              "post": {"operationId": "createAgent", "summary": "Create an agent", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Agent"}}}}, "responses": {"201": {"description": "Created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Agent"}}}}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}
            },
            "/agents/{id}": {
              "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int64"}}],
              "get": {"operationId": "getAgent", "summary": "One agent", "responses": {"200": {"description": "The agent", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Agent"}}}}, "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}},
              "put": {"operationId": "updateAgent", "summary": "Change an agent (fields left out stay as they are)", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Agent"}}}}, "responses": {"200": {"description": "The agent", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Agent"}}}}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}},
              "delete": {"operationId": "deleteAgent", "summary": "Delete an agent (its documents stay)", "responses": {"200": {"description": "The deleted agent", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Agent"}}}}, "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
            },
            "/conversations": {
              "get": {"operationId": "listConversations", "summary": "Conversations, most recent first", "parameters": [{"name": "mode", "in": "query", "schema": {"type": "string", "enum": ["assistant", "human"]}}], "responses": {"200": {"description": "The conversations", "content": {"application/json": {"schema": {"type": "object", "required": ["conversations"], "properties": {"conversations": {"type": "array", "items": {"$ref": "#/components/schemas/Conversation"}}}}}}}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}}}
            },
            "/conversations/{id}": {
              "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int64"}}],
              "get": {"operationId": "getConversation", "summary": "A conversation with its messages and answers", "responses": {"200": {"description": "The thread", "content": {"application/json": {"schema": {"type": "object", "required": ["conversation", "messages", "answers"], "properties": {"conversation": {"$ref": "#/components/schemas/Conversation"}, "messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}}, "answers": {"type": "array", "items": {"$ref": "#/components/schemas/Answer"}}}}}}}, "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
            },
            "/conversations/{id}/handoff": {
              "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int64"}}],
              "post": {"operationId": "handoffConversation", "summary": "A person takes over: the assistant stays silent", "responses": {"200": {"description": "The conversation", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Conversation"}}}}, "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
            },
            "/conversations/{id}/release": {
              "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int64"}}],
              "post": {"operationId": "releaseConversation", "summary": "The assistant answers again", "responses": {"200": {"description": "The conversation", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Conversation"}}}}, "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
            },
            "/conversations/{id}/reply": {
              "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int64"}}],
              "post": {"operationId": "replyToConversation", "summary": "Send an operator's reply through the outbox", "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 4096, "pattern": "\\S"}}}}}}, "responses": {"202": {"description": "Queued", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}}}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
            },
            "/unanswered": {
              "get": {"operationId": "listUnanswered", "summary": "Questions no passage answered", "responses": {"200": {"description": "Newest first", "content": {"application/json": {"schema": {"type": "object", "required": ["answers"], "properties": {"answers": {"type": "array", "items": {"$ref": "#/components/schemas/Answer"}}}}}}}, "401": {"$ref": "#/components/responses/Error"}}}
            },
            "/credits": {
              "get": {"operationId": "getCredits", "summary": "Balance, low-balance threshold and recent ledger entries", "responses": {"200": {"description": "The balance", "content": {"application/json": {"schema": {"type": "object", "required": ["balance", "reserved", "low_balance_threshold", "is_low", "ledger"], "properties": {"balance": {"type": "string"}, "reserved": {"type": "string"}, "low_balance_threshold": {"type": ["string", "null"]}, "is_low": {"type": "boolean"}, "ledger": {"type": "array", "items": {"$ref": "#/components/schemas/CreditEntry"}}}}}}}, "401": {"$ref": "#/components/responses/Error"}}}
            },
            "/credits/topups": {
              "post": {"operationId": "topUpCredits", "summary": "Add credits (audited; idempotent by external_id)", "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["amount", "reason"], "properties": {"amount": {"type": "number", "minimum": 0.000001, "maximum": 1000000000, "description": "Credits, to the micro-credit"}, "reason": {"type": "string", "minLength": 1, "pattern": "\\S"}, "external_id": {"type": ["string", "null"]}}}}}}, "responses": {"201": {"description": "Added", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreditEntry"}}}}, "200": {"description": "Already added (same external_id)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreditEntry"}}}}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}}}
            }
          },
          "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {
              "Error": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            },
            "schemas": {
              "Agent": {
                "type": "object",
                "description": "In a request, a field left out or null stays as it is (or takes its default).",
                "required": ["name"],
                "properties": {
                  "id": {"type": "integer", "format": "int64", "readOnly": true},
                  "name": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "\\S"},
                  "persona": {"type": ["string", "null"]},
                  "instructions": {"type": ["string", "null"]},
                  "language": {"type": ["string", "null"], "pattern": "^(pt|en)", "examples": ["pt-BR", "en"]},
                  "documents": {"type": ["array", "null"], "items": {"type": "integer", "format": "int64"}},
                  "phone_number_ids": {"type": ["array", "null"], "items": {"type": "string"}},
                  "handoff_keywords": {"type": ["array", "null"], "items": {"type": "string"}},
                  "out_of_credits_message": {"type": ["string", "null"]},
                  "out_of_scope_message": {"type": ["string", "null"]},
                  "is_default": {"type": ["boolean", "null"]}
                }
              },
              "Conversation": {
                "type": "object",
                "required": ["id", "phone_number_id", "customer_id", "mode", "updated_at"],
                "properties": {
                  "id": {"type": "integer", "format": "int64"},
                  "phone_number_id": {"type": "string"},
                  "customer_id": {"type": "string"},
                  "customer_name": {"type": ["string", "null"]},
                  "agent_id": {"type": ["integer", "null"]},
                  "mode": {"type": "string", "enum": ["assistant", "human"]},
                  "human_until": {"type": ["string", "null"], "format": "date-time"},
                  "last_inbound_at": {"type": ["string", "null"], "format": "date-time"},
                  "updated_at": {"type": "string", "format": "date-time"}
                }
              },
              "Message": {
                "type": "object",
                "required": ["id", "direction", "author", "kind", "text", "created_at"],
                "properties": {
                  "id": {"type": "integer", "format": "int64"},
                  "direction": {"type": "string", "enum": ["in", "out"]},
                  "author": {"type": "string", "enum": ["customer", "assistant", "operator", "system"]},
                  "kind": {"type": "string"},
                  "text": {"type": "string"},
                  "status": {"type": ["string", "null"], "enum": ["queued", "sending", "sent", "delivered", "read", "failed", null]},
                  "status_reason": {"type": ["string", "null"]},
                  "created_at": {"type": "string", "format": "date-time"}
                }
              },
              "Answer": {
                "type": "object",
                "required": ["id", "conversation_id", "question", "text", "outcome", "sources", "latency_ms", "prompt_tokens", "completion_tokens", "cost", "created_at"],
                "properties": {
                  "id": {"type": "integer", "format": "int64"},
                  "conversation_id": {"type": "integer", "format": "int64"},
                  "question": {"type": "string"},
                  "text": {"type": "string"},
                  "outcome": {"type": "string", "enum": ["generated", "extractive", "unanswered", "handoff", "out_of_credits"]},
                  "sources": {"type": "array", "items": {"type": "object", "properties": {"chunk_id": {"type": "integer"}, "score": {"type": "number"}}}},
                  "latency_ms": {"type": "integer"},
                  "prompt_tokens": {"type": "integer"},
                  "completion_tokens": {"type": "integer"},
                  "cost": {"type": "integer", "description": "In millionths of a credit"},
                  "created_at": {"type": "string", "format": "date-time"}
                }
              },
              "CreditEntry": {
                "type": "object",
                "required": ["id", "kind", "amount", "reason", "actor", "created_at"],
                "properties": {
                  "id": {"type": "integer", "format": "int64"},
                  "kind": {"type": "string"},
                  "amount": {"type": "string", "description": "Signed decimal number of credits"},
                  "reason": {"type": "string"},
                  "actor": {"type": "string"},
                  "external_id": {"type": ["string", "null"]},
                  "reference": {"type": ["string", "null"]},
                  "created_at": {"type": "string", "format": "date-time"}
                }
              },
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
