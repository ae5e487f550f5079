import Datasets
import Foundation
import LoadGen
import Serving
import Training

/// Speech-to-text: connected digit strings and short command phrases (a TIDIGITS-like vocabulary of 26 words)
/// spoken by Debian's flite voices with speed, pitch, gain and noise perturbation (`scripts/data/speech.py`, seeded);
/// trained on three voices (awb, slt, kal16), tested on 400 utterances of a fourth (rms). A small convolutional
/// acoustic model with CTC loss (PyTorch reference `references/pytorch/train_speech.py`, exported to ONNX); log-mel
/// features (`LogMel`) and greedy CTC decoding (`CTCGreedyPostprocessor`) in Swift; word error rate (`WordErrorRate`,
/// checked against jiwer) is the quality, lower is better (docs/datasets.md, `speech`).
public enum SpeechBenchmark {
    public static let name = "speech"
    public static let area = "speech-to-text"
    /// Output frames of the model (two stride-2 convolutions over the 398 feature frames).
    public static let outputFrames = 100
    /// Blank + the 26 words.
    public static let classes = 27
    /// Quality target (WER, at most), from 10 seeded PyTorch reference runs (references/pytorch/calibration.json).
    public static let qualityTarget = 0.30
    public static let maxEpochs = 20

    public static let data = DataSource(
        description: "digit strings and commands spoken by Debian's flite voices (seeded; made by scripts/setup.sh)",
        environmentVariable: "MLPERF_SPEECH_DIR", defaultDirectory: "data/generated/speech",
        fetchCommand: "bash scripts/setup.sh")

    public static let training = TrainingBenchmark(
        name: name, aliases: ["speech-to-text", "asr"],
        qualityMetric: "WER on the 400 test utterances of the held-out voice (lower is better)", target: qualityTarget,
        higherIsBetter: false, maxEpochs: maxEpochs, rulesetID: "swift-1.0", requiredRuns: 5)

    /// `features` float32 [N,1,40,398] (log-mel of the 4 s window) → `log_probs` float32 [N,100,27] → greedy CTC in
    /// the SUT → the word ids.
    public static let contract = ModelContract(
        inputs: [TensorSpec(name: "features", elementType: .float32, sampleShape: [1, LogMel.mels, LogMel.frames])],
        output: TensorSpec(name: "log_probs", sampleShape: [outputFrames, classes]),
        response: .postprocessed(PostprocessorFactory(name: "ctc-greedy") {
            CTCGreedyPostprocessor(frames: outputFrames, classes: classes)
        }))

    /// Server bound 100 ms p99: one 4 s window takes about 3 ms on one core here; MLPerf's speech Server bound
    /// (RNN-T, 1 s) assumes far larger models.
    public static let benchmark = Benchmark(
        name: name, aliases: training.aliases, area: area,
        label: "convolutional CTC model on synthesised digit strings and commands (trained here, exported to ONNX)",
        data: data, training: training, contract: contract, serverTargetLatencyNs: 100_000_000,
        loadInference: { directory, _ in
            let corpus = try SpeechCorpus.load(directory: directory, stem: "test", hint: data.missingHint)
            return SpeechInference(corpus: corpus)
        },
        scoreAccuracy: { directory, log, reference, _ in
            let corpus = try SpeechCorpus.load(directory: directory, stem: "test", hint: data.missingHint, audio: false)
            return score(try AccuracyCheck.read(log: log, sampleCount: corpus.count), corpus: corpus,
                         referenceWER: reference)
        },
        pytorchScript: "references/pytorch/train_speech.py",
        complianceTests: ["TEST01"])  // as rnnt: no TEST04

