import Conversations
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import Storage

/// Live updates: the thread by server-sent events or polling JSON, the list by polling its version.
extension ConversationsPages {
    /// `GET /admin/conversations/version.json`: `conversations.js` reloads the list when this changes.
    struct ListVersionJSON: Encodable {
        var version: String
    }

    /// What changed since the browser's cursor: `after` (the last message id it has) and `since` (the newest change it saw).
    struct ChangesJSON: Encodable {
        var messages: [MessageJSON]
        var conversation: StateJSON
    }

    static func cursor(_ request: Request) -> (after: Int64, since: Date?) {
        let parameters = request.uri.queryParameters
        let lastEventID = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { Int64($0) }
        let after = lastEventID ?? parameters["after"].flatMap { Int64($0) } ?? 0
        return (after, parameters["since"].flatMap { PageSupport.parseISO(String($0)) })
    }

    static func poll(_ request: Request, context: AdminRequestContext, admin: AdminWeb) throws -> Response {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw AdminError.notFound }
        let (after, since) = cursor(request)
        guard let changes = try admin.environment.database.conversationChanges(id: id, afterID: after, since: since) else {
            throw AdminError.notFound
        }
        return .json(
            ChangesJSON(
                messages: changes.messages.map { MessageJSON($0, media: $0.id.flatMap { changes.media[$0] }, admin: admin, context: context) },
                conversation: state(changes.conversation, admin: admin, context: context)
            )
        )
    }

    static func state(_ conversation: Conversation, admin: AdminWeb, context: AdminRequestContext) -> StateJSON {
        StateJSON(
            mode: conversation.mode.rawValue,
            modeLabel: admin.text(conversation.mode == .human ? "conversations_mode_human" : "conversations_mode_assistant", context)
        )
    }

    /// How long one event stream lasts before the browser reconnects (keeps shutdowns and proxies happy).
    static let streamLifetime: Duration = .seconds(15)
    /// How often the stream looks for changes.
    static let streamInterval: Duration = .milliseconds(500)

    /// `text/event-stream`: `message` events (new or changed messages, `id:` = the newest message id) and
    /// `conversation` events (mode changes), a comment line as a heartbeat at every look, for ``streamLifetime``.
    static func events(_ request: Request, context: AdminRequestContext, admin: AdminWeb) throws -> Response {
        let conversation = try find(context, admin: admin)
        let id = conversation.id!
        let database = admin.environment.database
        let start = cursor(request)
        let body = ResponseBody { writer in
            var after = start.after
            var since = start.since
            var mode = start.after == 0 && start.since == nil ? nil : Optional(conversation.mode)
            let deadline = ContinuousClock.now + streamLifetime
            var buffer = ByteBuffer(string: "retry: 2000\n\n")
            while ContinuousClock.now < deadline, !Task.isCancelled, !Task.isShuttingDownGracefully {
                guard let changes = try database.conversationChanges(id: id, afterID: after, since: since) else { break }
                for message in changes.messages {
                    after = max(after, message.id ?? 0)
                    since = max(since ?? message.updatedAt, message.updatedAt)
                    let media = message.id.flatMap { changes.media[$0] }
                    let json = try JSONEncoder().encode(MessageJSON(message, media: media, admin: admin, context: context))
                    buffer.writeString("id: \(after)\nevent: message\ndata: ")
                    buffer.writeBytes(json)
                    buffer.writeString("\n\n")
                }
                if changes.conversation.mode != mode {
                    mode = changes.conversation.mode
                    let json = try JSONEncoder().encode(state(changes.conversation, admin: admin, context: context))
                    buffer.writeString("event: conversation\ndata: ")
                    buffer.writeBytes(json)
                    buffer.writeString("\n\n")
                }
                if buffer.readableBytes == 0 { buffer.writeString(":\n\n") }
                try await writer.write(buffer)
                buffer.clear()
                try await Task.sleep(for: streamInterval)
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"],
            body: body
        )
    }
}
