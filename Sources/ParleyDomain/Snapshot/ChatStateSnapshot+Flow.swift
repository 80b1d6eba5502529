// Snapshot encodings of the flow engine's part of `ChatState`: flow resources (with their parsed documents, so a
// snapshot loads without re-parsing JSON), queues, flow runs and logs, bots, hours of operation and pending Lambda
// invocations. See ChatStateSnapshot.swift.

extension FlowRunStatus: SnapshotCodableEnumeration {}

// MARK: - Flow resources and documents

extension FlowResource: SnapshotCodable {
    /// Writes the flow's fields, every version's source and its parsed document.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(flowId)
        writer.writeSnapshot(name)
        writer.writeSnapshot(type)
        writer.writeSnapshot(description)
        writer.writeSnapshot(contents)
        writer.writeSnapshot(documents)
        writer.writeSnapshot(publishedAt)
    }

    /// Reads a flow resource.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            flowId: try reader.readSnapshot(),
            name: try reader.readSnapshot(),
            type: try reader.readSnapshot(),
            description: try reader.readSnapshot(),
            contents: try reader.readSnapshot(),
            documents: try reader.readSnapshot(),
            publishedAt: try reader.readSnapshot()
        )
    }
}

extension FlowDocument: SnapshotCodable {
    /// Writes the version, the start action, the actions (by identifier), their order and the settings.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(version)
        writer.writeSnapshot(startAction)
        writer.writeSnapshot(actions)
        writer.writeSnapshot(actionOrder)
        writer.writeSnapshot(settings)
    }

    /// Reads a parsed flow document.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            version: try reader.readSnapshot(),
            startAction: try reader.readSnapshot(),
            actions: try reader.readSnapshot(),
            actionOrder: try reader.readSnapshot(),
            settings: try reader.readSnapshot()
        )
    }
}

extension FlowAction: SnapshotCodable {
    /// Writes the action's identifier, type, parameters and transitions.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(identifier)
        writer.writeSnapshot(type)
        writer.writeSnapshot(parameters)
        writer.writeSnapshot(next)
        writer.writeSnapshot(errors)
        writer.writeSnapshot(conditions)
    }

    /// Reads a flow action.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            identifier: try reader.readSnapshot(),
            type: try reader.readSnapshot(),
            parameters: try reader.readSnapshot(),
            next: try reader.readSnapshot(),
            errors: try reader.readSnapshot(),
            conditions: try reader.readSnapshot()
        )
    }
}

extension FlowErrorBranch: SnapshotCodable {
    /// Writes the error type and its target.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(errorType)
        writer.writeSnapshot(next)
    }

    /// Reads an error branch.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(errorType: try reader.readSnapshot(), next: try reader.readSnapshot())
    }
}

extension FlowCondition: SnapshotCodable {
    /// Writes the target, the operator and the operands.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(next)
        writer.writeSnapshot(op)
        writer.writeSnapshot(operands)
    }

    /// Reads a condition.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(next: try reader.readSnapshot(), op: try reader.readSnapshot(), operands: try reader.readSnapshot())
    }
}

extension JSONValue: SnapshotCodable {
    /// Nesting deeper than this is rejected on decode (so hostile bytes cannot exhaust the stack); parsed JSON
    /// never comes near it (Foundation's parser stops at 512 levels).
    static let snapshotDepthLimit = 1_000

    /// Writes a kind byte (0 null, 1 bool, 2 int, 3 double, 4 string, 5 array, 6 object), then the value; object
    /// members in key order.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        switch self {
        case .null:
            writer.write(byte: 0)
        case .bool(let value):
            writer.write(byte: 1)
            writer.writeSnapshot(value)
        case .int(let value):
            writer.write(byte: 2)
            writer.writeSnapshot(value)
        case .double(let value):
            writer.write(byte: 3)
            writer.writeSnapshot(value)
        case .string(let value):
            writer.write(byte: 4)
            writer.writeSnapshot(value)
        case .array(let values):
            writer.write(byte: 5)
            writer.writeSnapshot(values)
        case .object(let members):
            writer.write(byte: 6)
            writer.writeSnapshot(members)
        }
    }

    /// Reads a JSON value; nesting deeper than `snapshotDepthLimit` is an error.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self = try Self.readSnapshot(from: &reader, depth: 0)
    }

    private static func readSnapshot(from reader: inout BinaryReader, depth: Int) throws(DecodeError) -> JSONValue {
        let start = reader.offset
        guard depth < snapshotDepthLimit else {
            throw DecodeError(.invalidValue, "JSON nested deeper than \(snapshotDepthLimit) levels", offset: start)
        }
        switch try reader.readByte() {
        case 0: return .null
        case 1: return .bool(try reader.readSnapshot())
        case 2: return .int(try reader.readSnapshot())
        case 3: return .double(try reader.readSnapshot())
        case 4: return .string(try reader.readSnapshot())
        case 5:
            let count = try reader.readCount(limit: reader.remaining)
            var values: [JSONValue] = []
            values.reserveCapacity(count)
            for _ in 0..<count { values.append(try readSnapshot(from: &reader, depth: depth + 1)) }
            return .array(values)
        case 6:
            let count = try reader.readCount(limit: reader.remaining)
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(count)
            for _ in 0..<count {
                let keyOffset = reader.offset
                let key: String = try reader.readSnapshot()
                let value = try readSnapshot(from: &reader, depth: depth + 1)
                guard members.updateValue(value, forKey: key) == nil else {
                    throw DecodeError(.invalidValue, "a repeated JSON object key in a snapshot", offset: keyOffset)
                }
            }
            return .object(members)
        case let other:
            throw DecodeError(.invalidValue, "unknown JSON value kind \(other) in a snapshot", offset: start)
        }
    }
}

