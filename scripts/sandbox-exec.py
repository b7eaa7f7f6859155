#!/usr/bin/python3
"""Runs a command under the seccomp part of a systemd unit's sandbox, for tests where systemd is not PID 1.

    /usr/bin/python3 scripts/sandbox-exec.py UNIT_FILE -- COMMAND [ARG...]

Reads the unit's SystemCallFilter= lines (an allow list, then ~ removals, groups expanded by `systemd-analyze
syscall-filter`), SystemCallErrorNumber=, SystemCallArchitectures=native, MemoryDenyWriteExecute=yes and
RestrictAddressFamilies=, installs the equivalent filter with libseccomp (python3-seccomp) and execs COMMAND: a
system call outside the list or a writable+executable mapping fails with the unit's error number (the process is
killed by SIGSYS when the unit sets none), a socket family outside the list with EAFNOSUPPORT, as under systemd.
Run it after dropping privileges (setpriv ... --no-new-privs).
"""
import errno
import os
import socket
import subprocess
import sys

import seccomp

PROT_WRITE, PROT_EXEC, SHM_EXEC = 0x2, 0x4, 0o100000


def expand(name, seen=None):
    """The system calls of a name: a group (@...) expanded recursively, or itself."""
    if not name.startswith("@"):
        return {name}
    seen = seen if seen is not None else set()
    if name in seen:
        return set()
    seen.add(name)
    out = subprocess.run(["systemd-analyze", "syscall-filter", "--no-pager", name], check=True, capture_output=True, text=True).stdout
    calls = set()
    for line in out.splitlines()[1:]:
        item = line.strip()
        if not item or item.startswith("#"):
            continue
        calls |= expand(item, seen)
    return calls


def unit_settings(path):
    settings = []
    with open(path, encoding="utf-8") as unit:
        for line in unit:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                settings.append((key, value))
    return settings


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit(__doc__)
    settings = unit_settings(sys.argv[1])
    command = sys.argv[3:]

    allowed = None
    for key, value in settings:
        if key != "SystemCallFilter":
            continue
        names = value.split()
        if names[0].startswith("~"):
            names[0] = names[0][1:]
            removed = set().union(*(expand(n) for n in names))
            allowed = (allowed or set()) - removed
        else:
            allowed = (allowed or set()) | set().union(*(expand(n) for n in names))
    if allowed is None:
        sys.exit("sandbox-exec: the unit has no SystemCallFilter=")

    families = None
    for key, value in settings:
        if key == "RestrictAddressFamilies":
            families = {getattr(socket, name) for name in value.split()}
    mdwe = ("MemoryDenyWriteExecute", "yes") in settings

    error = dict(settings).get("SystemCallErrorNumber")
    denied = seccomp.ERRNO(getattr(errno, error)) if error else seccomp.KILL_PROCESS
    f = seccomp.SyscallFilter(defaction=denied)
    unknown = []
    special = {"mmap", "mprotect", "pkey_mprotect", "shmat", "socket"}
    for name in sorted(allowed - special):
        try:
            f.add_rule(seccomp.ALLOW, name)
        except (RuntimeError, ValueError, OSError):
            unknown.append(name)  # not a system call of this architecture
    # MemoryDenyWriteExecute, as systemd builds it.
    for name in ("mmap", "mprotect", "pkey_mprotect", "shmat"):
        if name not in allowed:
            continue
        try:
            if not mdwe:
                f.add_rule(seccomp.ALLOW, name)
            elif name == "mmap":
                f.add_rule(seccomp.ALLOW, name, seccomp.Arg(2, seccomp.MASKED_EQ, PROT_WRITE | PROT_EXEC, 0))
                f.add_rule(seccomp.ALLOW, name, seccomp.Arg(2, seccomp.MASKED_EQ, PROT_WRITE | PROT_EXEC, PROT_WRITE))
                f.add_rule(seccomp.ALLOW, name, seccomp.Arg(2, seccomp.MASKED_EQ, PROT_WRITE | PROT_EXEC, PROT_EXEC))
            elif name == "shmat":
                f.add_rule(seccomp.ALLOW, name, seccomp.Arg(2, seccomp.MASKED_EQ, SHM_EXEC, 0))
            else:
                f.add_rule(seccomp.ALLOW, name, seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, 0))
        except (RuntimeError, ValueError, OSError):
            unknown.append(name)
    # RestrictAddressFamilies.
    if "socket" in allowed:
        if families is None:
            f.add_rule(seccomp.ALLOW, "socket")
        else:
            for family in sorted(families):
                f.add_rule(seccomp.ALLOW, "socket", seccomp.Arg(0, seccomp.EQ, family))
            for family in range(0, 46):
                if family not in families:
                    f.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.EQ, family))
    print(f"sandbox-exec: {len(allowed) - len(unknown)} system calls allowed, others {error or 'SIGSYS'}, MemoryDenyWriteExecute={'yes' if mdwe else 'no'}, "
          f"families {sorted(families) if families else 'any'}", file=sys.stderr)
    f.load()
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