    /// WER over all test utterances from an accuracy log of `CTCGreedyPostprocessor` responses (a missing or
    /// undecodable response is the empty hypothesis), judged as MLPerf judges rnnt's: the accuracy
    /// `1 − WER` must reach 99 % of the reference's `1 − WER` (the official checker's `(100 − WER_ref) × 0.99`). A response that does not
    /// decode, or names a word id out of range, is undecodable (and fails the check).
    public static func score(_ log: AccuracyLog, corpus: SpeechCorpus, referenceWER: Double) -> AccuracyReport {
        // Every utterance counts: one without a response, or whose response does not decode, has the empty
        // hypothesis (all its words are deletions), as a scene without detections counts in object-detection's mAP.
        var hypotheses = [[Int]](repeating: [], count: corpus.count)
        var total = log.unreadable.count, undecodable = log.unreadable.count, exact = 0
        for (i, response) in log.responses.enumerated() where i < corpus.count {
            guard let bytes = response else { continue }
            total += 1
            guard let words = CTCGreedyPostprocessor.decode(bytes),
                  words.allSatisfy({ (1...corpus.vocabulary.count).contains($0) }) else { undecodable += 1; continue }
            hypotheses[i] = words
            if words == corpus.labels[i] { exact += 1 }
        }
        let references = corpus.labels
        let wer = WordErrorRate.compute(references: references, hypotheses: hypotheses)
        return AccuracyReport(metric: "1 − WER", value: 1 - wer.rate,
                              extras: [("WER", wer.rate)],
                              total: total, correct: exact, log: log, undecodable: undecodable,
                              referenceAccuracy: 1 - referenceWER)
    }
}

/// A synthesised speech set (`scripts/data/speech.py`): `<stem>.pcm` (N × 64,000 int16, 4 s at 16 kHz) and
/// `<stem>.json` ({"sample_rate", "samples_per_utterance", "vocabulary", "utterances": [{"voice", "text"}]}).
public struct SpeechCorpus: Sendable {
    public let vocabulary: [String]
    /// Per utterance, its words as 1-based vocabulary ids.
    public let labels: [[Int]]
    public let voices: [String]
    public let audio: [Int16]
    public var count: Int { labels.count }

    /// - Throws: `DatasetError` naming the file: missing, truncated, another rate or window, a word outside the
    ///   vocabulary (which utterance).
    public static func load(directory: String, stem: String, hint: String, audio: Bool = true) throws -> SpeechCorpus {
        let jsonPath = directory + "/\(stem).json", pcmPath = directory + "/\(stem).pcm"
        guard let data = FileManager.default.contents(atPath: jsonPath) else {
            throw DatasetError.missingFile(path: jsonPath, hint: hint)
        }
        func bad(_ detail: String) -> DatasetError { .badValue(path: jsonPath, detail: detail + "; " + hint) }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw bad("not a JSON object") }
        guard root["sample_rate"] as? Int == LogMel.sampleRate, root["samples_per_utterance"] as? Int == LogMel.windowSamples,
              let vocabulary = root["vocabulary"] as? [String], let utterances = root["utterances"] as? [[String: Any]] else {
            throw bad("expected sample_rate \(LogMel.sampleRate), samples_per_utterance \(LogMel.windowSamples), a "
                      + "vocabulary list and an utterances list")
        }
        var labels: [[Int]] = [], voices: [String] = []
        for (k, u) in utterances.enumerated() {
            guard let text = u["text"] as? String, let voice = u["voice"] as? String else {
                throw bad("utterances[\(k)]: expected \"voice\" and \"text\" strings")
            }
            var ids: [Int] = []
            for word in text.split(separator: " ") {
                guard let id = vocabulary.firstIndex(of: String(word)) else {
                    throw bad("utterances[\(k)]: the word \"\(word)\" is not in the vocabulary")
                }
                ids.append(id + 1)
            }
            labels.append(ids)
            voices.append(voice)
        }
        var samples: [Int16] = []
        if audio {
            guard let pcm = FileManager.default.contents(atPath: pcmPath) else {
                throw DatasetError.missingFile(path: pcmPath, hint: hint)
            }
            let expected = labels.count * LogMel.windowSamples * 2
            guard pcm.count == expected else {
                throw DatasetError.truncated(path: pcmPath, expectedBytes: expected, gotBytes: pcm.count)
            }
            samples = pcm.withUnsafeBytes { raw in (0..<(expected / 2)).map { Int16(littleEndian: raw.load(fromByteOffset: 2 * $0, as: Int16.self)) } }
        }
        return SpeechCorpus(vocabulary: vocabulary, labels: labels, voices: voices, audio: samples)
    }

    /// The log-mel features of every utterance, [N][40][398] float32.
    public func features() -> [Float] {
        let extractor = LogMel(), size = LogMel.mels * LogMel.frames
        var out = [Float](repeating: 0, count: count * size)
        audio.withUnsafeBufferPointer { a in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<count {
                    extractor.compute(a.baseAddress! + i * LogMel.windowSamples, into: o.baseAddress! + i * size)
                }
            }
        }
        return out
    }
}

