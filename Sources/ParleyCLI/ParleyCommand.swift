import ArgumentParser

/// The `parley` command line: a thin layer over the Parley libraries.
public struct ParleyCommand: AsyncParsableCommand {
    /// Describes the command tree.
    public static let configuration = CommandConfiguration(
        commandName: "parley",
        abstract: "Parley: a self-hosted chat contact center on an append-only event log.",
        subcommands: [
            LogCommand.self, ReplayCommand.self, TimersCommand.self, DemoCommand.self, FlowCommand.self,
            ServeCommand.self, QueryCommand.self, RebuildCommand.self, ContactRecordsCommand.self,
        ]
    )

    /// Creates the command (argument-parser requires it).
    public init() {}
}

/// Entry point for the `parley` executable.
public enum ParleyMain {
    /// Parses the process arguments and runs the chosen command.
    public static func run() async {
        await ParleyCommand.main()
    }
}
