public import Foundation

/// How conversations behave.
public struct ConversationSettings: Sendable, Hashable {
    /// An approved message template.
    public struct Template: Sendable, Hashable {
        /// Its name.
        public var name: String
        /// Its language code (`pt_BR`).
        public var language: String

        /// Creates a template reference.
        public init(name: String, language: String) {
            self.name = name
            self.language = language
        }
    }

    /// Messages of one customer closer together than this form one turn and get one answer.
    public var quietPeriod: TimeInterval = 2.5
    /// Turns answered at once (of different customers; one customer's turns are always in order).
    public var turnConcurrency = 4
    /// Messages sent at once (of different conversations).
    public var sendConcurrency = 2
    /// After a handoff, the assistant answers again by itself after this long, unless an operator released it sooner.
    public var humanTimeout: TimeInterval = 4 * 3600
    /// Consecutive questions without a good passage before the conversation is handed to a person.
    public var unansweredBeforeHandoff = 2
    /// An answer that found nothing (and offers a person) carries a "Falar com atendente" reply button.
    public var handoffButton = true
    /// A message that says nothing to search for ("oi") gets the agent's topics as a list to choose from (when it has
    /// two or more documents), instead of "not found".
    public var topicList = true
    /// Answers are followed by "Isso ajudou? Sim / Não" buttons, at most once per conversation per ``feedbackInterval``.
    public var feedbackButtons = false
    /// The least time between two "Isso ajudou?" questions in one conversation.
    public var feedbackInterval: TimeInterval = 86_400
    /// After this long without a message from the customer since the assistant's last answer, one follow-up ("Posso
    /// ajudar em mais alguma coisa?") is sent, when ``followUp`` is on.
    public var followUpAfter: TimeInterval = 2 * 3600
    /// Whether the one follow-up is sent.
    public var followUp = false
    /// A conversation without any message for this long closes (and its resolution is recorded); the next message
    /// opens it again. `nil`: conversations never close.
    public var closeAfter: TimeInterval? = 24 * 3600
    /// A customer silent this long is erased with everything held about them (LGPD retention); `nil`: kept.
    public var retention: TimeInterval? = 365 * 86_400
    /// A customer whose turns in the last hour reach this many is told so politely and handed to a person instead of
    /// being answered again (`nil`: no limit).
    public var customerTurnsPerHour: Int? = 30
    /// A customer whose answers cost this much in the last 24 hours (micro-credits) is handed to a person the same way
    /// (`nil`: no limit).
    public var customerSpendPerDay: Int64?
    /// An approved template sent instead of a free-form message outside the 24-hour window (`nil`: mark failed).
    public var windowTemplate: Template?
    /// A send whose outcome is unknown (no answer, connection lost, process killed mid-send) is sent again once it has
    /// waited this long with no status webhook naming it — counted from when its outcome turned unknown, and again
    /// from each start of the daemon (no status can arrive while it is down); until then it waits, so that a message
    /// WhatsApp did accept is not sent twice.
    public var reconcileAfter: TimeInterval = 90
    /// How long the sender pauses after an error that needs the operator (invalid token).
    public var alertPause: TimeInterval = 600
    /// The reply to audio, video, locations, contacts and other messages the assistant cannot read (and to photos and
    /// documents when ``MediaSettings/enabled`` is off); `nil` uses the agent language's default ("Por enquanto eu só
    /// consigo ler mensagens de texto, fotos e documentos…").
    public var textOnlyMessage: String?
    /// The longest an idle worker sleeps. Workers do not poll: the write that creates work wakes them (``WorkBell``),
    /// and otherwise each sleeps until its next due time (a quiet period's end, a retry's back-off, a reconcile
    /// deadline); this bound only catches work written by another process, such as a `balcao` command.
    public var idleWakeUp: Duration = .seconds(30)

    /// This many webhook deliveries received at once begins a burst, which lasts until none has been received for
    /// ``burstGap``: the inbox worker waits for it to end before applying what was stored (``IncomingDeliveries``), so
    /// that acknowledging deliveries comes first. Deliveries that arrive one at a time are never a burst.
    public var burstDeliveries = 4
    /// How long a burst's next delivery may take to arrive before the burst is over.
    public var burstGap: Duration = .milliseconds(50)
    /// The longest the inbox worker waits for a burst to end before it applies what was stored meanwhile (and then
    /// applies the inbox until it is empty before it waits for a burst again).
    public var burstDeferral: Duration = .seconds(1)

    /// How customers' files are fetched, read and kept.
    public var media = MediaSettings()

    /// The defaults.
    public init() {}
}

/// How the files customers send (photos, stickers, documents) are fetched, read and kept.
public struct MediaSettings: Sendable, Hashable {
    /// Whether files are fetched and read at all; when not, they get the "text only" reply.
    public var enabled = true
    /// The largest file fetched (WhatsApp itself allows 5 MB for photos and 100 MB for documents).
    public var maxBytes = 20 << 20
    /// Fetch attempts before a file the channel keeps failing to give is given up (the customer is then asked to
    /// send it again); also the most starts a file may interrupt before it is failed instead of read again.
    public var maxAttempts = 5
    /// How long a fetched file is kept; then it is deleted (what was read from it stays with the conversation).
    public var retention: TimeInterval = 30 * 86_400
    /// Files fetched and read at once: two, so that one customer's long voice note or scan never holds up another's
    /// file (each reader is a child process on one thread).
    public var workers = 2
    /// Whether recordings (voice notes) are fetched and transcribed; when not, they get the "text only" reply.
    public var transcribesRecordings = false
    /// The longest recording transcribed; a longer one gets a polite message.
    public var maximumRecordingSeconds: Double = 180
    /// Whether a customer's photo is also shown to the model (which must accept OpenAI `image_url` content).
    public var showsPicturesToModel = false
    /// The largest photo shown to the model.
    public var maxPictureBytesForModel = 5 << 20

    /// The defaults: on, 20 MB, 5 attempts, 30 days, pictures not shown to the model.
    public init() {}

    /// The media types fetched for each kind of file (lowercase, without parameters). A document may be a picture
    /// sent as a file; `application/octet-stream` is fetched and recognized by its bytes.
    public static func acceptedTypes(for kind: CustomerMedia.Kind) -> Set<String> {
        let pictures: Set<String> = ["image/jpeg", "image/png", "image/webp", "image/tiff"]
        switch kind {
        case .audio:
            // WhatsApp's voice notes and most recordings; AAC, MP4 and AMR are not decoded here.
            return ["audio/ogg", "audio/opus"]
        case .image, .sticker:
            return pictures
        case .document:
            return pictures.union([
                "application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "text/plain",
                "application/octet-stream",
            ])
        }
    }
}
