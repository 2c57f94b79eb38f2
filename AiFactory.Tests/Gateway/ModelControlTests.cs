using System.Net;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Gateway;

/// <summary>
/// The protocol's repository operations through the gateway (<c>POST /v2/repository/models/{m}/load|unload</c>, admin
/// scope) reach every inference replica, each of which is then asked directly; the answer never depends on which
/// replica a proxied call would have picked.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class ModelControlTests(AppHostFixture fixture) : IAsyncLifetime
{
    /// <summary>A model of its own, so unloading it disturbs no other test.</summary>
    private const string Model = "control-target";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public Task InitializeAsync() => fixture.AddModelAsync(Model, Timeout);

    [Fact]
    public async Task Unload_and_load_through_the_gateway_reach_every_replica()
    {
        using var gateway = fixture.CreateGatewayClient();

        using (var unloaded = await gateway.PostAsync($"/v2/repository/models/{Model}/unload", content: null).WaitAsync(Timeout))
        {
            Assert.True(unloaded.StatusCode == HttpStatusCode.OK, $"{(int)unloaded.StatusCode}: {await unloaded.Content.ReadAsStringAsync()}");
        }

        Assert.Equal([HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable], await fixture.ModelReadinessAsync(Model, CancellationToken.None).WaitAsync(Timeout));

        using (var loaded = await gateway.PostAsync($"/v2/repository/models/{Model}/load", content: null).WaitAsync(Timeout))
        {
            Assert.True(loaded.StatusCode == HttpStatusCode.OK, $"{(int)loaded.StatusCode}: {await loaded.Content.ReadAsStringAsync()}");
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK], await fixture.ModelReadinessAsync(Model, CancellationToken.None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_replica_that_cannot_be_reached_is_named_with_the_reason_and_the_others_are_still_told()
    {
        // A third destination where nothing listens (port 1: privileged, and no service of this machine uses it).
        const string deadAddress = "http://127.0.0.1:1/";
        await using var gatewayWithDeadReplica = await GatewayInstance.StartAsync(fixture, new Dictionary<string, string?>
        {
            [$"services:inference:http:{AppHostFixture.InferenceReplicas.Length}"] = deadAddress,
        });
        using var gateway = gatewayWithDeadReplica.CreateClient(fixture.AdminKey);

        using var response = await gateway.PostAsync($"/v2/repository/models/{Model}/unload", content: null).WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var error = OipRequests.ErrorOf(await response.Content.ReadAsStringAsync()).GetString()!;
        Assert.StartsWith($"unload of model '{Model}' failed on 1 of 3 inference replicas: ", error);
        Assert.Contains($"at {deadAddress}: could not be reached (", error);
        Assert.Equal([HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable], await fixture.ModelReadinessAsync(Model, CancellationToken.None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_model_no_replica_has_is_404_with_each_replicas_reason()
    {
        using var gateway = fixture.CreateGatewayClient();

        using var response = await gateway.PostAsync("/v2/repository/models/in-no-repository/load", content: null).WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = OipRequests.ErrorOf(await response.Content.ReadAsStringAsync()).GetString()!;
        Assert.StartsWith("load of model 'in-no-repository' failed on 2 of 2 inference replicas: ", error);
        Assert.Equal(2, error.Split("model 'in-no-repository' is not in the registry's traffic policies, so this replica does not serve it").Length - 1);
    }

    public async Task DisposeAsync()
    {
        // Replicas keep an unloaded model unloaded even when its folder comes back: load it again before it goes.
        using (var gateway = fixture.CreateGatewayClient())
        {
            using var loaded = await gateway.PostAsync($"/v2/repository/models/{Model}/load", content: null).WaitAsync(Timeout);
        }

        await fixture.RemoveModelAsync(Model, Timeout);
    }
}
