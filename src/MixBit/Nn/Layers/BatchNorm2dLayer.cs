using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MixBit.Nn.Specs;
using MixBit.Tensors;

namespace MixBit.Nn.Layers;

/// <summary>
/// BatchNorm over (N, H, W) per channel. Training: y = gamma * xhat + beta with xhat = (x - mean) / sqrt(var + eps)
/// from batch statistics (biased var), running stats updated with the unbiased var (PyTorch). Backward:
/// dx = gamma * invstd / M * (M * dy - sum(dy) - xhat * sum(dy * xhat)), M = N*H*W.
/// Inference uses running statistics. Parallel over groups of 8 channels, each read image by image (8 adjacent planes).
/// The backward recomputes xhat from the kept input (one stream fewer to write in the forward than storing it).
/// </summary>
public sealed class BatchNorm2dLayer : Layer
{
    private readonly BatchNorm2dSpec _spec;
    private readonly Tensor _gamma, _beta, _runningMean, _runningVar;
    private readonly Tensor _gammaGrad, _betaGrad;
    private readonly ParameterSlot[] _parameters;
    private readonly float[] _mean, _invStd;
    private Tensor _input = null!;
    private bool _trainingForward;

    public BatchNorm2dLayer(string name, BatchNorm2dSpec spec, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar)
    {
        (_spec, _gamma, _beta, _runningMean, _runningVar) = (spec, gamma, beta, runningMean, runningVar);
        _gammaGrad = new Tensor(spec.Channels);
        _betaGrad = new Tensor(spec.Channels);
        _mean = new float[spec.Channels];
        _invStd = new float[spec.Channels];
        _parameters = [new($"{name}.weight", gamma, _gammaGrad, false), new($"{name}.bias", beta, _betaGrad, false)];
    }

    public BatchNorm2dSpec Spec => _spec;
    public Tensor Gamma => _gamma;
    public Tensor Beta => _beta;
    public Tensor RunningMean => _runningMean;
    public Tensor RunningVariance => _runningVar;
    public override IReadOnlyList<ParameterSlot> Parameters => _parameters;

    /// <summary>When set, training forwards still use (and do not update) running statistics, e.g. frozen BN in QAT.</summary>
    public bool FreezeStatistics { get; set; }

    public override Tensor Forward(Tensor[] inputs, bool training)
    {
        var x = _input = inputs[0];
        ShapeLike(Output, x);
        int n = x.Dim(0), channels = x.Dim(1), hw = x.Length / (n * channels);
        bool batchStats = training && !FreezeStatistics;
        _trainingForward = training;
        float momentum = _spec.Momentum, eps = _spec.Epsilon;
        long m = (long)n * hw;

        Workers.Share(Groups(channels), 3L * Group * n * hw, (g0, g1, _) =>
        {
            Span<double> sum = stackalloc double[Group], sq = stackalloc double[Group], unused = stackalloc double[Group];
            Span<float> scale = stackalloc float[Group], shift = stackalloc float[Group];
            for (int g = g0; g < g1; g++)
            {
                int c0 = g * Group, count = Math.Min(Group, channels - c0);
                if (batchStats) GroupSums(x.Data, null, channels, c0, count, n, hw, sum, sq, unused);
                for (int k = 0; k < count; k++)
                {
                    int c = c0 + k;
                    float mean, var;
                    if (batchStats)
                    {
                        double mu = sum[k] / m, v = Math.Max(0, sq[k] / m - mu * mu);
                        (mean, var) = ((float)mu, (float)v);
                        _runningMean.Data[c] = (1 - momentum) * _runningMean.Data[c] + momentum * mean;
                        float unbiased = m > 1 ? (float)(v * m / (m - 1)) : var;
                        _runningVar.Data[c] = (1 - momentum) * _runningVar.Data[c] + momentum * unbiased;
                    }
                    else (mean, var) = (_runningMean.Data[c], _runningVar.Data[c]);
                    float invStd = 1f / MathF.Sqrt(var + eps);
                    (_mean[c], _invStd[c]) = (mean, invStd);
                    scale[k] = _gamma.Data[c] * invStd;
                    shift[k] = _beta.Data[c] - mean * scale[k];
                }
                GroupAffine(x.Data, scale, null, default, shift, Output.Data, channels, c0, count, n, hw);
            }
        });
        return Output;
    }

