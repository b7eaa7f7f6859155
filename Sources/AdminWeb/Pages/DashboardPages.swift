import Conversations
import Foundation
import Hummingbird

/// `/admin/dashboard`: today and the last 30 days at a glance, with server-drawn SVG charts.
enum DashboardPages: AdminPageModule {
    static func register(on routes: AdminRoutes) {
        let admin = routes.admin
        routes.get("dashboard") { _, context in
            let now = admin.configuration.now()
            let stats = try admin.environment.database.activityStats(now: now)
            let threshold = try await CreditsPages.effectiveThreshold(admin)
            return admin.renderer.page(
                "dashboard",
                titleKey: "dashboard_title",
                data: data(stats, threshold: threshold, admin: admin, context: context),
                context: context
            )
        }
    }

    static func data(_ stats: ActivityStats, threshold: Int64?, admin: AdminWeb, context: AdminRequestContext) -> [String: Any] {
        let language = context.language
        func t(_ key: String) -> String { admin.text(key, context) }
        func period(_ period: ActivityStats.Period) -> [String: Any] {
            let total = period.answered + period.handedOff + period.unanswered
            func share(_ value: Int) -> String {
                total == 0 ? "—" : AdminFormat.decimal(Double(value) * 100 / Double(total), places: 0, language) + "%"
            }
            return [
                "conversations": AdminFormat.number(period.conversations, language),
                "messagesIn": AdminFormat.number(period.messagesIn, language),
                "messagesOut": AdminFormat.number(period.messagesOut, language),
                "answered": AdminFormat.number(period.answered, language), "answeredShare": share(period.answered),
                "handedOff": AdminFormat.number(period.handedOff, language), "handedOffShare": share(period.handedOff),
                "unanswered": AdminFormat.number(period.unanswered, language), "unansweredShare": share(period.unanswered),
                "median": period.medianReplyMs.map { AdminFormat.duration(milliseconds: $0, language) } ?? "—",
                "p95": period.p95ReplyMs.map { AdminFormat.duration(milliseconds: $0, language) } ?? "—",
                "spent": AdminFormat.credits(micros: period.creditsSpentMicros, language),
                "closed": AdminFormat.number(period.closed, language),
                "resolution": period.resolutionRate.map { AdminFormat.decimal($0 * 100, places: 0, language) + "%" } ?? "—",
                "resolvedByAssistant": AdminFormat.number(period.resolvedByAssistant, language),
                "resolutionNote": period.closed == 0
                    ? t("dashboard_none_closed")
                    : admin.text(
                        "dashboard_resolution_note",
                        context,
                        ["resolved": AdminFormat.number(period.resolvedByAssistant, language), "closed": AdminFormat.number(period.closed, language)]
                    ),
                "helpful": AdminFormat.number(period.helpful, language),
                "notHelpful": AdminFormat.number(period.notHelpful, language),
            ]
        }
        let labels = stats.days.map(\.date)
        let messagesChart = SVGChart.stackedBars(
            labels: labels,
            series: [
                .init(className: "bar-in", label: t("dashboard_messages_in"), values: stats.days.map(\.messagesIn)),
                .init(className: "bar-out", label: t("dashboard_messages_out"), values: stats.days.map(\.messagesOut)),
            ],
            title: t("dashboard_chart_messages")
        )
        let outcomesChart = SVGChart.stackedBars(
            labels: labels,
            series: [
                .init(className: "bar-answered", label: t("dashboard_answered"), values: stats.days.map(\.answered)),
                .init(className: "bar-handoff", label: t("dashboard_handed_off"), values: stats.days.map(\.handedOff)),
                .init(className: "bar-unanswered", label: t("dashboard_unanswered"), values: stats.days.map(\.unanswered)),
            ],
            title: t("dashboard_chart_outcomes")
        )
        let resolutionChart = SVGChart.stackedBars(
            labels: labels,
            series: [
                .init(className: "bar-answered", label: t("dashboard_resolved_assistant"), values: stats.days.map(\.resolvedByAssistant)),
                .init(className: "bar-handoff", label: t("dashboard_resolved_person"), values: stats.days.map(\.resolvedByPerson)),
                .init(
                    className: "bar-unanswered",
                    label: t("dashboard_unresolved"),
                    values: stats.days.map { $0.closed - $0.resolvedByAssistant - $0.resolvedByPerson }
                ),
            ],
            title: t("dashboard_chart_resolution")
        )
        let agents: [[String: Any]] = stats.agents.map { agent in
            [
                "name": agent.agentName ?? t("dashboard_no_agent"),
                "closed": AdminFormat.number(agent.closed, language),
                "resolved": AdminFormat.number(agent.resolvedByAssistant, language),
                "rate": AdminFormat.decimal(agent.resolutionRate * 100, places: 0, language) + "%",
            ]
        }
        let channels: [[String: Any]] = stats.channels.map { activity in
            [
                "channel": activity.channel, "channelLabel": t("conversations_channel_\(activity.channel)"),
                "isWhatsApp": activity.channel == "whatsapp", "isInstagram": activity.channel == "instagram", "isWeb": activity.channel == "web",
                "conversations": AdminFormat.number(activity.conversations, language),
                "messagesIn": AdminFormat.number(activity.messagesIn, language),
                "answered": AdminFormat.number(activity.answered, language),
                "handedOff": AdminFormat.number(activity.handedOff, language),
            ]
        }
        func handoffs(_ count: Int) -> String {
            admin.text(count == 1 ? "dashboard_handoffs_one" : "dashboard_handoffs", context, ["count": AdminFormat.number(count, language)])
        }
        func waited(_ milliseconds: Int?) -> String { milliseconds.map { AdminFormat.duration(milliseconds: $0, language) } ?? "—" }
        var data: [String: Any] = [
            "personReplyInside": waited(stats.personReplyInsideHoursMs),
            "personReplyOutside": waited(stats.personReplyOutsideHoursMs),
            "handoffsInside": handoffs(stats.handoffsInsideHours),
            "handoffsOutside": handoffs(stats.handoffsOutsideHours),
            "resolutionChart": resolutionChart,
            "agents": agents, "hasAgents": !agents.isEmpty,
            "channels": channels, "hasChannels": !channels.isEmpty,
            "today": period(stats.today),
            "month": period(stats.month),
            "balance": AdminFormat.credits(micros: stats.balanceMicros, language),
            "documentsIndexed": AdminFormat.number(stats.documentsIndexed, language),
            "documentsTotal": AdminFormat.number(stats.documentsTotal, language),
            "documentsFailed": stats.documentsFailed > 0 ? AdminFormat.number(stats.documentsFailed, language) : false,
            "messagesChart": messagesChart,
            "outcomesChart": outcomesChart,
            "lowBalance": admin.environment.answersAreMetered && (threshold.map { stats.balanceMicros <= $0 } ?? false),
            "hasActivity": stats.month.messagesIn + stats.month.messagesOut > 0,
        ]
        if let days = stats.daysOfBalanceLeft {
            data["daysLeft"] = days >= 999 ? "999+" : AdminFormat.decimal(days, places: days < 10 ? 1 : 0, language)
        }
        return data
    }
}
