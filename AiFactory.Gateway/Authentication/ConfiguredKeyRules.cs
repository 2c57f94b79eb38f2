using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Authentication;

/// <summary>
/// Refuses, at start, the configured key (<see cref="ConfiguredKeys"/>) that is a placeholder or too weak to be a secret,
/// naming the setting and how to set it: a deployment left with the placeholder <c>manifests/base</c> carries would
/// otherwise serve a key that anyone who reads the repository knows.
/// </summary>
public sealed class ConfiguredKeyRules : IValidateOptions<ApiKeyOptions>
{
    public const int MinimumLength = 32;
    public const int MinimumDistinctCharacters = 8;

    private const string BootstrapSetting = $"{ApiKeyOptions.SectionName}:{nameof(ApiKeyOptions.BootstrapAdminKey)}";

    /// <summary>Values the repository carries in place of a secret: scripts/aspirate-base.mjs writes this one into manifests/base.</summary>
    private static readonly string[] Placeholders = ["generated-by-aspirate"];

    public ValidateOptionsResult Validate(string? name, ApiKeyOptions options)
    {
        var failure = Check(options.BootstrapAdminKey, BootstrapSetting, "gateway-admin-key");
        return failure is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failure);
    }

    private static string? Check(string? key, string setting, string secretKey)
    {
        if (string.IsNullOrEmpty(key))
        {
            return null; // no such key
        }

        var distinct = key.Distinct().Count();
        var problem = Placeholders.Contains(key, StringComparer.OrdinalIgnoreCase) ? $"is the placeholder '{key}' that manifests/base carries in place of a secret"
            : key.Length < MinimumLength ? $"has {key.Length} characters; a key needs at least {MinimumLength}"
            : distinct < MinimumDistinctCharacters ? $"has too few distinct characters ({distinct}); a key needs at least {MinimumDistinctCharacters}"
            : null;
        return problem is null
            ? null
            : $"{setting} {problem}. Set it to random characters, e.g. `openssl rand -hex 32`: in Kubernetes the key '{secretKey}' " +
              $"of the Secret 'aifactory-secrets' (README, \"Deploy to Kubernetes\"), elsewhere the environment variable " +
              $"{setting.Replace(":", "__")}; or leave it empty for no such key.";
    }
}
