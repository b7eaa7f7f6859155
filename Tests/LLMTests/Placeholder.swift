import Testing

@Test func placeholderLLMTests() {}
