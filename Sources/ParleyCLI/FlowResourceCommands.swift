import ArgumentParser
import EventLog
import Foundation
import ParleyDomain
import ParleyEngine

extension FlowCommand {
    /// Opens the data directory's engine, runs `body`, and closes it.
    static func withEngine<T>(_ directory: String, _ body: (Engine<ChatMachine>) async throws -> T) async throws -> T {
        let engine = try await Engine<ChatMachine>.open(dataDirectory: directory)
        do {
            let result = try await body(engine)
            await engine.close()
            return result
        } catch {
            await engine.close()
            throw error
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish a flow file into a data directory (CreateContactFlow, or UpdateContactFlowContent).",
            discussion: """
                Validates the flow and records it in DIR's log. A new flow gets version 1; publishing to an existing \
                --id adds the next version (running contacts keep theirs). The instance must be configured \
                (parley demo does it; --instance configures a new log).
                """
        )

        @Argument(help: "The data directory.")
        var directory: String

        @Argument(help: "The flow JSON file.")
        var file: String

        @Option(help: "The flow's name (new flows).")
        var name: String?

        @Option(help: "CONTACT_FLOW, CUSTOMER_QUEUE, AGENT_TRANSFER, QUEUE_TRANSFER, … (new flows).")
        var type = "CONTACT_FLOW"

        @Option(help: "The flow id (default: a new UUID for a new flow).")
        var id: String?

        @Flag(help: "Publish a flow module (for InvokeFlowModule).")
        var module = false

        @Option(help: "Configure a new log for this instance id first.")
        var instance: String?

        func run() async throws {
            let content = try String(contentsOfFile: file, encoding: .utf8)
            let reply = try await FlowCommand.withEngine(directory) { engine -> ChatReply in
                if let instance, engine.snapshot.state.instance == nil {
                    _ = try await engine.submit(.configureInstance(instanceId: instance, concurrentActiveChats: 500))
                        .get()
                }
                guard let instanceId = engine.snapshot.state.instance?.instanceId else {
                    throw ValidationError("\(directory) has no instance yet; pass --instance ID")
                }
                let command: ChatCommand
                if let id, engine.snapshot.state.flows[id] != nil {
                    command = .updateContactFlowContent(instanceId: instanceId, flowId: id, content: content)
                } else if module {
                    command = .createContactFlowModule(
                        instanceId: instanceId,
                        moduleId: id,
                        name: name ?? file,
                        content: content
                    )
                } else {
                    command = .createContactFlow(
                        instanceId: instanceId,
                        flowId: id,
                        name: name ?? file,
                        type: type,
                        description: "",
                        content: content
                    )
                }
                return try await engine.submit(command).get()
            }
            if case .flowPublished(let flowId, let version) = reply { print("published \(flowId) version \(version)") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the flows of a data directory (ListContactFlows)."
        )

        @Argument(help: "The data directory.")
        var directory: String

        func run() async throws {
            let snapshot = try Engine<ChatMachine>.replay(dataDirectory: directory)
            for flow in ChatQueries.listContactFlows(in: snapshot.state) {
                print("\(flow.flowId)  \(flow.type)  v\(flow.latestVersion)  \(flow.name)")
            }
        }
    }

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "log",
            abstract: "Print a contact's flow log (the steps run while UpdateFlowLoggingBehavior was Enabled)."
        )

        @Argument(help: "The data directory.")
        var directory: String

        @Argument(help: "The contact id.")
        var contact: String

        func run() async throws {
            let state = try Engine<ChatMachine>.replay(dataDirectory: directory).state
            let entries = try ChatQueries.flowLogs(
                instanceId: state.instance?.instanceId ?? "",
                contactId: contact,
                in: state
            )
            for entry in entries {
                let next = entry.next ?? "-"
                print(
                    "\(ISOTime.format(entry.timestamp))  \(entry.flowId) v\(entry.version)  \(entry.action) "
                        + "(\(entry.actionType))  \(entry.branch) → \(next)"
                )
            }
        }
    }
}
