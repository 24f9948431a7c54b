// MPICH loaded with dlopen (see include/cmpi.h): its constants as the MPICH ABI fixes them, its
// functions found by name once, each wrapper a call through the pointer found.
#include "cmpi.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

// The MPICH ABI: handles are ints; these values are mpi.h's (checked by MPIABITests).
enum {
    CMPI_SUCCESS = 0,
    CMPI_THREAD_MULTIPLE = 3,
    CMPI_ANY_SOURCE = -2,
    CMPI_ANY_TAG = -1,
    CMPI_MAX_ERROR_STRING = 512,
};
static const int CMPI_COMM_WORLD = 0x44000000;
static const int CMPI_REQUEST_NULL = 0x2c000000;
static const int CMPI_BYTE = 0x4c00010d;
static const int CMPI_DOUBLE = 0x4c00080b;
static const int CMPI_INT64_T = 0x4c00083a;
static const int CMPI_MAX = 0x58000001;
static const int CMPI_ERRORS_RETURN = 0x54000001;
static const int CMPI_TAG_UB = 0x64400001;

/// MPI_Status as MPICH lays it out.
typedef struct {
    int count_lo;
    int count_hi_and_cancelled;
    int source;
    int tag;
    int error;
} cmpi_status;

#define CMPI_STATUS_IGNORE ((cmpi_status *)1)

static struct {
    int loaded;
    int (*init_thread)(int *, char ***, int, int *);
    int (*comm_set_errhandler)(int, int);
    int (*comm_rank)(int, int *);
    int (*comm_size)(int, int *);
    int (*comm_dup)(int, int *);
    int (*comm_get_attr)(int, int, void *, int *);
    int (*isend)(const void *, int, int, int, int, int, int *);
    int (*improbe)(int, int, int, int *, int *, cmpi_status *);
    int (*get_count)(const cmpi_status *, int, int *);
    int (*mrecv)(void *, int, int, int *, cmpi_status *);
    int (*test)(int *, int *, cmpi_status *);
    int (*ibarrier)(int, int *);
    int (*iallreduce)(const void *, void *, int, int, int, int, int *);
    int (*error_string)(int, char *, int *);
    int (*finalize)(void);
    int (*abort)(int, int);
} mpi;

int cmpi_load(char *message, int capacity) {
    if (mpi.loaded) return 0;
    void *lib = dlopen("libmpich.so.12", RTLD_NOW | RTLD_GLOBAL);
    if (!lib) {
        snprintf(message, (size_t)capacity, "%s", dlerror());
        return -1;
    }
#define FIND(field, name)                                                              \
    do {                                                                               \
        *(void **)(&mpi.field) = dlsym(lib, name);                                     \
        if (!mpi.field) {                                                              \
            snprintf(message, (size_t)capacity, "libmpich.so.12 has no %s", name);     \
            return -1;                                                                 \
        }                                                                              \
    } while (0)
    FIND(init_thread, "MPI_Init_thread");
    FIND(comm_set_errhandler, "MPI_Comm_set_errhandler");
    FIND(comm_rank, "MPI_Comm_rank");
    FIND(comm_size, "MPI_Comm_size");
    FIND(comm_dup, "MPI_Comm_dup");
    FIND(comm_get_attr, "MPI_Comm_get_attr");
    FIND(isend, "MPI_Isend");
    FIND(improbe, "MPI_Improbe");
    FIND(get_count, "MPI_Get_count");
    FIND(mrecv, "MPI_Mrecv");
    FIND(test, "MPI_Test");
    FIND(ibarrier, "MPI_Ibarrier");
    FIND(iallreduce, "MPI_Iallreduce");
    FIND(error_string, "MPI_Error_string");
    FIND(finalize, "MPI_Finalize");
    FIND(abort, "MPI_Abort");
#undef FIND
    mpi.loaded = 1;
    return 0;
}

