namespace MixBit.Memory;

/// <summary>
/// One buffer of the static arena: an activation tensor or an op's kernel scratch, live from op <see cref="FirstOp"/>
/// to op <see cref="LastOp"/> (inclusive), placed at a multiple of <see cref="Alignment"/> bytes.
/// </summary>
public readonly record struct ArenaBuffer(string Name, long Bytes, int FirstOp, int LastOp, int Alignment = 1)
{
    public bool OverlapsInTime(ArenaBuffer other) => FirstOp <= other.LastOp && other.FirstOp <= LastOp;
}

/// <summary>
/// The static arena of the deployed model: an offset for every buffer such that no two buffers live during the same
/// op share a byte. Its <see cref="SizeBytes"/> IS the model's RAM figure (<see cref="PlanCost.PeakRamBytes"/> reads
/// it), and the C generator declares one array of that size with these offsets. <see cref="LowerBoundBytes"/> is the
/// largest sum of buffers live during one op (what no placement can go below); greedy first-fit placements in a few
/// orders (then, only if none reaches the bound, seeded random orders) are tried and the smallest kept, so the arena reaches the bound on chains and usually on residual graphs,
/// and where it does not the memory model reports the placed size (never the bound).
/// </summary>
public sealed class ArenaLayout
{
    /// <summary>Alignment of kernel scratch (the runtime reads it as int16/int32) and of the arena itself.</summary>
    public const int ScratchAlignment = 4;

    private readonly ArenaBuffer[] _buffers;
    private readonly long[] _offsets;

    private ArenaLayout(ArenaBuffer[] buffers, long[] offsets, long lowerBound, int tensors)
    {
        (_buffers, _offsets, LowerBoundBytes, TensorCount) = (buffers, offsets, lowerBound, tensors);
        long size = 0;
        for (int i = 0; i < buffers.Length; i++) size = Math.Max(size, offsets[i] + buffers[i].Bytes);
        SizeBytes = size;
    }

    public IReadOnlyList<ArenaBuffer> Buffers => _buffers;

    /// <summary>Byte offset of buffer <paramref name="buffer"/> (index into <see cref="Buffers"/>).</summary>
    public long OffsetOf(int buffer) => _offsets[buffer];

    /// <summary>Bytes of the arena: the end of the highest placed buffer.</summary>
    public long SizeBytes { get; }

    /// <summary>Largest sum of the buffers live during one op.</summary>
    public long LowerBoundBytes { get; }

    /// <summary>Buffers [0, TensorCount) are the tensors by id, then one scratch buffer per op (possibly empty).</summary>
    public int TensorCount { get; }

    public long TensorOffset(int tensor) => _offsets[tensor];

    public long ScratchOffset(int op) => _offsets[TensorCount + op];

    public long ScratchBytes(int op) => _buffers[TensorCount + op].Bytes;

    /// <summary>
    /// The arena of a deployed model: tensor t (bytes, live from its producer op, or op 0 for the network input, to its
    /// last reader) is buffer t; op o's kernel scratch (4-byte aligned, live during op o only) is buffer tensors + o.
    /// Both the memory model (<see cref="PlanCost"/>) and the C generator (from the integer model) call this.
    /// </summary>
    public static ArenaLayout ForModel(IReadOnlyList<ArenaBuffer> tensors, IReadOnlyList<long> scratchBytes, IReadOnlyList<string> opNames)
    {
        var all = new List<ArenaBuffer>(tensors.Count + scratchBytes.Count);
        foreach (var t in tensors) all.Add(t with { FirstOp = Math.Max(0, t.FirstOp) });
        for (int o = 0; o < scratchBytes.Count; o++) all.Add(new ArenaBuffer(opNames[o] + ".scratch", scratchBytes[o], o, o, ScratchAlignment));
        return Place(all, tensors.Count);
    }

    /// <summary>Places <paramref name="buffers"/> (best of several first-fit orders).</summary>
    public static ArenaLayout Place(IReadOnlyList<ArenaBuffer> buffers, int tensorCount = 0)
    {
        var b = buffers.ToArray();
        long bound = LowerBound(b);
        ArenaLayout? best = null;
        foreach (var order in Orders(b))
        {
            var layout = new ArenaLayout(b, FirstFit(b, order), bound, tensorCount);
            if (best is null || layout.SizeBytes < best.SizeBytes) best = layout;
            if (best.SizeBytes <= bound) break;
        }
        return best ?? new ArenaLayout(b, [], bound, tensorCount);
    }

