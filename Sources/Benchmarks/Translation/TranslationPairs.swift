import Datasets
import Foundation

/// English→German pairs of the `translation` benchmark, as `scripts/data/translation.py` writes them from the
/// LibreOffice help pages (Debian libreoffice-help-en-us + libreoffice-help-de 4:7.4.7): `train.jsonl` and
/// `test.jsonl`, one JSON object `{"file", "id", "en", "de"}` a line; the test pages are never training pages.
public struct TranslationPairs: Sendable {
    public struct Pair: Sendable, Equatable, Decodable {
        /// The help page (relative path) and element id the pair was aligned on.
        public var file: String
        public var id: String
        public var en: String
        public var de: String
    }

    public var pairs: [Pair]

    /// Reads `directory/<split>.jsonl` (`split`: `train` or `test`).
    /// - Throws: `DatasetError.missingFile` (with `hint`), `.badValue` naming the file and line of a record that is
    ///   not such an object.
    public static func load(directory: String, split: String, hint: String) throws -> TranslationPairs {
        let path = (directory as NSString).appendingPathComponent(split + ".jsonl")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DatasetError.missingFile(path: path, hint: hint)
        }
        let decoder = JSONDecoder()
        var pairs: [Pair] = []
        var line = 0
        for record in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            line += 1
            if record.isEmpty { continue }
            do {
                pairs.append(try decoder.decode(Pair.self, from: Data(record)))
            } catch {
                throw DatasetError.badValue(path: "\(path):\(line)",
                                            detail: "expected a JSON object with string fields file, id, en, de")
            }
        }
        guard !pairs.isEmpty else { throw DatasetError.badValue(path: path, detail: "no pairs") }
        return TranslationPairs(pairs: pairs)
    }
}
