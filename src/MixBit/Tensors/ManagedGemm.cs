using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MixBit.Tensors;

/// <summary>
/// Blocked SIMD GEMM over <see cref="MatrixView"/>s: C = alpha * A * B + beta * C, then the epilogue.
/// <para>
/// Register block: MR x NR = 4 x 24 of C in 12 Vector256 accumulators; per k, 3 loads of B and 4 broadcasts of A feed 12
/// FMAs, the FMA peak of a core when the operands are in L1. K is cut into blocks of at most KC = 256 (fixed by K alone).
/// For each K block a task packs up to <see cref="BlockPanels"/> 24-column panels of B at once, reading each row of B as
/// one contiguous run (streaming, prefetch-friendly) and writing panels of KC x 24 (24 KB, L1-resident while every 4-row
/// panel of A of the task's rows passes over it). A is read in place through its strides (weights, transposed or not)
/// unless its k dimension spans images or M is not a multiple of 4: then it is packed once into zero-padded 4-row panels.
/// A C tile is stored in place when each third of its 24 columns is 8 adjacent floats, otherwise (edges, a tile that
/// passes from one image to the next inside 8 columns) through a small buffer.
/// </para>
/// <para>
/// Determinism: every element of C is one sequence of FMAs over k in increasing order, one K block at a time, whatever
/// the tiling, packing or thread count. When M x N is small and K large (weight gradients summed over a batch), K is
/// split into chunks fixed by the shape alone (<see cref="KChunks"/>), summed in chunk order: the same bits for any
/// number of threads.
/// </para>
/// </summary>
internal static class ManagedGemm
{
    public const int MR = 4, NR = 24, KC = 256;
    private const int V = 8; // floats per Vector256
    private const int MC = 256; // rows per task: a KC x MC block of A (256 KB) stays in L2 while panels of B pass
    private const int MinSplitRows = 16; // the fewest rows per task when rows are split for parallelism (a multiple of MR)
    private const long SmallRowWork = 1 << 14; // multiply-adds per row of C up to which row blocks may be MinSplitRows rows
    private const int BlockPanels = 8; // B panels packed per pass: KC x 192 floats (192 KB)
    private const long MinTaskMacs = 1 << 16; // below this a task is not worth handing to another thread
    private const long ColumnsOuterMaxA = 1 << 16; // floats of A (256 KB, half of L2) up to which a task runs column blocks outside

    [ThreadStatic] private static float[]? _blockB, _tile, _packedA, _partials, _dotRows;

    public static void Multiply(int m, int n, int k, float alpha, in MatrixView a, in MatrixView b, float beta, in MatrixView c, in GemmEpilogue epilogue)
        => Multiply(m, n, k, alpha, a, b, beta, c, epilogue, allowSkinnyPaths: true);

    /// <summary>
    /// Whether C^T = B^T A^T does less padded work than C = A B: a product with few columns (a pointwise layer on a 4x4 or
    /// 2x2 map at batch 1) fills 4 of the register block's 24 lanes, its transpose all of them, with its few rows padded
    /// to 4 instead. Chosen by the shape alone (1.5x margin for packing the larger operand); the bits are the same either
    /// way, since every element is the same FMA sequence.
    /// </summary>
    internal static bool PrefersTransposed(int m, int n)
        => n < NR && 3L * Pad(n, MR) * Pad(m, NR) < 2L * Pad(m, MR) * Pad(n, NR);

    private static long Pad(int x, int to) => (long)(x + to - 1) / to * to;

    /// <summary>
    /// Whether the product is a few dot products per long vector: at most <see cref="MR"/> columns while each row of A
    /// has adjacent k (weights times a few positions), or at most MR rows while each column of B has adjacent k (a
    /// batch-1 fully connected layer, x W^T). Then the long operand is read once in place, no padding and no packing of
    /// it, where the register block would pad the short side to 4 x 24 and copy the weights on every call.
    /// Chosen by shape and layout alone.
    /// </summary>
    internal static bool PrefersDots(int m, int n, in MatrixView a, in MatrixView b)
        => DotsOverRowsOfA(n, a) || (m <= MR && b.RowStride == 1 && b.RowGroup == 0);

    /// <summary>Few columns and rows of A with adjacent k: A's rows are the long vectors, B's columns the short ones.</summary>
    private static bool DotsOverRowsOfA(int n, in MatrixView a) => n <= MR && a.ColStride == 1 && a.ColGroup == 0;

    /// <summary>
    /// C(i, j) = alpha * dot(A row i, B column j) (+ C), then the epilogue; the short side's vectors are copied into
    /// adjacent rows, the long side's read where they are. Each dot is 8 lane sums over k in increasing order, added
    /// in a fixed tree (<see cref="LaneSums"/>), then the tail: the same bits for any number of threads.
    /// </summary>
    private static void Dots(int m, int n, int k, float alpha, in MatrixView a, in MatrixView b, bool accumulate, in MatrixView c, in GemmEpilogue e)
    {
        bool shortIsB = DotsOverRowsOfA(n, a);
        int longCount = shortIsB ? m : n, shortCount = shortIsB ? n : m;
        var packed = Rent(ref _dotRows, shortCount * k); // the calling thread's; workers only read it
        // Index arithmetic once per vector, not per element (a grouped index costs a division).
        for (int s = 0; s < shortCount; s++)
            if (shortIsB) Gather(b.Data, b.Offset + b.ColIndex(s), b.RowStride, b.RowGroup, b.RowGroupStride, packed.AsSpan(s * k, k));
            else Gather(a.Data, a.Offset + a.RowIndex(s), a.ColStride, a.ColGroup, a.ColGroupStride, packed.AsSpan(s * k, k));
        var job = new DotsJob
        {
            K = k, LongCount = longCount, ShortCount = shortCount, ShortIsB = shortIsB, Alpha = alpha, Accumulate = accumulate,
            Finish = !e.IsIdentity, Epilogue = e, A = a, B = b, C = c, Packed = packed,
            PerTask = Math.Max(2, (int)(MinTaskMacs / Math.Max(1L, (long)k * shortCount))),
        };
        for (int s = 0; s < shortCount; s++) job.ShortInC[s] = shortIsB ? c.ColIndex(s) : c.RowIndex(s);
        job.ShortAdjacent = shortCount == MR && job.ShortInC[1] - job.ShortInC[0] == 1 && job.ShortInC[2] - job.ShortInC[0] == 2
            && job.ShortInC[3] - job.ShortInC[0] == 3;
        Workers.Share((longCount + job.PerTask - 1) / job.PerTask, (long)job.PerTask * k * shortCount, job.Run);
    }

