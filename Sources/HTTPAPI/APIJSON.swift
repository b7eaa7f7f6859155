import Foundation
import HTTPTypes
import Hummingbird
import OpenAPIRuntime

/// How the API writes JSON, for the generated operations and the routes beside them alike: the generated types' own
/// snake_case keys, sorted, and dates as ISO 8601 with milliseconds.
enum APIJSON {
    /// The generated operations' settings.
    static let configuration = Configuration(
        dateTranscoder: .iso8601WithFractionalSeconds,
        jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes]
    )

    /// The same encoding for a route written by hand.
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let transcoder = configuration.dateTranscoder
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(try transcoder.encode(date))
        }
        return encoder
    }

    /// A JSON response with `status`.
    static func response(_ status: HTTPResponse.Status, body: some Encodable) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: try encoder().encode(body))))
    }
}
