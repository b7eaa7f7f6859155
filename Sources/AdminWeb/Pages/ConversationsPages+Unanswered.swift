import Conversations
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import Storage

/// `/admin/unanswered`: questions the assistant could not answer, and curating an answer for them.
extension ConversationsPages {
    static let unansweredPageSize = 50

    static func unanswered(_ request: Request, context: AdminRequestContext, admin: AdminWeb) throws -> Response {
        let page = PageSupport.pageNumber(request)
        let (questions, total) = try admin.environment.database.unansweredQuestions(
            limit: unansweredPageSize,
            offset: (page - 1) * unansweredPageSize
        )
        let rows = questions.map { question -> [String: Any] in
            var row = PageSupport.compact([
                "id": String(question.id), "question": question.question,
                "customer": question.customerName.flatMap { $0.isEmpty ? nil : $0 } ?? "+" + question.customerID,
                "agent": question.agentName ?? "", "asked": PageSupport.dateTime(question.askedAt, context),
                "askedISO": PageSupport.iso(question.askedAt), "conversationURL": "/admin/conversations/\(question.conversationID)",
            ])
            if let answer = question.notHelpfulAnswer { row["notHelpful"] = PageSupport.snippet(answer, limit: 400) }
            return row
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
            let (curated, document) = try await book.add(
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
