import Foundation
import Storage

/// The header parameters a `multipart/form-data` upload is read by, shared by the API's and the admin page's uploads.
public enum MultipartHeaders {
    /// The `boundary` parameter of a multipart content type.
    public static func boundary(in contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let parts = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0].lowercased() == "boundary" {
                let value = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }

    /// A parameter (`name`, `filename`) of a `Content-Disposition` header.
    public static func dispositionParameter(_ parameter: String, in header: String) -> String? {
        for part in header.split(separator: ";").dropFirst() {
            let pieces = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pieces.count == 2, pieces[0].lowercased() == parameter {
                var value = pieces[1]
                if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                return value.replacingNULCharacters
            }
        }
        return nil
    }
}
