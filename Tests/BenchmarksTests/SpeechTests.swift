import Foundation
import Serving
import TestSupport
import Testing
@testable import Benchmarks
@testable import Datasets

/// The speech pipeline's parts against independent implementations: log-mel features against the PyTorch
/// reference's numpy code, WER against jiwer, greedy CTC decoding against the reference's `greedy_decode`.
@Suite("speech: log-mel vs numpy, WER vs jiwer, greedy CTC vs the PyTorch reference")
struct SpeechTests {
    static let references = repositoryRoot.path + "/references/pytorch"
    static let oracle = repositoryRoot.path + "/references/oracles/speech_accuracy.py"

    @Test("log-mel features of the first 16 test utterances equal the reference's numpy rfft features")
    func logMelEqualsNumpy() throws {
        let directory = SpeechBenchmark.data.directory()
        let corpus = try SpeechCorpus.load(directory: directory, stem: "test", hint: SpeechBenchmark.data.missingHint)
        #expect(corpus.count == 400 && corpus.voices.allSatisfy { $0 == "rms" })
        let size = LogMel.mels * LogMel.frames
        let ours = Array(corpus.features().prefix(16 * size))
        let out = Scratch.file("logmel-python.f32")
        let r = try Subprocess.run(Python.project, [Self.oracle, "features", "--data-dir", directory, "--utterances", "16",
                                                    "--out", out])
        try #require(r.status == 0, "\(r.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        let theirs = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        try #require(theirs.count == ours.count)
        var worst = 0.0, at = 0
        for k in ours.indices {
            // Float32 DFT against float64 rfft: absolute error in ln(energy + 1e-6), largest near the floor.
            let diff = Double(abs(ours[k] - theirs[k]))
            if diff > worst { worst = diff; at = k }
        }
        #expect(worst < 2e-3, "largest difference \(worst) at \(at): ours \(ours[at]), numpy \(theirs[at])")
        #expect(ours.contains { $0 > 0 } && ours.contains { $0 < -10 }, "speech and near-silence frames both present")
    }

    /// Seeded word sequences with substitutions, deletions, insertions, empty references and empty hypotheses.
    static func makePairs(seed: UInt64) -> ([[String]], [[String]]) {
        var state = seed
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        let words = ["zero", "one", "two", "oh", "go", "stop", "left"]
        var refs: [[String]] = [], hyps: [[String]] = []
        for k in 0..<60 {
            let ref = (0..<(k % 10 == 0 ? 0 : 1 + next(7))).map { _ in words[next(words.count)] }
            var hyp: [String] = []
            for w in ref {
                switch next(10) {
                case 0: break                                            // deletion
                case 1: hyp.append(words[next(words.count)])             // substitution (maybe the same word)
                case 2: hyp += [w, words[next(words.count)]]             // insertion
                default: hyp.append(w)
                }
            }
            if k % 10 == 0 { hyp = (0..<next(3)).map { _ in words[next(words.count)] } }
            if k % 13 == 0 { hyp = [] }
            refs.append(ref)
            hyps.append(hyp)
        }
        return (refs, hyps)
    }

