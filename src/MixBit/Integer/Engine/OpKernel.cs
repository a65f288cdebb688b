namespace MixBit.Integer.Engine;

/// <summary>
/// A prepared op of the integer engine: the scalar reference (the contract's formula, loop by loop) and, where it pays, an
/// AVX2 path that computes the same integers. Reads and writes the tensors of an <see cref="EngineArena"/>.
/// </summary>
internal abstract class OpKernel
{
    /// <summary>int16 elements of im2col scratch the SIMD path needs.</summary>
    public virtual int ColumnShorts => 0;

    public abstract void RunScalar(EngineArena arena);

    public virtual void RunSimd(EngineArena arena) => RunScalar(arena);

    /// <summary>clamp(v + zeroPoint, min, max): the last step of every requantizing op.</summary>
    protected static short Store(int requantized, int zeroPoint, int min, int max) => (short)Math.Clamp(requantized + zeroPoint, min, max);
}