    /// <summary>The largest sum of buffers live during one op.</summary>
    public static long LowerBound(IReadOnlyList<ArenaBuffer> buffers)
    {
        if (buffers.Count == 0) return 0;
        int ops = buffers.Max(x => x.LastOp) + 1;
        var sum = new long[ops + 1];
        foreach (var x in buffers)
        {
            sum[Math.Max(0, x.FirstOp)] += x.Bytes;
            sum[x.LastOp + 1] -= x.Bytes;
        }
        long run = 0, max = 0;
        for (int o = 0; o < ops; o++) { run += sum[o]; max = Math.Max(max, run); }
        return max;
    }

    /// <summary>Orders to try: scratch first then by size; by size; by start then size; by lifetime length then size.</summary>
    private static IEnumerable<int[]> Orders(ArenaBuffer[] b)
    {
        var idx = Enumerable.Range(0, b.Length).ToArray();
        yield return idx.OrderByDescending(i => b[i].Alignment).ThenByDescending(i => b[i].Bytes).ThenBy(i => i).ToArray();
        yield return idx.OrderByDescending(i => b[i].Bytes).ThenBy(i => i).ToArray();
        yield return idx.OrderBy(i => b[i].FirstOp).ThenByDescending(i => b[i].Bytes).ThenBy(i => i).ToArray();
        yield return idx.OrderByDescending(i => b[i].LastOp - b[i].FirstOp).ThenByDescending(i => b[i].Bytes).ThenBy(i => i).ToArray();
        yield return idx.OrderByDescending(i => b[i].Bytes * (b[i].LastOp - b[i].FirstOp + 1)).ThenBy(i => i).ToArray();
        // Still above the bound (residual graphs): deterministic pseudo-random orders, largest buffers first on average.
        var rng = new Random(b.Length);
        for (int round = 0; round < RandomOrders; round++)
        {
            var keys = idx.Select(i => b[i].Bytes * (0.5 + rng.NextDouble())).ToArray();
            yield return idx.OrderByDescending(i => keys[i]).ToArray();
        }
    }

    /// <summary>Random first-fit orders tried when the heuristic orders do not reach the bound.</summary>
    private const int RandomOrders = 48;

    /// <summary>Each buffer in turn at the lowest aligned offset where it overlaps no placed buffer live at the same time.</summary>
    private static long[] FirstFit(ArenaBuffer[] b, int[] order)
    {
        var offsets = new long[b.Length];
        var placed = new List<int>(b.Length);
        var conflicts = new List<(long Start, long End)>();
        foreach (int i in order)
        {
            conflicts.Clear();
            foreach (int j in placed)
                if (b[j].Bytes > 0 && b[i].OverlapsInTime(b[j])) conflicts.Add((offsets[j], offsets[j] + b[j].Bytes));
            conflicts.Sort((x, y) => x.Start.CompareTo(y.Start));
            long at = 0;
            foreach (var (start, end) in conflicts)
            {
                if (RoundUp(at, b[i].Alignment) + b[i].Bytes <= start) break;
                at = Math.Max(at, end);
            }
            offsets[i] = RoundUp(at, b[i].Alignment);
            placed.Add(i);
        }
        return offsets;
    }

    private static long RoundUp(long x, int m) => m <= 1 ? x : (x + m - 1) / m * m;

    /// <summary>True when no two buffers live during the same op share a byte (checked by the tests and the generator).</summary>
    public bool HasNoOverlap()
    {
        for (int i = 0; i < _buffers.Length; i++)
        {
            if (_offsets[i] % Math.Max(1, _buffers[i].Alignment) != 0) return false;
            for (int j = i + 1; j < _buffers.Length; j++)
                if (_buffers[i].Bytes > 0 && _buffers[j].Bytes > 0 && _buffers[i].OverlapsInTime(_buffers[j])
                    && _offsets[i] < _offsets[j] + _buffers[j].Bytes && _offsets[j] < _offsets[i] + _buffers[i].Bytes) return false;
        }
        return true;
    }
}
