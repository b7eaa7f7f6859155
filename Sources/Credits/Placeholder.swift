enum CreditsModulePlaceholder {}
