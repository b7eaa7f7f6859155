enum ConversationsModulePlaceholder {}
