// METIS 5 (Debian's libmetis-dev): k-way graph partitioning. idx_t is 32-bit in Debian's build.
#include <metis.h>
