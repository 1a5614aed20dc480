"""Sparse-input kernels: the network's math over the non-zero pixels only.

About 81% of MNIST's pixels are exactly zero, and X @ W1 and its gradient
X^T D1 are 98% of the FLOPs, so over the non-zeros the work shrinks about
fivefold. Inputs are a CSR matrix built once per run (`CsrInputs`): indptr
(n+1,), indices (nnz,) pixel numbers, codes (nnz,) the raw uint8 pixel
values; `lut[code]` is the scaled input value, so the inputs are bit for bit
the dense path's.

Both big products are the same gather, `_gather_rows`: a 64-float (or
32-double) block of hidden units held in eight registers while the rows of
the non-zero pixels (forward) or of the samples using a pixel (W1 gradient)
are added in. Samples go in tiles of TILE: the tile's pre-activations block
by block (and within a block, band of image rows by band: `_hidden_tile`),
then each sample's output layer and deltas, then the tile's W1
gradient pixel by pixel (its non-zeros grouped by pixel: once per run for
a full batch, whose tiles never change, by a counting sort per mini-batch).
Tiles are spread over OpenMP threads (prange; serial when built without
OpenMP); a full batch is cut into fixed parts, contiguous ranges of tiles
(`PART_SHARES`), that threads take as they free up, so a slow core holds up
less of the epoch. Write races are avoided by construction: each part of a
full batch sums into gradient accumulators of its own, added in part order
once at the end, so results repeat exactly whichever thread ran which
part; a mini-batch updates W1 directly after its forward pass, each thread
owning a range of hidden-unit columns (for a small batch, whole column
blocks for the forward pass too, so a step's W1 update does not depend on
the thread count).
"""

from cython cimport floating
from cython.parallel cimport parallel, prange, threadid
from libc.math cimport log
from libc.string cimport memcpy, memset

from _activations cimport binary_loss, clamp_low, exp_vec, sigmoid, sigmoid_vec

import numpy as np

ctypedef long long index_t
ctypedef unsigned char code_t

cdef enum:
    TILE = 64  # samples a thread takes at a time: a block of their deltas (16 KB) stays in L1
    MAX_TILED_BATCH = 1024  # mini-batches up to this size: threads own column blocks, W1 updated pixel by pixel
    N_BANDS = 3  # a forward tile gathers its samples' pixels band by band (`_hidden_tile`)
    SAMPLE_COST = 36  # a sample's output layer and deltas cost about as much as this many non-zeros' gathers


SMALL_BATCH_MAX = MAX_TILED_BATCH  # mini-batches up to this size split their hidden units between threads


# A full batch on T > 1 threads is cut into parts, each summing its gradients
# in accumulators of its own, handed to the threads as they free up: T parts
# of PART_SHARES[0] / T of the work first, then T of PART_SHARES[1] / T, and
# so on. A core that runs slower for a while then takes fewer parts instead
# of holding up the epoch; every part costs a zeroing and a summing of its
# accumulators, so there are few of them, the big ones first.
PART_SHARES = (0.8, 0.2)


def part_shares(int n_threads):
    """The full batch's parts on n_threads threads, in order: each one's share of the work (they add up to 1)."""
    if n_threads == 1:
        return np.ones(1)
    return np.repeat(np.array(PART_SHARES) / n_threads, n_threads)


def full_batch_parts(int n_threads):
    """How many parts a full batch is cut into on n_threads threads."""
    return len(part_shares(n_threads))


def _band_cuts(pixel_counts):
    """The first pixel of each band: cuts[0] = 0, then where the running count of non-zeros passes each share."""
    running = np.cumsum(pixel_counts)
    total = int(pixel_counts.sum())
    return [0] + [int(np.searchsorted(running, total * b / N_BANDS)) for b in range(1, N_BANDS)]


cdef struct Csr:
    # A CsrInputs' arrays as pointers, valid while it lives (`CsrInputs.csr`).
    const index_t* indptr   # (n + 1,)
    const index_t* bands    # (n, N_BANDS + 1)
    const int* indices      # (nnz,)
    const code_t* codes     # (nnz,)
    const int* y            # (n,)
    const void* lut         # (256,) float32 or float64: the parameters' type (`CsrInputs.check`)
    bint raw
    Py_ssize_t n


cdef inline size_t _address(a):
    """Where a NumPy array's data starts (valid for empty arrays too, unlike &a[0])."""
    return a.__array_interface__["data"][0]


