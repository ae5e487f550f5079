import MLLog

/// The small expression language of SwiftMLPerf's rulesets: a Python-like subset, so that the official rules
/// (Python expressions in YAML) translate line by line, while our rulesets stay data.
///
/// Names: `value` (the line's value), `metadata` (its metadata object), `v` (`{"value", "metadata"}`), `key`,
/// `time_ms` (the line's time as a double), `s` (the per-file state: `s.name` or `s['name']`).
/// Literals: numbers (`1_200_000`, `1e-05`), strings in single or double quotes, `True False None` (or
/// `true false null`), lists `[a, b]`. Operators, by increasing precedence: `x if c else y`, `or`, `and`, `not`,
/// comparisons (`== != < <= > >= in`, `not in`, chained as in Python), `+ -`, `* / // %`, unary `-`, `**`,
/// member access `a.b`, subscripts `a[b]`, calls. Functions: `is_integer(x)` (`|round(x)-x| < 1e-5`), `log2 sqrt
/// ceil floor abs round min max len int float str`, and `obj.get(key[, default])`; `is` / `is not` (for `None`).
/// Statements (for `pre`, `post`, `begin`, `end.pre`): `s.name = expr` and `enqueue(expr)` (queue another file of
/// the same ruleset), separated by `;` or new lines (inside brackets a new line continues the expression); `#`
/// starts a comment.
/// Semantics follow Python: ints and floats compare by value, `True == 1`, `==` across types is false, ordering
/// across types is an error, a missing key is an error. An error in a check counts as a failed check.
public indirect enum RuleExpression: Sendable, Equatable {
    case literal(JSONValue)
    case name(String)
    case list([RuleExpression])
    case member(RuleExpression, String)
    case subscriptOf(RuleExpression, RuleExpression)
    case call(String, [RuleExpression])
    case unary(String, RuleExpression)
    case binary(String, RuleExpression, RuleExpression)
    case compare(RuleExpression, [(String, RuleExpression)])
    case and(RuleExpression, RuleExpression)
    case or(RuleExpression, RuleExpression)
    case ternary(RuleExpression, RuleExpression, RuleExpression)

    public static func == (a: RuleExpression, b: RuleExpression) -> Bool { String(describing: a) == String(describing: b) }
}

/// A statement: an assignment into the state or an expression evaluated for its effect (`enqueue(...)`).
public enum RuleStatement: Sendable {
    case assign(String, RuleExpression)
    case expression(RuleExpression)
}

public struct RuleSyntaxError: Error, Sendable, CustomStringConvertible {
    public var source: String
    public var message: String
    public var description: String { "\(message) in '\(source)'" }
}

public struct RuleEvaluationError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

// MARK: - Lexer and parser

private enum Token: Equatable {
    case number(JSONValue), string(String), name(String), op(String), end
}

private func tokenize(_ src: String) throws(RuleSyntaxError) -> [Token] {
    let c = Array(src.unicodeScalars)
    var i = 0
    var out: [Token] = []
    var depth = 0
    func err(_ m: String) -> RuleSyntaxError { RuleSyntaxError(source: src, message: m) }
    while i < c.count {
        let ch = c[i]
        if ch == "#" { while i < c.count, c[i] != "\n" { i += 1 }; continue }
        if ch == "\n" {
            // A newline outside brackets ends a statement, as in Python.
            if depth == 0, let last = out.last, last != .op(";") { out.append(.op(";")) }
            i += 1
            continue
        }
        if ch == " " || ch == "\t" || ch == "\r" { i += 1; continue }
        if ch.properties.numericType != nil && ("0"..."9").contains(ch) || (ch == "." && i + 1 < c.count && ("0"..."9").contains(c[i + 1])) {
            var s = ""
            var isFloat = false
            while i < c.count {
                let d = c[i]
                if ("0"..."9").contains(d) || d == "_" { if d != "_" { s.unicodeScalars.append(d) }; i += 1 }
                else if d == "." { isFloat = true; s += "."; i += 1 }
                else if d == "e" || d == "E" {
                    isFloat = true; s += "e"; i += 1
                    if i < c.count, c[i] == "+" || c[i] == "-" { s.unicodeScalars.append(c[i]); i += 1 }
                } else { break }
            }
            if !isFloat, let v = Int64(s) { out.append(.number(.int(v))) }
            else if let d = Double(s) { out.append(.number(.double(d))) }
            else { throw err("bad number '\(s)'") }
            continue
        }
        if ch == "'" || ch == "\"" {
            let q = ch
            i += 1
            var s = ""
            while i < c.count, c[i] != q {
                if c[i] == "\\", i + 1 < c.count {
                    i += 1
                    switch c[i] { case "n": s += "\n"; case "t": s += "\t"; default: s.unicodeScalars.append(c[i]) }
                } else { s.unicodeScalars.append(c[i]) }
                i += 1
            }
            guard i < c.count else { throw err("unterminated string") }
            i += 1
            out.append(.string(s))
            continue
        }
        if ch == "_" || ch.properties.isAlphabetic {
            var s = ""
            while i < c.count, c[i] == "_" || c[i].properties.isAlphabetic || ("0"..."9").contains(c[i]) {
                s.unicodeScalars.append(c[i]); i += 1
            }
            out.append(.name(s))
            continue
        }
        let two = i + 1 < c.count ? String(String.UnicodeScalarView([ch, c[i + 1]])) : ""
        if ["==", "!=", "<=", ">=", "//", "**"].contains(two) { out.append(.op(two)); i += 2; continue }
        if "+-*/%<>()[],.=;".unicodeScalars.contains(ch) {
            if ch == "(" || ch == "[" { depth += 1 }
            if ch == ")" || ch == "]" { depth = max(0, depth - 1) }
            out.append(.op(String(ch)))
            i += 1
            continue
        }
        throw err("unexpected character '\(ch)'")
    }
    while out.last == .op(";") { out.removeLast() }
    out.append(.end)
    return out
}

