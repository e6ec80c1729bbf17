/* SciPy's 32-bit-integer OpenBLAS, reduced to what a build's SciPy calls.
 *
 * NumPy and SciPy wheels each carry an OpenBLAS (25 MB apiece): NumPy's uses
 * 64-bit integers (symbols ending in 64_), SciPy's 32-bit ones.  Of the SciPy
 * modules a build keeps, only scipy.special links to SciPy's copy, for one
 * LAPACK routine (dstevr, in ellip_harm).  packaging/build.py compiles this
 * file into a library with the name of SciPy's copy, which forwards that
 * routine to NumPy's copy, widening the integers, and checks first that the
 * build needs nothing else from SciPy's copy.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

typedef int64_t i64;

extern void scipy_dstevr_64_(const char *jobz, const char *range, const i64 *n, double *d,
    double *e, const double *vl, const double *vu, const i64 *il, const i64 *iu,
    const double *abstol, i64 *m, double *w, double *z, const i64 *ldz, i64 *isuppz,
    double *work, const i64 *lwork, i64 *iwork, const i64 *liwork, i64 *info,
    size_t jobz_len, size_t range_len);

void scipy_dstevr_(const char *jobz, const char *range, const int *n, double *d, double *e,
    const double *vl, const double *vu, const int *il, const int *iu, const double *abstol,
    int *m, double *w, double *z, const int *ldz, int *isuppz, double *work, const int *lwork,
    int *iwork, const int *liwork, int *info)
{
    i64 n64 = *n, il64 = *il, iu64 = *iu, ldz64 = *ldz, lwork64 = *lwork, liwork64 = *liwork;
    i64 m64 = 0, info64 = 0;
    /* LAPACK writes at most 2*max(1,M) support indices, M <= N, and LIWORK integers. */
    size_t nsupp = 2 * (size_t)(*n > 1 ? *n : 1);
    size_t niwork = (size_t)(*liwork > 1 ? *liwork : 1);
    i64 *isuppz64 = calloc(nsupp, sizeof(i64));
    i64 *iwork64 = calloc(niwork, sizeof(i64));
    if (isuppz64 == NULL || iwork64 == NULL) {
        free(isuppz64);
        free(iwork64);
        *info = -19;  /* LAPACK's answer for a workspace it cannot use */
        return;
    }
    /* JOBZ and RANGE are single characters: LAPACK reads only their first letter. */
    scipy_dstevr_64_(jobz, range, &n64, d, e, vl, vu, &il64, &iu64, abstol, &m64, w, z, &ldz64,
                     isuppz64, work, &lwork64, iwork64, &liwork64, &info64, 1, 1);
    *m = (int)m64;
    *info = (int)info64;
    if (*liwork >= 1)
        iwork[0] = (int)iwork64[0];  /* the optimal LIWORK, as LAPACK reports it */
    size_t written = 2 * (size_t)(m64 > 1 ? m64 : 1);
    for (size_t i = 0; i < written && i < nsupp; i++)
        isuppz[i] = (int)isuppz64[i];
    free(isuppz64);
    free(iwork64);
}
