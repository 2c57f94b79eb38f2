using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Gateway;

/// <summary>
/// The key a gateway takes from its configuration (the bootstrap admin key): a deployment that gives it a placeholder
/// or a weak key does not start, and says which key and how to set it.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class ConfiguredKeyTests(AppHostFixture fixture)
{
    private const string AdminKeySetting = "Gateway:ApiKeys:BootstrapAdminKey";

    [Fact]
    public async Task A_gateway_given_the_admin_key_placeholder_committed_in_manifests_refuses_to_start()
    {
        // What a cluster gets when manifests/base is applied without the overlays' Secret.
        var committed = (await ManifestTools.RenderAsync("base")).Single("ConfigMap", "gateway-env")["data"]!["Gateway__ApiKeys__BootstrapAdminKey"]!.GetValue<string>();

        var error = await StartFailureAsync(new() { [AdminKeySetting] = committed });

        Assert.Contains($"{AdminKeySetting} is the placeholder '{committed}'", error);
        Assert.Contains("key 'gateway-admin-key' of the Secret 'aifactory-secrets'", error);
        Assert.Contains("openssl rand -hex 32", error);
    }

    public static TheoryData<string, string, string> WeakKeys => new()
    {
        { AdminKeySetting, "0123456789abcdef0123456789abcde", $"{AdminKeySetting} has 31 characters; a key needs at least 32" },
        { AdminKeySetting, new string('a', 64), $"{AdminKeySetting} has too few distinct characters (1); a key needs at least 8" },
    };

    [Theory]
    [MemberData(nameof(WeakKeys))]
    public async Task A_gateway_given_a_weak_key_refuses_to_start_naming_the_key_and_how_to_set_it(string setting, string value, string message)
    {
        var error = await StartFailureAsync(new() { [setting] = value });

        Assert.Contains(message, error);
        Assert.Contains("'gateway-admin-key'", error);
        if (!message.Contains("placeholder"))
        {
            Assert.DoesNotContain(value, error); // a real key, if weak, is still a secret
        }
    }

    private async Task<string> StartFailureAsync(Dictionary<string, string?> settings)
    {
        var failure = await Record.ExceptionAsync(async () =>
        {
            await using var gateway = await GatewayInstance.StartAsync(fixture, settings);
        });

        Assert.True(failure is not null, "the gateway started");
        return string.Join('\n', Messages(failure));
    }

    private static IEnumerable<string> Messages(Exception exception) =>
        exception is AggregateException aggregate
            ? aggregate.InnerExceptions.SelectMany(Messages)
            : exception.InnerException is { } inner ? [exception.Message, .. Messages(inner)] : [exception.Message];
}
