// The only file that touches poppler-glib / GLib pointers: it turns them into plain Swift values.
internal import CPoppler
import Foundation

/// An axis-aligned box in PDF points, y growing downwards (poppler's text coordinates).
struct Box: Sendable, Hashable {
    var x1: Double
    var y1: Double
    var x2: Double
    var y2: Double

    var width: Double { x2 - x1 }
    var height: Double { y2 - y1 }

    func union(_ other: Box) -> Box {
        Box(x1: min(x1, other.x1), y1: min(y1, other.y1), x2: max(x2, other.x2), y2: max(y2, other.y2))
    }
}

/// A run of characters sharing one font, as poppler reports it (character offsets into the page text).
struct FontRun: Sendable {
    var start: Int
    var end: Int  // inclusive, like poppler
    var size: Double
    var bold: Bool
}

/// The raw text layer of one page: poppler's text, one box per Unicode scalar, and font runs.
struct RawPage: Sendable {
    var width: Double
    var height: Double
    var scalars: [Unicode.Scalar]
    var boxes: [Box]  // same count as `scalars` when `layoutMatches`
    var layoutMatches: Bool
    var fonts: [FontRun]
}

/// Why poppler refused a document.
enum PopplerOpenError: Error {
    case encrypted
    case damaged(String)
}

/// An open poppler document. Not shared across threads: each extraction opens its own.
final class PopplerDocument {
    private let doc: OpaquePointer

    init(url: URL, password: String?) throws(PopplerOpenError) {
        let uri = url.absoluteURL.absoluteString
        var error: UnsafeMutablePointer<GError>? = nil
        let opened: OpaquePointer? = uri.withCString { uriPtr in
            if let password {
                return password.withCString { poppler_document_new_from_file(uriPtr, $0, &error) }
            }
            return poppler_document_new_from_file(uriPtr, nil, &error)
        }
        guard let opened else {
            var message = "unknown error"
            var code: Int32 = -1
            if let error {
                code = error.pointee.code
                if let msg = error.pointee.message { message = String(cString: msg) }
                g_error_free(error)
            }
            if code == Int32(POPPLER_ERROR_ENCRYPTED.rawValue) { throw .encrypted }
            throw .damaged(message)
        }
        if let error { g_error_free(error) }
        doc = opened
    }

    deinit {
        g_object_unref(gpointer(doc))
    }

    var pageCount: Int { Int(poppler_document_get_n_pages(doc)) }

    /// Reads the text layer of page `index` (0-based).
    func page(_ index: Int, withFonts: Bool) -> RawPage? {
        guard let page = poppler_document_get_page(doc, Int32(index)) else { return nil }
        defer { g_object_unref(gpointer(page)) }
        var width = 0.0
        var height = 0.0
        poppler_page_get_size(page, &width, &height)

        var scalars: [Unicode.Scalar] = []
        if let cText = poppler_page_get_text(page) {
            let text = String(cString: cText)
            g_free(cText)
            scalars = Array(text.unicodeScalars)
        }

        var boxes: [Box] = []
        var rects: UnsafeMutablePointer<PopplerRectangle>? = nil
        var count: guint = 0
        if poppler_page_get_text_layout(page, &rects, &count) != 0, let rects {
            let buffer = UnsafeBufferPointer(start: rects, count: Int(count))
            boxes.reserveCapacity(Int(count))
            for r in buffer {
                boxes.append(Box(x1: r.x1, y1: r.y1, x2: r.x2, y2: r.y2))
            }
            g_free(rects)
        }

        var fonts: [FontRun] = []
        if withFonts, let list = poppler_page_get_text_attributes(page) {
            var node: UnsafeMutablePointer<GList>? = list
            while let current = node {
                if let data = current.pointee.data {
                    let attr = data.assumingMemoryBound(to: PopplerTextAttributes.self).pointee
                    var bold = false
                    if let name = attr.font_name {
                        let fontName = String(cString: name)
                        bold = fontName.range(of: "bold", options: .caseInsensitive) != nil
                            || fontName.range(of: "black", options: .caseInsensitive) != nil
                            || fontName.range(of: "heavy", options: .caseInsensitive) != nil
                    }
                    fonts.append(FontRun(start: Int(attr.start_index), end: Int(attr.end_index), size: attr.font_size, bold: bold))
                }
                node = current.pointee.next
            }
            poppler_page_free_text_attributes(list)
        }

        return RawPage(
            width: width, height: height, scalars: scalars, boxes: boxes,
            layoutMatches: boxes.count == scalars.count, fonts: fonts)
    }
}
