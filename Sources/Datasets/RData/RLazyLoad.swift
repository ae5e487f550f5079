import CLZMA
import CZlib
import Foundation

/// An R package's lazy-load data base (`data/Rdata.rdx` + `data/Rdata.rdb`), read without R.
///
/// Format (R's `lazyLoadDBfetch`, `R_decompress1/2/3`): `Rdata.rdx` is gzip-compressed R serialization of a list
/// whose `variables` element maps each object name to `(offset, length)` in `Rdata.rdb`. Each chunk there is a 4-byte
/// big-endian uncompressed length, then a zlib stream (`compress = 1`, the default), or `Z` + raw LZMA2 (`xz`, preset
/// 9 | extreme), `2` + bzip2 (unsupported here), or `0` + the bytes stored. See docs/datasets.md.
public struct RLazyLoadDB: Sendable {
    /// The directory holding `Rdata.rdb` and `Rdata.rdx`.
    public let directory: String
    /// Object name → (offset, length) of its chunk in `Rdata.rdb`.
    public let index: [String: (offset: Int, length: Int)]
    /// Which command makes the files (quoted in errors).
    public let hint: String

    public var rdbPath: String { directory + "/Rdata.rdb" }
    public var rdxPath: String { directory + "/Rdata.rdx" }

    /// Reads the index.
    /// - Throws: `DatasetError.missingFile` (with `hint`) when either file is absent; `.readError`/`.badValue` when
    ///   the index does not decompress or is not a lazy-load index.
    public init(directory: String, hint: String) throws {
        self.directory = directory
        self.hint = hint
        let rdx = directory + "/Rdata.rdx"
        for path in [rdx, directory + "/Rdata.rdb"] where !FileManager.default.isReadableFile(atPath: path) {
            throw DatasetError.missingFile(path: path, hint: hint)
        }
        guard let compressed = FileManager.default.contents(atPath: rdx) else {
            throw DatasetError.missingFile(path: rdx, hint: hint)
        }
        let bytes = try Self.gunzip(compressed, path: rdx)
        let root = try RSerialization.parse(bytes, path: rdx)
        guard let variables = root.element(named: "variables"), case .list(let items) = variables.value else {
            throw DatasetError.badValue(path: rdx, detail: "not an R lazy-load index (no `variables` list)")
        }
        let names = variables.names ?? []
        var index: [String: (Int, Int)] = [:]
        for (name, item) in zip(names, items) {
            guard let pair = item.doubles ?? item.integers.map({ $0.map(Double.init) }), pair.count == 2 else {
                throw DatasetError.badValue(path: rdx, detail: "index entry \(name) is not an (offset, length) pair")
            }
            guard pair.allSatisfy({ $0 >= 0 && $0 < 1e15 }) else {
                throw DatasetError.badValue(path: rdx, detail: "index entry \(name) has a negative or huge offset/length")
            }
            index[name] = (Int(pair[0]), Int(pair[1]))
        }
        self.index = index
    }

    /// The names of the objects in the data base.
    public var objectNames: [String] { index.keys.sorted() }

    /// Reads, decompresses and parses one object.
    /// - Throws: `DatasetError.badValue` for an unknown name; `.truncated` when `Rdata.rdb` is shorter than the
    ///   index says; `.readError` when the chunk does not decompress to its announced length (a corrupt file).
    public func object(_ name: String) throws -> RObject {
        guard let (offset, length) = index[name] else {
            throw DatasetError.badValue(path: rdxPath,
                                        detail: "no object `\(name)` (has: \(objectNames.joined(separator: ", ")))")
        }
        guard let handle = FileHandle(forReadingAtPath: rdbPath) else {
            throw DatasetError.missingFile(path: rdbPath, hint: hint)
        }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        let chunk = try handle.read(upToCount: length) ?? Data()
        guard chunk.count == length else {
            throw DatasetError.truncated(path: rdbPath, expectedBytes: offset + length, gotBytes: offset + chunk.count)
        }
        let bytes = try Self.decompressChunk([UInt8](chunk), path: rdbPath + " (object \(name))")
        return try RSerialization.parse(bytes, path: rdbPath + " (object \(name))")
    }

