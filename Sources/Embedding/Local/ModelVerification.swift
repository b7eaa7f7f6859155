import Crypto
import Foundation

/// SHA-256 verification of a model file, remembered in a sidecar `<file>.verified` so later loads are instant.
///
/// The sidecar holds the digest with the file's size and modification time; any change to the file invalidates it.
enum ModelVerification {
    struct Stamp: Equatable {
        var size: Int
        var mtime: Double
    }

    static func sidecarURL(for file: URL) -> URL { file.appendingPathExtension("verified") }

    static func stamp(of file: URL) throws(LocalModelError) -> Stamp {
        do {
            let attrs = try FileManager.default.attributesOfItem(atPath: file.path)
            let size = (attrs[.size] as? NSNumber)?.intValue ?? -1
            let mtime = (attrs[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return Stamp(size: size, mtime: mtime)
        } catch {
            throw .unreadable(path: file.path, reason: "\(error)")
        }
    }

    /// The file's SHA-256 as lowercase hex, read from the sidecar when it still matches, computed (and cached) otherwise.
    static func digest(of file: URL) throws(LocalModelError) -> (digest: String, cached: Bool) {
        let stamp = try stamp(of: file)
        if let cached = cachedDigest(for: file, stamp: stamp) { return (cached, true) }
        let digest = try computeDigest(of: file)
        let line = "sha256=\(digest) size=\(stamp.size) mtime=\(String(format: "%.6f", stamp.mtime))\n"
        try? line.write(to: sidecarURL(for: file), atomically: true, encoding: .utf8)  // best effort: a read-only dir is fine
        return (digest, false)
    }

    static func cachedDigest(for file: URL, stamp: Stamp) -> String? {
        guard let text = try? String(contentsOf: sidecarURL(for: file), encoding: .utf8) else { return nil }
        var fields: [Substring: Substring] = [:]
        for part in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            guard let eq = part.firstIndex(of: "=") else { continue }
            fields[part[..<eq]] = part[part.index(after: eq)...]
        }
        guard let digest = fields["sha256"], digest.count == 64,
            let size = fields["size"].flatMap({ Int($0) }), size == stamp.size,
            let mtime = fields["mtime"].flatMap({ Double($0) }), abs(mtime - stamp.mtime) < 1e-5
        else { return nil }
        return String(digest)
    }

    static func computeDigest(of file: URL) throws(LocalModelError) -> String {
        do {
            let handle = try FileHandle(forReadingFrom: file)
            defer { try? handle.close() }
            var hasher = SHA256()
            while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty {
                hasher.update(data: chunk)
            }
            return hasher.finalize().map { String(format: "%02x", $0) }.joined()
        } catch {
            throw .unreadable(path: file.path, reason: "\(error)")
        }
    }
}
