using MixBit.Nn;
using MixBit.Nn.Graph;
using MixBit.Nn.Specs;
using MixBit.Tensors;

namespace MixBit.Quantization;

/// <summary>A BatchNorm node's spec and parameter tensors (shared with the model), folded into a layer or kept beside it.</summary>
public sealed record BatchNormParameters(string Name, BatchNorm2dSpec Spec, Tensor Gamma, Tensor Beta, Tensor RunningMean, Tensor RunningVar)
{
    public static BatchNormParameters Of(Model model, GraphNode node)
    {
        Tensor P(string suffix) => model.Parameter(node.ParameterName(suffix));
        return new(node.Name, (BatchNorm2dSpec)node.Spec, P("weight"), P("bias"), P("running_mean"), P("running_var"));
    }

    /// <summary>Inference form y = k * x + t of channel <paramref name="c"/>: k = gamma / sqrt(var + eps), t = beta - k * mean (in double).</summary>
    public (double Scale, double Shift) Affine(int c)
    {
        double k = Gamma.Data[c] / Math.Sqrt(RunningVar.Data[c] + (double)Spec.Epsilon);
        return (k, Beta.Data[c] - k * RunningMean.Data[c]);
    }
}
