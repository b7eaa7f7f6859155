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
        messages.append(ChatMessage(role: .user, content: question))
        return messages
    }
}
