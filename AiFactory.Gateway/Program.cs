using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();
builder.AddModelRegistry();
builder.AddModelAnalyzer();

var app = builder.Build();

app.UseAuthentication();
app.UseAuthorization();
app.UseBadRequestErrors();

app.MapDefaultEndpoints();
app.MapAdminApi();
app.MapInferenceProxy();

app.Run();
