namespace MixBit.Quantization;

/// <summary>
/// Non-uniform weight quantization with one codebook of 2^bits centroids per layer (k-means, as in Deep Compression
/// and HAQ's non-uniform baseline): linear initialisation between min and max, then Lloyd iterations. On sorted values
/// each iteration is one sweep, since the cells of 1-D k-means are intervals bounded by centroid midpoints.
/// For comparison only: an integer-only runtime cannot use it (a lookup per weight instead of a multiply by a scale).
/// </summary>
public static class KMeansQuantizer
{
    /// <summary>Writes each weight's nearest centroid into <paramref name="output"/> (may alias); returns the codebook.</summary>
    public static float[] Quantize(ReadOnlySpan<float> weights, int bits, Span<float> output, int iterations = 25)
    {
        int k = 1 << bits;
        var sorted = weights.ToArray();
        Array.Sort(sorted);
        float min = sorted[0], max = sorted[^1];
        var centroids = new float[k];
        for (int j = 0; j < k; j++) centroids[j] = k == 1 ? (min + max) / 2 : min + (max - min) * j / (k - 1);
        var sums = new double[k];
        var counts = new int[k];
        for (int it = 0; it < iterations; it++)
        {
            Array.Clear(sums); Array.Clear(counts);
            int c = 0;
            foreach (float v in sorted)
            {
                while (c < k - 1 && v > (centroids[c] + centroids[c + 1]) / 2) c++;
                sums[c] += v; counts[c]++;
            }
            bool moved = false;
            for (int j = 0; j < k; j++)
            {
                if (counts[j] == 0) continue; // an empty cell keeps its centroid
                float m = (float)(sums[j] / counts[j]);
                moved |= m != centroids[j];
                centroids[j] = m;
            }
            Array.Sort(centroids);
            if (!moved) break;
        }
        for (int i = 0; i < weights.Length; i++) output[i] = Nearest(centroids, weights[i]);
        return centroids;
    }

    private static float Nearest(float[] sortedCentroids, float v)
    {
        int i = Array.BinarySearch(sortedCentroids, v);
        if (i >= 0) return sortedCentroids[i];
        i = ~i;
        if (i == 0) return sortedCentroids[0];
        if (i == sortedCentroids.Length) return sortedCentroids[^1];
        return v - sortedCentroids[i - 1] <= sortedCentroids[i] - v ? sortedCentroids[i - 1] : sortedCentroids[i];
    }
}
