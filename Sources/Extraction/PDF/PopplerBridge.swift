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
    /// The page text as UTF-8, and the byte offset of each scalar (one more entry: the end).
    var utf8: [UInt8]
    var offsets: [Int32]
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

    /// Decodes UTF-8 (GLib hands out valid UTF-8; anything else becomes U+FFFD) into scalars and their byte offsets.
    static func decodeUTF8(_ bytes: [UInt8]) -> ([Unicode.Scalar], [Int32]) {
        var scalars: [Unicode.Scalar] = []
        var offsets: [Int32] = []
        scalars.reserveCapacity(bytes.count)
        offsets.reserveCapacity(bytes.count + 1)
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = UInt32(bytes[i])
            var value: UInt32 = 0xFFFD
            var length = 1
            if b0 < 0x80 {
                value = b0
            } else if b0 >= 0xC2 && b0 < 0xE0 && i + 1 < n {
                value = (b0 & 0x1F) << 6 | (UInt32(bytes[i + 1]) & 0x3F)
                length = 2
            } else if b0 >= 0xE0 && b0 < 0xF0 && i + 2 < n {
                value = (b0 & 0x0F) << 12 | (UInt32(bytes[i + 1]) & 0x3F) << 6 | (UInt32(bytes[i + 2]) & 0x3F)
                length = 3
            } else if b0 >= 0xF0 && b0 < 0xF5 && i + 3 < n {
                value =
                    (b0 & 0x07) << 18 | (UInt32(bytes[i + 1]) & 0x3F) << 12 | (UInt32(bytes[i + 2]) & 0x3F) << 6
                    | (UInt32(bytes[i + 3]) & 0x3F)
                length = 4
            }
            offsets.append(Int32(i))
            scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
            i += length
        }
        offsets.append(Int32(n))
        return (scalars, offsets)
    }

    static func isBidiMark(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return (v >= 0x202A && v <= 0x202E) || (v >= 0x2066 && v <= 0x2069) || v == 0x200E || v == 0x200F
    }

    /// Renders page `index` (0-based) in grey at `dpi` (less when that would exceed `maximumPixels`), for OCR: one byte
    /// per pixel, rows top to bottom, white where the page draws nothing.
    func renderGray(_ index: Int, dpi: Double, maximumPixels: Int) -> (pixels: [UInt8], width: Int, height: Int)? {
        guard let page = poppler_document_get_page(doc, Int32(index)) else { return nil }
        defer { g_object_unref(gpointer(page)) }
        var pageWidth = 0.0
        var pageHeight = 0.0
        poppler_page_get_size(page, &pageWidth, &pageHeight)
        guard pageWidth > 0, pageHeight > 0, pageWidth.isFinite, pageHeight.isFinite else { return nil }
        var scale = dpi / 72
        let area = pageWidth * pageHeight * scale * scale
        if area > Double(maximumPixels) { scale *= (Double(maximumPixels) / area).squareRoot() }
        let width = Int(pageWidth * scale)
        let height = Int(pageHeight * scale)
        guard width > 0, height > 0, width < 32_768, height < 32_768 else { return nil }
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(width), Int32(height)) else { return nil }
        defer { cairo_surface_destroy(surface) }
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS, let context = cairo_create(surface) else { return nil }
        cairo_set_source_rgb(context, 1, 1, 1)
        cairo_paint(context)
        cairo_scale(context, scale, scale)
        poppler_page_render(page, context)
        cairo_destroy(context)
        cairo_surface_flush(surface)
        guard let data = cairo_image_surface_get_data(surface) else { return nil }
        let stride = Int(cairo_image_surface_get_stride(surface))
        // RGB24: one native-endian 32-bit word per pixel, 0x00RRGGBB.
        var gray = [UInt8](repeating: 255, count: width * height)
        gray.withUnsafeMutableBufferPointer { out in
            for y in 0..<height {
                let row = UnsafeRawPointer(data + y * stride).assumingMemoryBound(to: UInt32.self)
                for x in 0..<width {
                    let pixel = row[x]
                    let red = (pixel >> 16) & 0xFF
                    let green = (pixel >> 8) & 0xFF
                    let blue = pixel & 0xFF
                    out[y * width + x] = UInt8((red * 77 + green * 150 + blue * 29) >> 8)
                }
            }
        }
        return (gray, width, height)
    }

    /// Reads the text layer of page `index` (0-based).
    func page(_ index: Int, withFonts: Bool) -> RawPage? {
        guard let page = poppler_document_get_page(doc, Int32(index)) else { return nil }
        defer { g_object_unref(gpointer(page)) }
        var width = 0.0
        var height = 0.0
        poppler_page_get_size(page, &width, &height)

        var scalars: [Unicode.Scalar] = []
        var utf8: [UInt8] = []
        var offsets: [Int32] = []
        if let cText = poppler_page_get_text(page) {
            let length = strlen(cText)
            utf8 = cText.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
            g_free(cText)
            (scalars, offsets) = Self.decodeUTF8(utf8)
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
                        bold =
                            fontName.range(of: "bold", options: .caseInsensitive) != nil
                            || fontName.range(of: "black", options: .caseInsensitive) != nil
                            || fontName.range(of: "heavy", options: .caseInsensitive) != nil
                    }
                    fonts.append(FontRun(start: Int(attr.start_index), end: Int(attr.end_index), size: attr.font_size, bold: bold))
                }
                node = current.pointee.next
            }
            poppler_page_free_text_attributes(list)
        }

        if boxes.count != scalars.count && !boxes.isEmpty {
            // Right-to-left text: get_text wraps runs in bidi embedding marks that have no glyph box.
            let marks = scalars.count { Self.isBidiMark($0) }
            if scalars.count - marks == boxes.count {
                // Drop the marks, but keep a space where a mark pair was the only separator between two words.
                var alignedScalars: [Unicode.Scalar] = []
                var alignedBoxes: [Box] = []
                alignedScalars.reserveCapacity(boxes.count)
                alignedBoxes.reserveCapacity(boxes.count)
                var b = 0
                var sawMark = false
                for s in scalars {
                    if Self.isBidiMark(s) {
                        sawMark = true
                        continue
                    }
                    if sawMark, let last = alignedScalars.last, last != " ", last != "\n", s != " ", s != "\n" {
                        alignedScalars.append(" ")
                        alignedBoxes.append(alignedBoxes[alignedBoxes.count - 1])
                    }
                    sawMark = false
                    alignedScalars.append(s)
                    alignedBoxes.append(boxes[b])
                    b += 1
                }
                scalars = alignedScalars
                boxes = alignedBoxes
                utf8 = Array(String(String.UnicodeScalarView(scalars)).utf8)
                (scalars, offsets) = Self.decodeUTF8(utf8)
            }
        }
        return RawPage(
            width: width,
            height: height,
            scalars: scalars,
            utf8: utf8,
            offsets: offsets,
            boxes: boxes,
            layoutMatches: boxes.count == scalars.count,
            fonts: fonts
        )
    }
}
