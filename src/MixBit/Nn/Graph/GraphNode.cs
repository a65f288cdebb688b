using MixBit.Nn.Specs;

namespace MixBit.Nn.Graph;

/// <summary>
/// One node of a model graph: a named layer and the indices of the nodes it reads.
/// Input index <see cref="ModelGraph.GraphInput"/> (-1) is the network input.
/// </summary>
public sealed record GraphNode(string Name, LayerSpec Spec, int[] Inputs)
{
    public string ParameterName(string suffix) => $"{Name}.{suffix}";
}
