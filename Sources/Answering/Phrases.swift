/// The fixed sentences Balcão says to customers, in the agent's language (pt-BR by default, English available).
public struct Phrases: Sendable, Hashable {
    /// Sent when the conversation is handed to a person.
    public var handoff: String
    /// Sent when the documents do not contain the answer.
    public var outOfScope: String
    /// Sent when there is no credit left to pay for an answer.
    public var outOfCredits: String
    /// Sent for images, audio, video, documents, stickers, locations and contacts.
    public var textOnly: String
    /// Introduces an answer quoted from the documents (no language model available).
    public var extractiveIntro: String
    /// Names a page in a citation.
    public var page: String

    /// The phrases for a BCP 47 language tag; anything that is not English gets Portuguese.
    public static func forLanguage(_ language: String) -> Phrases {
        language.lowercased().hasPrefix("en") ? english : portuguese
    }

    /// Brazilian Portuguese.
    public static let portuguese = Phrases(
        handoff: "Certo! Vou chamar uma pessoa da nossa equipe para continuar o atendimento. Aguarde um momento, por favor.",
        outOfScope:
            "Desculpe, não encontrei essa informação nos nossos documentos. Quer que eu chame uma pessoa da equipe? É só responder \"atendente\".",
        outOfCredits: "No momento não consigo responder automaticamente. Uma pessoa da nossa equipe vai falar com você em breve.",
        textOnly: "Por enquanto eu só consigo ler mensagens de texto. Pode escrever sua pergunta?",
        extractiveIntro: "Encontrei isto nos nossos documentos:",
        page: "p."
    )

    /// English.
    public static let english = Phrases(
        handoff: "Sure! I'm asking a member of our team to take over. Please wait a moment.",
        outOfScope: "Sorry, I couldn't find that in our documents. Would you like to talk to a person? Just reply \"human\".",
        outOfCredits: "I can't answer automatically right now. A member of our team will get back to you soon.",
        textOnly: "For now I can only read text messages. Could you type your question?",
        extractiveIntro: "Here is what I found in our documents:",
        page: "p."
    )

    /// Words that ask for a person in any of the supported languages (besides the agent's own keywords).
    public static let defaultHandoffKeywords = ["atendente", "humano", "pessoa de verdade", "falar com alguém", "human", "agent", "operator"]
}
