import Foundation
import TestSupport
import Testing
@testable import NeuralNet

/// The Swift reference models take the same training steps as PyTorch 1.13 (an independent implementation of the
/// forward pass, the gradients, and Adam / SparseAdam): the same initial weights and batches in both, three steps
/// (bias correction, repeated rows, rows left untouched), then every parameter compared.
@Suite("NeuMF and the mean-bag classifier step like PyTorch")
struct TorchEquivalenceTests {
    static func floats(_ p: UnsafePointer<Float>, _ n: Int) -> [Double] { (0..<n).map { Double(p[$0]) } }

    static func maxDifference(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }

    @Test("NeuMF: three steps of BCE + SparseAdam (embeddings) + Adam (dense) equal torch's")
    func neuMF() throws {
        let config = NeuMF.Configuration(users: 5, items: 7, mfDimension: 3, mlpLayers: [6, 4, 2], embeddingStd: 0.5)
        let hyper = AdamHyperparameters(learningRate: 0.05)
        let model = NeuMF(config: config, maxBatch: 8, seed: 11, hyper: hyper)
        let batches: [([Int32], [Int32], [Float])] = [
            ([0, 1, 1, 4, 2, 0], [3, 3, 6, 0, 2, 5], [1, 0, 1, 0, 0, 1]),
            ([2, 2, 3], [1, 1, 4], [1, 0, 1]),
            ([4, 0, 1, 3, 3, 2, 1, 0], [6, 2, 0, 0, 5, 3, 3, 1], [0, 1, 1, 0, 1, 0, 0, 1]),
        ]
        let initial: [String: [Double]] = [
            "mf_user": Self.floats(model.mfUser, 5 * 3), "mf_item": Self.floats(model.mfItem, 7 * 3),
            "mlp_user": Self.floats(model.mlpUser, 5 * 3), "mlp_item": Self.floats(model.mlpItem, 7 * 3),
            "dense": Self.floats(model.dense, model.denseCount),
        ]
        var losses: [Double] = []
        for (u, i, y) in batches { losses.append(Double(model.trainStep(users: u, items: i, labels: y, batch: u.count))) }
        let input: [String: Any] = ["initial": initial,
                                    "batches": batches.map { ["users": $0.0, "items": $0.1, "labels": $0.2] }]
        let path = Scratch.file("neumf-steps.json")
        try JSONSerialization.data(withJSONObject: input).write(to: URL(fileURLWithPath: path))
        let out = try Python.run("""
        import json, sys, torch
        d = json.load(open(sys.argv[1])); init = d["initial"]
        t = lambda v, *s: torch.tensor(v, dtype=torch.float32).reshape(*s)
        E = {k: torch.nn.Embedding(n, 3, sparse=True) for k, n in (("mf_user", 5), ("mf_item", 7), ("mlp_user", 5), ("mlp_item", 7))}
        with torch.no_grad():
            for k, e in E.items(): e.weight.copy_(t(init[k], -1, 3))
        dense = init["dense"]; L = [torch.nn.Linear(6, 4), torch.nn.Linear(4, 2)]; final = torch.nn.Linear(5, 1)
        o = 0
        with torch.no_grad():
            for l in L:
                l.weight.copy_(t(dense[o:o + l.in_features * l.out_features], l.out_features, l.in_features)); o += l.in_features * l.out_features
                l.bias.copy_(t(dense[o:o + l.out_features], l.out_features)); o += l.out_features
            final.weight.copy_(t(dense[o:o + 5], 1, 5)); o += 5
            final.bias.copy_(t(dense[o:o + 1], 1))
        sparse = torch.optim.SparseAdam([e.weight for e in E.values()], lr=0.05)
        params = [p for l in L for p in (l.weight, l.bias)] + [final.weight, final.bias]
        adam = torch.optim.Adam(params, lr=0.05)
        losses = []
        for b in d["batches"]:
            u = torch.tensor(b["users"]); i = torch.tensor(b["items"]); y = torch.tensor(b["labels"], dtype=torch.float32)
            gmf = E["mf_user"](u) * E["mf_item"](i)
            x = torch.cat([E["mlp_user"](u), E["mlp_item"](i)], -1)
            for l in L: x = torch.relu(l(x))
            logit = final(torch.cat([gmf, x], -1)).squeeze(-1)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logit, y)
            sparse.zero_grad(); adam.zero_grad(); loss.backward(); sparse.step(); adam.step(); losses.append(loss.item())
        flat = []
        for l in L: flat += l.weight.flatten().tolist() + l.bias.tolist()
        flat += final.weight.flatten().tolist() + final.bias.tolist()
        print(json.dumps({"losses": losses, "dense": flat, **{k: e.weight.flatten().tolist() for k, e in E.items()}}))
        """, arguments: [path], interpreter: Python.project)
        let torch = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: [Double]])
        #expect(Self.maxDifference(losses, torch["losses"]!) < 1e-5, "losses \(losses) vs \(torch["losses"]!)")
        let ours: [String: [Double]] = [
            "mf_user": Self.floats(model.mfUser, 15), "mf_item": Self.floats(model.mfItem, 21),
            "mlp_user": Self.floats(model.mlpUser, 15), "mlp_item": Self.floats(model.mlpItem, 21),
            "dense": Self.floats(model.dense, model.denseCount)]
        for (k, v) in ours {
            #expect(Self.maxDifference(v, torch[k]!) < 2e-5, "\(k): max |Δ| \(Self.maxDifference(v, torch[k]!))")
            #expect(Self.maxDifference(v, initial[k]!) > 1e-3, "\(k) moved")
        }
    }

    @Test("mean bag: three steps of softmax cross-entropy + dense Adam equal torch's (padding row stays 0)")
    func meanBag() throws {
        let hyper = AdamHyperparameters(learningRate: 0.05)
        let model = MeanBagClassifier(vocabulary: 9, dimension: 4, classes: 2, sequenceLength: 5, maxBatch: 4, seed: 5,
                                      hyper: hyper)
        let batches: [([Int64], [Int32])] = [
            ([1, 3, 3, 0, 0, 2, 8, 0, 0, 0, 0, 0, 0, 0, 0], [1, 0, 1]),
            ([7, 7, 7, 7, 7, 4, 5, 6, 2, 1], [0, 1]),
            ([3, 0, 0, 0, 0, 8, 8, 1, 0, 0, 6, 2, 0, 0, 0, 5, 5, 5, 5, 0], [1, 1, 0, 0]),
        ]
        let initial = Self.floats(model.parameters, model.parameterCount)
        var losses: [Double] = []
        for (ids, y) in batches { losses.append(Double(model.trainStep(ids, labels: y, batch: y.count))) }
        let path = Scratch.file("meanbag-steps.json")
        try JSONSerialization.data(withJSONObject: ["initial": initial,
                                                    "batches": batches.map { ["ids": $0.0, "labels": $0.1] }])
            .write(to: URL(fileURLWithPath: path))
        let out = try Python.run("""
        import json, sys, torch
        d = json.load(open(sys.argv[1])); p = d["initial"]
        emb = torch.nn.Embedding(9, 4, padding_idx=0); lin = torch.nn.Linear(4, 2)
        with torch.no_grad():
            emb.weight.copy_(torch.tensor(p[:36]).reshape(9, 4)); lin.weight.copy_(torch.tensor(p[36:44]).reshape(2, 4))
            lin.bias.copy_(torch.tensor(p[44:46]))
        opt = torch.optim.Adam(list(emb.parameters()) + list(lin.parameters()), lr=0.05)
        losses = []
        for b in d["batches"]:
            x = torch.tensor(b["ids"]).reshape(-1, 5); y = torch.tensor(b["labels"])
            mask = (x != 0).float()
            pooled = (emb(x) * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
            loss = torch.nn.functional.cross_entropy(lin(pooled), y)
            opt.zero_grad(); loss.backward(); opt.step(); losses.append(loss.item())
        print(json.dumps({"losses": losses, "params": emb.weight.flatten().tolist() + lin.weight.flatten().tolist() + lin.bias.tolist()}))
        """, arguments: [path], interpreter: Python.project)
        let torch = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: [Double]])
        #expect(Self.maxDifference(losses, torch["losses"]!) < 1e-5)
        let ours = Self.floats(model.parameters, model.parameterCount)
        #expect(Self.maxDifference(ours, torch["params"]!) < 2e-5, "max |Δ| \(Self.maxDifference(ours, torch["params"]!))")
        #expect(ours[0..<4].allSatisfy { $0 == 0 }, "the padding row stays 0")
        #expect(Self.maxDifference(ours, initial) > 1e-3)
    }
}
