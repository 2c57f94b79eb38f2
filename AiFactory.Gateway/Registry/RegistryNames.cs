using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Routing;

namespace AiFactory.Gateway.Registry;

/// <summary>
/// Model names and versions in admin API paths, by <see cref="ModelName"/>'s rule (the one routing and inference's
/// folders follow), so the registry never holds a model the data plane could not serve. Names are case-sensitive.
/// </summary>
public static class RegistryNames
{
    // Client-supplied text goes into the message cut short: the message must not grow with the request.
    private const int QuotedLength = 64;

    /// <exception cref="RequestRefusedException">400 naming the model and the rule.</exception>
    public static string Model(string model) => ModelName.IsValid(model)
        ? model
        : throw RequestRefusedException.BadRequest(
            $"invalid model name {Quote(model)}: a model name is 1 to {ModelName.MaxLength} ASCII letters, digits, '-', '_' or '.', not starting with '.'");

    /// <summary>A version in a path or a weights object: a positive integer without sign or leading zeros that fits a version number.</summary>
    public static bool TryVersion(string text, out int version)
    {
        version = 0;
        return ModelName.IsValidVersion(text) && int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out version);
    }

    /// <exception cref="RequestRefusedException">400 naming the version.</exception>
    public static int Version(string text) => TryVersion(text, out var version)
        ? version
        : throw RequestRefusedException.BadRequest($"invalid version {Quote(text)}: a version is a positive integer, without sign or leading zeros");

    public static string Quote(string value) =>
        value.Length <= QuotedLength ? $"'{value}'" : $"'{value[..(char.IsHighSurrogate(value[QuotedLength - 1]) ? QuotedLength - 1 : QuotedLength)]}...' ({value.Length} characters)";
}
