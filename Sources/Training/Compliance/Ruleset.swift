import Foundation
import MLLog

/// How often a key must occur (`REQ` in the official YAML).
public enum RuleRequirement: Sendable, Equatable {
    case optional
    case exactlyOne
    case atLeastOne
    case atLeast(Int)
    /// At least one of this key or the alternatives must occur.
    case atLeastOneOr([String])

    public init(parsing s: String) throws(RulesetError) {
        let t = s.trimmingCharacters(in: .whitespaces)
        switch t {
        case "OPTIONAL", "": self = .optional
        case "EXACTLY_ONE": self = .exactlyOne
        case "AT_LEAST_ONE": self = .atLeastOne
        default:
            if t.hasPrefix("AT_LEAST_ONE_OR("), t.hasSuffix(")") {
                let inner = t.dropFirst("AT_LEAST_ONE_OR(".count).dropLast()
                self = .atLeastOneOr(inner.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            } else if t.hasPrefix("AT_LEAST("), t.hasSuffix(")"), let n = Int(t.dropFirst(9).dropLast()) {
                self = .atLeast(n)
            } else {
                throw RulesetError(file: "", message: "unknown requirement '\(s)' (EXACTLY_ONE, AT_LEAST_ONE, AT_LEAST(n), AT_LEAST_ONE_OR(a,b), OPTIONAL)")
            }
        }
    }
}

/// A compiled expression with its source text, which verdicts quote as the expected condition.
public struct RuleCheck: Sendable {
    public var source: String
    public var expression: RuleExpression
}

public struct RuleStatements: Sendable {
    public var source: String
    public var statements: [RuleStatement]
}

/// The rule for one key (`KEY` record).
public struct KeyRule: Sendable {
    public var key: String
    public var requirement: RuleRequirement
    public var pre: RuleStatements?
    /// Run on every occurrence (the first only for `submission_*` keys); each false item is an error.
    public var checks: [RuleCheck]
    public var post: RuleStatements?
    /// Run on the first occurrence only.
    public var firstChecks: [RuleCheck]
    /// At least one occurrence must satisfy it: how quality targets are expressed.
    public var atLeastOneCheck: RuleCheck?
    /// Optional words for people (shown with failures).
    public var note: String?
}

/// One rule file (`common`, `closed_common`, `closed_<benchmark>` …).
public struct RuleFile: Sendable {
    public var name: String
    public var description: String
    public var initialState: [String: JSONValue]
    public var rules: [KeyRule]
    public var endPre: RuleStatements?
    public var endChecks: [RuleCheck]
}

public struct RulesetError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var message: String
    public var description: String { file.isEmpty ? message : "\(file): \(message)" }
}

/// Rulesets stored as data: `<root>/training_<id>/<file>.json`. The built-in root is the `Rulesets` resource of
/// this module; any directory with the same layout works (`RulesetStore(directory:)`).
///
/// A rule file is a JSON object:
/// ```
/// {"description": "...",
///  "begin": {"state_name": initial value, ...},
///  "rules": [{"key": "init_stop", "req": "EXACTLY_ONE", "pre": "stmts", "check": ["expr", ...], "post": "stmts",
///             "first_check": ["expr"], "at_least_one_check": "expr", "note": "text"}, ...],
///  "end": {"pre": "stmts", "check": ["expr"]}}
/// ```
/// Expressions and statements use `RuleExpression`'s language. The chain starts at `common.json`; `enqueue(name)`
/// queues `<name>.json` of the same ruleset.
public struct RulesetStore: Sendable {
    public let root: URL

    public init(directory: URL) { root = directory }

    /// The rulesets shipped with SwiftMLPerf.
    public static var builtIn: RulesetStore {
        RulesetStore(directory: Bundle.module.resourceURL!.appendingPathComponent("Rulesets"))
    }

