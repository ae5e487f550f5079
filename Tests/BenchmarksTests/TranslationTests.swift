import Foundation
import LoadGen
import ONNXRuntime
import Serving
import TestSupport
import Testing
@testable import Benchmarks
@testable import Datasets

/// The translation pipeline's parts against independent implementations on the real test pairs: BLEU and its 13a
/// tokenisation against PyPI sacrebleu, the BPE encoder and decoder against PyPI tokenizers.
@Suite("translation: BLEU vs sacrebleu, BPE vs tokenizers, pair files")
struct TranslationTests {
    static let references = repositoryRoot.path + "/references/pytorch"

    static func testPairs() throws -> TranslationPairs {
        try TranslationPairs.load(directory: TranslationBenchmark.data.directory(), split: "test",
                                  hint: TranslationBenchmark.data.missingHint)
    }

    /// Seeded hypotheses from the German references: empty ones, exact ones, and ones with words dropped, repeated,
    /// swapped or borrowed from another reference, with the cases 13a treats specially mixed in (numbers with `.`,
    /// `,` and `-`, HTML entities, no-break spaces, a combining mark after a space, trailing newlines).
    static func hypotheses(for refs: [String], seed: UInt64) -> [String] {
        var state = seed
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        let specials = ["1,000.50", "3-4", "&amp; &quot;Text&quot;", "Ende.Anfang", "a\u{00A0}b", "x \u{0301}y",
                        "(Strg+C)", "z.B.", "5.", ",", "&lt;tag&gt;", "–", "\"Zitat\"", "Wert:1-2"]
        return refs.enumerated().map { k, ref in
            switch k % 9 {
            case 0: return ""
            case 1: return ref
            default:
                var words = ref.split(separator: " ").map(String.init)
                for _ in 0..<(1 + next(3)) where !words.isEmpty {
                    let i = next(words.count)
                    switch next(5) {
                    case 0: words.remove(at: i)
                    case 1: words.insert(words[i], at: i)
                    case 2: if i + 1 < words.count { words.swapAt(i, i + 1) }
                    case 3:
                        let other = refs[next(refs.count)].split(separator: " ")
                        if !other.isEmpty { words[i] = String(other[next(other.count)]) }
                    default: words.insert(specials[next(specials.count)], at: i)
                    }
                }
                return words.joined(separator: " ") + (k % 11 == 0 ? " \n" : "")
            }
        }
    }

    @Test("13a tokens of every test reference and seeded hypothesis, and corpus BLEU, equal sacrebleu's",
          arguments: [UInt64(1), 2])
    func bleuEqualsSacrebleu(seed: UInt64) throws {
        let pairs = try Self.testPairs().pairs
        let refs = pairs.map(\.de)
        let hyps = Self.hypotheses(for: refs, seed: seed)
        let path = Scratch.file("bleu-\(seed).json")
        try JSONSerialization.data(withJSONObject: ["refs": refs, "hyps": hyps]).write(to: URL(fileURLWithPath: path))
        let out = try Python.run("""
        import json, sys, sacrebleu
        from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a
        d = json.load(open(sys.argv[1]))
        tok = Tokenizer13a()
        b = sacrebleu.corpus_bleu(d["hyps"], [d["refs"]])
        print(json.dumps({"tokens": [tok(s.rstrip()).split() for s in d["hyps"] + d["refs"]], "score": b.score,
                          "counts": b.counts, "totals": b.totals, "sys_len": b.sys_len, "ref_len": b.ref_len,
                          "bp": b.bp, "version": sacrebleu.__version__}))
        """, arguments: [path], interpreter: Python.project)
        let theirs = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        let tokens = try #require(theirs["tokens"] as? [[String]])
        let segments = hyps + refs
        var differing = 0
        for (k, segment) in segments.enumerated() where BLEU.tokenize13a(BLEU.rstripped(segment)) != tokens[k] {
            if differing == 0 {
                let ours = BLEU.tokenize13a(BLEU.rstripped(segment))
                Issue.record("13a of \(segment.debugDescription): ours \(ours), sacrebleu \(tokens[k])")
            }
            differing += 1
        }
        #expect(differing == 0, "\(differing) of \(segments.count) segments tokenised differently")
        let ours = BLEU.corpus(hypotheses: hyps, references: refs)
        #expect(ours.matches == theirs["counts"] as? [Int] && ours.totals == theirs["totals"] as? [Int])
        #expect(ours.hypothesisLength == theirs["sys_len"] as? Int && ours.referenceLength == theirs["ref_len"] as? Int)
        let score = try #require(theirs["score"] as? Double)
        #expect(abs(ours.score - score) < 1e-9, "BLEU ours \(ours.score), sacrebleu \(score)")
        #expect(ours.score > 20 && ours.score < 95, "the perturbations leave a partial match: \(ours.score)")
    }