cdef class CsrInputs:
    """Training inputs in CSR form with their labels, checked once when built.

    indptr (n+1,) int64, indices (nnz,) int32 pixel numbers, codes (nnz,) uint8
    raw values; lut (256,) maps a code to its scaled input value; y (n,) labels;
    bands (n, N_BANDS + 1) int64: where each band of sample i's pixels starts
    in indices, and bands[i, N_BANDS] = indptr[i + 1]. The bands cut the
    pixel numbers (the image's rows) so each holds an equal share of all the
    non-zeros (`_hidden_tile` says why).
    """

    cdef readonly object indptr, bands, indices, codes, lut, y
    cdef readonly Py_ssize_t n_samples, n_features
    cdef readonly int max_label
    cdef readonly bint raw  # lut[code] == code for every code (raw pixels): the kernels convert instead of looking up
    cdef Csr csr  # the arrays above for the kernels; their dtypes and layouts are fixed here

    def __init__(self, pixels, labels, lut):
        a = np.ascontiguousarray(pixels, dtype=np.uint8)
        if a.ndim != 2:
            a = a.reshape(len(a), -1)
        lut = np.ascontiguousarray(lut)
        labels = np.ascontiguousarray(labels, dtype=np.int32)
        if lut.shape != (256,) or lut.dtype not in (np.float32, np.float64):
            raise ValueError("lut must be 256 float32 or float64 values")
        if labels.shape != (a.shape[0],):
            raise ValueError(f"{labels.shape[0]} labels for {a.shape[0]} samples")
        if len(labels) and labels.min() < 0:
            raise ValueError("labels must not be negative")
        # Built a block of rows at a time: a whole-array mask and np.nonzero
        # would cost four times the finished arrays' memory.
        n, d = a.shape[0], a.shape[1]
        self.indptr = np.zeros(n + 1, np.int64)
        pixel_counts = np.zeros(d, np.int64)
        for start in range(0, n, 4096):
            mask = a[start:start + 4096] != 0
            pixel_counts += np.count_nonzero(mask, axis=0)
            np.cumsum(np.count_nonzero(mask, axis=1), out=self.indptr[start + 1:start + 4097])
            self.indptr[start + 1:start + 4097] += self.indptr[start]
        nnz = int(self.indptr[n])
        self.indices = np.empty(nnz, np.int32)
        self.codes = np.empty(nnz, np.uint8)
        self.bands = np.empty((n, N_BANDS + 1), np.int64)
        cuts = _band_cuts(pixel_counts)
        for start in range(0, n, 4096):
            block = a[start:start + 4096]
            lo, hi = self.indptr[start], self.indptr[min(start + 4096, n)]
            mask = block != 0
            self.indices[lo:hi] = np.nonzero(mask)[1]
            self.codes[lo:hi] = block[mask]
            for band in range(N_BANDS):
                self.bands[start:start + len(block), band] = (self.indptr[start:start + len(block)]
                                                              + np.count_nonzero(mask[:, :cuts[band]], axis=1))
        self.bands[:, N_BANDS] = self.indptr[1:]
        self.lut = lut
        self.raw = bool(np.array_equal(lut, np.arange(256)))
        self.y = labels
        self.n_samples, self.n_features = a.shape[0], a.shape[1]
        self.max_label = int(labels.max()) if len(labels) else 0
        self.csr = Csr(indptr=<const index_t*> _address(self.indptr), bands=<const index_t*> _address(self.bands),
                       indices=<const int*> _address(self.indices), codes=<const code_t*> _address(self.codes),
                       y=<const int*> _address(self.y), lut=<const void*> _address(self.lut), raw=self.raw,
                       n=self.n_samples)

    @property
    def density(self):
        """Fraction of the inputs that are non-zero."""
        return len(self.codes) / max(1, self.n_samples * self.n_features)

    def check(self, W1, b1, W2, b2):
        d, h, k = W1.shape[0], W1.shape[1], W2.shape[1]
        if d != self.n_features or W2.shape[0] != h or b1.shape[0] != h or b2.shape[0] != k:
            raise ValueError("parameter shapes don't fit the inputs")
        if self.lut.dtype != np.asarray(W1).dtype:
            raise ValueError("inputs and parameters have different dtypes")
        if self.max_label > max(k - 1, 1):
            raise ValueError(f"labels must be in 0..{max(k - 1, 1)}")


cdef extern from "_rowblock.h":
    enum: MLPGUI_BLOCK_BYTES
    void mlpgui_rowblock_f(float* y, const float* M, Py_ssize_t ld, const int* rows, const float* vals, Py_ssize_t n) noexcept nogil
    void mlpgui_rowblock_d(double* y, const double* M, Py_ssize_t ld, const int* rows, const double* vals, Py_ssize_t n) noexcept nogil
    void mlpgui_rowtail_f(float* y, const float* M, Py_ssize_t ld, const int* rows, const float* vals, Py_ssize_t n, Py_ssize_t width) noexcept nogil
    void mlpgui_rowtail_d(double* y, const double* M, Py_ssize_t ld, const int* rows, const double* vals, Py_ssize_t n, Py_ssize_t width) noexcept nogil
    void mlpgui_outfwd_f(const float* a, const float* W2T, float* z, Py_ssize_t h, Py_ssize_t k) noexcept nogil
    void mlpgui_outfwd_d(const double* a, const double* W2T, double* z, Py_ssize_t h, Py_ssize_t k) noexcept nogil
    void mlpgui_outback_f(const float* a, const float* d2, const float* W2T, float* gW2T, float* back, Py_ssize_t h, Py_ssize_t k) noexcept nogil
    void mlpgui_outback_d(const double* a, const double* d2, const double* W2T, double* gW2T, double* back, Py_ssize_t h, Py_ssize_t k) noexcept nogil


cdef inline Py_ssize_t _block_width(floating x) noexcept nogil:
    """Hidden units per column block: 64 float32 or 32 float64, eight AVX registers."""
    return MLPGUI_BLOCK_BYTES // sizeof(floating)


cdef inline void _gather_rows(floating* y, const floating* M, Py_ssize_t ld, const int* rows,
                              const floating* vals, Py_ssize_t n, Py_ssize_t width) noexcept nogil:
    """y[:width] += sum over q < n of vals[q] * M[rows[q] * ld : + width]."""
    if width == MLPGUI_BLOCK_BYTES // sizeof(floating):
        if floating is float:
            mlpgui_rowblock_f(y, M, ld, rows, vals, n)
        else:
            mlpgui_rowblock_d(y, M, ld, rows, vals, n)
    elif floating is float:
        mlpgui_rowtail_f(y, M, ld, rows, vals, n, width)
    else:
        mlpgui_rowtail_d(y, M, ld, rows, vals, n, width)


cdef inline void _expand(const code_t* codes, Py_ssize_t n, const floating* lut, bint raw,
                         floating* out) noexcept nogil:
    """out[q] = lut[codes[q]] for q < n: with raw pixels a conversion, which vectorises (a lookup doesn't)."""
    cdef Py_ssize_t q
    if raw:
        for q in range(n):
            out[q] = <floating> codes[q]
    else:
        for q in range(n):
            out[q] = lut[codes[q]]


cdef void _hidden_tile(const index_t* indptr, const index_t* bands, const int* indices, const code_t* codes,
                       const floating* lut, bint raw, const Py_ssize_t* order, Py_ssize_t start, Py_ssize_t size,
                       const floating* W1, Py_ssize_t w_bs, Py_ssize_t w_ld,
                       const floating* b1, Py_ssize_t h,
                       floating* X,             # WORK (nnz of the tile,)
                       floating* A, Py_ssize_t a_bs, Py_ssize_t a_ld) noexcept nogil:
    """Hidden pre-activations b1 + x_i W1 of a tile of samples into A.

    The samples are order[0..size), or start..start+size if order is NULL.
    W1 (d, h) and A (size, h) are stored as column blocks of `_block_width`
    columns: element (r, j) at [(j // width) * bs + r * ld + j % width]; a
    row-major matrix has bs = width, ld = h. Column block by column block, so
    the block's slice of W1 (d x 64 floats, 200 KB) stays in L2 while every
    sample of the tile gathers from it; within a block, band by band (see
    `CsrInputs`): every sample's pixels of the top band, then of the middle
    one, then of the bottom one. A sample's whole image needs about 150 rows
    of the slice (38 KB), more than L1 holds, but a band only about 50, so
    the rows a sample shares with the one before are still in L1. The sums
    still run in pixel order.
    """
    cdef Py_ssize_t r, i, q, pos = 0, j0, b, band, lo, hi
    cdef Py_ssize_t width = _block_width(lut[0])
    for r in range(size):
        i = order[r] if order != NULL else start + r
        _expand(codes + indptr[i], indptr[i + 1] - indptr[i], lut, raw, X + pos)
        pos += indptr[i + 1] - indptr[i]
    j0 = b = 0
    while j0 < h:
        for band in range(N_BANDS):
            pos = 0
            for r in range(size):
                i = order[r] if order != NULL else start + r
                if band == 0:
                    memcpy(A + b * a_bs + r * a_ld, b1 + j0, min(width, h - j0) * sizeof(floating))
                lo = bands[i * (N_BANDS + 1) + band]
                hi = bands[i * (N_BANDS + 1) + band + 1]
                _gather_rows(A + b * a_bs + r * a_ld, W1 + b * w_bs, w_ld, indices + lo, X + pos + (lo - indptr[i]),
                             hi - lo, min(width, h - j0))
                pos += indptr[i + 1] - indptr[i]
        j0 += width
        b += 1


