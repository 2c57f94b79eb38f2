namespace AiFactory.Storage;

/// <summary>
/// Where artifacts live in the bucket. A model's artifact is content-addressed, <c>models/&lt;model&gt;/&lt;sha256&gt;.onnx</c>,
/// so identical bytes have one key and a key names the bytes it must hold; an upload streams to a staging key first
/// (its hash is known only at the end), then is copied to its address.
/// </summary>
public static class ArtifactKeys
{
    public const string ModelsPrefix = "models/";
    public const string StagingPrefix = "staging/";
    public const string LabelledSetsPrefix = "labelled-sets/";

    /// <summary>The content address of <paramref name="model"/>'s artifact with SHA-256 <paramref name="sha256"/> (lower-case hex).</summary>
    /// <remarks>The model name is checked only as a key segment (no '/', not '.' or '..'); callers validate it as a model name first.</remarks>
    public static string Model(string model, string sha256) => ContentAddress(ModelsPrefix, model, sha256, ".onnx");

    /// <summary>The content address of a labelled set uploaded with a version of <paramref name="model"/>: <c>labelled-sets/&lt;model&gt;/&lt;sha256&gt;.json</c>.</summary>
    public static string LabelledSet(string model, string sha256) => ContentAddress(LabelledSetsPrefix, model, sha256, ".json");

    private static string ContentAddress(string prefix, string model, string sha256, string extension)
    {
        if (string.IsNullOrEmpty(model) || model.Contains('/') || model is "." or "..")
        {
            throw new ArgumentException($"'{model}' cannot be a segment of an artifact key", nameof(model));
        }

        return IsSha256(sha256)
            ? $"{prefix}{model}/{sha256}{extension}"
            : throw new ArgumentException($"'{sha256}' is not a lower-case hex SHA-256", nameof(sha256));
    }

    /// <summary>A fresh staging key for one upload.</summary>
    public static string Staging() => $"{StagingPrefix}{Guid.NewGuid():N}";

    /// <summary>True for 64 lower-case hex digits, the form <see cref="StoredObject.Sha256"/> has.</summary>
    public static bool IsSha256(string? value) =>
        value is { Length: 64 } && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
