import EventLog
import Foundation
import ParleyDomain

/// Renders log records for humans.
enum EventRendering {
    /// One JSON object: sequence, ISO time, and the decoded event (or the raw payload for non-domain records).
    static func jsonLine(_ record: RecordView) -> String {
        var line = "{\"sequence\":\(record.sequence),\"timestamp\":\"\(LogTime.iso8601(record.timestamp))\""
        let raw = "\"payload\":\"\(Data(record.payload).base64EncodedString())\""
        do throws(DecodeError) {
            if let event = try ChatEventCatalogue.decode(tag: record.type, payload: record.payload) {
                line += ",\"type\":\"\(event.name)\",\"event\":\(ChatEventCatalogue.json(event))}"
            } else {
                line += ",\"tag\":\(record.type),\(raw)"
                if let text = String(validating: record.payload.bindMemory(to: UInt8.self), as: UTF8.self) {
                    line += ",\"text\":\(quoted(text))"
                }
                line += "}"
            }
        } catch {
            let name = ChatEventCatalogue.name(ofTag: record.type) ?? "unknown"
            line += ",\"tag\":\(record.type),\"type\":\(quoted(name)),\"error\":\(quoted(error.description)),\(raw)}"
        }
        return line
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
