import Conversations
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import Storage

/// The thread of one conversation: its messages, each answer's sources, the customer and the mode.
extension ConversationsPages {
    /// A message as the thread, the polling JSON and the event stream carry it (field names match `conversation.js`).
    struct MessageJSON: Encodable {
        var id: Int64
        var direction: String
        var author: String
        var authorLabel: String
        var text: String
        var time: String
        var statusLabel: String
        var mediaLabel: String
        var updatedAt: String

        enum CodingKeys: String, CodingKey {
            case id, direction, author, text, time
            case authorLabel = "author_label"
            case statusLabel = "status_label"
            case mediaLabel = "media_label"
            case updatedAt = "updated_at"
        }

        init(_ message: ConversationMessage, media: CustomerMedia? = nil, admin: AdminWeb, context: AdminRequestContext) {
            id = message.id ?? 0
            direction = message.direction
            author = message.author
            authorLabel = admin.text("conversations_author_\(message.author)", context)
            text = message.text
            time = PageSupport.dateTime(message.createdAt, context)
            statusLabel = ConversationsPages.statusLabel(message, admin: admin, context: context)
            mediaLabel =
                media.map { media in
                    let row = ConversationsPages.mediaRow(media, conversationID: message.conversationId, admin: admin, context: context)
                    return [row["kindLabel"], row["name"], row["stateLabel"]].compactMap { $0 as? String }.filter { !$0.isEmpty }.joined(
                        separator: " · "
                    )
                } ?? ""
            updatedAt = PageSupport.iso(message.updatedAt)
        }
    }

    /// The conversation's state as the live view needs it.
    struct StateJSON: Encodable {
        var mode: String
        var modeLabel: String

        enum CodingKeys: String, CodingKey {
            case mode
            case modeLabel = "mode_label"
        }
    }

    static func statusLabel(_ message: ConversationMessage, admin: AdminWeb, context: AdminRequestContext) -> String {
        guard message.direction == "out", let status = message.status else { return "" }
        let label = admin.text("conversations_status_\(status)", context)
        if status == "failed", let reason = message.statusReason, !reason.isEmpty { return label + ": " + reason }
        return label
    }