    /// One `.rdb` chunk → the serialized bytes.
    static func decompressChunk(_ chunk: [UInt8], path: String) throws -> [UInt8] {
        guard chunk.count >= 5 else { throw DatasetError.truncated(path: path, expectedBytes: 5, gotBytes: chunk.count) }
        let expected = Int(chunk[0]) << 24 | Int(chunk[1]) << 16 | Int(chunk[2]) << 8 | Int(chunk[3])
        let out: [UInt8]
        switch chunk[4] {
        case UInt8(ascii: "Z"): out = try unxz(chunk[5...], expected: expected, path: path)
        case UInt8(ascii: "0"): out = Array(chunk[5...])
        case UInt8(ascii: "2"):
            throw DatasetError.readError(path: path, detail: "bzip2-compressed lazy-load data is not supported")
        default: out = try inflate(chunk[4...], expected: expected, windowBits: MAX_WBITS, path: path)
        }
        guard out.count == expected else {
            throw DatasetError.truncated(path: path, expectedBytes: expected, gotBytes: out.count)
        }
        return out
    }

    static func gunzip(_ data: Data, path: String) throws -> [UInt8] {
        try inflate([UInt8](data)[...], expected: max(data.count * 4, 1 << 16), windowBits: 16 + MAX_WBITS, path: path,
                    growable: true)
    }

    /// zlib (`windowBits` 15) or gzip (31) → bytes. With `growable`, `expected` is only the first buffer size.
    static func inflate(_ input: ArraySlice<UInt8>, expected: Int, windowBits: Int32, path: String,
                        growable: Bool = false) throws -> [UInt8] {
        // zlib keeps the stream's address and checks it on every call: the stream lives at one heap address.
        let streamPointer = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        streamPointer.initialize(to: z_stream())
        defer { streamPointer.deallocate() }
        guard inflateInit2_(streamPointer, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError.readError(path: path, detail: "zlib: inflateInit failed")
        }
        defer { inflateEnd(streamPointer) }
        var out = [UInt8](repeating: 0, count: max(expected, 1))
        var produced = 0
        var status: Int32 = Z_OK
        var source = Array(input)
        try source.withUnsafeMutableBufferPointer { src in
            streamPointer.pointee.next_in = src.baseAddress
            streamPointer.pointee.avail_in = uInt(src.count)
            while true {
                if produced == out.count {
                    guard growable else { break }
                    out += [UInt8](repeating: 0, count: out.count)
                }
                status = out.withUnsafeMutableBufferPointer { dst in
                    streamPointer.pointee.next_out = dst.baseAddress! + produced
                    streamPointer.pointee.avail_out = uInt(dst.count - produced)
                    let rc = CZlib.inflate(streamPointer, Z_NO_FLUSH)
                    produced = dst.count - Int(streamPointer.pointee.avail_out)
                    return rc
                }
                if status == Z_STREAM_END { break }
                guard status == Z_OK || (status == Z_BUF_ERROR && produced == out.count) else {
                    let why = streamPointer.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw DatasetError.readError(path: path, detail: "zlib: \(why) (the file is corrupt; fetch it again)")
                }
            }
        }
        guard status == Z_STREAM_END else {
            throw DatasetError.readError(path: path, detail: "zlib: the stream does not end where announced (corrupt)")
        }
        out.removeLast(out.count - produced)
        return out
    }

    /// Raw LZMA2 (R's `xz` lazy-load compression: `lzma_raw_decoder` with preset 9 | extreme) → bytes.
    static func unxz(_ input: ArraySlice<UInt8>, expected: Int, path: String) throws -> [UInt8] {
        var options = lzma_options_lzma()
        guard lzma_lzma_preset(&options, 9 | clzma_preset_extreme) == 0 else {
            throw DatasetError.readError(path: path, detail: "liblzma: preset 9e unavailable")
        }
        return try withUnsafeMutablePointer(to: &options) { opt in
            var filters = [lzma_filter(id: clzma_filter_lzma2, options: UnsafeMutableRawPointer(opt)),
                           lzma_filter(id: clzma_vli_unknown, options: nil)]
            var stream = lzma_stream()
            guard lzma_raw_decoder(&stream, &filters) == LZMA_OK else {
                throw DatasetError.readError(path: path, detail: "liblzma: cannot start the LZMA2 decoder")
            }
            defer { lzma_end(&stream) }
            var out = [UInt8](repeating: 0, count: max(expected, 1))
            let source = Array(input)
            var rc = LZMA_OK
            source.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    stream.next_in = src.baseAddress
                    stream.avail_in = src.count
                    stream.next_out = dst.baseAddress
                    stream.avail_out = expected
                    rc = lzma_code(&stream, LZMA_FINISH)
                }
            }
            let produced = expected - stream.avail_out
            // A raw stream has no end marker check beyond LZMA2's own; the announced length is the check.
            guard rc == LZMA_STREAM_END || (rc == LZMA_OK && produced == expected) else {
                throw DatasetError.readError(path: path, detail: "liblzma: error \(rc.rawValue) (the file is corrupt)")
            }
            out.removeLast(out.count - produced)
            return out
        }
    }
}
