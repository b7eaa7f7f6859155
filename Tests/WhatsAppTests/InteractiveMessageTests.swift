import Foundation
import Testing
import WhatsApp

/// Reply buttons and lists as Meta documents their bodies, and the limits checked before anything is sent.
@Suite("Interactive messages")
struct InteractiveMessageTests {
    @Test("reply buttons: interactive.type button with action.buttons[].reply {id, title}")
    func buttons() throws {
        let message = OutgoingMessage(
            recipient: .phone("5511999990001"),
            content: .buttons(
                body: "Isso ajudou?",
                buttons: [.init(id: "balcao:feedback:yes", title: "Sim"), .init(id: "balcao:feedback:no", title: "Não")]
            )
        )
        let body = String(decoding: try GraphAPIWire.messageBody(message), as: UTF8.self)
        #expect(
            body
                == #"{"interactive":{"action":{"buttons":[{"reply":{"id":"balcao:feedback:yes","title":"Sim"},"type":"reply"},{"reply":{"id":"balcao:feedback:no","title":"Não"},"type":"reply"}]},"body":{"text":"Isso ajudou?"},"type":"button"},"messaging_product":"whatsapp","recipient_type":"individual","to":"5511999990001","type":"interactive"}"#
        )
    }

    @Test("a list: interactive.type list with action.button and sections[].rows[] {id, title, description}")
    func list() throws {
        let message = OutgoingMessage(
            recipient: .phone("5511999990001"),
            content: .list(body: "Escolha", button: "Ver assuntos", rows: [.init(id: "balcao:topic:1", title: "Trocas", description: "Prazos")])
        )
        let body = String(decoding: try GraphAPIWire.messageBody(message), as: UTF8.self)
        #expect(
            body
                == #"{"interactive":{"action":{"button":"Ver assuntos","sections":[{"rows":[{"description":"Prazos","id":"balcao:topic:1","title":"Trocas"}]}]},"body":{"text":"Escolha"},"type":"list"},"messaging_product":"whatsapp","recipient_type":"individual","to":"5511999990001","type":"interactive"}"#
        )
    }

    @Test("over the limits nothing is sent: four buttons, a 21-character title, eleven rows, a repeated id")
    func limits() {
        let four = (1...4).map { OutgoingMessage.ReplyButtonOption(id: "b\($0)", title: "Opção \($0)") }
        let long = [OutgoingMessage.ReplyButtonOption(id: "b", title: String(repeating: "x", count: 21))]
        let eleven = (1...11).map { OutgoingMessage.ReplyButtonOption(id: "r\($0)", title: "Linha \($0)") }
        let repeated = [OutgoingMessage.ReplyButtonOption(id: "r", title: "A"), .init(id: "r", title: "B")]
        for content: OutgoingMessage.Content in [
            .buttons(body: "x", buttons: four), .buttons(body: "x", buttons: long), .list(body: "x", button: "Ver", rows: eleven),
            .list(body: "x", button: "Ver", rows: repeated),
            .buttons(body: String(repeating: "y", count: 1025), buttons: [.init(id: "a", title: "A")]),
        ] {
            #expect(throws: GraphAPIError.self) { try GraphAPIWire.messageBody(OutgoingMessage(recipient: .phone("1"), content: content)) }
        }
    }
}
