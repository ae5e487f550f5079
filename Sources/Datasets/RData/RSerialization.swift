/// An R object as read from R's serialization format: a value and its attributes (`names`, `class`, `levels`,
/// `row.names` …).
public final class RObject: @unchecked Sendable {
    public enum Value {
        case null
        case symbol(String)
        /// Logical values: 0, 1, or `Int32.min` for NA.
        case logical([Int32])
        /// `Int32.min` is NA.
        case integer([Int32])
        case real([Double])
        /// nil is NA.
        case string([String?])
        /// Generic vectors (VECSXP) and pairlists (with their tags as `names`).
        case list([RObject])
        case raw([UInt8])
        /// Environments, closures, language objects: kept only as their type number.
        case other(Int)
    }

    public var value: Value
    public var attributes: [(name: String, value: RObject)]

    init(_ value: Value, attributes: [(name: String, value: RObject)] = []) {
        self.value = value
        self.attributes = attributes
    }

    public func attribute(_ name: String) -> RObject? { attributes.first { $0.name == name }?.value }

    /// The `names` attribute.
    public var names: [String]? {
        guard let n = attribute("names"), case .string(let s) = n.value else { return nil }
        return s.map { $0 ?? "NA" }
    }

    /// The `class` attribute.
    public var classes: [String] {
        guard let c = attribute("class"), case .string(let s) = c.value else { return [] }
        return s.compactMap { $0 }
    }

    /// A list element by name.
    public func element(named name: String) -> RObject? {
        guard case .list(let items) = value, let i = names?.firstIndex(of: name), i < items.count else { return nil }
        return items[i]
    }

    public var integers: [Int32]? { if case .integer(let v) = value { return v } else { return nil } }
    public var doubles: [Double]? { if case .real(let v) = value { return v } else { return nil } }
    public var strings: [String?]? { if case .string(let v) = value { return v } else { return nil } }

    /// Elements of a vector (0 for NULL and non-vectors).
    public var count: Int {
        switch value {
        case .logical(let v), .integer(let v): return v.count
        case .real(let v): return v.count
        case .string(let v): return v.count
        case .list(let v): return v.count
        case .raw(let v): return v.count
        case .null, .symbol, .other: return 0
        }
    }
}

/// R's serialization format (`serialize()`, versions 2 and 3, XDR only), as R's `serialize.c` writes it: a header
/// (`X\n`, version, writer and reader R versions, and for version 3 the native encoding), then items, each a 32-bit
/// flags word (type in the low 8 bits; bit 8 object, bit 9 attributes, bit 10 tag) followed by its payload.
/// Supported: NULL, symbols, pairlists, logical/integer/double/string/raw vectors, lists, references, the special
/// environments, and the ALTREP classes R writes for data (`compact_intseq`, `compact_realseq`, `wrap_*`,
/// `deferred_string`). Environments, closures and byte code are skipped over where their layout allows, else
/// reported as unsupported.
public enum RSerialization {
    /// Parses serialized bytes into an object.
    /// - Throws: `DatasetError.badValue` naming `path` and the byte offset where the data stops making sense.
    public static func parse(_ bytes: [UInt8], path: String) throws -> RObject {
        var reader = Reader(bytes: bytes, path: path)
        return try reader.parseTop()
    }

    struct Reader {
        let bytes: [UInt8]
        let path: String
        var position = 0
        var references: [RObject] = []

        init(bytes: [UInt8], path: String) {
            self.bytes = bytes
            self.path = path
        }

        func failure(_ what: String) -> DatasetError {
            .badValue(path: path, detail: "R serialization at byte \(position): \(what)")
        }

        mutating func int() throws -> Int32 {
            guard position + 4 <= bytes.count else { throw failure("unexpected end of data") }
            let v = UInt32(bytes[position]) << 24 | UInt32(bytes[position + 1]) << 16
                | UInt32(bytes[position + 2]) << 8 | UInt32(bytes[position + 3])
            position += 4
            return Int32(bitPattern: v)
        }

