using System.Collections;
using Microsoft.Extensions.Configuration;

namespace AiFactory.AppHost.Parameters;

/// <summary>Parameter values given to the AppHost through its environment.</summary>
public static class ParameterEnvironmentExtensions
{
    private const string Prefix = "Parameters__";

    /// <summary>
    /// Reads <c>Parameters__&lt;name&gt;</c> environment variables as the values of parameters, underscores in the name
    /// standing for dashes (<c>Parameters__gateway_admin_key</c> is <c>gateway-admin-key</c>): a shell cannot set a
    /// variable whose name has a dash, and a command-line argument (<c>--Parameters:gateway-admin-key=…</c>) is what
    /// <c>ps</c> shows every user of the machine, so scripts/start.sh passes the admin key this way. These values win
    /// over every other source. The variables are then removed from the AppHost's environment, which every process it
    /// starts (DCP, and through it each resource) would otherwise inherit: a value goes only where the app model sends it.
    /// </summary>
    public static IDistributedApplicationBuilder AddParametersFromEnvironment(this IDistributedApplicationBuilder builder)
    {
        var values = new Dictionary<string, string?>();
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            var name = (string)variable.Key;
            if (name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
            {
                values[$"Parameters:{name[Prefix.Length..].Replace('_', '-')}"] = (string?)variable.Value;
                Environment.SetEnvironmentVariable(name, null);
            }
        }

        builder.Configuration.AddInMemoryCollection(values);
        return builder;
    }
}
