import Foundation
public import LLM
public import Storage

/// Writes the messages sent to the chat model.
///
/// The system message holds the agent's persona and instructions, the rules (answer only from the passages, in the
/// customer's language, say so and offer a person when the passages do not answer) and the numbered passages with their
/// sources. Then come the latest lines of the conversation that fit the token budget, and the question.
public enum PromptBuilder {
    /// The messages for one answer.
    public static func messages(
        question: String,
        agent: Agent?,
        passages: [Passage],
        history: [ConversationLine],
        attachments: [CustomerAttachment] = [],
        quoted: [ConversationLine] = [],
        historyTokenBudget: Int = 800
    ) -> [ChatMessage] {
        var system: [String] = []
        if let persona = agent?.persona, !persona.isEmpty {
            system.append(persona)
        } else {
            system.append("Você é o assistente de atendimento desta empresa no WhatsApp.")
        }
        system.append(
            """
            Regras:
            - Responda somente com base nos trechos abaixo. Não invente preços, prazos, nomes ou políticas.
            - Responda no idioma do cliente, de forma curta e cordial, como numa conversa de WhatsApp.
            - Se os trechos não contiverem a resposta, diga isso com franqueza e ofereça chamar uma pessoa da equipe.
            - Quando usar um trecho, cite a fonte entre parênteses, por exemplo (regulamento.pdf, p. 3).
            """
        )
        if let instructions = agent?.instructions, !instructions.isEmpty { system.append("Instruções da empresa:\n" + instructions) }
        var sources = ["Trechos dos documentos:"]
        for (index, passage) in passages.enumerated() {
            sources.append("[\(index + 1)] \(passage.citation())\n\(passage.text)")
        }
        if passages.isEmpty { sources.append("(nenhum trecho encontrado)") }
        system.append(sources.joined(separator: "\n\n"))
        if !attachments.isEmpty { system.append(customerContent(attachments, question: question)) }
        if !quoted.isEmpty { system.append(quotedContent(quoted)) }

        var messages = [ChatMessage(role: .system, content: system.joined(separator: "\n\n"))]
        var budget = historyTokenBudget
        var recent: [ChatMessage] = []
        for line in history.reversed() {
            let cost = line.text.count / 4 + 4
            if cost > budget { break }
            budget -= cost
            recent.insert(ChatMessage(role: line.speaker == .customer ? .user : .assistant, content: line.text), at: 0)
        }
        messages += recent
        let asked = question.trimmingCharacters(in: .whitespacesAndNewlines)
        messages.append(
            ChatMessage(
                role: .user,
                content: asked.isEmpty ? unaskedQuestion(attachments) : question,
                imageURLs: attachments.compactMap(\.imageURL)
            )
        )
        return messages
    }

    /// The most characters of the customers' files the prompt carries, all files together (about 2,000 tokens).
    public static let attachmentCharacterBudget = 8_000

    /// The system message's section on what the customer sent: each file's kind and name, and its text within the
    /// budget (the paragraphs sharing most words with the question when it is longer).
    static func customerContent(_ attachments: [CustomerAttachment], question: String) -> String {
        var lines = [
            """
            O cliente enviou arquivos nesta conversa. Use o conteúdo deles para entender o pedido e para responder \
            sobre eles; preços, prazos e políticas da empresa vêm apenas dos trechos dos documentos acima.
            """
        ]
        let share = attachmentCharacterBudget / max(1, attachments.count)
        for attachment in attachments {
            var title: String
            switch attachment.kind {
            case .picture:
                title = "Foto enviada pelo cliente"
                if !attachment.text.isEmpty {
                    title += " — texto lido por OCR"
                    if let confidence = attachment.confidence { title += " (confiança \(Int((confidence * 100).rounded())) %)" }
                }
            case .document:
                title = "Documento enviado pelo cliente" + (attachment.name.map { " (\($0))" } ?? "")
                if let pages = attachment.pageCount { title += ", \(pages) página\(pages == 1 ? "" : "s")" }
            }
            let text = attachment.text.trimmingCharacters(in: .whitespacesAndNewlines)
            let body =
                text.isEmpty
                ? (attachment.imageURL != nil ? "(sem texto legível; a imagem segue com a mensagem do cliente)" : "(sem texto legível)")
                : excerpt(text, question: question, limit: share)
            lines.append("[\(title)]\n\(body)")
        }
        return lines.joined(separator: "\n\n")
    }

    /// The most characters of one quoted message the prompt carries.
    static let quotedCharacterLimit = 1_500

    /// The system message's section on the earlier messages the customer replied to (WhatsApp's "reply" to a message):
    /// the question is about them.
    static func quotedContent(_ quoted: [ConversationLine]) -> String {
        var lines = ["O cliente está respondendo a esta mensagem anterior da conversa; a pergunta dele se refere a ela:"]
        for line in quoted {
            let author: String
            switch line.speaker {
            case .customer: author = "do próprio cliente"
            case .assistant: author = "do assistente"
            case .staff: author = "da equipe"
            }
            var text = line.text.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.count > quotedCharacterLimit { text = String(text.prefix(quotedCharacterLimit)) + " […]" }
            lines.append("[Mensagem \(author)]\n\(text)")
        }
        return lines.joined(separator: "\n\n")
    }

    /// What the customer "asked" when they sent only files.
    static func unaskedQuestion(_ attachments: [CustomerAttachment]) -> String {
        attachments.contains { $0.kind == .document }
            ? "(O cliente enviou um documento, sem texto. Responda sobre ele ou pergunte o que precisa.)"
            : "(O cliente enviou uma foto, sem texto. Responda sobre ela ou pergunte o que precisa.)"
    }

    /// `text` when it fits in `limit` characters; else its paragraphs that share most words with the question, in
    /// their order, until the limit (the first ones when the question says nothing).
    static func excerpt(_ text: String, question: String, limit: Int) -> String {
        guard text.count > limit else { return text }
        let paragraphs = text.components(separatedBy: "\n\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        let words = Set(Answerer.meaningfulWords(question))
        let scores = paragraphs.map { Set(Answerer.meaningfulWords($0)).intersection(words).count }
        let ranked = paragraphs.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        var chosen: [Int] = []
        var used = 0
        for index in ranked {
            let length = paragraphs[index].count + 2
            if used + length > limit { continue }
            chosen.append(index)
            used += length
        }
        if chosen.isEmpty { return String(text.prefix(limit)) + " […]" }
        return chosen.sorted().map { paragraphs[$0] }.joined(separator: "\n\n") + "\n[…]"
    }
}