    /// <summary>
    /// With xhat = (x - mean) * invStd recomputed from the kept input: dgamma += sum(dy * xhat), dbeta += sum(dy), and
    /// dx = k * (dy - a - xhat * b) with k = gamma * invStd, a = sum(dy) / M, b = sum(dy * xhat) / M (a = b = 0 with frozen
    /// statistics), evaluated as the affine map dx = k * dy - (k * b * invStd) * x + k * (b * invStd * mean - a).
    /// </summary>
    public override void Backward(Tensor outputGradient, Tensor?[] inputGradients)
    {
        if (!_trainingForward) throw new InvalidOperationException("BatchNorm backward needs a training forward pass.");
        var dy = outputGradient;
        var x = _input;
        int n = dy.Dim(0), channels = dy.Dim(1), hw = dy.Length / (n * channels);
        var dx = inputGradients[0];
        if (dx is not null) ShapeLike(dx, dy);
        bool batchStats = !FreezeStatistics;
        double mInv = 1.0 / ((long)n * hw);

        Workers.Share(Groups(channels), 3L * Group * n * hw, (g0, g1, _) =>
        {
            Span<double> sumDy = stackalloc double[Group], sumDyX = stackalloc double[Group], unused = stackalloc double[Group];
            Span<float> dyScale = stackalloc float[Group], xScale = stackalloc float[Group], shift = stackalloc float[Group];
            for (int g = g0; g < g1; g++)
            {
                int c0 = g * Group, count = Math.Min(Group, channels - c0);
                GroupSums(dy.Data, x.Data, channels, c0, count, n, hw, sumDy, unused, sumDyX);
                for (int k = 0; k < count; k++)
                {
                    int c = c0 + k;
                    float mean = _mean[c], invStd = _invStd[c];
                    double sumDyXhat = invStd * (sumDyX[k] - mean * sumDy[k]);
                    _gammaGrad.Data[c] += (float)sumDyXhat;
                    _betaGrad.Data[c] += (float)sumDy[k];
                    double kk = _gamma.Data[c] * invStd;
                    double a = batchStats ? sumDy[k] * mInv : 0, b = batchStats ? sumDyXhat * mInv : 0;
                    dyScale[k] = (float)kk;
                    xScale[k] = (float)(-kk * b * invStd);
                    shift[k] = (float)(kk * (b * invStd * mean - a));
                }
                if (dx is not null) GroupAffine(dy.Data, dyScale, x.Data, xScale, shift, dx.Data, channels, c0, count, n, hw);
            }
        });
    }

    /// <summary>Channels per task: 8 planes of one image are adjacent in memory, so a group is read image by image as one run.</summary>
    private const int Group = 8;

    private static int Groups(int channels) => (channels + Group - 1) / Group;

