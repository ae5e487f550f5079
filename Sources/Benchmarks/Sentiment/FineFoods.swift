import Datasets
import Foundation

/// Amazon fine-food reviews (`small_fine_foods` of Debian's `r-cran-modeldata`): 4,000 training and 1,000 test
/// reviews, label 1 = "great" (5 stars), 0 = "other". Rules in docs/datasets.md (`sentiment`);
/// `references/pytorch/fine_foods_data.py` implements them independently.
public struct FineFoods: Sendable {
    public static let expectedTrain = 4_000
    public static let expectedTest = 1_000

    public let trainReviews: [String]
    public let trainLabels: [Int]
    public let testReviews: [String]
    public let testLabels: [Int]

    /// - Throws: `DatasetError` naming the file (missing with `hint`, corrupt, or not the published data).
    public static func load(directory: String, hint: String) throws -> FineFoods {
        let db = try RLazyLoadDB(directory: directory, hint: hint)
        func split(_ object: String, _ expected: Int) throws -> ([String], [Int]) {
            let frame = try RDataFrame(db.object(object), path: db.rdbPath + " (\(object))")
            guard frame.rowCount == expected else {
                throw DatasetError.badValue(path: db.rdbPath, detail: "\(object) has \(frame.rowCount) reviews, "
                                            + "expected \(expected) (r-cran-modeldata 1.1.0)")
            }
            let scores = try frame.strings("score")
            if let bad = scores.firstIndex(where: { $0 != "great" && $0 != "other" }) {
                throw DatasetError.badValue(path: db.rdbPath,
                                            detail: "\(object) row \(bad + 1): score `\(scores[bad])`, expected great or other")
            }
            return (try frame.strings("review"), scores.map { $0 == "great" ? 1 : 0 })
        }
        let (trainReviews, trainLabels) = try split("training_data", expectedTrain)
        let (testReviews, testLabels) = try split("testing_data", expectedTest)
        return FineFoods(trainReviews: trainReviews, trainLabels: trainLabels, testReviews: testReviews,
                         testLabels: testLabels)
    }

    /// The tokens of a review: `<br />`, `<br/>`, `<br>` (any case) → space; A–Z → a–z; apostrophes (U+0027,
    /// U+2019) deleted; tokens are the maximal runs of [a-z0-9].
    public static func tokenize(_ text: String) -> [String] {
        var scalars = Array(text.unicodeScalars)
        // <br …> markers to spaces.
        var i = 0
        var cleaned: [Unicode.Scalar] = []
        cleaned.reserveCapacity(scalars.count)
        while i < scalars.count {
            if scalars[i] == "<", let len = breakTagLength(scalars, at: i) {
                cleaned.append(" ")
                i += len
                continue
            }
            cleaned.append(scalars[i])
            i += 1
        }
        scalars = cleaned
        var tokens: [String] = []
        var current = String.UnicodeScalarView()
        for s in scalars {
            switch s.value {
            case 0x41...0x5A: current.append(Unicode.Scalar(s.value + 32)!)
            case 0x61...0x7A, 0x30...0x39: current.append(s)
            case 0x27, 0x2019: continue
            default:
                if !current.isEmpty { tokens.append(String(current)); current = String.UnicodeScalarView() }
            }
        }
        if !current.isEmpty { tokens.append(String(current)) }
        return tokens
    }

    /// The length of a `<br />`, `<br/>` or `<br>` tag (any case) at `i`, or nil.
    static func breakTagLength(_ s: [Unicode.Scalar], at i: Int) -> Int? {
        for form in ["<br />", "<br/>", "<br>"] {
            let f = Array(form.unicodeScalars)
            guard i + f.count <= s.count else { continue }
            var ok = true
            for k in 0..<f.count {
                var c = s[i + k].value
                if c >= 0x41 && c <= 0x5A { c += 32 }
                if c != f[k].value { ok = false; break }
            }
            if ok { return f.count }
        }
        return nil
    }
}

/// The sentiment vocabulary (docs/datasets.md): id 0 padding, 1 unknown word, then unigrams, then bigrams; saved
/// as `<model>.vocab.json` beside the ONNX model by the trainer that built it.
public struct SentimentVocabulary: Sendable, Equatable {
    public var unigrams: [String]
    public var bigrams: [String]
    public var maxWords: Int
    public var sequenceLength: Int
    public var minCount: Int
    public var maxUnigrams: Int
    public var maxBigrams: Int
    private var unigramIDs: [String: Int64] = [:]
    private var bigramIDs: [String: Int64] = [:]

