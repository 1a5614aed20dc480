/* y[0:B] += sum_q vals[q] * M[rows[q] * ld + 0:B], with y held in registers.
 *
 * The sparse kernels spend nearly all their time on this pattern: the hidden
 * pre-activations of a sample gather the W1 rows of its non-zero pixels, and
 * the W1 gradient of a pixel gathers the hidden deltas of the samples that use
 * it. With y in memory every row costs a load and a store of y besides the
 * row itself; with B columns in eight 32-byte registers each row costs eight
 * loads and eight fused multiply-adds, and the caller keeps the B-column
 * slice of M small enough to stay in L2 (see the block loops in _sparse.pyx).
 *
 * B is 64 floats or 32 doubles (MLPGUI_BLOCK_BYTES). GCC and Clang vector
 * extensions keep this portable: without AVX they split into SSE or scalar
 * code. Other compilers get a plain loop with the same results.
 */
#ifndef MLPGUI_ROWBLOCK_H
#define MLPGUI_ROWBLOCK_H

#include <stddef.h>
#include <string.h>

#define MLPGUI_BLOCK_BYTES 256

/* The gather for any `width` columns, y in memory, one row at a time: the last
 * block when h is not a multiple of B, and every block without vector extensions. */
#define MLPGUI_ROWTAIL(NAME, T)                                                          \
    static inline void NAME(T *y, const T *M, ptrdiff_t ld, const int *rows,             \
                            const T *vals, ptrdiff_t n, ptrdiff_t width)                 \
    {                                                                                    \
        for (ptrdiff_t q = 0; q < n; q++) {                                              \
            const T *m = M + (ptrdiff_t)rows[q] * ld;                                    \
            T v = vals[q];                                                               \
            for (ptrdiff_t j = 0; j < width; j++)                                        \
                y[j] += v * m[j];                                                        \
        }                                                                                \
    }

MLPGUI_ROWTAIL(mlpgui_rowtail_f, float)
MLPGUI_ROWTAIL(mlpgui_rowtail_d, double)

#if defined(__GNUC__) || defined(__clang__)

typedef float mlpgui_vf __attribute__((vector_size(32)));
typedef double mlpgui_vd __attribute__((vector_size(32)));

#define MLPGUI_ROWBLOCK(NAME, T, V)                                                      \
    static inline void NAME(T *y, const T *M, ptrdiff_t ld, const int *rows,             \
                            const T *vals, ptrdiff_t n)                                  \
    {                                                                                    \
        V a0, a1, a2, a3, a4, a5, a6, a7, m0, m1, m2, m3, m4, m5, m6, m7;                \
        memcpy(&a0, y, 32); memcpy(&a1, y + 32 / sizeof(T), 32);                          \
        memcpy(&a2, y + 64 / sizeof(T), 32); memcpy(&a3, y + 96 / sizeof(T), 32);         \
        memcpy(&a4, y + 128 / sizeof(T), 32); memcpy(&a5, y + 160 / sizeof(T), 32);       \
        memcpy(&a6, y + 192 / sizeof(T), 32); memcpy(&a7, y + 224 / sizeof(T), 32);       \
        for (ptrdiff_t q = 0; q < n; q++) {                                              \
            const T *m = M + (ptrdiff_t)rows[q] * ld;                                    \
            T v = vals[q];                                                               \
            memcpy(&m0, m, 32); memcpy(&m1, m + 32 / sizeof(T), 32);                      \
            memcpy(&m2, m + 64 / sizeof(T), 32); memcpy(&m3, m + 96 / sizeof(T), 32);     \
            memcpy(&m4, m + 128 / sizeof(T), 32); memcpy(&m5, m + 160 / sizeof(T), 32);   \
            memcpy(&m6, m + 192 / sizeof(T), 32); memcpy(&m7, m + 224 / sizeof(T), 32);   \
            a0 += v * m0; a1 += v * m1; a2 += v * m2; a3 += v * m3;                      \
            a4 += v * m4; a5 += v * m5; a6 += v * m6; a7 += v * m7;                      \
        }                                                                                \
        memcpy(y, &a0, 32); memcpy(y + 32 / sizeof(T), &a1, 32);                          \
        memcpy(y + 64 / sizeof(T), &a2, 32); memcpy(y + 96 / sizeof(T), &a3, 32);         \
        memcpy(y + 128 / sizeof(T), &a4, 32); memcpy(y + 160 / sizeof(T), &a5, 32);       \
        memcpy(y + 192 / sizeof(T), &a6, 32); memcpy(y + 224 / sizeof(T), &a7, 32);       \
    }

