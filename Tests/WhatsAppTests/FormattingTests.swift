import Testing
import WhatsApp

@Suite("Markdown to WhatsApp formatting")
struct FormattingTests {
    @Test(arguments: [
        ("**bold**", "*bold*"),
        ("__bold__", "*bold*"),
        ("*italic*", "_italic_"),
        ("_italic_", "_italic_"),
        ("***both***", "*_both_*"),
        ("~~gone~~", "~gone~"),
        ("# Title", "*Title*"),
        ("### Sub title ###", "*Sub title*"),
        ("## **Already bold**", "*Already bold*"),
        ("[site](https://example.com/a_b)", "site (https://example.com/a_b)"),
        ("[https://example.com](https://example.com)", "https://example.com"),
        ("![logo](https://x.io/l.png)", "logo (https://x.io/l.png)"),
        ("see <https://example.com>", "see https://example.com"),
        ("use `**not bold**` here", "use `**not bold**` here"),
        ("- item", "- item"),
        ("* item", "- item"),
        ("+ item", "- item"),
        ("  * nested **b**", "  - nested *b*"),
        ("1. first", "1. first"),
        ("> quoted *it*", "> quoted _it_"),
        ("2 * 3 * 4", "2 * 3 * 4"),
        ("snake_case_name and __init__", "snake_case_name and *init*"),
        ("a__b__c", "a__b__c"),
        (#"literal \*star\* and \_under\_"#, "literal *star* and _under_"),
        ("Preço: **R$ 10,00** à vista, *sem juros*.", "Preço: *R$ 10,00* à vista, _sem juros_."),
        ("**bold** and *it* and ~~s~~", "*bold* and _it_ and ~s~"),
        ("plain text", "plain text"),
        ("Email: [contato@loja.com](mailto:contato@loja.com)", "Email: contato@loja.com"),
        ("| Plano | **Preço** |", "Plano | *Preço*"),
        ("|---|:---:|", ""),
        ("1. **Passo um**: abra", "1. *Passo um*: abra"),
        ("**Atenção:** o prazo é de *7 dias*!", "*Atenção:* o prazo é de _7 dias_!"),
        ("solto * e _ e 5*3=15", "solto * e _ e 5*3=15"),
        ("", ""),
    ])
    func conversions(markdown: String, expected: String) {
        #expect(WhatsAppFormatter.format(markdown: markdown) == expected)
    }

    @Test func fencedCodeBlockKeptVerbatim() {
        let markdown = """
            Run this:

            ```swift
            let x = **y** * _z_
            # not a heading
            ```
            Done **now**.
            """
        let expected = """
            Run this:

            ```
            let x = **y** * _z_
            # not a heading
            ```
            Done *now*.
            """
        #expect(WhatsAppFormatter.format(markdown: markdown) == expected)
    }

    @Test func unclosedFenceIsClosed() {
        #expect(WhatsAppFormatter.format(markdown: "```\ncode") == "```\ncode\n```")
    }

    @Test func rulesDroppedAndSetextHeadings() {
        let markdown = "Intro\n\n---\n\nHeading\n=======\n\nSecond\n------\ntext"
        #expect(WhatsAppFormatter.format(markdown: markdown) == "Intro\n\n\n*Heading*\n\n*Second*\ntext")
    }

    @Test func typicalLLMAnswer() {
        let markdown = """
            ## Horário de funcionamento

            Nossa loja abre de **segunda a sexta**, das 9h às 18h. Aos *sábados*, até 13h.

            * Entrega: ~~grátis~~ R$ 5
            * Mais em [nosso site](https://loja.example/horarios)
            """
        let expected = """
            *Horário de funcionamento*

            Nossa loja abre de *segunda a sexta*, das 9h às 18h. Aos _sábados_, até 13h.

            - Entrega: ~grátis~ R$ 5
            - Mais em nosso site (https://loja.example/horarios)
            """
        #expect(WhatsAppFormatter.format(markdown: markdown) == expected)
    }

    @Test func messagesFormatAndSplit() {
        let markdown = "# Título\n\n" + String(repeating: "Uma **frase** curta. ", count: 400)
        let messages = WhatsAppFormatter.messages(fromMarkdown: markdown)
        #expect(messages.count == 2)
        #expect(messages[0].hasPrefix("*Título*\n\nUma *frase* curta."))
        #expect(messages.allSatisfy { $0.utf16.count <= 4096 && !$0.contains("**") })
    }

    @Test func codeBlockCutBySplitIsReopened() {
        let code = (1...200).map { "let value\($0) = \($0)" }.joined(separator: "\n")
        let markdown = "Veja:\n\n```swift\n" + code + "\n```\n\nFim."
        let messages = WhatsAppFormatter.messages(fromMarkdown: markdown, limit: 1000)
        #expect(messages.count > 2)
        for message in messages {
            #expect(message.utf16.count <= 1000)
            #expect((message.components(separatedBy: "```").count - 1) % 2 == 0, "\(message)")
        }
        #expect(messages.last?.hasSuffix("Fim.") == true)
    }

    @Test func windowsLineEndings() {
        #expect(WhatsAppFormatter.format(markdown: "# T\r\n**b**") == "*T*\n*b*")
    }
}

@Suite("Splitting long answers")
struct SplitterTests {
    private func check(_ parts: [String], limit: Int) {
        for part in parts {
            #expect(part.utf16.count <= limit)
            #expect(!part.isEmpty)
            #expect(part.first?.isWhitespace == false && part.last?.isWhitespace == false)
        }
    }

