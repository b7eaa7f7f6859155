import Foundation
import Testing
import WhatsApp

@Suite("Message templates")
struct MessageTemplateTests {
    @Test("the list Meta answers is read: body, header, status; entries without a body are skipped")
    func parse() throws {
        let body = Data(
            #"""
            {"data":[
              {"name":"retomar","language":"pt_BR","status":"APPROVED","category":"UTILITY","id":"1",
               "components":[{"type":"HEADER","format":"TEXT","text":"Oi"},{"type":"BODY","text":"Olá {{1}}, sobre {{2}}."},
                             {"type":"FOOTER","text":"Loja"}]},
              {"name":"imagem","language":"pt_BR","status":"APPROVED","category":"MARKETING","id":"2","components":[{"type":"HEADER","format":"IMAGE"}]},
              {"name":"rejeitado","language":"pt_BR","status":"REJECTED","category":"MARKETING","id":"3","components":[{"type":"BODY","text":"x"}]}
            ],"paging":{"cursors":{"before":"a","after":"b"}}}
            """#.utf8
        )
        let templates = try GraphAPIWire.parseTemplates(status: 200, body: body)
        #expect(templates.map(\.name) == ["retomar", "rejeitado"])
        #expect(templates.first?.header == "Oi")
        #expect(templates.first?.parameterCount == 2)
        #expect(templates.first?.rendered(with: ["Maria", "o pedido 12"]) == "Olá Maria, sobre o pedido 12.")
        #expect(templates.map(\.isApproved) == [true, false])
        #expect(throws: GraphAPIError.self) { try GraphAPIWire.parseTemplates(status: 200, body: Data("[]".utf8)) }
    }

    @Test("a parameter is put in once: a value holding {{2}} is not replaced again")
    func renderingIsLiteral() {
        let template = MessageTemplate(name: "t", language: "pt_BR", status: "APPROVED", category: "UTILITY", body: "A {{1}} B {{2}} C {{10}}")
        #expect(template.parameterCount == 10)
        #expect(template.rendered(with: ["{{2}}", "dois"]) == "A {{2}} B dois C {{10}}")
        #expect(template.rendered(with: ["um", "{{1}}"]) == "A um B {{1}} C {{10}}")
    }
}
