// OpenBLAS's CBLAS interface plus its runtime controls
// (openblas_get_corename, openblas_set_num_threads), as Debian's libopenblas-dev installs them.
#include <cblas.h>
