#!/usr/bin/env python3
"""Seeds a migrated Balcão database (the daemon created it; it must not be running) with a busy business's history:
conversations with turns, messages, answers and outbox rows spread over the last N days (some handed off and waiting
for a person, some unanswered), documents with chunks linked to agents, and a credit ledger.

Rows are written with Python's sqlite3 in one transaction, in the formats the daemon itself writes (GRDB dates
`YYYY-MM-DD HH:MM:SS.SSS` UTC, enum raw values, answer sources `[{"chunk_id":…,"score":…}]`).

The keyword index (FTS5 table chunkFTS) uses the daemon's own stemming tokenizer, which only the daemon has: the
chunk triggers are set aside while chunks are inserted, and the migration that creates the index is marked as not
applied, so the daemon's next start re-runs it and indexes every chunk with its real tokenizer.

    python3 scripts/admin/seed.py DATA_DIR/balcao.sqlite --conversations 10000 --documents 1000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sqlite3
import sys
import time
from datetime import datetime, timedelta, timezone

FTS_MIGRATION = "v3: Portuguese stemming in the keyword index"

FIRST_NAMES = ["Ana", "Bruno", "Carla", "Diego", "Eduarda", "Fábio", "Gabriela", "Heitor", "Isabela", "João", "Karina",
               "Lucas", "Mariana", "Nicolas", "Olívia", "Paulo", "Quitéria", "Rafael", "Sofia", "Tiago", "Úrsula",
               "Vitória", "Wagner", "Yasmin", "Zé"]
LAST_NAMES = ["Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes",
              "Costa", "Ribeiro", "Martins", "Carvalho", "Araújo", "Melo", "Barbosa", "Rocha", "Dias", "Nascimento"]
TOPICS = ["devolução", "troca", "entrega", "frete", "garantia", "pagamento", "boleto", "pix", "parcelamento",
          "horário de atendimento", "nota fiscal", "cancelamento", "reembolso", "tamanho", "estoque", "cupom",
          "assistência técnica", "instalação", "manual", "voltagem"]
QUESTIONS = ["Qual o prazo de {t}?", "Como funciona a {t}?", "Vocês fazem {t} para o interior?",
             "Preciso de ajuda com {t}, podem me explicar?", "Onde encontro informações sobre {t}?",
             "Qual a política de {t} da loja?", "Quanto custa a {t}?", "A {t} demora quantos dias?"]
WORDS = ("o a os as de do da dos das em no na nos nas por para com sem sobre entre até após antes durante cliente "
         "produto pedido prazo dias úteis corridos loja entrega frete garantia fabricante nota fiscal pagamento "
         "cartão crédito débito boleto bancário pix parcelas juros desconto cupom promoção troca devolução reembolso "
         "estorno embalagem original etiqueta transportadora rastreamento endereço destinatário assinatura "
         "atendimento telefone horário segunda sexta sábado feriados central relacionamento canal digital aplicativo "
         "site cadastro senha conta política condições gerais contrato cláusula vigência rescisão multa aviso prévio "
         "responsabilidade defeito vício oculto aparente assistência técnica autorizada conserto substituição "
         "modelo tamanho cor voltagem instalação manual instruções segurança uso adequado conservação limpeza "
         "será deverá poderá deve pode solicitar informar apresentar comprovar enviar receber confirmar "
         "conforme previsto neste regulamento observadas exceções casos específicos").split()
SECTIONS = ["Disposições gerais", "Prazos", "Trocas e devoluções", "Entrega", "Pagamento", "Garantia",
            "Atendimento", "Cancelamento", "Privacidade", "Assistência técnica"]
FAILURES = [("failed", "o PDF pede uma senha"), ("needs_ocr", "este PDF é uma digitalização sem camada de texto"),
            ("unreadable", "o arquivo está corrompido e não pôde ser lido")]


def stamp(moment: datetime) -> str:
    """GRDB's date format (UTC, milliseconds)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, tokens: int) -> str:
    parts, count = [], 0
    while count < tokens:
        n = rng.randint(8, 22)
        parts.append(sentence(rng, n))
        count += n
    return " ".join(parts)


