import Foundation

/// How long an Ogg Opus recording says it is, read from its last pages without decoding anything: the granule position
/// of an Ogg page counts 48 kHz samples (RFC 7845), so the highest one near the end of the file is the recording's
/// length. Used where the recording is sent elsewhere (`[speech] provider = "openai"`) and must be refused when it is
/// too long; plain bounds-checked byte reading, so a hostile file can only make it answer nil.
public enum OggDuration {
    /// The length in seconds of the Ogg Opus file at `path`, or nil when it cannot be told (not Ogg, no page with a
    /// position in its last 64 KiB, or unreadable).
    public static func seconds(ofFileAt path: String) -> Double? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd() else { return nil }
        let start = size > 65_536 ? size - 65_536 : 0
        guard (try? handle.seek(toOffset: start)) != nil, let tail = try? handle.readToEnd() else { return nil }
        return seconds(ofTail: [UInt8](tail))
    }

    /// The length told by the pages in `bytes` (the end of an Ogg file).
    static func seconds(ofTail bytes: [UInt8]) -> Double? {
        let capture: [UInt8] = Array("OggS".utf8)
        var highest: Int64?
        var index = 0
        // A page header is 27 bytes: "OggS", version, flags, then the granule position (little-endian, 8 bytes).
        while index + 27 <= bytes.count {
            if bytes[index] == capture[0], bytes[index + 1] == capture[1], bytes[index + 2] == capture[2], bytes[index + 3] == capture[3],
                bytes[index + 4] == 0
            {
                var granule: UInt64 = 0
                for offset in (0..<8).reversed() { granule = granule << 8 | UInt64(bytes[index + 6 + offset]) }
                // -1 marks a page where no packet ends.
                if granule != UInt64.max, granule <= UInt64(Int64.max) { highest = max(highest ?? 0, Int64(granule)) }
            }
            index += 1
        }
        return highest.map { Double($0) / 48_000 }
    }
}
