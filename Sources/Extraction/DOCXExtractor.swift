import Foundation

struct DOCXExtractor: Sendable {
    var limits: ExtractionLimits
    func extract(url: URL) throws(ExtractionError) -> ExtractedDocument {
        throw .unsupportedFormat("todo")
    }
}
