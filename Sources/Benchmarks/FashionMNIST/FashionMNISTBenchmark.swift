/// The Fashion-MNIST reference benchmark (image classification at a scale that trains in minutes on one CPU core).
/// Both implementations (Swift on OpenBLAS, PyTorch) use exactly these values; the closed ruleset checks them.
public enum FashionMNISTBenchmark {
    /// `submission_benchmark` in the MLLOG.
    public static let name = "fashion-mnist"
    public static let area = "image classification"
    /// Debian's `dataset-fashion-mnist`: 60 000 training, 10 000 test images, 28×28 grey, 10 classes.
    public static let dataset = "Fashion-MNIST (Debian dataset-fashion-mnist)"
    public static let trainSamples = 60_000
    public static let evalSamples = 10_000

    /// The model, layer by layer (PyTorch names). Input 1×28×28 scaled to [0, 1] (x / 255), no normalisation.
    public static let model =
        "conv3x3 pad1 1→16, ReLU, maxpool2 → conv3x3 pad1 16→32, ReLU, maxpool2 → flatten 1568 → dense 128, ReLU " +
        "→ dense 10 → softmax cross-entropy"
    /// Trainable parameters of the model.
    public static let parameterCount = 16 * 9 + 16 + 32 * 144 + 32 + 128 * 1568 + 128 + 10 * 128 + 10

    // Hyper-parameters (fixed in the closed division).
    public static let globalBatchSize = 64
    /// `opt_name`: SGD with momentum, PyTorch semantics (`buf = momentum·buf + grad; w -= lr·buf`).
    public static let optimizer = "sgd"
    public static let baseLearningRate = 0.02
    /// `opt_momentum` (our own key; the standard keys have none for plain SGD).
    public static let momentum = 0.9
    public static let weightDecay = 0.0
    /// Constant learning rate: no warm-up, no decay.
    public static let learningRateSchedule = "constant"
    /// The run stops as aborted after this many epochs without reaching the target.
    public static let maxEpochs = 15
    /// The training set is reshuffled every epoch from the run's seed; the last batch is partial (60 000 = 937·64 + 32).
    public static let shufflePerEpoch = true

    // Quality.
    /// Top-1 accuracy on the 10 000 test images, evaluated after every epoch.
    public static let qualityMetric = "top-1 accuracy"
    /// `eval_accuracy` is a fraction; the run succeeds at the first evaluation at or above this.
    public static let qualityTarget = 0.90
    public static let evaluationEveryEpochs = 1

    // The exported inference model (what the ONNX Runtime inference benchmark serves).
    public static let onnxInputName = "input"
    /// float32 `[N, 1, 28, 28]`, N dynamic.
    public static let onnxInputShape = ["N", "1", "28", "28"]
    public static let onnxOutputName = "logits"
    /// float32 `[N, 10]`.
    public static let onnxOutputShape = ["N", "10"]
    public static let onnxOpset = 13
}
