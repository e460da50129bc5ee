"""A tiny SBF (Solana BPF, version 0) assembler and ELF writer.

Enough to build small straight-line programs with forward and backward jumps, no syscalls and no
relocations: an ELF64 shared object (``ET_DYN``, machine ``EM_BPF``, so the loader treats it as
SBPF v0) with a single ``.text`` section whose virtual address equals its file offset, which is
what the runtime's ELF loader accepts. The encoding is the eBPF one: 8 bytes per instruction,
``opcode u8 | src<<4 | dst u8 | offset i16 | imm i32`` (little-endian).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

# opcodes (eBPF classes ALU64 / JMP / LDX)
MOV64_IMM = 0xB7
MOV64_REG = 0xBF
ADD64_IMM = 0x07
ADD64_REG = 0x0F
MUL64_REG = 0x2F
OR64_REG = 0x4F
LSH64_IMM = 0x67
RSH64_IMM = 0x77
LDXB = 0x71
LDXDW = 0x79
STXDW = 0x7B
JA = 0x05
JEQ_IMM = 0x15
JNE_IMM = 0x55
JGT_REG = 0x2D
JGE_REG = 0x3D
JLT_REG = 0xAD
EXIT = 0x95

_JUMPS = {JA, JEQ_IMM, JNE_IMM, JGT_REG, JGE_REG, JLT_REG}


def encode(op: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    """One 8-byte instruction."""
    if not (0 <= dst <= 10 and 0 <= src <= 10):
        raise ValueError("registers are r0..r10")
    return struct.pack("<BBhi", op, (src << 4) | dst, off, imm)


@dataclass
class Assembler:
    """Collects instructions; jumps name a label that :meth:`label` places (before or after)."""

    _insns: list[tuple[int, int, int, int | str, int]] = field(default_factory=list)
    _labels: dict[str, int] = field(default_factory=dict)

    def emit(self, op: int, dst: int = 0, src: int = 0, off: int | str = 0, imm: int = 0) -> None:
        self._insns.append((op, dst, src, off, imm))

    def label(self, name: str) -> None:
        if name in self._labels:
            raise ValueError(f"label {name!r} placed twice")
        self._labels[name] = len(self._insns)

    def mov_imm(self, dst: int, imm: int) -> None:
        self.emit(MOV64_IMM, dst, imm=imm)

    def mov(self, dst: int, src: int) -> None:
        self.emit(MOV64_REG, dst, src)

    def load_u64(self, dst: int, base: int, off: int) -> None:
        self.emit(LDXDW, dst, base, off)

    def load_u8(self, dst: int, base: int, off: int) -> None:
        self.emit(LDXB, dst, base, off)

    def store_u64(self, base: int, off: int, src: int) -> None:
        self.emit(STXDW, base, src, off)

    def jump(self, op: int, target: str, dst: int = 0, src: int = 0, imm: int = 0) -> None:
        if op not in _JUMPS:
            raise ValueError(f"opcode {op:#x} is not a jump")
        self.emit(op, dst, src, target, imm)

    def exit_with(self, code: int) -> None:
        self.mov_imm(0, code)
        self.emit(EXIT)

    def assemble(self) -> bytes:
        out = bytearray()
        for pc, (op, dst, src, off, imm) in enumerate(self._insns):
            if isinstance(off, str):
                if off not in self._labels:
                    raise ValueError(f"unknown label {off!r}")
                off = self._labels[off] - pc - 1
            out += encode(op, dst, src, off, imm)
        return bytes(out)


def elf_so(text: bytes) -> bytes:
    """Wrap ``text`` in a minimal ELF64 shared object the SBF loader accepts (entry = text)."""
    if not text or len(text) % 8:
        raise ValueError("text must be a non-empty whole number of instructions")
    shstrtab = b"\x00.text\x00.shstrtab\x00"
    text_off = 64
    shstr_off = text_off + len(text)
    sh_off = (shstr_off + len(shstrtab) + 7) & ~7
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)  # 64-bit, little-endian, SysV ABI
    header = ident + struct.pack(
        "<HHIQQQIHHHHHH",
        3,  # ET_DYN
        247,  # EM_BPF: SBPF v0
        1,  # EV_CURRENT
        text_off,  # e_entry
        0,  # no program headers
        sh_off,
        0,  # e_flags
        64,  # e_ehsize
        56,  # e_phentsize
        0,  # e_phnum
        64,  # e_shentsize
        3,  # e_shnum
        2,  # e_shstrndx
    )
    body = bytearray(header + text + shstrtab)
    body += bytes(sh_off - len(body))

    def section(name: int, kind: int, flags: int, addr: int, off: int, size: int) -> bytes:
        return struct.pack("<IIQQQQIIQQ", name, kind, flags, addr, off, size, 0, 0, 8, 0)

    body += section(0, 0, 0, 0, 0, 0)
    body += section(1, 1, 0x6, text_off, text_off, len(text))  # PROGBITS, ALLOC|EXEC
    body += section(7, 3, 0, 0, shstr_off, len(shstrtab))  # STRTAB
    return bytes(body)
