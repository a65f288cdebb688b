namespace MixBit.Reporting;

// The JSON files the stages of `mixbit run` write (docs/RUN.md), as the report reads them. Sizes are bytes, accuracies
// fractions in [0, 1]. A field that a stage always writes is required: a file without it is reported, not shown as 0.

/// <summary>run.json: the run's settings.</summary>
public sealed record RunSettings(
    string? Model = null, string? Data = null, string? Device = null, long? FlashBytes = null, long? RamBytes = null,
    long? FlashReserveBytes = null, long? RamReserveBytes = null, string? Strategy = null, int? Episodes = null,
    int? FinetuneEpochs = null, bool? Quick = null, int? Seed = null, string? MixbitVersion = null, DateTimeOffset? Started = null,
    int? EvaluationImages = null, int? FinetuneImages = null, int? TrainEpochs = null, int? ValidationCount = null, string? Board = null);

/// <summary>float.json: the float model and its accuracy.</summary>
public sealed record FloatModelFacts(string Model, long Parameters, long Macs, double TestAccuracy, int TestImages,
    double? ValidationAccuracy = null);

/// <summary>finetune.json: the QAT fine-tune of the chosen policy.</summary>
public sealed record FinetuneFacts(int Epochs, int TrainImages, double CalibratedTestAccuracy, double TestAccuracy,
    double FloatTestAccuracy, double Seconds);

/// <summary>integer.json: the integer-only model against its fake-quantized twin.</summary>
public sealed record IntegerModelFacts(double TestAccuracy, double FakeQuantTestAccuracy, double Agreement, long FlashBytes,
    long WeightBytes, long ParameterBytes, int TestImages);

/// <summary>qdq.json: the QDQ ONNX export run by ONNX Runtime, top-1 agreement with the integer model.</summary>
public sealed record QdqFacts(double OnnxRuntimeAgreement, int Images);

/// <summary>c/check.json: the generated C library built and run on the host and, per board, under QEMU.</summary>
public sealed record CCheckFacts(double HostAccuracy, int HostImages, bool QemuBitExact, int QemuImages, IReadOnlyList<BoardCheck> Boards);

/// <summary>
/// The C library built for one board: sizes, fit, and the instructions of one inference (total and per layer);
/// <c>Kernels</c>: "specialised" (one kernel per bit triple) or "compact" (run-time bit-widths, chosen when the
/// specialised build does not fit the board).
/// </summary>
public sealed record BoardCheck(string Board, string Core, long FlashBytes, long RamBytes, long CodeBytes, long WeightBytes,
    long ArenaBytes, long StackBytes, bool Fits, long Instructions, IReadOnlyList<LayerInstructions> Layers, string? Kernels = null);

public sealed record LayerInstructions(string Name, string Op, long Macs, long Instructions);
