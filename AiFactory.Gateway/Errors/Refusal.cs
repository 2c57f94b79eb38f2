namespace AiFactory.Gateway.Errors;

/// <summary>A request the gateway answers itself instead of forwarding: the status and the message the client gets.</summary>
public sealed record Refusal(int Status, string Message)
{
    public Task WriteAsync(HttpContext context) => GatewayErrors.WriteAsync(context, Status, Message);

    private const int QuotedLength = 64;

    /// <summary>
    /// A value taken from the request, quoted for a message: client-supplied text, so it is cut at 64 characters
    /// (the message must not grow with the request), never inside a surrogate pair, and written by the JSON writer,
    /// which escapes what needs it.
    /// </summary>
    public static string Quote(string value)
    {
        if (value.Length <= QuotedLength)
        {
            return $"'{value}'";
        }

        var cut = char.IsHighSurrogate(value[QuotedLength - 1]) ? QuotedLength - 1 : QuotedLength;
        return $"'{value[..cut]}...' ({value.Length} characters)";
    }
}
