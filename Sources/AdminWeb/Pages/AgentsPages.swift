import Answering
import Foundation
import Hummingbird
import Retrieval
import Storage
import WebChat

/// `/admin/agents`: list, create, edit, delete, and the playground that shows an answer with the passages it used.
enum AgentsPages: AdminPageModule {
    static func register(on routes: AdminRoutes) {
        let admin = routes.admin
        routes.get("agents") { _, context in try list(context: context, admin: admin) }
        routes.get("agents/new") { _, context in
            try renderForm(Agent(name: "", now: Date()), selected: [], errors: [], context: context, admin: admin)
        }
        routes.post("agents/new") { _, context, form in try await save(nil, form: form, context: context, admin: admin) }
        routes.get("agents/{id}") { _, context in
            let agent = try find(context, admin: admin)
            let selected = Set(try admin.environment.database.documentIDs(ofAgent: agent.id!))
            return try renderForm(agent, selected: selected, errors: [], context: context, admin: admin)
        }
        routes.post("agents/{id}") { _, context, form in
            try await save(try find(context, admin: admin), form: form, context: context, admin: admin)
        }
        routes.post("agents/{id}/delete") { _, context, _ in
            let agent = try find(context, admin: admin)
            try await admin.environment.database.deleteAgent(id: agent.id!)
            try await admin.audit.record("agent.delete", target: String(agent.id!), detail: agent.name, context: context)
            return .redirect(to: "/admin/agents", flash: Flash(.success, admin.text("agents_deleted", context, ["name": agent.name])))
        }
        routes.get("agents/{id}/playground") { _, context in
            try await playground(try find(context, admin: admin), question: nil, context: context, admin: admin)
        }
        routes.post("agents/{id}/playground") { _, context, form in
            let question = form.text("question")
            guard !question.isEmpty, question.count <= 1000 else { throw AdminError.badRequest("playground_error_question") }
            return try await playground(try find(context, admin: admin), question: question, context: context, admin: admin)
        }
    }

    static func find(_ context: AdminRequestContext, admin: AdminWeb) throws -> Agent {
        guard let id = context.parameters.get("id", as: Int64.self), let agent = try admin.environment.database.agent(id: id) else {
            throw AdminError.notFound
        }
        return agent
    }

    // MARK: List

    static func list(context: AdminRequestContext, admin: AdminWeb) throws -> Response {
        let database = admin.environment.database
        let counts = try database.documentCountsByAgent()
        let rows = try database.agents().map { agent -> [String: Any] in
            let id = agent.id ?? 0
            return PageSupport.compact([
                "id": String(id), "name": agent.name, "isDefault": agent.isDefault,
                "language": admin.text("agents_language_\(agent.language == "en" ? "en" : "pt_BR")", context),
                "numbers": agent.phoneNumberIDs.isEmpty ? "—" : agent.phoneNumberIDs.joined(separator: ", "),
                "documents": PageSupport.number(counts[id] ?? 0, context),
                "persona": PageSupport.snippet(agent.persona, limit: 140),
            ])
        }
        return admin.renderer.page("agents", titleKey: "agents_title", data: ["agents": rows, "hasAgents": !rows.isEmpty], context: context)
    }

    // MARK: Form

