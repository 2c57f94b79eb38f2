namespace AiFactory.Optimization.Quantization;

/// <summary>
/// Scales and zero points, as ONNX Runtime's quantization tools compute them (quant_utils.compute_scale_zp):
/// activations uint8 asymmetric (the range widened to hold 0, so zero padding is exact), weights int8 symmetric
/// over [−127, 127] with zero point 0. uint8 activations with int8 weights is the pairing ONNX Runtime's CPU
/// QLinearConv and QLinearMatMul fuse from QDQ; on AVX512-VNNI it has no saturation problem to work around.
/// </summary>
internal static class QuantizationParameters
{
    /// <summary>A tensor's uint8 scale and zero point for values in [min, max].</summary>
    public static (float Scale, byte ZeroPoint) Activation(float min, float max)
    {
        var low = Math.Min(0f, min);
        var high = Math.Max(0f, max);
        var scale = (high - low) / 255f;
        if (scale == 0 || !float.IsFinite(scale))
        {
            return (1f, 0);
        }

        return (scale, (byte)Math.Clamp(Math.Round(-low / scale, MidpointRounding.ToEven), 0, 255));
    }

    /// <summary>An int8 symmetric scale for weights whose largest magnitude is <paramref name="largest"/>.</summary>
    public static float Weight(float largest) => largest == 0 || !float.IsFinite(largest) ? 1f : largest / 127f;

    public static sbyte QuantizeWeight(float value, float scale) =>
        (sbyte)Math.Clamp(Math.Round(value / scale, MidpointRounding.ToEven), -127, 127);

    /// <summary>A bias as int32 at scale input scale × weight scale, zero point 0 (ONNX Runtime's convention for QLinearConv).</summary>
    public static int QuantizeBias(float value, float scale) =>
        (int)Math.Clamp(Math.Round(value / scale, MidpointRounding.ToEven), int.MinValue, int.MaxValue);
}
