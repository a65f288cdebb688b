using MixBit.Nn.Graph;
using MixBit.Nn.Specs;

namespace MixBit.Nn.Layers;

/// <summary>Creates the executable layer for a graph node, bound to the model's parameter tensors (shared, not copied).</summary>
public static class LayerFactory
{
    public static Layer Create(Model model, GraphNode node, int seed)
    {
        Tensors.Tensor P(string suffix) => model.Parameter(node.ParameterName(suffix));
        return node.Spec switch
        {
            Conv2dSpec c => new Conv2dLayer(node.Name, c, P("weight"), c.HasBias ? P("bias") : null),
            LinearSpec l => new LinearLayer(node.Name, l, P("weight"), l.HasBias ? P("bias") : null),
            BatchNorm2dSpec b => new BatchNorm2dLayer(node.Name, b, P("weight"), P("bias"), P("running_mean"), P("running_var")),
            ReluSpec r => new ReluLayer(r),
            AddSpec => new AddLayer(),
            Pool2dSpec p => new Pool2dLayer(p),
            GlobalAvgPoolSpec => new GlobalAvgPoolLayer(),
            FlattenSpec => new FlattenLayer(),
            DropoutSpec d => new DropoutLayer(d, seed),
            SoftmaxSpec => new SoftmaxLayer(),
            _ => throw new ModelException($"Layer '{node.Name}': {node.Spec.OpName} has no float implementation."),
        };
    }
}
