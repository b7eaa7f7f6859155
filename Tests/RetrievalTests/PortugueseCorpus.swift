/// Short Portuguese documents of two businesses, written so that some questions share no word with the passage that
/// answers them (only vectors can find it) and one passage holds a rare product code (only keywords pin it down).
enum PortugueseCorpus {
    /// A shop's policies, one passage each.
    enum Store {
        static let returns =
            "Trocas e devoluções: arrependeu-se? Você pode devolver o produto em até 7 dias corridos após o recebimento e "
            + "receber o reembolso integral. O item deve estar na embalagem original, sem sinais de uso, com a nota fiscal."
        static let delivery =
            "Entregas: enviamos para todo o Brasil pelos Correios e por transportadora. O prazo é de 3 a 10 dias úteis "
            + "conforme a região, e o frete é grátis em pedidos acima de R$ 199."
        static let payment =
            "Pagamento: aceitamos PIX, cartão de crédito em até 6 vezes sem juros e boleto bancário. No PIX o pedido é "
            + "aprovado na hora e ganha 5% de desconto."
        static let openingHours =
            "Horário de atendimento: a loja física abre de segunda a sexta, das 9h às 18h, e aos sábados das 9h às 13h. "
            + "Não abrimos aos domingos nem em feriados."
        static let warranty =
            "Garantia: todos os produtos têm garantia de 90 dias contra defeitos de fabricação, além da garantia do "
            + "fabricante. Para acioná-la, fale com o suporte e tenha a nota fiscal em mãos."
        /// The only passage with the tokens `XPTO` and `4471`.
        static let blender =
            "Liquidificador Turbo, código XPTO-4471: motor de 900 W, copo de vidro de 2 litros, 12 velocidades e função "
            + "pulsar. Acompanha tampa dosadora e lâminas de aço inox."
        /// Catalogue lines whose codes look like the blender's to the model but share no keyword with it.
        static let lookalikeCodes = [
            "Código XPTO4417: jarra de reposição.",
            "Código XPT-04471: tampa avulsa.",
            "Código XTPO-4714: lâmina avulsa.",
            "Código XPTQ-4477: base de encaixe.",
        ]

        static let policies = [returns, delivery, payment, openingHours, warranty]
        static let all = policies + [blender] + lookalikeCodes
    }

    /// A dental clinic's information.
    enum Clinic {
        static let whitening =
            "Clareamento dental: o tratamento a laser é feito em duas sessões de uma hora e custa R$ 800, parcelado em até "
            + "4 vezes."
        static let insurance =
            "Convênios: atendemos Amil Dental, OdontoPrev e SulAmérica Odonto; consultas particulares custam R$ 150."
        static let emergencies =
            "Emergências odontológicas: em caso de dor forte ou dente quebrado, ligue para o plantão, que atende 24 horas."

        static let all = [whitening, insurance, emergencies]
    }
}
