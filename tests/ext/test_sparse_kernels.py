"""The sparse (CSR) kernels against the NumPy reference, at the shapes where they branch.

`_sparse` works on the non-zero pixels only, splits samples into tiles spread
over threads and hidden units into column blocks of 64 float32 or 32 float64
values, with a narrower last block when h is not a multiple of that. Each of
those splits is a place to lose or double-count a sample, a pixel or a unit,
so the cases here cross them: images with no ink and all ink, one sample,
fewer samples than threads, more samples than one tile, and hidden widths
below, at, and across the block width. The forward pass also splits each
image's pixels into bands of rows; images with ink in one band only, and
data sets whose ink sits in a few rows, cross those splits.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlpgui import _sparse
from mlpgui.core import reference
from mlpgui.core.training import input_lut

RTOL = {"float64": 1e-10, "float32": 2e-4}
BLOCK = {"float64": 32, "float32": 64}


def rel_err(actual, expected):
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    scale = np.max(np.abs(expected))
    return float(np.max(np.abs(actual - expected)) / (scale if scale > 0 else 1.0))


def make_pixels(n, d, density, rng, blank=(), full=()):
    """uint8 images with about `density` non-zero pixels; rows in `blank` all zero, in `full` all ink."""
    pixels = rng.integers(1, 256, (n, d)).astype(np.uint8)
    pixels[rng.random((n, d)) >= density] = 0
    pixels[list(blank)] = 0
    for i in full:
        pixels[i] = rng.integers(1, 256, d)
    return pixels


def make_params(d, h, k, dtype, rng):
    return [
        np.ascontiguousarray(a, dtype)
        for a in (
            rng.normal(0, 1.5 / np.sqrt(d), (d, h)),
            rng.normal(0, 0.5, h),
            rng.normal(0, 2 / np.sqrt(h), (h, k)),
            rng.normal(0, 0.5, k),
        )
    ]


def reference_grads(pixels, y, params, lut):
    X = lut.astype(np.float64)[pixels]
    W1, b1, W2, b2 = (p.astype(np.float64) for p in params)
    loss, (gW1, gW2), (gb1, gb2), _ = reference.backprop(X, y, [W1, W2], [b1, b2])
    return loss, [gW1, gb1, gW2, gb2]


# (n, d, h, k, threads, blank rows, all-ink rows)
CASES = [
    (1, 784, 256, 10, 2, (), ()),  # one sample, fewer samples than threads
    (1, 784, 70, 1, 1, (0,), ()),  # one blank sample: only the biases act
    (3, 50, 100, 10, 4, (), (1,)),  # fewer samples than threads, an all-ink image, a block and a tail
    (150, 784, 64, 10, 2, (0, 77), (5,)),  # more than two tiles, h exactly one float32 block
    (150, 784, 96, 1, 3, (3,), (4, 140)),  # three threads, 1.5 float32 blocks, 3 float64 blocks
    (70, 30, 7, 10, 2, (), tuple(range(70))),  # every image all ink: a dense matrix in CSR clothing
    (40, 784, 40, 10, 2, tuple(range(40)), ()),  # every image blank: no non-zeros at all
]
IDS = [
    "one-sample",
    "one-blank-sample",
    "fewer-than-threads",
    "tiles-one-block",
    "three-threads-tails",
    "all-ink",
    "all-blank",
]


def check_full_batch_gradients(
    dtype, n, d, h, k, threads, blank=(), full=(), seed=0, pixels=None, lut=None, w1_scale=1.0
):
    rng = np.random.default_rng(seed)
    if pixels is None:
        pixels = make_pixels(n, d, 0.2, rng, blank, full)
    y = rng.integers(0, 2 if k == 1 else k, n).astype(np.int32)
    if lut is None:
        lut = input_lut("unit", np.dtype(dtype))
    params = make_params(d, h, k, dtype, rng)
    params[0] *= lut.dtype.type(w1_scale)
    start = [p.copy() for p in params]
    inputs = _sparse.CsrInputs(pixels, y, lut)
    ws = _sparse.Workspace(d, h, k, dtype, threads)
    grads = [np.full_like(p, np.nan) for p in params]
    loss, correct = _sparse.full_batch_gradients(inputs, *params, ws, *grads)
    expected_loss, expected = reference_grads(pixels, y, params, lut)
    assert loss == pytest.approx(expected_loss, rel=RTOL[dtype])
    X = lut.astype(np.float64)[pixels]
    W1, b1, W2, b2 = (p.astype(np.float64) for p in params)
    assert correct == int(np.sum(reference.predict(X, [W1, W2], [b1, b2]) == y))
    for name, got, want in zip(["W1", "b1", "W2", "b2"], grads, expected):
        assert rel_err(got, want) < RTOL[dtype], name
    assert all(np.array_equal(p, q) for p, q in zip(params, start)), "the gradients alone must leave the weights"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_full_batch_gradients_match_reference(dtype, case):
    n, d, h, k, threads, blank, full = case
    check_full_batch_gradients(dtype, n, d, h, k, threads, blank, full, seed=n * 1000 + h)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("values", ["raw", "unit", "raw but one code"])
def test_raw_pixels_are_converted_and_other_scales_looked_up(dtype, values):
    """With raw pixels (lut[c] == c) the kernels convert the codes instead of looking them up; any other table,
    even one that differs from raw in a single code, must still be looked up."""
    lut = input_lut("raw" if values != "unit" else "unit", np.dtype(dtype)).copy()
    if values == "raw but one code":
        lut[200] = 200.5
    pixels = make_pixels(150, 784, 0.2, np.random.default_rng(8), full=(3,))
    assert _sparse.CsrInputs(pixels, np.zeros(150, np.int32), lut).raw == (values == "raw")
    check_full_batch_gradients(
        dtype, 150, 784, 96, 10, 2, seed=8, pixels=pixels, lut=lut, w1_scale=1 / 255 if values != "unit" else 1
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("k", [2, 3, 4, 5, 8, 9, 10, 13, 14, 24])
@pytest.mark.parametrize("h", [7, 36])
def test_every_output_width_matches_reference(dtype, k, h):
    """The output layer's logits are summed ten (float32) or four outputs at a time, then one by one: widths
    around and between those groups, and hidden widths with units left over after the eight-lane vectors."""
    check_full_batch_gradients(dtype, 90, 784, h, k, 2, seed=k * 100 + h)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_full_batch_step_updates_like_reference(dtype, case):
    n, d, h, k, threads, blank, full = case
    rng = np.random.default_rng(n + h)
    pixels = make_pixels(n, d, 0.2, rng, blank, full)
    y = rng.integers(0, 2 if k == 1 else k, n).astype(np.int32)
    lut = input_lut("unit", np.dtype(dtype))
    params = make_params(d, h, k, dtype, rng)
    _, grads = reference_grads(pixels, y, params, lut)
    expected = [p.astype(np.float64) - 0.5 * g for p, g in zip(params, grads)]
    ws = _sparse.Workspace(d, h, k, dtype, threads)
    _sparse.full_batch_step(_sparse.CsrInputs(pixels, y, lut), *params, lut.dtype.type(0.5), ws)
    for got, want in zip(params, expected):
        assert rel_err(got, want) < RTOL[dtype]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "batch,threads,h",
    [(1, 1, 256), (32, 1, 100), (32, 2, 64), (32, 2, 256), (7, 3, 70), (3, 4, 40), (100, 2, 130), (1500, 2, 20)],
)
def test_minibatch_step_updates_like_reference(dtype, batch, threads, h):
    """A step on the rows `index` of a larger set equals the reference's full step on those rows."""
    d, k, n = 784, 10, 2000
    rng = np.random.default_rng(batch * 7 + h)
    pixels = make_pixels(n, d, 0.2, rng, blank=(0, 1), full=(2,))
    y = rng.integers(0, k, n).astype(np.int32)
    lut = input_lut("unit", np.dtype(dtype))
    params = make_params(d, h, k, dtype, rng)
    index = rng.permutation(n)[:batch].astype(np.intp)
    index[: min(3, batch)] = [0, 1, 2][: min(3, batch)]  # the blank and all-ink images are in the batch
    expected_loss, grads = reference_grads(pixels[index], y[index], params, lut)
    expected = [p.astype(np.float64) - 0.25 * g for p, g in zip(params, grads)]
    ws = _sparse.Workspace(d, h, k, dtype, threads, batch=batch)
    loss, _ = _sparse.minibatch_step(_sparse.CsrInputs(pixels, y, lut), index, *params, lut.dtype.type(0.25), ws)
    assert loss == pytest.approx(expected_loss, rel=RTOL[dtype])
    for got, want in zip(params, expected):
        assert rel_err(got, want) < RTOL[dtype]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("h", [256, 70])
