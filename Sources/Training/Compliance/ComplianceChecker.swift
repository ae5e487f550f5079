import Foundation
import MLLog

/// One finding of the compliance checker. Every finding names the rule and, where there is one, the log line and the
/// expected condition.
public struct ComplianceMessage: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public var severity: Severity
    /// The rule file, e.g. `training_6.1.0/closed_llama31_8b`, or `parser` / `harness`.
    public var ruleFile: String
    /// The key the rule is about, when there is one.
    public var key: String?
    /// 1-based line in the log file, when one line is at fault.
    public var line: Int?
    public var message: String
    /// The condition that should have held (the rule's expression), when there is one.
    public var expected: String?

    public init(severity: Severity, ruleFile: String, key: String? = nil, line: Int? = nil, message: String,
                expected: String? = nil) {
        self.severity = severity
        self.ruleFile = ruleFile
        self.key = key
        self.line = line
        self.message = message
        self.expected = expected
    }

    public var description: String {
        var s = "\(severity == .error ? "ERROR" : "WARNING") [\(ruleFile)\(key.map { " · " + $0 } ?? "")]"
        if let line { s += " line \(line)" }
        s += ": " + message
        if let expected { s += " — expected: " + expected }
        return s
    }
}

public struct ComplianceReport: Sendable {
    public var ruleset: String
    /// The rule files run, in order (the chain common → division common → benchmark).
    public var filesChecked: [String] = []
    public var messages: [ComplianceMessage] = []
    public var mllogLines = 0

    public var errors: [ComplianceMessage] { messages.filter { $0.severity == .error } }
    public var warnings: [ComplianceMessage] { messages.filter { $0.severity == .warning } }
    public var isCompliant: Bool { !messages.contains { $0.severity == .error } }
}

public struct ComplianceOptions: Sendable {
    /// Warnings count as errors (the official `--werror`).
    public var werror: Bool
    /// Beyond the official rules, also judge log integrity: time going backwards is an error. Off = exactly the
    /// official verdict.
    public var strictIntegrity: Bool
    /// Keys whose `at_least_one_check` is not applied. Only `mlperf suite`'s labelled short training mode sets it
    /// (`eval_accuracy`): that run is judged against its own lower target by the harness, so the ruleset's quality
    /// target is waived for it; every other rule still applies. Never set for a result.
    public var waivedAtLeastOneChecks: Set<String>

    public init(werror: Bool = false, strictIntegrity: Bool = true, waivedAtLeastOneChecks: Set<String> = []) {
        self.werror = werror
        self.strictIntegrity = strictIntegrity
        self.waivedAtLeastOneChecks = waivedAtLeastOneChecks
    }

    /// The official checker's semantics, nothing more.
    public static let official = ComplianceOptions(werror: false, strictIntegrity: false)
}

/// The rule engine, with the official checker's structure and semantics (spec training.md §3.1): files run in
/// queue order, each with fresh state; `pre`/`check`/`post` on every occurrence (first only for `submission_*`
/// keys); `first_check`; `at_least_one_check`; occurrence requirements after the walk (EXACTLY_ONE duplicates with
/// one value are a warning); a later file's rules for a key replace earlier findings for that key.
public struct ComplianceChecker: Sendable {
    public var store: RulesetStore
    public var ruleset: String
    public var options: ComplianceOptions

    public init(ruleset: String, store: RulesetStore = .builtIn, options: ComplianceOptions = ComplianceOptions()) {
        self.ruleset = ruleset
        self.store = store
        self.options = options
    }

    public func check(file path: String) -> ComplianceReport {
        guard let data = FileManager.default.contents(atPath: path) else {
            var r = ComplianceReport(ruleset: ruleset)
            r.messages.append(ComplianceMessage(severity: .error, ruleFile: "harness", message: "cannot read \(path)"))
            return r
        }
        return check(MLLogParser.parse(bytes: [UInt8](data)))
    }

    public func check(_ parsed: MLLogParseResult) -> ComplianceReport {
        var report = ComplianceReport(ruleset: ruleset)
        report.mllogLines = parsed.entries.count + parsed.issues.filter(\.isOfficialParseError).count
        var sink = MessageSink()
        let parseErrors = parsed.issues.filter(\.isOfficialParseError)
        for issue in parseErrors {
            sink.fixed(ComplianceMessage(severity: .error, ruleFile: "parser", line: issue.line, message: issue.message))
        }
        for issue in parsed.issues where !issue.isOfficialParseError {
            sink.fixed(ComplianceMessage(severity: options.strictIntegrity ? .error : .warning, ruleFile: "integrity",
                                         line: issue.line, message: issue.message,
                                         expected: "time_ms never decreases (the official checker does not check this)"))
        }
        if parsed.entries.isEmpty {
            sink.fixed(ComplianceMessage(severity: .error, ruleFile: "parser", message: "no MLLOG lines in the log"))
        }
        var queue = ["common"]
        while !queue.isEmpty {
            let name = queue.removeFirst()
            let label = "training_\(ruleset)/\(name)"
            report.filesChecked.append(label)
            let file: RuleFile
            do { file = try store.load(ruleset: ruleset, name: name) } catch {
                sink.fixed(ComplianceMessage(severity: .error, ruleFile: label, message: error.message))
                continue
            }
            queue += run(file, label: label, entries: parsed.entries, sink: &sink)
        }
        report.messages = sink.all
        return report
    }

