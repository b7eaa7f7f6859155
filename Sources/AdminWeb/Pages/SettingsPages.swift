import Foundation
import GRDB
import Hummingbird
import Storage

/// `/admin/settings` (owner): the language model and WhatsApp credentials, with "test connection" buttons.
/// Secrets are sealed at rest and never sent back to the browser; saving takes effect at once (``LiveSettings``).
enum SettingsPages: AdminPageModule {
    /// The form fields, by stored key.
    static let formFields: [(form: String, key: String)] = [
        ("llm_base_url", "llm.base_url"), ("llm_model", "llm.model"), ("llm_api_key", "llm.api_key"),
        ("whatsapp_access_token", "whatsapp.access_token"), ("whatsapp_app_secret", "whatsapp.app_secret"),
        ("whatsapp_verify_token", "whatsapp.verify_token"), ("whatsapp_phone_number_id", "whatsapp.phone_number_id"),
    ]

    static func register(on routes: AdminRoutes) {
        let admin = routes.admin

        routes.get("settings", access: .owner) { _, context in
            try page(admin, context: context)
        }

        routes.post("settings", access: .owner) { _, context, form in
            guard let live = admin.environment.liveSettings else { throw AdminError.notFound }
            let current = live.current
            // What the form asks for: typed values; empty plain fields fall back to the configuration file; empty
            // secret fields keep what is saved unless "clear" is ticked.
            var changes: [String: String?] = [:]
            var candidate = current
            var typed: [String: String] = [:]
            for (name, key) in formFields {
                guard let field = ConnectionSettings.fields.first(where: { $0.key == key }) else { continue }
                let value = form.text(name)
                if field.isSecret {
                    if !value.isEmpty {
                        changes[key] = .some(value)
                        candidate[keyPath: field.keyPath] = value
                    } else if form["clear_\(name)"] != nil {
                        changes[key] = .some(nil)
                        candidate[keyPath: field.keyPath] = live.base[keyPath: field.keyPath]
                    }
                } else {
                    typed[name] = value
                    let effective = value.isEmpty ? live.base[keyPath: field.keyPath] : value
                    let isOverridden = try live.overriddenKeys().contains(key)
                    if effective != current[keyPath: field.keyPath] || (value.isEmpty && isOverridden) {
                        changes[key] = value.isEmpty ? .some(nil) : .some(value)
                    }
                    candidate[keyPath: field.keyPath] = effective
                }
            }
            if let url = candidate.llmBaseURL, !url.isEmpty, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
                return try page(
                    admin,
                    typed: typed,
                    result: (false, admin.text("settings_test_bad_url", context)),
                    status: .badRequest,
                    context: context
                )
            }
            switch form.text("action") {
            case "test_llm":
                let outcome = await ConnectionChecks.checkLLM(baseURL: candidate.llmBaseURL, model: candidate.llmModel, apiKey: candidate.llmAPIKey)
                return try page(
                    admin,
                    typed: typed,
                    result: (outcome.ok, admin.text(outcome.messageKey, context, outcome.values)),
                    anchor: "llm",
                    context: context
                )
            case "test_whatsapp":
                let outcome = await ConnectionChecks.checkWhatsApp(
                    graphBaseURL: admin.environment.graphBaseURL,
                    accessToken: candidate.whatsappAccessToken,
                    phoneNumberID: candidate.whatsappPhoneNumberID
                )
                return try page(
                    admin,
                    typed: typed,
                    result: (outcome.ok, admin.text(outcome.messageKey, context, outcome.values)),
                    anchor: "whatsapp",
                    context: context
                )
            default:
                guard !changes.isEmpty else {
                    return .redirect(to: "/admin/settings", flash: Flash(.info, admin.text("settings_unchanged", context)))
                }
                let actor = context.actorName
                let date = admin.configuration.now()
                let changes = changes
                try await admin.environment.database.writer.write { db in
                    try live.save(changes, by: actor, at: date, in: db)
                    for (key, value) in changes.sorted(by: { $0.key < $1.key }) {
                        let secret = ConnectionSettings.fields.first { $0.key == key }?.isSecret ?? true
                        let detail = value == nil ? "reset to the configuration file" : (secret ? "secret replaced" : value!)
                        try AdminAudit.record("settings.update", target: key, detail: detail, context: context, in: db)
                    }
                }
                try live.reload()
                return .redirect(to: "/admin/settings", flash: Flash(.success, admin.text("settings_saved", context)))
            }
        }
    }

    static func page(
        _ admin: AdminWeb,
        typed: [String: String] = [:],
        result: (Bool, String)? = nil,
        anchor: String? = nil,
        status: HTTPResponse.Status = .ok,
        context: AdminRequestContext
    ) throws -> Response {
        guard let live = admin.environment.liveSettings else { throw AdminError.notFound }
        let current = live.current
        let overridden = try live.overriddenKeys()
        var data: [String: Any] = ["graphBaseURL": admin.environment.graphBaseURL]
        for (name, key) in formFields {
            guard let field = ConnectionSettings.fields.first(where: { $0.key == key }) else { continue }
            let value = current[keyPath: field.keyPath]
            let source: String
            if overridden.contains(key) {
                source = admin.text("settings_source_admin", context)
            } else if value != nil {
                source = admin.text("settings_source_file", context)
            } else {
                source = admin.text("settings_source_unset", context)
            }
            data[name + "_source"] = source
            if field.isSecret {
                data[name + "_set"] = value?.isEmpty == false
                data[name + "_clearable"] = overridden.contains(key)
            } else {
                data[name] = typed[name] ?? value ?? ""
            }
        }
        if let (ok, message) = result {
            data["result"] = ["ok": ok, "message": message, "anchor": anchor ?? ""] as [String: Any]
            data["result_\(anchor ?? "none")"] = ["ok": ok, "message": message] as [String: Any]
        }
        return admin.renderer.page("settings", titleKey: "settings_title", data: data, status: status, context: context)
    }
}
