using AiFactory.Cli;
using AiFactory.Tests.Infrastructure;
using AiFactory.Tests.Registry;

namespace AiFactory.Tests.Cli;

/// <summary><c>aifactory models optimize</c> against the real AppHost: a new version with its lineage, validated; and a transform that does not apply.</summary>
[Collection(AppHostCollection.Name)]
public sealed class CliOptimizeEndToEndTests(AppHostFixture fixture)
{
    [Fact]
    public async Task Optimize_makes_a_version_from_a_ready_one_waits_for_its_validation_and_models_show_gives_its_lineage()
    {
        using var admin = fixture.CreateGatewayClient();
        var model = RegistryClient.NewModelName("cli-optimize");
        await admin.UploadReadyAsync(model, RegistryClient.SampleVariant("cli optimize"), RegistryClient.SampleConfig);

        var optimized = await fixture.RunCliAsync("models", "optimize", model, "1", "--transform", "graph", "--level", "basic", "--timeout", "5m");

        Assert.True(optimized.ExitCode == ExitCodes.Success, optimized.ToString());
        Assert.Contains($"{model} version 2 ← 1 by graph: validating (waiting up to", optimized.Error);
        Assert.StartsWith($"{model} version 2: ready\n", optimized.Out);
        Assert.Matches(@"(?m)^  load       ok: CPUExecutionProvider, ", optimized.Out);
        var shown = await fixture.RunCliAsync("models", "show", model);
        Assert.Matches(@"(?m)^2\s+ready\s+1 by graph\s+\d", shown.Out);
        Assert.Matches(@"(?m)^1\s+ready\s+\d", shown.Out);
    }

    [Fact]
    public async Task A_transform_that_does_not_apply_exits_refused_with_the_reason_and_an_option_of_another_transform_is_refused_too()
    {
        using var admin = fixture.CreateGatewayClient();
        await RegistrySeedTests.WaitForSeedAsync(admin, SampleModels.TextDirection);

        var inapplicable = await fixture.RunCliAsync("models", "optimize", SampleModels.TextDirection, "1", "--transform", "graph", "--level", "maximum");
        var foreign = await fixture.RunCliAsync("models", "optimize", SampleModels.TextDirection, "1", "--transform", "graph", "--precision", "int8");

        Assert.True(inapplicable.ExitCode == ExitCodes.Refused, inapplicable.ToString());
        Assert.Contains("unknown graph optimization level 'maximum': basic, extended or all (HTTP 422 Unprocessable Entity)", inapplicable.Error);
        Assert.True(foreign.ExitCode == ExitCodes.Refused, foreign.ToString());
        Assert.Contains("'precision' is an option of transform 'tensorrt', not of 'graph' (HTTP 400 Bad Request)", foreign.Error);
    }
}
