/// COCO box average precision, as `pycocotools.cocoeval.COCOeval` computes it for `iouType="bbox"` over the area
/// range "all" with at most 100 detections per image and category (the figures `stats[0]`, `stats[1]` and
/// `stats[2]` of its `summarize()`): mAP@[.5:.95], mAP@0.5 and mAP@0.75.
///
/// The rules, from the COCO detection evaluation (cocodataset.org/#detection-eval) and pycocotools 2.0:
/// - per image and category, detections are taken by descending score (a stable sort: equal scores keep their order
///   in the results) and cut to the first 100;
/// - IoU of boxes `[x, y, w, h]`: intersection over `w₁h₁ + w₂h₂ − intersection`;
/// - at each IoU threshold t ∈ {0.50, 0.55, …, 0.95} a detection matches the not-yet-matched ground truth of highest
///   IoU ≥ t (of equal IoUs, the later ground truth); crowd regions are not used here (every `iscrowd` is 0);
/// - per category, all images' detections are ranked by score (stable, in image-id order), cumulative true and false
///   positives give recall `tp / n_gt` and precision `tp / (tp + fp + ε)` (ε = 2⁻⁵², numpy's `spacing(1)`); precision
///   is made non-increasing from the right and read at the 101 recall points 0, 0.01, …, 1 (the first rank whose
///   recall reaches the point; 0 when none does);
/// - a category without ground truth is left out; AP is the mean over the included (threshold, category, recall
///   point) cells. With none, the value is −1, as in pycocotools.
public enum COCOBoxEvaluation {
    /// One ground-truth box of an image: `[x, y, w, h]` in pixels and its category id.
    public struct GroundTruth: Sendable, Equatable {
        public var x, y, width, height: Double
        public var category: Int

        public init(x: Double, y: Double, width: Double, height: Double, category: Int) {
            self.x = x
            self.y = y
            self.width = width
            self.height = height
            self.category = category
        }
    }

    /// One detection of an image: `[x, y, w, h]` in pixels, its score and category id.
    public struct Detection: Sendable, Equatable {
        public var x, y, width, height: Double
        public var score: Double
        public var category: Int

        public init(x: Double, y: Double, width: Double, height: Double, score: Double, category: Int) {
            self.x = x
            self.y = y
            self.width = width
            self.height = height
            self.score = score
            self.category = category
        }
    }

    public struct Result: Sendable, Equatable {
        /// mAP@[.5:.95] (`stats[0]`), or −1 when no category has ground truth.
        public var mAP: Double
        /// mAP@0.5 (`stats[1]`).
        public var mAP50: Double
        /// mAP@0.75 (`stats[2]`).
        public var mAP75: Double
    }

    /// The ten IoU thresholds, computed as numpy's `linspace(.5, .95, 10)` does (so that a box exactly at a threshold
    /// is judged the same way).
    public static let iouThresholds: [Double] = {
        let step = (0.95 - 0.5) / 9
        return (0..<10).map { $0 == 9 ? 0.95 : Double($0) * step + 0.5 }
    }()
    /// The 101 recall points, as numpy's `linspace(0, 1, 101)`.
    public static let recallPoints: [Double] = (0...100).map { $0 == 100 ? 1.0 : Double($0) * 0.01 }
    public static let maxDetections = 100

    /// Evaluates detections against ground truth.
    /// - Parameters:
    ///   - groundTruth: per image (in image-id order), its boxes.
    ///   - detections: per image (same order and count), its detections in result order.
    ///   - categories: the category ids of the data set.
    /// - Precondition: `detections.count == groundTruth.count`.
    public static func evaluate(groundTruth: [[GroundTruth]], detections: [[Detection]], categories: [Int]) -> Result {
        precondition(detections.count == groundTruth.count, "one detection list per image")
        let t = iouThresholds.count, r = recallPoints.count
        // precision[threshold][category] = 101 values, or nil for a category without ground truth.
        var sums = [Double](repeating: 0, count: t), cells = 0
        for category in categories {
            // Per image: the detections of this category (stable by descending score, first 100) and whether each is
            // a true positive at each threshold.
            var scores: [Double] = [], matched: [[Bool]] = Array(repeating: [], count: t)
            var nGT = 0
            for (image, truthAll) in groundTruth.enumerated() {
                let truth = truthAll.filter { $0.category == category }
                var dets = detections[image].filter { $0.category == category }
                if truth.isEmpty && dets.isEmpty { continue }
                nGT += truth.count
                dets = stableSortedByScore(dets)
                if dets.count > maxDetections { dets.removeLast(dets.count - maxDetections) }
                let ious = dets.map { d in truth.map { iou(d, $0) } }
                for (ti, threshold) in iouThresholds.enumerated() {
                    var used = [Bool](repeating: false, count: truth.count)
                    for d in dets.indices {
                        var best = min(threshold, 1 - 1e-10), m = -1
                        for g in truth.indices where !used[g] {
                            if ious[d][g] < best { continue }
                            best = ious[d][g]
                            m = g
                        }
                        if m >= 0 { used[m] = true }
                        matched[ti].append(m >= 0)
                    }
                }
                scores += dets.map(\.score)
            }
            if nGT == 0 { continue }
            let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
            for ti in 0..<t {
                var precision = [Double](), recall = [Double]()
                precision.reserveCapacity(order.count)
                recall.reserveCapacity(order.count)
                var tp = 0.0, fp = 0.0
                for i in order {
                    if matched[ti][i] { tp += 1 } else { fp += 1 }
                    recall.append(tp / Double(nGT))
                    precision.append(tp / (fp + tp + Double.ulpOfOne))
                }
                if precision.count > 1 {
                    for i in stride(from: precision.count - 1, to: 0, by: -1) where precision[i] > precision[i - 1] {
                        precision[i - 1] = precision[i]
                    }
                }
                var p = 0
                for point in recallPoints {
                    while p < recall.count && recall[p] < point { p += 1 }  // numpy searchsorted, side "left"
                    if p < recall.count { sums[ti] += precision[p] }
                }
            }
            cells += 1
        }
        guard cells > 0 else { return Result(mAP: -1, mAP50: -1, mAP75: -1) }
        let perThreshold = sums.map { $0 / Double(cells * r) }
        return Result(mAP: perThreshold.reduce(0, +) / Double(t), mAP50: perThreshold[0], mAP75: perThreshold[5])
    }

    /// Intersection over union of `[x, y, w, h]` boxes (pycocotools' `maskUtils.iou` for boxes, not crowd).
    static func iou(_ d: Detection, _ g: GroundTruth) -> Double {
        let w = min(d.x + d.width, g.x + g.width) - max(d.x, g.x)
        let h = min(d.y + d.height, g.y + g.height) - max(d.y, g.y)
        guard w > 0 && h > 0 else { return 0 }
        let inter = w * h
        return inter / (d.width * d.height + g.width * g.height - inter)
    }

    static func stableSortedByScore(_ dets: [Detection]) -> [Detection] {
        dets.indices.sorted { dets[$0].score != dets[$1].score ? dets[$0].score > dets[$1].score : $0 < $1 }.map { dets[$0] }
    }
}
