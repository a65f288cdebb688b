namespace MixBit.Memory;

/// <summary>Integer operators of a deployed model. Conv2d/DepthwiseConv2d/Linear are "quantized layers" (own weights and bits).</summary>
public enum DeployedOpKind { Conv2d, DepthwiseConv2d, Linear, Add, MaxPool, AvgPool, GlobalAvgPool }
