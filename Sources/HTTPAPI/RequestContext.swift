public import Hummingbird
import NIOCore

/// The request context of every route of the daemon: Hummingbird's core context plus the client's address
/// (used by the admin page's sign-in rate limit and audit log).
public struct ServerRequestContext: RequestContext {
    /// The storage every context carries.
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address (`""` when unknown, e.g. in router tests).
    public let remoteAddress: String

    /// Creates the context of a request arriving on a channel.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? ""
    }
}