def test_small_batches_share_hidden_units_between_threads(dtype, h):
    """Threads split a small batch's hidden units, not its samples: W1 after one step is bit for bit the
    one-thread result, and a run of steps repeats exactly."""
    d, k, n, batch = 784, 10, 600, 32
    rng = np.random.default_rng(h)
    pixels = make_pixels(n, d, 0.2, rng)
    y = rng.integers(0, k, n).astype(np.int32)
    lut = input_lut("unit", np.dtype(dtype))
    start = make_params(d, h, k, dtype, rng)
    order = rng.permutation(n).astype(np.intp)

    def run(threads, steps):
        params = [p.copy() for p in start]
        ws = _sparse.Workspace(d, h, k, dtype, threads, batch=batch)
        inputs = _sparse.CsrInputs(pixels, y, lut)
        for s in range(steps):
            _sparse.minibatch_step(inputs, order[s * batch : (s + 1) * batch], *params, lut.dtype.type(0.5), ws)
        return params

    one, two = run(1, 1), run(2, 1)
    np.testing.assert_array_equal(two[0], one[0])
    assert rel_err(two[2], one[2]) < RTOL[dtype]
    first, again = run(2, n // batch), run(2, n // batch)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("threads", [1, 2])
def test_a_batch_index_out_of_range_is_refused_and_changes_nothing(threads):
    d, h, k, n = 784, 64, 10, 50
    rng = np.random.default_rng(5)
    pixels = make_pixels(n, d, 0.2, rng)
    y = rng.integers(0, k, n).astype(np.int32)
    lut = input_lut("unit", np.dtype("float32"))
    params = make_params(d, h, k, "float32", rng)
    before = [p.copy() for p in params]
    ws = _sparse.Workspace(d, h, k, "float32", threads, batch=8)
    inputs = _sparse.CsrInputs(pixels, y, lut)
    for bad in ([0, 3, n], [-1, 2]):
        with pytest.raises(IndexError, match="out of range"):
            _sparse.minibatch_step(inputs, np.array(bad, np.intp), *params, np.float32(0.5), ws)
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p, b)


