import ArgumentParser
import Foundation
import ParleyDomain

/// `parley flow …`: work with Amazon Connect flow documents.
struct FlowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flow",
        abstract: "Check Amazon Connect flow documents, publish them into a data directory, list them, read flow logs.",
        subcommands: [Validate.self, Publish.self, List.self, Log.self]
    )
}

extension FlowCommand {
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parse and validate flow JSON files; exit non-zero if any is rejected.",
            discussion: """
                Prints one line per file: "FILE: ok (N actions)" or "FILE: rejected: REASON", where REASON names the \
                rule, the action's Identifier and Type. A file may hold the flow itself (a flow designer export) or \
                an API wrapper whose Content holds it. The rules are listed in docs/flows.md.
                """
        )

        @Argument(help: "Flow JSON files.")
        var files: [String] = []

        func validate() throws {
            guard !files.isEmpty else { throw ValidationError("give at least one FILE") }
        }

        func run() throws {
            var rejected = 0
            for file in files {
                let text: String
                do {
                    text = try String(contentsOfFile: file, encoding: .utf8)
                } catch {
                    print("\(file): rejected: cannot read the file (\(error.localizedDescription))")
                    rejected += 1
                    continue
                }
                do throws(FlowError) {
                    let document = try FlowDocument.parse(text)
                    print("\(file): ok (\(document.actionOrder.count) actions)")
                } catch {
                    print("\(file): rejected: \(error)")
                    rejected += 1
                }
            }
            if rejected > 0 { throw ExitCode(1) }
        }
    }
}
