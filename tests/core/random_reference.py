#!/usr/bin/env python3
"""Independent reference for modyn::Rng (include/modyn/core/random.hpp).

Standard library only. It implements Philox4x32-10 (Salmon et al. 2011) from
its definition and the mapping of Philox words to numbers documented at the
top of random.hpp, and prints the values pinned in tests/core/random.cpp.

Regenerate the pinned values with

    python3 tests/core/random_reference.py

and paste its output into tests/core/random.cpp. The known-answer vectors of
Random123 (kat_vectors) are checked first; the script fails if they differ.
"""

import math
import struct

MASK32 = 0xFFFFFFFF

# Philox4x32 constants (Random123 philox.h).
PHILOX_M0 = 0xD2511F53
PHILOX_M1 = 0xCD9E8D57
PHILOX_W0 = 0x9E3779B9  # golden ratio
PHILOX_W1 = 0xBB67AE85  # sqrt(3) - 1


def mulhilo(a, b):
    p = a * b
    return (p >> 32) & MASK32, p & MASK32


def philox4x32(counter, key, rounds=10):
    """The Philox4x32-R block for a counter of four words and a key of two."""
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for r in range(rounds):
        if r > 0:
            k0 = (k0 + PHILOX_W0) & MASK32
            k1 = (k1 + PHILOX_W1) & MASK32
        hi0, lo0 = mulhilo(PHILOX_M0, c0)
        hi1, lo1 = mulhilo(PHILOX_M1, c2)
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return [c0, c1, c2, c3]


