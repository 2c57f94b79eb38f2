using AiFactory.Inference.Apis;
using AiFactory.Inference.Extensions;
using AiFactory.Inference.Grpc;
using AiFactory.Inference.Protocol.Rest;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseInferenceErrors();
app.UseGrpcRequestLimits();
app.MapDefaultEndpoints();
app.MapServerApi();
app.MapModelsApi();
app.MapRepositoryApi();
app.MapStatisticsApi();
app.MapReplicaStatusApi();
app.MapValidationApi();
app.MapOptimizationApi();
app.MapAnalyzerApi();
app.MapGrpcService<InferenceGrpcService>();

app.Run();
