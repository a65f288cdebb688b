using Onnx;

namespace MixBit.Models.Onnx;

/// <summary>
/// Orders ONNX nodes so that every node comes after the producers of its inputs (Kahn's algorithm; among ready
/// nodes the file's order is kept, so an already sorted graph is unchanged). ONNX requires sorted graphs, but
/// hand-edited files are not always.
/// </summary>
internal static class OnnxTopologicalSort
{
    /// <param name="available">Tensors that exist before any node runs: graph inputs and initializers.</param>
    public static IReadOnlyList<int> Sort(IReadOnlyList<NodeProto> nodes, IReadOnlySet<string> available, string source)
    {
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < nodes.Count; i++)
            foreach (var output in nodes[i].Output)
                if (output.Length > 0 && !producer.TryAdd(output, i))
                    throw new OnnxImportException($"{source}: tensor '{output}' is produced by two nodes ({Label(nodes, producer[output])} and {Label(nodes, i)}), so the file is not a valid ONNX graph.");

        var pending = new int[nodes.Count];
        var dependents = Enumerable.Range(0, nodes.Count).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < nodes.Count; i++)
            foreach (var input in nodes[i].Input)
            {
                if (input.Length == 0) continue; // optional input left out
                if (producer.TryGetValue(input, out int p))
                {
                    pending[i]++;
                    dependents[p].Add(i);
                }
                else if (!available.Contains(input))
                    throw new OnnxImportException($"{source}: tensor '{input}' read by {Label(nodes, i)} is missing (it is neither the graph input, an initializer nor a node's output), so the file is incomplete.");
            }

        var ready = new PriorityQueue<int, int>();
        for (int i = 0; i < nodes.Count; i++) if (pending[i] == 0) ready.Enqueue(i, i);
        var order = new List<int>(nodes.Count);
        while (ready.TryDequeue(out int i, out _))
        {
            order.Add(i);
            foreach (int d in dependents[i])
                if (--pending[d] == 0) ready.Enqueue(d, d);
        }
        if (order.Count != nodes.Count)
        {
            int stuck = Enumerable.Range(0, nodes.Count).First(i => pending[i] > 0);
            throw new OnnxImportException($"{source}: the graph has a cycle through {Label(nodes, stuck)}, so it is not a valid ONNX model.");
        }
        return order;
    }

    public static string Label(IReadOnlyList<NodeProto> nodes, int i) =>
        $"node '{(nodes[i].Name.Length > 0 ? nodes[i].Name : $"#{i}")}' ({nodes[i].OpType})";
}