    @Test("BLEU edge cases: identical corpus 100, no hypothesis words 0, one-word hypotheses smoothed")
    func bleuEdges() {
        let refs = ["Das ist ein Test .", "Noch ein Satz"]
        #expect(abs(BLEU.corpus(hypotheses: refs, references: refs).score - 100) < 1e-9)
        let empty = BLEU.corpus(hypotheses: ["", ""], references: refs)
        #expect(empty.score == 0 && empty.brevityPenalty == 0)
        // sacrebleu.corpus_bleu(["Das", "Satz"], [refs]): counts [2,0,0,0], totals [2,0,0,0] → 0 (no 2-grams at all).
        let short = BLEU.corpus(hypotheses: ["Das", "Satz"], references: refs)
        #expect(short.matches == [2, 0, 0, 0] && short.totals == [2, 0, 0, 0] && short.score == 0)
    }

    @Test("BPE ids of every test pair and the decoded text of seeded id sequences equal tokenizers'")
    func subwordsEqualTokenizers() throws {
        let directory = TranslationBenchmark.data.directory()
        let tokenizerPath = Scratch.file("tokenizer.json")
        let pairs = try Self.testPairs().pairs
        let texts = pairs.flatMap { [$0.en, $0.de] } + ["<s>Start</s> mit  zwei  Leerzeichen ", " führend", "☃ unbekannt ☃"]
        let textsPath = Scratch.file("texts.json")
        try JSONSerialization.data(withJSONObject: texts).write(to: URL(fileURLWithPath: textsPath))
        let out = try Python.run("""
        import json, random, sys
        sys.path.insert(0, sys.argv[1])
        import train_translation as t
        tok = t.train_tokenizer(t.load_pairs(sys.argv[2], "train"))
        tok.save(sys.argv[3])
        texts = json.load(open(sys.argv[4]))
        rng = random.Random(5)
        seqs = [[rng.randrange(tok.get_vocab_size()) for _ in range(rng.randrange(0, 30))] for _ in range(500)]
        print(json.dumps({"ids": [tok.encode(s).ids for s in texts], "seqs": seqs,
                          "decoded": [tok.decode(s, skip_special_tokens=True) for s in seqs]}))
        """, arguments: [Self.references, directory, tokenizerPath, textsPath], interpreter: Python.project)
        let theirs = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        let ids = try #require(theirs["ids"] as? [[Int]])
        let tokenizer = try SubwordTokenizer(path: tokenizerPath)
        #expect(tokenizer.vocabularySize > 1000 && tokenizer.specialIDs == [0, 1, 2, 3])
        var differing = 0
        for (k, text) in texts.enumerated() where tokenizer.encode(text).map(Int.init) != ids[k] {
            if differing == 0 {
                Issue.record("\(text.debugDescription): ours \(tokenizer.encode(text)), tokenizers \(ids[k])")
            }
            differing += 1
        }
        #expect(differing == 0, "\(differing) of \(texts.count) texts encoded differently")
        let seqs = try #require(theirs["seqs"] as? [[Int]])
        let decoded = try #require(theirs["decoded"] as? [String])
        let mismatched = seqs.indices.filter { tokenizer.decode(seqs[$0].map(Int32.init)) != decoded[$0] }
        #expect(mismatched.isEmpty, "first: \(mismatched.first.map { "\(seqs[$0]) → \(decoded[$0].debugDescription)" } ?? "")")
        #expect(ids.last!.contains(Int(tokenizer.unknownID)), "an unseen character is <unk>")
    }