        mutating func double() throws -> Double {
            guard position + 8 <= bytes.count else { throw failure("unexpected end of data") }
            var v: UInt64 = 0
            for i in 0..<8 { v = v << 8 | UInt64(bytes[position + i]) }
            position += 8
            return Double(bitPattern: v)
        }

        mutating func length() throws -> Int {
            let n = try int()
            if n >= 0 { return Int(n) }
            guard n == -1 else { throw failure("negative length \(n)") }
            let hi = try int(), lo = try int()
            let long = Int(hi) << 32 | Int(UInt32(bitPattern: lo))
            guard hi >= 0 else { throw failure("negative long length \(long)") }
            return long
        }

        /// A vector length that the remaining bytes can hold at `bytesPerElement` each (checked before allocating).
        mutating func length(bytesPerElement: Int) throws -> Int {
            let n = try length()
            guard n <= (bytes.count - position) / max(bytesPerElement, 1) else {
                throw failure("a vector of \(n) elements runs past the end of the data")
            }
            return n
        }

        mutating func rawBytes(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, position + n <= bytes.count else { throw failure("a length of \(n) runs past the end") }
            defer { position += n }
            return bytes[position..<position + n]
        }

        mutating func parseTop() throws -> RObject {
            guard bytes.count >= 2, bytes[0] == UInt8(ascii: "X"), bytes[1] == UInt8(ascii: "\n") else {
                throw failure("not R's XDR serialization (expected the header \"X\\n\")")
            }
            position = 2
            let version = try int()
            _ = try int()  // writer's R version
            _ = try int()  // minimal reader version
            switch version {
            case 2: break
            case 3: _ = try rawBytes(try length())  // native encoding name
            default: throw failure("serialization version \(version) (2 or 3 expected)")
            }
            return try item()
        }

        mutating func item() throws -> RObject {
            let flags = try int()
            let type = Int(flags & 0xFF)
            let hasAttributes = flags & (1 << 9) != 0
            let hasTag = flags & (1 << 10) != 0
            switch type {
            case 254: return RObject(.null)  // NILVALUE_SXP
            case 242, 241, 253, 252, 251, 250:  // empty/base/global env, unbound, missing arg, base namespace
                return RObject(.other(type))
            case 255:  // REFSXP
                var index = Int(flags >> 8)
                if index == 0 { index = Int(try int()) }
                guard index >= 1 && index <= references.count else { throw failure("reference \(index) undefined") }
                return references[index - 1]
            case 247, 248, 249:  // PERSISTSXP, PACKAGESXP, NAMESPACESXP: a string vector, added to references
                _ = try int()  // 0
                let n = try length(bytesPerElement: 8)
                var s: [String?] = []
                for _ in 0..<n { s.append(try charsxp()) }
                let o = RObject(.string(s))
                references.append(o)
                return o
            case 1:  // SYMSXP
                let name = try charsxp() ?? "NA"
                let o = RObject(.symbol(name))
                references.append(o)
                return o
            case 2, 3, 5, 6, 17:  // LISTSXP, CLOSXP, PROMSXP, LANGSXP, DOTSXP: pairlist cells
                return try pairlist(firstFlags: flags)
            case 4:  // ENVSXP
                let o = RObject(.other(4))
                references.append(o)
                _ = try int()  // locked
                _ = try item(); _ = try item(); _ = try item()  // enclosure, frame, hash table
                o.attributes = try attributeList(try item())
                return o
            case 9:  // CHARSXP outside a vector
                let s = try charsxp(flags: flags)
                return RObject(.string([s]))
            case 10, 13:
                let n = try length(bytesPerElement: 4)
                var v = [Int32](repeating: 0, count: n)
                for i in 0..<n { v[i] = try int() }
                return try finish(type == 10 ? .logical(v) : .integer(v), hasAttributes)
            case 14:
                let n = try length(bytesPerElement: 8)
                var v = [Double](repeating: 0, count: n)
                for i in 0..<n { v[i] = try double() }
                return try finish(.real(v), hasAttributes)
            case 16:
                let n = try length(bytesPerElement: 8)  // each string at least its flags and length
                var v = [String?]()
                v.reserveCapacity(n)
                for _ in 0..<n { v.append(try charsxp()) }
                return try finish(.string(v), hasAttributes)
            case 19, 20:  // VECSXP, EXPRSXP
                let n = try length(bytesPerElement: 4)
                var v: [RObject] = []
                v.reserveCapacity(n)
                for _ in 0..<n { v.append(try item()) }
                return try finish(.list(v), hasAttributes)
            case 24:
                let n = try length(bytesPerElement: 1)
                return try finish(.raw(Array(try rawBytes(n))), hasAttributes)
            case 238:  // ALTREP_SXP
                return try altrep()
            default:
                _ = hasTag
                throw failure("unsupported R object type \(type)")
            }
        }

