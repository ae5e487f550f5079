import Datasets
import Foundation
import LoadGen
import Serving

/// A detection test set as the set-up writes it (`scripts/data/object_detection.py`): `test.u8` (N images of
/// `side`×`side`×`channels` uint8, row-major, channels last) and `instances_test.json` (COCO: `images` with ids in
/// `test.u8` order, `annotations` with `bbox` [x, y, w, h] and `category_id`, `categories`).
public struct DetectionSet: Sendable {
    public let side: Int
    public let channels: Int
    /// Image ids, in sample order.
    public let imageIDs: [Int]
    /// Category ids; model class k is `categories[k]`.
    public let categories: [Int]
    /// Per sample, its ground truth.
    public let groundTruth: [[COCOBoxEvaluation.GroundTruth]]
    /// The pixels (empty when loaded without images).
    public let pixels: [UInt8]

    public var count: Int { imageIDs.count }

    /// - Throws: `DatasetError` naming the file: missing, truncated, or not the COCO layout described above
    ///   (which field of which entry).
    public static func load(directory: String, side: Int, channels: Int, hint: String, images: Bool = true) throws
        -> DetectionSet {
        let jsonPath = directory + "/instances_test.json", imagesPath = directory + "/test.u8"
        guard let data = FileManager.default.contents(atPath: jsonPath) else {
            throw DatasetError.missingFile(path: jsonPath, hint: hint)
        }
        func bad(_ detail: String) -> DatasetError { .badValue(path: jsonPath, detail: detail + "; " + hint) }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw bad("not a JSON object")
        }
        guard let imageList = root["images"] as? [[String: Any]], let annotations = root["annotations"] as? [[String: Any]],
              let categoryList = root["categories"] as? [[String: Any]] else {
            throw bad("expected COCO lists \"images\", \"annotations\" and \"categories\"")
        }
        var ids: [Int] = [], row: [Int: Int] = [:]
        for (k, image) in imageList.enumerated() {
            guard let id = image["id"] as? Int, image["width"] as? Int == side, image["height"] as? Int == side else {
                throw bad("images[\(k)]: expected an integer id and width = height = \(side)")
            }
            guard ids.last.map({ $0 < id }) ?? true else {
                throw bad("images[\(k)]: image ids must ascend (they give the sample order), found \(id) after \(ids.last!)")
            }
            row[id] = ids.count
            ids.append(id)
        }
        var categories: [Int] = []
        for (k, c) in categoryList.enumerated() {
            guard let id = c["id"] as? Int else { throw bad("categories[\(k)]: expected an integer id") }
            categories.append(id)
        }
        var truth = [[COCOBoxEvaluation.GroundTruth]](repeating: [], count: ids.count)
        for (k, a) in annotations.enumerated() {
            guard let imageID = a["image_id"] as? Int, let r = row[imageID], let category = a["category_id"] as? Int,
                  categories.contains(category), let box = a["bbox"] as? [NSNumber], box.count == 4,
                  box[2].doubleValue > 0, box[3].doubleValue > 0 else {
                throw bad("annotations[\(k)]: expected a known image_id and category_id and a bbox [x, y, w, h] "
                          + "with w, h > 0")
            }
            if (a["iscrowd"] as? Int ?? 0) != 0 { throw bad("annotations[\(k)]: crowd regions are not supported") }
            truth[r].append(.init(x: box[0].doubleValue, y: box[1].doubleValue, width: box[2].doubleValue,
                                  height: box[3].doubleValue, category: category))
        }
        var pixels: [UInt8] = []
        if images {
            guard let p = FileManager.default.contents(atPath: imagesPath) else {
                throw DatasetError.missingFile(path: imagesPath, hint: hint)
            }
            let expected = ids.count * side * side * channels
            guard p.count == expected else {
                throw DatasetError.truncated(path: imagesPath, expectedBytes: expected, gotBytes: p.count)
            }
            pixels = [UInt8](p)
        }
        return DetectionSet(side: side, channels: channels, imageIDs: ids, categories: categories, groundTruth: truth,
                            pixels: pixels)
    }

    /// The images as the detector's input: float32 planes (channels first), pixel / 255.
    public func tensorQSL(name: String) -> TensorQSL {
        let plane = side * side
        var floats = [Float](repeating: 0, count: count * channels * plane)
        pixels.withUnsafeBufferPointer { px in
            for i in 0..<count {
                for p in 0..<plane {
                    for c in 0..<channels {
                        floats[(i * channels + c) * plane + p] = Float(px[(i * plane + p) * channels + c]) / 255
                    }
                }
            }
        }
        return TensorQSL(name: name, totalSampleCount: count, inputs: [floats.withUnsafeBytes { Array($0) }],
                         inputByteCounts: [channels * plane * 4])
    }

    /// COCO mAP@0.5 (judged), mAP@[.5:.95] and mAP@0.75 (reported) of an accuracy log of `CenterNetPostprocessor`
    /// responses; model class k is category `categories[k]`. A response that does not decode, or names a class out
    /// of range, counts as undecodable (and the run fails its accuracy check).
    public func score(_ log: AccuracyLog, referenceAccuracy: Double) -> AccuracyReport {
        var detections = [[COCOBoxEvaluation.Detection]](repeating: [], count: count)
        var total = log.unreadable.count, undecodable = log.unreadable.count
        for (i, response) in log.responses.enumerated() where i < count {
            guard let bytes = response else { continue }
            total += 1
            guard let dets = CenterNetPostprocessor.decode(bytes),
                  dets.allSatisfy({ categories.indices.contains($0.classIndex) }) else { undecodable += 1; continue }
            detections[i] = dets.map {
                .init(x: Double($0.x0), y: Double($0.y0), width: Double($0.x1) - Double($0.x0),
                      height: Double($0.y1) - Double($0.y0), score: Double($0.score), category: categories[$0.classIndex])
            }
        }
        let r = COCOBoxEvaluation.evaluate(groundTruth: groundTruth, detections: detections, categories: categories)
        return AccuracyReport(metric: "mAP@0.5", value: max(r.mAP50, 0),
                              extras: [("mAP@[.5:.95]", max(r.mAP, 0)), ("mAP@0.75", max(r.mAP75, 0))],
                              total: total, correct: total - undecodable, log: log, undecodable: undecodable,
                              referenceAccuracy: referenceAccuracy)
    }
}

/// A detection test set served to the SUT.
final class DetectionInference: InferenceData {
    let tensors: TensorQSL
    var qsl: any QuerySampleLibrary { tensors }
    var provider: (any SampleProvider)? { tensors }

    init(set: DetectionSet, name: String) { tensors = set.tensorQSL(name: name) }
}
