using MixBit.Data;

namespace MixBit.Tests.Data;

public class ImageDatasetTests
{
    [Fact]
    public void Subset_copies_images_and_labels_in_the_given_order()
    {
        var data = SyntheticData.Make(20, channels: 2);
        var sub = data.Subset([7, 3, 19]);
        Assert.Equal(3, sub.Count);
        Assert.Equal((2, 6, 5, 4), (sub.Channels, sub.Height, sub.Width, sub.ClassCount));
        Assert.True(sub.Image(0).SequenceEqual(data.Image(7)));
        Assert.True(sub.Image(2).SequenceEqual(data.Image(19)));
        Assert.Equal([3, 3, 3], sub.Labels.ToArray());
    }

    [Fact]
    public void Split_is_deterministic_disjoint_and_complete()
    {
        var data = SyntheticData.Make(500);
        var (train, validation) = data.Split(120, seed: 7);
        var (train2, validation2) = data.Split(120, seed: 7);
        Assert.Equal((380, 120), (train.Count, validation.Count));

        int[] Ids(ImageDataset d) => Enumerable.Range(0, d.Count).Select(i => SyntheticData.IdOf(d.Image(i))).ToArray();
        Assert.Equal(Ids(validation), Ids(validation2));
        Assert.Equal(Ids(train), Ids(train2));
        Assert.Empty(Ids(train).Intersect(Ids(validation)));
        Assert.Equal(Enumerable.Range(0, 500), Ids(train).Concat(Ids(validation)).Order());
        // Both parts keep the original order, and labels travel with their images.
        Assert.Equal(Ids(validation).Order(), Ids(validation));
        for (int i = 0; i < validation.Count; i++) Assert.Equal(Ids(validation)[i] % 4, validation.Label(i));

        var (_, other) = data.Split(120, seed: 8);
        Assert.NotEqual(Ids(validation), Ids(other));
    }

    [Fact]
    public void Invalid_inputs_are_user_errors()
    {
        var data = SyntheticData.Make(10);
        Assert.Throws<MixBitException>(() => data.Split(10, 0));
        Assert.Throws<MixBitException>(() => data.Split(-1, 0));
        Assert.Throws<MixBitException>(() => new ImageDataset(new byte[10], [0, 1], 1, 2, 2, 2));
        Assert.Contains("outside 0..1", Assert.Throws<MixBitException>(() => new ImageDataset(new byte[8], [0, 2], 1, 2, 2, 2)).Message);
    }
}
