import CZlib

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IDX array (the MNIST file format) of unsigned bytes: a big-endian header (magic `0x00000800 | rank`, then
/// `rank` 32-bit dimension sizes) followed by the data. Gzip-compressed and plain files are both read (zlib reads
/// plain files transparently).
public struct IDXArray: Sendable, Equatable {
    /// The dimension sizes, outermost first (for images `[count, rows, columns]`).
    public var dims: [Int]
    /// The elements, row-major.
    public var data: [UInt8]

    public init(dims: [Int], data: [UInt8]) { self.dims = dims; self.data = data }

    /// The magic number of an unsigned-byte IDX array of the given rank: 2049 for labels, 2051 for images.
    public static func magic(rank: Int) -> UInt32 { 0x0800 | UInt32(rank) }

    /// Reads an unsigned-byte IDX file.
    /// - Parameters:
    ///   - path: the file, `.gz` or plain.
    ///   - rank: the rank the caller needs (1 for labels, 3 for images); the magic number must match it.
    ///   - missingHint: what the error for a missing file tells the user to do.
    public static func read(path: String, rank: Int, missingHint: String = "") throws -> IDXArray {
        guard access(path, R_OK) == 0, let file = gzopen(path, "rb") else {
            throw DatasetError.missingFile(path: path, hint: missingHint)
        }
        defer { gzclose(file) }
        _ = gzbuffer(file, 1 << 17)

        let headerBytes = 4 + 4 * rank
        var header = [UInt8](repeating: 0, count: headerBytes)
        let got = try readFully(file, path: path, into: &header, offset: 0, count: headerBytes)
        guard got >= 4 else { throw DatasetError.truncated(path: path, expectedBytes: headerBytes, gotBytes: got) }
        let magic = bigEndian32(header, at: 0)
        let expectedMagic = IDXArray.magic(rank: rank)
        guard magic == expectedMagic else {
            throw DatasetError.badMagic(path: path, expected: expectedMagic, got: magic)
        }
        guard got == headerBytes else {
            throw DatasetError.truncated(path: path, expectedBytes: headerBytes, gotBytes: got)
        }
        var dims: [Int] = []
        var total = 1
        for i in 0..<rank {
            let d = Int(bigEndian32(header, at: 4 + 4 * i))
            dims.append(d)
            let (product, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow, product <= 1 << 34 else {
                throw DatasetError.unexpectedShape(path: path, expected: "a size that fits in memory", got: dims)
            }
            total = product
        }
        var data = [UInt8](repeating: 0, count: total)
        let n = try readFully(file, path: path, into: &data, offset: 0, count: total)
        guard n == total else {
            throw DatasetError.truncated(path: path, expectedBytes: headerBytes + total, gotBytes: headerBytes + n)
        }
        return IDXArray(dims: dims, data: data)
    }

    private static func bigEndian32(_ b: [UInt8], at i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    /// Reads up to `count` bytes; returns how many were read (less only at end of file).
    private static func readFully(_ file: gzFile, path: String, into buffer: inout [UInt8], offset: Int,
                                  count: Int) throws -> Int {
        var done = 0
        try buffer.withUnsafeMutableBytes { raw in
            while done < count {
                let chunk = UInt32(min(count - done, 1 << 30))
                let r = gzread(file, raw.baseAddress! + offset + done, chunk)
                if r < 0 {
                    var errnum: Int32 = 0
                    let msg = gzerror(file, &errnum).map { String(cString: $0) } ?? "unknown zlib error"
                    throw DatasetError.readError(path: path, detail: msg)
                }
                if r == 0 { break }
                done += Int(r)
            }
        }
        return done
    }
}
