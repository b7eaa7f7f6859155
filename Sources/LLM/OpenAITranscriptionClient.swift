public import AsyncHTTPClient
public import Foundation

/// Transcribes a recording with an OpenAI-compatible `POST {baseURL}/audio/transcriptions` (OpenAI's `whisper-1`, a
/// local whisper server, …): `multipart/form-data` with `file`, `model`, `language` and `response_format=json`, and
/// `Authorization: Bearer {apiKey}` when a key is set; the answer's `text` is the transcript. For owners who prefer a
/// remote service to the on-box engine (`[speech] provider = "openai"`).
public struct OpenAITranscriptionClient: Sendable {
    /// Where and how to call.
    public struct Configuration: Sendable, Hashable {
        /// The API root, e.g. `https://api.openai.com/v1`.
        public var baseURL: String
        /// The API key.
        public var apiKey: String?
        /// The model, e.g. `whisper-1`.
        public var model: String
        /// The longest one request may take.
        public var timeout: Duration

        /// A configuration.
        public init(baseURL: String, apiKey: String?, model: String = "whisper-1", timeout: Duration = .seconds(120)) {
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.model = model
            self.timeout = timeout
        }
    }

    /// Where and how to call.
    public let configuration: Configuration
    private let httpClient: HTTPClient

    /// A client; by default on the LLM clients' shared `HTTPClient`.
    public init(configuration: Configuration, httpClient: HTTPClient = OpenAIChatClient.sharedHTTPClient) {
        self.configuration = configuration
        self.httpClient = httpClient
    }

    /// The words of the recording at `file` (of media type `mimeType`), in `language` (ISO 639-1; `nil` or `auto`:
    /// the service detects it).
    public func transcribe(fileAt file: URL, mimeType: String, language: String?) async throws(LLMError) -> String {
        let audio: Data
        do { audio = try Data(contentsOf: file) } catch { throw LLMError(.badRequest(message: "the recording could not be read"), "\(error)") }
        let boundary = "balcao-\(UUID().uuidString)"
        var body = Data()
        func field(_ name: String, _ value: String) {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        }
        field("model", configuration.model)
        field("response_format", "json")
        if let language, language != "auto" { field("language", language) }
        body.append(
            Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"voice.ogg\"\r\nContent-Type: \(mimeType)\r\n\r\n".utf8)
        )
        body.append(audio)
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))

        let root = configuration.baseURL.hasSuffix("/") ? String(configuration.baseURL.dropLast()) : configuration.baseURL
        var request = HTTPClientRequest(url: root + "/audio/transcriptions")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
        if let key = configuration.apiKey, !key.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        request.body = .bytes(Array(body))
        let status: Int
        var answer: [UInt8] = []
        do {
            let response = try await httpClient.execute(request, timeout: .seconds(configuration.timeout.components.seconds))
            status = Int(response.status.code)
            for try await chunk in response.body where answer.count < 4 << 20 { answer.append(contentsOf: chunk.readableBytesView) }
        } catch {
            throw LLMError(.transport, "\(error)", attempts: 1)
        }
        guard (200..<300).contains(status) else {
            let message = String(decoding: answer.prefix(300), as: UTF8.self)
            var error: LLMError =
                switch status {
                case 401, 403: LLMError(.unauthorized, String(message), attempts: 1)
                case 429: LLMError(.rateLimited, String(message), attempts: 1)
                case 500...: LLMError(.server(status: status), String(message), attempts: 1)
                default: LLMError(.badRequest(message: String(message)), String(message), attempts: 1)
                }
            error.httpStatus = status
            throw error
        }
        struct Answer: Decodable { let text: String }
        guard let decoded = try? JSONDecoder().decode(Answer.self, from: Data(answer)) else {
            throw LLMError(.malformedResponse, "no text in the transcription answer", attempts: 1)
        }
        return decoded.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