def seed(db: sqlite3.Connection, conversations: int, documents: int, chunks_per_document: int, days: int,
         rng: random.Random, audit_entries: int = 5_000) -> dict:
    now = datetime.now(timezone.utc)
    start = now - timedelta(days=days)
    counts = {"agents": 0, "documents": 0, "chunks": 0, "conversations": 0, "turns": 0, "messages": 0, "answers": 0,
              "outbox": 0, "credit_entries": 0, "waiting_for_human": 0, "unanswered_answers": 0, "handoffs": 0}
    cur = db.cursor()

    # Agents.
    agent_ids = []
    for index, name in enumerate(["Loja Centro", "Assistência Técnica", "Pós-venda"]):
        cur.execute(
            'INSERT INTO agent (name, createdAt, persona, instructions, language, phoneNumberIDs, handoffKeywords, '
            'isDefault) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
            (name, stamp(start), f"Você é a assistente da {name}.", "Responda com base nos documentos.", "pt-BR",
             json.dumps([f"10654035224{2922 + index}"]), json.dumps(["atendente", "humano"]), 1 if index == 0 else 0))
        agent_ids.append(cur.lastrowid)
    counts["agents"] = len(agent_ids)

    # Documents and chunks, with the keyword-index triggers set aside (see the module's doc).
    triggers = cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'chunk'").fetchall()
    for name, _ in triggers:
        cur.execute(f'DROP TRIGGER "{name}"')
    chunk_ids: list[int] = []
    for number in range(1, documents + 1):
        created = start + timedelta(seconds=rng.uniform(0, days * 86400))
        topic = rng.choice(TOPICS)
        failure = rng.random() < 0.03
        status, reason = rng.choice(FAILURES) if failure else ("indexed", None)
        chunk_count = 0 if failure else rng.randint(max(1, chunks_per_document // 2), chunks_per_document * 3 // 2)
        pages = rng.randint(1, 40)
        extension = rng.choice(["pdf", "pdf", "pdf", "docx", "txt"])
        filename = f"{topic.replace(' ', '-')}-{number:04d}.{extension}"
        digest = hashlib.sha256(f"balcao-bench-document-{number}".encode()).hexdigest()
        cur.execute(
            'INSERT INTO document (filename, sha256, bytes, format, status, reason, pages, chunks, createdAt, updatedAt) '
            'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            (filename, digest, rng.randint(20_000, 5_000_000), extension, status, reason,
             None if status == "unreadable" else pages, chunk_count, stamp(created),
             stamp(created + timedelta(seconds=rng.uniform(2, 60)))))
        document_id = cur.lastrowid
        cur.execute('INSERT INTO agentDocument (agentId, documentId) VALUES (?, ?)', (agent_ids[number % len(agent_ids)], document_id))
        for ordinal in range(chunk_count):
            tokens = rng.randint(120, 380)
            page = min(pages, 1 + ordinal * pages // max(1, chunk_count))
            cur.execute(
                'INSERT INTO chunk (documentId, ordinal, text, section, pageStart, pageEnd, tokenCount) '
                'VALUES (?, ?, ?, ?, ?, ?, ?)',
                (document_id, ordinal, f"{topic.capitalize()}. " + paragraph(rng, tokens), rng.choice(SECTIONS), page,
                 page, tokens))
            chunk_ids.append(cur.lastrowid)
        counts["documents"] += 1
        counts["chunks"] += chunk_count
    for _, sql in triggers:
        cur.execute(sql)
    cur.execute("DELETE FROM grdb_migrations WHERE identifier = ?", (FTS_MIGRATION,))

    # Conversations over the period: each a few exchanges (turn, inbound message, answer, outbound message, outbox).
    balance = 0
    top_up_every = max(1, conversations // 40)
    for number in range(conversations):
        if number % top_up_every == 0:
            amount = 250_000_000
            balance += amount
            cur.execute('INSERT INTO creditEntry (kind, amount, reason, actor, externalId, createdAt) '
                        'VALUES (?, ?, ?, ?, ?, ?)',
                        ("topUp", amount, "Recarga via Stripe", "stripe", f"cs_bench_{number}",
                         stamp(start + timedelta(days=days * number / conversations))))
            counts["credit_entries"] += 1
        created = start + timedelta(seconds=days * 86400 * (number + rng.random()) / conversations)
        customer = f"5511{9_0000_0000 + number:09d}"
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" if rng.random() < 0.9 else None
        agent_id = rng.choice(agent_ids)
        cur.execute(
            'INSERT INTO conversation (phoneNumberID, customerID, addressing, customerName, agentId, mode, '
            'consecutiveUnanswered, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
            (f"10654035224{2922 + agent_ids.index(agent_id)}", customer, "to", name, agent_id, "assistant", 0,
             stamp(created), stamp(created)))
        conversation_id = cur.lastrowid
        moment = created
        exchanges = rng.choices([1, 2, 3, 4, 6], weights=[35, 30, 18, 10, 7])[0]
        waiting = rng.random() < 0.03
        consecutive_unanswered = 0
        last_inbound = moment
        for exchange in range(exchanges):
            topic = rng.choice(TOPICS)
            question = rng.choice(QUESTIONS).format(t=topic)
            if waiting and exchange == exchanges - 1:
                question = "Quero falar com um atendente, por favor."
            cur.execute('INSERT INTO turn (conversationId, state, dueAt, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?)',
                        (conversation_id, "done", stamp(moment + timedelta(seconds=2.5)), stamp(moment), stamp(moment)))
            turn_id = cur.lastrowid
            cur.execute(
                'INSERT INTO message (conversationId, turnId, direction, author, wamid, kind, text, createdAt, updatedAt) '
                'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
                (conversation_id, turn_id, "in", "customer", f"wamid.BENCHIN{conversation_id:06d}{exchange:02d}", "text",
                 question, stamp(moment), stamp(moment)))
            last_inbound = moment
            latency = rng.randint(900, 6000) if rng.random() < 0.95 else rng.randint(6000, 30_000)
            answered_at = moment + timedelta(milliseconds=latency + 2500)
            if waiting and exchange == exchanges - 1:
                outcome = "handoff"
            else:
                outcome = rng.choices(["generated", "extractive", "unanswered", "handoff", "out_of_credits"],
                                      weights=[74, 10, 11, 4, 1])[0]
            sources, prompt_tokens, completion_tokens, cost = "[]", 0, 0, 0
            if outcome in ("generated", "extractive") and chunk_ids:
                chosen = rng.sample(chunk_ids, 3)
                sources = json.dumps([{"chunk_id": c, "score": round(rng.uniform(0.35, 0.95), 4)} for c in chosen],
                                     separators=(",", ":"))
            if outcome == "generated":
                prompt_tokens, completion_tokens = rng.randint(800, 2400), rng.randint(40, 260)
                cost = prompt_tokens * 150 + completion_tokens * 600  # micro-credits
            reply = {
                "generated": f"Sobre {topic}: " + paragraph(rng, rng.randint(20, 60)),
                "extractive": "Encontrei isto nos nossos documentos: " + paragraph(rng, 30),
                "unanswered": 'Desculpe, não encontrei essa informação nos nossos documentos. Quer que eu chame uma '
                              'pessoa da equipe? É só responder "atendente".',
                "handoff": "Certo! Vou chamar uma pessoa da nossa equipe para continuar o atendimento.",
                "out_of_credits": "No momento não consigo responder. Uma pessoa da equipe vai falar com você em breve.",
            }[outcome]
            cur.execute(
                'INSERT INTO answer (conversationId, turnId, question, text, outcome, sources, latencyMs, promptTokens, '
                'completionTokens, cost, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                (conversation_id, turn_id, question, reply, outcome, sources, latency, prompt_tokens, completion_tokens,
                 cost, stamp(answered_at)))
            counts["answers"] += 1
            counts["unanswered_answers"] += outcome == "unanswered"
            counts["handoffs"] += outcome == "handoff"
            consecutive_unanswered = consecutive_unanswered + 1 if outcome == "unanswered" else 0
            if cost:
                balance -= cost
                cur.execute('INSERT INTO creditEntry (kind, amount, reason, actor, reference, createdAt) '
                            'VALUES (?, ?, ?, ?, ?, ?)',
                            ("debit", -cost, "resposta do assistente", "system", f"conversation:{conversation_id}",
                             stamp(answered_at)))
                counts["credit_entries"] += 1
            status = rng.choices(["read", "delivered", "sent", "failed"], weights=[70, 20, 8, 2])[0]
            cur.execute(
                'INSERT INTO message (conversationId, turnId, direction, author, wamid, kind, text, status, statusReason, '
                'createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                (conversation_id, turn_id, "out", "assistant", f"wamid.BENCHOUT{conversation_id:06d}{exchange:02d}",
                 "text", reply, status, "131026: Message Undeliverable" if status == "failed" else None,
                 stamp(answered_at), stamp(answered_at + timedelta(seconds=5))))
            message_id = cur.lastrowid
            cur.execute(
                'INSERT INTO outbox (messageId, conversationId, state, attempts, nextAttemptAt, lastError, lastAttemptAt, '
                'createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
                (message_id, conversation_id, "failed" if status == "failed" else "sent", 1, stamp(answered_at),
                 "(#131026) Message Undeliverable" if status == "failed" else None, stamp(answered_at),
                 stamp(answered_at), stamp(answered_at)))
            counts["turns"] += 1
            counts["messages"] += 2
            counts["outbox"] += 1
            moment = answered_at + timedelta(seconds=rng.uniform(20, 900))
        mode, human_until = "assistant", None
        if waiting:
            mode, human_until = "human", stamp(max(now, last_inbound) + timedelta(hours=4))
            counts["waiting_for_human"] += 1
        updated = min(moment, now)
        cur.execute('UPDATE conversation SET mode = ?, humanUntil = ?, consecutiveUnanswered = ?, lastInboundAt = ?, '
                    'updatedAt = ? WHERE id = ?',
                    (mode, human_until, consecutive_unanswered, stamp(last_inbound), stamp(updated), conversation_id))
        counts["conversations"] += 1
    # The audit log (admin-core's table, when this build has it): a few hundred actions a day would be busy.
    if cur.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'auditEntry'").fetchone():
        actions = [("auth.sign_in", None), ("auth.sign_in_failed", "senha incorreta"), ("conversation.takeover", None),
                   ("conversation.release", None), ("document.delete", None), ("credits.top_up", "Recarga manual"),
                   ("settings.update", "llm_model")]
        for number in range(audit_entries):
            action, detail = rng.choice(actions)
            cur.execute('INSERT INTO auditEntry (createdAt, actor, address, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)',
                        (stamp(start + timedelta(seconds=days * 86400 * number / audit_entries)),
                         rng.choice(["dona.rita", "joao.operador", "ana.operadora"]), f"192.168.0.{rng.randint(2, 250)}",
                         action, f"conversation:{rng.randint(1, max(1, conversations))}", detail))
        counts["audit_entries"] = audit_entries
    cur.execute("INSERT INTO alert (kind, message, createdAt) VALUES (?, ?, ?)",
                ("whatsapp", "WhatsApp error 131026: Message Undeliverable", stamp(now - timedelta(hours=3))))
    counts["balance_micros"] = balance
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database")
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--documents", type=int, default=1_000)
    parser.add_argument("--chunks-per-document", type=int, default=20)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=20_261_124)
    args = parser.parse_args()
    begun = time.monotonic()
    db = sqlite3.connect(args.database, isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    applied = {row[0] for row in db.execute("SELECT identifier FROM grdb_migrations")}
    if FTS_MIGRATION not in applied:
        print(f"{args.database} is not a freshly migrated database (no '{FTS_MIGRATION}')", file=sys.stderr)
        return 1
    if db.execute("SELECT count(*) FROM conversation").fetchone()[0] or db.execute("SELECT count(*) FROM document").fetchone()[0]:
        print(f"{args.database} already has conversations or documents: seed a fresh data directory", file=sys.stderr)
        return 1
    db.execute("BEGIN IMMEDIATE")
    try:
        counts = seed(db, args.conversations, args.documents, args.chunks_per_document, args.days, random.Random(args.seed))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.close()
    counts["seconds"] = round(time.monotonic() - begun, 1)
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
