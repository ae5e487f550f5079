import Datasets
import Foundation
import Serving
import TestSupport
import Testing
@testable import Benchmarks
@testable import Datasets

/// The detection metric and post-processing against independent implementations: pycocotools' COCOeval for mAP,
/// and the PyTorch reference's numpy `decode` for the CenterNet post-processing.
@Suite("detection: COCO mAP vs pycocotools, CenterNet post-processing vs the PyTorch reference's decode")
struct DetectionTests {
    static let references = repositoryRoot.path + "/references/pytorch"

    /// A seeded generator for the cases (SplitMix64).
    struct Generator {
        var stream: SplitMix64
        init(state: UInt64) { stream = SplitMix64(seed: state) }
        mutating func next() -> UInt64 { stream.next() }
        mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    }

    /// A case that exercises the rules: several categories (one without ground truth, one whose detections all miss),
    /// images without ground truth or detections, equal scores, more than 100 detections of one category in an image,
    /// integer boxes (IoUs exactly at a threshold), and detections near their ground truth.
    static func makeCase(seed: UInt64) -> (truth: [[COCOBoxEvaluation.GroundTruth]], dets: [[COCOBoxEvaluation.Detection]]) {
        var g = Generator(state: seed)
        var truth: [[COCOBoxEvaluation.GroundTruth]] = [], dets: [[COCOBoxEvaluation.Detection]] = []
        for image in 0..<12 {
            var t: [COCOBoxEvaluation.GroundTruth] = []
            for _ in 0..<(image % 5 == 4 ? 0 : g.int(6)) {
                t.append(.init(x: Double(g.int(80)), y: Double(g.int(80)), width: Double(4 + g.int(40)),
                               height: Double(4 + g.int(40)), category: [1, 2, 3][g.int(3)]))
            }
            var d: [COCOBoxEvaluation.Detection] = []
            if image != 7 {
                for gt in t where g.int(4) != 0 {  // near a ground truth: shifted by whole pixels, or jittered
                    let integer = g.int(2) == 0
                    let dx = integer ? Double(g.int(7) - 3) : (g.unit() - 0.5) * 8
                    let dw = integer ? Double(g.int(7) - 3) : (g.unit() - 0.5) * 8
                    d.append(.init(x: gt.x + dx, y: gt.y, width: max(1, gt.width + dw), height: gt.height,
                                   score: Double(g.int(10)) / 10, category: g.int(8) == 0 ? 4 : gt.category))
                }
                for _ in 0..<(image == 3 ? 130 : g.int(5)) {  // background: false positives
                    d.append(.init(x: g.unit() * 90, y: g.unit() * 90, width: 2 + g.unit() * 30, height: 2 + g.unit() * 30,
                                   score: Double(g.int(20)) / 20, category: image == 3 ? 1 : [1, 2, 3, 4, 5][g.int(5)]))
                }
            }
            truth.append(t)
            dets.append(d)
        }
        return (truth, dets)
    }

