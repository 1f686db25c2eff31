using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Braid.Simulation.Model;

/// <summary>Chat clients for the model policy.</summary>
public static class ModelClients
{
    /// <summary>
    /// A client for any OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp's server): retries off
    /// (a slow or failing call falls back, it is not repeated), network timeout <paramref name="timeout"/>.
    /// </summary>
    /// <param name="endpoint">The API's base address, such as <c>http://127.0.0.1:11434/v1</c>.</param>
    /// <param name="model">The model's name, as the server knows it.</param>
    /// <param name="timeout">The HTTP client's own limit per call (the policy also cancels at its own timeout).</param>
    /// <param name="apiKey">The key, if the server wants one.</param>
    /// <returns>The client; dispose it when done.</returns>
    public static IChatClient OpenAICompatible(Uri endpoint, string model, TimeSpan timeout, string? apiKey = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        var options = new OpenAIClientOptions
        {
            Endpoint = endpoint,
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = timeout,
        };
        return new OpenAIClient(new ApiKeyCredential(string.IsNullOrEmpty(apiKey) ? "none" : apiKey), options)
            .GetChatClient(model)
            .AsIChatClient();
    }
}