    static func thread(_ request: Request, context: AdminRequestContext, admin: AdminWeb) async throws -> Response {
        let database = admin.environment.database
        let conversation = try find(context, admin: admin)
        let id = conversation.id!
        let before = request.uri.queryParameters["before"].flatMap { Int64($0) }
        let messages = try database.messages(ofConversation: id, before: before, limit: threadSize + 1)
        let hasOlder = messages.count > threadSize
        let shown = hasOlder ? Array(messages.dropFirst()) : messages
        // What each assistant reply was built from: its turn's answer record, and the passages it names.
        let answers = try database.answers(forTurns: shown.filter { $0.author == "assistant" }.compactMap(\.turnId))
        let chunkIDs = answers.values.flatMap { $0.citedSources.map(\.chunkID) }
        let passages = try database.passageSources(chunkIDs: chunkIDs)
        let pageWord = admin.text("documents_page_abbreviation", context)
        let files = try database.customerMedia(forMessages: shown.filter { $0.direction == "in" }.compactMap(\.id))
        var answerShown = Set<Int64>()
        let rows = shown.map { message -> [String: Any] in
            var row: [String: Any] = [
                "id": String(message.id ?? 0), "direction": message.direction, "author": message.author,
                "authorLabel": admin.text("conversations_author_\(message.author)", context), "text": message.text,
                "time": PageSupport.dateTime(message.createdAt, context), "timeISO": PageSupport.iso(message.createdAt),
                "statusLabel": statusLabel(message, admin: admin, context: context),
                "failed": message.status == "failed",
            ]
            if let id = message.id, let media = files[id] {
                row["media"] = mediaRow(media, conversationID: conversation.id!, admin: admin, context: context)
            }
            // A reply split into several messages shows its sources once, under the first part.
            if message.author == "assistant", let turn = message.turnId, let answer = answers[turn], answerShown.insert(turn).inserted {
                row["outcome"] = admin.text("conversations_outcome_\(answer.outcome.rawValue)", context)
                row["outcomeClass"] = answer.outcome == .generated || answer.outcome == .extractive ? "badge-success" : "badge-warning"
                let cited = answer.citedSources.compactMap { source -> [String: Any]? in
                    guard let passage = passages[source.chunkID] else { return nil }
                    return PageSupport.compact([
                        "filename": passage.filename, "url": "/admin/documents/\(passage.documentID)",
                        "page": passage.page.map { "\(pageWord) \($0)" } ?? "", "section": passage.section,
                        "excerpt": PageSupport.snippet(passage.text, limit: 280), "score": PageSupport.score(source.score, context),
                    ])
                }
                row["sources"] = cited
                row["hasSources"] = !cited.isEmpty
                if answer.outcome == .generated || answer.outcome == .extractive, let answerID = answer.id {
                    row["answerID"] = String(answerID)
                    row["conversationID"] = String(conversation.id!)
                    if let feedback = answer.feedback {
                        row["feedbackLabel"] = admin.text(
                            "conversations_feedback_\(feedback == "yes" ? "yes" : "no")_\(answer.feedbackSource == "operator" ? "operator" : "customer")",
                            context
                        )
                        row["feedbackClass"] = feedback == "yes" ? "badge-success" : "badge-warning"
                    }
                }
                row["sourcesLabel"] = admin.text(
                    cited.count == 1 ? "conversations_sources_one" : "conversations_sources",
                    context,
                    ["count": String(cited.count)]
                )
            }
            return PageSupport.compact(row)
        }
        let lastID = messages.last?.id ?? 0
        let since = messages.map(\.updatedAt).max() ?? conversation.updatedAt
        var data = modeBadge(conversation, admin: admin, context: context)
        let agent = try conversation.agentId.flatMap { try database.agent(id: $0) }
        // What a person's reply can still do on this channel: anything, a template (WhatsApp), a tagged reply
        // (Instagram, up to 7 days), or nothing.
        let window = admin.environment.conversations.replyWindow(for: conversation, byPerson: true)
        let windowOpen = window != .templateOnly
        data.merge(channelBadge(conversation, admin: admin, context: context)) { _, new in new }
        if let contact = conversation.customerContact {
            data["contact"] = ["name": contact.name, "value": contact.contact, "at": PageSupport.dateTime(contact.at, context)]
        }
        if window == .humanAgentOnly {
            let until = (conversation.lastInboundAt ?? conversation.updatedAt).addingTimeInterval(7 * 24 * 3600)
            data["windowNote"] = admin.text("conversations_window_human_agent", context, ["until": PageSupport.dateTime(until, context)])
        } else if case .closed = window {
            data["windowShut"] = admin.text("conversations_error_window_closed_\(conversation.channel.rawValue)", context)
        }
        data.merge([
            "id": String(id),
            "customer": customer(conversation),
            "phone": address(conversation),
            "agent": agent?.name ?? "—",
            "started": PageSupport.dateTime(conversation.createdAt, context),
            "humanUntil": conversation.mode == .human ? conversation.humanUntil.map { PageSupport.dateTime($0, context) } ?? "" : "",
            "messages": rows,
            "hasMessages": !rows.isEmpty,
            "olderURL": hasOlder ? "/admin/conversations/\(id)?before=\(shown.first?.id ?? 0)" : "",
            "lastID": String(lastID),
            "since": PageSupport.iso(since),
            "windowClosed": !windowOpen,
            "maxReply": String(maxReply),
        ]) { _, new in new }
        if !windowOpen { data.merge(try await templateChoices(conversation, admin: admin, context: context)) { _, new in new } }
        return admin.renderer.page("conversation", titleKey: "conversations_thread_title", data: PageSupport.compact(data), context: context)
    }

