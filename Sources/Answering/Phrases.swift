/// The fixed sentences Balcão says to customers, in the agent's language (pt-BR by default, English available).
public struct Phrases: Sendable, Hashable {
    /// Sent when the conversation is handed to a person.
    public var handoff: String
    /// Sent when the documents do not contain the answer.
    public var outOfScope: String
    /// Sent when there is no credit left to pay for an answer.
    public var outOfCredits: String
    /// Sent for audio, video, locations, contacts and other messages the assistant cannot read.
    public var textOnly: String
    /// Sent when a customer's file is larger than the limit (`%@`: the limit, e.g. "20 MB").
    public var mediaTooLarge: String
    /// Sent when a customer's file is of a type the assistant does not read.
    public var mediaUnsupported: String
    /// Sent when a customer's file is damaged, protected by a password, or not what it claims to be.
    public var mediaUnreadable: String
    /// Sent when a customer's file could not be fetched.
    public var mediaUnavailable: String
    /// Sent for a photo without text, when the model cannot see pictures.
    public var pictureWithoutText: String
    /// Sent for a recording longer than the limit (`%@`: the limit, e.g. "3 minutos").
    public var recordingTooLong: String
    /// Sent for a recording in which no words were understood.
    public var recordingNotUnderstood: String
    /// Introduces an answer quoted from the documents (no language model available).
    public var extractiveIntro: String
    /// Names a page in a citation.
    public var page: String
    /// The away message outside opening hours (`%@`: the next opening in words, e.g. "amanhã (quinta-feira) às 08:00").
    public var awayMessage: String
    /// The away message when no opening is scheduled.
    public var awayMessageWithoutOpening: String
    /// Sent once to a customer over the flood limits (turns an hour, spend a day), handed to a person.
    public var tooManyMessages: String
    /// The reply button that asks for a person (at most 20 characters).
    public var handoffButton: String
    /// Carries that button when the answer itself cannot.
    public var offerPerson: String
    /// Asked under an answer, with ``yes`` and ``no`` buttons.
    public var feedbackQuestion: String
    /// The "yes" button (at most 20 characters).
    public var yes: String
    /// The "no" button (at most 20 characters).
    public var no: String
    /// The reply to "yes, it helped".
    public var feedbackThanks: String
    /// The reply to "no, it did not" (with the button that asks for a person).
    public var feedbackSorry: String
    /// The one follow-up after a silence.
    public var followUp: String
    /// Asked when a message says nothing to search for ("oi"), above the list of the agent's topics.
    public var chooseTopic: String
    /// The button that opens that list (at most 20 characters).
    public var topicsButton: String

    /// ``awayMessage`` naming the next opening, or ``awayMessageWithoutOpening`` when there is none.
    public func awayMessage(next: String?) -> String {
        next.map { awayMessage.replacingOccurrences(of: "%@", with: $0) } ?? awayMessageWithoutOpening
    }

    /// ``mediaTooLarge`` with its limit, in whole megabytes.
    public func mediaTooLarge(limitBytes: Int) -> String {
        mediaTooLarge.replacingOccurrences(of: "%@", with: "\(max(1, limitBytes >> 20)) MB")
    }

