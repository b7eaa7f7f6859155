enum LLMModulePlaceholder {}
