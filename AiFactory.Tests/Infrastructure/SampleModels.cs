namespace AiFactory.Tests.Infrastructure;

/// <summary>The real models <c>scripts/fetch-models.sh</c> lays out, with the facts tests rely on.</summary>
public static class SampleModels
{
    /// <summary>PaddleOCR text-direction classifier: <c>x</c> [-1,3,-1,-1] FP32 → <c>softmax_0.tmp_0</c> [-1,2].</summary>
    public const string TextDirection = "text-direction";
    public const string TextDirectionInput = "x";
    public const string TextDirectionOutput = "softmax_0.tmp_0";

    /// <summary>
    /// PP-OCRv4 text recognition: <c>x</c> [-1,3,48,-1] (served as [N,3,48,320]) → [-1,-1,6625], scores per time step
    /// over the CTC blank, the 6,623 entries of <c>ppocr_keys_v1.txt</c> (next to its config.json) and the space.
    /// </summary>
    public const string TextRecognition = "text-recognition";

    /// <summary>PP-OCRv4 text detection: <c>x</c> [-1,3,-1,-1] (sides multiple of 32) → <c>sigmoid_0.tmp_0</c> [-1,1,-1,-1].</summary>
    public const string TextDetection = "text-detection";

    /// <summary>Uniform random values in [0, 1), reproducible from the seed.</summary>
    public static float[] RandomImage(int seed, params int[] shape)
    {
        var random = new Random(seed);
        var data = new float[shape.Aggregate(1, (product, dimension) => product * dimension)];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = random.NextSingle();
        }

        return data;
    }
}