    @Test("WER and its substitution/deletion/insertion counts equal jiwer's on seeded pairs", arguments: [UInt64(1), 2, 3])
    func werEqualsJiwer(seed: UInt64) throws {
        let (refs, hyps) = Self.makePairs(seed: seed)
        // jiwer refuses empty references: score those pairs by hand (every hypothesis word is an insertion).
        let keep = refs.indices.filter { !refs[$0].isEmpty }
        let ours = WordErrorRate.compute(references: keep.map { refs[$0] }, hypotheses: keep.map { hyps[$0] })
        let path = Scratch.file("wer-\(seed).json")
        try JSONSerialization.data(withJSONObject: ["refs": keep.map { refs[$0].joined(separator: " ") },
                                                    "hyps": keep.map { hyps[$0].joined(separator: " ") }])
            .write(to: URL(fileURLWithPath: path))
        let out = try Python.run("""
        import json, sys, jiwer
        d = json.load(open(sys.argv[1]))
        o = jiwer.process_words(d["refs"], d["hyps"])
        print(json.dumps([o.wer, o.substitutions, o.deletions, o.insertions]))
        """, arguments: [path], interpreter: Python.project)
        let theirs = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [Double])
        #expect(abs(ours.rate - theirs[0]) < 1e-12, "WER ours \(ours.rate), jiwer \(theirs[0])")
        #expect([ours.substitutions, ours.deletions, ours.insertions].map(Double.init) == Array(theirs[1...]),
                "S/D/I ours \(ours), jiwer \(theirs)")
        #expect(ours.rate > 0.05 && ours.rate < 0.9)
        let empty = WordErrorRate.compute(references: [[String]()], hypotheses: [["go", "stop"]])
        #expect(empty.insertions == 2 && empty.referenceWords == 0 && empty.rate == 0)
    }

    @Test("greedy CTC decoding equals the reference's greedy_decode on seeded log-probabilities with ties")
    func greedyEqualsReference() throws {
        let frames = SpeechBenchmark.outputFrames, classes = SpeechBenchmark.classes
        var state: UInt64 = 7
        var values = [Float](repeating: 0, count: 8 * frames * classes)
        for k in values.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            // Few distinct values: argmax ties are common; class 0 (blank) often wins.
            values[k] = -Float((state >> 33) % 4) - (k % classes == 0 ? 0 : 0.5)
        }
        let post = CTCGreedyPostprocessor(frames: frames, classes: classes)
        var ours: [[Int]] = []
        for u in 0..<8 {
            var response = [UInt8](repeating: 0xEE, count: post.responseByteCount)
            values.withUnsafeBufferPointer { v in
                response.withUnsafeMutableBytes {
                    post.process(v.baseAddress! + u * frames * classes, count: frames * classes, into: $0.baseAddress!)
                }
            }
            ours.append(try #require(CTCGreedyPostprocessor.decode(response)))
            #expect(response[(4 + 4 * ours[u].count)...].allSatisfy { $0 == 0 })
        }
        let path = Scratch.file("ctc.f32")
        try values.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: path))
        let out = try Python.run("""
        import json, sys
        import numpy as np
        sys.path.insert(0, sys.argv[1])
        import train_speech as reference
        lp = np.fromfile(sys.argv[2], dtype=np.float32).reshape(8, int(sys.argv[3]), int(sys.argv[4]))
        print(json.dumps([reference.greedy_decode(x, np)[:32] for x in lp]))
        """, arguments: [Self.references, path, "\(frames)", "\(classes)"], interpreter: Python.project)
        let theirs = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[Int]])
        #expect(ours == theirs)
        #expect(ours.contains { $0.count > 3 })
    }

    @Test("bad responses decode to nil and count as empty hypotheses: a log of one undecodable response scores WER 1")
    func undecodableResponses() throws {
        let log = Scratch.file("speech-bad-log.json")
        try #"[{"seq_id": 0, "qsl_idx": 0, "data": "0100000063000000"}]"#.write(toFile: log, atomically: true, encoding: .utf8)
        let score = try #require(SpeechBenchmark.benchmark.scoreAccuracy)
        let report = try score(SpeechBenchmark.data.directory(), log, 0.3, nil)
        #expect(report.undecodable == 1 && report.missing == 399 && !report.passed)
        #expect(report.extras.first { $0.name == "WER" }?.value == 1.0, "\(report.extras)")
        #expect(report.value == 0)
    }

    @Test("bad responses decode to nil; the corpus reader names the file, the utterance and the word")
    func badInputs() throws {
        #expect(CTCGreedyPostprocessor.decode([1]) == nil)
        #expect(CTCGreedyPostprocessor.decode([33, 0, 0, 0] + [UInt8](repeating: 0, count: 200)) == nil)
        let dir = try Scratch.directory("speech-bad").path
        func load() -> String {
            do {
                _ = try SpeechCorpus.load(directory: dir, stem: "test", hint: "HINT")
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(load().contains(dir + "/test.json") && load().contains("HINT"))
        let head = #""sample_rate": 16000, "samples_per_utterance": 64000, "vocabulary": ["one", "two"]"#
        try "{\(head), \"utterances\": [{\"voice\": \"rms\", \"text\": \"one three\"}]}"
            .write(toFile: dir + "/test.json", atomically: true, encoding: .utf8)
        #expect(load().contains("utterances[0]") && load().contains("\"three\""), "\(load())")
        try "{\(head), \"utterances\": [{\"voice\": \"rms\", \"text\": \"one two\"}]}"
            .write(toFile: dir + "/test.json", atomically: true, encoding: .utf8)
        #expect(load().contains(dir + "/test.pcm"), "\(load())")
        try Data(count: 1000).write(to: URL(fileURLWithPath: dir + "/test.pcm"))
        #expect(load().contains("128000") && load().contains("1000"), "\(load())")
        try #"{"sample_rate": 8000, "samples_per_utterance": 64000, "vocabulary": [], "utterances": []}"#
            .write(toFile: dir + "/test.json", atomically: true, encoding: .utf8)
        #expect(load().contains("sample_rate 16000"), "\(load())")
    }
}
