using MixBit.Data;
using MixBit.Nn.Graph;

namespace MixBit.Workflows;

/// <summary>The one check that a model can run on a data set: its input shape and its number of outputs (classes).</summary>
public static class ModelDataCheck
{
    public static void Check(ModelGraph graph, ImageDataset data)
    {
        var s = graph.InputShape;
        if (s.Channels != data.Channels || s.Height != data.Height || s.Width != data.Width)
            throw new MixBitException($"The model expects {s} inputs but the data is {data.Channels}x{data.Height}x{data.Width}.");
        // A label past the model's outputs would otherwise fail deep inside the loss.
        if (graph.OutputShape.LongElements != data.ClassCount)
            throw new MixBitException($"The model has {graph.OutputShape.LongElements} outputs but the data has {data.ClassCount} classes; use a classifier with one output per class.");
    }
}