MLPGUI_ROWBLOCK(mlpgui_rowblock_f, float, mlpgui_vf)
MLPGUI_ROWBLOCK(mlpgui_rowblock_d, double, mlpgui_vd)

#else

static inline void mlpgui_rowblock_f(float *y, const float *M, ptrdiff_t ld, const int *rows,
                                     const float *vals, ptrdiff_t n)
{
    mlpgui_rowtail_f(y, M, ld, rows, vals, n, MLPGUI_BLOCK_BYTES / sizeof(float));
}
static inline void mlpgui_rowblock_d(double *y, const double *M, ptrdiff_t ld, const int *rows,
                                     const double *vals, ptrdiff_t n)
{
    mlpgui_rowtail_d(y, M, ld, rows, vals, n, MLPGUI_BLOCK_BYTES / sizeof(double));
}

#endif


/* The output layer's forward step for one sample: z[c] = sum_j a[j] W2T[c, j] for c < k.
 * Each sum runs in eight lanes j = l mod 8, added in a fixed tree, then the
 * leftover units one by one: the same order whichever pass computes it, so
 * every build and output width gives the same sums. Several outputs per pass
 * over a[] keep independent chains in flight (below), so the adds don't wait
 * on each other's latency. */
#define MLPGUI_OUTFWD_FROM(NAME, T)                                                      \
    static inline void NAME(const T *a, const T *W2T, T *z, ptrdiff_t h, ptrdiff_t k,   \
                            ptrdiff_t c0)                                                \
    {                                                                                    \
        for (ptrdiff_t c = c0; c < k; c++) {                                             \
            const T *w = W2T + c * h;                                                    \
            T acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                         \
            ptrdiff_t j = 0;                                                             \
            for (; j + 8 <= h; j += 8)                                                   \
                for (int l = 0; l < 8; l++)                                              \
                    acc[l] += a[j + l] * w[j + l];                                       \
            T s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])); \
            for (; j < h; j++)                                                           \
                s += a[j] * w[j];                                                        \
            z[c] = s;                                                                    \
        }                                                                                \
    }
MLPGUI_OUTFWD_FROM(mlpgui_outfwd_from_f, float)
MLPGUI_OUTFWD_FROM(mlpgui_outfwd_from_d, double)

#if defined(__GNUC__) || defined(__clang__)
/* U outputs c..c+U in one pass over a[]; an output's eight lanes are R = 1
 * float register or R = 2 double registers, so U*R accumulators. */
#define MLPGUI_OUTPASS(NAME, T, V, U)                                                    \
    static inline void NAME(const T *a, const T *W2T, T *z, ptrdiff_t h, ptrdiff_t c)   \
    {                                                                                    \
        enum { L = 32 / sizeof(T), R = 8 / L };                                          \
        ptrdiff_t h8 = h / 8 * 8;                                                        \
        const T *W = W2T + c * h;                                                        \
        V acc[U][R], av[R], w;                                                           \
        memset(acc, 0, sizeof acc);                                                      \
        for (ptrdiff_t j = 0; j < h8; j += 8) {                                          \
            for (int r = 0; r < R; r++)                                                  \
                memcpy(&av[r], a + j + r * L, 32);                                       \
            for (int u = 0; u < U; u++)                                                  \
                for (int r = 0; r < R; r++) {                                            \
                    memcpy(&w, W + u * h + j + r * L, 32);                               \
                    acc[u][r] += av[r] * w;                                              \
                }                                                                        \
        }                                                                                \
        for (int u = 0; u < U; u++) {                                                    \
            T l[8];                                                                      \
            memcpy(l, acc[u], sizeof l);                                                 \
            T s = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));     \
            for (ptrdiff_t j = h8; j < h; j++)                                           \
                s += a[j] * W[u * h + j];                                                \
            z[c + u] = s;                                                                \
        }                                                                                \
    }
MLPGUI_OUTPASS(mlpgui_outpass10_f, float, mlpgui_vf, 10)
MLPGUI_OUTPASS(mlpgui_outpass4_f, float, mlpgui_vf, 4)
MLPGUI_OUTPASS(mlpgui_outpass4_d, double, mlpgui_vd, 4)

/* Ten float outputs (the digits) in one pass: ten independent chains keep
 * both FMA units busy. Ten double outputs would need twenty registers (of
 * sixteen), so doubles go four at a time. */
