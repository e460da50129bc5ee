"""The slippage guard: a tiny on-chain SBF program that fails with custom error 6001.

Jupiter's program checks, on chain, that a swap's output is at least ``otherAmountThreshold`` and
otherwise fails with ``SlippageToleranceExceeded`` (6001 = 0x1771). The local Jupiter world does
the same with this program, hand-assembled here (no toolchain is needed) and loaded into LiteSVM
with ``add_program``. It runs *at landing*, against the pool vaults' balances at that moment:

accounts: ``[vault_in (r), vault_out (r)]``, two SPL token accounts (165 bytes, not duplicated);
data: ``in_net u64 LE | min_out u64 LE`` (``in_net`` = the input after the pool fee).

It computes the constant-product output ``floor(R_out * in_net / (R_in + in_net))`` and fails with
6001 when it is below ``min_out``. Division is avoided with the exact equivalence
``floor(a / b) >= m  <=>  a >= m * b``, evaluated with 64x64->128-bit products. Any other layout
fails with 6008 (Jupiter's ``NotEnoughAccountKeys``: "the transaction was modified"), an overflow of
``R_in + in_net`` with 6024.

The input layout read below is the runtime's aligned serialization (BPF loader v2/v3): ``u64``
account count; per account a 1-byte duplicate marker (0xff), signer/writable/executable flags,
4 bytes padding, key (32), owner (32), lamports (u64), data length (u64), the data, 10 KiB of
realloc room, padding to 8, rent epoch (u64); then the instruction data length and data.
"""

from __future__ import annotations

import struct

from phantom.localsolana.sbf import (
    ADD64_REG,
    JGT_REG,
    JLT_REG,
    JNE_IMM,
    LSH64_IMM,
    MUL64_REG,
    RSH64_IMM,
    Assembler,
    elf_so,
)

SLIPPAGE_EXCEEDED = 6001
LAYOUT_MISMATCH = 6008
MATH_OVERFLOW = 6024

TOKEN_ACCOUNT_LEN = 165
_REALLOC_ROOM = 10 * 1024
_ACCOUNT_HEADER = 8 + 32 + 32 + 8 + 8  # marker+flags+pad, key, owner, lamports, data len


def _account_span(data_len: int) -> int:
    padded = data_len + _REALLOC_ROOM + (-data_len) % 8
    return _ACCOUNT_HEADER + padded + 8  # + rent epoch


_A0 = 8
_A1 = _A0 + _account_span(TOKEN_ACCOUNT_LEN)
_IX_LEN = _A1 + _account_span(TOKEN_ACCOUNT_LEN)
_AMOUNT = 88 + 64  # offset of the token amount from an account's start (data at +88)


def guard_data(in_net: int, min_out: int) -> bytes:
    """Instruction data of the guard."""
    if not (0 <= in_net < 2**64 and 0 <= min_out < 2**64):
        raise ValueError("guard amounts are u64")
    return struct.pack("<QQ", in_net, min_out)


def _mask32(asm: Assembler, reg: int) -> None:
    asm.emit(LSH64_IMM, reg, imm=32)
    asm.emit(RSH64_IMM, reg, imm=32)


def _mul128(asm: Assembler, a: int, b: int, hi: int, lo: int) -> None:
    """``hi:lo = a * b``; clobbers r0, r2..r9 except the outputs (a, b are read first)."""
    # a0 = r4, a1 = r2, b0 = r5, b1 = r3 (a, b copied in first)
    asm.mov(4, a)
    asm.mov(5, b)
    asm.mov(2, a)
    asm.mov(3, b)
    _mask32(asm, 4)
    _mask32(asm, 5)
    asm.emit(RSH64_IMM, 2, imm=32)
    asm.emit(RSH64_IMM, 3, imm=32)
    asm.mov(6, 4)
    asm.emit(MUL64_REG, 6, 5)  # p00
    asm.mov(7, 4)
    asm.emit(MUL64_REG, 7, 3)  # p01
    asm.mov(8, 2)
    asm.emit(MUL64_REG, 8, 5)  # p10
    asm.mov(9, 2)
    asm.emit(MUL64_REG, 9, 3)  # p11
    # mid = (p00 >> 32) + lo32(p01) + lo32(p10)   (< 2^34)
    asm.mov(0, 6)
    asm.emit(RSH64_IMM, 0, imm=32)
    asm.mov(4, 7)
    _mask32(asm, 4)
    asm.emit(ADD64_REG, 0, 4)
    asm.mov(4, 8)
    _mask32(asm, 4)
    asm.emit(ADD64_REG, 0, 4)
    # hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32)
    asm.emit(RSH64_IMM, 7, imm=32)
    asm.emit(ADD64_REG, 9, 7)
    asm.emit(RSH64_IMM, 8, imm=32)
    asm.emit(ADD64_REG, 9, 8)
    asm.mov(4, 0)
    asm.emit(RSH64_IMM, 4, imm=32)
    asm.emit(ADD64_REG, 9, 4)
    # lo = lo32(p00) + (mid << 32)
    _mask32(asm, 6)
    asm.emit(LSH64_IMM, 0, imm=32)
    asm.emit(ADD64_REG, 6, 0)
    if lo != 6:
        asm.mov(lo, 6)
    if hi != 9:
        asm.mov(hi, 9)