private struct RuleParser {
    var tokens: [Token]
    var i = 0
    let source: String

    init(_ source: String) throws(RuleSyntaxError) {
        self.source = source
        tokens = try tokenize(source)
    }

    func err(_ m: String) -> RuleSyntaxError { RuleSyntaxError(source: source, message: m) }
    var peek: Token { tokens[i] }
    mutating func next() -> Token { defer { i += 1 }; return tokens[i] }
    func isOp(_ o: String) -> Bool { peek == .op(o) }
    func isName(_ n: String) -> Bool { peek == .name(n) }
    mutating func expect(_ o: String) throws(RuleSyntaxError) {
        guard isOp(o) else { throw err("expected '\(o)'") }
        i += 1
    }

    mutating func statements() throws(RuleSyntaxError) -> [RuleStatement] {
        var out: [RuleStatement] = []
        while peek != .end {
            if isOp(";") { i += 1; continue }
            let e = try expression()
            if isOp("=") {
                i += 1
                let rhs = try expression()
                switch e {
                case .member(.name("s"), let n): out.append(.assign(n, rhs))
                case .subscriptOf(.name("s"), .literal(.string(let n))): out.append(.assign(n, rhs))
                default: throw err("only state entries (s.name) can be assigned")
                }
            } else {
                out.append(.expression(e))
            }
            guard isOp(";") || peek == .end else { throw err("expected ';' between statements") }
        }
        return out
    }

    mutating func expression() throws(RuleSyntaxError) -> RuleExpression {
        let a = try orExpr()
        if isName("if") {
            i += 1
            let cond = try orExpr()
            guard isName("else") else { throw err("expected 'else'") }
            i += 1
            let b = try expression()
            return .ternary(cond, a, b)
        }
        return a
    }

    mutating func orExpr() throws(RuleSyntaxError) -> RuleExpression {
        var a = try andExpr()
        while isName("or") { i += 1; a = .or(a, try andExpr()) }
        return a
    }

    mutating func andExpr() throws(RuleSyntaxError) -> RuleExpression {
        var a = try notExpr()
        while isName("and") { i += 1; a = .and(a, try notExpr()) }
        return a
    }

    mutating func notExpr() throws(RuleSyntaxError) -> RuleExpression {
        if isName("not") { i += 1; return .unary("not", try notExpr()) }
        return try comparison()
    }

    mutating func comparison() throws(RuleSyntaxError) -> RuleExpression {
        let first = try arith()
        var rest: [(String, RuleExpression)] = []
        while true {
            var op: String?
            switch peek {
            case .op(let o) where ["==", "!=", "<", "<=", ">", ">="].contains(o): op = o; i += 1
            case .name("in"): op = "in"; i += 1
            case .name("not") where tokens[i + 1] == .name("in"): op = "not in"; i += 2
            case .name("is") where tokens[i + 1] == .name("not"): op = "is not"; i += 2
            case .name("is"): op = "is"; i += 1
            default: break
            }
            guard let op else { break }
            rest.append((op, try arith()))
        }
        return rest.isEmpty ? first : .compare(first, rest)
    }

