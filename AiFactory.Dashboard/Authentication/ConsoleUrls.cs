namespace AiFactory.Dashboard.Authentication;

public static class ConsoleUrls
{
    /// <summary>
    /// <paramref name="url"/> when it is a path of this console (relative, or rooted without a host), else the root:
    /// a sign-in link must not send an operator to another site (an open redirect).
    /// </summary>
    public static string LocalOrRoot(string? url)
    {
        if (string.IsNullOrWhiteSpace(url) || url.Contains('\\') || url.StartsWith("//", StringComparison.Ordinal)
            || Uri.TryCreate(url, UriKind.Absolute, out _) && !url.StartsWith('/'))
        {
            return "/";
        }

        return url.StartsWith('/') ? url : "/" + url;
    }
}