    /// Runs one rule file over the log; returns the files it queued.
    func run(_ file: RuleFile, label: String, entries: [MLLogEntry], sink: inout MessageSink) -> [String] {
        var ctx = RuleContext(state: file.initialState)
        var rules: [String: KeyRule] = [:]
        var order: [String] = []
        for r in file.rules {
            if rules[r.key] == nil { order.append(r.key) }
            rules[r.key] = r
        }
        sink.overwrite(keys: Set(order))
        var reported: [String: [JSONValue]] = [:]
        var firstLine: [String: Int] = [:]
        var executed = Set<String>()
        var firstChecked = Set<String>()
        var atLeastOne: [String: (passed: Int, seen: Int)] = [:]
        var atLeastOneBroken = Set<String>()

        func describeValue(_ v: JSONValue) -> String { PyOps.describe(v) }

        for e in entries {
            let r = e.record
            guard let rule = rules[r.key] else { continue }
            reported[r.key, default: []].append(r.value)
            if firstLine[r.key] == nil { firstLine[r.key] = e.line }
            ctx.value = r.value
            ctx.metadata = .object(r.metadata)
            ctx.key = r.key
            ctx.timeMs = r.timeMs
            if !executed.contains(r.key) {
                if let pre = rule.pre { exec(pre, "pre", rule, e, label, &ctx, &sink) }
                for c in rule.checks { evalCheck(c, rule, e, label, &ctx, &sink) }
                if let post = rule.post { exec(post, "post", rule, e, label, &ctx, &sink) }
            }
            if !rule.firstChecks.isEmpty, !firstChecked.contains(r.key) {
                firstChecked.insert(r.key)
                for c in rule.firstChecks { evalCheck(c, rule, e, label, &ctx, &sink) }
            }
            if let c = rule.atLeastOneCheck, !options.waivedAtLeastOneChecks.contains(r.key) {
                var counts = atLeastOne[r.key] ?? (0, 0)
                counts.seen += 1
                do { if try c.expression.isTrue(&ctx) { counts.passed += 1 } } catch {
                    // The official checker crashes here; that is a failed verdict too.
                    if !atLeastOneBroken.contains(r.key) {
                        atLeastOneBroken.insert(r.key)
                        sink.fixed(ComplianceMessage(severity: .error, ruleFile: label, key: r.key, line: e.line,
                            message: "cannot evaluate the at-least-one check on value \(describeValue(r.value)): \(error.message)",
                            expected: c.source))
                    }
                }
                atLeastOne[r.key] = counts
            }
            if r.key.contains("submission_") { executed.insert(r.key) }
        }
        for key in order {
            guard let rule = rules[key], let c = rule.atLeastOneCheck, let counts = atLeastOne[key], counts.passed == 0,
                  !atLeastOneBroken.contains(key) else { continue }
            let values = (reported[key] ?? []).map(describeValue)
            let shown = values.count > 6 ? values.prefix(3).joined(separator: ", ") + ", …, " + values.suffix(2).joined(separator: ", ") : values.joined(separator: ", ")
            sink.fixed(ComplianceMessage(severity: .error, ruleFile: label, key: key, line: firstLine[key],
                message: "none of the \(counts.seen) '\(key)' values passes (values: \(shown))\(rule.note.map { "; " + $0 } ?? "")",
                expected: "at least one with " + c.source))
        }
        var alternatives: [[String]] = []
        for key in order {
            guard let rule = rules[key] else { continue }
            let n = reported[key]?.count ?? 0
            switch rule.requirement {
            case .optional: break
            case .exactlyOne:
                guard n != 1 else { break }
                let values = reported[key] ?? []
                if let first = values.first, values.allSatisfy({ PyOps.equal($0, first) }) {
                    let msg = ComplianceMessage(severity: options.werror ? .error : .warning, ruleFile: label, key: key,
                        line: firstLine[key], message: "'\(key)' occurs \(n) times (all with value \(describeValue(first)))",
                        expected: "exactly one occurrence")
                    sink.keyed(key, msg)
                } else {
                    var distinct: [String] = []
                    for v in values.map(describeValue) where !distinct.contains(v) { distinct.append(v) }
                    sink.keyed(key, ComplianceMessage(severity: .error, ruleFile: label, key: key, line: firstLine[key],
                        message: n == 0 ? "'\(key)' is missing" : "'\(key)' occurs \(n) times with different values: [\(distinct.joined(separator: ", "))]",
                        expected: "exactly one occurrence" + (rule.note.map { " (\($0))" } ?? "")))
                }
            case .atLeastOne:
                if n < 1 {
                    sink.keyed(key, ComplianceMessage(severity: .error, ruleFile: label, key: key,
                        message: "'\(key)' is missing", expected: "at least one occurrence"))
                }
            case .atLeast(let m):
                if n < m {
                    sink.keyed(key, ComplianceMessage(severity: .error, ruleFile: label, key: key,
                        message: "'\(key)' occurs \(n) times", expected: "at least \(m) occurrences"))
                }
            case .atLeastOneOr(let alts):
                let group = ([key] + alts).sorted()
                if !alternatives.contains(group) { alternatives.append(group) }
            }
        }
        for group in alternatives {
            if let unknown = group.first(where: { rules[$0] == nil }) {
                sink.fixed(ComplianceMessage(severity: .error, ruleFile: label, key: unknown,
                    message: "AT_LEAST_ONE_OR names '\(unknown)', which has no rule in this file (the official checker crashes on this)"))
                continue
            }
            if !group.contains(where: { (reported[$0]?.count ?? 0) > 0 }) {
                sink.fixed(ComplianceMessage(severity: .error, ruleFile: label, key: group.joined(separator: "|"),
                    message: "none of " + group.map { "'\($0)'" }.joined(separator: ", ") + " occurs",
                    expected: "at least one occurrence of " + group.joined(separator: " or ")))
            }
        }
        ctx.value = .null
        ctx.metadata = .object([])
        ctx.key = ""
        if let pre = file.endPre {
            do { for s in pre.statements { try s.execute(&ctx) } } catch {
                sink.fixed(ComplianceMessage(severity: .error, ruleFile: label, message: "end code failed: \(error.message)", expected: pre.source))
            }
        }
        for c in file.endChecks {
            do {
                if !(try c.expression.isTrue(&ctx)) {
                    sink.fixed(ComplianceMessage(severity: .error, ruleFile: label, message: "end check failed", expected: c.source))
                }
            } catch {
                sink.fixed(ComplianceMessage(severity: .error, ruleFile: label, message: "end check failed: \(error.message)", expected: c.source))
            }
        }
        return ctx.enqueued
    }

