using System.Text;

namespace AiFactory.Cli.Api;

/// <summary>
/// The admin API's paths, relative to the gateway URL. Names are escaped, never judged: the gateway parses them
/// and says what is wrong with one.
/// </summary>
internal static class AdminPaths
{
    public const string Models = "api/admin/models";
    public const string Keys = "api/admin/keys";
    public const string Usage = "api/admin/usage";
    public const string Audit = "api/admin/audit";

    public static string Model(string model) => $"{Models}/{Segment(model, "model name")}";

    public static string Versions(string model) => $"{Model(model)}/versions";

    public static string Version(string model, string version) => $"{Versions(model)}/{Segment(version, "version")}";

    public static string Optimize(string model, string version) => $"{Version(model, version)}/optimize";

    public static string Analyze(string model, string version) => $"{Version(model, version)}/analyze";

    public static string ApplyAnalysis(string id) => $"api/admin/analyses/{Segment(id, "analysis id")}/apply";

    public static string Traffic(string model) => $"{Model(model)}/traffic";

    public static string Rollback(string model) => $"{Model(model)}/rollback";

    public static string Key(string id) => $"{Keys}/{Segment(id, "key id")}";

    /// <summary><paramref name="path"/> with the parameters that have a value, escaped.</summary>
    public static string WithQuery(string path, params (string Name, string? Value)[] parameters)
    {
        var query = new StringBuilder(path);
        var separator = '?';
        foreach (var (name, value) in parameters)
        {
            if (value is not null)
            {
                query.Append(separator).Append(name).Append('=').Append(Uri.EscapeDataString(value));
                separator = '&';
            }
        }

        return query.ToString();
    }

    // "." and ".." would not reach the gateway as names: URLs resolve them as steps up the path.
    private static string Segment(string value, string what) =>
        value is "" or "." or ".."
            ? throw CommandFailedException.Usage($"'{value}' is not a {what}")
            : Uri.EscapeDataString(value);
}
