import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// "Test connection": one small real request to the language model or the Graph API with the given settings.
enum ConnectionChecks {
    /// The outcome of a check, for the settings page.
    struct Outcome: Sendable {
        /// Whether it worked.
        var ok: Bool
        /// The localized-key of the message and its values.
        var messageKey: String
        var values: [String: String]
    }

    /// A one-token chat completion (`POST {base}/chat/completions`, `max_tokens: 1`): the same call answers make, so a
    /// success proves the address, the key and the model together.
    static func checkLLM(baseURL: String?, model: String?, apiKey: String?, timeout: TimeAmount = .seconds(15)) async -> Outcome {
        guard var base = baseURL?.trimmingCharacters(in: .whitespaces), !base.isEmpty else {
            return Outcome(ok: false, messageKey: "settings_test_llm_missing", values: [:])
        }
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
            return Outcome(ok: false, messageKey: "settings_test_bad_url", values: [:])
        }
        let model = (model?.isEmpty == false ? model : nil) ?? "gpt-4o-mini"
        return await checkChat(base: base, model: model, apiKey: apiKey, timeout: timeout)
    }

    static func checkChat(base: String, model: String, apiKey: String?, timeout: TimeAmount) async -> Outcome {
        do {
            var request = HTTPClientRequest(url: base + "/chat/completions")
            request.method = .POST
            if let apiKey, !apiKey.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
            request.headers.add(name: "Content-Type", value: "application/json")
            let payload: [String: Any] = ["model": model, "max_tokens": 1, "messages": [["role": "user", "content": "ping"]]]
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: payload)))
            let response = try await HTTPClient.shared.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: 1 << 20)
            let status = Int(response.status.code)
            guard status == 200 else {
                return Outcome(ok: false, messageKey: "settings_test_http", values: ["status": "\(status)", "detail": Self.errorDetail(body)])
            }
            return Outcome(ok: true, messageKey: "settings_test_llm_ok", values: ["model": model])
        } catch {
            return Outcome(ok: false, messageKey: "settings_test_unreachable", values: ["detail": "\(error)"])
        }
    }

    /// `GET {graph}/{phone_number_id}?fields=display_phone_number,verified_name` with the access token.
    static func checkWhatsApp(graphBaseURL: String, accessToken: String?, phoneNumberID: String?, timeout: TimeAmount = .seconds(10)) async
        -> Outcome
    {
        guard let accessToken, !accessToken.isEmpty else { return Outcome(ok: false, messageKey: "settings_test_wa_missing_token", values: [:]) }
        guard let phone = phoneNumberID?.trimmingCharacters(in: .whitespaces), !phone.isEmpty, phone.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isLetter) })
        else { return Outcome(ok: false, messageKey: "settings_test_wa_missing_phone", values: [:]) }
        var base = graphBaseURL
        while base.hasSuffix("/") { base.removeLast() }
        do {
            var request = HTTPClientRequest(url: "\(base)/\(phone)?fields=display_phone_number,verified_name")
            request.method = .GET
            request.headers.add(name: "Authorization", value: "Bearer \(accessToken)")
            let response = try await HTTPClient.shared.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: 1 << 20)
            let status = Int(response.status.code)
            guard status == 200 else {
                return Outcome(ok: false, messageKey: "settings_test_http", values: ["status": "\(status)", "detail": Self.errorDetail(body)])
            }
            let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any]
            let number = object?["display_phone_number"] as? String ?? phone
            let name = object?["verified_name"] as? String ?? ""
            return Outcome(ok: true, messageKey: "settings_test_wa_ok", values: ["number": number, "name": name])
        } catch {
            return Outcome(ok: false, messageKey: "settings_test_unreachable", values: ["detail": "\(error)"])
        }
    }

    /// `error.message` of an OpenAI/Graph error body, or the start of the body.
    static func errorDetail(_ body: ByteBuffer) -> String {
        let data = Data(body.readableBytesView)
        if let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] {
            if let error = object["error"] as? [String: Any], let message = error["message"] as? String { return message }
            if let message = object["error"] as? String { return message }
        }
        return String(String(decoding: data, as: UTF8.self).prefix(200))
    }
}
