namespace AiFactory.Gateway.Routing;

/// <summary>
/// The one rule for what a model name and a version look like, shared by routing, the allow-list, metering and the
/// cache. It is the inference repository's folder rule (letters, digits, '-', '_' and '.', not starting with '.'),
/// bounded in length, so that a name the gateway accepts is one inference can serve and PostgreSQL can store.
/// </summary>
public static class ModelName
{
    public const int MaxLength = 128;

    /// <summary>Usage of keyed requests that named no valid model is counted under this one name.</summary>
    public const string InvalidBucket = "(invalid)";

    public static bool IsValid(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > MaxLength || name[0] == '.')
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A version is a positive integer in canonical form: no sign, no leading zero, at most 18 digits.</summary>
    public static bool IsValidVersion(ReadOnlySpan<char> version)
    {
        if (version.IsEmpty || version.Length > 18 || version[0] == '0')
        {
            return false;
        }

        foreach (var c in version)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
