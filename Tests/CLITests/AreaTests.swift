import Foundation
import TestSupport
import Testing

/// The recommendation (ncf), sentiment and detection areas end to end through the built `mlperf`: models from both reference
/// implementations served by ORT under LoadGen, scored by our metric and by the independent Python oracles.
@Suite("ncf, sentiment, object-detection, text-detection and speech through mlperf run and mlperf accuracy", .serialized)
struct AreaTests {
    static let root = FileManager.default.currentDirectoryPath
    static let references = root + "/references/pytorch"

    /// The last `eval_accuracy` a trainer logged.
    func lastEval(_ log: String) -> Double? {
        log.split(separator: "\n").filter { $0.contains("\"key\": \"eval_accuracy\"") }.last.flatMap { line in
            let json = line.dropFirst(":::MLLOG ".count)
            let obj = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
            return (obj?["value"] as? NSNumber)?.doubleValue
        }
    }

    /// Trains with a PyTorch reference (seed 3, `trainArgs`) into `model`, serves it in an Offline accuracy run, scores
    /// the log with `mlperf accuracy` (against the trainer's own figure) and with the oracle's `score`.
    /// - Returns: the trainer's last eval, the log, our accuracy.json and the oracle's JSON.
    func trainServeAndScore(_ bench: String, trainer: String, _ trainArgs: [String], model: String, oracle: String,
                            dir: String) throws -> (Double, String, [String: Any], [String: Any]) {
        let train = try Subprocess.run(Python.project, [Self.references + "/" + trainer, "--seed", "3"] + trainArgs
                                       + ["--onnx-out", model])
        try #require(train.status == 0, "\(train.stderr)")
        let trained = try #require(lastEval(train.stdout))
        let run = try CLI.run(["run", bench, "--scenario", "Offline", "--mode", "accuracy", "--model", model,
                               "--out", dir + "/acc", "--quiet"])
        try #require(run.status == 0, "\(run.stderr)")
        let log = dir + "/acc/mlperf_log_accuracy.json"
        let acc = try CLI.run(["accuracy", bench, log, "--reference-accuracy", "\(trained)"])
        #expect(acc.status == 0, "\(acc.stdout)\(acc.stderr)")
        let py = try Subprocess.run(Python.project, [Self.root + "/references/oracles/" + oracle, "score", log, "--data-dir",
                                                     Self.root + "/data/generated/" + bench])
        try #require(py.status == 0, "\(py.stderr)")
        let theirs = try #require(try JSONSerialization.jsonObject(with: Data(py.stdout.utf8)) as? [String: Any])
        return (trained, log, try json(dir + "/acc/accuracy.json"), theirs)
    }

    func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    @Test("PyTorch-trained models: the accuracy run's HR@10 / accuracy equals the Python oracle's and the trainer's",
          arguments: [("ncf", "train_ncf.py", "ncf_accuracy.py", "hr@10"),
                      ("sentiment", "train_sentiment.py", "sentiment_accuracy.py", "accuracy")])
    func pytorchModel(_ bench: String, _ trainer: String, _ oracle: String, _ key: String) throws {
        let dir = try Scratch.directory("area-\(bench)").path
        let model = dir + "/\(bench).onnx"
        let train = try Subprocess.run(Python.project, [Self.references + "/" + trainer, "--seed", "3", "--max-epochs", "1",
                                                        "--onnx-out", model])
        try #require(train.status == 0, "\(train.stderr)")
        let trained = try #require(lastEval(train.stdout))
        let run = try CLI.run([bench, "--scenario", "Offline", "--mode", "accuracy", "--model", model,
                               "--out", dir + "/acc", "--quiet"].prepending("run"))
        try #require(run.status == 0, "\(run.stderr)")
        let log = dir + "/acc/mlperf_log_accuracy.json"
        let acc = try CLI.run(["accuracy", bench, log, "--reference-accuracy", "\(trained)"])
        #expect(acc.status == 0, "\(acc.stdout)\(acc.stderr)")
        let ours = try json(dir + "/acc/accuracy.json")
        let py = try Subprocess.run(Python.project, [Self.references + "/" + oracle, log])
        try #require(py.status == 0, "\(py.stderr)")
        let theirs = try #require(try JSONSerialization.jsonObject(with: Data(py.stdout.utf8)) as? [String: Any])
        let value = try #require(ours["value"] as? Double)
        #expect(value == theirs[key] as? Double, "ours \(value), oracle \(theirs)")
        if bench == "ncf" {
            #expect(abs((ours["NDCG@10"] as? Double ?? -1) - (theirs["ndcg@10"] as? Double ?? -2)) < 1e-12)
            #expect(ours["total"] as? Int == 671)
        } else {
            #expect(ours["total"] as? Int == 1000 && ours["good"] as? Int == theirs["good"] as? Int)
        }
        // ORT's scores of the exported model give the trainer's own figure (a rare float tie may move one sample).
        #expect(abs(value - trained) <= 1.5 / Double(bench == "ncf" ? 671 : 1000), "served \(value), trained \(trained)")
    }

