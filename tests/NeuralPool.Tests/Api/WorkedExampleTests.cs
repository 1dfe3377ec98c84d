using NeuralPool.Geometry;
using NeuralPool.Operators;

namespace NeuralPool.Tests.Api;

/// <summary>The worked examples of docs/examples.md, run as written: irregular image sizes to fixed-length features, RoIAlign on boxes of different sizes, and fusing image and text features with a missing modality.</summary>
public class WorkedExampleTests
{
    [Fact]
    public void ImagesOfAnySize_GiveFixedLengthFeatures()
    {
        int[] levels = [1, 2, 4];
        const int channels = 8;
        foreach (var (h, w) in new[] { (32, 48), (17, 23), (64, 31), (5, 5) })
        {
            var image = new float[channels * h * w];
            for (int i = 0; i < image.Length; i++)
            {
                image[i] = (i * 37 % 101) / 101f;
            }

            // Spatial pyramid: C·(1 + 4 + 16) = 168 features whatever the size.
            var features = new float[SpatialPyramidPool.FeatureLength(channels, levels)];
            SpatialPyramidPool.Forward(TensorLayout.ChannelsFirst, [1, channels, h, w], levels, PyramidMode.Max, image, features);
            Assert.Equal(168, features.Length);

            // Global average pooling: C features.
            var g = PoolGeometry.Global([1, channels, h, w], TensorLayout.ChannelsFirst);
            var pooled = new float[g.OutputLength];
            AvgPool.Forward(g, image, pooled);
            Assert.Equal(channels, pooled.Length);
        }
    }

    [Fact]
    public void RoiAlign_OnBoxesOfDifferentSizes_GivesOneGridEach()
    {
        // A 1 x 4 x 50 x 60 feature map at stride 16 of an 800 x 960 image; three detections of different sizes.
        var features = new float[4 * 50 * 60];
        for (int i = 0; i < features.Length; i++)
        {
            features[i] = (i % 60) + (i / 60 % 50 * 0.01f);
        }

        float[] boxes = [0, 0, 159, 95, 320, 200, 800, 700, 900, 40, 950, 60]; // x1, y1, x2, y2 in image pixels
        long[] batch = [0, 0, 0];
        var options = new RoiAlignOptions(7, 7, SpatialScale: 1.0 / 16, SamplingRatio: 2, Aligned: true);
        var rois = new float[3 * 4 * 7 * 7];
        RoiAlign.Forward(TensorLayout.ChannelsFirst, [1, 4, 50, 60], features, boxes, batch, options, rois);

        // Every box becomes 4 x 7 x 7; the feature grows with x (the column), so a box further right reads larger values.
        Assert.True(rois[(2 * 196) + 0] > rois[(1 * 196) + 0] && rois[(1 * 196) + 0] > rois[0]);
    }

    [Fact]
    public void ImageAndTextFusion_ToleratesAMissingModality()
    {
        // Two samples, modalities (image, text), 3 features each; the second sample has no text.
        float[] embeddings = [1, 2, 3, /* text */ 5, 1, 0, /* sample 2: image */ 4, 0, 2, /* text (missing, ignored) */ 99, 99, 99];
        bool[] present = [true, true, true, false];
        var mean = new float[6];
        FusionPool.Forward(embeddings, 2, 2, 3, present, FusionMode.Mean, mean);
        Assert.Equal([3f, 1.5f, 1.5f, 4, 0, 2], mean);

        // Gated attention with 2 hidden units: the weights of each sample sum to 1 over its present modalities.
        float[] v = [0.1f, 0.2f, 0.3f, -0.2f, 0.1f, 0.0f], u = [0.3f, -0.1f, 0.2f, 0.1f, 0.1f, 0.1f], w = [1.0f, -0.5f];
        var fused = new float[6];
        var weights = new float[4];
        FusionPool.GatedForward(embeddings, 2, 2, 3, present, v, u, w, fused, weights);
        Assert.Equal(1f, weights[0] + weights[1], 5);
        Assert.Equal([1f, 0f], weights[2..]);
        Assert.Equal([4f, 0f, 2f], fused[3..]);
    }
}