int cmpi_init_multiple(int *provided) { return mpi.init_thread(0, 0, CMPI_THREAD_MULTIPLE, provided); }
int cmpi_thread_multiple(void) { return CMPI_THREAD_MULTIPLE; }
int cmpi_success(void) { return CMPI_SUCCESS; }
int cmpi_world(void) { return CMPI_COMM_WORLD; }
int cmpi_request_null(void) { return CMPI_REQUEST_NULL; }
int cmpi_errors_return(int comm) { return mpi.comm_set_errhandler(comm, CMPI_ERRORS_RETURN); }
int cmpi_comm_rank(int comm, int *rank) { return mpi.comm_rank(comm, rank); }
int cmpi_comm_size(int comm, int *size) { return mpi.comm_size(comm, size); }
int cmpi_comm_dup(int comm, int *duplicate) { return mpi.comm_dup(comm, duplicate); }

int cmpi_tag_ub(int comm) {
    int *ub = 0, flag = 0;
    if (mpi.comm_get_attr(comm, CMPI_TAG_UB, &ub, &flag) != CMPI_SUCCESS || !flag || !ub) return -1;
    return *ub;
}

int cmpi_isend_bytes(const void *buffer, int count, int destination, int tag, int comm, int *request) {
    return mpi.isend(buffer, count, CMPI_BYTE, destination, tag, comm, request);
}

int cmpi_improbe(int comm, int source, int *flag, int *message, int *from, int *tag, int *bytes) {
    cmpi_status status;
    int rc = mpi.improbe(source < 0 ? CMPI_ANY_SOURCE : source, CMPI_ANY_TAG, comm, flag, message, &status);
    if (rc != CMPI_SUCCESS || !*flag) return rc;
    *from = status.source;
    *tag = status.tag;
    return mpi.get_count(&status, CMPI_BYTE, bytes);
}

int cmpi_mrecv_bytes(void *buffer, int count, int *message) { return mpi.mrecv(buffer, count, CMPI_BYTE, message, CMPI_STATUS_IGNORE); }
int cmpi_test(int *request, int *done) { return mpi.test(request, done, CMPI_STATUS_IGNORE); }
int cmpi_ibarrier(int comm, int *request) { return mpi.ibarrier(comm, request); }

int cmpi_iallreduce_max_i64(const int64_t *in, int64_t *out, int count, int comm, int *request) {
    return mpi.iallreduce(in, out, count, CMPI_INT64_T, CMPI_MAX, comm, request);
}

int cmpi_iallreduce_max_f64(const double *in, double *out, int count, int comm, int *request) {
    return mpi.iallreduce(in, out, count, CMPI_DOUBLE, CMPI_MAX, comm, request);
}

int cmpi_error_string(int code, char *buffer, int capacity) {
    char text[CMPI_MAX_ERROR_STRING + 1];
    int length = 0;
    if (!mpi.loaded || mpi.error_string(code, text, &length) != CMPI_SUCCESS) length = snprintf(text, sizeof text, "MPI error %d", code);
    if (length < 0) length = 0;
    if (length > CMPI_MAX_ERROR_STRING) length = CMPI_MAX_ERROR_STRING;
    text[length] = 0;
    snprintf(buffer, (size_t)capacity, "%s", text);
    return (int)strlen(buffer);
}

int cmpi_finalize(void) { return mpi.finalize(); }
int cmpi_abort(int comm, int code) { return mpi.abort(comm, code); }

const char *cmpi_abi_constants(void) {
    return "MPI_SUCCESS=0\n"
           "MPI_THREAD_MULTIPLE=3\n"
           "MPI_ANY_SOURCE=-2\n"
           "MPI_ANY_TAG=-1\n"
           "MPI_MAX_ERROR_STRING=512\n"
           "MPI_COMM_WORLD=0x44000000\n"
           "MPI_REQUEST_NULL=0x2c000000\n"
           "MPI_BYTE=0x4c00010d\n"
           "MPI_DOUBLE=0x4c00080b\n"
           "MPI_INT64_T=0x4c00083a\n"
           "MPI_MAX=0x58000001\n"
           "MPI_ERRORS_RETURN=0x54000001\n"
           "MPI_TAG_UB=0x64400001\n";
}
