using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiFactory.Cli.Output;

internal static class JsonOutput
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The API's JSON, indented, for <c>--json</c>.</summary>
    public static void Write(TextWriter output, JsonNode json) => output.WriteLine(json.ToJsonString(Indented));

    /// <summary>
    /// The items of a list answer: the answer itself when it is an array, else its <paramref name="property"/> array
    /// (a list that grows a paging envelope keeps working).
    /// </summary>
    public static IEnumerable<JsonNode> Items(JsonNode answer, string property) => answer switch
    {
        JsonArray items => items.OfType<JsonNode>(),
        JsonObject envelope when envelope[property] is JsonArray items => items.OfType<JsonNode>(),
        _ => throw new CommandFailedException(ExitCodes.Unavailable, $"the gateway's answer is not a list: {answer.ToJsonString()}"),
    };
}
