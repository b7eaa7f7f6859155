import Conversations
import Foundation
import Storage

/// `/conversations`, their hand-off and operator replies, and `/unanswered`.
extension BalcaoAPI {
    func listConversations(_ input: Operations.ListConversations.Input) async throws -> Operations.ListConversations.Output {
        var list = try database.conversations(limit: 200)
        if let mode = input.query.mode {
            let wanted: Conversation.Mode = mode == .human ? .human : .assistant
            list = list.filter { $0.mode == wanted }
        }
        return .ok(.init(body: .json(.init(conversations: list.map(Components.Schemas.Conversation.init)))))
    }

    func getConversation(_ input: Operations.GetConversation.Input) async throws -> Operations.GetConversation.Output {
        let conversation = try conversation(input.path.id)
        let thread = Operations.GetConversation.Output.Ok.Body.JsonPayload(
            conversation: .init(conversation),
            messages: try database.messages(ofConversation: conversation.id!).map(Components.Schemas.Message.init),
            answers: try database.answers(ofConversation: conversation.id!).map(Components.Schemas.Answer.init)
        )
        return .ok(.init(body: .json(thread)))
    }

    func handoffConversation(_ input: Operations.HandoffConversation.Input) async throws -> Operations.HandoffConversation.Output {
        guard let changed = try await conversations.takeOver(conversationID: input.path.id) else { throw Self.noSuchConversation }
        return .ok(.init(body: .json(.init(changed))))
    }

    func releaseConversation(_ input: Operations.ReleaseConversation.Input) async throws -> Operations.ReleaseConversation.Output {
        guard let changed = try await conversations.release(conversationID: input.path.id) else { throw Self.noSuchConversation }
        return .ok(.init(body: .json(.init(changed))))
    }

    func replyToConversation(_ input: Operations.ReplyToConversation.Input) async throws -> Operations.ReplyToConversation.Output {
        let conversation = try conversation(input.path.id)
        guard case .json(let body) = input.body else { throw APIError.badRequest("The body must be {\"text\": \"…\"}.") }
        // The limit counts Unicode scalars of the text as sent, as the OpenAPI document's maxLength does.
        let text = body.text.trimmingAPIWhitespace
        guard !text.isEmpty, body.text.unicodeScalars.count <= 4096 else { throw APIError.badRequest("A reply needs 1 to 4096 characters.") }
        let queued: Int64?
        do {
            queued = try await conversations.replyAsOperator(conversationID: conversation.id!, text: text)
        } catch let refused as ReplyRefused {
            throw APIError(.conflict, code: "window_closed", message: "Not sent: \(refused.reason)")
        }
        guard let messageID = queued, let message = try database.messages(ofConversation: conversation.id!).first(where: { $0.id == messageID })
        else { throw Self.noSuchConversation }
        return .accepted(.init(body: .json(.init(message))))
    }

    func listUnanswered(_ input: Operations.ListUnanswered.Input) async throws -> Operations.ListUnanswered.Output {
        .ok(.init(body: .json(.init(answers: try database.answers(outcome: .unanswered, limit: 200).map(Components.Schemas.Answer.init)))))
    }

    private static var noSuchConversation: APIError { .notFound("There is no such conversation.") }

    private func conversation(_ id: Int64) throws -> Conversation {
        guard let conversation = try database.conversation(id: id) else { throw Self.noSuchConversation }
        return conversation
    }
}

extension Components.Schemas.Conversation {
    /// A conversation as the API shows it.
    init(_ conversation: Conversation) {
        self.init(
            id: conversation.id!,
            phoneNumberId: conversation.phoneNumberID,
            customerId: conversation.customerID,
            customerName: conversation.customerName,
            agentId: conversation.agentId.map(Int.init),
            mode: conversation.mode == .human ? .human : .assistant,
            humanUntil: conversation.humanUntil,
            lastInboundAt: conversation.lastInboundAt,
            updatedAt: conversation.updatedAt
        )
    }
}

extension Components.Schemas.Message {
    /// A message of a thread as the API shows it.
    init(_ message: ConversationMessage) {
        self.init(
            id: message.id!,
            direction: message.direction == "in" ? ._in : .out,
            author: AuthorPayload(rawValue: message.author) ?? .system,
            kind: message.kind,
            text: message.text,
            status: message.status.flatMap(StatusPayload.init(rawValue:)),
            statusReason: message.statusReason,
            createdAt: message.createdAt
        )
    }
}

extension Components.Schemas.Answer {
    /// What an answer was built from.
    init(_ answer: AnswerRecord) {
        self.init(
            id: answer.id!,
            conversationId: answer.conversationId,
            question: answer.question,
            text: answer.text,
            outcome: OutcomePayload(rawValue: answer.outcome.rawValue) ?? .unanswered,
            sources: answer.citedSources.map { .init(chunkId: Int($0.chunkID), score: $0.score) },
            latencyMs: answer.latencyMs,
            promptTokens: answer.promptTokens,
            completionTokens: answer.completionTokens,
            cost: Int(answer.cost),
            createdAt: answer.createdAt
        )
    }
}
