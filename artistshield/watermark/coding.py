"""Payload coding: a keyed tag, a convolutional code and a soft Viterbi decoder.

The message is the payload followed by a truncated HMAC tag of it.  The tag is
what lets the detector say "this is the artist's mark" with a p-value that does
not depend on any model of images: without the key a decoded message carries a
valid tag with probability ``2**-TAG_BITS``.

The code is the classic rate-1/3, constraint-length-7 convolutional code
(generators 133, 171, 165 octal), decoded with soft decisions, which gains
about 5 dB over spreading the same chips as plain repetition.
"""

import numpy as np

CONSTRAINT = 7
GENERATORS = (0o133, 0o171, 0o165)
RATE = len(GENERATORS)
_STATES = 1 << (CONSTRAINT - 1)


def _parity(value: np.ndarray) -> np.ndarray:
    bits = np.unpackbits(value.astype(">u2").view(np.uint8).reshape(-1, 2), axis=1)
    return (bits.sum(axis=1) & 1).astype(np.int8)


def _trellis() -> tuple[np.ndarray, np.ndarray]:
    """Return (next_state, outputs) for every state and input bit.

    ``outputs[state, bit]`` holds the RATE coded bits as ±1.
    """
    states = np.arange(_STATES)
    next_state = np.empty((_STATES, 2), np.int64)
    outputs = np.empty((_STATES, 2, RATE), np.float32)
    for bit in (0, 1):
        register = (bit << (CONSTRAINT - 1)) | states  # newest bit on top
        next_state[:, bit] = register >> 1
        for g, generator in enumerate(GENERATORS):
            outputs[:, bit, g] = 1.0 - 2.0 * _parity(register & generator)
    return next_state, outputs


_NEXT, _OUT = _trellis()


def coded_length(message_bits: int) -> int:
    """Return how many coded bits a message of *message_bits* becomes."""
    return (message_bits + CONSTRAINT - 1) * RATE


def encode(bits: np.ndarray) -> np.ndarray:
    """Encode 0/1 *bits* (with a zero tail) into ±1 coded symbols."""
    state = 0
    out = []
    for bit in np.concatenate([bits.astype(np.int64), np.zeros(CONSTRAINT - 1, np.int64)]):
        out.append(_OUT[state, bit])
        state = _NEXT[state, bit]
    return np.concatenate(out).astype(np.float32)


def decode(soft: np.ndarray, message_bits: int) -> np.ndarray:
    """Return the most likely 0/1 message for soft ±1 symbols *soft*.

    Larger positive values mean "more likely +1".  The zero tail is enforced,
    so the survivor ending in state 0 is taken.
    """
    steps = message_bits + CONSTRAINT - 1
    soft = np.asarray(soft, np.float32).reshape(steps, RATE)
    metric = np.full(_STATES, -np.inf, np.float32)
    metric[0] = 0.0
    # predecessor arrays: for each next state, the two (state, bit) that reach it
    prev_state = np.empty((_STATES, 2), np.int64)
    prev_bit = np.empty((_STATES, 2), np.int64)
    filled = np.zeros(_STATES, np.int64)
    for s in range(_STATES):
        for b in (0, 1):
            n = _NEXT[s, b]
            prev_state[n, filled[n]] = s
            prev_bit[n, filled[n]] = b
            filled[n] += 1
    branch_out = _OUT[prev_state, prev_bit]  # (_STATES, 2, RATE)
    choices = np.empty((steps, _STATES), np.int8)
    for t in range(steps):
        gains = branch_out @ soft[t]  # (_STATES, 2)
        candidates = metric[prev_state] + gains
        if t >= message_bits:  # tail: only zero input bits are allowed
            candidates = np.where(prev_bit == 0, candidates, -np.inf)
        best = np.argmax(candidates, axis=1)
        choices[t] = best
        metric = candidates[np.arange(_STATES), best]
    bits = np.empty(steps, np.uint8)
    state = 0
    for t in range(steps - 1, -1, -1):
        pick = choices[t, state]
        bits[t] = prev_bit[state, pick]
        state = prev_state[state, pick]
    return bits[:message_bits]


def int_to_bits(value: int, count: int) -> np.ndarray:
    """Return the *count* low bits of *value*, most significant first."""
    return np.array([(value >> (count - 1 - i)) & 1 for i in range(count)], np.uint8)


def bits_to_int(bits: np.ndarray) -> int:
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return value
