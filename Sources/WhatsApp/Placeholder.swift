enum WhatsAppModulePlaceholder {}