    /// Ruleset ids available (`6.1.0`, `4.0.0`, `swift-1.0`, …).
    public func rulesetIDs() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.filter { $0.hasPrefix("training_") }.map { String($0.dropFirst("training_".count)) }.sorted()
    }

    public func directory(ruleset: String) -> URL { root.appendingPathComponent("training_" + ruleset) }

    public func hasFile(ruleset: String, name: String) -> Bool {
        FileManager.default.fileExists(atPath: directory(ruleset: ruleset).appendingPathComponent(name + ".json").path)
    }

    public func load(ruleset: String, name: String) throws(RulesetError) -> RuleFile {
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix("."), !ruleset.contains("/") else {
            throw RulesetError(file: "training_\(ruleset)/\(name)", message: "not a rule file name (no paths allowed)")
        }
        let url = directory(ruleset: ruleset).appendingPathComponent(name + ".json")
        let label = "training_\(ruleset)/\(name).json"
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RulesetError(file: label, message: "no such rule file (ruleset directory \(directory(ruleset: ruleset).path))")
        }
        let json: JSONValue
        do { json = try JSONParser.parse(bytes: [UInt8](data)) } catch {
            throw RulesetError(file: label, message: "not valid JSON: \(error)")
        }
        return try RulesetStore.compile(json, name: name, label: label)
    }

    static func compile(_ json: JSONValue, name: String, label: String) throws(RulesetError) -> RuleFile {
        func fail(_ m: String) -> RulesetError { RulesetError(file: label, message: m) }
        func checks(_ v: JSONValue?, _ what: String) throws(RulesetError) -> [RuleCheck] {
            guard let v, !v.isNull else { return [] }
            var sources: [String] = []
            switch v {
            case .string(let s): sources = [s]
            case .array(let items):
                for item in items {
                    guard let s = item.stringValue else { throw fail("\(what) must be a string or a list of strings") }
                    sources.append(s)
                }
            default: throw fail("\(what) must be a string or a list of strings")
            }
            var out: [RuleCheck] = []
            for s in sources {
                do { out.append(RuleCheck(source: s.trimmingCharacters(in: .whitespacesAndNewlines), expression: try RuleExpression.parse(s))) }
                catch { throw fail("\(what): \(error)") }
            }
            return out
        }
        func statements(_ v: JSONValue?, _ what: String) throws(RulesetError) -> RuleStatements? {
            guard let v, !v.isNull else { return nil }
            var src = ""
            switch v {
            case .string(let s): src = s
            case .array(let items): src = items.compactMap(\.stringValue).joined(separator: "; ")
            default: throw fail("\(what) must be a string or a list of strings")
            }
            do { return RuleStatements(source: src, statements: try RuleStatement.parse(src)) }
            catch { throw fail("\(what): \(error)") }
        }
        guard case .object = json else { throw fail("a rule file is a JSON object") }
        var state: [String: JSONValue] = [:]
        if case .object(let fields)? = json["begin"] { for f in fields { state[f.key] = f.value } }
        var rules: [KeyRule] = []
        if case .array(let items)? = json["rules"] {
            for item in items {
                guard let key = item["key"]?.stringValue else { throw fail("every rule needs a \"key\"") }
                let req: RuleRequirement
                do { req = try RuleRequirement(parsing: item["req"]?.stringValue ?? "OPTIONAL") }
                catch { throw fail("rule '\(key)': \(error.message)") }
                let alo = try checks(item["at_least_one_check"], "rule '\(key)' at_least_one_check")
                rules.append(KeyRule(
                    key: key, requirement: req,
                    pre: try statements(item["pre"], "rule '\(key)' pre"),
                    checks: try checks(item["check"], "rule '\(key)' check"),
                    post: try statements(item["post"], "rule '\(key)' post"),
                    firstChecks: try checks(item["first_check"], "rule '\(key)' first_check"),
                    atLeastOneCheck: alo.first, note: item["note"]?.stringValue))
            }
        } else if json["rules"] != nil {
            throw fail("\"rules\" must be a list")
        }
        let end = json["end"]
        return RuleFile(name: name, description: json["description"]?.stringValue ?? "", initialState: state,
                        rules: rules, endPre: try statements(end?["pre"], "end pre"),
                        endChecks: try checks(end?["check"], "end check"))
    }
}
