using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Registry;

/// <summary>Every action appears in the audit log with the id of the key that made it.</summary>
[Collection(AppHostCollection.Name)]
public sealed class AuditTrailTests(AppHostFixture fixture)
{
    [Fact]
    public async Task Upload_traffic_rollback_and_key_changes_are_audited_under_the_key_that_made_them()
    {
        using var bootstrap = fixture.CreateGatewayClient();
        var (operatorId, operatorKey) = await bootstrap.CreateKeyAsync("audited-operator", ["admin"]);
        using var admin = fixture.CreateGatewayClient(operatorKey);
        var model = RegistryClient.NewModelName("audited");
        var started = DateTimeOffset.UtcNow.AddSeconds(-5);

        await admin.UploadReadyAsync(model, OnnxModelWriter.WithDocString(OnnxModelWriter.Chain("x", "y", "FP32", "Identity"), "v1"));
        await admin.UploadReadyAsync(model, OnnxModelWriter.WithDocString(OnnxModelWriter.Chain("x", "y", "FP32", "Identity"), "v2"));
        await admin.SetTrafficAsync(model, """{"1": 100}""", "v1 serves");
        await admin.SetTrafficAsync(model, """{"1": 80, "2": 20}""", "canary");
        (await admin.PostRollbackAsync(model, "canary off")).Dispose();
        var (createdId, _) = await admin.CreateKeyAsync("audited-key", ["infer"]);
        await admin.RevokeKeyAsync(createdId);

        var byModel = await bootstrap.AuditAsync($"model={model}");
        Assert.Equal(["traffic.rollback", "traffic.set", "traffic.set", "model.version.validated", "model.version.upload", "model.version.validated",
            "model.version.upload"], byModel.Select(entry => entry["action"]!.GetValue<string>()));
        Assert.All(byModel, entry => Assert.Equal(entry["action"]!.GetValue<string>() == "model.version.validated" ? "system" : operatorId,
            entry["key_id"]!.GetValue<string>()));
        var rollback = byModel[0];
        Assert.Equal(("""{"1":80,"2":20}""", """{"1":100}""", "canary off"),
            (rollback["before"]!["weights"]!.ToJsonString(), rollback["after"]!["weights"]!.ToJsonString(), rollback["reason"]!.GetValue<string>()));

        var keys = await bootstrap.AuditAsync($"key_id={operatorId}&from={Uri.EscapeDataString(started.ToString("O"))}&action=key.create");
        Assert.Equal("audited-key", Assert.Single(keys)["after"]!["name"]!.GetValue<string>());
        var revoked = Assert.Single(await bootstrap.AuditAsync($"key_id={operatorId}&action=key.revoke"));
        Assert.Equal(createdId, revoked["after"]!["id"]!.GetValue<string>());
        var operatorCreated = (await bootstrap.AuditAsync("key_id=bootstrap&action=key.create&limit=1000"))
            .Single(entry => entry["after"]!["id"]!.GetValue<string>() == operatorId);
        Assert.Null(operatorCreated["after"]!["key"]);
        Assert.DoesNotContain(operatorKey, operatorCreated.ToJsonString());
    }
}
