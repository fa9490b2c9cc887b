"""The invisible mark on every result: the task's 64-bit public id, hidden with invisible-watermark's DWT-DCT.

The method is the library's `dwtDct` (imwatermark.maxDct.EmbedMaxDct): the picture's U channel (OpenCV's
YUV) goes through a one-level Haar wavelet; in each 4x4 block of its approximation the largest coefficient
(leaving out the first) is quantised so that its remainder modulo `SCALE` says 0 or 1, bit after bit in
reading order, over and over. Reading averages every block's vote per bit.

Two things are done here rather than through the library's classes, and files marked either way read the
same with both (the tests check it): the per-block Python loop is one numpy pass (the library's takes
about half a second on a 2-megapixel picture), and the change is added to the RGB pixels themselves, not
to a YUV copy converted back (the round trip through 8-bit YUV costs PSNR on every pixel, and the library
also swaps the horizontal and vertical details when it rebuilds the picture). The library's package
imports torch for its other method, so its DWT-DCT module is loaded on its own as the reference.

The payload is the id followed by a CRC-16 of it, so a picture without a mark (or with a mark too damaged
to trust) reads as "no mark", not as a wrong id.
"""

from __future__ import annotations

import binascii
import hashlib
import importlib.util
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

ID_BITS = 64
CHECK_BITS = 16
PAYLOAD_BITS = ID_BITS + CHECK_BITS
CRC_START = 0x1D0F
_PATTERN = hashlib.sha256(b"couple face-swap result mark").digest()[: PAYLOAD_BITS // 8]
# The library's default step for the U channel (its `scales=[0, 36, 36]` marks channel 1 only).
SCALE = 24.0
BLOCK = 4
# How far the marked coefficient stays above the block's next largest (rounding to 8-bit pixels moves a
# coefficient by up to about 2).
MARGIN = 4.0
# Below this many pixels (the library's own limit) there are too few blocks per bit to read back.
MIN_PIXELS = 256 * 256
# A read is trusted only when the bits are this far from a coin toss on average (and the CRC matches).
MIN_CONFIDENCE = 0.1
# Sizes a picture may have been scaled by since it was marked (a share preview, a screenshot at half
# size); a read tries each, bringing the picture back to its marked size first.
READ_SCALES = (1.0, 2.0, 1.5, 4 / 3)


@dataclass(frozen=True)
class Reading:
    public_id: str | None  # 16 hex digits, or None: no mark found
    confidence: float  # 0 (noise) .. 0.5 (every block agrees)
    scale: float = 1.0  # the scale the picture was read at


def new_public_id() -> str:
    """A random 64-bit id as 16 hex digits (what the mark carries; never the database id)."""
    return secrets.token_hex(ID_BITS // 8)


def payload_bits(public_id: str) -> np.ndarray:
    """The 80 bits written: the id and its CRC-16, scrambled with a fixed pattern (a flat picture, whose
    blocks all vote alike, must not read as the id 0 with a matching check)."""
    raw = bytes.fromhex(public_id)
    if len(raw) != ID_BITS // 8:
        raise ValueError("a public id is 16 hex digits")
    check = binascii.crc_hqx(raw, CRC_START).to_bytes(2, "big")
    return np.unpackbits(np.frombuffer(_scramble(raw + check), dtype=np.uint8))


def _scramble(payload: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(payload, _PATTERN, strict=True))


def _id_from_bits(bits: np.ndarray) -> str | None:
    raw = _scramble(np.packbits(bits.astype(np.uint8)).tobytes())
    public, check = raw[: ID_BITS // 8], raw[ID_BITS // 8 :]
    if binascii.crc_hqx(public, CRC_START).to_bytes(2, "big") != check:
        return None
    return public.hex()


def _blocks(coefficients: np.ndarray) -> np.ndarray:
    """(rows, cols, 16): the 4x4 blocks of a wavelet approximation, in the library's reading order."""
    rows, cols = coefficients.shape[0] // BLOCK, coefficients.shape[1] // BLOCK
    cut = coefficients[: rows * BLOCK, : cols * BLOCK]
    return cut.reshape(rows, BLOCK, cols, BLOCK).transpose(0, 2, 1, 3).reshape(rows, cols, BLOCK * BLOCK)


def _approximation(bgr: np.ndarray, order: str) -> np.ndarray:
    """The Haar approximation of the luma (what pywt.dwt2(y, "haar")[0] gives), over rows//4*4 x cols//4*4.

    OpenCV's grey is its YUV's Y (the same weights and rounding), at a third of the cost."""
    height, width = bgr.shape[0] // 4 * 4, bgr.shape[1] // 4 * 4
    alpha = bgr.shape[2] == 4
    code = {
        ("rgb", False): cv2.COLOR_RGB2GRAY,
        ("rgb", True): cv2.COLOR_RGBA2GRAY,
        ("bgr", False): cv2.COLOR_BGR2GRAY,
        ("bgr", True): cv2.COLOR_BGRA2GRAY,
    }[order, alpha]
    luma = cv2.cvtColor(bgr, code)[:height, :width].astype(np.float32)
    # (a + b + c + d) / 2 over each 2x2 square: twice their mean.
    return cv2.resize(luma, (width // 2, height // 2), interpolation=cv2.INTER_AREA) * 2.0


def _largest(blocks: np.ndarray) -> np.ndarray:
    """Index (1..15) of each block's largest coefficient by magnitude, leaving out the first (the library's)."""
    return np.argmax(np.abs(blocks[:, :, 1:]), axis=2) + 1


def embed(bgr: np.ndarray, public_id: str, *, order: str = "bgr") -> np.ndarray:
    """The picture (BGR(A) uint8, or RGB(A) with order="rgb") with the id hidden in it; alpha is left as it was."""
    height, width = bgr.shape[:2]
    if height * width < MIN_PIXELS:
        return bgr
    bits = payload_bits(public_id)
    blocks = _blocks(_approximation(bgr, order))
    rows, cols = blocks.shape[:2]
    which = _largest(blocks)
    value = np.take_along_axis(blocks, which[:, :, None], axis=2)[:, :, 0]
    wanted = bits[np.arange(rows * cols) % PAYLOAD_BITS].reshape(rows, cols)
    # The library keeps the coefficient's step (|v| // SCALE); in a smooth block that can leave it smaller
    # than the block's next largest, and the reader would then look at that one instead (a coin toss: on
    # smooth photos half the zeros read as ones). So the step is raised where needed to stay the largest.
    second = np.partition(np.abs(blocks[:, :, 1:]), -2, axis=2)[:, :, -2]
    step = np.abs(value) // SCALE
    needed = np.floor((second + MARGIN) / SCALE - 0.25 - 0.5 * wanted) + 1
    marked = (np.maximum(step, needed) + 0.25 + 0.5 * wanted) * SCALE
    marked = np.where(value >= 0, marked, -marked)
    # One coefficient per block changes; a change d of it is d / 2 on each of its 2x2 pixels, and a change
    # of luma alone is the same change of B, G and R.
    change = ((marked - value) / 2.0).ravel()
    block_row, block_col = np.divmod(np.arange(rows * cols), cols)
    top = 2 * (block_row * BLOCK + which.ravel() // BLOCK)
    left = 2 * (block_col * BLOCK + which.ravel() % BLOCK)
    out = bgr.copy()
    for dy in (0, 1):
        for dx in (0, 1):
            pixels = out[top + dy, left + dx, :3].astype(np.float32) + change[:, None]
            out[top + dy, left + dx, :3] = np.clip(np.rint(pixels), 0, 255).astype(np.uint8)
    return out


def bit_scores(approx: np.ndarray) -> np.ndarray:
    """Per payload bit, the share of its blocks voting 1 (the library's decode before its 0.5 cut)."""
    blocks = _blocks(approx)
    rows, cols = blocks.shape[:2]
    value = np.abs(np.take_along_axis(blocks, _largest(blocks)[:, :, None], axis=2)[:, :, 0])
    votes = ((value % SCALE) > 0.5 * SCALE).astype(np.float64).ravel()
    positions = np.arange(rows * cols) % PAYLOAD_BITS
    counts = np.bincount(positions, minlength=PAYLOAD_BITS)
    return np.bincount(positions, weights=votes, minlength=PAYLOAD_BITS) / np.maximum(counts, 1)


def read_at(bgr: np.ndarray, *, scale: float = 1.0) -> Reading:
    """Read the picture as if it had been scaled by 1/`scale` since it was marked."""
    if scale == 2.0:
        return _read_halved(bgr)
    else:
        if scale != 1.0:
            size = (round(bgr.shape[1] * scale), round(bgr.shape[0] * scale))
            bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_CUBIC)
        approx = _approximation(bgr, "bgr")
    return _reading(approx, scale)


def _read_halved(bgr: np.ndarray) -> Reading:
    """Read a picture halved by averaging: each pixel is the mean of a 2x2 square of the marked picture,
    so twice it is the wavelet approximation the mark lives in. (A side of odd length is halved by a factor
    a little over 2; the squares then drift off the grid across the picture and the mark is lost.)"""
    height, width = bgr.shape[0] // BLOCK * BLOCK, bgr.shape[1] // BLOCK * BLOCK
    luma = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)[:height, :width].astype(np.float32)
    return _reading(luma * 2.0, 2.0)


def _reading(approx: np.ndarray, scale: float) -> Reading:
    if approx.size * 4 < MIN_PIXELS:
        return Reading(None, 0.0, scale)
    scores = bit_scores(approx)
    confidence = float(np.mean(np.abs(scores - 0.5)))
    public_id = _id_from_bits(scores > 0.5) if confidence >= MIN_CONFIDENCE else None
    return Reading(public_id, confidence, scale)


def read(bgr: np.ndarray) -> Reading:
    """The id hidden in a picture (as stored, or scaled since), else a Reading without one."""
    best = Reading(None, 0.0)
    for scale in READ_SCALES:
        reading = read_at(bgr, scale=scale)
        if reading.public_id is not None:
            return reading
        if reading.confidence > best.confidence:
            best = reading
    return best


@cache
def library_dwtdct():
    """invisible-watermark's DWT-DCT module (imwatermark/maxDct.py) without its package, which imports torch."""
    spec = importlib.util.find_spec("imwatermark")
    if spec is None or spec.origin is None:
        raise ImportError("invisible-watermark is not installed")
    path = Path(spec.origin).with_name("maxDct.py")
    module_spec = importlib.util.spec_from_file_location("imwatermark_maxdct", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module