    @Test("Swift-trained models (mlperf suite --train-only): the served ONNX export scores what the Swift trainer logged")
    func swiftModels() throws {
        let dir = try Scratch.directory("area-swift").path
        let train = try CLI.run(["suite", "--train-only", "--benchmarks", "ncf,sentiment"], in: dir)
        try #require(train.status == 0, "\(train.stdout)\(train.stderr)")
        for bench in ["ncf", "sentiment"] {
            let meta = try json(dir + "/out/suite/model/\(bench).json")
            #expect(meta["implementation"] as? String == "swift")
            let trained = try #require(meta["accuracy"] as? Double)
            let run = try CLI.run(["run", bench, "--scenario", "Offline", "--mode", "accuracy", "--quiet"], in: dir)
            try #require(run.status == 0, "\(run.stderr)")
            let acc = try CLI.run(["accuracy", bench, "out/run/\(bench)/Offline-accuracy/mlperf_log_accuracy.json",
                                   "--reference-accuracy", "\(trained)"], in: dir)
            #expect(acc.status == 0, "\(acc.stdout)")
            let served = try #require(try json(dir + "/out/run/\(bench)/Offline-accuracy/accuracy.json")["value"] as? Double)
            #expect(abs(served - trained) <= 1.5 / Double(bench == "ncf" ? 671 : 1000), "\(bench): served \(served), trained \(trained)")
        }
        // Every scenario serves the int64 multi-input model (short runs: the samples are answered; validity is the suite's).
        for scenario in ["SingleStream", "MultiStream", "Server", "Offline"] {
            let r = try CLI.run(["run", "ncf", "--scenario", scenario, "--duration-ms", "300", "--quiet",
                                 "--out", "perf-\(scenario)"], in: dir)
            #expect(r.status == 0 || r.status == 1, "\(scenario): \(r.stderr)")
            let results = try json(dir + "/perf-\(scenario)/results.json")
            #expect(results["metric"] != nil, "\(scenario): \(results)")
            #expect(!(try String(contentsOfFile: dir + "/perf-\(scenario)/serving.json", encoding: .utf8)).contains("inference_error"))
        }
    }

