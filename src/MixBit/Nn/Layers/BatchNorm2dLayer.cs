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
/// Inference uses running statistics. Parallel over channels. The backward recomputes xhat from the kept input (one
/// stream fewer to write in the forward than storing it).
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

        Workers.For(channels, (c0, c1, _) => { for (int c = c0; c < c1; c++) ForwardChannel(c); });
        return Output;

        void ForwardChannel(int c)
        {
            float mean, var;
            if (batchStats)
            {
                var (sum, sq, _) = ChannelSums(x.Data, null, channels, c, n, hw);
                double mu = sum / m;
                double v = Math.Max(0, sq / m - mu * mu);
                mean = (float)mu;
                var = (float)v;
                _runningMean.Data[c] = (1 - momentum) * _runningMean.Data[c] + momentum * mean;
                float unbiased = m > 1 ? (float)(v * m / (m - 1)) : var;
                _runningVar.Data[c] = (1 - momentum) * _runningVar.Data[c] + momentum * unbiased;
            }
            else
            {
                mean = _runningMean.Data[c];
                var = _runningVar.Data[c];
            }
            float invStd = 1f / MathF.Sqrt(var + eps);
            (_mean[c], _invStd[c]) = (mean, invStd);
            float scale = _gamma.Data[c] * invStd, shift = _beta.Data[c] - mean * scale;
            ChannelAffine(x.Data, scale, null, 0f, shift, Output.Data, channels, c, n, hw);
        }
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

        Workers.For(channels, (c0, c1, _) => { for (int c = c0; c < c1; c++) BackwardChannel(c); });

        void BackwardChannel(int c)
        {
            var (sumDy, _, sumDyX) = ChannelSums(dy.Data, x.Data, channels, c, n, hw);
            float mean = _mean[c], invStd = _invStd[c];
            double sumDyXhat = invStd * (sumDyX - mean * sumDy);
            _gammaGrad.Data[c] += (float)sumDyXhat;
            _betaGrad.Data[c] += (float)sumDy;
            if (dx is null) return;
            double k = _gamma.Data[c] * invStd;
            double a = batchStats ? sumDy * mInv : 0, b = batchStats ? sumDyXhat * mInv : 0;
            float dyScale = (float)k, xScale = (float)(-k * b * invStd), shift = (float)(k * (b * invStd * mean - a));
            ChannelAffine(dy.Data, dyScale, x.Data, xScale, shift, dx.Data, channels, c, n, hw);
        }
    }

    /// <summary>
    /// Over the planes of channel c of an NCHW tensor: (sum a, sum a^2, sum a*b) (sum a*b only when b is given, else sum a^2).
    /// Planes are short (4 to 784 floats), so the loop runs over all of them with float vector accumulators, folded into
    /// double after every 512 elements (a bounded float partial sum) and at the end: a fixed order, so deterministic.
    /// </summary>
    private static (double Sum, double SumOfSquares, double Dot) ChannelSums(float[] a, float[]? b, int channels, int c, int images, int hw)
    {
        double sum = 0, second = 0;
        var vs = Vector256<float>.Zero; var vq = Vector256<float>.Zero;
        float ts = 0, tq = 0;
        ref float ra = ref MemoryMarshal.GetArrayDataReference(a);
        ref float rb = ref b is null ? ref ra : ref MemoryMarshal.GetArrayDataReference(b);
        int pending = 0;
        for (int i = 0; i < images; i++)
        {
            int off = (i * channels + c) * hw, j = 0;
            ref float pa = ref Unsafe.Add(ref ra, off);
            ref float pb = ref Unsafe.Add(ref rb, off);
            for (; j + 8 <= hw; j += 8)
            {
                var v = Vector256.LoadUnsafe(ref pa, (nuint)j);
                vs += v;
                vq = Vector256.FusedMultiplyAdd(v, Vector256.LoadUnsafe(ref pb, (nuint)j), vq);
            }
            if (j + 4 <= hw)
            {
                var v = Vector256.Create(Vector128.LoadUnsafe(ref pa, (nuint)j), Vector128<float>.Zero);
                vs += v;
                vq = Vector256.FusedMultiplyAdd(v, Vector256.Create(Vector128.LoadUnsafe(ref pb, (nuint)j), Vector128<float>.Zero), vq);
                j += 4;
            }
            for (; j < hw; j++)
            {
                ts += Unsafe.Add(ref pa, j);
                tq = MathF.FusedMultiplyAdd(Unsafe.Add(ref pa, j), Unsafe.Add(ref pb, j), tq);
            }
            pending += hw;
            if (pending >= 512 || i == images - 1)
            {
                sum += Vector256.Sum(vs) + ts;
                second += Vector256.Sum(vq) + tq;
                (vs, vq, ts, tq, pending) = (Vector256<float>.Zero, Vector256<float>.Zero, 0f, 0f, 0);
            }
        }
        return b is null ? (sum, second, 0) : (sum, 0, second);
    }

    /// <summary>d = x * p + (y * q when y is given) + shift over the planes of channel c.</summary>
    private static void ChannelAffine(float[] x, float p, float[]? y, float q, float shift, float[] d, int channels, int c, int images, int hw)
    {
        var vp = Vector256.Create(p); var vq = Vector256.Create(q); var vs = Vector256.Create(shift);
        ref float rx = ref MemoryMarshal.GetArrayDataReference(x);
        ref float ry = ref y is null ? ref rx : ref MemoryMarshal.GetArrayDataReference(y);
        ref float rd = ref MemoryMarshal.GetArrayDataReference(d);
        if (y is null) vq = Vector256<float>.Zero;
        for (int i = 0; i < images; i++)
        {
            int off = (i * channels + c) * hw, j = 0;
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
                Unsafe.Add(ref pd, j) = MathF.FusedMultiplyAdd(Unsafe.Add(ref px, j), p, MathF.FusedMultiplyAdd(Unsafe.Add(ref py, j), vq[0], shift));
        }
    }
}
