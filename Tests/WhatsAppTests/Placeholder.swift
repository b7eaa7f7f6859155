import Testing

@Test func placeholderWhatsAppTests() {}