// MARK: - Queues, flow runs and logs

extension QueueResource: SnapshotCodable {
    /// Writes the queue's id, name, capacity, hours and status.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(queueId)
        writer.writeSnapshot(name)
        writer.writeSnapshot(maxContacts)
        writer.writeSnapshot(hoursOfOperationId)
        writer.writeSnapshot(enabled)
    }

    /// Reads a queue.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            queueId: try reader.readSnapshot(),
            name: try reader.readSnapshot(),
            maxContacts: try reader.readSnapshot(),
            hoursOfOperationId: try reader.readSnapshot(),
            enabled: try reader.readSnapshot()
        )
    }
}

extension QueuePosition: SnapshotCodable {
    /// Writes the queue and the time the contact entered it.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(queueId)
        writer.writeSnapshot(since)
    }

    /// Reads a queue position.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(queueId: try reader.readSnapshot(), since: try reader.readSnapshot())
    }
}

extension FlowRun: SnapshotCodable {
    /// Writes every field of the run, its module call stack and bot conversation included.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(flowId)
        writer.writeSnapshot(version)
        writer.writeSnapshot(current)
        writer.writeSnapshot(status)
        writer.writeSnapshot(waitEvents)
        writer.writeSnapshot(flowAttributes)
        writer.writeSnapshot(external)
        writer.writeSnapshot(loopCounters)
        writer.writeSnapshot(steps)
        writer.writeSnapshot(callStack)
        writer.writeSnapshot(lex)
    }

    /// Reads a flow run.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            flowId: try reader.readSnapshot(),
            version: try reader.readSnapshot(),
            current: try reader.readSnapshot(),
            status: try reader.readSnapshot(),
            waitEvents: try reader.readSnapshot(),
            flowAttributes: try reader.readSnapshot(),
            external: try reader.readSnapshot(),
            loopCounters: try reader.readSnapshot(),
            steps: try reader.readSnapshot(),
            callStack: try reader.readSnapshot(),
            lex: try reader.readSnapshot()
        )
    }
}

extension FlowFrame: SnapshotCodable {
    /// Writes the calling flow, its version and where it continues.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(flowId)
        writer.writeSnapshot(version)
        writer.writeSnapshot(returnTo)
    }

    /// Reads a module call frame.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            flowId: try reader.readSnapshot(),
            version: try reader.readSnapshot(),
            returnTo: try reader.readSnapshot()
        )
    }
}

extension FlowLogEntry: SnapshotCodable {
    /// Writes every field of the log line.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(timestamp)
        writer.writeSnapshot(flowId)
        writer.writeSnapshot(version)
        writer.writeSnapshot(action)
        writer.writeSnapshot(actionType)
        writer.writeSnapshot(branch)
        writer.writeSnapshot(result)
        writer.writeSnapshot(next)
        writer.writeSnapshot(details)
    }

    /// Reads a flow log line.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            timestamp: try reader.readSnapshot(),
            flowId: try reader.readSnapshot(),
            version: try reader.readSnapshot(),
            action: try reader.readSnapshot(),
            actionType: try reader.readSnapshot(),
            branch: try reader.readSnapshot(),
            result: try reader.readSnapshot(),
            next: try reader.readSnapshot(),
            details: try reader.readSnapshot()
        )
    }
}

// MARK: - Bots

extension BotSession: SnapshotCodable {
    /// Writes the conversation's bot, block, session attributes and last classification.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(botId)
        writer.writeSnapshot(botVersion)
        writer.writeSnapshot(action)
        writer.writeSnapshot(sessionAttributes)
        writer.writeSnapshot(intent)
        writer.writeSnapshot(confidence)
        writer.writeSnapshot(slots)
    }

    /// Reads a bot conversation.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            botId: try reader.readSnapshot(),
            botVersion: try reader.readSnapshot(),
            action: try reader.readSnapshot(),
            sessionAttributes: try reader.readSnapshot(),
            intent: try reader.readSnapshot(),
            confidence: try reader.readSnapshot(),
            slots: try reader.readSnapshot()
        )
    }
}