cdef inline void _copy_row(floating* dst, Py_ssize_t d_bs, const floating* src, Py_ssize_t s_bs,
                           Py_ssize_t h, Py_ssize_t width) noexcept nogil:
    """One row of h values between two column-block layouts (block strides d_bs, s_bs)."""
    cdef Py_ssize_t j0 = 0, b = 0
    while j0 < h:
        memcpy(dst + b * d_bs, src + b * s_bs, min(width, h - j0) * sizeof(floating))
        j0 += width
        b += 1


cdef inline void _output_and_back(floating* a,   # IN pre-activations (h,), OUT hidden delta1
                                  int label, const floating* W2T, const floating* b2,
                                  Py_ssize_t h, Py_ssize_t k, floating inv_n,
                                  floating* back,     # WORK (h,)
                                  floating* z,        # WORK (k,)
                                  floating* gW2T,     # IN/OUT (k*h,) this thread's accumulators, W2's layout transposed
                                  floating* gb1, floating* gb2,
                                  double* stats) noexcept nogil:  # IN/OUT [loss sum, correct count]
    """The rest of one sample's forward and backward; accumulates all but the W1 gradient.

    W2T is W2 transposed (k, h), so every loop over hidden units is a
    contiguous, vectorisable one.
    """
    cdef Py_ssize_t j, c, best
    cdef floating v, aj, s, m
    cdef floating one = 1
    for j in range(h):
        a[j] = sigmoid_vec(a[j])
    # z = b2 + a @ W2
    if floating is float:
        mlpgui_outfwd_f(a, W2T, z, h, k)
    else:
        mlpgui_outfwd_d(a, W2T, z, h, k)
    for c in range(k):
        z[c] = b2[c] + z[c]
    # loss, prediction, and delta2 = (y_hat - y) / n into z
    if k == 1:
        stats[0] += binary_loss(z[0], label)
        v = sigmoid(z[0])
        stats[1] += (v >= 0.5) == (label == 1)
        z[0] = (v - label) * inv_n
    else:
        m = z[0]
        best = 0
        for c in range(1, k):
            if z[c] > m:
                m = z[c]
                best = c
        stats[1] += best == label
        s = 0
        v = z[label]
        for c in range(k):  # apart from the sum below, so the float exps vectorise
            z[c] = exp_vec(clamp_low(z[c] - m))
        for c in range(k):
            s += z[c]
        stats[0] += log(s) + m - v
        for c in range(k):
            z[c] = z[c] / s * inv_n
        z[label] -= inv_n
    # gb2 += delta2; gW2 += a^T delta2; back = delta2 @ W2^T
    for c in range(k):
        gb2[c] += z[c]
    if floating is float:
        mlpgui_outback_f(a, z, W2T, gW2T, back, h, k)
    else:
        mlpgui_outback_d(a, z, W2T, gW2T, back, h, k)
    # delta1 = back * a (1 - a); gb1 += delta1
    for j in range(h):
        aj = a[j]
        a[j] = back[j] * aj * (one - aj)
        gb1[j] += a[j]


cdef inline void _scatter(const index_t* indptr, const int* indices, const code_t* codes,
                          const floating* lut, Py_ssize_t i, const floating* d,
                          floating* G, Py_ssize_t ld, Py_ssize_t width, floating alpha) noexcept nogil:
    """G[p, :width] += alpha * x_ip * d[:width] for each non-zero pixel p of sample i (rows ld apart)."""
    cdef Py_ssize_t q, j
    cdef floating v
    cdef floating* g
    for q in range(indptr[i], indptr[i + 1]):
        v = alpha * lut[codes[q]]
        g = G + <Py_ssize_t> indices[q] * ld
        for j in range(width):
            g[j] += v * d[j]


cdef void _count_pixels(const index_t* indptr, const int* indices, Py_ssize_t start, Py_ssize_t stop,
                        const Py_ssize_t* order, Py_ssize_t d,
                        Py_ssize_t* count) noexcept nogil:  # OUT (d + 1,)
    """count[p] := where pixel p's run starts among the tile's non-zeros grouped by pixel."""
    cdef Py_ssize_t i, r, q, p
    memset(count, 0, (d + 1) * sizeof(Py_ssize_t))
    for r in range(stop - start):
        i = order[r] if order != NULL else start + r
        for q in range(indptr[i], indptr[i + 1]):
            count[indices[q] + 1] += 1
    for p in range(d):
        count[p + 1] += count[p]


cdef Py_ssize_t _runs(const Py_ssize_t* count, Py_ssize_t d, int* pix, int* end) noexcept nogil:
    """The non-empty pixel runs, from count[p] = end of pixel p's run: their pixels and ends. Returns how many."""
    cdef Py_ssize_t p, n = 0, beg = 0
    for p in range(d):
        if count[p] > beg:
            pix[n] = <int> p
            end[n] = <int> count[p]
            n += 1
        beg = count[p]
    return n