    /// <summary>
    /// For channels c0 + k (k &lt; count) of an NCHW tensor: sum[k] = sum a, and sum a^2 into <paramref name="squares"/> or,
    /// when b is given, sum a*b into <paramref name="dots"/>. Per channel the planes are summed in float vectors, folded into
    /// double after every 512 elements (a bounded float partial sum) and at the end: a fixed order, so deterministic.
    /// </summary>
    private static void GroupSums(float[] a, float[]? b, int channels, int c0, int count, int images, int hw,
        Span<double> sum, Span<double> squares, Span<double> dots)
    {
        Span<Vector256<float>> vs = stackalloc Vector256<float>[count], vq = stackalloc Vector256<float>[count];
        Span<float> ts = stackalloc float[count], tq = stackalloc float[count];
        var second = b is null ? squares : dots;
        vs.Clear(); vq.Clear(); ts.Clear(); tq.Clear();
        sum[..count].Clear(); second[..count].Clear();
        ref float ra = ref MemoryMarshal.GetArrayDataReference(a);
        ref float rb = ref b is null ? ref ra : ref MemoryMarshal.GetArrayDataReference(b);
        int pending = 0;
        for (int i = 0; i < images; i++)
        {
            for (int k = 0; k < count; k++)
            {
                int off = (i * channels + c0 + k) * hw, j = 0;
                ref float pa = ref Unsafe.Add(ref ra, off);
                ref float pb = ref Unsafe.Add(ref rb, off);
                var s = vs[k]; var q = vq[k];
                for (; j + 8 <= hw; j += 8)
                {
                    var v = Vector256.LoadUnsafe(ref pa, (nuint)j);
                    s += v;
                    q = Vector256.FusedMultiplyAdd(v, Vector256.LoadUnsafe(ref pb, (nuint)j), q);
                }
                if (j + 4 <= hw)
                {
                    var v = Vector256.Create(Vector128.LoadUnsafe(ref pa, (nuint)j), Vector128<float>.Zero);
                    s += v;
                    q = Vector256.FusedMultiplyAdd(v, Vector256.Create(Vector128.LoadUnsafe(ref pb, (nuint)j), Vector128<float>.Zero), q);
                    j += 4;
                }
                for (; j < hw; j++)
                {
                    ts[k] += Unsafe.Add(ref pa, j);
                    tq[k] = MathF.FusedMultiplyAdd(Unsafe.Add(ref pa, j), Unsafe.Add(ref pb, j), tq[k]);
                }
                (vs[k], vq[k]) = (s, q);
            }
            pending += hw;
            if (pending >= 512 || i == images - 1)
            {
                for (int k = 0; k < count; k++)
                {
                    sum[k] += Vector256.Sum(vs[k]) + ts[k];
                    second[k] += Vector256.Sum(vq[k]) + tq[k];
                }
                vs.Clear(); vq.Clear(); ts.Clear(); tq.Clear();
                pending = 0;
            }
        }
    }

    /// <summary>d = x * p[k] + (y * q[k] when y is given) + shift[k] over the planes of channels c0 + k, image by image.</summary>
    private static void GroupAffine(float[] x, ReadOnlySpan<float> p, float[]? y, ReadOnlySpan<float> q, ReadOnlySpan<float> shift, float[] d,
        int channels, int c0, int count, int images, int hw)
    {
        ref float rx = ref MemoryMarshal.GetArrayDataReference(x);
        ref float ry = ref y is null ? ref rx : ref MemoryMarshal.GetArrayDataReference(y);
        ref float rd = ref MemoryMarshal.GetArrayDataReference(d);
        for (int i = 0; i < images; i++)
            for (int k = 0; k < count; k++)
            {
                float pk = p[k], qk = y is null ? 0f : q[k], sk = shift[k];
                var vp = Vector256.Create(pk); var vq = Vector256.Create(qk); var vs = Vector256.Create(sk);
                int off = (i * channels + c0 + k) * hw, j = 0;
                ref float px = ref Unsafe.Add(ref rx, off);
                ref float py = ref Unsafe.Add(ref ry, off);
                ref float pd = ref Unsafe.Add(ref rd, off);
                for (; j + 8 <= hw; j += 8)
                    Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref px, (nuint)j), vp,
                        Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref py, (nuint)j), vq, vs)).StoreUnsafe(ref pd, (nuint)j);
                if (j + 4 <= hw)
                {
                    Vector128.FusedMultiplyAdd(Vector128.LoadUnsafe(ref px, (nuint)j), vp.GetLower(),
                        Vector128.FusedMultiplyAdd(Vector128.LoadUnsafe(ref py, (nuint)j), vq.GetLower(), vs.GetLower())).StoreUnsafe(ref pd, (nuint)j);
                    j += 4;
                }
                for (; j < hw; j++)
                    Unsafe.Add(ref pd, j) = MathF.FusedMultiplyAdd(Unsafe.Add(ref px, j), pk, MathF.FusedMultiplyAdd(Unsafe.Add(ref py, j), qk, sk));
            }
    }
}