    /// ``recordingTooLong`` with its limit, in minutes (in seconds below one minute), in this language's words.
    public func recordingTooLong(limitSeconds: Double) -> String {
        let minutes = Int((limitSeconds / 60).rounded())
        let english = self == .english
        let limit =
            minutes >= 1
            ? "\(minutes) \(english ? (minutes == 1 ? "minute" : "minutes") : (minutes == 1 ? "minuto" : "minutos"))"
            : "\(Int(limitSeconds)) \(english ? "seconds" : "segundos")"
        return recordingTooLong.replacingOccurrences(of: "%@", with: limit)
    }

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
        textOnly: "Por enquanto eu só consigo ler mensagens de texto, fotos e documentos. Pode escrever sua pergunta?",
        mediaTooLarge: "O arquivo que você enviou é grande demais para eu abrir (o limite é %@). Pode escrever sua pergunta?",
        mediaUnsupported: "Não consigo abrir esse tipo de arquivo. Eu leio fotos e documentos em PDF, Word (DOCX) ou texto.",
        mediaUnreadable: "Não consegui abrir o arquivo que você enviou: ele parece estar danificado ou protegido por senha.",
        mediaUnavailable: "Não consegui baixar o arquivo que você enviou. Pode enviar de novo?",
        pictureWithoutText: "Não consegui ler nenhum texto na imagem que você enviou. Pode me descrever o que precisa?",
        recordingTooLong: "Seu áudio é longo demais para mim (o limite é %@). Pode mandar um áudio mais curto ou escrever sua pergunta?",
        recordingNotUnderstood: "Não consegui entender o áudio que você mandou. Pode repetir ou escrever sua pergunta?",
        extractiveIntro: "Encontrei isto nos nossos documentos:",
        page: "p.",
        awayMessage:
            "Olá! Estamos fora do horário de atendimento agora. Sua mensagem ficou registrada e uma pessoa da nossa equipe vai responder quando abrirmos, %@.",
        awayMessageWithoutOpening:
            "Olá! Estamos fora do horário de atendimento agora. Sua mensagem ficou registrada e uma pessoa da nossa equipe vai responder assim que possível.",
        tooManyMessages:
            "Recebi muitas mensagens suas em pouco tempo. Para te atender melhor, vou passar a conversa para uma pessoa da nossa equipe, que responde em breve.",
        handoffButton: "Falar com atendente",
        offerPerson: "Quer falar com uma pessoa da nossa equipe?",
        feedbackQuestion: "Isso ajudou?",
        yes: "Sim",
        no: "Não",
        feedbackThanks: "Que bom que ajudou! Se precisar de mais alguma coisa, é só chamar.",
        feedbackSorry: "Sinto muito que não tenha ajudado. Quer falar com uma pessoa da nossa equipe?",
        followUp: "Posso ajudar em mais alguma coisa?",
        chooseTopic: "Olá! Sobre qual destes assuntos você quer saber? Escolha na lista ou escreva sua pergunta.",
        topicsButton: "Ver assuntos"
    )

    /// English.
    public static let english = Phrases(
        handoff: "Sure! I'm asking a member of our team to take over. Please wait a moment.",
        outOfScope: "Sorry, I couldn't find that in our documents. Would you like to talk to a person? Just reply \"human\".",
        outOfCredits: "I can't answer automatically right now. A member of our team will get back to you soon.",
        textOnly: "For now I can only read text messages, photos and documents. Could you type your question?",
        mediaTooLarge: "The file you sent is too large for me to open (the limit is %@). Could you type your question?",
        mediaUnsupported: "I can't open that kind of file. I read photos and PDF, Word (DOCX) or text documents.",
        mediaUnreadable: "I couldn't open the file you sent: it seems to be damaged or protected by a password.",
        mediaUnavailable: "I couldn't download the file you sent. Could you send it again?",
        pictureWithoutText: "I couldn't read any text in the picture you sent. Could you describe what you need?",
        recordingTooLong: "Your voice message is too long for me (the limit is %@). Could you send a shorter one or type your question?",
        recordingNotUnderstood: "I couldn't understand the voice message you sent. Could you repeat it or type your question?",
        extractiveIntro: "Here is what I found in our documents:",
        page: "p.",
        awayMessage: "Hello! We're outside business hours right now. Your message is saved and a member of our team will answer when we open, %@.",
        awayMessageWithoutOpening:
            "Hello! We're outside business hours right now. Your message is saved and a member of our team will answer as soon as possible.",
        tooManyMessages:
            "I've received a lot of messages from you in a short time. To help you better, I'm passing the conversation to a member of our team, who will answer soon.",
        handoffButton: "Talk to an agent",
        offerPerson: "Would you like to talk to a member of our team?",
        feedbackQuestion: "Did this help?",
        yes: "Yes",
        no: "No",
        feedbackThanks: "Glad it helped! If you need anything else, just ask.",
        feedbackSorry: "Sorry it didn't help. Would you like to talk to a member of our team?",
        followUp: "Can I help you with anything else?",
        chooseTopic: "Hello! Which of these topics would you like to know about? Pick one from the list or type your question.",
        topicsButton: "See topics"
    )

    /// Words that ask for a person in any of the supported languages (besides the agent's own keywords).
    public static let defaultHandoffKeywords = ["atendente", "humano", "pessoa de verdade", "falar com alguém", "human", "agent", "operator"]
}