def guard_program() -> bytes:
    """The guard as an ELF shared object, ready for ``LiteSVM.add_program``."""
    asm = Assembler()
    # layout checks
    asm.load_u64(2, 1, 0)
    asm.jump(JNE_IMM, "layout", dst=2, imm=2)
    for start in (_A0, _A1):
        asm.load_u8(2, 1, start)
        asm.jump(JNE_IMM, "layout", dst=2, imm=0xFF)
        asm.load_u64(2, 1, start + 80)
        asm.jump(JNE_IMM, "layout", dst=2, imm=TOKEN_ACCOUNT_LEN)
    asm.load_u64(2, 1, _IX_LEN)
    asm.jump(JNE_IMM, "layout", dst=2, imm=16)
    # spill the operands to the stack: [r10-8] r_in, [-16] r_out, [-24] in_net, [-32] min_out
    asm.load_u64(2, 1, _A0 + _AMOUNT)
    asm.store_u64(10, -8, 2)
    asm.load_u64(2, 1, _A1 + _AMOUNT)
    asm.store_u64(10, -16, 2)
    asm.load_u64(2, 1, _IX_LEN + 8)
    asm.store_u64(10, -24, 2)
    asm.load_u64(2, 1, _IX_LEN + 16)
    asm.store_u64(10, -32, 2)
    # A = r_out * in_net -> [-40] hi, [-48] lo
    asm.load_u64(1, 10, -16)
    asm.load_u64(2, 10, -24)
    asm.mov(0, 2)
    _mul128(asm, 1, 0, hi=9, lo=6)
    asm.store_u64(10, -40, 9)
    asm.store_u64(10, -48, 6)
    # d = r_in + in_net (overflow -> MATH_OVERFLOW)
    asm.load_u64(1, 10, -8)
    asm.load_u64(2, 10, -24)
    asm.mov(3, 1)
    asm.emit(ADD64_REG, 3, 2)
    asm.jump(JLT_REG, "overflow", dst=3, src=1)
    # B = min_out * d -> r9 hi, r6 lo
    asm.load_u64(1, 10, -32)
    asm.mov(0, 3)
    _mul128(asm, 1, 0, hi=9, lo=6)
    # compare A (r2 hi, r3 lo) with B (r9 hi, r6 lo)
    asm.load_u64(2, 10, -40)
    asm.load_u64(3, 10, -48)
    asm.jump(JLT_REG, "slippage", dst=2, src=9)
    asm.jump(JGT_REG, "ok", dst=2, src=9)
    asm.jump(JLT_REG, "slippage", dst=3, src=6)
    asm.label("ok")
    asm.exit_with(0)
    asm.label("slippage")
    asm.exit_with(SLIPPAGE_EXCEEDED)
    asm.label("layout")
    asm.exit_with(LAYOUT_MISMATCH)
    asm.label("overflow")
    asm.exit_with(MATH_OVERFLOW)
    return elf_so(asm.assemble())


__all__ = [
    "LAYOUT_MISMATCH",
    "MATH_OVERFLOW",
    "SLIPPAGE_EXCEEDED",
    "TOKEN_ACCOUNT_LEN",
    "guard_data",
    "guard_program",
]
