using ScottPlot;

namespace MixBit.Reporting;

/// <summary>FLASH and RAM of every deployed op (in plan order) under one policy, and the colour it has in the plots.</summary>
public sealed record MemorySeries(string Name, Color Color, long[] FlashBytes, long[] RamBytes);