        mutating func finish(_ value: RObject.Value, _ hasAttributes: Bool) throws -> RObject {
            RObject(value, attributes: hasAttributes ? try attributeList(try item()) : [])
        }

        /// A CHARSXP item (flags included); nil is NA_STRING.
        mutating func charsxp() throws -> String? {
            let flags = try int()
            guard flags & 0xFF == 9 else { throw failure("expected a string (CHARSXP), found type \(flags & 0xFF)") }
            return try charsxp(flags: flags)
        }

        mutating func charsxp(flags: Int32) throws -> String? {
            let n = try int()
            if n == -1 { return nil }
            let raw = try rawBytes(Int(n))
            // The encoding flags are the CHARSXP's "levels", stored from bit 12 (serialize.c: LATIN1_MASK 1 << 2).
            if (flags >> 12) & (1 << 2) != 0 {  // LATIN1
                return String(raw.map { Character(Unicode.Scalar($0)) })
            }
            return String(decoding: raw, as: UTF8.self)
        }

        /// A pairlist, read iteratively along its CDRs: each cell's attributes, tag and CAR.
        mutating func pairlist(firstFlags: Int32) throws -> RObject {
            var flags = firstFlags
            var items: [RObject] = []
            var tags: [String?] = []
            var cellAttributes: [(name: String, value: RObject)] = []
            let type = Int(flags & 0xFF)
            while true {
                if flags & (1 << 9) != 0 {
                    let a = try attributeList(try item())
                    if items.isEmpty { cellAttributes = a }
                }
                if flags & (1 << 10) != 0 {
                    let tag = try item()
                    if case .symbol(let s) = tag.value { tags.append(s) } else { tags.append(nil) }
                } else {
                    tags.append(nil)
                }
                items.append(try item())
                let next = try int()
                let nextType = Int(next & 0xFF)
                if nextType == 254 { break }
                guard [2, 3, 5, 6, 17].contains(nextType) else {
                    // An improper tail: read it as one more element.
                    position -= 4
                    items.append(try item())
                    tags.append(nil)
                    break
                }
                flags = next
            }
            guard type == 2 else { return RObject(.other(type)) }
            var attributes = cellAttributes
            if tags.contains(where: { $0 != nil }) {
                attributes.insert(("names", RObject(.string(tags.map { $0 ?? "" }))), at: 0)
            }
            return RObject(.list(items), attributes: attributes)
        }

        /// An attribute pairlist → (name, value) pairs.
        func attributeList(_ list: RObject) throws -> [(name: String, value: RObject)] {
            guard case .list(let items) = list.value else { return [] }
            let names = list.names ?? []
            return zip(names, items).map { ($0, $1) }
        }