# Random123 kat_vectors, philox4x32 with 10 rounds: (counter, key, expected).
KAT = [
    ([0, 0, 0, 0], [0, 0], [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
    ([MASK32] * 4, [MASK32] * 2, [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
    ([0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], [0xA4093822, 0x299F31D0],
     [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1]),
]


def fnv1a_64(data):
    """FNV-1a, 64 bits: offset basis 0xcbf29ce484222325, prime 0x100000001b3."""
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def f32(x):
    """Rounds a Python float (a double) to the nearest float32."""
    return struct.unpack("f", struct.pack("f", x))[0]


class Rng:
    SPLIT_TAG = 0x5EED5EED

    def __init__(self, seed=0):
        self.key = [seed & MASK32, (seed >> 32) & MASK32]
        self.fills = 0

    def split(self, stream):
        derived = philox4x32([stream & MASK32, (stream >> 32) & MASK32, self.SPLIT_TAG, self.SPLIT_TAG],
                             self.key)
        child = Rng()
        child.key = derived[:2]
        return child

    def for_path(self, path):
        """The stream of a module path: split(FNV-1a 64 of the path's bytes)."""
        return self.split(fnv1a_64(path.encode()))

    def raw(self, counter):
        return philox4x32(counter, self.key)

    def _fill(self, n, make, offset=0):
        """Element k of a fill given an offset o is global element i = o + k of
        fill number f: make(block i // 4, i % 4), where the block is
        Philox({b_lo, b_hi, f_lo, f_hi}, key) for b = i // 4."""
        f = self.fills
        self.fills += 1
        out = []
        for i in range(offset, offset + n):
            b = i // 4
            words = self.raw([b & MASK32, b >> 32, f & MASK32, f >> 32])
            out.append(make(words, i % 4))
        return out

    def uniform(self, n, dtype, low=0.0, high=1.0, offset=0):
        def make(words, k):
            w = words[k]
            if dtype == "float":
                # low + (high - low) * u, computed in float.
                u = (w >> 8) * 2.0**-24
                return f32(f32(low) + f32(f32(f32(high) - f32(low)) * u))
            u = w * 2.0**-32
            return low + (high - low) * u
        return self._fill(n, make, offset)

    def normal(self, n, dtype, mean=0.0, stddev=1.0, offset=0):
        def make(words, k):
            pair = 2 * (k // 2)
            r = math.sqrt(-2.0 * math.log((words[pair] + 1.0) * 2.0**-32))
            angle = 2.0 * math.pi * words[pair + 1] * 2.0**-32
            z = r * math.cos(angle) if k % 2 == 0 else r * math.sin(angle)
            if dtype == "float":
                return f32(f32(mean) + f32(f32(stddev) * f32(z)))
            return mean + stddev * z
        return self._fill(n, make, offset)

    def bernoulli(self, n, p, offset=0):
        return self._fill(n, lambda words, k: 1 if words[k] * 2.0**-32 < p else 0, offset)

    def randint(self, n, low, high, offset=0):
        span = high - low
        return self._fill(n, lambda words, k: low + ((words[k] * span) >> 32), offset)


def hex_words(words):
    return ", ".join("0x%08x" % w for w in words)


def cpp_double(x):
    """A C++ literal that is exactly x: a hex float without trailing zeros."""
    mantissa, exponent = float(x).hex().split("p")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return mantissa + "p" + exponent


def cpp_float(x):
    return cpp_double(x) + "f"


def main():
    for counter, key, expected in KAT:
        got = philox4x32(counter, key)
        assert got == expected, (counter, key, hex_words(got), hex_words(expected))
    print("// Philox4x32-10 known-answer vectors: OK")

    def show(label, values, fmt):
        print("// %s" % label)
        print("{" + ", ".join(fmt(v) for v in values) + "}")

    rng = Rng(42)
    show("Rng(42).uniform<float>({6})", rng.uniform(6, "float"), cpp_float)
    show("same Rng, second fill: uniform<float>({6})", rng.uniform(6, "float"), cpp_float)
    show("Rng(42).split(3).uniform<double>({3})", Rng(42).split(3).uniform(3, "double"), cpp_double)
    show("Rng(42).split(3) key", Rng(42).split(3).key, lambda w: "0x%08x" % w)
    show("Rng(42).split(3).raw({0, 0, 0, 0})", Rng(42).split(3).raw([0, 0, 0, 0]), lambda w: "0x%08x" % w)
    show("Rng(42).split(1ull << 32).raw({0, 0, 0, 0})", Rng(42).split(1 << 32).raw([0, 0, 0, 0]),
         lambda w: "0x%08x" % w)
    show("Rng(3).uniform<float>({5}, -1.0f, 1.0f)", Rng(3).uniform(5, "float", -1.0, 1.0), cpp_float)
    show("Rng(7).normal<float>({4})", Rng(7).normal(4, "float"), cpp_float)
    show("Rng(7).normal<double>({5}, 1.5, 2.0)", Rng(7).normal(5, "double", 1.5, 2.0), cpp_double)
    show("Rng(1).uniform<double>({5}, -2.0, 3.0)", Rng(1).uniform(5, "double", -2.0, 3.0), cpp_double)
    show("Rng(5).bernoulli<float>({12}, 0.5)", Rng(5).bernoulli(12, 0.5), str)
    show("Rng(9).randint<int>({10}, -3, 7)", Rng(9).randint(10, -3, 7), str)
    show("fnv1a_64 of '', 'a', 'l1.weight', 'encoder.0'",
         [fnv1a_64(p.encode()) for p in ["", "a", "l1.weight", "encoder.0"]], lambda h: "0x%016xull" % h)
    show("Rng(42).for_path(\"encoder.0\").uniform<float>({4})", Rng(42).for_path("encoder.0").uniform(4, "float"),
         cpp_float)
    show("Rng(42).uniform<float>({3}, 0, 1, 5) (elements 5, 6, 7)", Rng(42).uniform(3, "float", offset=5), cpp_float)
    far = (1 << 34) + 3
    show("Rng(42).uniform<double>({3}, 0, 1, 2^34 + 3)", Rng(42).uniform(3, "double", offset=far), cpp_double)
    show("Rng(42).randint<int>({4}, 0, 1000, 2^34 + 3)", Rng(42).randint(4, 0, 1000, offset=far), str)
    big = (0x0123456789ABCDEF)
    show("Rng(0x0123456789abcdef).raw({1, 2, 3, 4})", Rng(big).raw([1, 2, 3, 4]), lambda w: "0x%08x" % w)


if __name__ == "__main__":
    main()