@given(
    costs=st.lists(st.integers(1, 10_000), min_size=0, max_size=60), n_threads=st.integers(1, 8), as_parts=st.booleans()
)
def test_parts_get_contiguous_tiles_of_about_their_share_of_the_cost(costs, n_threads, as_parts):
    shares = _sparse.part_shares(n_threads) if as_parts else np.full(n_threads, 1 / n_threads)
    split = _sparse._balanced_split(np.array(costs, np.int64), shares)
    assert len(split) == len(shares) + 1 and split[0] == 0 and split[-1] == len(costs)
    assert all(a <= b for a, b in zip(split, split[1:]))  # every tile once, in order
    running = np.concatenate([[0], np.cumsum(costs)])
    for t in range(1, len(shares)):  # each cut lies within one tile of where the shares so far end
        share = running[-1] * shares[:t].sum()
        assert running[split[t]] - max(costs, default=0) <= share <= running[split[t]] + max(costs, default=0)


def test_threads_share_a_full_batch_by_its_work():
    """Tiles of big images cost more: the thread given them gets fewer tiles."""
    rng = np.random.default_rng(5)
    pixels = np.concatenate([make_pixels(640, 784, 0.4, rng), make_pixels(640, 784, 0.05, rng)])
    y = rng.integers(0, 10, len(pixels)).astype(np.int32)
    lut = input_lut("unit", np.dtype("float32"))
    params = make_params(784, 64, 10, "float32", rng)
    ws = _sparse.Workspace(784, 64, 10, "float32", 2)
    _sparse.full_batch_step(_sparse.CsrInputs(pixels, y, lut), *params, np.float32(0.1), ws)
    split, shares = ws.group_split, ws.part_shares
    assert len(split) == len(shares) + 1 > 2 and split[0] == 0 and split[-1] == 20
    assert split[1] < shares[0] * 20  # the first part, of dense images: fewer tiles than its share of the work


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_full_batch_step_does_not_depend_on_which_thread_ran_which_part(dtype):
    """Each part of a full batch sums into its own accumulators, so two threads taking parts as they
    free up give bit for bit what one thread gives running the same parts in order."""
    rng = np.random.default_rng(11)
    pixels = make_pixels(1500, 784, 0.2, rng)
    y = rng.integers(0, 10, len(pixels)).astype(np.int32)
    lut = input_lut("raw", np.dtype(dtype))
    start = make_params(784, 96, 10, dtype, rng)
    inputs = _sparse.CsrInputs(pixels, y, lut)
    results = {}
    for threads in (1, 2, 3):
        params = [p.copy() for p in start]
        ws = _sparse.testing_workspace(784, 96, 10, dtype, threads, parts_as_for=2)
        assert ws.n_parts == _sparse.full_batch_parts(2) > 2
        losses = [_sparse.full_batch_step(inputs, *params, np.dtype(dtype).type(0.1), ws) for _ in range(3)]
        results[threads] = losses, params
    for threads in (2, 3):
        assert results[threads][0] == results[1][0]
        for got, want in zip(results[threads][1], results[1][1]):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("threads", [1, 2, 3, 8])