    /// <summary>One call of <see cref="Dots"/>: its operands and the short side's places in C, shared by its tasks.</summary>
    private sealed class DotsJob
    {
        public int K, LongCount, ShortCount, PerTask;
        public bool ShortIsB, Accumulate, Finish, ShortAdjacent;
        public float Alpha;
        public GemmEpilogue Epilogue;
        public MatrixView A, B, C;
        public float[] Packed = [];
        public readonly int[] ShortInC = new int[MR];

        public void Run(int start, int end, int worker)
        {
            int l1 = Math.Min(LongCount, end * PerTask);
            if (ShortCount == 1)
            {
                // One short vector (a batch-1 fully connected layer): four long vectors per pass, one FMA chain each.
                for (int l = start * PerTask; l < l1; l += 4)
                {
                    var dots = DotFour(K, ref LongVector(l), ref LongVector(Math.Min(l + 1, l1 - 1)), ref LongVector(Math.Min(l + 2, l1 - 1)),
                        ref LongVector(Math.Min(l + 3, l1 - 1)), ref Packed[0]);
                    for (int q = 0; q < 4 && l + q < l1; q++) Store(Vector128.CreateScalar(dots[q]), l + q);
                }
                return;
            }
            for (int l = start * PerTask; l < l1; l += 2)
            {
                // Two long vectors at a time (the second repeats the first at an odd end), so that each load of the
                // short rows feeds two FMAs.
                int lb = Math.Min(l + 1, l1 - 1);
                var (d0, d1) = Dot(K, ref LongVector(l), ref LongVector(lb), Packed, ShortCount);
                Store(d0, l);
                if (lb > l) Store(d1, lb);
            }
        }

        private ref float LongVector(int l) => ref ShortIsB ? ref A.Data[A.Offset + A.RowIndex(l)] : ref B.Data[B.Offset + B.ColIndex(l)];

        /// <summary>C at long index l and the short indices = alpha * dots (+ C), then the epilogue: as the register block's store.</summary>
        private void Store(Vector128<float> dots, int l)
        {
            int at = C.Offset + (ShortIsB ? C.RowIndex(l) : C.ColIndex(l));
            if (ShortAdjacent && ShortIsB)
            {
                StoreVector(ref C.Data[at + ShortInC[0]], dots, Alpha, Accumulate, Finish ? Epilogue : null, l);
                return;
            }
            for (int s = 0; s < ShortCount; s++)
            {
                ref float dst = ref C.Data[at + ShortInC[s]];
                float r = Accumulate ? MathF.FusedMultiplyAdd(dots[s], Alpha, dst) : dots[s] * Alpha;
                dst = Finish ? ManagedGemm.Finish(r, Epilogue, ShortIsB ? l : s) : r;
            }
        }
    }

    /// <summary>dst[p] = data[at + index(p)] for the index of one stride, or of groups of <paramref name="group"/> elements.</summary>
    private static void Gather(float[] data, int at, int stride, int group, int groupStride, Span<float> dst)
    {
        if (group == 0)
            for (int p = 0; p < dst.Length; p++) dst[p] = data[at + p * stride];
        else
            for (int p = 0; p < dst.Length; p++) dst[p] = data[at + p / group * groupStride + p % group * stride];
    }

    /// <summary>
    /// (dot(v_q[0..k), rows[s*k ..]) for s &lt; 4) for q = 0, 1, with count (at most 4) short rows: a load of a short row feeds
    /// both long vectors, a load of a long vector every short row. Rows beyond count repeat row 0 (computed, unused).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (Vector128<float>, Vector128<float>) Dot(int k, ref float v0, ref float v1, float[] rows, int count)
    {
        ref float r0 = ref rows[0];
        ref float r1 = ref Unsafe.Add(ref r0, count > 1 ? k : 0);
        ref float r2 = ref Unsafe.Add(ref r0, count > 2 ? 2 * k : 0);
        ref float r3 = ref Unsafe.Add(ref r0, count > 3 ? 3 * k : 0);
        Vector256<float> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default;
        int p = 0;
        for (; p + V <= k; p += V)
        {
            if ((p & 15) == 0) Prefetch(ref v0, ref v1, p + PrefetchAhead);
            var x0 = Vector256.LoadUnsafe(ref v0, (nuint)p);
            var x1 = Vector256.LoadUnsafe(ref v1, (nuint)p);
            var w = Vector256.LoadUnsafe(ref r0, (nuint)p);
            s00 = Vector256.FusedMultiplyAdd(x0, w, s00); s10 = Vector256.FusedMultiplyAdd(x1, w, s10);
            w = Vector256.LoadUnsafe(ref r1, (nuint)p);
            s01 = Vector256.FusedMultiplyAdd(x0, w, s01); s11 = Vector256.FusedMultiplyAdd(x1, w, s11);
            w = Vector256.LoadUnsafe(ref r2, (nuint)p);
            s02 = Vector256.FusedMultiplyAdd(x0, w, s02); s12 = Vector256.FusedMultiplyAdd(x1, w, s12);
            w = Vector256.LoadUnsafe(ref r3, (nuint)p);
            s03 = Vector256.FusedMultiplyAdd(x0, w, s03); s13 = Vector256.FusedMultiplyAdd(x1, w, s13);
        }
        var d0 = LaneSums(s00, s01, s02, s03);
        var d1 = LaneSums(s10, s11, s12, s13);
        for (; p < k; p++)
        {
            var x0 = Vector128.Create(Unsafe.Add(ref v0, p));
            var x1 = Vector128.Create(Unsafe.Add(ref v1, p));
            var w = Vector128.Create(Unsafe.Add(ref r0, p), Unsafe.Add(ref r1, p), Unsafe.Add(ref r2, p), Unsafe.Add(ref r3, p));
            d0 = Vector128.FusedMultiplyAdd(x0, w, d0);
            d1 = Vector128.FusedMultiplyAdd(x1, w, d1);
        }
        return (d0, d1);
    }

