extension OpenAIChatClient {
    /// One small real request with this client's settings — the admin page's "Test connection" and `balcao doctor`: a
    /// one-token chat completion, the call answers make, so success proves the address, the key and the model together.
    /// One attempt, whatever the configuration's retries, by a client of its own (this client's circuit breaker is left
    /// alone: a probe is asked for by a person).
    ///
    /// - Returns: the model that answered, or why it failed (``LLMError/Kind/unauthorized`` for a refused key,
    ///   ``LLMError/Kind/transport`` or ``LLMError/Kind/timeout`` when the server cannot be reached).
    public func probe() async -> Result<String, LLMError> {
        var configuration = configuration
        configuration.maxAttempts = 1
        let client = OpenAIChatClient(configuration: configuration, httpClient: httpClient, clock: clock, logger: logger)
        do {
            let completion = try await client.complete(ChatRequest(messages: [.user("ping")], temperature: 0, maxTokens: 1))
            return .success(completion.model.isEmpty ? configuration.model : completion.model)
        } catch let error as LLMError {
            return .failure(error)
        } catch {
            return .failure(LLMError(.transport, String(describing: error)))
        }
    }
}