    static func renderForm(
        _ agent: Agent,
        selected: Set<Int64>,
        errors: [String],
        status: HTTPResponse.Status = .ok,
        context: AdminRequestContext,
        admin: AdminWeb
    ) throws -> Response {
        let choices = try admin.environment.database.documentChoices()
        let isNew = agent.id == nil
        let data: [String: Any] = [
            "isNew": isNew,
            "action": isNew ? "/admin/agents/new" : "/admin/agents/\(agent.id!)",
            "agent": [
                "id": String(agent.id ?? 0), "name": agent.name, "persona": agent.persona, "instructions": agent.instructions,
                "isEnglish": agent.language == "en", "isPortuguese": agent.language != "en", "isDefault": agent.isDefault,
                "phoneNumberIDs": agent.phoneNumberIDs.joined(separator: "\n"),
                "handoffKeywords": agent.handoffKeywords.joined(separator: "\n"),
                "outOfCreditsMessage": agent.outOfCreditsMessage ?? "", "outOfScopeMessage": agent.outOfScopeMessage ?? "",
                "widgetOrigins": agent.widgetOrigins.joined(separator: "\n"), "widgetTitle": agent.widgetTitle ?? "",
                "widgetShowsSources": agent.widgetShowsSources, "widgetAsksContact": agent.widgetAsksContact,
                "widgetContactNotice": agent.widgetContactNotice ?? "",
                "widgetDefaultNotice": WidgetRoutes<BasicRequestContext>.defaultContactNotice(language: agent.language),
            ] as [String: Any],
            "documents": choices.map { choice -> [String: Any] in
                [
                    "id": String(choice.id), "filename": choice.filename, "checked": selected.contains(choice.id),
                    "statusLabel": PageSupport.statusLabel(choice.status, admin: admin, context: context),
                    "statusClass": PageSupport.statusClass(choice.status),
                ]
            },
            "hasDocuments": !choices.isEmpty,
            "channels": MessagingChannel.allCases.map { channel -> [String: Any] in
                [
                    "value": channel.rawValue, "channel": channel.rawValue, "checked": agent.answers(channel),
                    "channelLabel": admin.text("conversations_channel_\(channel.rawValue)", context),
                    "isWhatsApp": channel == .whatsapp, "isInstagram": channel == .instagram, "isWeb": channel == .web,
                ]
            },
            "errors": errors,
            "hasErrors": !errors.isEmpty,
        ]
        return admin.renderer.page(
            "agent-form",
            titleKey: isNew ? "agents_new_title" : "agents_edit_title",
            data: data,
            status: status,
            context: context
        )
    }

