using MixBit.Memory;
using MixBit.Nn.Specs;
using MixBit.Quantization;

namespace MixBit.Integer;

/// <summary>
/// Turns a calibrated or fine-tuned <see cref="FakeQuantNetwork"/> into the integer-only <see cref="QuantizedModel"/>
/// (docs/INTEGER.md). Grids come from the network's quantizers (activations) and from
/// <see cref="QuantizedWeightLayer.Quantized"/> (weights), so the integer model computes what the fake-quant network
/// computes up to rounding. Per output channel c of a layer with input scale s_in, weight scale s_w[c], output scale s_out:
/// <list type="bullet">
/// <item>BatchNorm folded: M[c] = s_in * s_w[c] / s_out, Bias[c] = round(b_eff[c] / (s_in * s_w[c])) (<see cref="IntegerBias"/>,
/// the bias the fake-quant network adds too).</item>
/// <item>BatchNorm kept (ICN): with k = gamma / sqrt(var + eps) and t = beta - k * mean, the layer computes
/// k * (s_in * s_w * (sum + B)) with B = (b + t / k) / (s_in * s_w); so M[c] = |k| * s_in * s_w / s_out and
/// Bias[c] = round(sign(k) * B), and a negative k flips the channel's weight codes (narrow-range grids are symmetric).</item>
/// <item>A channel whose output does not depend on its input (all weight codes 0, or k = 0) is the constant v = k * b_q + t
/// (b_q the quantized bias of <see cref="IntegerBias"/>; v = t when k = 0): weights 0, M = 1 (M0 = 2^30, n = 30) and
/// Bias = round(v / s_out).</item>
/// </list>
/// Every layer's accumulator bound is checked: |Bias| + sum |w| * max|x - z_in| must stay
/// below 2^31 and, times M, below 2^31 too (so the requantized value never wraps); a layer that could overflow is refused
/// by name. Options without an integer form (asymmetric or k-means weights) are refused with one message.
/// </summary>
public static class IntegerConverter
{
    private const long Int32Limit = int.MaxValue;

    public static QuantizedModel Convert(FakeQuantNetwork network, IReadOnlyDictionary<string, string>? metadata = null)
    {
        CheckOptions(network.Options);
        var plan = network.Plan;
        var tensors = plan.Tensors.Select(t => TensorOf(network, t)).ToArray();
        var ops = new QuantizedOp[plan.Ops.Count];
        for (int o = 0; o < ops.Length; o++)
        {
            var op = plan.Ops[o];
            ops[o] = op.Kind switch
            {
                DeployedOpKind.Conv2d or DeployedOpKind.DepthwiseConv2d or DeployedOpKind.Linear => ConvertLayer(network, op, tensors),
                DeployedOpKind.Add => ConvertAdd(op, tensors),
                DeployedOpKind.MaxPool => new QuantizedMaxPool(op.Name, op.Inputs[0], op.Output, KernelWindow.Of((Pool2dSpec)op.Spec)),
                _ => ConvertAveragePool(op, tensors),
            };
        }
        return new QuantizedModel(plan.Graph.Name, tensors, ops, plan.OutputTensor.Id, metadata ?? new Dictionary<string, string>());
    }

    /// <summary>Throws unless every option converts; the message names the option to drop.</summary>
    public static void CheckOptions(QuantizationOptions options)
    {
        if (options.KMeansWeights)
            throw new MixBitException("k-means weights (--kmeans) have no integer form: the integer model needs uniform weight grids; convert without --kmeans.");
        if (!options.SymmetricWeights)
            throw new MixBitException("Asymmetric weights (--asymmetric) are not converted: the integer model takes symmetric weights (no weight zero point); convert without --asymmetric.");
    }

    private static QuantizedTensor TensorOf(FakeQuantNetwork network, DeployedTensor t)
    {
        int bits = network.Plan.BitsOf(t.Id, network.Policy);
        var q = network.QuantizerOf(t.GridOf) ?? throw new InvalidOperationException($"Tensor '{t.Name}' has no quantizer.");
        var grid = q.Grid;
        if (grid.Bits != bits || grid.Signed != t.Signed)
            throw new InvalidOperationException($"Tensor '{t.Name}': quantizer {grid} disagrees with the plan ({bits} bits, signed {t.Signed}).");
        return new QuantizedTensor(t.Id, t.Name, t.Shape.Height, t.Shape.Width, t.Shape.Channels, bits, t.Signed, grid.Scale, grid.ZeroPoint);
    }

