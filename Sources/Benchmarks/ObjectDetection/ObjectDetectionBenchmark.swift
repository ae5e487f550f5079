import Datasets
import Foundation
import LoadGen
import Serving
import Training

/// Object detection, multi-class: a small CenterNet-style single-shot detector (PyTorch reference
/// `references/pytorch/train_object_detection.py`, exported to ONNX) on scenes of real Fashion-MNIST items pasted on
/// 128×128 canvases (`references/pytorch/fashion_canvases.py`: exact boxes, 10 classes, seeded), tested on 500 scenes
/// drawn from the test split. COCO mAP@0.5 (judged) and mAP@[.5:.95] by `COCOBoxEvaluation`, checked against
/// pycocotools. A synthetic set because the one real labelled box set in a package (the deepforest wheel's tree
/// crowns) gives no stable target in minutes (docs/datasets.md, `object-detection`).
public enum ObjectDetectionBenchmark {
    public static let name = "object-detection"
    public static let area = "object detection"
    public static let side = 128
    public static let classes = 10
    /// Quality target (mAP@0.5), from 10 seeded PyTorch reference runs (references/pytorch/calibration.json).
    public static let qualityTarget = 0.65
    public static let maxEpochs = 20

    public static let data = DataSource(
        description: "scenes of Fashion-MNIST test items on 128 px canvases (seeded; made by scripts/setup.sh)",
        environmentVariable: "MLPERF_OBJECT_DETECTION_DIR", defaultDirectory: "data/generated/object-detection",
        fetchCommand: "bash scripts/setup.sh")

    public static let training = TrainingBenchmark(
        name: name, aliases: ["detection", "fashion-scenes"],
        qualityMetric: "COCO mAP@0.5 on the 500 test scenes (pycocotools)", target: qualityTarget,
        higherIsBetter: true, maxEpochs: maxEpochs, rulesetID: "swift-1.0", requiredRuns: 5)

    /// `image` float32 [N,1,128,128] (pixel / 255) → `maps` float32 [N,14,32,32] → CenterNet post-processing in the
    /// SUT → up to 100 detections per image.
    public static let contract = ModelContract(
        inputs: [TensorSpec(name: "image", elementType: .float32, sampleShape: [1, side, side])],
        output: TensorSpec(name: "maps", sampleShape: [classes + 4, side / 4, side / 4]),
        response: .postprocessed(PostprocessorFactory(name: "centernet-10") {
            CenterNetPostprocessor(classes: classes, grid: side / 4)
        }))

    static func load(_ directory: String, images: Bool = true) throws -> DetectionSet {
        try DetectionSet.load(directory: directory, side: side, channels: 1, hint: data.missingHint, images: images)
    }

    /// Server bound 50 ms p99: one 128 px scene takes about 2 ms on one core here; MLPerf's object-detection class
    /// (RetinaNet, 100 ms) assumes far larger images and models.
    public static let benchmark = Benchmark(
        name: name, aliases: training.aliases, area: area,
        label: "CenterNet-style detector on Fashion-MNIST scenes (trained here, exported to ONNX)", data: data,
        training: training, contract: contract, serverTargetLatencyNs: 50_000_000,
        loadInference: { directory, _ in DetectionInference(set: try load(directory), name: "object-detection-scenes") },
        scoreAccuracy: { directory, log, reference, _ in
            let set = try load(directory, images: false)
            return set.score(try AccuracyCheck.read(log: log, sampleCount: set.count), referenceAccuracy: reference)
        },
        pytorchScript: "references/pytorch/train_object_detection.py",
        complianceTests: ["TEST01"])  // as retinanet: no TEST04
}
