/// Checks `condition` every 20 ms until it holds or `timeout` has passed, and returns whether it held.
///
/// For state that a daemon reaches asynchronously (a message's status after the send returned, an alert after a
/// failure): a fixed sleep before the check is either slow or, on a loaded machine, too short.
///
/// ```swift
/// #expect(try await eventually { try database.openAlerts().count == 1 })
/// ```
public func eventually(timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(20))
    }
}
