import Datasets
import Foundation
import LoadGen

/// One prompt of an LLM workload and the output length asked for it.
public struct Prompt: Sendable, Equatable {
    public var text: String
    /// `max_tokens` of the request.
    public var maxTokens: Int

    public init(text: String, maxTokens: Int) {
        self.text = text
        self.maxTokens = maxTokens
    }
}

/// The QSL of an OpenAI-API run: prompts held in memory (loading is a no-op), indexed by LoadGen's sample index.
public final class PromptSet: QuerySampleLibrary, @unchecked Sendable {
    public let name: String
    public let prompts: [Prompt]
    /// How the set was made, for the report: the file, or the synthetic distribution and its seed.
    public let origin: String

    public init(name: String, prompts: [Prompt], origin: String) {
        self.name = name
        self.prompts = prompts
        self.origin = origin
    }

    public var totalSampleCount: Int { prompts.count }
    public var performanceSampleCount: Int { prompts.count }
    public func loadSamplesToRAM(_ indices: [Int]) throws {}
    public func unloadSamplesFromRAM(_ indices: [Int]) throws {}

    /// A prompt file: JSON Lines, one `{"prompt": "…", "max_tokens": N}` per line (`max_tokens` optional), or plain
    /// text, one prompt per line. Blank lines are skipped.
    /// - Throws: `NetworkSUTError.badPromptFile` with the line: unreadable file, a JSON line without a string
    ///   `prompt`, `max_tokens` < 1, no prompts at all.
    public static func load(path: String, defaultMaxTokens: Int) throws -> PromptSet {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw NetworkSUTError.badPromptFile(path: path, line: 0, reason: "cannot read the file as UTF-8 text")
        }
        var prompts: [Prompt] = []
        // Any line ending (CRLF is one Character in Swift, so splitting on "\n" would miss it).
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("{") {
                guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw NetworkSUTError.badPromptFile(path: path, line: i + 1, reason: "not a JSON object")
                }
                guard let p = obj["prompt"] as? String else {
                    throw NetworkSUTError.badPromptFile(path: path, line: i + 1, reason: "expected a string field `prompt`")
                }
                var m = defaultMaxTokens
                if let v = obj["max_tokens"] {
                    guard let n = v as? Int, n >= 1 else {
                        throw NetworkSUTError.badPromptFile(path: path, line: i + 1,
                                                            reason: "`max_tokens` must be an integer ≥ 1, got \(v)")
                    }
                    m = n
                }
                prompts.append(Prompt(text: p, maxTokens: m))
            } else {
                prompts.append(Prompt(text: line, maxTokens: defaultMaxTokens))
            }
        }
        guard !prompts.isEmpty else { throw NetworkSUTError.badPromptFile(path: path, line: 0, reason: "no prompts") }
        return PromptSet(name: (path as NSString).lastPathComponent, prompts: prompts, origin: path)
    }

    /// `count` synthetic prompts with input lengths (words) and output lengths (`max_tokens`) drawn uniformly from
    /// the ranges by a seeded SplitMix64: the same seed gives the same prompts. Words come from a fixed list of
    /// common English words, so a word is about one token for most tokenizers.
    public static func synthetic(count: Int, inputWords: ClosedRange<Int>, outputTokens: ClosedRange<Int>,
                                 seed: UInt64) -> PromptSet {
        var rng = SplitMix64(seed: seed)
        let words = ["the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on",
                     "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they",
                     "you", "were", "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more",
                     "when", "will", "would", "who", "so", "no", "time", "model", "system", "load", "test", "query",
                     "sample", "token", "server", "latency", "river", "green", "house", "light", "water", "stone"]
        var prompts: [Prompt] = []
        prompts.reserveCapacity(count)
        for _ in 0..<count {
            let n = inputWords.lowerBound + Int(rng.next() % UInt64(inputWords.count))
            let out = outputTokens.lowerBound + Int(rng.next() % UInt64(outputTokens.count))
            var text = ""
            for w in 0..<n {
                if w > 0 { text += " " }
                text += words[Int(rng.next() % UInt64(words.count))]
            }
            prompts.append(Prompt(text: text, maxTokens: out))
        }
        return PromptSet(name: "synthetic", prompts: prompts,
                         origin: "synthetic: \(count) prompts, input \(inputWords.lowerBound)-\(inputWords.upperBound) "
                            + "words, output \(outputTokens.lowerBound)-\(outputTokens.upperBound) tokens, seed \(seed)")
    }
}
