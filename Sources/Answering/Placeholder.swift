enum AnsweringModulePlaceholder {}