    private static QuantizedLayer ConvertLayer(FakeQuantNetwork network, DeployedOp op, QuantizedTensor[] tensors)
    {
        var weights = network.WeightLayers[op.Name].Quantized();
        var input = tensors[op.Inputs[0]];
        var output = tensors[op.Output];
        var keptBatchNorm = network.KeptBatchNorm(op.Name);
        int outChannels = op.OutputChannels, per = weights.PerChannel;
        var codes = (int[])weights.Codes.Clone();
        var bias = new int[outChannels];
        var multipliers = new FixedPointMultiplier[outChannels];
        for (int c = 0; c < outChannels; c++)
        {
            var channel = codes.AsSpan(c * per, per);
            var (k, t) = keptBatchNorm?.Affine(c) ?? (1.0, 0.0);
            double accumulatorScale = input.Scale * weights.Grid(c).Scale;
            if (k == 0 || !channel.ContainsAnyExcept(0))
            {
                // Constant channel: k * b_q + t, with b_q the quantized bias the fake-quant network adds (b with BN folded in when folded).
                channel.Clear();
                multipliers[c] = FixedPointMultiplier.FromReal(1.0);
                double value = k == 0 ? t : k * IntegerBias.Quantized(weights.Bias[c], t / k, accumulatorScale) + t;
                // Beyond the grid by one code at most: the clamp after the requantization cuts it to the grid anyway.
                bias[c] = (int)Math.Clamp(Math.Round(value / output.Scale, MidpointRounding.AwayFromZero), output.Min - 1, output.Max + 1);
                continue;
            }
            int sign = k < 0 ? -1 : 1;
            if (sign < 0) foreach (ref int w in channel) w = -w;
            double real = Math.Abs(k) * accumulatorScale / output.Scale;
            if (real >= FixedPointMultiplier.Limit)
                throw new MixBitException($"Layer '{op.Name}' channel {c}: the requantization multiplier {real:G3} is 2^30 or more; its output grid is far finer than its input and weights allow.");
            multipliers[c] = FixedPointMultiplier.FromReal(real);
            bias[c] = CheckedBias(op, sign * IntegerBias.Steps(weights.Bias[c], t / k, accumulatorScale));
        }
        CheckAccumulatorBound(op, codes, per, bias, multipliers, input);

        var (activationMin, activationMax) = ClampOf(op.Activation, output);
        KernelWindow? window = op.Spec is Conv2dSpec conv ? KernelWindow.Of(conv) : null;
        int groups = op.Spec is Conv2dSpec g ? g.Groups : 1;
        int inPerGroup = op.Kind == DeployedOpKind.DepthwiseConv2d ? 1 : op.Spec is Conv2dSpec cs ? cs.InChannelsPerGroup : input.Elements;
        var stored = StoredOrder(op, codes, input, window);
        return new QuantizedLayer(op.Name, op.Kind, input.Id, output.Id, window, groups, outChannels, inPerGroup,
            network.Policy[op.Name].WeightBits, BitPacking.Pack(stored, network.Policy[op.Name].WeightBits, signed: true),
            bias, multipliers, input.ZeroPoint, output.ZeroPoint, activationMin, activationMax);
    }

    /// <summary>The output grid's bounds, narrowed by a fused ReLU6 (or any bounded ReLU) to the code of its upper clip.</summary>
    private static (int Min, int Max) ClampOf(ReluSpec? activation, QuantizedTensor output)
    {
        int max = output.Max;
        if (activation is { IsBounded: true } r)
        {
            // The fake-quant network rounds min(y, Max) on the output grid: the code of Max, computed the same way.
            var grid = new UniformQuantizer(output.Bits, output.Signed, (float)output.Scale, output.ZeroPoint);
            max = Math.Min(max, grid.Quantize(r.Max));
        }
        return (output.Min, max);
    }

    /// <summary>
    /// Weight codes from the float layout ([out][in][kh][kw], Linear [out][in] with CHW columns) into the contract's:
    /// OHWI, [kh][kw][c] for depthwise, and Linear columns in the HWC order of its input map.
    /// </summary>
    private static int[] StoredOrder(DeployedOp op, int[] codes, QuantizedTensor input, KernelWindow? window)
    {
        var stored = new int[codes.Length];
        switch (op.Kind)
        {
            case DeployedOpKind.DepthwiseConv2d:
            {
                int channels = op.OutputChannels, taps = window!.Taps;
                for (int c = 0; c < channels; c++)
                    for (int t = 0; t < taps; t++) stored[t * channels + c] = codes[c * taps + t];
                break;
            }
            case DeployedOpKind.Conv2d:
            {
                int taps = window!.Taps, inPer = codes.Length / (op.OutputChannels * taps);
                for (int o = 0; o < op.OutputChannels; o++)
                    for (int i = 0; i < inPer; i++)
                        for (int t = 0; t < taps; t++) stored[(o * taps + t) * inPer + i] = codes[(o * inPer + i) * taps + t];
                break;
            }
            default:
            {
                // Linear: column c * H * W + y * W + x of the float model reads what NHWC holds at (y * W + x) * C + c.
                int h = input.Height, w = input.Width, ch = input.Channels, features = input.Elements;
                for (int o = 0; o < op.OutputChannels; o++)
                    for (int c = 0; c < ch; c++)
                        for (int p = 0; p < h * w; p++) stored[o * features + p * ch + c] = codes[o * features + c * h * w + p];
                break;
            }
        }
        return stored;
    }