    mutating func arith() throws(RuleSyntaxError) -> RuleExpression {
        var a = try term()
        while isOp("+") || isOp("-") {
            guard case .op(let o) = next() else { break }
            a = .binary(o, a, try term())
        }
        return a
    }

    mutating func term() throws(RuleSyntaxError) -> RuleExpression {
        var a = try factor()
        while isOp("*") || isOp("/") || isOp("//") || isOp("%") {
            guard case .op(let o) = next() else { break }
            a = .binary(o, a, try factor())
        }
        return a
    }

    mutating func factor() throws(RuleSyntaxError) -> RuleExpression {
        if isOp("-") { i += 1; return .unary("-", try factor()) }
        if isOp("+") { i += 1; return .unary("+", try factor()) }
        let base = try postfix()
        if isOp("**") { i += 1; return .binary("**", base, try factor()) }
        return base
    }

    mutating func postfix() throws(RuleSyntaxError) -> RuleExpression {
        var e = try primary()
        while true {
            if isOp(".") {
                i += 1
                guard case .name(let n) = next() else { throw err("expected a name after '.'") }
                e = .member(e, n)
            } else if isOp("[") {
                i += 1
                let idx = try expression()
                try expect("]")
                e = .subscriptOf(e, idx)
            } else if isOp("("), case .member(let base, let method) = e {
                i += 1
                var args: [RuleExpression] = [base]
                while !isOp(")") {
                    args.append(try expression())
                    if isOp(",") { i += 1 } else { break }
                }
                try expect(")")
                e = .call("." + method, args)
            } else if isOp("(") {
                i += 1
                guard case .name(let fname) = e else { throw err("only named functions can be called") }
                var args: [RuleExpression] = []
                while !isOp(")") {
                    args.append(try expression())
                    if isOp(",") { i += 1 } else { break }
                }
                try expect(")")
                e = .call(fname, args)
            } else {
                return e
            }
        }
    }

    mutating func primary() throws(RuleSyntaxError) -> RuleExpression {
        switch next() {
        case .number(let v): return .literal(v)
        case .string(let s): return .literal(.string(s))
        case .name(let n):
            switch n {
            case "True", "true": return .literal(.bool(true))
            case "False", "false": return .literal(.bool(false))
            case "None", "null": return .literal(.null)
            default: return .name(n)
            }
        case .op("("):
            let e = try expression()
            try expect(")")
            return e
        case .op("["):
            var items: [RuleExpression] = []
            while !isOp("]") {
                items.append(try expression())
                if isOp(",") { i += 1 } else { break }
            }
            try expect("]")
            return .list(items)
        case .end: throw err("unexpected end of expression")
        case let t: throw err("unexpected token \(t)")
        }
    }
}

extension RuleExpression {
    public static func parse(_ source: String) throws(RuleSyntaxError) -> RuleExpression {
        var p = try RuleParser(source)
        let e = try p.expression()
        guard p.peek == .end else { throw p.err("unexpected text after the expression") }
        return e
    }
}

extension RuleStatement {
    public static func parse(_ source: String) throws(RuleSyntaxError) -> [RuleStatement] {
        var p = try RuleParser(source)
        return try p.statements()
    }
}

// MARK: - Evaluation

/// What an expression sees: the line and the state of the current ruleset file.
public struct RuleContext {
    public var value: JSONValue
    public var metadata: JSONValue
    public var key: String
    public var timeMs: Double
    public var state: [String: JSONValue]
    /// Files queued by `enqueue(...)`.
    public var enqueued: [String] = []

    public init(value: JSONValue = .null, metadata: JSONValue = .object([]), key: String = "", timeMs: Double = 0,
                state: [String: JSONValue] = [:]) {
        self.value = value
        self.metadata = metadata
        self.key = key
        self.timeMs = timeMs
        self.state = state
    }
}

enum PyOps {
    typealias E = RuleEvaluationError
    static func fail(_ m: String) -> E { RuleEvaluationError(message: m) }

