import ArgumentParser
import BalcaoApp
import Foundation

/// `balcao doctor`: checks the installation and prints what to fix.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the configuration, permissions, database, model, index, LLM, WhatsApp and certificate; print what to fix.",
        discussion: "Only reads. Exits with status 1 when a check fails (warnings alone exit 0)."
    )

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let doctor = Doctor(configurationFile: options.configurationFile, dataDirectory: options.dataDir)
        let checks = await doctor.run()
        print(Doctor.render(checks))
        if Doctor.hasFailure(checks) { throw ExitCode.failure }
    }
}
