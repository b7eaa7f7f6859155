public import GRDB

extension DatabaseReader {
    /// Reads on the calling thread, also from async code (where `read` would pick GRDB's async variant).
    ///
    /// Async code reads synchronously on purpose: in WAL mode a read never waits for the writer, and GRDB's async read
    /// keeps its pooled connection until the awaiting task resumes on the cooperative pool. Mixed with synchronous reads
    /// blocking every cooperative thread (two on a 2-core machine), that emptied the reader pool and deadlocked the
    /// daemon under load (`make bench-webhook`). Writes, which wait for the one writer, use GRDB's async `write`.
    public func readNow<T>(_ value: (Database) throws -> T) throws -> T {
        try read(value)
    }
}