    @Test("text-detection: the real PP-OCRv4 detector + our DB post-processing: boxes equal an independent scipy pipeline's, P/R/F1 equal the oracle's")
    func textDetection() throws {
        let dir = try Scratch.directory("area-text").path
        let run = try CLI.run(["run", "text-detection", "--scenario", "Offline", "--mode", "accuracy", "--out", dir + "/acc",
                               "--quiet"])
        try #require(run.status == 0, "\(run.stderr)")
        let log = dir + "/acc/mlperf_log_accuracy.json"
        let acc = try CLI.run(["accuracy", "text-detection", log])
        #expect(acc.status == 0, "\(acc.stdout)\(acc.stderr)")
        let ours = try json(dir + "/acc/accuracy.json")
        let data = Self.root + "/data/generated/text-detection"
        let oracle = Self.root + "/references/oracles/text_detection_accuracy.py"
        let py = try Subprocess.run(Python.project, [oracle, "score", log, "--data-dir", data])
        try #require(py.status == 0, "\(py.stderr)")
        let theirs = try #require(try JSONSerialization.jsonObject(with: Data(py.stdout.utf8)) as? [String: Any])
        #expect(ours["value"] as? Double == theirs["f1"] as? Double, "ours \(ours), oracle \(theirs)")
        #expect(ours["precision"] as? Double == theirs["precision"] as? Double)
        #expect(ours["recall"] as? Double == theirs["recall"] as? Double)
        #expect(ours["good"] as? Int == theirs["tp"] as? Int)
        #expect((ours["value"] as? Double ?? 0) > 0.95, "the real detector finds the rendered words")
        // The DB post-processing, box for box, against scipy's connected components on ORT's map (first 8 images).
        let boxes = try Subprocess.run(Python.project, [oracle, "boxes", Self.root + "/data/models/ch_PP-OCRv4_det_infer.onnx",
                                                        "--data-dir", data, "--images", "8"])
        try #require(boxes.status == 0, "\(boxes.stderr)")
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(boxes.stdout.utf8)) as? [[[Double]]])
        let responses = try LoggedResponses.words(log: log)
        for (i, want) in reference.enumerated() {
            let words = try #require(responses[i])
            let n = Int(Int32(bitPattern: words[0]))
            #expect(n == want.count, "image \(i): \(n) boxes, scipy \(want.count)")
            for k in 0..<min(n, want.count) {
                let got = (0..<5).map { Double(Float(bitPattern: words[1 + 5 * k + $0])) }
                for c in 0..<5 { #expect(abs(got[c] - want[k][c]) < 1e-3, "image \(i) box \(k): \(got) vs \(want[k])") }
            }
        }
    }

    @Test("object-detection: a PyTorch-trained CenterNet served with our post-processing: mAP equals pycocotools' and the trainer's, detections equal the reference decode's, all four scenarios serve it")
    func objectDetection() throws {
        let dir = try Scratch.directory("area-detection").path
        let model = dir + "/od.onnx"
        let (trained, log, ours, theirs) = try trainServeAndScore(
            "object-detection", trainer: "train_object_detection.py", ["--max-epochs", "2", "--train-limit", "96"],
            model: model, oracle: "detection_accuracy.py", dir: dir)
        let data = Self.root + "/data/generated/object-detection"
        let oracle = Self.root + "/references/oracles/detection_accuracy.py"
        let value = try #require(ours["value"] as? Double)
        #expect(abs(value - (theirs["map50"] as? Double ?? -1)) < 1e-4, "mAP@0.5 ours \(value), pycocotools \(theirs)")
        #expect(abs((ours["mAP@[.5:.95]"] as? Double ?? -2) - (theirs["map"] as? Double ?? -1)) < 1e-4, "\(ours)")
        #expect(abs((ours["mAP@0.75"] as? Double ?? -2) - (theirs["map75"] as? Double ?? -1)) < 1e-4, "\(ours)")
        #expect(ours["total"] as? Int == 500)
        // The trainer's last eval is pycocotools on its own numpy decode of torch's maps.
        #expect(abs(value - trained) < 2e-3, "served \(value), trained \(trained)")
        // Detection for detection, against ORT + the reference decode (first 8 scenes).
        let dets = try Subprocess.run(Python.project, [oracle, "detect", model, "--data-dir", data, "--images", "8"])
        try #require(dets.status == 0, "\(dets.stderr)")
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(dets.stdout.utf8)) as? [[[Double]]])
        let responses = try LoggedResponses.words(log: log)
        for (i, want) in reference.enumerated() {
            let words = try #require(responses[i])
            let n = Int(Int32(bitPattern: words[0]))
            // Rows of x0, y0, x1, y1, score (float32) and class (int32), from the documented layout.
            let got = (0..<n).map { k in
                (0..<5).map { Double(Float(bitPattern: words[1 + 6 * k + $0])) } + [Double(Int32(bitPattern: words[6 + 6 * k]))]
            }
            #expect(got.count == want.count, "scene \(i): \(got.count) detections, reference \(want.count)")
            for (k, (a, b)) in zip(got, want).enumerated() where zip(a, b).contains(where: { abs($0 - $1) > 1e-3 }) {
                Issue.record("scene \(i) detection \(k): ours \(a), reference \(b)")
            }
        }
        for scenario in ["SingleStream", "MultiStream", "Server"] {
            let r = try CLI.run(["run", "object-detection", "--scenario", scenario, "--model", model, "--duration-ms", "300",
                                 "--quiet", "--out", dir + "/perf-\(scenario)"])
            #expect(r.status == 0 || r.status == 1, "\(scenario): \(r.stderr)")
            #expect(try json(dir + "/perf-\(scenario)/results.json")["metric"] != nil)
        }
        // bench inference serves it on both sides (the reference SUT post-processes with the reference's decode).
        let bench = try CLI.run(["bench", "inference", "--benchmark", "object-detection", "--model", model, "--scenarios",
                                 "SingleStream", "--duration-ms", "300", "--min-query-count", "50", "--repeats", "1",
                                 "--out", dir + "/bench"])
        #expect(bench.status == 0, "\(bench.stdout)\(bench.stderr)")
        #expect(bench.stdout.contains("object-detection SingleStream"), "\(bench.stdout)")
    }

    @Test("speech: a PyTorch-trained CTC model served with our log-mel and greedy decoding: WER equals jiwer's and the trainer's, words equal the reference pipeline's, all four scenarios serve it")
    func speech() throws {
        let dir = try Scratch.directory("area-speech").path
        let model = dir + "/speech.onnx"
        let (trained, log, ours, theirs) = try trainServeAndScore(
            "speech", trainer: "train_speech.py", ["--max-epochs", "3", "--train-limit", "800"], model: model,
            oracle: "speech_accuracy.py", dir: dir)
        #expect(trained < 1, "3 epochs on 800 utterances get past all-blank output: WER \(trained)")
        let data = Self.root + "/data/generated/speech"
        let oracle = Self.root + "/references/oracles/speech_accuracy.py"
        let wer = try #require(ours["WER"] as? Double)
        #expect(abs(wer - (theirs["wer"] as? Double ?? -1)) < 1e-12, "WER ours \(wer), jiwer \(theirs)")
        #expect(ours["total"] as? Int == 400)
        // The trainer's last eval is its own WER over its numpy features and torch's outputs.
        #expect(abs(wer - trained) < 0.01, "served \(wer), trained \(trained)")
        let words = try Subprocess.run(Python.project, [oracle, "decode", model, "--data-dir", data, "--utterances", "16"])
        try #require(words.status == 0, "\(words.stderr)")
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(words.stdout.utf8)) as? [[Int]])
        let responses = try LoggedResponses.words(log: log)
        var differing = 0
        for (i, want) in reference.enumerated() {
            let words = try #require(responses[i])
            let got = (0..<Int(words[0])).map { Int(words[1 + $0]) }
            if got != want { differing += 1 }
        }
        // Float32 features against float64 ones may move an argmax on a near tie in a rare frame.
        #expect(differing <= 1, "\(differing) of 16 utterances decode differently from the reference pipeline")
        for scenario in ["SingleStream", "MultiStream", "Server"] {
            let r = try CLI.run(["run", "speech", "--scenario", scenario, "--model", model, "--duration-ms", "300",
                                 "--quiet", "--out", dir + "/perf-\(scenario)"])
            #expect(r.status == 0 || r.status == 1, "\(scenario): \(r.stderr)")
            #expect(try json(dir + "/perf-\(scenario)/results.json")["metric"] != nil)
        }
    }

    @Test("translation: a PyTorch-trained Transformer served by greedy decoding in Swift: BLEU equals sacrebleu's over the log decoded by tokenizers, and the trainer's; all four scenarios serve it, Server on token latencies")
    func translation() throws {
        let dir = try Scratch.directory("area-translation").path
        // The first 200 test pairs, so that greedy decoding of a briefly trained model stays short.
        let data = dir + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let lines = try String(contentsOfFile: Self.root + "/data/generated/translation/test.jsonl", encoding: .utf8)
            .split(separator: "\n").prefix(200)
        try (lines.joined(separator: "\n") + "\n").write(toFile: data + "/test.jsonl", atomically: true, encoding: .utf8)
        let model = dir + "/translation.onnx"
        let train = try Subprocess.run(Python.project, [Self.references + "/train_translation.py", "--seed", "3",
                                                        "--train-limit", "6000", "--eval-limit", "200", "--max-epochs", "1",
                                                        "--target", "99", "--onnx-out", model])
        try #require(train.status == 0, "\(train.stderr)")
        let trained = try #require(lastEval(train.stdout))
        #expect(trained > 0, "a quarter of an epoch gets past empty output: BLEU \(trained)")
        let run = try CLI.run(["run", "translation", "--scenario", "Offline", "--mode", "accuracy", "--model", model,
                               "--data-dir", data, "--out", dir + "/acc", "--quiet"])
        try #require(run.status == 0, "\(run.stderr)")
        let log = dir + "/acc/mlperf_log_accuracy.json"
        let acc = try CLI.run(["accuracy", "translation", log, "--model", model, "--data-dir", data,
                               "--reference-accuracy", "\(trained)"])
        #expect(acc.status == 0, "\(acc.stdout)\(acc.stderr)")
        let ours = try json(dir + "/acc/accuracy.json")
        let py = try Subprocess.run(Python.project, [Self.root + "/references/oracles/translation_accuracy.py", "score", log,
                                                     "--model", model, "--data-dir", data])
        try #require(py.status == 0, "\(py.stderr)")
        let theirs = try #require(try JSONSerialization.jsonObject(with: Data(py.stdout.utf8)) as? [String: Any])
        let bleu = try #require(ours["value"] as? Double)
        #expect(abs(bleu - (theirs["bleu"] as? Double ?? -1)) < 1e-9, "ours \(bleu), sacrebleu \(theirs)")
        #expect(ours["total"] as? Int == 200 && theirs["responses"] as? Int == 200)
        #expect(theirs["sys_len"] as? Int ?? 0 > 500, "the hypotheses have words: \(theirs)")
        #expect(ours["metric"] as? String == "BLEU")
        // The trainer decodes greedily in torch with a key/value cache; ORT's full recomputation can differ on a rare
        // near tie of two logits.
        #expect(abs(bleu - trained) < 0.5, "served \(bleu), trained \(trained)")
        // Without the model, the ids cannot be decoded: one clear error.
        let noModel = try CLI.run(["accuracy", "translation", log, "--data-dir", data, "--model", dir + "/none.onnx"])
        #expect(noModel.status != 0 && noModel.stderr.contains("none.tokenizer.json"), "\(noModel.stderr)")

        for scenario in ["SingleStream", "MultiStream", "Server", "Offline"] {
            var args = ["run", "translation", "--scenario", scenario, "--model", model, "--data-dir", data,
                        "--duration-ms", "300", "--quiet", "--out", dir + "/perf-\(scenario)"]
            if scenario == "Server" { args += ["--min-query-count", "64"] }
            let r = try CLI.run(args)
            #expect(r.status == 0 || r.status == 1, "\(scenario): \(r.stderr)")
            let serving = try json(dir + "/perf-\(scenario)/serving.json")
            let samples = try #require(serving["samples_per_second"] as? Double, "\(scenario): \(serving)")
            let tokens = try #require(serving["tokens_per_second"] as? Double)
            #expect(samples > 0 && tokens > samples, "\(scenario): \(samples) samples/s, \(tokens) tokens/s")
            #expect(serving["token_latencies"] as? Bool == (scenario == "Server"), "\(scenario)")
            let results = try json(dir + "/perf-\(scenario)/results.json")
            if scenario == "Server" {
                let text = String(describing: results)
                #expect(text.contains("ttft_ns") && text.contains("tpot_ns"), "\(text.prefix(2000))")
            }
        }
        // A user.conf's token bounds replace the benchmark's (its token latencies are on before the conf applies).
        try "translation.Server.ttft_latency = 2500\n".write(toFile: dir + "/user.conf", atomically: true, encoding: .utf8)
        let conf = try CLI.run(["run", "translation", "--scenario", "Server", "--model", model, "--data-dir", data,
                                "--conf", dir + "/user.conf", "--duration-ms", "300", "--min-query-count", "32",
                                "--quiet", "--out", dir + "/perf-conf"])
        #expect(conf.status == 0 || conf.status == 1, "\(conf.stderr)")
        let rules = String(describing: try json(dir + "/perf-conf/results.json")["rules"] ?? "")
        #expect(rules.contains("TTFT ≤ 2500000000 ns, TPOT ≤ 20000000 ns"), "\(rules)")
        let batch = try CLI.run(["run", "translation", "--scenario", "Offline", "--model", model, "--batch", "8"])
        #expect(batch.status != 0 && batch.stderr.contains("--batch"), "\(batch.stderr)")
        // Not a tensor model: KServe v2 and bench inference refuse it with the reason.
        let network = try CLI.run(["run", "translation", "--scenario", "Offline", "--model", model, "--data-dir", data,
                                   "--sut", "kserve-v2:http://127.0.0.1:9/translation"])
        #expect(network.status != 0 && network.stderr.contains("generative benchmark"), "\(network.stderr)")
    }

    @Test("go: a network trained by bootstrap + one self-play generation, served as policy argmax: move agreement equals the oracle's (labels from the game file, no rules) and the trainer's; the win rate against GnuGo is reported; all four scenarios serve it")
    func go() throws {
        let dir = try Scratch.directory("area-go").path
        let model = dir + "/go.onnx"
        let (trained, log, ours, theirs) = try trainServeAndScore(
            "go", trainer: "train_go.py", ["--max-epochs", "2", "--target", "2", "--train-limit", "3000",
                                           "--games-per-generation", "4", "--versus-games", "4"],
            model: model, oracle: "go_accuracy.py", dir: dir)
        let value = try #require(ours["value"] as? Double)
        #expect(value == theirs["agreement"] as? Double, "ours \(value), oracle \(theirs)")
        #expect(ours["total"] as? Int == theirs["positions"] as? Int && ours["good"] as? Int == theirs["agreeing"] as? Int,
                "\(ours) \(theirs)")
        #expect(value > 0.1, "3,000 GnuGo positions teach more than chance (1/82): \(value)")
        // torch's eval and ORT's served argmax agree but for a rare float tie.
        #expect(abs(value - trained) <= 2.0 / Double(theirs["positions"] as? Int ?? 1), "served \(value), trained \(trained)")
        #expect(ours["metric"] as? String == "top-1 move agreement")
        // The trainer's games against GnuGo (after run_stop) reach the report beside the model.
        let versus = try json(dir + "/go.versus.json")
        #expect(versus["games"] as? Int == 4 && (versus["results"] as? [Any])?.count == 4, "\(versus)")
        let acc = try CLI.run(["accuracy", "go", log, "--model", model, "--reference-accuracy", "\(trained)"])
        #expect(acc.status == 0 && acc.stdout.contains("win_rate_vs_gnugo_level0"), "\(acc.stdout)\(acc.stderr)")
        let withModel = try json(dir + "/acc/accuracy.json")
        #expect(withModel["win_rate_vs_gnugo_level0"] as? Double == (versus["win_rate"] as? Double), "\(withModel)")
        #expect(withModel["versus_games"] as? Double == 4, "\(withModel)")
        try "{\"games\": 0}".write(toFile: dir + "/bad.versus.json", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: model, toPath: dir + "/bad.onnx")
        let bad = try CLI.run(["accuracy", "go", log, "--model", dir + "/bad.onnx"])
        #expect(bad.status != 0 && bad.stderr.contains("bad.versus.json"), "\(bad.stderr)")
        // Its sibling: more wins than games.
        try "{\"games\": 4, \"wins\": 5, \"gnugo_level\": 0}".write(toFile: dir + "/bad.versus.json", atomically: true, encoding: .utf8)
        let tooMany = try CLI.run(["accuracy", "go", log, "--model", dir + "/bad.onnx"])
        #expect(tooMany.status != 0 && tooMany.stderr.contains("wins (0 to games)"), "\(tooMany.stderr)")
        for scenario in ["SingleStream", "MultiStream", "Server"] {
            let r = try CLI.run(["run", "go", "--scenario", scenario, "--model", model, "--duration-ms", "300",
                                 "--quiet", "--out", dir + "/perf-\(scenario)"])
            #expect(r.status == 0 || r.status == 1, "\(scenario): \(r.stderr)")
            #expect(try json(dir + "/perf-\(scenario)/results.json")["metric"] != nil)
        }
    }

    @Test("bad inputs: a model with other tensors, a missing vocabulary, a corrupt accuracy log — one clear error each")
    func badInputs() throws {
        let dir = try Scratch.directory("area-bad").path
        // A float image classifier offered as the ncf model.
        try Python.run("""
        import sys, numpy as np, onnx
        from onnx import helper, numpy_helper, TensorProto
        W = numpy_helper.from_array(np.zeros((4, 2), dtype=np.float32), "W")
        g = helper.make_graph([helper.make_node("MatMul", ["input", "W"], ["logits"])], "m",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 4])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 2])], [W])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]); m.ir_version = 8
        onnx.save(m, sys.argv[1])
        """, arguments: [dir + "/other.onnx"], interpreter: Python.project)
        let wrong = try CLI.run(["run", "ncf", "--scenario", "Offline", "--model", dir + "/other.onnx"])
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("user") && wrong.stderr.contains("input"), "\(wrong.stderr)")
        let noVocab = try CLI.run(["run", "sentiment", "--scenario", "Offline", "--model", dir + "/other.onnx"])
        #expect(noVocab.status != 0)
        #expect(noVocab.stderr.contains("tokens") || noVocab.stderr.contains("other.vocab.json"), "\(noVocab.stderr)")
        try "[{\"seq_id\": 0, \"qsl_idx\": 0, \"data\": \"00".write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        let corrupt = try CLI.run(["accuracy", "ncf", dir + "/bad.json"])
        #expect(corrupt.status != 0)
        #expect(corrupt.stderr.contains(dir + "/bad.json") && corrupt.stderr.contains("invalid JSON"), "\(corrupt.stderr)")
        let noData = try CLI.run(["accuracy", "sentiment", dir + "/bad.json", "--data-dir", dir])
        #expect(noData.status != 0)
        #expect(noData.stderr.contains(dir + "/Rdata.rdx") && noData.stderr.contains("scripts/setup.sh"), "\(noData.stderr)")
    }
}

/// The responses of an accuracy log (`mlperf_log_accuracy.json`), each as its little-endian 32-bit words, by QSL index
/// (a repeated index: its first response); read here from the hex, not with the SUT's decoders.
enum LoggedResponses {
    static func words(log: String) throws -> [Int: [UInt32]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: log))
        let entries = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] ?? []
        var out: [Int: [UInt32]] = [:]
        for e in entries {
            guard let i = e["qsl_idx"] as? Int, out[i] == nil, let hex = e["data"] as? String else { continue }
            var bytes: [UInt8] = []
            var it = hex.makeIterator()
            while let a = it.next(), let b = it.next() { bytes.append(UInt8(String([a, b]), radix: 16) ?? 0) }
            out[i] = stride(from: 0, to: bytes.count - 3, by: 4).map { k in
                UInt32(bytes[k]) | UInt32(bytes[k + 1]) << 8 | UInt32(bytes[k + 2]) << 16 | UInt32(bytes[k + 3]) << 24
            }
        }
        return out
    }
}

extension Array where Element == String {
    func prepending(_ first: String) -> [String] { [first] + self }
}
