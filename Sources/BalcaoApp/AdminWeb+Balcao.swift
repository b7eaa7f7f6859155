public import AdminWeb
import Foundation

extension Balcao {
    /// The admin web page over this daemon's parts, configured by the `[admin]` section; `configure` adjusts it
    /// (tests lower the bcrypt cost or move the clock).
    public func adminWeb(configure: (inout AdminConfiguration) -> Void = { _ in }) throws -> AdminWeb {
        var settings = AdminConfiguration(webRoot: AdminConfiguration.locateWebRoot(configured: configuration.admin.webRoot))
        settings.secureCookies = configuration.admin.secureCookies
        settings.sessionLifetime = configuration.admin.sessionHours * 3600
        configure(&settings)
        let environment = AdminEnvironment(
            database: database,
            secrets: secrets,
            ledger: ledger,
            library: library,
            search: search,
            answerer: answerer,
            conversations: conversations,
            logger: logger,
            liveSettings: liveSettings,
            graphBaseURL: configuration.whatsapp.graphBaseURL,
            answersAreMetered: isMetered,
            templates: templateCatalog
        )
        return try AdminWeb(environment: environment, configuration: settings)
    }
}