    @Test("a pair file with a bad line is one error naming the file and line; a missing one names the fix")
    func badPairFiles() throws {
        let dir = try Scratch.directory("pairs")
        let good = #"{"file": "text/a.html", "id": "p1", "en": "One two three", "de": "Eins zwei drei"}"#
        try (good + "\n" + #"{"file": "x", "en": "no id"}"# + "\n").write(to: dir.appendingPathComponent("test.jsonl"),
                                                                         atomically: true, encoding: .utf8)
        #expect {
            _ = try TranslationPairs.load(directory: dir.path, split: "test", hint: "h")
        } throws: { "\($0)".contains("test.jsonl:2") && "\($0)".contains("file, id, en, de") }
        #expect {
            _ = try TranslationPairs.load(directory: dir.path, split: "train", hint: "run setup")
        } throws: { "\($0)".contains("train.jsonl") && "\($0)".contains("run setup") }
        try (good + "\n").write(to: dir.appendingPathComponent("train.jsonl"), atomically: true, encoding: .utf8)
        #expect(try TranslationPairs.load(directory: dir.path, split: "train", hint: "").pairs.count == 1)
    }

    @Test("the data set: real pairs, split by help page")
    func dataSet() throws {
        let dir = TranslationBenchmark.data.directory()
        let train = try TranslationPairs.load(directory: dir, split: "train", hint: "")
        let test = try Self.testPairs()
        #expect(train.pairs.count > 20_000 && test.pairs.count > 1_000)
        #expect(Set(train.pairs.map(\.file)).isDisjoint(with: Set(test.pairs.map(\.file))))
        #expect(Set(train.pairs.map(\.en)).isDisjoint(with: Set(test.pairs.map(\.en))))
        #expect(test.pairs.allSatisfy { (3...40).contains($0.en.split(separator: " ").count) && $0.en != $0.de })
    }
}

/// The Swift greedy decoder over ONNX Runtime against the same loop in Python (onnxruntime, numpy argmax) on a model
/// the PyTorch reference trains briefly and exports.
@Suite("translation: Swift greedy decoding vs Python's over the exported model")
struct TranslationDecodingTests {
    /// A model the reference trains for one short epoch (1,500 pairs) and exports, once per test process.
    static let trained: Result<String, Error> = Result {
        let dir = try Scratch.directory("translation-model")
        let model = dir.appendingPathComponent("model.onnx").path
        let train = try Subprocess.run(Python.project, [
            TranslationTests.references + "/train_translation.py", "--seed", "3", "--train-limit", "1500",
            "--eval-limit", "10", "--max-epochs", "1", "--target", "99", "--onnx-out", model])
        guard train.status == 0 else { throw TestFailure("train_translation.py failed: \(train.stderr)") }
        return model
    }

    static func translator(_ model: String, _ tokenizer: SubwordTokenizer) throws -> TranslationModel {
        try TranslationModel(runtime: try ORTRuntime(environment: ProcessInfo.processInfo.environment), modelPath: model,
                             options: ORTSessionOptions(intraOpThreads: 1), bos: tokenizer.id(of: "<s>")!,
                             eos: tokenizer.id(of: "</s>")!, pad: tokenizer.id(of: "<pad>")!)
    }