cdef Py_ssize_t _sort_tile(const index_t* indptr, const int* indices, const code_t* codes,
                           const floating* lut, Py_ssize_t start, Py_ssize_t stop,
                           const Py_ssize_t* order,  # IN samples order[0..stop-start), or NULL: start..stop
                           floating alpha, Py_ssize_t d,
                           Py_ssize_t* count,        # WORK (d + 1,)
                           int* rows, floating* vals,  # OUT (nnz of the tile,)
                           int* pix, int* end) noexcept nogil:  # OUT (d,) the runs; returns their number
    """The tile's non-zeros regrouped by pixel (a stable counting sort).

    Run u is rows/vals[end[u-1] .. end[u]) (from 0 for u = 0): the tile
    positions r of the samples using pixel pix[u], in order, and alpha * x_rp.
    """
    cdef Py_ssize_t i, r, q, p, pos
    _count_pixels(indptr, indices, start, stop, order, d, count)
    for r in range(stop - start):
        i = order[r] if order != NULL else start + r
        for q in range(indptr[i], indptr[i + 1]):
            p = indices[q]
            pos = count[p]
            rows[pos] = <int> r
            vals[pos] = alpha * lut[codes[q]]
            count[p] = pos + 1
    return _runs(count, d, pix, end)


cdef Py_ssize_t _group_tile(const index_t* indptr, const int* indices, const code_t* codes,
                            Py_ssize_t start, Py_ssize_t stop, Py_ssize_t d,
                            Py_ssize_t* count,      # WORK (d + 1,)
                            code_t* rows, code_t* sorted_codes,  # OUT (nnz of the tile,)
                            int* pix, int* end) noexcept nogil:  # OUT (d,); returns the number of runs
    """`_sort_tile` for a full-batch tile, kept for the whole run: one byte per row and per code.

    A full batch's tiles are the same every epoch, so their grouping is done
    once (`_group_tiles`) instead of sorting again each epoch; as bytes it
    costs 2 bytes per non-zero (18 MB for all 60,000 images).
    """
    cdef Py_ssize_t r, q, p, pos
    _count_pixels(indptr, indices, start, stop, NULL, d, count)
    for r in range(stop - start):
        for q in range(indptr[start + r], indptr[start + r + 1]):
            p = indices[q]
            pos = count[p]
            rows[pos] = <code_t> r
            sorted_codes[pos] = codes[q]
            count[p] = pos + 1
    return _runs(count, d, pix, end)


cdef void _gradient_tile(const int* pix, const int* ends, Py_ssize_t n_runs,
                         const int* rows, const floating* vals,  # IN the runs (`_sort_tile`)
                         const floating* D, Py_ssize_t d_bs, Py_ssize_t d_ld,  # IN the tile's hidden deltas
                         Py_ssize_t h,
                         floating* G, Py_ssize_t g_bs, Py_ssize_t g_ld) noexcept nogil:  # IN/OUT (d, h)
    """G += X_tile^T D (times the sort's alpha), pixel run by run and column block by column block.

    D and G are stored as column blocks, as in `_hidden_tile`. With the
    non-zeros grouped by pixel (`_sort_tile`), a row block of G is read and
    written once per tile, gathering the deltas of the samples that use that
    pixel: the forward gather's pattern, transposed.
    """
    cdef Py_ssize_t u, beg, j0 = 0, b = 0
    cdef Py_ssize_t width = _block_width(D[0])
    while j0 < h:
        beg = 0
        for u in range(n_runs):
            _gather_rows(G + b * g_bs + pix[u] * g_ld, D + b * d_bs, d_ld, rows + beg, vals + beg, ends[u] - beg,
                         min(width, h - j0))
            beg = ends[u]
        j0 += width
        b += 1


cdef void _full_batch_tile(const index_t* indptr, const index_t* bands, const int* indices, const code_t* codes,
                           const floating* lut, bint raw, const int* y, Py_ssize_t start, Py_ssize_t stop,
                           const floating* W1b, const floating* b1, const floating* W2T, const floating* b2,
                           Py_ssize_t d, Py_ssize_t h, Py_ssize_t k, floating inv_n,
                           floating* D,      # WORK (TILE, h) as column blocks (n_blocks, TILE, width)
                           floating* work, floating* X,
                           const code_t* g_rows, const code_t* g_codes,  # IN the tile's grouping (`_group_tile`) ...
                           const int* pix, const int* ends, Py_ssize_t n_runs,
                           int* rows, floating* vals,  # WORK ... expanded to the gather's types
                           floating* gW1b,   # IN/OUT (d, h) as column blocks (n_blocks, d, width)
                           floating* gW2T, floating* gb1, floating* gb2,
                           double* stats) noexcept nogil:
    """Samples start..stop forward and back (deltas into D), then their W1 gradient.

    W1 and its gradient are column blocks each contiguous: in the row-major
    layout a block's rows would be 1 KB apart, and the set-associative caches
    hold only part of a slice strided like that.
    """
    cdef Py_ssize_t r, q, width = _block_width(lut[0])
    cdef floating* row = work + h + k
    _hidden_tile(indptr, bands, indices, codes, lut, raw, NULL, start, stop - start, W1b, d * width, width, b1, h, X,
                 D, TILE * width, width)
    for r in range(stop - start):
        _copy_row(row, width, D + r * width, TILE * width, h, width)
        _output_and_back(row, y[start + r], W2T, b2, h, k, inv_n, work, work + h, gW2T, gb1, gb2, stats)
        _copy_row(D + r * width, TILE * width, row, width, h, width)
    for q in range(indptr[stop] - indptr[start]):
        rows[q] = g_rows[q]
    _expand(g_codes, indptr[stop] - indptr[start], lut, raw, vals)
    _gradient_tile(pix, ends, n_runs, rows, vals, D, TILE * width, width, h, gW1b, d * width, width)


cdef void _reduce_update(floating[:, ::1] acc, floating* P, Py_ssize_t size, int n_rows,
                         floating lr) noexcept nogil:
    """P -= lr * sum over the accumulator rows r < n_rows of acc[r, :size], in that order."""
    cdef Py_ssize_t j
    cdef int t
    cdef floating g
    for j in range(size):
        g = acc[0, j]
        for t in range(1, n_rows):
            g = g + acc[t, j]
        P[j] -= lr * g