extension BotResource: SnapshotCodable {
    /// Writes the bot's id, name and every version's definition and publication time.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(botId)
        writer.writeSnapshot(name)
        writer.writeSnapshot(definitions)
        writer.writeSnapshot(publishedAt)
    }

    /// Reads a bot resource.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            botId: try reader.readSnapshot(),
            name: try reader.readSnapshot(),
            definitions: try reader.readSnapshot(),
            publishedAt: try reader.readSnapshot()
        )
    }
}

extension BotDefinition: SnapshotCodable {
    /// Writes the intents, the fallback, the session timeout and the greeting.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(intents)
        writer.writeSnapshot(fallbackIntent)
        writer.writeSnapshot(fallbackReply)
        writer.writeSnapshot(sessionTimeoutSeconds)
        writer.writeSnapshot(greeting)
    }

    /// Reads a bot definition.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            intents: try reader.readSnapshot(),
            fallbackIntent: try reader.readSnapshot(),
            fallbackReply: try reader.readSnapshot(),
            sessionTimeoutSeconds: try reader.readSnapshot(),
            greeting: try reader.readSnapshot()
        )
    }
}

extension BotIntent: SnapshotCodable {
    /// Writes the intent's name, utterances, keywords, slots and reply.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(name)
        writer.writeSnapshot(utterances)
        writer.writeSnapshot(keywords)
        writer.writeSnapshot(slots)
        writer.writeSnapshot(reply)
    }

    /// Reads an intent.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            name: try reader.readSnapshot(),
            utterances: try reader.readSnapshot(),
            keywords: try reader.readSnapshot(),
            slots: try reader.readSnapshot(),
            reply: try reader.readSnapshot()
        )
    }
}

extension BotSlot: SnapshotCodable {
    /// Writes the slot's name and type.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(name)
        writer.writeSnapshot(type)
    }

    /// Reads a slot.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(name: try reader.readSnapshot(), type: try reader.readSnapshot())
    }
}

extension BotSlotType: SnapshotCodable {
    /// Writes a kind byte (0 number, 1 email, 2 date, 3 values, 4 pattern), then its parameter.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        switch self {
        case .number: writer.write(byte: 0)
        case .email: writer.write(byte: 1)
        case .date: writer.write(byte: 2)
        case .values(let values):
            writer.write(byte: 3)
            writer.writeSnapshot(values)
        case .pattern(let pattern):
            writer.write(byte: 4)
            writer.writeSnapshot(pattern)
        }
    }

    /// Reads a slot type; an unknown kind is an error.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        let start = reader.offset
        switch try reader.readByte() {
        case 0: self = .number
        case 1: self = .email
        case 2: self = .date
        case 3: self = .values(try reader.readSnapshot())
        case 4: self = .pattern(try reader.readSnapshot())
        case let other: throw DecodeError(.invalidValue, "unknown bot slot type \(other) in a snapshot", offset: start)
        }
    }
}

// MARK: - Hours of operation

extension HoursOfOperation: SnapshotCodable {
    /// Writes the id, name, time zone and ranges.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(hoursId)
        writer.writeSnapshot(name)
        writer.writeSnapshot(timeZone)
        writer.writeSnapshot(config)
    }

    /// Reads hours of operation.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            hoursId: try reader.readSnapshot(),
            name: try reader.readSnapshot(),
            timeZone: try reader.readSnapshot(),
            config: try reader.readSnapshot()
        )
    }
}

extension HoursRange: SnapshotCodable {
    /// Writes the day and the start and end times.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(day)
        writer.writeSnapshot(startTime)
        writer.writeSnapshot(endTime)
    }

    /// Reads a range.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            day: try reader.readSnapshot(),
            startTime: try reader.readSnapshot(),
            endTime: try reader.readSnapshot()
        )
    }
}

extension HoursTime: SnapshotCodable {
    /// Writes the hours and minutes.
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(hours)
        writer.writeSnapshot(minutes)
    }

    /// Reads a time of day.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(hours: try reader.readSnapshot(), minutes: try reader.readSnapshot())
    }
}

// MARK: - Lambda invocations

extension PendingInvocation: SnapshotCodable {
    /// Writes the recorded request's fields (independently of the event's log encoding).
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.writeSnapshot(request.invocationId)
        writer.writeSnapshot(request.chatId)
        writer.writeSnapshot(request.contactId)
        writer.writeSnapshot(request.action)
        writer.writeSnapshot(request.url)
        writer.writeSnapshot(request.payload)
        writer.writeSnapshot(request.timeoutMilliseconds)
        writer.writeSnapshot(request.responseType)
    }

    /// Reads a pending invocation.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init(
            request: LambdaInvocationRequested(
                invocationId: try reader.readSnapshot(),
                chatId: try reader.readSnapshot(),
                contactId: try reader.readSnapshot(),
                action: try reader.readSnapshot(),
                url: try reader.readSnapshot(),
                payload: try reader.readSnapshot(),
                timeoutMilliseconds: try reader.readSnapshot(),
                responseType: try reader.readSnapshot()
            )
        )
    }
}
