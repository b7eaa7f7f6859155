import CPoppler
import Foundation

/// A picture of printed text, drawn in the test with cairo (the library poppler renders with): black lines of text on
/// white, as a PNG — what a customer's photo of a printed notice reads like once it is straight.
enum PrintedPicture {
    /// `lines` in a 34-pixel sans-serif face on a white canvas wide enough for the longest one.
    static func png(_ lines: [String], fontSize: Double = 34) throws -> Data {
        let width = Int32(80 + (lines.map(\.count).max() ?? 0) * Int(fontSize * 0.62))
        let height = Int32(80 + lines.count * Int(fontSize * 1.6))
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height) else { throw CocoaError(.fileWriteUnknown) }
        defer { cairo_surface_destroy(surface) }
        let context = cairo_create(surface)
        defer { cairo_destroy(context) }
        cairo_set_source_rgb(context, 1, 1, 1)
        cairo_paint(context)
        cairo_set_source_rgb(context, 0, 0, 0)
        cairo_select_font_face(context, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(context, fontSize)
        for (index, line) in lines.enumerated() {
            cairo_move_to(context, 40, 40 + fontSize + Double(index) * fontSize * 1.6)
            cairo_show_text(context, line)
        }
        cairo_surface_flush(surface)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("picture-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: file) }
        guard cairo_surface_write_to_png(surface, file.path) == CAIRO_STATUS_SUCCESS else { throw CocoaError(.fileWriteUnknown) }
        return try Data(contentsOf: file)
    }

    /// A blank picture: a photo with nothing written on it.
    static func blank() throws -> Data { try png([""]) }
}
