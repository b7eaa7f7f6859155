import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Tells systemd the daemon's state (`sd_notify(3)`): one datagram to the `AF_UNIX` socket named by `$NOTIFY_SOCKET`.
///
/// The packaged unit is `Type=notify`, so systemd counts the service as started only once `READY=1` arrives, that is
/// once the HTTP server listens. Without `$NOTIFY_SOCKET` (not run by systemd) nothing is sent.
public enum SystemdNotifier {
    /// Sends `state` (e.g. `"READY=1"`) to `$NOTIFY_SOCKET`; returns whether it was sent. Never throws: a failure only
    /// means systemd will time the start out, which it reports itself.
    /// - Parameter environment: where to read `NOTIFY_SOCKET` (default: the process's environment).
    @discardableResult
    public static func notify(_ state: String, environment: [String: String]? = nil) -> Bool {
        let environment = environment ?? ProcessInfo.processInfo.environment
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return false }
        // "@name" is an abstract socket: its address starts with a NUL byte instead of the "@".
        var bytes = Array(path.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        guard abstract || bytes.first == UInt8(ascii: "/") else { return false }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                sendto(descriptor, message, message.count, Int32(MSG_NOSIGNAL), socketAddress, length)
            }
        }
        return sent == message.count
    }
}