    /// The approved templates an operator may send when the customer's 24 hours are over, each with a field per
    /// parameter; or why there are none.
    static func templateChoices(_ conversation: Conversation, admin: AdminWeb, context: AdminRequestContext) async throws -> [String: Any] {
        guard let catalog = admin.environment.templates else { return ["noCatalog": true] }
        do {
            let templates = try await catalog.approved()
            return [
                "templates": templates.map { template -> [String: Any] in
                    var row: [String: Any] = [
                        "name": template.name, "language": template.language, "category": template.category, "body": template.body,
                        "conversationID": String(conversation.id!),
                        "parameters": (0..<template.parameterCount).map {
                            ["label": admin.text("conversations_templates_parameter", context, ["number": "{{\($0 + 1)}}"])]
                        },
                    ]
                    if let header = template.header { row["header"] = header }
                    return row
                }
            ]
        } catch {
            return ["templatesError": admin.text("conversations_templates_error", context, ["error": "\(error)"])]
        }
    }

    /// A customer's file beside its message: the picture or a link while it is kept, what was read from it, or why it
    /// could not be used.
    static func mediaRow(_ media: CustomerMedia, conversationID: Int64, admin: AdminWeb, context: AdminRequestContext) -> [String: Any] {
        let url = media.isKept ? "/admin/conversations/\(conversationID)/media/\(media.id ?? 0)" : ""
        var row: [String: Any] = [
            "kindLabel": admin.text("conversations_media_\(media.kind.rawValue)", context),
            "name": media.filename ?? "",
            "url": url,
            "pictureURL": media.isPicture ? url : "",
            "audioURL": media.kind == .audio ? url : "",
            "removed": media.removedAt != nil,
        ]
        switch media.state {
        case .pending, .fetching:
            row["stateLabel"] = admin.text("conversations_media_reading", context)
        case .read:
            let text = media.text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            row["understood"] = PageSupport.snippet(text, limit: 1200)
            row["stateLabel"] =
                text.isEmpty
                ? admin.text("conversations_media_no_text", context)
                : admin.text(
                    media.textSource == "ocr"
                        ? "conversations_media_read_ocr"
                        : media.textSource == "transcript" ? "conversations_media_read_transcript" : "conversations_media_read_document",
                    context,
                    [
                        "confidence": media.confidence.map { String(Int(($0 * 100).rounded())) } ?? "—",
                        "pages": media.pageCount.map(String.init) ?? "—",
                    ]
                )
        case .failed:
            row["failed"] = true
            row["stateLabel"] = admin.text("conversations_media_failed_\(media.failure?.rawValue ?? "unreadable")", context)
            row["detail"] = media.failureDetail ?? ""
        }
        return PageSupport.compact(row)
    }

    /// A customer's file, while it is kept: pictures shown inline, anything else downloaded; never run by the browser.
    static func mediaFile(_ context: AdminRequestContext, admin: AdminWeb) throws -> Response {
        let conversation = try find(context, admin: admin)
        guard let mediaID = context.parameters.get("media", as: Int64.self), let store = admin.environment.conversations.media?.store,
            let media = try admin.environment.database.customerMedia(id: mediaID), media.conversationId == conversation.id, media.isKept,
            let data = try? Data(contentsOf: store.url(forMediaID: mediaID))
        else { throw AdminError.notFound }
        // Pictures and recordings are shown in the page; anything else is downloaded.
        let pictures: Set<String> = ["image/jpeg", "image/png", "image/webp", "audio/ogg"]
        let type = media.mimeType.flatMap { pictures.contains($0) ? $0 : nil }
        var headers = HTTPFields()
        headers[.contentType] = type ?? "application/octet-stream"
        headers[.cacheControl] = "private, no-store"
        headers[.contentSecurityPolicy] = "sandbox; default-src 'none'"
        let name = (media.filename ?? "arquivo-\(mediaID)").filter { $0.isLetter || $0.isNumber || ".-_ ".contains($0) }
        headers[.contentDisposition] = type != nil ? "inline" : "attachment; filename=\"\(name.isEmpty ? "arquivo" : name)\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(data: data)))
    }
}
