"""Common random numbers drawn per id: a fixed uniform for every (stream, draw, id).

Comparing program designs needs common random numbers: a customer or partner must meet
the same random number in every arm of an experiment however far the arms' states
drift apart (Law & Kelton, *Simulation Modeling and Analysis*, on synchronising random
numbers). Drawing a whole population's numbers from a sequential generator and indexing
them by id does that, but pays a pass over every customer for each draw, however few
customers the draw is for.

:class:`Draws` is counter-based instead (Salmon et al. 2011, "Parallel random numbers:
as easy as 1, 2, 3"): the number of id ``i`` in the ``k``-th draw of a stream is a hash
of the stream's key, ``k`` and ``i``, computed only for the ids that need one. The hash
is SplitMix64 (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number
generators"): the stream key plus ``i`` times the golden-ratio increment, through the
SplitMix64 output mix, i.e. the generator's output sequence started at the key. Keys
come from ``numpy.random.SeedSequence``, so every number still derives from the
scenario seed.

>>> import numpy as np
>>> a, b = Draws.from_seed(7), Draws.from_seed(7)
>>> bool((a.uniform(np.array([3, 9])) == b.uniform(np.array([9, 3]))[::-1]).all())
True
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

__all__ = ["Draws", "stochastic_round"]

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15  # SplitMix64's increment: 2^64 / golden ratio, odd
_MUL1, _MUL2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB  # SplitMix64 output mix
_TO_UNIT = 2.0**-53  # 53 random bits to a double in [0, 1)
_CHUNK = 32_768  # ids hashed at a time: 256 KiB of uint64, well inside a core's cache


def _mix(z: int) -> int:
    """SplitMix64's output mix of one 64-bit integer (used to derive each draw's key)."""
    z = ((z ^ (z >> 30)) * _MUL1) & _MASK
    z = ((z ^ (z >> 27)) * _MUL2) & _MASK
    return z ^ (z >> 31)


_GOLDEN_U64, _MUL1_U64, _MUL2_U64 = np.uint64(_GOLDEN), np.uint64(_MUL1), np.uint64(_MUL2)
_SHIFT_30, _SHIFT_27, _SHIFT_31, _SHIFT_11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


def _mix_array(ids: np.ndarray, key: int) -> np.ndarray:
    """``_mix(key + ids * golden)`` elementwise, as the top 53 bits (uint64, wrapping arithmetic)."""
    z = np.asarray(ids).astype(np.uint64)
    z *= _GOLDEN_U64
    z += np.uint64(key)
    shifted = z >> _SHIFT_30
    z ^= shifted
    z *= _MUL1_U64
    np.right_shift(z, _SHIFT_27, out=shifted)
    z ^= shifted
    z *= _MUL2_U64
    np.right_shift(z, _SHIFT_31, out=shifted)
    z ^= shifted
    z >>= _SHIFT_11
    return z


def _unit_interval(ids: np.ndarray, key: int, offset: float) -> np.ndarray:
    """``(hash + offset) / 2^53`` per id, hashed in chunks that stay in the CPU cache.

    The hash makes about ten passes over its integers; a chunk of ``_CHUNK`` ids keeps
    them in cache, which makes a million ids about 1.6x faster than one pass each.
    """
    ids = np.asarray(ids)
    if ids.size <= _CHUNK:  # one chunk (most draws): no buffer to fill
        out = _mix_array(ids, key).astype(np.float64)
    else:
        out = np.empty(ids.size)
        for start in range(0, ids.size, _CHUNK):
            out[start:start + _CHUNK] = _mix_array(ids[start:start + _CHUNK], key)
    if offset:  # hashes are whole numbers >= 0, so adding a zero offset would change nothing
        out += offset
    out *= _TO_UNIT
    return out


class Draws:
    """The random numbers of one stream: successive draws, each one number per id.

    Like a generator, each call makes a new draw; unlike one, a draw gives id ``i``
    the same number whatever other ids it is asked for, and costs only the ids asked.
    Callers keep the order of their calls fixed, whatever the state, so a stream's
    ``k``-th draw means the same thing in every run.

    Args:
        key: the stream's 64-bit key, a word of a ``SeedSequence``'s state.
    """

    def __init__(self, key: int):
        self._key = key
        self._calls = 0

    @classmethod
    def from_seed(cls, seed: int) -> Draws:
        """A stream keyed by ``SeedSequence(seed)`` (tests and stand-alone use)."""
        return cls(int(np.random.SeedSequence(seed).generate_state(1, np.uint64)[0]))

    def _next_key(self) -> int:
        """The key of the next draw: the stream key's SplitMix64 sequence, one step per draw."""
        self._calls += 1
        return _mix((self._key + self._calls * _GOLDEN) & _MASK)

    def uniform(self, ids: np.ndarray) -> np.ndarray:
        """One uniform in [0, 1) per id (ids are non-negative integers; repeats repeat)."""
        return _unit_interval(ids, self._next_key(), offset=0.0)

    def normal(self, ids: np.ndarray) -> np.ndarray:
        """One standard normal per id: the inverse normal CDF of a uniform in (0, 1)."""
        return ndtri(_unit_interval(ids, self._next_key(), offset=0.5))

    def scalar(self) -> float:
        """One uniform in [0, 1) (a draw for a single event, such as rounding a capacity)."""
        return (_mix(self._next_key()) >> 11) * _TO_UNIT  # id 0's number, as uniform() gives it, without arrays


def stochastic_round(x: float, u: float) -> int:
    """Round ``x`` up when the uniform draw ``u`` falls below its fractional part (unbiased capacity).

    Examples:
        >>> stochastic_round(2.25, 0.2), stochastic_round(2.25, 0.3)
        (3, 2)
    """
    base = int(np.floor(x))
    return base + int(u < x - base)