    @Test("mAP@[.5:.95], mAP@0.5 and mAP@0.75 equal pycocotools' stats[0..2] on seeded adversarial cases",
          arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func mapEqualsPycocotools(seed: UInt64) throws {
        let (truth, dets) = Self.makeCase(seed: seed)
        let categories = [1, 2, 3, 4, 5]
        let ours = COCOBoxEvaluation.evaluate(groundTruth: truth, detections: dets, categories: categories)
        var annotations: [[String: Any]] = [], results: [[String: Any]] = []
        for (i, t) in truth.enumerated() {
            for gt in t {
                annotations.append(["id": annotations.count + 1, "image_id": i + 1, "category_id": gt.category,
                                    "bbox": [gt.x, gt.y, gt.width, gt.height], "area": gt.width * gt.height, "iscrowd": 0])
            }
            for d in dets[i] {
                results.append(["image_id": i + 1, "category_id": d.category, "score": d.score,
                                "bbox": [d.x, d.y, d.width, d.height]])
            }
        }
        let coco: [String: Any] = [
            "images": truth.indices.map { ["id": $0 + 1, "width": 128, "height": 128] },
            "annotations": annotations, "categories": categories.map { ["id": $0, "name": "c\($0)"] },
        ]
        let gtPath = Scratch.file("coco-gt-\(seed).json"), dtPath = Scratch.file("coco-dt-\(seed).json")
        try JSONSerialization.data(withJSONObject: coco).write(to: URL(fileURLWithPath: gtPath))
        try JSONSerialization.data(withJSONObject: results).write(to: URL(fileURLWithPath: dtPath))
        let out = try Python.run("""
        import contextlib, io, json, sys
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
        with contextlib.redirect_stdout(io.StringIO()):
            gt = COCO(sys.argv[1]); ev = COCOeval(gt, gt.loadRes(sys.argv[2]), "bbox")
            ev.evaluate(); ev.accumulate(); ev.summarize()
        print(json.dumps([float(s) for s in ev.stats[:3]]))
        """, arguments: [gtPath, dtPath], interpreter: Python.project)
        let theirs = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [Double])
        #expect(abs(ours.mAP - theirs[0]) < 1e-12, "mAP ours \(ours.mAP), pycocotools \(theirs[0])")
        #expect(abs(ours.mAP50 - theirs[1]) < 1e-12, "mAP@0.5 ours \(ours.mAP50), pycocotools \(theirs[1])")
        #expect(abs(ours.mAP75 - theirs[2]) < 1e-12, "mAP@0.75 ours \(ours.mAP75), pycocotools \(theirs[2])")
        #expect(ours.mAP50 > 0.05 && ours.mAP50 < 0.95, "the case is neither trivial nor hopeless: \(ours)")
    }

    @Test("perfect detections give mAP 1 (less pycocotools' ε); none give 0; no ground truth at all gives −1")
    func edges() {
        let gt = [[COCOBoxEvaluation.GroundTruth(x: 1, y: 2, width: 10, height: 20, category: 1)]]
        let perfect = [[COCOBoxEvaluation.Detection(x: 1, y: 2, width: 10, height: 20, score: 0.5, category: 1)]]
        let best = COCOBoxEvaluation.evaluate(groundTruth: gt, detections: perfect, categories: [1])
        #expect([best.mAP, best.mAP50, best.mAP75].allSatisfy { abs($0 - 1) < 1e-12 && $0 < 1 }, "\(best)")
        #expect(COCOBoxEvaluation.evaluate(groundTruth: gt, detections: [[]], categories: [1]) == .init(mAP: 0, mAP50: 0, mAP75: 0))
        #expect(COCOBoxEvaluation.evaluate(groundTruth: [[]], detections: perfect, categories: [1]).mAP == -1)
    }

    /// Writes maps [classes + 4, grid, grid] that exercise the post-processing: plateaus (equal neighbours), equal
    /// scores across classes, more peaks than `preNMS`, overlapping boxes of one class and of two classes, boxes
    /// leaving the image, values just under the threshold.
    static func makeMaps(seed: UInt64, classes: Int, grid: Int) -> [Float] {
        var g = Generator(state: seed)
        let plane = grid * grid
        var maps = [Float](repeating: 0, count: (classes + 4) * plane)
        for c in 0..<classes {
            for p in 0..<plane {
                let r = g.int(100)
                maps[c * plane + p] = r < 60 ? Float(g.int(5)) / 100 : Float(g.int(21)) / 20  // many ties
            }
        }
        for p in 0..<plane {
            maps[classes * plane + p] = Float(g.unit() * 4 - 1)        // log w: 0.4 to 21 cells
            maps[(classes + 1) * plane + p] = Float(g.unit() * 4 - 1)
            maps[(classes + 2) * plane + p] = Float(g.unit())
            maps[(classes + 3) * plane + p] = Float(g.unit())
        }
        maps[0] = 0.0499; maps[1] = 0.05                                // the threshold, both sides
        return maps
    }

