using AiFactory.Dashboard.Authentication;
using AiFactory.Dashboard.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddConsoleServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseSessionStoreErrors();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapConsole();

app.Run();
