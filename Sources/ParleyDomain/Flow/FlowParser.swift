import Foundation

extension FlowDocument {
    /// Parses and validates a flow: the flow JSON itself, or a wrapper whose `Content` holds it as a string.
    ///
    /// Accepted wrappers are the shapes of Amazon's APIs: `{"Content": "<flow JSON>", …}` (CreateContactFlow,
    /// UpdateContactFlowContent) and `{"ContactFlow": {…, "Content": …}}` / `{"ContactFlowModule": {…}}`
    /// (DescribeContactFlow, DescribeContactFlowModule).
    public static func parse(_ text: String) throws(FlowError) -> FlowDocument {
        try parse(FlowParser.decode(text, what: "the text"))
    }

    /// Builds and validates a flow from decoded JSON, unwrapping the same wrappers as `parse(_:)` on text.
    public static func parse(_ json: JSONValue) throws(FlowError) -> FlowDocument {
        let document = try FlowParser.build(FlowParser.unwrap(json, depth: 0))
        try FlowValidator.validate(document)
        return document
    }
}

/// JSON to `FlowDocument`: shape checks only; the rules live in `FlowValidator`.
enum FlowParser {
    static func decode(_ text: String, what: String) throws(FlowError) -> JSONValue {
        let data = Data(text.utf8)
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            // JSONDecoder does not say where; JSONSerialization does ("around character 11").
            var detail = ""
            do {
                _ = try JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed)
            } catch let parseError {
                if let text = (parseError as NSError).userInfo[NSDebugDescriptionErrorKey] as? String {
                    detail = " (\(text))"
                }
            }
            throw FlowError(.invalidJSON, "\(what) is not valid JSON" + detail)
        }
    }

    /// The flow object inside `value`.
    static func unwrap(_ value: JSONValue, depth: Int) throws(FlowError) -> [String: JSONValue] {
        guard let object = value.object else {
            throw FlowError(.invalidJSON, "a flow must be a JSON object")
        }
        if object["Actions"] != nil || object["Version"] != nil || depth >= 3 { return object }
        for key in ["ContactFlow", "ContactFlowModule"] {
            if let inner = object[key], inner.object != nil { return try unwrap(inner, depth: depth + 1) }
        }
        switch object["Content"] {
        case .string(let text)?: return try unwrap(decode(text, what: "Content"), depth: depth + 1)
        case .object?: return try unwrap(object["Content"]!, depth: depth + 1)
        case nil: return object
        default: throw FlowError(.invalidJSON, "Content must hold the flow JSON as a string")
        }
    }

    static func build(_ root: [String: JSONValue]) throws(FlowError) -> FlowDocument {
        guard let versionValue = root["Version"] else {
            throw FlowError(.unsupportedVersion, "Version is missing; it must be \"\(FlowValidator.version)\"")
        }
        guard let version = versionValue.string else {
            throw FlowError(.unsupportedVersion, "Version must be the string \"\(FlowValidator.version)\"")
        }
        try FlowValidator.checkVersion(version)
        guard let actionsValue = root["Actions"] else {
            throw FlowError(.invalidJSON, "Actions is missing")
        }
        guard let items = actionsValue.array else {
            throw FlowError(.invalidJSON, "Actions must be an array")
        }
        try FlowValidator.checkActionCount(items.count)
        var actions: [String: FlowAction] = [:]
        var order: [String] = []
        var positions: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let action = try buildAction(item, index: index)
            try FlowValidator.checkIdentifier(action.identifier, type: action.type)
            if let first = positions[action.identifier] {
                throw FlowError(
                    .duplicateIdentifier,
                    "Actions[\(index)] has the same Identifier as Actions[\(first)]",
                    actionIdentifier: action.identifier,
                    actionType: action.type
                )
            }
            positions[action.identifier] = index
            actions[action.identifier] = action
            order.append(action.identifier)
        }
        guard let startValue = root["StartAction"] else {
            throw FlowError(.missingStartAction, "StartAction is missing")
        }
        guard let start = startValue.string else {
            throw FlowError(.missingStartAction, "StartAction must be the Identifier of an action")
        }
        return FlowDocument(
            version: version,
            startAction: start,
            actions: actions,
            actionOrder: order,
            settings: root["Settings"]
        )
    }

    private static func buildAction(_ item: JSONValue, index: Int) throws(FlowError) -> FlowAction {
        guard let object = item.object else {
            throw FlowError(.invalidJSON, "Actions[\(index)] must be an object")
        }
        let identifier = object["Identifier"]?.string
        guard let type = object["Type"]?.string else {
            throw FlowError(
                .invalidJSON,
                "Actions[\(index)] must have a Type string",
                actionIdentifier: identifier
            )
        }
        guard let identifier else {
            throw FlowError(.invalidIdentifier, "Actions[\(index)] must have an Identifier string", actionType: type)
        }
        func fail(_ code: FlowError.Code, _ message: String) -> FlowError {
            FlowError(code, message, actionIdentifier: identifier, actionType: type)
        }

        var parameters: [String: JSONValue] = [:]
        switch object["Parameters"] {
        case nil, .null?: break
        case .object(let fields)?: parameters = fields
        default: throw fail(.invalidParameter, "Parameters must be an object")
        }

        var transitions: [String: JSONValue] = [:]
        switch object["Transitions"] {
        case nil, .null?: break
        case .object(let fields)?: transitions = fields
        default: throw fail(.invalidJSON, "Transitions must be an object")
        }

        var next: String?
        switch transitions["NextAction"] {
        case nil, .null?: break
        case .string(let target)?: next = target
        default: throw fail(.missingTarget, "NextAction must be the Identifier of an action")
        }

        var errors: [FlowErrorBranch] = []
        switch transitions["Errors"] {
        case nil, .null?: break
        case .array(let entries)?:
            for (position, entry) in entries.enumerated() {
                guard let errorType = entry["ErrorType"]?.string else {
                    throw fail(.invalidJSON, "Errors[\(position)] must be an object with an ErrorType string")
                }
                guard let target = entry["NextAction"]?.string else {
                    throw fail(.missingTarget, "the \(errorType) error branch must have a NextAction")
                }
                errors.append(FlowErrorBranch(errorType: errorType, next: target))
            }
        default: throw fail(.invalidJSON, "Errors must be an array")
        }

        var conditions: [FlowCondition] = []
        switch transitions["Conditions"] {
        case nil, .null?: break
        case .array(let entries)?:
            for (position, entry) in entries.enumerated() {
                conditions.append(try buildCondition(entry, position: position, fail: fail))
            }
        default: throw fail(.invalidCondition, "Conditions must be an array")
        }

        return FlowAction(
            identifier: identifier,
            type: type,
            parameters: parameters,
            next: next,
            errors: errors,
            conditions: conditions
        )
    }

    private static func buildCondition(
        _ entry: JSONValue,
        position: Int,
        fail: (FlowError.Code, String) -> FlowError
    ) throws(FlowError) -> FlowCondition {
        guard entry.object != nil else {
            throw fail(.invalidCondition, "Conditions[\(position)] must be an object")
        }
        guard let condition = entry["Condition"]?.object else {
            throw fail(.invalidCondition, "Conditions[\(position)] must have a Condition object")
        }
        guard let op = condition["Operator"]?.string else {
            throw fail(.invalidCondition, "Conditions[\(position)] must have an Operator string")
        }
        guard let items = condition["Operands"]?.array else {
            throw fail(.invalidCondition, "Conditions[\(position)] must have an Operands array")
        }
        var operands: [String] = []
        for item in items {
            guard let operand = item.string else {
                throw fail(
                    .invalidCondition,
                    "Conditions[\(position)] operands must be strings (nested conditions are not supported)"
                )
            }
            operands.append(operand)
        }
        guard let target = entry["NextAction"]?.string else {
            throw fail(.missingTarget, "Conditions[\(position)] must have a NextAction")
        }
        return FlowCondition(next: target, op: op, operands: operands)
    }
}