/// The test utterances as the model's input: their log-mel features, computed once when the set is loaded.
final class SpeechInference: InferenceData {
    let tensors: TensorQSL
    var qsl: any QuerySampleLibrary { tensors }
    var provider: (any SampleProvider)? { tensors }

    init(corpus: SpeechCorpus) {
        let size = LogMel.mels * LogMel.frames
        tensors = TensorQSL(name: "speech-flite", totalSampleCount: corpus.count,
                            inputs: [corpus.features().withUnsafeBytes { Array($0) }], inputByteCounts: [size * 4])
    }
}

/// Word error rate: the minimum number of substitutions, deletions and insertions (each costing 1) that turn each
/// hypothesis into its reference, summed over all utterances, over the total reference words (NIST sclite's and
/// jiwer's definition). Of the minimal alignments, the counts by kind follow the one found by walking back from the
/// end preferring a match, then a deletion, then a substitution, then an insertion (which gives jiwer's counts on
/// the tests' cases).
public enum WordErrorRate {
    public struct Result: Sendable, Equatable {
        public var rate: Double
        public var substitutions: Int
        public var deletions: Int
        public var insertions: Int
        public var referenceWords: Int
    }

    public static func compute<W: Equatable>(references: [[W]], hypotheses: [[W]]) -> Result {
        precondition(references.count == hypotheses.count, "one hypothesis per reference")
        var s = 0, d = 0, i = 0, words = 0
        for (ref, hyp) in zip(references, hypotheses) {
            let (ss, dd, ii) = align(ref, hyp)
            s += ss; d += dd; i += ii
            words += ref.count
        }
        return Result(rate: words > 0 ? Double(s + d + i) / Double(words) : 0, substitutions: s, deletions: d,
                      insertions: i, referenceWords: words)
    }

    /// (substitutions, deletions, insertions) of a minimal alignment of one pair.
    static func align<W: Equatable>(_ ref: [W], _ hyp: [W]) -> (Int, Int, Int) {
        let n = ref.count, m = hyp.count
        var cost = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        for r in 0...n { cost[r][0] = r }
        for h in 0...m { cost[0][h] = h }
        if n > 0 && m > 0 {
            for r in 1...n {
                for h in 1...m {
                    cost[r][h] = min(cost[r - 1][h - 1] + (ref[r - 1] == hyp[h - 1] ? 0 : 1),
                                     cost[r - 1][h] + 1, cost[r][h - 1] + 1)
                }
            }
        }
        var r = n, h = m, s = 0, d = 0, i = 0
        while r > 0 || h > 0 {
            if r > 0 && h > 0 && ref[r - 1] == hyp[h - 1] && cost[r][h] == cost[r - 1][h - 1] {
                r -= 1; h -= 1
            } else if r > 0 && cost[r][h] == cost[r - 1][h] + 1 {
                d += 1; r -= 1
            } else if r > 0 && h > 0 && cost[r][h] == cost[r - 1][h - 1] + 1 {
                s += 1; r -= 1; h -= 1
            } else {
                i += 1; h -= 1
            }
        }
        return (s, d, i)
    }
}
