import Datasets
import Foundation
import LoadGen
import Serving
import Training

/// Reinforcement learning: 9×9 Go, MiniGo in miniature. A residual policy/value network (PyTorch reference
/// `references/pytorch/train_go.py`) bootstrapped from low-level GnuGo games, then improved from its own self-play
/// (MCTS in Swift, `go-selfplay`). Quality, as MiniGo v0.5 had it: top-1 agreement of the policy with the moves
/// of GnuGo at its strongest level on held-out games (the target), and the win rate against GnuGo at level 0
/// (reported) (docs/datasets.md, `go`).
public enum GoBenchmark {
    public static let name = "go"
    public static let area = "reinforcement learning"
    public static let dataset = "9×9 GnuGo 3.8 games (Debian gnugo), made by scripts/data/go.py"
    /// Quality target: top-1 move agreement (0–1) with GnuGo level 10 on the held-out positions, from 10 seeded
    /// PyTorch reference runs (references/pytorch/calibration.json).
    public static let qualityTarget = 0.38
    public static let maxEpochs = 16
    /// GnuGo's level in the win-rate games (0: its weakest).
    public static let versusLevel = 0

    public static let data = DataSource(
        description: dataset, environmentVariable: "MLPERF_GO_DIR", defaultDirectory: "data/generated/go",
        fetchCommand: "bash scripts/setup.sh")

    public static let training = TrainingBenchmark(
        name: name, aliases: ["minigo", "9x9"],
        qualityMetric: "top-1 move agreement with GnuGo level 10 on the held-out positions", target: qualityTarget,
        higherIsBetter: true, maxEpochs: maxEpochs, rulesetID: "swift-1.0", requiredRuns: 5)

    /// The ONNX contract: `board` float32 [N,12,9,9] (`GoFeatures`' planes of the position before the move),
    /// `policy` float32 [N,82] (logits: 81 points row by row from the top, then pass; the network's `value` output
    /// is not served); responses are the argmax move index, int32.
    public static let contract = ModelContract.classifier(
        sampleShape: [GoFeatures.planeCount, 9, 9], input: "board", output: "policy")

    /// The win rate the trainer measured against GnuGo after its run (`MODEL.versus.json`, written by
    /// `train_go.py --onnx-out MODEL`), as report extras; none when the file is not there.
    /// - Throws: `DatasetError.badValue` when the file is there but is not `{games, wins, gnugo_level}`.
    public static func versusExtras(model: String?) throws -> [(name: String, value: Double)] {
        guard let model else { return [] }
        let path = (model.hasSuffix(".onnx") ? String(model.dropLast(5)) : model) + ".versus.json"
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let games = object["games"] as? Int, let wins = object["wins"] as? Int,
              let level = object["gnugo_level"] as? Int, games > 0, (0...games).contains(wins) else {
            throw DatasetError.badValue(path: path, detail: "expected a JSON object with games (> 0), wins (0 to games) "
                                        + "and gnugo_level")
        }
        return [("win_rate_vs_gnugo_level\(level)", Double(wins) / Double(games)), ("versus_games", Double(games))]
    }

    public static let benchmark = Benchmark(
        name: name, aliases: training.aliases, area: area,
        label: "policy/value ResNet on 9×9 Go, GnuGo-bootstrapped self-play RL (trained here, exported to ONNX)",
        data: data, training: training, contract: contract, serverTargetLatencyNs: 10_000_000,
        loadInference: { directory, _ in try GoInference(directory: directory) },
        scoreAccuracy: { directory, log, reference, model in
            let moves = try GoInference.heldout(directory).moves.map(Int.init)
            var report = AccuracyCheck.classification(try AccuracyCheck.read(log: log, sampleCount: moves.count),
                                                      labels: moves, classCount: GoFeatures.moveCount(size: 9),
                                                      referenceAccuracy: reference)
            report.metric = "top-1 move agreement"
            report.extras += try versusExtras(model: model)
            return report
        },
        pytorchScript: "references/pytorch/train_go.py",
        complianceTests: ["TEST01"],  // as MiniGo's inference has no TEST04 (no caching shortcut to detect)
        suiteTraining: SuiteTraining(maxEpochs: 4, target: 0.22,
                                     label: "short mode: 4 epochs to agreement ≥ 0.22 (the benchmark's target: "
                                        + "0.38, `mlperf train go`)"))
}

/// The held-out positions (before each of GnuGo level 10's moves) as `board` tensors; labels are GnuGo's moves.
final class GoInference: InferenceData {
    let tensors: TensorQSL
    var qsl: any QuerySampleLibrary { tensors }
    var provider: (any SampleProvider)? { tensors }

    static func heldout(_ directory: String) throws -> (planes: [Float], moves: [Int32], outcomes: [Float]) {
        try GoGames.load(directory: directory, name: "heldout", hint: GoBenchmark.data.missingHint).positions()
    }

    init(directory: String) throws {
        let positions = try Self.heldout(directory)
        let bytes = positions.planes.withUnsafeBytes { Array($0) }
        tensors = TensorQSL(name: "go-gnugo-heldout", totalSampleCount: positions.moves.count, inputs: [bytes],
                            inputByteCounts: [GoFeatures.count(size: 9) * 4])
    }
}
