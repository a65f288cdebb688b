using MixBit.Integer.Engine;
using MixBit.Memory;
using MixBit.Tensors;

namespace MixBit.Integer;

/// <summary>
/// Runs a <see cref="QuantizedModel"/> with integer arithmetic only: the bit-exact reference for the C runtime. Images are
/// raw 8-bit pixels, NHWC; the output is the int8 logit codes. Each op's integer parameters and weights are prepared
/// once (weights unpacked to int16, re-laid out for the SIMD kernels); tensors live unpacked as int16 codes in one
/// arena per worker, and a batch is split over images with <see cref="Workers"/>. The scalar kernels are the contract's
/// formulas; the AVX2 kernels compute the same integers (<see cref="UseSimd"/> switches, tests run both).
/// </summary>
public sealed class IntegerEngine
{
    private readonly OpKernel[] _kernels;
    private readonly EngineArena?[] _arenas = new EngineArena?[Workers.MaxCount];
    private readonly int _columnShorts;
    private readonly object _runLock = new();

    public IntegerEngine(QuantizedModel model)
    {
        Model = model;
        var t = model.Tensors;
        _kernels = model.Ops.Select<QuantizedOp, OpKernel>(op => op switch
        {
            QuantizedLayer { Kind: DeployedOpKind.DepthwiseConv2d } l => new DepthwiseKernel(l, t[l.Input], t[l.Output]),
            QuantizedLayer l => new LayerKernel(l, t[l.Input], t[l.Output]),
            QuantizedAdd a => new AddKernel(a, t[a.Output]),
            QuantizedAveragePool p => new AveragePoolKernel(p, t[p.Input], t[p.Output]),
            QuantizedMaxPool m => new MaxPoolKernel(m, t[m.Input], t[m.Output]),
            _ => throw new ArgumentException($"Unknown op {op.GetType().Name}."),
        }).ToArray();
        _columnShorts = _kernels.Max(k => k.ColumnShorts);
        OpTicks = new long[_kernels.Length];
    }

    /// <summary>Use the AVX2 kernels where the CPU has them (default); false runs the scalar reference kernels.</summary>
    public bool UseSimd { get; set; } = true;

    public QuantizedModel Model { get; }

    /// <summary>When set, each op's time accumulates in <see cref="OpTicks"/> (Stopwatch ticks, all workers summed).</summary>
    public bool Profiling { get; set; }
    public long[] OpTicks { get; }

    public int InputElements => Model.Input.Elements;
    public int OutputElements => Model.Output.Elements;

    /// <summary>
    /// Runs <paramref name="images"/> images of <see cref="InputElements"/> pixels each (NHWC) and writes their
    /// <see cref="OutputElements"/> output codes each. Calls on one engine are serialised.
    /// </summary>
    public void Run(ReadOnlyMemory<byte> pixels, int images, Memory<int> outputs)
    {
        int inSize = InputElements, outSize = OutputElements;
        if (pixels.Length < (long)images * inSize || outputs.Length < (long)images * outSize)
            throw new ArgumentException($"{images} images need {images * (long)inSize} pixels and {images * (long)outSize} outputs.");
        lock (_runLock)
        {
            Workers.For(images, (start, end, worker) =>
            {
                var arena = _arenas[worker] ??= new EngineArena(Model, _columnShorts);
                for (int i = start; i < end; i++)
                {
                    RunImage(arena, pixels.Span.Slice(i * inSize, inSize));
                    var y = arena.Tensors[Model.OutputTensor];
                    var o = outputs.Span.Slice(i * outSize, outSize);
                    for (int k = 0; k < outSize; k++) o[k] = y[k];
                }
            });
        }
    }

    /// <summary>Runs op <paramref name="op"/> alone on the given input codes (by tensor id); returns its output codes.</summary>
    public int[] RunOp(int op, IReadOnlyDictionary<int, int[]> inputs)
    {
        var arena = new EngineArena(Model, _columnShorts);
        foreach (int t in Model.Ops[op].Inputs)
        {
            var codes = inputs[t];
            for (int i = 0; i < codes.Length; i++) arena.Tensors[t][i] = checked((short)codes[i]);
        }
        RunKernel(_kernels[op], arena);
        return Codes(arena, Model.Tensors[Model.Ops[op].Output]);
    }

    private void RunImage(EngineArena arena, ReadOnlySpan<byte> image)
    {
        var input = arena.Tensors[0];
        for (int i = 0; i < image.Length; i++) input[i] = image[i];
        for (int k = 0; k < _kernels.Length; k++)
        {
            long t0 = Profiling ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
            RunKernel(_kernels[k], arena);
            if (Profiling) Interlocked.Add(ref OpTicks[k], System.Diagnostics.Stopwatch.GetTimestamp() - t0);
        }
    }

    private void RunKernel(OpKernel kernel, EngineArena arena)
    {
        if (UseSimd) kernel.RunSimd(arena);
        else kernel.RunScalar(arena);
    }

    private static int[] Codes(EngineArena arena, QuantizedTensor t)
    {
        var codes = new int[t.Elements];
        for (int i = 0; i < codes.Length; i++) codes[i] = arena.Tensors[t.Id][i];
        return codes;
    }
}
