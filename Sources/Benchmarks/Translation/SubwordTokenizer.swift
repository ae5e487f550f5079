import Datasets
import Foundation

/// The `translation` benchmark's subword vocabulary: a byte-pair-encoding model (Sennrich et al. 2016) in the layout
/// of Hugging Face `tokenizers`' `tokenizer.json` (a BPE model with `Metaspace` pre-tokenisation and decoding, no
/// normaliser, no byte fallback), which the PyTorch reference trains on the training pairs and writes beside the
/// model as `<model stem>.tokenizer.json`. Encoding and decoding here give the ids and text that `tokenizers`
/// gives (checked on every pair of the data set by the tests).
public final class SubwordTokenizer: Sendable {
    /// Token string by id.
    public let tokens: [String]
    /// The special tokens (`added_tokens` with `special: true`): never produced by merges; matched verbatim in text.
    public let specialIDs: Set<Int32>
    public let unknownID: Int32
    private let ids: [String: Int32]
    private let specials: [(text: [Unicode.Scalar], id: Int32)]
    /// (left id, right id) → (merge rank, merged id).
    private let merges: [Pair: (rank: Int32, id: Int32)]
    private static let space: Unicode.Scalar = "\u{2581}"  // ▁, Metaspace's replacement

    private struct Pair: Hashable { var left: Int32, right: Int32 }

    public var vocabularySize: Int { tokens.count }

    /// The id of a token string, if it is in the vocabulary.
    public func id(of token: String) -> Int32? { ids[token] }

    /// Reads a `tokenizer.json`.
    /// - Throws: `DatasetError.missingFile`, or `.badValue` naming the file and what is not as expected (another
    ///   model type, a pre-tokeniser other than Metaspace `▁` with `prepend_scheme` always, a merge of unknown tokens).
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DatasetError.missingFile(path: path, hint: "the translation model's vocabulary is written beside "
                                           + "the model (<model stem>.tokenizer.json) when it is trained")
        }
        func bad(_ detail: String) -> DatasetError { .badValue(path: path, detail: detail) }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let model = root["model"] as? [String: Any] else { throw bad("not a tokenizers JSON object with a model") }
        guard model["type"] as? String == "BPE" else { throw bad("model type \(model["type"] ?? "none"), expected BPE") }
        if let b = model["byte_fallback"] as? Bool, b { throw bad("byte_fallback is not supported") }
        if let n = root["normalizer"], !(n is NSNull) { throw bad("a normalizer is not supported") }
        guard let pre = root["pre_tokenizer"] as? [String: Any], pre["type"] as? String == "Metaspace",
              pre["replacement"] as? String == "\u{2581}", pre["prepend_scheme"] as? String == "always",
              (pre["split"] as? Bool) ?? true else {
            throw bad("expected the Metaspace pre_tokenizer (replacement ▁, prepend_scheme always, split)")
        }
        guard let vocab = model["vocab"] as? [String: Int] else { throw bad("model.vocab is not an object of ids") }
        var tokens = [String](repeating: "", count: vocab.count)
        for (token, id) in vocab {
            guard id >= 0, id < vocab.count, tokens[id].isEmpty else { throw bad("vocabulary ids are not 0..<\(vocab.count)") }
            tokens[id] = token
        }
        var ids: [String: Int32] = [:]
        for (token, id) in vocab { ids[token] = Int32(id) }
        var merges: [Pair: (rank: Int32, id: Int32)] = [:]
        for (rank, merge) in ((model["merges"] as? [Any]) ?? []).enumerated() {
            let parts: [String]
            if let s = merge as? String {
                parts = s.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            } else {
                parts = (merge as? [String]) ?? []
            }
            guard parts.count == 2, let l = ids[parts[0]], let r = ids[parts[1]], let m = ids[parts[0] + parts[1]] else {
                throw bad("merge \(rank) (\(merge)) does not join two tokens of the vocabulary into a third")
            }
            if merges[Pair(left: l, right: r)] == nil { merges[Pair(left: l, right: r)] = (Int32(rank), m) }
        }
        guard let unk = model["unk_token"] as? String, let unknownID = ids[unk] else {
            throw bad("model.unk_token is missing or not in the vocabulary")
        }
        var specials: [(text: [Unicode.Scalar], id: Int32)] = []
        for case let added as [String: Any] in (root["added_tokens"] as? [Any]) ?? [] {
            guard let content = added["content"] as? String, let id = added["id"] as? Int else { continue }
            specials.append((Array(content.unicodeScalars), Int32(id)))
        }
        self.tokens = tokens
        self.ids = ids
        self.merges = merges
        self.unknownID = unknownID
        self.specials = specials.sorted { $0.text.count > $1.text.count }  // longest match first
        self.specialIDs = Set(specials.map(\.id))
    }

    /// Token ids of `text` (no BOS/EOS added): special tokens matched verbatim first, then each remaining piece
    /// pre-tokenised by Metaspace (spaces → `▁`, a `▁` prepended, split before each `▁`), then each word's
    /// characters merged by BPE, lowest merge rank first (leftmost on ties); a character outside the vocabulary is
    /// `<unk>`.
    public func encode(_ text: String) -> [Int32] {
        var out: [Int32] = []
        var piece: [Unicode.Scalar] = []
        let scalars = Array(text.unicodeScalars)
        var i = 0
        scan: while i < scalars.count {
            for special in specials where !special.text.isEmpty && i + special.text.count <= scalars.count
                && scalars[i..<(i + special.text.count)].elementsEqual(special.text) {
                encodePiece(piece, into: &out)
                piece.removeAll(keepingCapacity: true)
                out.append(special.id)
                i += special.text.count
                continue scan
            }
            piece.append(scalars[i])
            i += 1
        }
        encodePiece(piece, into: &out)
        return out
    }

    private func encodePiece(_ piece: [Unicode.Scalar], into out: inout [Int32]) {
        guard !piece.isEmpty else { return }
        var text = piece.map { $0 == " " ? Self.space : $0 }
        if text.first != Self.space { text.insert(Self.space, at: 0) }
        var start = 0
        for end in 1...text.count where end == text.count || text[end] == Self.space {
            encodeWord(text[start..<end], into: &out)
            start = end
        }
    }

    private func encodeWord(_ word: ArraySlice<Unicode.Scalar>, into out: inout [Int32]) {
        var symbols = word.map { ids[String($0)] ?? unknownID }
        while symbols.count > 1 {
            var best: (rank: Int32, at: Int, id: Int32)?
            for k in 0..<(symbols.count - 1) {
                if let m = merges[Pair(left: symbols[k], right: symbols[k + 1])], best == nil || m.rank < best!.rank {
                    best = (m.rank, k, m.id)
                }
            }
            guard let b = best else { break }
            symbols[b.at] = b.id
            symbols.remove(at: b.at + 1)
        }
        out += symbols
    }

    /// Text of `ids` as `tokenizers` decodes it with `skip_special_tokens`: special ids dropped, tokens
    /// concatenated, `▁` → space, the first token's leading space removed.
    public func decode(_ ids: some Sequence<Int32>) -> String {
        var scalars = String.UnicodeScalarView()
        var first = true
        for id in ids where !specialIDs.contains(id) && id >= 0 && Int(id) < tokens.count {
            var token = Substring(tokens[Int(id)]).unicodeScalars
            if first, token.first == Self.space { token.removeFirst() }
            first = false
            for c in token { scalars.append(c == Self.space ? " " : c) }
        }
        return String(scalars)
    }
}