    private func exec(_ code: RuleStatements, _ what: String, _ rule: KeyRule, _ e: MLLogEntry, _ label: String,
                      _ ctx: inout RuleContext, _ sink: inout MessageSink) {
        do { for s in code.statements { try s.execute(&ctx) } } catch {
            sink.keyed(rule.key, ComplianceMessage(severity: .error, ruleFile: label, key: rule.key, line: e.line,
                message: "\(what) code failed: \(error.message)", expected: code.source))
        }
    }

    private func evalCheck(_ c: RuleCheck, _ rule: KeyRule, _ e: MLLogEntry, _ label: String,
                           _ ctx: inout RuleContext, _ sink: inout MessageSink) {
        let shown = "value \(PyOps.describe(e.record.value))"
        do {
            if !(try c.expression.isTrue(&ctx)) {
                sink.keyed(rule.key, ComplianceMessage(severity: .error, ruleFile: label, key: rule.key, line: e.line,
                    message: "check failed on \(shown)\(rule.note.map { "; " + $0 } ?? "")", expected: c.source))
            }
        } catch {
            sink.keyed(rule.key, ComplianceMessage(severity: .error, ruleFile: label, key: rule.key, line: e.line,
                message: "check cannot be evaluated on \(shown): \(error.message)", expected: c.source))
        }
    }
}

/// Findings in order; keyed findings are dropped when a later rule file redefines their key (official semantics).
struct MessageSink {
    private var items: [(key: String?, message: ComplianceMessage)] = []
    mutating func keyed(_ key: String, _ m: ComplianceMessage) { items.append((key, m)) }
    mutating func fixed(_ m: ComplianceMessage) { items.append((nil, m)) }
    mutating func overwrite(keys: Set<String>) {
        items.removeAll { item in
            guard let k = item.key else { return false }
            return keys.contains(k)
        }
    }
    var all: [ComplianceMessage] { items.map(\.message) }
}
