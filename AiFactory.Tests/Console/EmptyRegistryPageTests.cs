extern alias console;

using AiFactory.Tests.Infrastructure;
using Aspire.Hosting.Testing;
using Bunit;
using console::AiFactory.Dashboard.Components.Pages;
using console::AiFactory.Dashboard.Gateway;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Npgsql;

namespace AiFactory.Tests.OperatorConsole;

/// <summary>
/// bUnit against a real gateway whose registry is empty (a fresh database of the AppHost's PostgreSQL, nothing
/// seeded): the Models page says so and keeps its upload form, with no error.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class EmptyRegistryPageTests(AppHostFixture fixture) : BunitContext
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_models_page_of_an_empty_registry_shows_the_empty_state_and_the_upload_form()
    {
        var server = new NpgsqlConnectionStringBuilder(await fixture.App.GetConnectionStringAsync("postgres"));
        var database = $"empty_{Guid.NewGuid():N}";
        await using (var postgres = NpgsqlDataSource.Create(server.ConnectionString))
        {
            await postgres.CreateCommand($"CREATE DATABASE {database}").ExecuteNonQueryAsync().WaitAsync(Timeout);
        }

        server.Database = database;

        await using var gateway = await GatewayInstance.StartAsync(fixture, new Dictionary<string, string?>
        {
            ["ConnectionStrings:aifactory"] = server.ConnectionString,
            ["Registry:SeedPath"] = "",
        });
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddSingleton(new AdminApiClient(gateway.CreateClient(fixture.AdminKey), Timeout, Timeout));

        var page = Render<Models>();

        page.WaitForAssertion(() => Assert.Equal("The registry has no models yet: upload a version above.",
            page.Find("[data-testid=models-empty]").TextContent.Trim()), Timeout);
        Assert.Empty(page.FindAll("[data-testid=api-error]"));
        Assert.NotNull(page.Find("[data-testid=upload-submit]"));
    }
}