    /// <summary>|acc| &lt;= |Bias[c]| + sum |w| * max|x - z_in| &lt; 2^31, and that bound times M[c] &lt; 2^31 (the int32 cast).</summary>
    private static void CheckAccumulatorBound(DeployedOp op, int[] codes, int per, int[] bias, FixedPointMultiplier[] multipliers, QuantizedTensor input)
    {
        long maxX = input.MaxAbsOffsetCode;
        for (int c = 0; c < bias.Length; c++)
        {
            long sumAbs = 0;
            foreach (int w in codes.AsSpan(c * per, per)) sumAbs += Math.Abs(w);
            long bound = Math.Abs((long)bias[c]) + sumAbs * maxX;
            if (bound > Int32Limit || bound * multipliers[c].Real + 1 > Int32Limit)
                throw new MixBitException($"Layer '{op.Name}' could overflow the int32 accumulator (channel {c}: |bias| {Math.Abs((long)bias[c]):N0} + weights x inputs {sumAbs * maxX:N0}); its bias is too large for its input and weight scales. Use more weight or input bits for it, or retrain with smaller biases.");
        }
    }

    /// <summary>The integer bias (<see cref="IntegerBias.Steps"/>); refused, naming the layer, beyond int32.</summary>
    private static int CheckedBias(DeployedOp op, double steps)
    {
        if (!(Math.Abs(steps) <= int.MaxValue))
            throw new MixBitException($"Layer '{op.Name}' has a bias of {steps:G3} accumulator steps, beyond int32: its weight scale is too small for its bias. Use more weight bits for it, or retrain with smaller biases.");
        return (int)steps;
    }

    private static QuantizedAdd ConvertAdd(DeployedOp op, QuantizedTensor[] tensors)
    {
        var a = tensors[op.Inputs[0]];
        var b = tensors[op.Inputs[1]];
        var output = tensors[op.Output];
        double ma = a.Scale / output.Scale, mb = b.Scale / output.Scale;
        if (Math.Max(ma, mb) >= FixedPointMultiplier.Limit || (a.MaxAbsOffsetCode * ma + b.MaxAbsOffsetCode * mb) + 1 > Int32Limit)
            throw new MixBitException($"Add '{op.Name}': its inputs' scales are 2^30 or more times its output scale; the integer Add cannot represent that.");
        var (m0A, m0B, shift) = FixedPointMultiplier.SharedShift(ma, mb);
        var (min, max) = ClampOf(op.Activation, output);
        return new QuantizedAdd(op.Name, a.Id, b.Id, output.Id, m0A, m0B, shift, a.ZeroPoint, b.ZeroPoint, output.ZeroPoint, min, max);
    }

    private static QuantizedAveragePool ConvertAveragePool(DeployedOp op, QuantizedTensor[] tensors)
    {
        var input = tensors[op.Inputs[0]];
        var output = tensors[op.Output];
        KernelWindow window;
        if (op.Spec is Pool2dSpec p)
        {
            window = KernelWindow.Of(p);
            if (window.HasPadding && !p.CountIncludePad)
                throw new MixBitException($"Average pool '{op.Name}' excludes its padding from the count, so its divisor changes at the borders; the integer pool divides by the whole window. Use count_include_pad or no padding.");
        }
        else window = KernelWindow.Whole(input.Height, input.Width);
        double real = input.Scale / (output.Scale * window.Taps);
        if (real >= FixedPointMultiplier.Limit || (double)window.Taps * input.MaxAbsOffsetCode * real + 1 > Int32Limit)
            throw new MixBitException($"Average pool '{op.Name}': its output scale is too fine for its input scale.");
        return new QuantizedAveragePool(op.Name, op.Kind, input.Id, output.Id, window, FixedPointMultiplier.FromReal(real),
            input.ZeroPoint, output.ZeroPoint, output.Min, output.Max);
    }
}