    @Test("CenterNet post-processing: detections equal the PyTorch reference's numpy decode on adversarial maps",
          arguments: [(UInt64(1), 10, 32), (2, 1, 64), (3, 3, 16)])
    func postprocessingEqualsReference(seed: UInt64, classes: Int, grid: Int) throws {
        let maps = Self.makeMaps(seed: seed, classes: classes, grid: grid)
        let post = CenterNetPostprocessor(classes: classes, grid: grid)
        var response = [UInt8](repeating: 0xAB, count: post.responseByteCount)
        maps.withUnsafeBufferPointer { m in
            response.withUnsafeMutableBytes { post.process(m.baseAddress!, count: maps.count, into: $0.baseAddress!) }
        }
        let ours = try #require(CenterNetPostprocessor.decode(response))
        #expect(response[(4 + ours.count * 24)...].allSatisfy { $0 == 0 }, "unused slots are zeroed")
        let path = Scratch.file("maps-\(seed).f32")
        try maps.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: path))
        let out = try Python.run("""
        import json, sys
        import numpy as np
        sys.path.insert(0, sys.argv[1])
        import train_object_detection as reference
        classes, grid = int(sys.argv[3]), int(sys.argv[4])
        maps = np.fromfile(sys.argv[2], dtype=np.float32).reshape(classes + 4, grid, grid)
        print(json.dumps(reference.decode(maps, classes, np).tolist()))
        """, arguments: [Self.references, path, "\(classes)", "\(grid)"], interpreter: Python.project)
        let theirs = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[Double]])
        #expect(ours.count == theirs.count, "ours \(ours.count) detections, reference \(theirs.count)")
        #expect(ours.count > 20, "the maps give many detections")
        for (k, (a, b)) in zip(ours, theirs).enumerated() {
            let got = [a.x0, a.y0, a.x1, a.y1, a.score].map(Double.init) + [Double(a.classIndex)]
            for f in 0..<6 where abs(got[f] - b[f]) > 1e-3 {
                Issue.record("detection \(k): ours \(got), reference \(b)")
                break
            }
        }
    }

    @Test("a response that is not the layout decodes to nil; the test-set reader names the file and the field")
    func badInputs() throws {
        #expect(CenterNetPostprocessor.decode([1, 0]) == nil)
        #expect(CenterNetPostprocessor.decode([2, 0, 0, 0] + [UInt8](repeating: 0, count: 24)) == nil)
        #expect(CenterNetPostprocessor.decode([0xFF, 0xFF, 0xFF, 0xFF]) == nil)
        let dir = try Scratch.directory("detection-bad").path
        func load() -> String {
            do {
                _ = try DetectionSet.load(directory: dir, side: 4, channels: 1, hint: "HINT")
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(load().contains(dir + "/instances_test.json") && load().contains("HINT"))
        func write(_ json: String) throws {
            try json.write(toFile: dir + "/instances_test.json", atomically: true, encoding: .utf8)
        }
        let images = #""images": [{"id": 1, "width": 4, "height": 4}, {"id": 2, "width": 4, "height": 4}]"#
        try write("{\(images), \"annotations\": [], \"categories\": [{\"id\": 1}]}")
        #expect(load().contains(dir + "/test.u8"), "\(load())")
        try Data(count: 16).write(to: URL(fileURLWithPath: dir + "/test.u8"))
        #expect(load().contains("32") && load().contains("16"), "truncated: \(load())")
        try Data(count: 32).write(to: URL(fileURLWithPath: dir + "/test.u8"))
        #expect(load() == "no error")
        try write("{\(images), \"annotations\": [{\"image_id\": 2, \"category_id\": 9, \"bbox\": [0, 0, 1, 1]}], \"categories\": [{\"id\": 1}]}")
        #expect(load().contains("annotations[0]") && load().contains("category_id"), "\(load())")
        try write(#"{"images": [{"id": 2, "width": 4, "height": 4}, {"id": 1, "width": 4, "height": 4}], "annotations": [], "categories": []}"#)
        #expect(load().contains("images[1]") && load().contains("ascend"), "\(load())")
        try write(#"{"images": [{"id": 1, "width": 8, "height": 8}], "annotations": [], "categories": []}"#)
        #expect(load().contains("images[0]") && load().contains("width = height = 4"), "\(load())")
        try write("[1, 2")
        #expect(load().contains("not a JSON object"), "\(load())")
    }
}
