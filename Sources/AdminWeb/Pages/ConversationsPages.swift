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
        routes.get("conversations/{id}") { request, context in try thread(request, context: context, admin: admin) }
        routes.get("conversations/{id}/messages.json") { request, context in try poll(request, context: context, admin: admin) }
        routes.get("conversations/{id}/events") { request, context in try events(request, context: context, admin: admin) }
        routes.post("conversations/{id}/takeover") { _, context, _ in
            let conversation = try find(context, admin: admin)
            _ = try await admin.environment.conversations.takeOver(conversationID: conversation.id!)
            try await admin.audit.record("conversation.takeover", target: String(conversation.id!), detail: conversation.customerID, context: context)
            return .redirect(to: "/admin/conversations/\(conversation.id!)", flash: Flash(.success, admin.text("conversations_taken_over", context)))
        }
        routes.post("conversations/{id}/release") { _, context, _ in
            let conversation = try find(context, admin: admin)
            _ = try await admin.environment.conversations.release(conversationID: conversation.id!)
            try await admin.audit.record("conversation.release", target: String(conversation.id!), detail: conversation.customerID, context: context)
            return .redirect(to: "/admin/conversations/\(conversation.id!)", flash: Flash(.success, admin.text("conversations_released", context)))
        }
        routes.post("conversations/{id}/reply") { _, context, form in
            let conversation = try find(context, admin: admin)
            let text = form.text("text")
            guard !text.isEmpty, text.count <= maxReply else { throw AdminError.badRequest("conversations_error_reply", ["max": String(maxReply)]) }
            // A person answering takes the conversation over: the assistant stays silent until released or timed out.
            guard let messageID = try await admin.environment.conversations.replyAsOperator(conversationID: conversation.id!, text: text) else {
                throw AdminError.notFound
            }
            try await admin.audit.record(
                "conversation.reply",
                target: String(conversation.id!),
                detail: "message \(messageID): \(PageSupport.snippet(text, limit: 200))",
                context: context
            )
            return .redirect(
                to: "/admin/conversations/\(conversation.id!)#message-\(messageID)",
                flash: Flash(.success, admin.text("conversations_reply_queued", context))
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
        return "+" + conversation.customerID
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
        let fromText = parameters["from"].map(String.init) ?? ""
        let toText = parameters["to"].map(String.init) ?? ""
        let from = PageSupport.day(fromText)
        // `to` is a whole day: up to the start of the next one.
        let to = PageSupport.day(toText).flatMap { Calendar.current.date(byAdding: .day, value: 1, to: $0) }
        let page = PageSupport.pageNumber(request)
        // Read before the page: a change in between makes the browser refresh once more, never miss it.
        let version = try admin.environment.database.conversationListVersion()
        let result = try admin.environment.database.conversationPage(
            ConversationFilter(kind: kind, from: from, to: to),
            limit: pageSize,
            offset: (page - 1) * pageSize
        )
        let rows = result.summaries.map { summary -> [String: Any] in
            let conversation = summary.conversation
            var row = modeBadge(conversation, admin: admin, context: context)
            row["id"] = String(summary.id)
            row["url"] = "/admin/conversations/\(summary.id)"
            row["customer"] = customer(conversation)
            row["phone"] = "+" + conversation.customerID
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
        var data: [String: Any] = [
            "version": version,
            "conversations": rows, "hasConversations": !rows.isEmpty, "filters": filters, "from": fromText, "to": toText,
            "filtered": kind != .all || from != nil || to != nil,
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
                parameters: [("filter", kind == .all ? "" : kind.rawValue), ("from", fromText), ("to", toText)],
                admin: admin,
                context: context
            )
        }
        return admin.renderer.page("conversations", titleKey: "conversations_title", data: data, context: context)
    }

    // MARK: Thread

    /// A message as the thread, the polling JSON and the event stream carry it (field names match `conversation.js`).
    struct MessageJSON: Encodable {
        var id: Int64
        var direction: String
        var author: String
        var authorLabel: String
        var text: String
        var time: String
        var statusLabel: String
        var updatedAt: String

        enum CodingKeys: String, CodingKey {
            case id, direction, author, text, time
            case authorLabel = "author_label"
            case statusLabel = "status_label"
            case updatedAt = "updated_at"
        }

        init(_ message: ConversationMessage, admin: AdminWeb, context: AdminRequestContext) {
            id = message.id ?? 0
            direction = message.direction
            author = message.author
            authorLabel = admin.text("conversations_author_\(message.author)", context)
            text = message.text
            time = PageSupport.dateTime(message.createdAt, context)
            statusLabel = ConversationsPages.statusLabel(message, admin: admin, context: context)
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

    static func thread(_ request: Request, context: AdminRequestContext, admin: AdminWeb) throws -> Response {
        let database = admin.environment.database
        let conversation = try find(context, admin: admin)
        let id = conversation.id!
        let before = request.uri.queryParameters["before"].flatMap { Int64($0) }
        let messages = try database.messages(ofConversation: id, before: before, limit: threadSize + 1)
        let hasOlder = messages.count > threadSize
        let shown = hasOlder ? Array(messages.dropFirst()) : messages
        // What each assistant reply was built from: its turn's answer record, and the passages it names.
        let answers = try database.answers(forTurns: shown.filter { $0.author == "assistant" }.compactMap(\.turnId))
        let chunkIDs = answers.values.flatMap { sources(of: $0).map(\.chunkID) }
        let passages = try database.passageSources(chunkIDs: chunkIDs)
        let pageWord = admin.text("documents_page_abbreviation", context)
        var answerShown = Set<Int64>()
        let rows = shown.map { message -> [String: Any] in
            var row: [String: Any] = [
                "id": String(message.id ?? 0), "direction": message.direction, "author": message.author,
                "authorLabel": admin.text("conversations_author_\(message.author)", context), "text": message.text,
                "time": PageSupport.dateTime(message.createdAt, context), "timeISO": PageSupport.iso(message.createdAt),
                "statusLabel": statusLabel(message, admin: admin, context: context),
                "failed": message.status == "failed",
            ]
            // A reply split into several messages shows its sources once, under the first part.
            if message.author == "assistant", let turn = message.turnId, let answer = answers[turn], answerShown.insert(turn).inserted {
                row["outcome"] = admin.text("conversations_outcome_\(answer.outcome.rawValue)", context)
                row["outcomeClass"] = answer.outcome == .generated || answer.outcome == .extractive ? "badge-success" : "badge-warning"
                let cited = sources(of: answer).compactMap { source -> [String: Any]? in
                    guard let passage = passages[source.chunkID] else { return nil }
                    return PageSupport.compact([
                        "filename": passage.filename, "url": "/admin/documents/\(passage.documentID)",
                        "page": passage.page.map { "\(pageWord) \($0)" } ?? "", "section": passage.section,
                        "excerpt": PageSupport.snippet(passage.text, limit: 280), "score": PageSupport.score(source.score, context),
                    ])
                }
                row["sources"] = cited
                row["hasSources"] = !cited.isEmpty
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
        let windowOpen = conversation.lastInboundAt.map { admin.configuration.now().timeIntervalSince($0) < 24 * 3600 } ?? false
        data.merge([
            "id": String(id),
            "customer": customer(conversation),
            "phone": "+" + conversation.customerID,
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
        return admin.renderer.page("conversation", titleKey: "conversations_thread_title", data: PageSupport.compact(data), context: context)
    }

    struct Source: Decodable {
        var chunkID: Int64
        var score: Double
        enum CodingKeys: String, CodingKey {
            case chunkID = "chunk_id"
            case score
        }
    }

    static func sources(of answer: AnswerRecord) -> [Source] {
        (try? JSONDecoder().decode([Source].self, from: Data(answer.sources.utf8))) ?? []
    }

    // MARK: Live updates

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
                messages: changes.messages.map { MessageJSON($0, admin: admin, context: context) },
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
                    let json = try JSONEncoder().encode(MessageJSON(message, admin: admin, context: context))
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

    // MARK: Unanswered questions

    static let unansweredPageSize = 50

    static func unanswered(_ request: Request, context: AdminRequestContext, admin: AdminWeb) throws -> Response {
        let page = PageSupport.pageNumber(request)
        let (questions, total) = try admin.environment.database.unansweredQuestions(
            limit: unansweredPageSize,
            offset: (page - 1) * unansweredPageSize
        )
        let rows = questions.map { question -> [String: Any] in
            PageSupport.compact([
                "id": String(question.id), "question": question.question,
                "customer": question.customerName.flatMap { $0.isEmpty ? nil : $0 } ?? "+" + question.customerID,
                "agent": question.agentName ?? "", "asked": PageSupport.dateTime(question.askedAt, context),
                "askedISO": PageSupport.iso(question.askedAt), "conversationURL": "/admin/conversations/\(question.conversationID)",
            ])
        }
        var data: [String: Any] = [
            "questions": rows, "hasQuestions": !rows.isEmpty,
            "total": admin.text(total == 1 ? "unanswered_total_one" : "unanswered_total", context, ["count": PageSupport.number(total, context)]),
        ]
        if total > unansweredPageSize || page > 1 {
            data["pagination"] = PageSupport.pagination(
                page: page,
                pageSize: unansweredPageSize,
                total: total,
                path: "/admin/unanswered",
                parameters: [],
                admin: admin,
                context: context
            )
        }
        return admin.renderer.page("unanswered", titleKey: "unanswered_title", data: data, context: context)
    }

    static func curate(_ form: AdminForm, context: AdminRequestContext, admin: AdminWeb) async throws -> Response {
        guard let id = context.parameters.get("id", as: Int64.self),
            let question = try admin.environment.database.unansweredQuestion(id: id)
        else { throw AdminError.notFound }
        let environment = admin.environment
        let book = CuratedAnswers(database: environment.database, originals: environment.library.originals)
        do {
            let (curated, document) = try book.add(
                question: form.text("question"),
                answer: form.text("answer"),
                agentID: question.agentID,
                answerID: id,
                createdBy: context.identity?.user.username,
                now: admin.configuration.now()
            )
            try await admin.audit.record(
                "unanswered.curate",
                target: String(id),
                detail: "document \(document.id ?? 0): \(PageSupport.snippet(curated.question, limit: 200))",
                context: context
            )
            return .redirect(to: "/admin/unanswered", flash: Flash(.success, admin.text("unanswered_curated", context)))
        } catch let error as CuratedAnswerError {
            switch error {
            case .invalidQuestion:
                throw AdminError.badRequest("unanswered_error_question", ["max": String(CuratedAnswers.maxQuestionLength)])
            case .invalidAnswer:
                throw AdminError.badRequest("unanswered_error_answer", ["max": String(CuratedAnswers.maxAnswerLength)])
            case .unknownAgent:
                throw AdminError.badRequest("agents_error_unknown")
            }
        }
    }
}
