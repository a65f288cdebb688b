using MixBit.Integer;
using MixBit.Memory;
using MixBit.Quantization;
using MixBit.Tests.Memory;

namespace MixBit.Tests.Integer;

public class FlashBytesTests
{
    /// <summary>
    /// The memory model's FLASH (packed weights + DeployedParameterLayout per op) equals the bytes the integer model
    /// stores (packed weights + DeviceParameters per op), op by op, on random models, policies and every option that converts.
    /// </summary>
    [Fact]
    public void Memory_model_flash_equals_the_bytes_the_integer_model_stores()
    {
        var rng = new Random(9);
        QuantizationOptions[] options =
        [
            new(), new() { BatchNorm = BatchNormMode.Keep }, new() { PerChannelWeights = false },
            new() { WeightRange = RangeMethod.Mse, ActivationRange = RangeMethod.MinMax },
        ];
        for (int trial = 0; trial < 40; trial++)
        {
            var graph = trial % 2 == 0 ? MemoryTestModels.Random(rng, trial) : IntegerTestModels.Random(rng, trial);
            var policy = IntegerTestModels.RandomPolicy(graph, rng);
            var c = IntegerTestModels.Calibrated(graph, policy, options[trial % options.Length], trial, images: 32);
            var cost = c.Network.Plan.Price(policy);
            var model = c.Quantized;
            for (int o = 0; o < model.Ops.Length; o++)
            {
                Assert.Equal(cost.Ops[o].WeightBytes, model.Ops[o].StoredWeights.Length);
                Assert.Equal(cost.Ops[o].ParameterBytes, DeviceParameters.Of(model.Ops[o]).Length);
            }
            Assert.Equal(cost.FlashBytes, model.FlashBytes);
        }
    }
}