    /// One entry per line or comma, trimmed, empty ones and repeats dropped.
    static func entries(_ text: String) -> [String] {
        var seen = Set<String>()
        return text.split(whereSeparator: { $0 == "\n" || $0 == "," || $0 == "\r" })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    static func save(_ existing: Agent?, form: AdminForm, context: AdminRequestContext, admin: AdminWeb) async throws -> Response {
        let database = admin.environment.database
        var agent = existing ?? Agent(name: "", now: Date())
        var errors: [String] = []
        let name = form.text("name")
        if name.isEmpty || name.count > 100 { errors.append(admin.text("agents_error_name", context)) }
        agent.name = name
        agent.persona = String(form.text("persona").prefix(4000))
        agent.instructions = String(form.text("instructions").prefix(8000))
        let language = form.text("language")
        agent.language = language == "en" ? "en" : "pt-BR"
        agent.phoneNumberIDs = entries(form["phone_number_ids"] ?? "")
        if agent.phoneNumberIDs.contains(where: { !$0.allSatisfy(\.isNumber) || $0.count > 32 }) {
            errors.append(admin.text("agents_error_numbers", context))
        }
        agent.handoffKeywords = entries(form["handoff_keywords"] ?? "").map { String($0.prefix(100)) }
        let outOfCredits = form.text("out_of_credits_message")
        agent.outOfCreditsMessage = outOfCredits.isEmpty ? nil : String(outOfCredits.prefix(1000))
        let outOfScope = form.text("out_of_scope_message")
        agent.outOfScopeMessage = outOfScope.isEmpty ? nil : String(outOfScope.prefix(1000))
        agent.isDefault = form["is_default"] == "1"
        if form["widget_shown"] == "1" {
            let written = entries(form["widget_origins"] ?? "")
            agent.widgetOrigins = written.compactMap(WidgetRoutes<BasicRequestContext>.normalizedOrigin)
            if agent.widgetOrigins.count != written.count || written.count > 20 {
                errors.append(admin.text("agents_error_widget_origins", context))
                agent.widgetOrigins = written
            }
            let title = form.text("widget_title")
            agent.widgetTitle = title.isEmpty ? nil : String(title.prefix(80))
            agent.widgetShowsSources = form["widget_shows_sources"] == "1"
            agent.widgetAsksContact = form["widget_asks_contact"] == "1"
            let notice = form.text("widget_contact_notice")
            agent.widgetContactNotice = notice.isEmpty ? nil : String(notice.prefix(600))
        }
        // Forms that show the channels say so; one without them (an older page, a script) leaves them as they were.
        if form["channels_shown"] == "1" {
            agent.channels = MessagingChannel.allCases.filter { form.all("channels").contains($0.rawValue) }
            if agent.channels.isEmpty { errors.append(admin.text("agents_error_channels", context)) }
        }
        let documentIDs = form.all("document_ids").compactMap { Int64($0) }
        if errors.isEmpty, let other = try database.agent(named: agent.name), other.id != agent.id {
            errors.append(admin.text("agents_error_exists", context, ["name": agent.name]))
        }
        if errors.isEmpty {
            let claimed = try database.agents().filter { $0.id != agent.id }
                .flatMap { other in other.phoneNumberIDs.filter(agent.phoneNumberIDs.contains).map { ($0, other.name) } }
            if let (number, owner) = claimed.first {
                errors.append(admin.text("agents_error_number_taken", context, ["number": number, "name": owner]))
            }
        }
        guard errors.isEmpty else {
            return try renderForm(agent, selected: Set(documentIDs), errors: errors, status: .unprocessableContent, context: context, admin: admin)
        }
        try await database.save(&agent)
        try await database.setDocuments(documentIDs, ofAgent: agent.id!)
        try await admin.audit.record(
            existing == nil ? "agent.create" : "agent.update",
            target: String(agent.id!),
            detail: agent.name,
            context: context
        )
        let key = existing == nil ? "agents_created" : "agents_saved"
        return .redirect(to: "/admin/agents/\(agent.id!)", flash: Flash(.success, admin.text(key, context, ["name": agent.name])))
    }

    // MARK: Playground

    static func playground(_ agent: Agent, question: String?, context: AdminRequestContext, admin: AdminWeb) async throws -> Response {
        let answerer = admin.environment.answerer
        var data: [String: Any] = [
            "agent": ["id": String(agent.id ?? 0), "name": agent.name] as [String: Any],
            "question": question ?? "",
            "asked": question != nil,
            "hasModel": answerer.chatModel != nil,
        ]
        if let question {
            let started = ContinuousClock.now
            // The same decision as a WhatsApp turn (a first question, not paid for: the owner is asking).
            let answer = try await answerer.answer(question, agent: agent, context: AnswerContext(now: admin.configuration.now()))
            let outcomeKey = "playground_outcome_" + answer.outcome.rawValue
            var note: String?
            if let generated = answer.generated {
                note = admin.text(
                    "playground_tokens",
                    context,
                    ["model": generated.model, "prompt": String(generated.promptTokens), "completion": String(generated.completionTokens)]
                )
            } else if let failure = answer.modelFailure {
                note = admin.text("playground_model_failed", context, ["error": failure])
            }
            let elapsed = ContinuousClock.now - started
            let pageWord = admin.text("documents_page_abbreviation", context)
            data["answer"] = answer.text
            data["outcome"] = admin.text(outcomeKey, context)
            data["outcomeClass"] = [.generated, .extractive].contains(answer.outcome) ? "badge-success" : "badge-warning"
            data["note"] = note ?? ""
            data["elapsed"] = admin.text("playground_elapsed", context, ["ms": String(Int(elapsed / .milliseconds(1)))])
            data["citations"] = answer.passages.enumerated().map { index, passage -> [String: Any] in
                PageSupport.compact([
                    "rank": String(index + 1), "filename": passage.filename, "url": "/admin/documents/\(passage.documentID)",
                    "page": passage.page.map { "\(pageWord) \($0)" } ?? "", "section": passage.section,
                    "text": passage.text, "score": PageSupport.score(passage.score, context),
                ])
            }
            data["hasCitations"] = !answer.passages.isEmpty
        }
        return admin.renderer.page("playground", titleKey: "playground_title", data: PageSupport.compact(data), context: context)
    }
}
