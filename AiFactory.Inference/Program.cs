using AiFactory.Inference.Apis;
using AiFactory.Inference.Extensions;
using AiFactory.Inference.Grpc;
using AiFactory.Inference.Protocol;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseProtocolErrors();
app.UseGrpcRequestLimits();
app.MapDefaultEndpoints();
app.MapServerApi();
app.MapModelsApi();
app.MapRepositoryApi();
app.MapStatisticsApi();
app.MapValidationApi();
app.MapGrpcService<InferenceGrpcService>();

app.Run();
