namespace AiFactory.Optimization.Transforms;

/// <summary>
/// Symmetric signed INT8 quantization of a [K, N] weight matrix, one scale per column (per output channel): a column's
/// largest magnitude maps to 127, zero stays exactly zero (so the zero point is 0 and is left out), and −128 is not
/// used so the range is symmetric.
/// </summary>
internal static class PerColumnInt8
{
    public static (sbyte[] Values, float[] Scales) Quantize(float[] matrix, int rows, int columns)
    {
        var scales = new float[columns];
        for (var i = 0; i < matrix.Length; i++)
        {
            scales[i % columns] = Math.Max(scales[i % columns], Math.Abs(matrix[i]));
        }

        for (var column = 0; column < columns; column++)
        {
            // An all-zero column quantizes to zeros under any scale; 1 keeps the division defined.
            scales[column] = scales[column] > 0 ? scales[column] / 127f : 1f;
        }

        var values = new sbyte[matrix.Length];
        for (var row = 0; row < rows; row++)
        {
            for (var column = 0; column < columns; column++)
            {
                var index = row * columns + column;
                values[index] = (sbyte)Math.Clamp(MathF.Round(matrix[index] / scales[column], MidpointRounding.ToEven), -127f, 127f);
            }
        }

        return (values, scales);
    }
}
