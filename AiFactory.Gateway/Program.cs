using AiFactory.Gateway.Extensions;
using AiFactory.Gateway.Routing;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapReverseProxy(proxy =>
{
    proxy.Use(RequestBodyLimit.EnforceAsync);
    proxy.Use(UpstreamErrors.WriteProtocolErrorAsync);
});

app.Run();
