#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How doubles are printed. The two official writers differ:
/// - `.python`: Python's `repr` (shortest round-trip; `100.0`, `1e-05`), as `mlperf_logging.mllog` writes.
/// - `.cppStream`: C++ `ostream <<` default (`%g`, 6 significant digits; `0.99`, `3.90083e+07`), as LoadGen writes.
public enum DoubleStyle: Sendable {
    case python
    case cppStream
}

/// Serialises `JSONValue` with Python's default separators (`", "` and `": "`), which both official writers use.
/// By default the output is strict JSON (RFC 8259): NaN and ±infinity, which JSON has no numbers for, are written
/// as `null`. Only MLLOG lines opt into Python's `NaN` / `Infinity` literals, as the official `json.dumps` writes them.
public struct JSONWriter: Sendable {
    public var doubleStyle: DoubleStyle
    /// Write NaN and ±infinity as Python's `NaN`, `Infinity`, `-Infinity` (not JSON) instead of `null`.
    public var nonFiniteAsLiterals: Bool

    public init(doubleStyle: DoubleStyle = .python, nonFiniteAsLiterals: Bool = false) {
        self.doubleStyle = doubleStyle
        self.nonFiniteAsLiterals = nonFiniteAsLiterals
    }

    public func string(_ value: JSONValue) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    public func write(_ value: JSONValue, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .uint(let u): out += String(u)
        case .double(let d): out += format(d)
        case .string(let s): JSONWriter.writeString(s, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                write(item, into: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            for (i, field) in fields.enumerated() {
                if i > 0 { out += ", " }
                JSONWriter.writeString(field.key, into: &out)
                out += ": "
                write(field.value, into: &out)
            }
            out += "}"
        }
    }

    /// Indented JSON (two spaces), for files people read (results.json).
    public func pretty(_ value: JSONValue) -> String {
        var out = ""
        writePretty(value, indent: 0, into: &out)
        out += "\n"
        return out
    }

    private func writePretty(_ value: JSONValue, indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent + 2)
        switch value {
        case .array(let items) where !items.isEmpty && items.contains(where: { if case .object = $0 { return true }; return false }):
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                writePretty(item, indent: indent + 2, into: &out)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        case .object(let fields) where !fields.isEmpty:
            out += "{\n"
            for (i, f) in fields.enumerated() {
                out += pad
                JSONWriter.writeString(f.key, into: &out)
                out += ": "
                writePretty(f.value, indent: indent + 2, into: &out)
                out += i + 1 < fields.count ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        default:
            write(value, into: &out)
        }
    }

    public func format(_ d: Double) -> String {
        if !d.isFinite && !nonFiniteAsLiterals { return "null" }
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        switch doubleStyle {
        case .python: return JSONWriter.pythonRepr(d)
        case .cppStream: return JSONWriter.cppStream(d)
        }
    }

    /// Python `repr(float)`. Swift's `description` is the same algorithm (shortest round-trip digits, exponent form
    /// below 1e-4 and from 1e16, `e-05` spelling); `MLLogTests` pins that equivalence.
    public static func pythonRepr(_ d: Double) -> String { d.description }

    /// `std::ostream << double` with default precision 6 (`%g`).
    public static func cppStream(_ d: Double) -> String { cStyle(d, spec: "%g") }

    public static func cStyle(_ d: Double, spec: String) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buf in
            let n = spec.withCString { fmt in
                withVaList([d]) { vsnprintf(buf.baseAddress, 64, fmt, $0) }
            }
            return String(decoding: UnsafeRawBufferPointer(start: buf.baseAddress, count: Int(n)), as: UTF8.self)
        }
    }

    public static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