    public init(unigrams: [String], bigrams: [String], maxWords: Int = 256, sequenceLength: Int = 512,
                minCount: Int = SentimentBenchmark.vocabularyMinCount, maxUnigrams: Int = SentimentBenchmark.maxUnigrams,
                maxBigrams: Int = SentimentBenchmark.maxBigrams) {
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.minCount = minCount
        self.maxUnigrams = maxUnigrams
        self.maxBigrams = maxBigrams
        self.maxWords = maxWords
        self.sequenceLength = sequenceLength
        for (i, w) in unigrams.enumerated() { unigramIDs[w] = Int64(2 + i) }
        for (i, b) in bigrams.enumerated() { bigramIDs[b] = Int64(2 + unigrams.count + i) }
    }

    /// Built from the training reviews (docs/datasets.md): counts over every token and consecutive pair of every
    /// review (untruncated); kept at `minCount` or more; ordered by count descending, then bytes ascending; cut at
    /// the caps.
    public static func build(trainReviews: [String], minCount: Int = SentimentBenchmark.vocabularyMinCount,
                             maxUnigrams: Int = SentimentBenchmark.maxUnigrams,
                             maxBigrams: Int = SentimentBenchmark.maxBigrams) -> SentimentVocabulary {
        var unigrams: [String: Int] = [:], bigrams: [String: Int] = [:]
        for review in trainReviews {
            let tokens = FineFoods.tokenize(review)
            for t in tokens { unigrams[t, default: 0] += 1 }
            if tokens.count > 1 {
                for k in 0..<(tokens.count - 1) { bigrams[tokens[k] + " " + tokens[k + 1], default: 0] += 1 }
            }
        }
        func ranked(_ counts: [String: Int], _ cap: Int) -> [String] {
            let kept = counts.filter { $0.value >= minCount }.sorted {
                $0.value != $1.value ? $0.value > $1.value : Array($0.key.utf8).lexicographicallyPrecedes($1.key.utf8)
            }
            return kept.prefix(cap).map(\.key)
        }
        return SentimentVocabulary(unigrams: ranked(unigrams, maxUnigrams), bigrams: ranked(bigrams, maxBigrams),
                                   minCount: minCount, maxUnigrams: maxUnigrams, maxBigrams: maxBigrams)
    }

    /// Writes the vocabulary file (the layout `references/pytorch/fine_foods_data.py` writes and reads).
    public func write(path: String) throws {
        let j: [String: Any] = ["min_count": minCount, "max_unigrams": maxUnigrams, "max_bigrams": maxBigrams,
                                "max_words": maxWords, "sequence_length": sequenceLength, "unigrams": unigrams,
                                "bigrams": bigrams]
        try JSONSerialization.data(withJSONObject: j, options: [.sortedKeys]).write(to: URL(fileURLWithPath: path))
    }

    /// Ids in the embedding table (padding and unknown included).
    public var size: Int { 2 + unigrams.count + bigrams.count }

    /// The vocabulary file beside a model: `model.onnx` → `model.vocab.json`.
    public static func path(forModel model: String) -> String {
        (model.hasSuffix(".onnx") ? String(model.dropLast(5)) : model) + ".vocab.json"
    }

    /// Reads a vocabulary file.
    /// - Throws: `DatasetError.missingFile` (naming the model it belongs to) or `.badValue` (not the layout).
    public static func read(path: String) throws -> SentimentVocabulary {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DatasetError.missingFile(path: path, hint: "the sentiment model's vocabulary is written beside the "
                                           + "model by its trainer (`mlperf suite --train-only --retrain --benchmarks sentiment`)")
        }
        guard let j = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let uni = j["unigrams"] as? [String], let bi = j["bigrams"] as? [String] else {
            throw DatasetError.badValue(path: path, detail: "not a sentiment vocabulary (JSON with `unigrams`, `bigrams`)")
        }
        return SentimentVocabulary(unigrams: uni, bigrams: bi, maxWords: (j["max_words"] as? Int) ?? 256,
                                   sequenceLength: (j["sequence_length"] as? Int) ?? 512,
                                   minCount: (j["min_count"] as? Int) ?? SentimentBenchmark.vocabularyMinCount,
                                   maxUnigrams: (j["max_unigrams"] as? Int) ?? SentimentBenchmark.maxUnigrams,
                                   maxBigrams: (j["max_bigrams"] as? Int) ?? SentimentBenchmark.maxBigrams)
    }

    /// The fixed-length id sequence of a review: the first `maxWords` tokens' unigram ids (unknown → 1), then the
    /// ids of their consecutive pairs found in the vocabulary, then 0 up to `sequenceLength`.
    public func encode(_ text: String) -> [Int64] {
        let words = Array(FineFoods.tokenize(text).prefix(maxWords))
        var ids = words.map { unigramIDs[$0] ?? 1 }
        if words.count > 1 {
            for k in 0..<(words.count - 1) {
                if let id = bigramIDs[words[k] + " " + words[k + 1]] { ids.append(id) }
            }
        }
        if ids.count > sequenceLength { ids.removeLast(ids.count - sequenceLength) }
        return ids + Array(repeating: 0, count: sequenceLength - ids.count)
    }
}
