using MixBit.Nn.Specs;
using MixBit.Tensors;

namespace MixBit.Nn.Layers;

/// <summary>
/// BatchNorm over (N, H, W) per channel. Training: y = gamma * xhat + beta with xhat = (x - mean) / sqrt(var + eps)
/// from batch statistics (biased var), running stats updated with the unbiased var (PyTorch). Backward:
/// dx = gamma * invstd / M * (M * dy - sum(dy) - xhat * sum(dy * xhat)), M = N*H*W.
/// Inference uses running statistics. Parallel over channels.
/// </summary>
public sealed class BatchNorm2dLayer : Layer
{
    private readonly BatchNorm2dSpec _spec;
    private readonly Tensor _gamma, _beta, _runningMean, _runningVar;
    private readonly Tensor _gammaGrad, _betaGrad;
    private readonly ParameterSlot[] _parameters;
    private readonly Tensor _xhat = new(0);
    private readonly float[] _invStd;
    private bool _trainingForward;

    public BatchNorm2dLayer(string name, BatchNorm2dSpec spec, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar)
    {
        (_spec, _gamma, _beta, _runningMean, _runningVar) = (spec, gamma, beta, runningMean, runningVar);
        _gammaGrad = new Tensor(spec.Channels);
        _betaGrad = new Tensor(spec.Channels);
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
        var x = inputs[0];
        ShapeLike(Output, x);
        int n = x.Dim(0), channels = x.Dim(1), hw = x.Length / (n * channels);
        bool batchStats = training && !FreezeStatistics;
        _trainingForward = training;
        if (training) ShapeLike(_xhat, x);
        float momentum = _spec.Momentum, eps = _spec.Epsilon;
        long m = (long)n * hw;

        Workers.For(channels, (c0, c1, _) => { for (int c = c0; c < c1; c++) ForwardChannel(c); });
        return Output;

        void ForwardChannel(int c)
        {
            float mean, var;
            if (batchStats)
            {
                double sum = 0, sq = 0;
                for (int i = 0; i < n; i++)
                {
                    var (s1, s2) = VectorOps.SumAndSumOfSquares(x.Data.AsSpan((i * channels + c) * hw, hw));
                    sum += s1;
                    sq += s2;
                }
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
            _invStd[c] = invStd;
            float scale = _gamma.Data[c] * invStd, shift = _beta.Data[c] - mean * scale;
            for (int i = 0; i < n; i++)
            {
                int off = (i * channels + c) * hw;
                var src = x.Data.AsSpan(off, hw);
                var dst = Output.Data.AsSpan(off, hw);
                if (training) VectorOps.Normalize(src, mean, invStd, _gamma.Data[c], _beta.Data[c], _xhat.Data.AsSpan(off, hw), dst);
                else VectorOps.Affine(src, scale, shift, dst);
            }
        }
    }

    public override void Backward(Tensor outputGradient, Tensor?[] inputGradients)
    {
        if (!_trainingForward) throw new InvalidOperationException("BatchNorm backward needs a training forward pass.");
        var dy = outputGradient;
        int n = dy.Dim(0), channels = dy.Dim(1), hw = dy.Length / (n * channels);
        var dx = inputGradients[0];
        if (dx is not null) ShapeLike(dx, dy);
        bool batchStats = !FreezeStatistics;
        float mInv = 1f / ((long)n * hw);

        Workers.For(channels, (c0, c1, _) => { for (int c = c0; c < c1; c++) BackwardChannel(c); });

        void BackwardChannel(int c)
        {
            double sumDy = 0, sumDyXhat = 0;
            for (int i = 0; i < n; i++)
            {
                int off = (i * channels + c) * hw;
                var (s1, s2) = VectorOps.SumAndDot(dy.Data.AsSpan(off, hw), _xhat.Data.AsSpan(off, hw));
                sumDy += s1;
                sumDyXhat += s2;
            }
            _gammaGrad.Data[c] += (float)sumDyXhat;
            _betaGrad.Data[c] += (float)sumDy;
            if (dx is null) return;
            float k = _gamma.Data[c] * _invStd[c];
            // With frozen statistics BN is affine: dx = gamma * invstd * dy.
            float a = batchStats ? (float)(sumDy * mInv) : 0f, b = batchStats ? (float)(sumDyXhat * mInv) : 0f;
            for (int i = 0; i < n; i++)
            {
                int off = (i * channels + c) * hw;
                VectorOps.BatchNormInputGradient(dy.Data.AsSpan(off, hw), _xhat.Data.AsSpan(off, hw), a, b, k, dx.Data.AsSpan(off, hw));
            }
        }
    }
}
