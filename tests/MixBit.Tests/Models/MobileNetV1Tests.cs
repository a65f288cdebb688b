using MixBit.Models.Architectures;

namespace MixBit.Tests.Models;

public class MobileNetV1Tests
{
    [Fact]
    public void Paper_scale_parameter_count_is_4_2_million()
    {
        var g = MobileNetV1.Build(new ArchitectureOptions(1.0, 224, 3, 1000));
        // Published: 4.2 M parameters (Howard et al., Table 8); the Keras reference counts 4,253,864 incl. BN.
        Assert.InRange(g.TrainableParameterCount, 4_200_000, 4_260_000);
        Assert.Equal(new MixBit.Nn.Specs.ActivationShape(1000, 1, 1), g.OutputShape);
    }

    [Fact]
    public void Reference_cnn_has_18826_parameters()
    {
        Assert.Equal(18_826, ReferenceCnn.Build().TrainableParameterCount);
    }
}
