using AiFactory.Inference.Apis;
using AiFactory.Inference.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapServerApi();
app.MapModelsApi();
app.MapRepositoryApi();

app.Run();