static inline void mlpgui_outfwd_f(const float *a, const float *W2T, float *z, ptrdiff_t h,
                                   ptrdiff_t k)
{
    ptrdiff_t c = 0;
    for (; c + 10 <= k; c += 10)
        mlpgui_outpass10_f(a, W2T, z, h, c);
    for (; c + 4 <= k; c += 4)
        mlpgui_outpass4_f(a, W2T, z, h, c);
    mlpgui_outfwd_from_f(a, W2T, z, h, k, c);
}
static inline void mlpgui_outfwd_d(const double *a, const double *W2T, double *z, ptrdiff_t h,
                                   ptrdiff_t k)
{
    ptrdiff_t c = 0;
    for (; c + 4 <= k; c += 4)
        mlpgui_outpass4_d(a, W2T, z, h, c);
    mlpgui_outfwd_from_d(a, W2T, z, h, k, c);
}
#else
static inline void mlpgui_outfwd_f(const float *a, const float *W2T, float *z, ptrdiff_t h, ptrdiff_t k)
{
    mlpgui_outfwd_from_f(a, W2T, z, h, k, 0);
}
static inline void mlpgui_outfwd_d(const double *a, const double *W2T, double *z, ptrdiff_t h, ptrdiff_t k)
{
    mlpgui_outfwd_from_d(a, W2T, z, h, k, 0);
}
#endif


/* The output layer's backward step for one sample, hidden units eight lanes at a time:
 * back[j] = sum_c d2[c] W2T[c, j] and gW2T[c, j] += d2[c] a[j] for j < h.
 * One pass over j with c inside keeps back[j:j+8] and a[j:j+8] in registers
 * instead of reading and writing back[] once per output. The sums run over c
 * in order, as in the one-unit loop.
 * The _from functions do units j0..h one at a time: the vector loop's
 * leftovers, and the whole step without vector extensions. */
#define MLPGUI_OUTBACK_FROM(NAME, T)                                                     \
    static inline void NAME(const T *a, const T *d2, const T *W2T, T *gW2T, T *back,    \
                            ptrdiff_t h, ptrdiff_t k, ptrdiff_t j0)                      \
    {                                                                                    \
        for (ptrdiff_t j = j0; j < h; j++) {                                             \
            T acc = 0;                                                                   \
            for (ptrdiff_t c = 0; c < k; c++) {                                          \
                acc += d2[c] * W2T[c * h + j];                                           \
                gW2T[c * h + j] += d2[c] * a[j];                                         \
            }                                                                            \
            back[j] = acc;                                                               \
        }                                                                                \
    }
MLPGUI_OUTBACK_FROM(mlpgui_outback_from_f, float)
MLPGUI_OUTBACK_FROM(mlpgui_outback_from_d, double)

#if defined(__GNUC__) || defined(__clang__)
#define MLPGUI_OUTBACK(NAME, FROM, T, V)                                                 \
    static inline void NAME(const T *a, const T *d2, const T *W2T, T *gW2T, T *back,    \
                            ptrdiff_t h, ptrdiff_t k)                                    \
    {                                                                                    \
        enum { L = 32 / sizeof(T) };                                                     \
        ptrdiff_t j = 0;                                                                 \
        for (; j + L <= h; j += L) {                                                     \
            V av, acc, w, g;                                                             \
            memcpy(&av, a + j, 32);                                                      \
            acc = av * 0;                                                                \
            for (ptrdiff_t c = 0; c < k; c++) {                                          \
                memcpy(&w, W2T + c * h + j, 32);                                         \
                memcpy(&g, gW2T + c * h + j, 32);                                        \
                acc += d2[c] * w;                                                        \
                g += d2[c] * av;                                                         \
                memcpy(gW2T + c * h + j, &g, 32);                                        \
            }                                                                            \
            memcpy(back + j, &acc, 32);                                                  \
        }                                                                                \
        FROM(a, d2, W2T, gW2T, back, h, k, j);                                           \
    }
MLPGUI_OUTBACK(mlpgui_outback_f, mlpgui_outback_from_f, float, mlpgui_vf)
MLPGUI_OUTBACK(mlpgui_outback_d, mlpgui_outback_from_d, double, mlpgui_vd)
#else
static inline void mlpgui_outback_f(const float *a, const float *d2, const float *W2T, float *gW2T,
                                    float *back, ptrdiff_t h, ptrdiff_t k)
{
    mlpgui_outback_from_f(a, d2, W2T, gW2T, back, h, k, 0);
}
static inline void mlpgui_outback_d(const double *a, const double *d2, const double *W2T, double *gW2T,
                                    double *back, ptrdiff_t h, ptrdiff_t k)
{
    mlpgui_outback_from_d(a, d2, W2T, gW2T, back, h, k, 0);
}
#endif

#endif
