import Conversations
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import Storage

/// `/admin/conversations`: the list (waiting for a person, unanswered, by date), the thread with each answer's sources,
/// take over / release, operator replies, and live updates: the thread by server-sent events (or polling JSON), the list
/// by polling its version (`version.json`) and reloading itself when that changes.
enum ConversationsPages: AdminPageModule {
    /// Conversations per list page.
    static let pageSize = 50
    /// Messages a thread shows at once (older ones through a link).
    static let threadSize = 200
    /// Longest operator reply.
    static let maxReply = 4096

    static func register(on routes: AdminRoutes) {
        let admin = routes.admin
        routes.get("conversations") { request, context in try list(request, context: context, admin: admin) }
        routes.get("conversations/version.json") { _, _ in
            Response.json(ListVersionJSON(version: try admin.environment.database.conversationListVersion()))
        }
        routes.get("conversations/{id}") { request, context in try await thread(request, context: context, admin: admin) }
        routes.post("conversations/{id}/template") { _, context, form in
            let conversation = try find(context, admin: admin)
            guard let catalog = admin.environment.templates else { throw AdminError.notFound }
            let name = form.text("name")
            let language = form.text("language")
            guard let template = try await catalog.approved().first(where: { $0.name == name && $0.language == language }) else {
                throw AdminError.badRequest("conversations_templates_error_unknown")
            }
            // Meta refuses parameters with line breaks, tabs or more than four spaces in a row.
            let parameters = form.all("parameter").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            guard parameters.count == template.parameterCount,
                parameters.allSatisfy({
                    !$0.isEmpty && $0.count <= 1024 && !$0.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\t" }) && !$0.contains("     ")
                })
            else { throw AdminError.badRequest("conversations_templates_error_parameters", ["count": String(template.parameterCount)]) }
            let text = ([template.header].compactMap { $0 } + [template.rendered(with: parameters)]).joined(separator: "\n")
            guard
                let messageID = try await admin.environment.conversations.sendTemplateAsOperator(
                    conversationID: conversation.id!,
                    text: text,
                    template: TemplateChoice(name: template.name, language: template.language, parameters: parameters)
                )
            else { throw AdminError.notFound }
            try await admin.audit.record(
                "conversation.template",
                target: String(conversation.id!),
                detail: "message \(messageID): \(template.name) (\(template.language))",
                context: context
            )
            return .redirect(
                to: "/admin/conversations/\(conversation.id!)#message-\(messageID)",
                flash: Flash(.success, admin.text("conversations_templates_queued", context))
            )
        }
        routes.get("conversations/{id}/messages.json") { request, context in try poll(request, context: context, admin: admin) }
        routes.get("conversations/{id}/events") { request, context in try events(request, context: context, admin: admin) }
        routes.get("conversations/{id}/media/{media}") { _, context in try mediaFile(context, admin: admin) }
        routes.post("conversations/{id}/takeover") { _, context, _ in
            let conversation = try find(context, admin: admin)
            _ = try await admin.environment.conversations.takeOver(conversationID: conversation.id!)
            try await admin.audit.record(
                "conversation.takeover",
                target: String(conversation.id!),
                detail: "\(conversation.channel.rawValue) \(conversation.customerID)",
                context: context
            )
            return .redirect(to: "/admin/conversations/\(conversation.id!)", flash: Flash(.success, admin.text("conversations_taken_over", context)))
        }
        routes.post("conversations/{id}/release") { _, context, _ in
            let conversation = try find(context, admin: admin)
            _ = try await admin.environment.conversations.release(conversationID: conversation.id!)
            try await admin.audit.record(
                "conversation.release",
                target: String(conversation.id!),
                detail: "\(conversation.channel.rawValue) \(conversation.customerID)",
                context: context
            )
            return .redirect(to: "/admin/conversations/\(conversation.id!)", flash: Flash(.success, admin.text("conversations_released", context)))
        }
        routes.post("conversations/{id}/reply") { _, context, form in
            let conversation = try find(context, admin: admin)
            let text = form.text("text")
            guard !text.isEmpty, text.count <= maxReply else { throw AdminError.badRequest("conversations_error_reply", ["max": String(maxReply)]) }
            // A person answering takes the conversation over: the assistant stays silent until released or timed out.
            let queued: Int64?
            do {
                queued = try await admin.environment.conversations.replyAsOperator(conversationID: conversation.id!, text: text)
            } catch let refused as ReplyRefused {
                throw AdminError(.conflict, "conversations_error_window_closed_\(refused.channel.rawValue)")
            }
            guard let messageID = queued else { throw AdminError.notFound }
            try await admin.audit.record(
                "conversation.reply",
                target: String(conversation.id!),
                detail: "\(conversation.channel.rawValue) message \(messageID): \(PageSupport.snippet(text, limit: 200))",
                context: context
            )
            return .redirect(
                to: "/admin/conversations/\(conversation.id!)#message-\(messageID)",
                flash: Flash(.success, admin.text("conversations_reply_queued", context))
            )
        }
        routes.post("conversations/{id}/answers/{answer}/feedback") { _, context, form in
            let conversation = try find(context, admin: admin)
            guard let answerID = context.parameters.get("answer", as: Int64.self),
                try admin.environment.database.answers(ofConversation: conversation.id!).contains(where: { $0.id == answerID })
            else { throw AdminError.notFound }
            let helpful: Bool
            switch form.text("helpful") {
            case "yes": helpful = true
            case "no": helpful = false
            default: throw AdminError.badRequest("conversations_error_feedback")
            }
            try await admin.environment.database.markAnswer(answerID, helpful: helpful, now: admin.configuration.now())
            try await admin.audit.record(
                "answer.feedback",
                target: String(answerID),
                detail: helpful ? "helpful" : "not helpful",
                context: context
            )
            return .redirect(
                to: "/admin/conversations/\(conversation.id!)",
                flash: Flash(.success, admin.text(helpful ? "conversations_marked_helpful" : "conversations_marked_not_helpful", context))
            )
        }
        // A customer's data rights (LGPD): everything held about them as a file, and its erasure (owner only).
        routes.get("conversations/{id}/customer-data.zip", access: .owner) { _, context in
            let conversation = try find(context, admin: admin)
            let data = admin.environment.customerData
            let file = data.mediaStore.directory.temporary.appendingPathComponent("export-\(UUID().uuidString).zip")
            try FileManager.default.createDirectory(at: data.mediaStore.directory.temporary, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: file) }
            guard try data.export(conversation.customerID, to: file, now: admin.configuration.now()) != nil else { throw AdminError.notFound }
            let bytes = try Data(contentsOf: file)
            try await admin.audit.record("customer.export", target: String(conversation.id!), context: context)
            var headers: HTTPFields = [.contentType: "application/zip", .cacheControl: "private, no-store"]
            let safe = conversation.customerID.filter { $0.isASCII && ($0.isLetter || $0.isNumber) }
            headers[.contentDisposition] = "attachment; filename=\"cliente-\(safe).zip\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(data: bytes)))
        }
        routes.post("conversations/{id}/erase-customer", access: .owner) { _, context, form in
            let conversation = try find(context, admin: admin)
            let typed = form.text("confirm").filter { !$0.isWhitespace && $0 != "+" && $0 != "-" && $0 != "(" && $0 != ")" }
            guard typed == conversation.customerID else { throw AdminError.badRequest("customer_data_error_confirm") }
            guard
                let erased = try await admin.environment.customerData.erase(
                    conversation.customerID,
                    actor: context.actorName,
                    address: context.remoteAddress,
                    now: admin.configuration.now()
                )
            else { throw AdminError.notFound }
            return .redirect(
                to: "/admin/conversations",
                flash: Flash(
                    .success,
                    admin.text(
                        "customer_data_erased",
                        context,
                        ["conversations": String(erased.conversations), "messages": String(erased.messages), "files": String(erased.files)]
                    )
                )
            )
        }
        routes.get("unanswered") { request, context in try unanswered(request, context: context, admin: admin) }
        routes.post("unanswered/{id}/curate") { _, context, form in try await curate(form, context: context, admin: admin) }
    }

    static func find(_ context: AdminRequestContext, admin: AdminWeb) throws -> Conversation {
        guard let id = context.parameters.get("id", as: Int64.self), let conversation = try admin.environment.database.conversation(id: id) else {
            throw AdminError.notFound
        }
        return conversation
    }

    static func customer(_ conversation: Conversation) -> String {
        if let name = conversation.customerName, !name.isEmpty { return name }
        return address(conversation)
    }

    /// How the customer is reached on the conversation's channel: a phone number on WhatsApp, the Instagram-scoped id,
    /// the widget visitor's id.
    static func address(_ conversation: Conversation) -> String {
        switch conversation.channel {
        case .whatsapp: "+" + conversation.customerID
        case .instagram: "IG " + conversation.customerID
        case .web: conversation.customerID
        }
    }

    /// The channel's icon and name, for a list row or a thread.
    static func channelBadge(_ conversation: Conversation, admin: AdminWeb, context: AdminRequestContext) -> [String: Any] {
        let channel = conversation.channel
        return [
            "channel": channel.rawValue, "channelLabel": admin.text("conversations_channel_\(channel.rawValue)", context),
            "isWhatsApp": channel == .whatsapp, "isInstagram": channel == .instagram, "isWeb": channel == .web,
        ]
    }

    static func modeBadge(_ conversation: Conversation, admin: AdminWeb, context: AdminRequestContext) -> [String: Any] {
        let human = conversation.mode == .human
        return [
            "mode": conversation.mode.rawValue, "isHuman": human,
            "modeLabel": admin.text(human ? "conversations_mode_human" : "conversations_mode_assistant", context),
            "modeClass": human ? "badge-warning" : "badge-accent",
        ]
    }

    // MARK: List

    static func list(_ request: Request, context: AdminRequestContext, admin: AdminWeb) throws -> Response {
        let parameters = request.uri.queryParameters
        let kind = parameters["filter"].flatMap { ConversationFilter.Kind(rawValue: String($0)) } ?? .all
        let channel = parameters["channel"].flatMap { MessagingChannel(rawValue: String($0)) }
        let fromText = parameters["from"].map(String.init) ?? ""
        let toText = parameters["to"].map(String.init) ?? ""
        let from = PageSupport.day(fromText)
        // `to` is a whole day: up to the start of the next one.
        let to = PageSupport.day(toText).flatMap { Calendar.current.date(byAdding: .day, value: 1, to: $0) }
        let page = PageSupport.pageNumber(request)
        // Read before the page: a change in between makes the browser refresh once more, never miss it.
        let version = try admin.environment.database.conversationListVersion()
        let result = try admin.environment.database.conversationPage(
            ConversationFilter(kind: kind, from: from, to: to, channel: channel),
            limit: pageSize,
            offset: (page - 1) * pageSize
        )
        let rows = result.summaries.map { summary -> [String: Any] in
            let conversation = summary.conversation
            var row = modeBadge(conversation, admin: admin, context: context)
            row.merge(channelBadge(conversation, admin: admin, context: context)) { _, new in new }
            row["id"] = String(summary.id)
            row["url"] = "/admin/conversations/\(summary.id)"
            row["customer"] = customer(conversation)
            row["phone"] = address(conversation)
            row["agent"] = summary.agentName ?? "—"
            row["last"] = summary.lastText.map { PageSupport.snippet($0, limit: 120) } ?? ""
            row["lastAuthor"] = summary.lastAuthor.map { admin.text("conversations_author_\($0)", context) } ?? ""
            row["updated"] = PageSupport.dateTime(conversation.updatedAt, context)
            row["updatedISO"] = PageSupport.iso(conversation.updatedAt)
            return PageSupport.compact(row)
        }
        let filters = ConversationFilter.Kind.allCases.map { option -> [String: Any] in
            ["value": option.rawValue, "label": admin.text("conversations_filter_\(option.rawValue)", context), "selected": option == kind]
        }
        let channels =
            [["value": "", "label": admin.text("conversations_channel_all", context), "selected": channel == nil] as [String: Any]]
            + MessagingChannel.allCases.map { option -> [String: Any] in
                ["value": option.rawValue, "label": admin.text("conversations_channel_\(option.rawValue)", context), "selected": option == channel]
            }
        var data: [String: Any] = [
            "version": version,
            "conversations": rows, "hasConversations": !rows.isEmpty, "filters": filters, "channels": channels, "from": fromText, "to": toText,
            "filtered": kind != .all || from != nil || to != nil || channel != nil,
            "total": admin.text(
                result.total == 1 ? "conversations_total_one" : "conversations_total",
                context,
                ["count": PageSupport.number(result.total, context)]
            ),
        ]
        if result.total > pageSize || page > 1 {
            data["pagination"] = PageSupport.pagination(
                page: page,
                pageSize: pageSize,
                total: result.total,
                path: "/admin/conversations",
                parameters: [
                    ("filter", kind == .all ? "" : kind.rawValue), ("channel", channel?.rawValue ?? ""), ("from", fromText), ("to", toText),
                ],
                admin: admin,
                context: context
            )
        }
        return admin.renderer.page("conversations", titleKey: "conversations_title", data: data, context: context)
    }
}