    /// <summary>
    /// (dot(v_q[0..k), row[0..k)) for q &lt; 4): the one-short-row case of <see cref="Dot"/>, in the same order per dot (8
    /// lane sums over k, <see cref="LaneSums"/>, then the tail), so the same bits; each long vector is loaded once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector128<float> DotFour(int k, ref float v0, ref float v1, ref float v2, ref float v3, ref float row)
    {
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        int p = 0;
        for (; p + V <= k; p += V)
        {
            if ((p & 15) == 0) { Prefetch(ref v0, ref v1, p + PrefetchAhead); Prefetch(ref v2, ref v3, p + PrefetchAhead); }
            var w = Vector256.LoadUnsafe(ref row, (nuint)p);
            s0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref v0, (nuint)p), w, s0);
            s1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref v1, (nuint)p), w, s1);
            s2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref v2, (nuint)p), w, s2);
            s3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref v3, (nuint)p), w, s3);
        }
        var d = LaneSums(s0, s1, s2, s3);
        for (; p < k; p++)
            d = Vector128.FusedMultiplyAdd(Vector128.Create(Unsafe.Add(ref v0, p), Unsafe.Add(ref v1, p), Unsafe.Add(ref v2, p), Unsafe.Add(ref v3, p)),
                Vector128.Create(Unsafe.Add(ref row, p)), d);
        return d;
    }

    /// <summary>
    /// Floats ahead of the current one that <see cref="Dot"/> asks the cache for, one 64-byte line per long vector: 3 KB,
    /// about 250 ns of streaming here. 1 KB ahead arrived too late (MobileNetV2 at batch 1, whose 2x2-map layers and
    /// classifier stream 11 MB of weights through the dot products: 2.9-3.0 ms per image on one thread with 256 floats
    /// ahead, 2.5-2.7 ms with 512-1024; 1.9 -> 1.4-1.5 ms on two threads; interleaved runs in one process).
    /// </summary>
    private const int PrefetchAhead = 768;

    /// <summary>
    /// Asks for the cache lines at v0[p] and v1[p]: the long vectors are weights streamed once per call (from L3 or memory
    /// when a layer's weights exceed L2), and the hardware prefetcher alone left the loop waiting on memory (measured: 5-7
    /// GB/s without, 12 GB/s with, on 24 MB of weights). A prefetch past the end of an array is harmless.
    /// </summary>
    private static unsafe void Prefetch(ref float v0, ref float v1, int p)
    {
        if (!Sse.IsSupported) return;
        Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref v0, p)));
        Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref v1, p)));
    }

    /// <summary>
    /// The lane sums of four vectors, each ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)): three AVX horizontal adds
    /// and one add for all four where AVX is present, the same tree element by element elsewhere (the same bits).
    /// </summary>
    internal static Vector128<float> LaneSums(Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3)
    {
        if (Avx.IsSupported)
        {
            var h = Avx.HorizontalAdd(Avx.HorizontalAdd(v0, v1), Avx.HorizontalAdd(v2, v3));
            return h.GetLower() + h.GetUpper();
        }
        return Vector128.Create(Tree(v0), Tree(v1), Tree(v2), Tree(v3));
        static float Tree(Vector256<float> v) => (v[0] + v[1] + (v[2] + v[3])) + (v[4] + v[5] + (v[6] + v[7]));
    }

    /// <param name="allowSkinnyPaths">False: always the register-block product as given (tests compare the paths).</param>
    internal static void Multiply(int m, int n, int k, float alpha, in MatrixView a, in MatrixView b, float beta, in MatrixView c, in GemmEpilogue epilogue,
        bool allowSkinnyPaths)
    {
        var e = epilogue.IsIdentity ? new GemmEpilogue(null) : epilogue; // default(GemmEpilogue) would clamp to [0, 0]
        if (beta != 0f && beta != 1f) { Scale(m, n, c, beta); beta = 1f; }
        if (k == 0 || alpha == 0f) { Scale(m, n, c, beta); FinishAll(m, n, c, e); return; }

        if (allowSkinnyPaths && PrefersDots(m, n, a, b))
        {
            Dots(m, n, k, alpha, a, b, beta == 1f, c, e);
            return;
        }
        int chunks = KChunks(m, n, k);
        if (allowSkinnyPaths && PrefersTransposed(m, n))
        {
            // The epilogue is per row of C, a column of C^T: applied after, with the same operations as the fused store.
            Run(n, m, k, alpha, b.Transposed, a.Transposed, beta, c.Transposed, new GemmEpilogue(null), chunks);
            if (!e.IsIdentity) FinishAll(m, n, c, e);
            return;
        }
        Run(m, n, k, alpha, a, b, beta, c, e, chunks);
    }

    /// <summary>C = beta * C (beta 0 writes zeros, whatever C held).</summary>
    private static void Scale(int m, int n, in MatrixView c, float beta)
    {
        if (beta == 1f) return;
        for (int r = 0; r < m; r++)
            for (int j = 0; j < n; j++)
            {
                ref float dst = ref c.Data[c.Offset + c.RowIndex(r) + c.ColIndex(j)];
                dst = beta == 0f ? 0f : dst * beta;
            }
    }

    /// <summary>C(r, j) = the epilogue of C(r, j), element by element.</summary>
    private static void FinishAll(int m, int n, in MatrixView c, in GemmEpilogue e)
    {
        for (int r = 0; r < m; r++)
        {
            int rowOff = c.Offset + c.RowIndex(r);
            for (int j = 0; j < n; j++)
            {
                ref float dst = ref c.Data[rowOff + c.ColIndex(j)];
                dst = Finish(dst, e, r);
            }
        }
    }

    /// <summary>The number of K blocks of a K range: as few as keep each at most <see cref="KC"/>, a function of its length alone.</summary>
    private static int KBlocks(int k) => (k + KC - 1) / KC;

    /// <summary>Block kb of <paramref name="blocks"/> equal K blocks of [k0, k1): its first row and length.</summary>
    private static (int P0, int Kc) KBlock(int k0, int k1, int blocks, int kb)
    {
        int p0 = k0 + (int)((long)(k1 - k0) * kb / blocks);
        return (p0, k0 + (int)((long)(k1 - k0) * (kb + 1) / blocks) - p0);
    }

    /// <summary>The blocked product with <paramref name="chunks"/> K chunks (of the caller's shape) and beta 0 or 1.</summary>
    private static void Run(int m, int n, int k, float alpha, in MatrixView a, in MatrixView b, float beta, in MatrixView c, in GemmEpilogue e, int chunks)
    {
        var plan = new Plan
        {
            M = m, N = n, K = k, Alpha = alpha, A = a, B = b, Beta = beta, C = c, Epilogue = e, Chunks = chunks,
        };
        if (NeedsPackedA(a, m, k)) plan.PackedA = PackA(a, m, k);
        if (chunks > 1) plan.Partials = Rent(ref _partials, chunks * m * n);
        // About 4 tasks per worker for balance, none smaller than MinTaskMacs; the split does not change any result.
        // With fewer column panels than tasks wanted, the rows are split between the workers instead (one row block each,
        // since each packs B again): split columns would be one or two panels per task, so two threads would write either
        // side of a column border, sharing its cache line, on every row (measured: a 192 x 64 x 32 product 2.5x slower on
        // two threads than on one), or there would be one task only (a 256 x 16 x 2304 product: a 3x3 conv on a 4x4 map).
        // A row block has at least 64 rows (B's packing then costs at most 1/64 of its work), or 16 where a row of C is
        // little work (n x k up to 2^14), as in pointwise layers on 8x8 maps at batch 1. Otherwise columns are split.
        int colPanels = (n + NR - 1) / NR;
        int wanted = Math.Max(1, 4 * Workers.Count / chunks);
        plan.RowsPerBlock = MC;
        int minRows = (long)n * k <= SmallRowWork ? MinSplitRows : 4 * MinSplitRows;
        if (colPanels < wanted && m >= 2 * minRows)
        {
            long rowMacs = (long)n * k / chunks;
            int byWork = (int)Math.Max(1, m * rowMacs / MinTaskMacs);
            int rowBlocks = Math.Min(Math.Min(Workers.Count, byWork), m / minRows);
            plan.RowsPerBlock = Math.Min(MC, (m + rowBlocks - 1) / rowBlocks + MR - 1) / MR * MR;
        }
        plan.RowBlocks = (m + plan.RowsPerBlock - 1) / plan.RowsPerBlock;
        long panelMacs = (long)Math.Min(m, plan.RowsPerBlock) * k / chunks * NR;
        int colBlocks = (int)Math.Clamp(Math.Min(Math.Max(1, wanted / plan.RowBlocks), colPanels * panelMacs / MinTaskMacs), 1, colPanels);
        plan.PanelsPerBlock = (colPanels + colBlocks - 1) / colBlocks;
        plan.ColBlocks = (colPanels + plan.PanelsPerBlock - 1) / plan.PanelsPerBlock;

        int tasks = chunks * plan.RowBlocks * plan.ColBlocks;
        Workers.Share(tasks, (long)m * n * k / tasks, (start, end, _) => { for (int t = start; t < end; t++) plan.RunTask(t); });
        if (chunks > 1) ReducePartials(plan);
    }

    /// <summary>
    /// K chunks of a product: 1 unless the output has fewer than 16 register tiles while K exceeds 2048, then one chunk per
    /// 1024 of K, at most 16. A function of the shape alone, so the summation order (and every bit) is independent of threads.
    /// </summary>
    internal static int KChunks(int m, int n, int k)
    {
        long tiles = (long)((m + MR - 1) / MR) * ((n + NR - 1) / NR);
        return tiles >= 16 || k <= 2048 ? 1 : Math.Min(16, k / 1024);
    }

    private static bool NeedsPackedA(in MatrixView a, int m, int k)
        => m % MR != 0 || !a.UngroupedRows(0, m) || !a.Transposed.UngroupedRows(0, k);

    /// <summary>All of A in panels of MR rows: panel q holds a[k*MR + r] = A(q*MR + r, k), zero beyond M.</summary>
    private static float[] PackA(in MatrixView a, int m, int k)
    {
        int panels = (m + MR - 1) / MR;
        var dst = Rent(ref _packedA, panels * k * MR);
        for (int row = 0; row < panels * MR; row++)
        {
            int baseOut = row / MR * k * MR + row % MR;
            if (row >= m) { for (int p = 0; p < k; p++) dst[baseOut + p * MR] = 0f; continue; }
            // Four rows with adjacent k: 4x4 transposes interleave them, four k at a time.
            if (row % MR == 0 && row + MR <= m && a.ColStride == 1 && Sse.IsSupported)
            {
                PackFourRows(a, row, k, dst.AsSpan(row / MR * k * MR, k * MR));
                row += MR - 1;
                continue;
            }
            // A row read as runs of adjacent k (one run per image when k spans images).
            int rowOff = a.Offset + a.RowIndex(row);
            for (int p = 0; p < k;)
            {
                int run = a.ColGroup == 0 ? k - p : Math.Min(k - p, a.ColGroup - p % a.ColGroup);
                int src = rowOff + a.ColIndex(p), step = a.ColStride;
                for (int q = 0; q < run; q++) dst[baseOut + (p + q) * MR] = a.Data[src + q * step];
                p += run;
            }
        }
        return dst;
    }

    /// <summary>dst[k*4 + r] = A(row + r, k) for r &lt; 4, when k has unit stride: runs of k within one group, 4x4 transposes.</summary>
    private static void PackFourRows(in MatrixView a, int row, int k, Span<float> dst)
    {
        ref float src = ref a.Data[0];
        ref float d = ref MemoryMarshal.GetReference(dst);
        int o0 = a.Offset + a.RowIndex(row), o1 = a.Offset + a.RowIndex(row + 1), o2 = a.Offset + a.RowIndex(row + 2), o3 = a.Offset + a.RowIndex(row + 3);
        for (int p = 0; p < k;)
        {
            int run = a.ColGroup == 0 ? k - p : Math.Min(k - p, a.ColGroup - p % a.ColGroup), col = a.ColIndex(p), q = 0;
            for (; q + 4 <= run; q += 4)
            {
                var r0 = Vector128.LoadUnsafe(ref src, (nuint)(o0 + col + q)); var r1 = Vector128.LoadUnsafe(ref src, (nuint)(o1 + col + q));
                var r2 = Vector128.LoadUnsafe(ref src, (nuint)(o2 + col + q)); var r3 = Vector128.LoadUnsafe(ref src, (nuint)(o3 + col + q));
                VectorOps.Transpose4x4(ref r0, ref r1, ref r2, ref r3);
                ref float o = ref Unsafe.Add(ref d, (p + q) * MR);
                r0.StoreUnsafe(ref o); r1.StoreUnsafe(ref o, 4); r2.StoreUnsafe(ref o, 8); r3.StoreUnsafe(ref o, 12);
            }
            for (; q < run; q++)
            {
                dst[(p + q) * MR] = a.Data[o0 + col + q]; dst[(p + q) * MR + 1] = a.Data[o1 + col + q];
                dst[(p + q) * MR + 2] = a.Data[o2 + col + q]; dst[(p + q) * MR + 3] = a.Data[o3 + col + q];
            }
            p += run;
        }
    }

    private sealed class Plan
    {
        public int M, N, K, Chunks, RowBlocks, RowsPerBlock, ColBlocks, PanelsPerBlock;
        public float Alpha, Beta;
        public MatrixView A, B, C;
        public GemmEpilogue Epilogue;
        public float[]? PackedA, Partials;

        public void RunTask(int task)
        {
            int cb = task % ColBlocks, rb = task / ColBlocks % RowBlocks, chunk = task / (ColBlocks * RowBlocks);
            int i0 = rb * RowsPerBlock, i1 = Math.Min(M, i0 + RowsPerBlock);
            int j0 = cb * PanelsPerBlock * NR, j1 = Math.Min(N, j0 + PanelsPerBlock * NR);
            int k0 = (int)((long)K * chunk / Chunks), k1 = (int)((long)K * (chunk + 1) / Chunks);
            // A chunk of K writes its own partial product (row-major M x N); the reduction applies beta and the epilogue.
            var c = Chunks == 1 ? C : MatrixView.RowMajor(Partials!, N, chunk * M * N);
            bool keepC = Chunks == 1 && Beta == 1f;
            GemmEpilogue? epilogue = Chunks == 1 && !Epilogue.IsIdentity ? Epilogue : null;
            var blockB = Rent(ref _blockB, KC * NR * BlockPanels);
            var tile = Rent(ref _tile, MR * NR);
            Span<int> colOffsets = stackalloc int[NR], runStart = stackalloc int[NR + 1];
            int blocks = KBlocks(k1 - k0), colSteps = (j1 - j0 + BlockPanels * NR - 1) / (BlockPanels * NR);
            // K blocks outside (GotoBLAS): a K block of the task's rows of A stays in L2 while all its column blocks pass.
            // Column blocks outside when the task's whole A fits in L2 anyway: then its block of C (rows x 192 columns)
            // stays in cache across the K blocks, where a long C (64 x 8192 of a 3x3 conv at batch 32) would go to
            // memory and back once per K block. Each element of C still sums its K blocks in order: the same bits.
            bool columnsOuter = blocks > 1 && colSteps > 1 && (long)(i1 - i0) * (k1 - k0) <= ColumnsOuterMaxA;
            for (int step = 0; step < blocks * colSteps; step++)
            {
                int kb = columnsOuter ? step % blocks : step / colSteps;
                int jb = j0 + (columnsOuter ? step / blocks : step % colSteps) * BlockPanels * NR;
                var (p0, kc) = KBlock(k0, k1, blocks, kb);
                bool accumulate = kb > 0 || keepC;
                var finish = kb == blocks - 1 ? epilogue : null;
                int ncols = Math.Min(BlockPanels * NR, j1 - jb);
                PackB(B, p0, kc, jb, ncols, blockB);
                for (int j = jb; j < jb + ncols; j += NR)
                {
                    int nc = Math.Min(NR, N - j);
                    ref float pb = ref blockB[(j - jb) / NR * kc * NR];
                    // In place when each 4-lane quarter of the tile's columns is adjacent in C (they may lie in different
                    // images: maps of 16 or 64 positions, or of 4 at 2x2), through the tile buffer otherwise.
                    for (int cc = 0; cc < nc; cc++) colOffsets[cc] = c.ColIndex(j + cc);
                    var cols = c.UngroupedRows(i0, i1 - i0) ? TileColumns.Of(colOffsets[..nc]) : null;
                    bool thirds = cols is { Thirds: true };
                    nint o1 = cols?.Q2 ?? 0, o2 = cols?.Q4 ?? 0;
                    int runs = Runs(colOffsets[..nc], runStart); // once per panel: every tile of it not stored in place merges by these
                    for (int i = i0; i < i1; i += MR)
                    {
                        int mr = Math.Min(MR, M - i);
                        ref float pa = ref PackedA is { } packed
                            ? ref packed[(i / MR * K + p0) * MR]
                            : ref A.Data[A.Offset + A.RowIndex(i) + A.ColIndex(p0)];
                        var (aK, aR) = PackedA is null ? ((nint)A.ColStride, (nint)A.RowStride) : (MR, 1);
                        if (thirds && mr == MR)
                            Kernel(kc, ref pa, aK, aR, ref pb, ref c.Data[c.Offset + c.RowIndex(i) + colOffsets[0]], c.RowStride, o1, o2,
                                Alpha, accumulate, finish, i);
                        else
                        {
                            Kernel(kc, ref pa, aK, aR, ref pb, ref tile[0], NR, V, 2 * V, 1f, false, null, 0);
                            if (cols is { } quarters && mr == MR) StoreQuarters(tile, c, i, colOffsets[0], quarters, Alpha, accumulate, finish);
                            else Merge(tile, c, i, mr, colOffsets[..nc], runStart[..(runs + 1)], Alpha, accumulate, finish);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs B(p0 .. p0+kc, jb .. jb+ncols) into consecutive kc x NR panels, block[q*kc*NR + p*NR + cc] = B(p0 + p, jb + q*NR + cc),
    /// zero beyond ncols. Rows of B are read as runs of adjacent columns (split where the columns change image); a transposed
    /// operand (strided columns) is read down each column instead, where consecutive k are adjacent.
    /// </summary>
    private static void PackB(in MatrixView b, int p0, int kc, int jb, int ncols, float[] block)
    {
        int panelLength = kc * NR, tail = ncols % NR;
        if (tail != 0) // zero lanes of the last panel
        {
            var last = block.AsSpan(ncols / NR * panelLength, panelLength);
            for (int p = 0; p < kc; p++) last.Slice(p * NR + tail, NR - tail).Clear();
        }
        var src = b.Data;
        if (b.ColStride == 1)
        {
            for (int p = 0; p < kc; p++)
            {
                int rowOff = b.Offset + b.RowIndex(p0 + p);
                for (int cc = 0; cc < ncols;)
                {
                    int lane = cc % NR;
                    int run = Math.Min(ncols - cc, NR - lane);
                    if (b.ColGroup != 0) run = Math.Min(run, b.ColGroup - (jb + cc) % b.ColGroup);
                    ref float s = ref src[rowOff + b.ColIndex(jb + cc)];
                    ref float d = ref block[cc / NR * panelLength + p * NR + lane];
                    if (run == NR)
                    {
                        Vector256.LoadUnsafe(ref s).StoreUnsafe(ref d);
                        Vector256.LoadUnsafe(ref s, V).StoreUnsafe(ref d, V);
                        Vector256.LoadUnsafe(ref s, 2 * V).StoreUnsafe(ref d, 2 * V);
                    }
                    else
                    {
                        int q = 0;
                        for (; q + V <= run; q += V) Vector256.LoadUnsafe(ref s, (nuint)q).StoreUnsafe(ref d, (nuint)q);
                        for (; q < run; q++) Unsafe.Add(ref d, q) = Unsafe.Add(ref s, q);
                    }
                    cc += run;
                }
            }
            return;
        }
        int col = 0;
        if (b.RowStride == 1 && Avx.IsSupported)
            for (; col + V <= ncols; col += V) PackEightColumns(b, p0, kc, jb + col, block.AsSpan(col / NR * panelLength + col % NR));
        for (; col < ncols; col++)
        {
            int colOff = b.Offset + b.ColIndex(jb + col), dst = col / NR * panelLength + col % NR;
            for (int p = 0; p < kc;)
            {
                int run = b.RowGroup == 0 ? kc - p : Math.Min(kc - p, b.RowGroup - (p0 + p) % b.RowGroup);
                int s = colOff + b.RowIndex(p0 + p), step = b.RowStride;
                for (int q = 0; q < run; q++) block[dst + (p + q) * NR] = src[s + q * step];
                p += run;
            }
        }
    }

    /// <summary>
    /// dst[p*NR + l] = B(p0 + p, j + l) for l &lt; 8, p &lt; kc, when consecutive k are adjacent (a transposed operand, e.g.
    /// X^T in a weight gradient): runs of k within one group, 8x8 transposes.
    /// </summary>
    private static void PackEightColumns(in MatrixView b, int p0, int kc, int j, Span<float> dst)
    {
        ref float src = ref b.Data[0];
        ref float d = ref MemoryMarshal.GetReference(dst);
        Span<int> cols = stackalloc int[V];
        for (int l = 0; l < V; l++) cols[l] = b.Offset + b.ColIndex(j + l);
        for (int p = 0; p < kc;)
        {
            int run = b.RowGroup == 0 ? kc - p : Math.Min(kc - p, b.RowGroup - (p0 + p) % b.RowGroup), row = b.RowIndex(p0 + p), q = 0;
            for (; q + V <= run; q += V)
            {
                var r0 = Vector256.LoadUnsafe(ref src, (nuint)(cols[0] + row + q)); var r1 = Vector256.LoadUnsafe(ref src, (nuint)(cols[1] + row + q));
                var r2 = Vector256.LoadUnsafe(ref src, (nuint)(cols[2] + row + q)); var r3 = Vector256.LoadUnsafe(ref src, (nuint)(cols[3] + row + q));
                var r4 = Vector256.LoadUnsafe(ref src, (nuint)(cols[4] + row + q)); var r5 = Vector256.LoadUnsafe(ref src, (nuint)(cols[5] + row + q));
                var r6 = Vector256.LoadUnsafe(ref src, (nuint)(cols[6] + row + q)); var r7 = Vector256.LoadUnsafe(ref src, (nuint)(cols[7] + row + q));
                VectorOps.Transpose8x8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
                ref float o = ref Unsafe.Add(ref d, (p + q) * NR);
                r0.StoreUnsafe(ref o); r1.StoreUnsafe(ref o, NR); r2.StoreUnsafe(ref o, 2 * NR); r3.StoreUnsafe(ref o, 3 * NR);
                r4.StoreUnsafe(ref o, 4 * NR); r5.StoreUnsafe(ref o, 5 * NR); r6.StoreUnsafe(ref o, 6 * NR); r7.StoreUnsafe(ref o, 7 * NR);
            }
            for (; q < run; q++)
                for (int l = 0; l < V; l++) dst[(p + q) * NR + l] = b.Data[cols[l] + row + q];
            p += run;
        }
    }

    /// <summary>
    /// Where the runs of columns adjacent in C start (a tile over 7x7 maps: 17 columns of one image, then 7 of the next),
    /// then the number of columns: runStart[0 .. runs], the same for every row of a panel. Returns the number of runs.
    /// </summary>
    private static int Runs(ReadOnlySpan<int> colOffsets, Span<int> runStart)
    {
        int runs = 0;
        for (int cc = 0; cc < colOffsets.Length; cc++)
            if (cc == 0 || colOffsets[cc] - colOffsets[cc - 1] != 1) runStart[runs++] = cc;
        runStart[runs] = colOffsets.Length;
        return runs;
    }

    /// <summary>
    /// C(i + r, col) = alpha * tile[r, cc] (+ C) then the epilogue, for the valid rows and the given column offsets, run by
    /// run of columns adjacent in C (<see cref="Runs"/>): 8 lanes at a time, a run's end of 8 or more as one overlapping
    /// vector (when C is overwritten), else 4 lanes (images of 4 positions), else one by one.
    /// </summary>
    private static void Merge(float[] tile, in MatrixView c, int i, int mr, ReadOnlySpan<int> colOffsets, ReadOnlySpan<int> runStart, float alpha,
        bool accumulate, GemmEpilogue? finish)
    {
        var data = c.Data;
        var va = Vector256.Create(alpha);
        int runs = runStart.Length - 1;
        for (int r = 0; r < mr; r++)
        {
            int rowOff = c.Offset + c.RowIndex(i + r);
            var e = finish is { } f ? f : default;
            for (int q = 0; q < runs; q++)
            {
                int cc = runStart[q], end = runStart[q + 1];
                for (; cc + V <= end; cc += V)
                    StoreVector(ref data[rowOff + colOffsets[cc]], Vector256.LoadUnsafe(ref tile[r * NR + cc]), va, accumulate, finish, i + r);
                if (cc == end) continue;
                if (!accumulate && end - runStart[q] >= V)
                {
                    // The run's last 8 columns, overlapping ones just stored with the same values (C is only written here).
                    StoreVector(ref data[rowOff + colOffsets[end - V]], Vector256.LoadUnsafe(ref tile[r * NR + end - V]), va, false, finish, i + r);
                    continue;
                }
                if (cc + 4 <= end)
                {
                    StoreVector(ref data[rowOff + colOffsets[cc]], Vector128.LoadUnsafe(ref tile[r * NR + cc]), alpha, accumulate, finish, i + r);
                    cc += 4;
                }
                for (; cc < end; cc++)
                {
                    // The same operations as the vector stores (a product, or one FMA with C), so all give the same bits.
                    ref float dst = ref data[rowOff + colOffsets[cc]];
                    float v = accumulate ? MathF.FusedMultiplyAdd(tile[r * NR + cc], alpha, dst) : tile[r * NR + cc] * alpha;
                    dst = finish is null ? v : Finish(v, e, i + r);
                }
            }
        }
    }

    /// <summary>clamp(v + bias, lo, hi) as the vector store computes it: max then min with x86 vmaxps/vminps semantics.</summary>
    private static float Finish(float v, in GemmEpilogue e, int row)
    {
        v += e.Bias is null ? 0f : e.Bias[row];
        v = v > e.Lo ? v : e.Lo;
        return v < e.Hi ? v : e.Hi;
    }

    /// <summary>C = beta * C + sum of the K-chunk partials in chunk order, then the epilogue; parallel over rows.</summary>
    private static void ReducePartials(Plan plan)
    {
        int m = plan.M, n = plan.N, chunks = plan.Chunks;
        var partials = plan.Partials!;
        var c = plan.C;
        bool keep = plan.Beta == 1f;
        var e = plan.Epilogue;
        Workers.For(m, (r0, r1, _) =>
        {
            for (int r = r0; r < r1; r++)
            {
                int rowOff = c.Offset + c.RowIndex(r);
                for (int j = 0; j < n; j++)
                {
                    float s = partials[r * n + j];
                    for (int q = 1; q < chunks; q++) s += partials[(q * m + r) * n + j];
                    ref float dst = ref c.Data[rowOff + c.ColIndex(j)];
                    dst = Finish(keep ? dst + s : s, e, r);
                }
            }
        });
    }

    /// <summary>
    /// Where the 24 columns of a register tile lie in a row of C, as offsets from its first column: six runs of four
    /// adjacent floats (quarters; Q0 = 0), or where each pair of quarters is adjacent, three runs of eight (thirds).
    /// </summary>
    private readonly record struct TileColumns(nint Q1, nint Q2, nint Q3, nint Q4, nint Q5)
    {
        public bool Thirds => Q1 == 4 && Q3 == Q2 + 4 && Q5 == Q4 + 4;

        /// <summary>The tile's quarters from the columns' offsets in a row of C, or null when it is not 24 columns in runs of four.</summary>
        public static TileColumns? Of(ReadOnlySpan<int> offsets)
        {
            if (offsets.Length != NR) return null;
            for (int cc = 1; cc < NR; cc++)
                if (cc % 4 != 0 && offsets[cc] - offsets[cc - 1] != 1) return null;
            int o = offsets[0];
            return new(offsets[4] - o, offsets[8] - o, offsets[12] - o, offsets[16] - o, offsets[20] - o);
        }
    }

    /// <summary>
    /// The register block: acc(4 x 24) = sum over p &lt; kc of A(r, p) * B(p, 0..23), A(r, p) at a[p*aK + r*aR] and B(p, ·) at
    /// b[p*NR] (a packed panel); then C(r, ·) = alpha * acc (+ C when accumulating), then the epilogue for C row row0 + r.
    /// Row r of C is at c[r*ldc]; its three 8-lane thirds at offsets 0, o1 and o2 (8 and 16 when the row is contiguous).
    /// The stores stay three inlined vector stores per row: a larger epilogue (six four-lane stores) made the JIT spill
    /// the accumulators inside the k loop, which ran 2.5x slower.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel(int kc, ref float a, nint aK, nint aR, ref float b, ref float c, nint ldc, nint o1, nint o2,
        float alpha, bool accumulate, GemmEpilogue? finish, int row0)
    {
        if (accumulate) PrefetchTile(ref c, ldc, o1, o2);
        Vector256<float> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        nint aR2 = aR * 2, aR3 = aR * 3;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.LoadUnsafe(ref b);
            var b1 = Vector256.LoadUnsafe(ref b, V);
            var b2 = Vector256.LoadUnsafe(ref b, 2 * V);
            var x = Vector256.Create(a);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01); c02 = Vector256.FusedMultiplyAdd(x, b2, c02);
            x = Vector256.Create(Unsafe.Add(ref a, aR));
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11); c12 = Vector256.FusedMultiplyAdd(x, b2, c12);
            x = Vector256.Create(Unsafe.Add(ref a, aR2));
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21); c22 = Vector256.FusedMultiplyAdd(x, b2, c22);
            x = Vector256.Create(Unsafe.Add(ref a, aR3));
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31); c32 = Vector256.FusedMultiplyAdd(x, b2, c32);
            a = ref Unsafe.Add(ref a, aK);
            b = ref Unsafe.Add(ref b, NR);
        }
        var va = Vector256.Create(alpha);
        StoreRow(ref c, o1, o2, c00, c01, c02, va, accumulate, finish, row0);
        StoreRow(ref Unsafe.Add(ref c, ldc), o1, o2, c10, c11, c12, va, accumulate, finish, row0 + 1);
        StoreRow(ref Unsafe.Add(ref c, 2 * ldc), o1, o2, c20, c21, c22, va, accumulate, finish, row0 + 2);
        StoreRow(ref Unsafe.Add(ref c, 3 * ldc), o1, o2, c30, c31, c32, va, accumulate, finish, row0 + 3);
    }

    /// <summary>
    /// Asks for the C tile's cache lines before the k loop of a tile that adds to C, so that they arrive while it runs: a
    /// C larger than L2 (a long product accumulated over K blocks) would otherwise stall each tile's store on memory. A
    /// tile that overwrites C does not wait for its lines (the stores are buffered), so it asks for nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchTile(ref float c, nint ldc, nint o1, nint o2)
    {
        if (!Sse.IsSupported) return;
        for (int r = 0; r < MR; r++)
        {
            ref float row = ref Unsafe.Add(ref c, r * ldc);
            Sse.Prefetch0(Unsafe.AsPointer(ref row));
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref row, o1)));
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref row, o2 + V - 1)));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(ref float c, nint o1, nint o2, Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> alpha,
        bool accumulate, GemmEpilogue? finish, int row)
    {
        StoreVector(ref c, v0, alpha, accumulate, finish, row);
        StoreVector(ref Unsafe.Add(ref c, o1), v1, alpha, accumulate, finish, row);
        StoreVector(ref Unsafe.Add(ref c, o2), v2, alpha, accumulate, finish, row);
    }

    /// <summary>
    /// C(i + r, ·) = alpha * tile[r, ·] (+ C) then the epilogue, for a full 4 x 24 tile whose columns lie in C as six runs
    /// of four (images of 2x2 positions): six four-lane stores per row, with the register block's operations per lane
    /// (the same bits), where <see cref="Merge"/> would go run by run with its general cases.
    /// </summary>
    private static void StoreQuarters(float[] tile, in MatrixView c, int i, int firstColumn, in TileColumns cols, float alpha, bool accumulate,
        GemmEpilogue? finish)
    {
        Span<nint> at = [0, cols.Q1, cols.Q2, cols.Q3, cols.Q4, cols.Q5];
        for (int r = 0; r < MR; r++)
        {
            ref float row = ref c.Data[c.Offset + c.RowIndex(i + r) + firstColumn];
            for (int q = 0; q < 6; q++)
                StoreVector(ref Unsafe.Add(ref row, at[q]), Vector128.LoadUnsafe(ref tile[r * NR + 4 * q]), alpha, accumulate, finish, i + r);
        }
    }

    /// <summary>c[0..8) = alpha * v (+ c), then clamp(· + bias[row], lo, hi) when finishing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreVector(ref float c, Vector256<float> v, Vector256<float> alpha, bool accumulate, GemmEpilogue? finish, int row)
    {
        v = accumulate ? Vector256.FusedMultiplyAdd(v, alpha, Vector256.LoadUnsafe(ref c)) : v * alpha;
        if (finish is { } e)
            v = Vector256.MinNative(Vector256.MaxNative(v + Vector256.Create(e.Bias is null ? 0f : e.Bias[row]), Vector256.Create(e.Lo)), Vector256.Create(e.Hi));
        v.StoreUnsafe(ref c);
    }

    /// <summary>Four lanes of C stored as <see cref="StoreVector(ref float, Vector256{float}, Vector256{float}, bool, GemmEpilogue?, int)"/> stores eight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreVector(ref float c, Vector128<float> v, float alpha, bool accumulate, GemmEpilogue? finish, int row)
    {
        v = accumulate ? Vector128.FusedMultiplyAdd(v, Vector128.Create(alpha), Vector128.LoadUnsafe(ref c)) : v * alpha;
        if (finish is { } e)
            v = Vector128.MinNative(Vector128.MaxNative(v + Vector128.Create(e.Bias is null ? 0f : e.Bias[row]), Vector128.Create(e.Lo)), Vector128.Create(e.Hi));
        v.StoreUnsafe(ref c);
    }

    private static float[] Rent(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length) buffer = new float[Math.Max(length, 1024)];
        return buffer;
    }
}
