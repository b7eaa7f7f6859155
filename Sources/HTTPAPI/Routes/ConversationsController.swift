import Conversations
import Foundation
import Hummingbird
import Storage

/// A conversation in lists.
struct APIConversation: ResponseEncodable, Sendable {
    var id: Int64
    var phoneNumberID: String
    var customerID: String
    var customerName: String?
    var agentID: Int64?
    var mode: String
    var humanUntil: String?
    var lastInboundAt: String?
    var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case id, mode
        case phoneNumberID = "phone_number_id"
        case customerID = "customer_id"
        case customerName = "customer_name"
        case agentID = "agent_id"
        case humanUntil = "human_until"
        case lastInboundAt = "last_inbound_at"
        case updatedAt = "updated_at"
    }

    init(_ conversation: Conversation) {
        id = conversation.id!
        phoneNumberID = conversation.phoneNumberID
        customerID = conversation.customerID
        customerName = conversation.customerName
        agentID = conversation.agentId
        mode = conversation.mode.rawValue
        humanUntil = conversation.humanUntil.map(APIDocument.timestamp)
        lastInboundAt = conversation.lastInboundAt.map(APIDocument.timestamp)
        updatedAt = APIDocument.timestamp(conversation.updatedAt)
    }
}

/// A message in a thread.
struct APIMessage: ResponseEncodable, Sendable {
    var id: Int64
    var direction: String
    var author: String
    var kind: String
    var text: String
    var status: String?
    var statusReason: String?
    var createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, direction, author, kind, text, status
        case statusReason = "status_reason"
        case createdAt = "created_at"
    }

    init(_ message: ConversationMessage) {
        id = message.id!
        direction = message.direction
        author = message.author
        kind = message.kind
        text = message.text
        status = message.status
        statusReason = message.statusReason
        createdAt = APIDocument.timestamp(message.createdAt)
    }
}

/// What an answer was built from.
struct APIAnswer: Encodable, Sendable {
    var id: Int64
    var conversationID: Int64
    var question: String
    var text: String
    var outcome: String
    var sources: [Source]
    var latencyMs: Int
    var promptTokens: Int
    var completionTokens: Int
    var cost: Int64
    var createdAt: String

    struct Source: Codable, Sendable {
        var chunkID: Int64
        var score: Double
        enum CodingKeys: String, CodingKey {
            case chunkID = "chunk_id"
            case score
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, question, text, outcome, sources, cost
        case conversationID = "conversation_id"
        case latencyMs = "latency_ms"
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case createdAt = "created_at"
    }

    init(_ answer: AnswerRecord) {
        id = answer.id!
        conversationID = answer.conversationId
        question = answer.question
        text = answer.text
        outcome = answer.outcome.rawValue
        sources = (try? JSONDecoder().decode([Source].self, from: Data(answer.sources.utf8))) ?? []
        latencyMs = answer.latencyMs
        promptTokens = answer.promptTokens
        completionTokens = answer.completionTokens
        cost = answer.cost
        createdAt = APIDocument.timestamp(answer.createdAt)
    }
}

struct APIConversationList: ResponseEncodable, Sendable {
    var conversations: [APIConversation]
}

struct APIConversationThread: ResponseEncodable, Sendable {
    var conversation: APIConversation
    var messages: [APIMessage]
    var answers: [APIAnswer]
}

struct APIAnswerList: ResponseEncodable, Sendable {
    var answers: [APIAnswer]
}

/// `/api/v1/conversations` and `/api/v1/unanswered`.
struct ConversationsController<Context: RequestContext>: Sendable {
    /// Where conversations are read.
    let database: AppDatabase
    /// Hand-off and operator replies.
    let conversations: ConversationsService

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("conversations", use: list)
        group.get("conversations/:id", use: show)
        group.post("conversations/:id/handoff", use: handoff)
        group.post("conversations/:id/release", use: release)
        group.post("conversations/:id/reply", use: reply)
        group.get("unanswered", use: unanswered)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> APIConversationList {
        var conversations = try database.conversations(limit: 200)
        if let mode = request.uri.queryParameters["mode"] {
            guard let mode = Conversation.Mode(rawValue: String(mode)) else { throw APIError.badRequest("mode must be assistant or human.") }
            conversations = conversations.filter { $0.mode == mode }
        }
        return APIConversationList(conversations: conversations.map(APIConversation.init))
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> APIConversationThread {
        let conversation = try find(context)
        return APIConversationThread(
            conversation: APIConversation(conversation),
            messages: try database.messages(ofConversation: conversation.id!).map(APIMessage.init),
            answers: try database.answers(ofConversation: conversation.id!).map(APIAnswer.init)
        )
    }

    @Sendable func handoff(_ request: Request, context: Context) async throws -> APIConversation {
        let conversation = try find(context)
        guard let changed = try await conversations.takeOver(conversationID: conversation.id!) else {
            throw APIError.notFound("There is no such conversation.")
        }
        return APIConversation(changed)
    }

    @Sendable func release(_ request: Request, context: Context) async throws -> APIConversation {
        let conversation = try find(context)
        guard let changed = try await conversations.release(conversationID: conversation.id!) else {
            throw APIError.notFound("There is no such conversation.")
        }
        return APIConversation(changed)
    }

    struct ReplyBody: Decodable {
        var text: String
    }

    @Sendable func reply(_ request: Request, context: Context) async throws -> EditedResponse<APIMessage> {
        let conversation = try find(context)
        let body: ReplyBody
        do { body = try await request.decodeAPIBody(as: ReplyBody.self, context: context) } catch {
            throw APIError.badRequest("The body must be {\"text\": \"…\"}.")
        }
        // The limit counts Unicode scalars of the text as sent, as the OpenAPI document's maxLength does.
        let text = body.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, body.text.unicodeScalars.count <= 4096 else { throw APIError.badRequest("A reply needs 1 to 4096 characters.") }
        guard let messageID = try await conversations.replyAsOperator(conversationID: conversation.id!, text: text) else {
            throw APIError.notFound("There is no such conversation.")
        }
        let message = try database.messages(ofConversation: conversation.id!).first { $0.id == messageID }!
        return EditedResponse(status: .accepted, response: APIMessage(message))
    }

    @Sendable func unanswered(_ request: Request, context: Context) async throws -> APIAnswerList {
        APIAnswerList(answers: try database.answers(outcome: .unanswered, limit: 200).map(APIAnswer.init))
    }

    private func find(_ context: Context) throws -> Conversation {
        guard let id = context.parameters.get("id", as: Int64.self), let conversation = try database.conversation(id: id) else {
            throw APIError.notFound("There is no such conversation.")
        }
        return conversation
    }
}