    static func describe(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return "'" + s + "'"
        case .bool(let b): return b ? "True" : "False"
        case .null: return "None"
        default: return JSONWriter().string(v)
        }
    }

    static func truthy(_ v: JSONValue) -> Bool {
        switch v {
        case .null: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .uint(let u): return u != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .object(let o): return !o.isEmpty
        }
    }

    enum Num { case int(Int64), dbl(Double) }
    static func num(_ v: JSONValue) -> Num? {
        switch v {
        case .bool(let b): return .int(b ? 1 : 0)
        case .int(let i): return .int(i)
        case .uint(let u): return u <= UInt64(Int64.max) ? .int(Int64(u)) : .dbl(Double(u))
        case .double(let d): return .dbl(d)
        default: return nil
        }
    }
    static func dbl(_ n: Num) -> Double { switch n { case .int(let i): return Double(i); case .dbl(let d): return d } }

    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = num(a), let y = num(b) {
            if case .int(let i) = x, case .int(let j) = y { return i == j }
            return dbl(x) == dbl(y)
        }
        switch (a, b) {
        case (.null, .null): return true
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { f in y.contains { $0.key == f.key && equal($0.value, f.value) } }
        default: return false
        }
    }

    /// -1, 0, 1; throws for types Python cannot order.
    static func order(_ a: JSONValue, _ b: JSONValue) throws(E) -> Int {
        if let x = num(a), let y = num(b) {
            if case .int(let i) = x, case .int(let j) = y { return i < j ? -1 : (i > j ? 1 : 0) }
            let p = dbl(x), q = dbl(y)
            if p.isNaN || q.isNaN { return 2 }  // every ordering comparison with NaN is false
            return p < q ? -1 : (p > q ? 1 : 0)
        }
        switch (a, b) {
        case (.string(let x), .string(let y)):
            let xs = Array(x.unicodeScalars), ys = Array(y.unicodeScalars)
            for (p, q) in zip(xs, ys) where p != q { return p.value < q.value ? -1 : 1 }
            return xs.count < ys.count ? -1 : (xs.count > ys.count ? 1 : 0)
        case (.array(let x), .array(let y)):
            for (p, q) in zip(x, y) where !equal(p, q) { return try order(p, q) }
            return x.count < y.count ? -1 : (x.count > y.count ? 1 : 0)
        default:
            throw fail("cannot compare \(describe(a)) with \(describe(b))")
        }
    }

    static func compare(_ op: String, _ a: JSONValue, _ b: JSONValue) throws(E) -> Bool {
        switch op {
        case "==": return equal(a, b)
        case "!=": return !equal(a, b)
        // Identity: meaningful for None and booleans; for other values, equality of the same type.
        case "is": return sameType(a, b) && equal(a, b)
        case "is not": return !(sameType(a, b) && equal(a, b))
        case "in", "not in":
            let r: Bool
            switch b {
            case .array(let items): r = items.contains { equal(a, $0) }
            case .object(let fields):
                guard case .string(let k) = a else { r = false; break }
                r = fields.contains { $0.key == k }
            case .string(let s):
                guard case .string(let sub) = a else { throw fail("'in <string>' needs a string on the left, got \(describe(a))") }
                r = sub.isEmpty || s.contains(sub)
            default: throw fail("cannot test membership in \(describe(b))")
            }
            return op == "in" ? r : !r
        default:
            let o = try order(a, b)
            if o == 2 { return false }
            switch op {
            case "<": return o < 0
            case "<=": return o <= 0
            case ">": return o > 0
            default: return o >= 0
            }
        }
    }

    static func sameType(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null), (.bool, .bool), (.string, .string), (.array, .array), (.object, .object): return true
        case (.int, .int), (.uint, .uint), (.double, .double), (.int, .uint), (.uint, .int): return true
        default: return false
        }
    }

    static func arithmetic(_ op: String, _ a: JSONValue, _ b: JSONValue) throws(E) -> JSONValue {
        if op == "+" {
            switch (a, b) {
            case (.string(let x), .string(let y)): return .string(x + y)
            case (.array(let x), .array(let y)): return .array(x + y)
            default: break
            }
        }
        guard let x = num(a), let y = num(b) else {
            throw fail("unsupported operand types for \(op): \(describe(a)) and \(describe(b))")
        }
        if case .int(let i) = x, case .int(let j) = y {
            switch op {
            case "+": let (r, o) = i.addingReportingOverflow(j); if !o { return .int(r) }
            case "-": let (r, o) = i.subtractingReportingOverflow(j); if !o { return .int(r) }
            case "*": let (r, o) = i.multipliedReportingOverflow(by: j); if !o { return .int(r) }
            case "//":
                guard j != 0 else { throw fail("integer division by zero") }
                var q = i / j
                if (i % j != 0) && ((i < 0) != (j < 0)) { q -= 1 }
                return .int(q)
            case "%":
                guard j != 0 else { throw fail("integer modulo by zero") }
                var r = i % j
                if r != 0 && ((r < 0) != (j < 0)) { r += j }
                return .int(r)
            case "**":
                if j >= 0 {
                    var r: Int64 = 1
                    var ok = true
                    for _ in 0..<min(j, 64) { let (m, o) = r.multipliedReportingOverflow(by: i); if o { ok = false; break }; r = m }
                    if ok && j <= 64 { return .int(r) }
                }
            default: break
            }
        }
        let p = dbl(x), q = dbl(y)
        switch op {
        case "+": return .double(p + q)
        case "-": return .double(p - q)
        case "*": return .double(p * q)
        case "/": guard q != 0 else { throw fail("division by zero") }; return .double(p / q)
        case "//": guard q != 0 else { throw fail("division by zero") }; return .double((p / q).rounded(.down))
        case "%":
            guard q != 0 else { throw fail("modulo by zero") }
            var r = p.truncatingRemainder(dividingBy: q)
            if r != 0 && ((r < 0) != (q < 0)) { r += q }
            return .double(r)
        case "**": return .double(Foundation_pow(p, q))
        default: throw fail("unknown operator \(op)")
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@inline(__always) func Foundation_pow(_ a: Double, _ b: Double) -> Double { pow(a, b) }

extension RuleExpression {
    public func evaluate(_ ctx: inout RuleContext) throws(RuleEvaluationError) -> JSONValue {
        switch self {
        case .literal(let v): return v
        case .list(let items):
            var out: [JSONValue] = []
            for item in items { out.append(try item.evaluate(&ctx)) }
            return .array(out)
        case .name(let n):
            switch n {
            case "value": return ctx.value
            case "metadata": return ctx.metadata
            case "v": return .object([JSONField("value", ctx.value), JSONField("metadata", ctx.metadata)])
            case "key": return .string(ctx.key)
            case "time_ms": return .double(ctx.timeMs)
            case "s": return .object(ctx.state.sorted { $0.key < $1.key }.map { JSONField($0.key, $0.value) })
            default: throw PyOps.fail("unknown name '\(n)'")
            }
        case .member(.name("s"), let n):
            guard let v = ctx.state[n] else { throw PyOps.fail("state has no entry '\(n)'") }
            return v
        case .subscriptOf(.name("s"), let idx):
            guard case .string(let n) = try idx.evaluate(&ctx) else { throw PyOps.fail("state index must be a string") }
            guard let v = ctx.state[n] else { throw PyOps.fail("state has no entry '\(n)'") }
            return v
        case .member(let base, let n):
            let b = try base.evaluate(&ctx)
            guard case .object = b else { throw PyOps.fail("\(PyOps.describe(b)) has no field '\(n)'") }
            guard let v = b.lastValue(forKey: n) else { throw PyOps.fail("no '\(n)' in \(PyOps.describe(b))") }
            return v
        case .subscriptOf(let base, let idx):
            let b = try base.evaluate(&ctx)
            let k = try idx.evaluate(&ctx)
            switch (b, k) {
            case (.object, .string(let n)):
                guard let v = b.lastValue(forKey: n) else { throw PyOps.fail("no '\(n)' in \(PyOps.describe(b))") }
                return v
            case (.array(let items), _):
                guard let i = k.int64Value, i >= -Int64(items.count), i < Int64(items.count) else {
                    throw PyOps.fail("index \(PyOps.describe(k)) out of range")
                }
                return items[Int(i < 0 ? i + Int64(items.count) : i)]
            default: throw PyOps.fail("cannot index \(PyOps.describe(b)) with \(PyOps.describe(k))")
            }
        case .call(let f, let args):
            var vals: [JSONValue] = []
            for a in args { vals.append(try a.evaluate(&ctx)) }
            return try RuleExpression.callFunction(f, vals, &ctx)
        case .unary(let op, let e):
            let v = try e.evaluate(&ctx)
            switch op {
            case "not": return .bool(!PyOps.truthy(v))
            case "-":
                guard let n = PyOps.num(v) else { throw PyOps.fail("bad operand for unary -: \(PyOps.describe(v))") }
                if case .int(let i) = n, i != Int64.min { return .int(-i) }
                return .double(-PyOps.dbl(n))
            default:
                guard PyOps.num(v) != nil else { throw PyOps.fail("bad operand for unary +: \(PyOps.describe(v))") }
                return v
            }
        case .binary(let op, let a, let b):
            return try PyOps.arithmetic(op, try a.evaluate(&ctx), try b.evaluate(&ctx))
        case .compare(let first, let rest):
            var left = try first.evaluate(&ctx)
            for (op, e) in rest {
                let right = try e.evaluate(&ctx)
                if !(try PyOps.compare(op, left, right)) { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .and(let a, let b):
            let x = try a.evaluate(&ctx)
            return PyOps.truthy(x) ? try b.evaluate(&ctx) : x
        case .or(let a, let b):
            let x = try a.evaluate(&ctx)
            return PyOps.truthy(x) ? x : try b.evaluate(&ctx)
        case .ternary(let c, let a, let b):
            return PyOps.truthy(try c.evaluate(&ctx)) ? try a.evaluate(&ctx) : try b.evaluate(&ctx)
        }
    }

    public func isTrue(_ ctx: inout RuleContext) throws(RuleEvaluationError) -> Bool {
        PyOps.truthy(try evaluate(&ctx))
    }

    static func callFunction(_ f: String, _ a: [JSONValue], _ ctx: inout RuleContext) throws(RuleEvaluationError) -> JSONValue {
        func arg(_ i: Int) throws(RuleEvaluationError) -> JSONValue {
            guard i < a.count else { throw PyOps.fail("\(f)() needs \(i + 1) argument(s)") }
            return a[i]
        }
        func number(_ i: Int) throws(RuleEvaluationError) -> Double {
            let v = try arg(i)
            guard let n = PyOps.num(v) else { throw PyOps.fail("\(f)() needs a number, got \(PyOps.describe(v))") }
            return PyOps.dbl(n)
        }
        switch f {
        case ".get":
            // dict.get(key[, default])
            guard case .object = try arg(0), case .string(let k) = try arg(1) else {
                throw PyOps.fail("get() needs an object and a string key")
            }
            return a[0].lastValue(forKey: k) ?? (a.count > 2 ? a[2] : .null)
        case "enqueue":
            guard case .string(let s) = try arg(0) else { throw PyOps.fail("enqueue() needs a file name") }
            ctx.enqueued.append(s)
            return .null
        case "is_integer":
            let x = try number(0)
            return .bool(abs(x.rounded(.toNearestOrEven) - x) < 0.00001)
        case "log2":
            let x = try number(0)
            guard x > 0 else { throw PyOps.fail("math domain error: log2(\(x))") }
            return .double(log2(x))
        case "sqrt":
            let x = try number(0)
            guard x >= 0 else { throw PyOps.fail("math domain error: sqrt(\(x))") }
            return .double(x.squareRoot())
        case "ceil", "floor", "round", "int":
            let x = try number(0)
            guard x.isFinite else { throw PyOps.fail("\(f)() of \(x)") }
            let r: Double
            switch f {
            case "ceil": r = x.rounded(.up)
            case "floor": r = x.rounded(.down)
            case "round": r = x.rounded(.toNearestOrEven)
            default: r = x.rounded(.towardZero)
            }
            return .int(Int64(r))
        case "float": return .double(try number(0))
        case "abs":
            let v = try arg(0)
            if case .int(let i) = v, i != Int64.min { return .int(abs(i)) }
            return .double(abs(try number(0)))
        case "min", "max":
            let items: [JSONValue]
            if a.count == 1, case .array(let xs) = a[0] { items = xs } else { items = a }
            guard var best = items.first else { throw PyOps.fail("\(f)() of nothing") }
            for x in items.dropFirst() {
                let o = try PyOps.order(x, best)
                if (f == "min" && o < 0) || (f == "max" && o > 0 && o != 2) { best = x }
            }
            return best
        case "len":
            switch try arg(0) {
            case .string(let s): return .int(Int64(s.count))
            case .array(let xs): return .int(Int64(xs.count))
            case .object(let fs): return .int(Int64(fs.count))
            case let v: throw PyOps.fail("len() of \(PyOps.describe(v))")
            }
        case "str":
            if case .string(let s) = try arg(0) { return .string(s) }
            return .string(PyOps.describe(try arg(0)))
        default:
            throw PyOps.fail("unknown function '\(f)'")
        }
    }
}

extension RuleStatement {
    public func execute(_ ctx: inout RuleContext) throws(RuleEvaluationError) {
        switch self {
        case .assign(let n, let e): ctx.state[n] = try e.evaluate(&ctx)
        case .expression(let e): _ = try e.evaluate(&ctx)
        }
    }
}
