/// Refuses a `multipart/form-data` body whose part header *names* hold a byte of 0x80 or more, before MultipartKit
/// reads it: MultipartKit 4.7.1 looks such a byte up in a 128-entry table (`isAllowedHeaderFieldNameCharacter`) and
/// the index out of range stops the whole daemon (found by `make test`'s bounded schemathesis run). Header *values*
/// (a UTF-8 `filename="preços.pdf"`) and part bodies are left alone.
///
/// Fed the body as it streams in, it follows lines: a line starting with `--boundary` opens a part's headers (or, as
/// `--boundary--`, ends the body), an empty line ends them, and within them the bytes before a line's first `:` are a
/// name. That sees every place MultipartKit reads a header name (its delimiters, `\r\n--boundary`, start lines too).
public struct MultipartHeaderNameGuard: Sendable {
    /// A header name with a byte MultipartKit cannot read.
    public struct NonASCIIHeaderName: Error, Sendable, CustomStringConvertible {
        public var description: String { "a part's header name holds a byte that is not ASCII" }
    }

    private let delimiter: [UInt8]
    /// The start of the current line (enough to recognize a delimiter line).
    private var line: [UInt8] = []
    private var inHeaders = false
    private var inName = true
    private var finished = false

    /// A guard for the body with this `boundary`.
    public init(boundary: String) {
        delimiter = Array("--\(boundary)".utf8)
    }

    /// Checks the next bytes of the body.
    public mutating func check(_ bytes: some Sequence<UInt8>) throws(NonASCIIHeaderName) {
        for byte in bytes {
            if finished { return }
            if byte == UInt8(ascii: "\n") {
                endLine()
                continue
            }
            if line.count < delimiter.count + 2 { line.append(byte) }
            if inHeaders && inName {
                if byte == UInt8(ascii: ":") {
                    inName = false
                } else if byte >= 0x80 {
                    throw NonASCIIHeaderName()
                }
            }
        }
    }

    private mutating func endLine() {
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        if line.starts(with: delimiter) {
            if line.dropFirst(delimiter.count).starts(with: [UInt8(ascii: "-"), UInt8(ascii: "-")]) {
                finished = true  // the close delimiter: what follows is the epilogue, which is not parsed
            } else {
                inHeaders = true
            }
        } else if inHeaders && line.isEmpty {
            inHeaders = false
        }
        line.removeAll(keepingCapacity: true)
        inName = true
    }
}
