// MPI (MPICH, Debian's libmpich-dev; its header lives under /usr/include/<triplet>/mpich, found
// through pkg-config `mpich`). MPICH spells its handles and constants as casting macros, which
// Swift does not import: the helpers below name each one the distributed runtime uses, so
// MoegcDistributed never sees a macro. Only MoegcDistributed imports this module.
#include <mpi.h>
#include <stdint.h>

static inline int cmpi_init_multiple(int *provided) { return MPI_Init_thread(0, 0, MPI_THREAD_MULTIPLE, provided); }
static inline int cmpi_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }
static inline MPI_Comm cmpi_world(void) { return MPI_COMM_WORLD; }
static inline int cmpi_errors_return(MPI_Comm comm) { return MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN); }
static inline int cmpi_success(void) { return MPI_SUCCESS; }
static inline MPI_Request cmpi_request_null(void) { return MPI_REQUEST_NULL; }

/// The largest tag this MPI accepts (MPI_TAG_UB; at least 32767), or -1.
static inline int cmpi_tag_ub(MPI_Comm comm) {
    int *ub = 0, flag = 0;
    if (MPI_Comm_get_attr(comm, MPI_TAG_UB, &ub, &flag) != MPI_SUCCESS || !flag || !ub) return -1;
    return *ub;
}

static inline int cmpi_isend_bytes(const void *buf, int count, int dest, int tag, MPI_Comm comm, MPI_Request *req) {
    return MPI_Isend(buf, count, MPI_BYTE, dest, tag, comm, req);
}

/// A message from any rank with any tag, if one has arrived: *flag 1 and its source, tag, byte count.
static inline int cmpi_improbe(MPI_Comm comm, int source, int *flag, MPI_Message *message, int *from, int *tag, int *bytes) {
    MPI_Status status;
    int rc = MPI_Improbe(source < 0 ? MPI_ANY_SOURCE : source, MPI_ANY_TAG, comm, flag, message, &status);
    if (rc != MPI_SUCCESS || !*flag) return rc;
    *from = status.MPI_SOURCE;
    *tag = status.MPI_TAG;
    return MPI_Get_count(&status, MPI_BYTE, bytes);
}

static inline int cmpi_mrecv_bytes(void *buf, int count, MPI_Message *message) {
    return MPI_Mrecv(buf, count, MPI_BYTE, message, MPI_STATUS_IGNORE);
}

static inline int cmpi_test(MPI_Request *req, int *done) { return MPI_Test(req, done, MPI_STATUS_IGNORE); }

static inline int cmpi_ibarrier(MPI_Comm comm, MPI_Request *req) { return MPI_Ibarrier(comm, req); }

static inline int cmpi_iallreduce_max_i64(const int64_t *in, int64_t *out, int count, MPI_Comm comm, MPI_Request *req) {
    return MPI_Iallreduce(in, out, count, MPI_INT64_T, MPI_MAX, comm, req);
}

static inline int cmpi_iallreduce_max_f64(const double *in, double *out, int count, MPI_Comm comm, MPI_Request *req) {
    return MPI_Iallreduce(in, out, count, MPI_DOUBLE, MPI_MAX, comm, req);
}
