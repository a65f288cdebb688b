namespace MixBit.Tests;

/// <summary>
/// Tests that switch process-wide settings (the GEMM backend, the worker count) or need them stable for bit-exact
/// comparisons run in this collection, which xunit runs alone, never beside other tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalStateCollection
{
    public const string Name = "Global state";
}