    @Test("the first 40 test pairs: the same output ids and the same German text")
    func greedyEqualsPython() throws {
        let model = try Self.trained.get()
        let pairs = Array(try TranslationTests.testPairs().pairs.prefix(40))
        let textsPath = Scratch.file("sources.json")
        try JSONSerialization.data(withJSONObject: pairs.map(\.en)).write(to: URL(fileURLWithPath: textsPath))
        let out = try Python.run("""
        import json, sys
        import numpy as np, onnxruntime
        from tokenizers import Tokenizer
        stem = sys.argv[1][:-5]
        tok = Tokenizer.from_file(stem + ".tokenizer.json")
        opts = onnxruntime.SessionOptions(); opts.intra_op_num_threads = 1
        enc = onnxruntime.InferenceSession(sys.argv[1], opts, providers=["CPUExecutionProvider"])
        dec = onnxruntime.InferenceSession(stem + ".decoder.onnx", opts, providers=["CPUExecutionProvider"])
        bos, eos, pad = tok.token_to_id("<s>"), tok.token_to_id("</s>"), tok.token_to_id("<pad>")
        results = []
        for text in json.load(open(sys.argv[2])):
            src = np.array([tok.encode(text).ids[:96]], dtype=np.int64)
            memory = enc.run(None, {"src": src})[0]
            tgt, out = [bos], []
            for _ in range(2 * src.shape[1] + 10):
                logits = dec.run(None, {"memory": memory, "src": src, "tgt": np.array([tgt], dtype=np.int64)})[0]
                if len(tgt) == 1:  # at least one token before EOS
                    logits[0, eos] = logits[0, pad] = -np.inf
                best = int(np.argmax(logits[0]))
                if best in (eos, pad):
                    break
                out.append(best); tgt.append(best)
            results.append({"ids": out, "text": tok.decode(out, skip_special_tokens=True)})
        print(json.dumps(results))
        """, arguments: [model, textsPath], interpreter: Python.project)
        let theirs = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]])
        let tokenizer = try SubwordTokenizer(path: TranslationModel.tokenizerPath(forModel: model))
        let translator = try Self.translator(model, tokenizer)
        var firstTokens = 0, nonEmpty = 0
        for (k, pair) in pairs.enumerated() {
            let ids = try translator.translate(tokenizer.encode(pair.en)) { firstTokens += 1 }
            #expect(ids.map(Int.init) == theirs[k]["ids"] as? [Int], "pair \(k): \(pair.en)")
            #expect(tokenizer.decode(ids) == theirs[k]["text"] as? String)
            if !ids.isEmpty { nonEmpty += 1 }
        }
        #expect(firstTokens == pairs.count && nonEmpty == pairs.count, "\(nonEmpty) non-empty translations (at least one token before EOS)")
    }

    @Test("GenerativeSUT serves the translator: accuracy log = direct translations; VALID runs with token latencies",
          arguments: [TestScenario.singleStream, .multiStream, .server, .offline])
    func servedInEveryScenario(scenario: TestScenario) throws {
        let model = try Self.trained.get()
        let tokenizer = try SubwordTokenizer(path: TranslationModel.tokenizerPath(forModel: model))
        let pairs = TranslationPairs(pairs: Array(try TranslationTests.testPairs().pairs.prefix(48)))
        let qsl = TranslationInference(pairs: pairs, tokenizer: tokenizer)
        let queued = scenario == .server || scenario == .offline
        func sut() throws -> GenerativeSUT {
            GenerativeSUT(generators: [qsl.generator(model: try Self.translator(model, tokenizer))], queued: queued,
                          name: "translation-\(scenario.rawValue)")
        }
        var settings = TestSettings()
        settings.scenario = scenario
        // Short runs: 64 queries, judged at the 90th percentile (early stopping then needs 64, not 662).
        settings.minDurationMs = 300
        settings.minQueryCount = 64
        settings.singleStreamExpectedLatencyNs = 20_000_000
        settings.multiStreamExpectedLatencyNs = 80_000_000
        settings.multiStreamSamplesPerQuery = 2
        settings.multiStreamTargetLatencyPercentile = 0.9
        settings.serverTargetQPS = 5
        settings.serverTargetLatencyNs = 2_000_000_000
        settings.serverTargetLatencyPercentile = 0.9
        settings.offlineExpectedQPS = 50
        settings.useTokenLatencies = scenario == .server  // MLPerf's LLM Server rule: TTFT and TPOT bounds
        settings.serverTTFTLatency = 2_000_000_000
        settings.serverTPOTLatency = 500_000_000

        settings.mode = .accuracyOnly
        let accuracyOut = try Scratch.directory("translation-accuracy")
        let served = try sut()
        _ = try LoadGen.run(sut: served, qsl: qsl, settings: settings,
                            options: RunOptions(log: LogSettings(outputDirectory: accuracyOut.path)))
        served.shutdown()
        let log = try JSONSerialization.jsonObject(with: Data(contentsOf: accuracyOut.appendingPathComponent(
            "mlperf_log_accuracy.json"))) as? [[String: Any]] ?? []
        #expect(Set(log.compactMap { $0["qsl_idx"] as? Int }) == Set(0..<pairs.pairs.count))
        let direct = try Self.translator(model, tokenizer)
        for entry in log {
            let k = try #require(entry["qsl_idx"] as? Int)
            let hex = Array((entry["data"] as? String ?? "").utf8)
            var bytes: [UInt8] = []
            for i in Swift.stride(from: 0, to: hex.count - 1, by: 2) {
                bytes.append(UInt8(String(decoding: hex[i...(i + 1)], as: UTF8.self), radix: 16)!)
            }
            let ids = bytes.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }.map { Int32(littleEndian: $0) }
            #expect(ids == (try direct.translate(qsl.sources[k])), "sample \(k)")
        }

        settings.mode = .performanceOnly
        let performanceOut = try Scratch.directory("translation-performance")
        let timed = try sut()
        let result = try LoadGen.run(sut: timed, qsl: qsl, settings: settings,
                                     options: RunOptions(log: LogSettings(outputDirectory: performanceOut.path)))
        timed.shutdown()
        #expect(timed.firstError == nil)
        #expect(result.isValid, "\(result.summaryText ?? "")")
        #expect(timed.tokensGenerated > timed.statistics.samples, "more than one token a sample")
    }
}
