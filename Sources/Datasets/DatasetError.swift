/// A problem with a dataset file: always names the file and what was expected.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    /// The file does not exist or cannot be opened. `hint` says what to install or set.
    case missingFile(path: String, hint: String)
    /// The file ended before the header or the data it announced.
    case truncated(path: String, expectedBytes: Int, gotBytes: Int)
    /// The IDX magic number is not the one expected for this kind of file.
    case badMagic(path: String, expected: UInt32, got: UInt32)
    /// The header is readable but describes something other than what the caller needs.
    case unexpectedShape(path: String, expected: String, got: [Int])
    /// Two files that belong together disagree (for example image and label counts).
    case mismatch(path: String, detail: String)
    /// A value inside the data is out of range.
    case badValue(path: String, detail: String)
    /// zlib reported an error while decompressing.
    case readError(path: String, detail: String)

    public var description: String {
        switch self {
        case .missingFile(let path, let hint):
            return "\(path): no such file. \(hint)"
        case .truncated(let path, let expected, let got):
            return "\(path): file is truncated: expected \(expected) bytes after decompression, got \(got)"
        case .badMagic(let path, let expected, let got):
            return "\(path): not an IDX file of the expected kind: magic number \(got), expected \(expected)"
        case .unexpectedShape(let path, let expected, let got):
            return "\(path): unexpected shape \(got), expected \(expected)"
        case .mismatch(let path, let detail):
            return "\(path): \(detail)"
        case .badValue(let path, let detail):
            return "\(path): \(detail)"
        case .readError(let path, let detail):
            return "\(path): read error: \(detail)"
        }
    }
}