        /// ALTREP: class info (a pairlist: class symbol, package symbol, type), state, attributes.
        mutating func altrep() throws -> RObject {
            let info = try item()
            let state = try item()
            let attributes = try attributeList(try item())
            guard case .list(let parts) = info.value, let first = parts.first, case .symbol(let cls) = first.value else {
                throw failure("ALTREP object without a class")
            }
            let value: RObject.Value
            switch cls {
            case "compact_intseq", "compact_realseq":
                guard let s = state.doubles, s.count == 3, s[0] >= 0, s[0] <= 1e9, s[1].isFinite, s[2].isFinite else {
                    throw failure("\(cls) state is not (n, start, step)")
                }
                let n = Int(s[0])
                if cls == "compact_intseq" {
                    value = .integer((0..<n).map { Int32(s[1] + Double($0) * s[2]) })
                } else {
                    value = .real((0..<n).map { s[1] + Double($0) * s[2] })
                }
            case "wrap_integer", "wrap_real", "wrap_string", "wrap_logical", "wrap_complex", "wrap_raw", "wrap_list":
                guard case .list(let items) = state.value, let x = items.first else {
                    throw failure("\(cls) state is not (x, meta)")
                }
                value = x.value
            case "deferred_string":
                guard case .list(let items) = state.value, let arg = items.first else {
                    throw failure("deferred_string state is not (arg, info)")
                }
                switch arg.value {
                case .integer(let v): value = .string(v.map { $0 == Int32.min ? nil : String($0) })
                case .real(let v): value = .string(v.map { $0.isNaN ? nil : Self.formatDouble($0) })
                default: value = arg.value
                }
            default:
                throw failure("unsupported ALTREP class \(cls)")
            }
            return RObject(value, attributes: attributes)
        }

        static func formatDouble(_ d: Double) -> String {
            d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        }
    }
}

/// A data frame (or tibble) read from R: its columns by name.
public struct RDataFrame {
    public let object: RObject
    public let columnNames: [String]
    /// The number of rows (the length of the first column).
    public let rowCount: Int
    let path: String

    /// - Throws: `DatasetError.badValue` when `object` is not a list of equal-length columns with names.
    public init(_ object: RObject, path: String) throws {
        guard case .list(let columns) = object.value, let names = object.names, names.count == columns.count else {
            throw DatasetError.badValue(path: path, detail: "not a data frame (classes: \(object.classes))")
        }
        let n = columns.first?.count ?? 0
        if let bad = columns.firstIndex(where: { $0.count != n }) {
            throw DatasetError.badValue(path: path,
                                        detail: "column \(names[bad]) has \(columns[bad].count) rows, expected \(n)")
        }
        self.object = object
        self.columnNames = names
        self.rowCount = n
        self.path = path
    }

    func column(_ name: String) throws -> RObject {
        guard let c = object.element(named: name) else {
            throw DatasetError.badValue(path: path,
                                        detail: "no column \(name) (has \(columnNames.joined(separator: ", ")))")
        }
        return c
    }

    /// An integer column (a double column with whole values is accepted).
    public func integers(_ name: String) throws -> [Int] {
        let c = try column(name)
        if let v = c.integers, c.attribute("levels") == nil {
            if let i = v.firstIndex(of: Int32.min) {
                throw DatasetError.badValue(path: path, detail: "column \(name) row \(i + 1) is NA")
            }
            return v.map(Int.init)
        }
        if let v = c.doubles, v.allSatisfy({ $0 == $0.rounded() && abs($0) < 1e15 }) { return v.map { Int($0) } }
        throw DatasetError.badValue(path: path, detail: "column \(name) is not an integer column")
    }

    /// A string column; a factor column gives its level labels.
    public func strings(_ name: String) throws -> [String] {
        let c = try column(name)
        if let v = c.strings {
            if let i = v.firstIndex(where: { $0 == nil }) {
                throw DatasetError.badValue(path: path, detail: "column \(name) row \(i + 1) is NA")
            }
            return v.map { $0! }
        }
        if let codes = c.integers, let levels = c.attribute("levels")?.strings {
            return try codes.enumerated().map { i, code in
                guard code >= 1 && Int(code) <= levels.count, let s = levels[Int(code) - 1] else {
                    throw DatasetError.badValue(path: path, detail: "column \(name) row \(i + 1): factor code \(code)")
                }
                return s
            }
        }
        throw DatasetError.badValue(path: path, detail: "column \(name) is not a string or factor column")
    }
}
