import Foundation
import LLM
import WhatsApp

/// "Test connection" on the settings page: the language model's and the Graph API client's own probes (the same
/// requests `balcao doctor` makes) with the settings being edited, and their outcome as a localized message.
enum ConnectionChecks {
    /// The outcome of a check, for the settings page.
    struct Outcome: Sendable {
        /// Whether it worked.
        var ok: Bool
        /// The localized-key of the message and its values.
        var messageKey: String
        var values: [String: String]
    }

    /// ``OpenAIChatClient/probe()`` with the given address, model and key.
    static func checkLLM(baseURL: String?, model: String?, apiKey: String?, timeout: Duration = .seconds(15)) async -> Outcome {
        guard let base = baseURL?.trimmingCharacters(in: .whitespaces), !base.isEmpty else {
            return Outcome(ok: false, messageKey: "settings_test_llm_missing", values: [:])
        }
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
            return Outcome(ok: false, messageKey: "settings_test_bad_url", values: [:])
        }
        let model = (model?.isEmpty == false ? model : nil) ?? "gpt-4o-mini"
        let client = OpenAIChatClient(configuration: .init(baseURL: base, apiKey: apiKey, model: model, timeout: timeout))
        switch await client.probe() {
        case .success:
            return Outcome(ok: true, messageKey: "settings_test_llm_ok", values: ["model": model])
        case .failure(let error):
            switch error.kind {
            case .transport, .timeout, .deadlineExceeded:
                return Outcome(ok: false, messageKey: "settings_test_unreachable", values: ["detail": error.message])
            default:
                return Outcome(
                    ok: false,
                    messageKey: "settings_test_http",
                    values: ["status": error.httpStatus.map(String.init) ?? "-", "detail": error.message]
                )
            }
        }
    }

    /// ``GraphAPIClient/probe(phoneNumberID:)`` with the given token and phone number id.
    static func checkWhatsApp(
        graphBaseURL: String,
        accessToken: String?,
        phoneNumberID: String?,
        timeout: Duration = .seconds(10)
    ) async
        -> Outcome
    {
        guard let accessToken, !accessToken.isEmpty else { return Outcome(ok: false, messageKey: "settings_test_wa_missing_token", values: [:]) }
        guard let phone = phoneNumberID?.trimmingCharacters(in: .whitespaces), !phone.isEmpty else {
            return Outcome(ok: false, messageKey: "settings_test_wa_missing_phone", values: [:])
        }
        let client = GraphAPIClient(baseURL: graphBaseURL, accessToken: accessToken, timeout: timeout)
        do {
            let identity = try await client.probe(phoneNumberID: phone)
            return Outcome(
                ok: true,
                messageKey: "settings_test_wa_ok",
                values: ["number": identity.displayNumber ?? phone, "name": identity.verifiedName ?? ""]
            )
        } catch {
            switch error {
            case .invalidRequest:
                return Outcome(ok: false, messageKey: "settings_test_wa_missing_phone", values: [:])
            case .timeout, .transport, .cancelled:
                return Outcome(ok: false, messageKey: "settings_test_unreachable", values: ["detail": error.description])
            case .api(let response):
                return Outcome(
                    ok: false,
                    messageKey: "settings_test_http",
                    values: ["status": "\(response.httpStatus)", "detail": response.message ?? error.description]
                )
            case .httpStatus(let status, let body), .invalidResponse(let status, let body):
                return Outcome(ok: false, messageKey: "settings_test_http", values: ["status": "\(status)", "detail": String(body.prefix(200))])
            }
        }
    }
}