def test_a_full_batchs_parts_share_out_all_the_work_biggest_first(threads):
    shares = _sparse.part_shares(threads)
    assert len(shares) == _sparse.full_batch_parts(threads)
    assert len(shares) == 1 if threads == 1 else len(shares) > threads  # a thread that frees up finds more
    assert shares.sum() == pytest.approx(1) and all(a >= b for a, b in zip(shares, shares[1:]))
    assert _sparse.Workspace(784, 64, 10, "float32", threads).n_parts == len(shares)
    assert _sparse.Workspace(784, 64, 10, "float32", threads, batch=32).n_parts == threads  # per thread
    with pytest.raises(ValueError, match="at least 1"):
        _sparse.testing_workspace(784, 64, 10, "float32", threads, parts_as_for=0)
    with pytest.raises(ValueError, match="n_threads must be at least 1"):
        _sparse.Workspace(784, 64, 10, "float32", 0)


def random_batch(dtype, n, h, seed):
    """n random images (density 0.2) with labels, the lut, and starting parameters for h hidden units."""
    rng = np.random.default_rng(seed)
    pixels = make_pixels(n, 784, 0.2, rng)
    y = rng.integers(0, 10, n).astype(np.int32)
    return pixels, y, input_lut("unit", np.dtype(dtype)), make_params(784, h, 10, dtype, rng)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_run_repeats_exactly_on_two_threads(dtype):
    """Same inputs, same start, same thread count: the same bits, whichever core was faster."""
    pixels, y, lut, start = random_batch(dtype, 700, 64, seed=8)
    runs = []
    for _ in range(3):
        params = [p.copy() for p in start]
        ws = _sparse.Workspace(784, 64, 10, dtype, 2)
        inputs = _sparse.CsrInputs(pixels, y, lut)
        losses = [_sparse.full_batch_step(inputs, *params, lut.dtype.type(0.5), ws)[0] for _ in range(3)]
        runs.append((losses, params))
    for losses, params in runs[1:]:
        assert losses == runs[0][0]
        assert all(np.array_equal(a, b) for a, b in zip(params, runs[0][1]))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_thread_count_changes_only_rounding(dtype):
    """One, two and three threads split the samples differently; the step is the same up to rounding."""
    pixels, y, lut, start = random_batch(dtype, 500, 256, seed=5)
    results = []
    for threads in (1, 2, 3):
        params = [p.copy() for p in start]
        ws = _sparse.Workspace(784, 256, 10, dtype, threads)
        loss, correct = _sparse.full_batch_step(_sparse.CsrInputs(pixels, y, lut), *params, lut.dtype.type(0.5), ws)
        results.append((loss, correct, params))
    for loss, correct, params in results[1:]:
        assert loss == pytest.approx(results[0][0], rel=RTOL[dtype])
        assert correct == results[0][1]
        for got, want in zip(params, results[0][2]):
            assert rel_err(got, want) < RTOL[dtype]
    assert not np.array_equal(results[0][2][0], start[0])  # and the step did move W1


def test_a_workspace_for_another_width_is_refused():
    rng = np.random.default_rng(0)
    pixels = make_pixels(5, 784, 0.2, rng)
    y = np.zeros(5, np.int32)
    lut = input_lut("unit", np.dtype("float32"))
    params = make_params(784, 64, 10, "float32", rng)
    before = [p.copy() for p in params]
    with pytest.raises(ValueError, match="workspace"):
        _sparse.full_batch_step(
            _sparse.CsrInputs(pixels, y, lut), *params, np.float32(0.5), _sparse.Workspace(784, 32, 10, "float32", 2)
        )
    assert all(np.array_equal(a, b) for a, b in zip(params, before))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_workspace_reused_for_other_inputs_regroups_them(dtype):
    """A full-batch workspace keeps its inputs' tiles grouped by pixel; other inputs must not use that grouping."""
    rng = np.random.default_rng(11)
    lut = input_lut("unit", np.dtype(dtype))
    params = make_params(784, 64, 10, dtype, rng)
    ws = _sparse.Workspace(784, 64, 10, dtype, 2)
    for n in (200, 130):
        pixels = make_pixels(n, 784, 0.2, rng)
        y = rng.integers(0, 10, n).astype(np.int32)
        grads = [np.full_like(p, np.nan) for p in params]
        _sparse.full_batch_gradients(_sparse.CsrInputs(pixels, y, lut), *params, ws, *grads)
        _, expected = reference_grads(pixels, y, params, lut)
        assert rel_err(grads[0], expected[0]) < RTOL[dtype]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("threads,batch", [(1, 0), (2, 0), (1, 32)])
