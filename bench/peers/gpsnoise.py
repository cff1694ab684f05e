"""gps's noise in numpy, bit for bit: Philox4x32-10, Box-Muller, the keys.

runtime/lib/Philox.cpp is the reference. Generated code fills the noise of
sample site number `site` (sites numbered by sorted name) at step `step`
(0 outside the step loop) with standard normals drawn with the Philox key
gps_rt_noise_key(seed, site, step) on the stream `stream` (the trainer's
update number): element (r, c) of a rows x cols draw is number r*cols + c;
block b of 4 uniforms has the counter (b lo, b hi, stream lo, stream hi)
and gives two Box-Muller pairs, (lanes 0, 1) and (lanes 2, 3).
"""

import numpy as np

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = 0x9E3779B9
_W1 = 0xBB67AE85
_PHI = 0x9E3779B97F4A7C15
_MASK32 = np.uint64(0xFFFFFFFF)
_MASK64 = (1 << 64) - 1


def noise_key(seed, site, step):
    """gps_rt_noise_key: seed + ((site << 32) | step) * phi modulo 2^64."""
    return (seed + (((site << 32) | (step & 0xFFFFFFFF)) * _PHI)) & _MASK64


def philox4x32(c0, c1, c2, c3, key):
    """Philox4x32-10 on uint64 arrays holding 32-bit words; key is an int."""
    k0, k1 = key & 0xFFFFFFFF, (key >> 32) & 0xFFFFFFFF
    c0, c1, c2, c3 = (np.asarray(v, dtype=np.uint64) for v in (c0, c1, c2, c3))
    for rnd in range(10):
        if rnd:
            k0 = (k0 + _W0) & 0xFFFFFFFF
            k1 = (k1 + _W1) & 0xFFFFFFFF
        p0 = _M0 * c0
        p1 = _M1 * c2
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0),
                          p1 & _MASK32,
                          (p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1),
                          p0 & _MASK32)
    return c0, c1, c2, c3


def _uniform(bits):
    # ((bits >> 9) + 0.5) * 2^-23 in float32: every step is exact.
    return ((bits >> np.uint64(9)).astype(np.float32) + np.float32(0.5)) * \
        np.float32(1.0 / 8388608.0)


def _box_muller(u1, u2):
    radius = np.sqrt(-2.0 * np.log(u1.astype(np.float64)))
    theta = 6.283185307179586476925286766559 * u2.astype(np.float64)
    return ((radius * np.cos(theta)).astype(np.float32),
            (radius * np.sin(theta)).astype(np.float32))


def normal_stream(count, key, stream):
    """gps_rt_philox_normal_stream_f32: `count` normals of (key, stream)."""
    blocks = (count + 3) // 4
    b = np.arange(blocks, dtype=np.uint64)
    s_lo = np.full(blocks, stream & 0xFFFFFFFF, dtype=np.uint64)
    s_hi = np.full(blocks, (stream >> 32) & 0xFFFFFFFF, dtype=np.uint64)
    r0, r1, r2, r3 = philox4x32(b & _MASK32, b >> np.uint64(32), s_lo, s_hi,
                                key)
    z0, z1 = _box_muller(_uniform(r0), _uniform(r1))
    z2, z3 = _box_muller(_uniform(r2), _uniform(r3))
    return np.stack([z0, z1, z2, z3], axis=1).reshape(-1)[:count]


def normal(seed, stream, site, step, rows, cols):
    """What _mlir_ciface_gps_rt_normal writes into a rows x cols buffer."""
    key = noise_key(seed, site, step)
    return normal_stream(rows * cols, key, stream).reshape(rows, cols)


def philox_normal(count, key, counter=0):
    """gps_rt_philox_normal_f32 (counter block `counter`, stream words 0)."""
    blocks = (count + 3) // 4
    b = np.arange(blocks, dtype=np.uint64) + np.uint64(counter)
    zero = np.zeros(blocks, dtype=np.uint64)
    r0, r1, r2, r3 = philox4x32(b & _MASK32, b >> np.uint64(32), zero, zero,
                                key)
    z0, z1 = _box_muller(_uniform(r0), _uniform(r1))
    z2, z3 = _box_muller(_uniform(r2), _uniform(r3))
    return np.stack([z0, z1, z2, z3], axis=1).reshape(-1)[:count]


if __name__ == "__main__":
    # Random123's known-answer test for Philox4x32-10 (kat_vectors):
    # counter 0, key 0 -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8.
    out = philox4x32(0, 0, 0, 0, 0)
    got = " ".join("%08x" % int(v) for v in out)
    assert got == "6627e8d5 e169c58d bc57ac4c 9b00dbd8", got
    print("philox known answer ok:", got)