    /// The words of `text`, to check nothing was lost or reordered.
    private func words(_ text: String) -> [Substring] { text.split(whereSeparator: \.isWhitespace) }

    @Test func shortTextIsOnePart() {
        #expect(MessageSplitter.split("Olá! Tudo bem?") == ["Olá! Tudo bem?"])
        #expect(MessageSplitter.split("  padded \n") == ["padded"])
        #expect(MessageSplitter.split(String(repeating: "a", count: 4096)).count == 1)
    }

    @Test func emptyOrBlankGivesNothing() {
        #expect(MessageSplitter.split("").isEmpty)
        #expect(MessageSplitter.split(" \n\n\t ").isEmpty)
    }

    @Test func splitsAtParagraphs() {
        let paragraph = String(repeating: "Frase curta aqui. ", count: 150).trimmingCharacters(in: .whitespaces)  // ~2.7k
        let text = [paragraph, paragraph, paragraph].joined(separator: "\n\n")
        let parts = MessageSplitter.split(text)
        #expect(parts == [paragraph, paragraph, paragraph])
        check(parts, limit: 4096)
    }

    @Test func prefersSentenceOverTinyParagraph() {
        // A paragraph break right at the start would make a tiny first part; a sentence boundary fills it better.
        let long = String(repeating: "Uma frase. ", count: 600)
        let text = "Oi.\n\n" + long
        let parts = MessageSplitter.split(text, limit: 1000)
        #expect(parts.count <= 7)
        #expect(parts[0].hasPrefix("Oi."))
        #expect(parts[0].utf16.count > 500)
        for part in parts.dropLast() { #expect(part.hasSuffix(".")) }
        check(parts, limit: 1000)
        #expect(words(parts.joined(separator: " ")) == words(text))
    }

    @Test func splitsAtSentencesThenWords() {
        let sentence = "Esta é uma frase com várias palavras e acentuação, que termina aqui! "
        let text = String(repeating: sentence, count: 200)
        let parts = MessageSplitter.split(text, limit: 500)
        check(parts, limit: 500)
        for part in parts { #expect(part.hasSuffix("!")) }
        #expect(words(parts.joined(separator: " ")) == words(text))

        let noPunctuation = String(repeating: "palavra ", count: 1000)
        let wordParts = MessageSplitter.split(noPunctuation, limit: 100)
        check(wordParts, limit: 100)
        for part in wordParts { #expect(words(part).allSatisfy { $0 == "palavra" }) }
        #expect(words(wordParts.joined(separator: " ")).count == 1000)
    }

    @Test func hugeWordIsCutOnlyBetweenGraphemes() {
        let family = "👨‍👩‍👧‍👦"  // 11 UTF-16 units, one grapheme
        let flag = "🇧🇷"
        let word = String(repeating: family + flag + "é", count: 200)
        let parts = MessageSplitter.split(word, limit: 100)
        check(parts, limit: 100)
        #expect(parts.joined() == word)
        for part in parts {
            // Every part is made of whole graphemes only.
            #expect(part.allSatisfy { $0 == Character(family) || $0 == Character(flag) || $0 == "é" })
        }
    }

    @Test func decomposedAccentsStayWithTheirLetter() {
        let decomposed = String(repeating: "e\u{301}", count: 300)  // 600 UTF-16 units, 300 graphemes
        let parts = MessageSplitter.split(decomposed, limit: 7)
        check(parts, limit: 7)
        #expect(parts.allSatisfy { $0.unicodeScalars.count % 2 == 0 })
        #expect(parts.joined() == decomposed)
    }

    @Test func limitCountsUTF16() {
        let emoji = String(repeating: "😀", count: 3000)  // 6000 UTF-16 units
        let parts = MessageSplitter.split(emoji)
        #expect(parts.count == 2)
        check(parts, limit: 4096)
        #expect(parts.joined() == emoji)
    }

    @Test func realisticAnswer() {
        var text = ""
        for index in 1...60 {
            text += "## Seção \(index)\n\nO cliente pode pedir a troca em até 30 dias. Guarde a nota fiscal! Dúvidas? Fale conosco.\n\n"
        }
        let parts = MessageSplitter.split(text, limit: 1000)
        check(parts, limit: 1000)
        #expect(words(parts.joined(separator: "\n")) == words(text))
        // Every cut fell at a paragraph boundary: each part ends a paragraph.
        for part in parts { #expect(part.hasSuffix("conosco.")) }
    }
}
