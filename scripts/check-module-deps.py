#!/usr/bin/env python3
"""Module boundaries, checked by make lint (issue 13):

- every module a target imports is declared in its Package.swift dependencies, and every declared one is imported
  (a transitive module compiles today and breaks when the module in between drops it);
- GRDB is imported only by the modules that own tables: Storage, and Conversations, Credits and AdminWeb, whose tables
  (conversations and the outbox, the ledger, admin users, sessions and the audit) they read and write themselves.
  Everything else reads and writes through their named methods;
- each C module (SIMD kernels, poppler, posix_spawn helpers) is imported by one Swift file, its bridge, so unsafe C
  calls stay in one place per module.

Exits 1 with one line per problem.
"""
import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SYSTEM = {
    "Foundation", "FoundationEssentials", "FoundationNetworking", "Glibc", "Musl", "Darwin", "Dispatch",
    "FoundationXML", "Synchronization", "_Concurrency", "Testing", "XCTest", "os", "Observation", "RegexBuilder", "Android",
}
GRDB_OWNERS = {"Storage", "Conversations", "Credits", "AdminWeb"}
ASYNC_READ = re.compile(r"await\s+[\w.]*\b(?:reader|writer)\.read\s*\{")
RAW_ACCESS = re.compile(r"\b(?:database|db|appDatabase)\.(?:writer|reader)\b")
IMPORT = re.compile(r"^\s*(?:@[\w()]+\s+)*(?:(?:public|package|internal|fileprivate|private)\s+)?import\s+(?:(?:struct|class|enum|protocol|func|var|typealias)\s+)?(\w+)", re.M)


def main() -> int:
    package = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=ROOT, check=True,
                                        capture_output=True, text=True).stdout)
    names = {target["name"] for target in package["targets"]}
    problems = []
    for target in package["targets"]:
        if target["type"] == "system":
            continue
        default = "Tests" if target["type"] == "test" else "Sources"
        path = ROOT / (target.get("path") or f"{default}/{target['name']}")
        declared = set()
        for dependency in target["dependencies"]:
            kind, value = next(iter(dependency.items()))
            declared.add(value[0])
        imported = {}
        for file in sorted(path.rglob("*.swift")):
            text = file.read_text(encoding="utf-8")
            # Imports inside `#if canImport(X)` are platform shims, not dependencies.
            for match in IMPORT.finditer(text):
                module = match.group(1)
                if module in SYSTEM or module == target["name"]:
                    continue
                imported.setdefault(module, file.relative_to(ROOT))
        for module, file in sorted(imported.items()):
            if module not in declared:
                problems.append(f"{target['name']}: imports {module} ({file}) without declaring it in Package.swift")
        for module in sorted(declared - set(imported)):
            if module in names and any((ROOT / "Sources" / module).glob("*.h")):
                continue
            problems.append(f"{target['name']}: declares {module} in Package.swift but no file imports it")
        if target["type"] in ("regular", "executable") and default == "Sources" and not target.get("path"):
            if "GRDB" in imported and target["name"] not in GRDB_OWNERS:
                problems.append(f"{target['name']}: imports GRDB ({imported['GRDB']}); it owns no table, so it goes through "
                                "the named methods of Storage, Conversations or Credits")
            if target["name"] not in GRDB_OWNERS:
                # Without importing GRDB a module could still reach the connection through AppDatabase's writer or
                # reader (members of a transitively imported type are visible): that is a raw access too.
                for file in sorted(path.rglob("*.swift")):
                    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
                        if RAW_ACCESS.search(line):
                            problems.append(f"{target['name']}: {file.relative_to(ROOT)}:{number} reaches the database "
                                            "connection (.writer/.reader); use a named method of the module that owns the table")
    bridges = {}
    for target in package["targets"]:
        if target["type"] == "system" or not any((ROOT / "Sources" / target["name"]).rglob("*.h")):
            continue
        for file in sorted((ROOT / "Sources").rglob("*.swift")):
            if re.search(rf"^\s*(?:(?:public|package|internal)\s+)?import\s+{target['name']}\b", file.read_text(encoding="utf-8"), re.M):
                bridges.setdefault(target["name"], []).append(str(file.relative_to(ROOT)))
    for module, files in sorted(bridges.items()):
        if len(files) > 1:
            problems.append(f"{module} is imported by {len(files)} files ({', '.join(files)}); keep its calls in one bridge file")
    # Reads are synchronous on purpose (DatabaseReader.readNow): GRDB's async read keeps its pooled connection until
    # the awaiting task resumes, which emptied the reader pool and deadlocked the daemon under load.
    for file in sorted((ROOT / "Sources").rglob("*.swift")):
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            if ASYNC_READ.search(line):
                problems.append(f"{file.relative_to(ROOT)}:{number}: an async database read; use readNow (see "
                                "Storage/DatabaseReader+Synchronous.swift)")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
