import Foundation
import ZIPFoundation

// MARK: - Bounded zip access

/// Reads entries of a zip archive within the extraction limits: entry count, declared sizes and ratios are checked
/// before inflating, and the bytes actually produced are counted while inflating.
struct SafeZip {
    private let archive: Archive
    private let limits: ExtractionLimits
    private let entries: [String: Entry]

    init(url: URL, limits: ExtractionLimits) throws(ExtractionError) {
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw .malformed("The Word document is damaged: its zip archive is truncated or corrupt.")
        }
        var entries: [String: Entry] = [:]
        var count = 0
        var declared: UInt64 = 0
        for entry in archive {
            count += 1
            if count > limits.maxArchiveEntries {
                throw .tooLarge("The Word document has more than \(limits.maxArchiveEntries) parts: refused as a possible zip bomb.")
            }
            declared &+= entry.uncompressedSize
            entries[entry.path] = entry
        }
        if declared > UInt64(limits.maxUncompressedBytes) {
            throw .tooLarge(
                "The Word document would expand to more than \(limits.maxUncompressedBytes / 1_048_576) MB: refused as a possible zip bomb."
            )
        }
        if count == 0 {
            throw .malformed("The Word document is damaged: its zip archive is empty or truncated.")
        }
        self.archive = archive
        self.limits = limits
        self.entries = entries
    }

    func contains(_ path: String) -> Bool { entries[path] != nil }

    /// The main document part: word/document.xml, or whatever _rels/.rels names as the office document.
    func mainDocumentPath() -> String? {
        if contains("word/document.xml") { return "word/document.xml" }
        guard let rels = try? read("_rels/.rels") else { return nil }
        let text = String(decoding: rels, as: UTF8.self)
        guard let range = text.range(of: "officeDocument\"") ?? text.range(of: "officeDocument'") else { return nil }
        // Find Target="..." in the same element.
        let start = text[..<range.lowerBound].range(of: "<", options: .backwards)?.lowerBound ?? text.startIndex
        let end = text[range.upperBound...].range(of: ">")?.upperBound ?? text.endIndex
        let element = text[start..<end]
        guard let t = element.range(of: "Target=\"") else { return nil }
        let rest = element[t.upperBound...]
        guard let q = rest.firstIndex(of: "\"") else { return nil }
        var target = String(rest[..<q])
        if target.hasPrefix("/") { target.removeFirst() }
        return contains(target) ? target : nil
    }

    func read(_ path: String) throws(ExtractionError) -> Data {
        guard let entry = entries[path] else { throw .malformed("The Word document is missing \(path).") }
        let declared = entry.uncompressedSize
        let compressed = max(entry.compressedSize, 1)
        if declared > UInt64(limits.maxUncompressedBytes) {
            throw .tooLarge("A part of the Word document would expand beyond the size limit: refused as a possible zip bomb.")
        }
        if declared > 1_048_576 && declared / compressed > UInt64(limits.maxCompressionRatio) {
            throw .tooLarge(
                "A part of the Word document is compressed \(declared / compressed):1, beyond the \(limits.maxCompressionRatio):1 limit: refused as a possible zip bomb."
            )
        }
        // Count what inflating actually produces: a lying header cannot expand past the declared size (plus slack)
        // nor past the ratio limit.
        let ratioCap = compressed &* UInt64(max(limits.maxCompressionRatio, 1))
        let cap = min(UInt64(limits.maxUncompressedBytes), max(declared, max(ratioCap, 1_048_576)))
        var data = Data()
        var bomb = false
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                if UInt64(data.count + chunk.count) > cap {
                    bomb = true
                    throw CocoaError(.fileReadTooLarge)
                }
                data.append(chunk)
            }
        } catch {
            if bomb {
                throw .tooLarge("A part of the Word document expands far beyond its declared size: refused as a possible zip bomb.")
            }
            throw .malformed("The Word document is damaged: \(path) could not be decompressed.")
        }
        return data
    }
}
