"""Everything the mark derives from the artist's secret key.

Each use of the key gets its own stream (HMAC-SHA256 of the key and a label,
expanded with SHAKE-256), so the chip signs, the chip layout and the payload
tag are independent of one another and of any global random state.  Without
the key none of them can be computed, which is what makes the mark keyed.
"""

import hashlib
import hmac

import numpy as np

KEY_BYTES = 32


def check_key(key: bytes) -> bytes:
    """Return *key* as bytes, or raise ``ValueError`` if it is not 32 bytes."""
    if not isinstance(key, bytes | bytearray) or len(key) != KEY_BYTES:
        raise ValueError(
            f"a watermark key is {KEY_BYTES} secret bytes; got "
            f"{len(key) if isinstance(key, bytes | bytearray) else type(key).__name__}"
        )
    return bytes(key)


def stream(key: bytes, label: str, nbytes: int) -> bytes:
    """Return *nbytes* pseudo-random bytes derived from *key* for *label*."""
    seed = hmac.new(key, label.encode(), hashlib.sha256).digest()
    return hashlib.shake_256(seed).digest(nbytes)


def signs(key: bytes, label: str, count: int) -> np.ndarray:
    """Return *count* independent ±1 values (float32) derived from *key*."""
    bits = np.unpackbits(np.frombuffer(stream(key, label, (count + 7) // 8), np.uint8))
    return (bits[:count].astype(np.float32) * 2.0 - 1.0)


def permutation(key: bytes, label: str, count: int) -> np.ndarray:
    """Return a key-derived permutation of ``range(count)``."""
    words = np.frombuffer(stream(key, label, 8 * count), np.uint64)
    return np.argsort(words, kind="stable")


def tag(key: bytes, payload: int, payload_bits: int, tag_bits: int) -> int:
    """Return the keyed authentication tag of *payload* (a truncated HMAC)."""
    message = payload.to_bytes((payload_bits + 7) // 8, "big")
    digest = hmac.new(key, b"artistshield/tag/" + message, hashlib.sha256).digest()
    return int.from_bytes(digest, "big") >> (256 - tag_bits)