def test_workspace_buffers_start_on_cache_lines(dtype, threads, batch):
    """The vector loops' buffers start on 64-byte lines, so their 32-byte loads never straddle two lines."""
    for _ in range(5):  # NumPy's own offset varies from one allocation to the next
        ws = _sparse.Workspace(784, 256, 10, dtype, threads, batch=batch)
        for name in ("W1b", "W2T", "D1", "acc_W1", "acc_W2", "work", "tile_D", "tile_X", "tile_vals"):
            buf = getattr(ws, name)
            assert buf.size == 0 or buf.ctypes.data % 64 == 0, name
            assert buf.dtype == np.dtype(dtype) and not buf.any(), name
        assert ws.acc_W1.strides[0] % 64 == 0 and ws.W1b.shape == (784 * 256 * (1 - (batch > 0)),)


def banded_pixels(rng):
    """150 images whose ink sits in a few rows: most only in the top rows, some only in the bottom, a few whole."""
    pixels = np.zeros((150, 784), np.uint8)
    pixels[:100, :120] = make_pixels(100, 120, 0.5, rng)
    pixels[100:140, 700:] = make_pixels(40, 84, 0.5, rng)
    pixels[140:] = make_pixels(10, 784, 0.2, rng)
    return pixels


def test_bands_cut_every_image_at_the_same_pixels():
    """Band b of every image holds exactly its non-zeros between the same two pixel numbers, in order."""
    rng = np.random.default_rng(3)
    for pixels in (make_pixels(200, 784, 0.2, rng, blank=(0,), full=(1,)), banded_pixels(rng)):
        inputs = _sparse.CsrInputs(pixels, np.zeros(len(pixels), np.int32), input_lut("unit", np.dtype("float32")))
        bands, indptr, indices = inputs.bands, inputs.indptr, inputs.indices
        assert np.array_equal(bands[:, 0], indptr[:-1]) and np.array_equal(bands[:, -1], indptr[1:])
        assert np.all(np.diff(bands, axis=1) >= 0)
        for b in range(bands.shape[1] - 1):
            band_pixels = [indices[bands[i, b] : bands[i, b + 1]] for i in range(len(pixels))]
            lo = min((p.min() for p in band_pixels if len(p)), default=None)
            hi = max((p.max() for p in band_pixels if len(p)), default=None)
            later = [indices[bands[i, b + 1] : bands[i, -1]] for i in range(len(pixels))]
            if hi is not None:
                assert all(len(p) == 0 or p.min() > hi for p in later), f"band {b} overlaps the next"
            assert lo is None or all(len(p) == 0 or p.min() >= lo for p in band_pixels)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("threads", [1, 2])
def test_images_with_ink_in_some_bands_only_match_reference(dtype, threads):
    """Ink concentrated in a few rows moves the band cuts, and most images leave one or two bands empty."""
    pixels = banded_pixels(np.random.default_rng(threads))
    check_full_batch_gradients(dtype, len(pixels), 784, 100, 10, threads, seed=threads, pixels=pixels)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_minibatch_of_banded_images_updates_like_reference(dtype):
    rng = np.random.default_rng(8)
    pixels = banded_pixels(rng)
    y = rng.integers(0, 10, len(pixels)).astype(np.int32)
    lut = input_lut("unit", np.dtype(dtype))
    params = make_params(784, 70, 10, dtype, rng)
    index = np.array([0, 120, 145, 7, 101, 149], np.intp)  # top-only, bottom-only and whole images
    _, grads = reference_grads(pixels[index], y[index], params, lut)
    expected = [p.astype(np.float64) - 0.25 * g for p, g in zip(params, grads)]
    ws = _sparse.Workspace(784, 70, 10, dtype, 1, batch=len(index))
    _sparse.minibatch_step(_sparse.CsrInputs(pixels, y, lut), index, *params, lut.dtype.type(0.25), ws)
    for got, want in zip(params, expected):
        assert rel_err(got, want) < RTOL[dtype]
