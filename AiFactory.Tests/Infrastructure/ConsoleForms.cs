using System.Net;
using System.Text.RegularExpressions;

namespace AiFactory.Tests.Infrastructure;

/// <summary>The console's server-rendered forms as a browser posts them, for tests over plain HTTP.</summary>
public static class ConsoleForms
{
    /// <summary>The page's hidden fields (antiforgery token, handler name), ready to post with the visible ones added.</summary>
    public static Dictionary<string, string> HiddenFields(string page) =>
        Regex.Matches(page, "<input[^>]*type=\"hidden\"[^>]*>").ToDictionary(
            field => Attribute(field.Value, "name"), field => WebUtility.HtmlDecode(Attribute(field.Value, "value")));

    private static string Attribute(string element, string name) => Regex.Match(element, $" {name}=\"(?<value>[^\"]*)\"").Groups["value"].Value;
}
