import Testing

@Test func placeholderCreditsTests() {}
