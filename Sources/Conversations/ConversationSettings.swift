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
    /// An approved template sent instead of a free-form message outside the 24-hour window (`nil`: mark failed).
    public var windowTemplate: Template?
    /// A send whose outcome is unknown (no answer, connection lost, process killed mid-send) is sent again once it has
    /// waited this long with no status webhook naming it — counted from when its outcome turned unknown, and again
    /// from each start of the daemon (no status can arrive while it is down); until then it waits, so that a message
    /// WhatsApp did accept is not sent twice.
    public var reconcileAfter: TimeInterval = 90
    /// How long the sender pauses after an error that needs the operator (invalid token).
    public var alertPause: TimeInterval = 600
    /// The reply to images, audio, video, documents, stickers, locations and contacts; `nil` uses the agent language's
    /// default ("Por enquanto eu só consigo ler mensagens de texto…").
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

    /// The defaults.
    public init() {}
}