def _aligned_zeros(shape, dtype):
    """Zeros starting on a 64-byte cache line (NumPy only promises 16 bytes).

    The kernels load 32 bytes at a time along rows whose starts are multiples
    of 64 bytes from the array's start; those loads must not straddle two
    cache lines, which they do at an offset of 16 or 48 bytes.
    """
    item = np.dtype(dtype).itemsize
    count = int(np.prod(shape))
    buf = np.zeros(count + 64 // item, dtype)
    skip = (-buf.ctypes.data % 64) // item
    return buf[skip:skip + count].reshape(shape)


def _per_thread(int n_threads, Py_ssize_t count, dtype):
    """Zeros (n_threads, stride): one row per thread, each starting on its own 64-byte cache line.

    stride >= count leaves at least a cache line between the rows' used parts,
    so two threads writing their rows never share a line (a shared line
    moves between the cores on every write).
    """
    item = np.dtype(dtype).itemsize
    line = 64 // item
    stride = (count + line - 1) // line * line + line
    return _aligned_zeros((n_threads, stride), dtype)


cdef class Workspace:
    """Buffers of one sparse run, allocated once and reused every epoch or batch.

    Full batch: W1 as column blocks (W1b), W1 gradient accumulators in the
    same layout, one row per part of the batch (n_parts, d*hp; `PART_SHARES`),
    and each thread's tile of hidden deltas (TILE*hp), where hp is h rounded
    up to whole blocks.
    Full batch, once per run: each tile's non-zeros grouped by pixel for the
    W1 gradient (group_*, `_group_tiles`) and the tiles of each part
    (group_split).
    Mini-batch: the batch's hidden deltas D1 (batch, h).
    Both: W2 transposed; accumulators for W2 (transposed), b1, b2 and
    loss/accuracy, a row per part of a full batch or per thread of a
    mini-batch; scratch rows per thread. Every such array has its rows on
    cache lines of their own (`_per_thread`).
    """

    cdef public object acc_W1, W1b, D1, acc_W2, acc_b1, acc_b2, work, stats, W2T
    cdef public object tile_D, tile_X, tile_count, tile_rows, tile_vals, tile_pix, tile_end
    cdef public object group_rows, group_codes, group_pix, group_end, group_runs, group_split, grouped
    cdef readonly int n_threads  # every per-thread buffer is sized by it
    cdef readonly int n_parts  # rows of the accumulators: the full batch's parts, else n_threads
    cdef readonly object part_shares  # the full batch's parts (`part_shares`)
    cdef readonly Py_ssize_t h, k

    def __init__(self, Py_ssize_t d, Py_ssize_t h, Py_ssize_t k, dtype, int n_threads, Py_ssize_t batch=0):
        if n_threads < 1:
            raise ValueError("n_threads must be at least 1")
        self._allocate(d, h, k, dtype, n_threads, batch, part_shares(n_threads))

    cdef _allocate(self, Py_ssize_t d, Py_ssize_t h, Py_ssize_t k, dtype, int n_threads, Py_ssize_t batch, shares):
        self.n_threads = n_threads
        self.part_shares = shares
        self.n_parts = n_threads if batch else len(shares)
        self.h, self.k = h, k
        width = MLPGUI_BLOCK_BYTES // np.dtype(dtype).itemsize
        hp = (h + width - 1) // width * width if batch == 0 else 0
        self.acc_W1 = _per_thread(self.n_parts, d * hp, dtype)
        self.W1b = _aligned_zeros(d * hp, dtype)
        self.D1 = _aligned_zeros((batch, h), dtype)
        self.acc_W2 = _per_thread(self.n_parts, h * k, dtype)
        self.acc_b1 = _per_thread(self.n_parts, h, dtype)
        self.acc_b2 = _per_thread(self.n_parts, k, dtype)
        self.work = _per_thread(n_threads, 2 * h + k, dtype)
        self.W2T = _aligned_zeros((k, h), dtype)
        tile = TILE if batch == 0 else (batch if batch <= MAX_TILED_BATCH else 0)
        self.tile_D = _per_thread(n_threads, TILE * hp, dtype)
        self.tile_X = _per_thread(n_threads, TILE * d, dtype)
        self.tile_count = _per_thread(n_threads, d + 1, np.intp)
        self.tile_rows = _per_thread(n_threads, tile * d, np.int32)
        self.tile_vals = _per_thread(n_threads, tile * d, dtype)
        self.tile_pix = _per_thread(n_threads, d, np.int32)
        self.tile_end = _per_thread(n_threads, d, np.int32)
        self.grouped = None  # the CsrInputs whose full-batch tiles group_* hold (`_group_tiles`)
        self.stats = _per_thread(self.n_parts, 2, np.float64)

    def check(self, W1, W2, bint full_batch):
        d, h, k = W1.shape[0], W1.shape[1], W2.shape[1]
        if (self.h, self.k) != (h, k):
            raise ValueError("workspace doesn't fit the network")
        if full_batch and self.W1b.shape[0] < d * h:
            raise ValueError("workspace was made for mini-batches")


def testing_workspace(Py_ssize_t d, Py_ssize_t h, Py_ssize_t k, dtype, int n_threads, int parts_as_for):
    """A full-batch Workspace for n_threads threads whose batch is cut into the parts it gets on parts_as_for.

    For tests only: the same parts run on one, two or three threads must give the same bits.
    """
    if n_threads < 1 or parts_as_for < 1:
        raise ValueError("n_threads and parts_as_for must be at least 1")
    cdef Workspace ws = Workspace.__new__(Workspace)
    ws._allocate(d, h, k, dtype, n_threads, 0, part_shares(parts_as_for))
    return ws


def _balanced_split(costs, shares):
    """Tile t0 = 0 <= t1 <= ... <= t_n = len(costs): part i takes tiles t_i..t_{i+1}, about shares[i] of the cost.

    shares: the parts' fractions of the total cost (`part_shares`). Contiguous
    ranges in order keep each part's sums in a fixed order, so a run's
    results don't depend on how the threads were scheduled.
    """
    running = np.concatenate([[0], np.cumsum(costs, dtype=np.float64)])
    targets = running[-1] * np.concatenate([[0], np.cumsum(shares)])
    above = np.searchsorted(running, targets).clip(1, len(running) - 1)
    nearer = np.where(targets - running[above - 1] < running[above] - targets, above - 1, above)
    split = np.maximum.accumulate(nearer).astype(np.intp)
    split[0], split[-1] = 0, len(costs)
    return split


def _group_tiles(CsrInputs inputs, Workspace ws):
    """Group every full-batch tile's non-zeros by pixel into ws.group_*, once per run of `inputs`.

    group_rows, group_codes (nnz,) the tile positions and codes in the CSR's
    slots of each tile; group_pix, group_end (n_tiles, d) each tile's runs,
    ends counted from the tile's first non-zero; group_runs (n_tiles,);
    group_split (n_parts + 1,) the tiles of each part, split by their work
    (`_balanced_split`), not their number: images with more ink cost more.
    """
    cdef Csr x = inputs.csr
    cdef Py_ssize_t n = inputs.n_samples, d = inputs.n_features, nnz = len(inputs.codes)
    cdef Py_ssize_t tile, base, n_tiles = (n + TILE - 1) // TILE
    cdef int t, n_threads = ws.n_threads
    ws.grouped = None
    ws.group_rows = np.empty(nnz, np.uint8)
    ws.group_codes = np.empty(nnz, np.uint8)
    ws.group_pix = np.empty((n_tiles, d), np.int32)
    ws.group_end = np.empty((n_tiles, d), np.int32)
    ws.group_runs = np.zeros(n_tiles, np.intp)
    edges = np.minimum(np.arange(n_tiles + 1) * TILE, n)
    ws.group_split = _balanced_split(np.diff(np.asarray(inputs.indptr)[edges]) + SAMPLE_COST * np.diff(edges),
                                     ws.part_shares)
    cdef code_t[::1] rows = ws.group_rows
    cdef code_t[::1] sorted_codes = ws.group_codes
    cdef int[:, ::1] pix = ws.group_pix
    cdef int[:, ::1] end = ws.group_end
    cdef Py_ssize_t[::1] runs = ws.group_runs
    cdef Py_ssize_t[:, ::1] count = ws.tile_count
    if nnz:
        with nogil:
            for tile in prange(n_tiles, schedule="static", num_threads=n_threads):
                t = threadid()
                base = x.indptr[tile * TILE]
                runs[tile] = _group_tile(x.indptr, x.indices, x.codes, tile * TILE, min(n, (tile + 1) * TILE),
                                         d, &count[t, 0], &rows[base], &sorted_codes[base], &pix[tile, 0],
                                         &end[tile, 0])
    ws.grouped = inputs


cdef void _zero(floating[:, ::1] a) noexcept nogil:
    if a.shape[0] * a.shape[1]:
        memset(&a[0, 0], 0, a.shape[0] * a.shape[1] * sizeof(floating))


cdef void _transpose(const floating* W2, floating* W2T, Py_ssize_t h, Py_ssize_t k) noexcept nogil:
    """W2T (k, h) := W2 (h, k) transposed."""
    cdef Py_ssize_t j, c
    for j in range(h):
        for c in range(k):
            W2T[c * h + j] = W2[j * k + c]


cdef void _to_blocks(const floating* W, floating* Wb, Py_ssize_t d, Py_ssize_t h) noexcept nogil:
    """Wb := W (d, h) row-major as column blocks (n_blocks, d, width)."""
    cdef Py_ssize_t p, width = _block_width(W[0])
    for p in range(d):
        _copy_row(Wb + p * width, d * width, W + p * h, width, h, width)


cdef inline Py_ssize_t _column_share(int t, int n_threads, Py_ssize_t h, Py_ssize_t width) noexcept nogil:
    """First column of thread t's share of h columns, in whole blocks of width: thread t owns [share(t), share(t+1))."""
    return min(h, t * ((h + width - 1) // width) // n_threads * width)


cdef inline void _reduce_update_row(const floating* acc, Py_ssize_t stride, int n_rows, floating* W_row,
                                    Py_ssize_t d, Py_ssize_t h, floating lr) noexcept nogil:
    """One row of W -= lr * sum over the accumulator rows r < n_rows of acc[r]; acc points at the row's first block."""
    cdef Py_ssize_t j, j0 = 0, w, width = _block_width(lr)
    cdef int t
    cdef floating g[64]  # a block: 64 float32 or 32 float64 (MLPGUI_BLOCK_BYTES)
    while j0 < h:
        w = min(width, h - j0)
        for j in range(w):
            g[j] = acc[j]
        for t in range(1, n_rows):
            for j in range(w):
                g[j] = g[j] + acc[t * stride + j]
        for j in range(w):
            W_row[j0 + j] -= lr * g[j]
        acc += d * width
        j0 += width


cdef void _reduce_update_blocks(floating[:, ::1] acc, floating* W, Py_ssize_t d, Py_ssize_t h,
                                int n_rows, int n_threads, floating lr) noexcept nogil:
    """W (d, h) row-major -= lr * sum over rows r < n_rows of acc[r], column blocks (n_blocks, d, width)."""
    cdef Py_ssize_t p, width = _block_width(lr)
    for p in prange(d, schedule="static", num_threads=n_threads):
        _reduce_update_row(&acc[0, p * width], acc.shape[1], n_rows, W + p * h, d, h, lr)


cdef void _reduce_update_W2(floating[:, ::1] acc, floating* W2, Py_ssize_t h, Py_ssize_t k,
                            int n_rows, floating lr) noexcept nogil:
    """W2 -= lr * (sum over rows r < n_rows of acc[r], which hold the gradient transposed, (k, h))."""
    cdef Py_ssize_t j, c
    cdef int t
    cdef floating g
    for j in range(h):
        for c in range(k):
            g = acc[0, c * h + j]
            for t in range(1, n_rows):
                g = g + acc[t, c * h + j]
            W2[j * k + c] -= lr * g


cdef (double, double) _full_batch_pass(CsrInputs inputs, floating[:, ::1] W1, floating[::1] b1,
                                       floating[:, ::1] W2, floating[::1] b2, Workspace ws) except *:
    """Forward and backward over the whole batch; returns (loss sum, correct count).

    Each part of the batch leaves its gradient sums in its own rows of
    ws.acc_W1 (as column blocks), acc_W2 (transposed), acc_b1 and acc_b2.
    """
    inputs.check(W1, b1, W2, b2)
    ws.check(W1, W2, True)
    cdef Csr x = inputs.csr
    cdef const floating* lut = <const floating*> x.lut
    cdef Py_ssize_t n = x.n, d = W1.shape[0], h = W1.shape[1], k = W2.shape[1]
    if n < 1:
        raise ValueError("need at least one sample")
    cdef int n_threads = ws.n_threads, n_parts = ws.n_parts
    cdef floating[:, ::1] acc_W1 = ws.acc_W1
    cdef floating[::1] W1b = ws.W1b
    cdef floating[:, ::1] acc_W2 = ws.acc_W2
    cdef floating[:, ::1] acc_b1 = ws.acc_b1
    cdef floating[:, ::1] acc_b2 = ws.acc_b2
    cdef floating[:, ::1] work = ws.work
    cdef floating[:, ::1] W2T = ws.W2T
    cdef double[:, ::1] stats = ws.stats
    cdef floating[:, ::1] tile_D = ws.tile_D
    cdef floating[:, ::1] tile_X = ws.tile_X
    cdef int[:, ::1] tile_rows = ws.tile_rows
    cdef floating[:, ::1] tile_vals = ws.tile_vals
    if ws.grouped is not inputs:
        _group_tiles(inputs, ws)
    cdef const code_t* group_rows = <const code_t*> _address(ws.group_rows)  # empty when no pixel is inked
    cdef const code_t* group_codes = <const code_t*> _address(ws.group_codes)
    cdef const int[:, ::1] group_pix = ws.group_pix
    cdef const int[:, ::1] group_end = ws.group_end
    cdef const Py_ssize_t[::1] group_runs = ws.group_runs
    cdef const Py_ssize_t[::1] split = ws.group_split
    cdef floating inv_n = (<floating> 1) / n
    cdef Py_ssize_t tile
    cdef int t, part
    cdef double loss = 0, correct = 0
    with nogil:
        _transpose(&W2[0, 0], &W2T[0, 0], h, k)
        _to_blocks(&W1[0, 0], &W1b[0], d, h)
        # Each part's tiles go into the part's own accumulators, in order,
        # whichever thread runs it, so the sums don't depend on the schedule;
        # threads take parts as they free up (see PART_SHARES).
        for part in prange(n_parts, schedule="dynamic", chunksize=1, num_threads=n_threads):
            t = threadid()
            memset(&acc_W1[part, 0], 0, acc_W1.shape[1] * sizeof(floating))
            memset(&acc_W2[part, 0], 0, acc_W2.shape[1] * sizeof(floating))
            memset(&acc_b1[part, 0], 0, acc_b1.shape[1] * sizeof(floating))
            memset(&acc_b2[part, 0], 0, acc_b2.shape[1] * sizeof(floating))
            stats[part, 0] = stats[part, 1] = 0
            for tile in range(split[part], split[part + 1]):
                _full_batch_tile(x.indptr, x.bands, x.indices, x.codes, lut, x.raw, x.y,
                                 tile * TILE, min(n, (tile + 1) * TILE),
                                 &W1b[0], &b1[0], &W2T[0, 0], &b2[0], d, h, k, inv_n,
                                 &tile_D[t, 0], &work[t, 0], &tile_X[t, 0],
                                 group_rows + x.indptr[tile * TILE], group_codes + x.indptr[tile * TILE],
                                 &group_pix[tile, 0], &group_end[tile, 0], group_runs[tile],
                                 &tile_rows[t, 0], &tile_vals[t, 0], &acc_W1[part, 0], &acc_W2[part, 0],
                                 &acc_b1[part, 0], &acc_b2[part, 0], &stats[part, 0])
        for part in range(n_parts):
            loss += stats[part, 0]
            correct += stats[part, 1]
    return loss, correct


def full_batch_step(CsrInputs inputs, floating[:, ::1] W1, floating[::1] b1, floating[:, ::1] W2, floating[::1] b2,
                    floating lr, Workspace ws):
    """One full-batch gradient-descent step over CSR inputs; returns (loss, n_correct) before the update.

    Leaves the weights alone when that loss is not finite.
    """
    cdef double loss, correct
    loss, correct = _full_batch_pass(inputs, W1, b1, W2, b2, ws)
    cdef Py_ssize_t d = W1.shape[0], h = W1.shape[1], k = W2.shape[1]
    cdef int n_threads = ws.n_threads, n_parts = ws.n_parts
    cdef floating[:, ::1] acc_W1 = ws.acc_W1
    cdef floating[:, ::1] acc_W2 = ws.acc_W2
    cdef floating[:, ::1] acc_b1 = ws.acc_b1
    cdef floating[:, ::1] acc_b2 = ws.acc_b2
    loss /= inputs.n_samples
    if loss == loss and loss - loss == 0:  # finite
        with nogil:
            _reduce_update_blocks(acc_W1, &W1[0, 0], d, h, n_parts, n_threads, lr)
            _reduce_update_W2(acc_W2, &W2[0, 0], h, k, n_parts, lr)
            _reduce_update(acc_b1, &b1[0], h, n_parts, lr)
            _reduce_update(acc_b2, &b2[0], k, n_parts, lr)
    return loss, int(correct)


def full_batch_gradients(CsrInputs inputs, floating[:, ::1] W1, floating[::1] b1, floating[:, ::1] W2,
                         floating[::1] b2, Workspace ws,
                         floating[:, ::1] gW1, floating[::1] gb1, floating[:, ::1] gW2, floating[::1] gb2):
    """The gradients `full_batch_step` would descend, into gW1, gb1, gW2, gb2; returns (loss, n_correct).

    The parameters are left alone. Training never needs this: it is how
    tests compare the sparse gradients with the reference's.
    """
    cdef double loss, correct
    loss, correct = _full_batch_pass(inputs, W1, b1, W2, b2, ws)
    cdef Py_ssize_t d = W1.shape[0], h = W1.shape[1], k = W2.shape[1]
    blocks = ws.acc_W1[:, :ws.W1b.size].sum(axis=0).reshape(-1, d, MLPGUI_BLOCK_BYTES // ws.acc_W1.itemsize)
    np.asarray(gW1)[...] = blocks.transpose(1, 0, 2).reshape(d, -1)[:, :h]
    np.asarray(gW2)[...] = ws.acc_W2[:, :k * h].sum(axis=0).reshape(k, h).T
    np.asarray(gb1)[...] = ws.acc_b1[:, :h].sum(axis=0)
    np.asarray(gb2)[...] = ws.acc_b2[:, :k].sum(axis=0)
    return loss / inputs.n_samples, int(correct)


def minibatch_step(CsrInputs inputs, const Py_ssize_t[::1] batch, floating[:, ::1] W1, floating[::1] b1, floating[:, ::1] W2, floating[::1] b2,
                   floating lr, Workspace ws):
    """One gradient-descent step on the samples `batch` (indices into the CSR rows).

    Returns (loss, n_correct) of the forward pass before the update, and
    leaves the weights alone when that loss is not finite. Each sample's
    delta1 goes to ws.D1, then W1 -= lr * X_b^T D1 is applied in place. A
    batch of up to SMALL_BATCH_MAX samples: each thread owns a range of whole
    column blocks of W1 for the forward pass and the update (the threads
    split the samples only for the output layer), so the step's W1 update is
    bit for bit the one-thread one. A larger batch: the threads split the
    samples into tiles for the forward pass and the columns for the update.
    """
    inputs.check(W1, b1, W2, b2)
    cdef Csr x = inputs.csr
    cdef const floating* lut = <const floating*> x.lut
    cdef Py_ssize_t m = batch.shape[0], h = W1.shape[1], k = W2.shape[1], n_rows = inputs.n_samples
    cdef int n_threads = ws.n_threads
    if m < 1 or m > ws.D1.shape[0]:
        raise ValueError("batch must hold 1 to buffer-size samples")
    ws.check(W1, W2, False)
    if ws.D1.shape[1] != h:
        raise ValueError("workspace doesn't fit the network")
    cdef Py_ssize_t i, bad = -1
    with nogil:  # np.min and np.max of a small batch cost more than the step's own work
        for i in range(m):
            if batch[i] < 0 or batch[i] >= n_rows:
                bad = i
                break
    if bad >= 0:
        raise IndexError(f"batch index {batch[bad]} out of range for {n_rows} samples")
    cdef floating[:, ::1] D1 = ws.D1
    cdef floating[:, ::1] acc_W2 = ws.acc_W2
    cdef floating[:, ::1] acc_b1 = ws.acc_b1
    cdef floating[:, ::1] acc_b2 = ws.acc_b2
    cdef floating[:, ::1] work = ws.work
    cdef floating[:, ::1] W2T = ws.W2T
    cdef double[:, ::1] stats = ws.stats
    cdef floating[:, ::1] tile_X = ws.tile_X
    cdef Py_ssize_t width = _block_width(lr)
    cdef floating inv_n = (<floating> 1) / m
    cdef Py_ssize_t s, block, j0, j1, tile, i0, i1, n_tiles = (m + TILE - 1) // TILE
    cdef int t
    cdef int n_blocks = n_threads if h >= 16 * n_threads else 1
    cdef double loss = 0, correct = 0
    cdef Py_ssize_t[:, ::1] tile_count = ws.tile_count
    cdef int[:, ::1] tile_rows = ws.tile_rows
    cdef floating[:, ::1] tile_vals = ws.tile_vals
    cdef int[:, ::1] tile_pix = ws.tile_pix
    cdef int[:, ::1] tile_end = ws.tile_end
    cdef Py_ssize_t n_runs
    # A batch that fits each thread's sort buffers: every thread owns a range
    # of whole column blocks, for the forward pass and for W1's update, so
    # each hidden unit's sums are those of one thread, whatever the count.
    cdef bint small = tile_rows.shape[1] >= m * W1.shape[0]
    with nogil:
        _transpose(&W2[0, 0], &W2T[0, 0], h, k)
        _zero(acc_W2)
        _zero(acc_b1)
        _zero(acc_b2)
        _zero(stats)
        if small:
            for t in prange(n_threads, schedule="static", num_threads=n_threads):
                j0 = _column_share(t, n_threads, h, width)
                j1 = _column_share(t + 1, n_threads, h, width)
                i0 = 0
                while j1 > j0 and i0 < m:
                    _hidden_tile(x.indptr, x.bands, x.indices, x.codes, lut, x.raw, &batch[i0], 0,
                                 min(TILE, m - i0), &W1[0, j0], width, h, &b1[j0], j1 - j0, &tile_X[t, 0],
                                 &D1[i0, j0], width, h)
                    i0 = i0 + TILE
            for t in prange(n_threads, schedule="static", num_threads=n_threads):
                for i in range(t * m // n_threads, (t + 1) * m // n_threads):
                    _output_and_back(&D1[i, 0], x.y[batch[i]], &W2T[0, 0], &b2[0], h, k, inv_n,
                                     &work[t, 0], &work[t, h], &acc_W2[t, 0], &acc_b1[t, 0], &acc_b2[t, 0],
                                     &stats[t, 0])
        for tile in prange(0 if small else n_tiles, schedule="static", num_threads=n_threads):
            t = threadid()
            i0 = tile * TILE
            i1 = min(m, i0 + TILE)
            _hidden_tile(x.indptr, x.bands, x.indices, x.codes, lut, x.raw, &batch[i0], 0, i1 - i0,
                         &W1[0, 0], width, h, &b1[0], h, &tile_X[t, 0], &D1[i0, 0], width, h)
            for i in range(i0, i1):
                _output_and_back(&D1[i, 0], x.y[batch[i]], &W2T[0, 0], &b2[0], h, k, inv_n,
                                 &work[t, 0], &work[t, h], &acc_W2[t, 0], &acc_b1[t, 0], &acc_b2[t, 0],
                                 &stats[t, 0])
        for t in range(n_threads):
            loss += stats[t, 0]
            correct += stats[t, 1]
    if not (loss == loss and loss - loss == 0):  # not finite: leave the weights alone
        return loss / m, int(correct)
    with nogil:
        # W1 -= lr * X_b^T D1, pixel by pixel, each thread on its own columns. Every
        # thread sorts the whole batch into its own buffers: cheaper than one
        # thread sorting while the others wait at a barrier.
        for t in prange(n_threads if small else 0, schedule="static", num_threads=n_threads):
            j0 = _column_share(t, n_threads, h, width)
            j1 = _column_share(t + 1, n_threads, h, width)
            if j1 > j0:
                n_runs = _sort_tile(x.indptr, x.indices, x.codes, lut, 0, m, &batch[0], -lr,
                                    W1.shape[0], &tile_count[t, 0], &tile_rows[t, 0], &tile_vals[t, 0],
                                    &tile_pix[t, 0], &tile_end[t, 0])
                _gradient_tile(&tile_pix[t, 0], &tile_end[t, 0], n_runs, &tile_rows[t, 0], &tile_vals[t, 0],
                               &D1[0, j0], width, h, j1 - j0, &W1[0, j0], width, h)
        # W1 -= lr * X_b^T D1, column block by column block
        for block in prange(0 if small else n_blocks, schedule="static", num_threads=n_threads):
            j0 = block * h // n_blocks
            j1 = (block + 1) * h // n_blocks
            for s in range(m):
                _scatter(x.indptr, x.indices, x.codes, lut, batch[s], &D1[s, j0],
                         &W1[0, j0], h, j1 - j0, -lr)
        _reduce_update_W2(acc_W2, &W2[0, 0], h, k, n_threads, lr)
        _reduce_update(acc_b1, &b1[0], h, n_threads, lr)
        _reduce_update(acc_b2, &b2[0], k, n_threads, lr)
    return loss / m, int(correct)
