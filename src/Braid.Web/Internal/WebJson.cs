using System.Text.Json.Serialization;

namespace Braid.Web.Internal;

/// <summary>Source-generated JSON for the app's answers (camelCase).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(WorkResult))]
[JsonSerializable(typeof(HealthResult))]
[JsonSerializable(typeof(TimeEvent))]
internal sealed partial class WebJson : JsonSerializerContext;
