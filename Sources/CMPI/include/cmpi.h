// MPI for moegc's MPI backend (MoegcDistributed, the one module that imports this), loaded at run
// time: `cmpi_load` opens MPICH's libmpich.so.12 with dlopen, so the moegc binary links no MPI
// library and a process that never asks for --backend mpi never loads one (nor UCX, MPICH's
// transport, whose memory hooks would otherwise be installed in every moegc process).
//
// Handles are MPICH's: plain ints (MPI_Comm, MPI_Request, MPI_Message), with the constant values of
// the MPICH ABI (MPICH 3.1 onwards, and the MPI libraries that share its ABI); cmpi_abi_constants
// lists them so a test checks them against the installed mpi.h. Every function returns MPI's error
// code (MPI_SUCCESS, 0, when it worked) unless it says otherwise.
#ifndef CMPI_H
#define CMPI_H

#include <stdint.h>

/// Opens libmpich.so.12 and finds every function below; 0 when done (also when already done), else
/// -1 with dlerror's message in `message`.
int cmpi_load(char *message, int capacity);

int cmpi_init_multiple(int *provided);
int cmpi_thread_multiple(void);
int cmpi_success(void);
int cmpi_world(void);
int cmpi_request_null(void);
int cmpi_errors_return(int comm);
int cmpi_comm_rank(int comm, int *rank);
int cmpi_comm_size(int comm, int *size);
int cmpi_comm_dup(int comm, int *duplicate);
/// The largest tag (MPI_TAG_UB; at least 32767), or -1.
int cmpi_tag_ub(int comm);
int cmpi_isend_bytes(const void *buffer, int count, int destination, int tag, int comm, int *request);
/// A message from `source` (-1: any rank) with any tag, if one has arrived: *flag 1 and its
/// source, tag and byte count.
int cmpi_improbe(int comm, int source, int *flag, int *message, int *from, int *tag, int *bytes);
int cmpi_mrecv_bytes(void *buffer, int count, int *message);
int cmpi_test(int *request, int *done);
int cmpi_ibarrier(int comm, int *request);
int cmpi_iallreduce_max_i64(const int64_t *in, int64_t *out, int count, int comm, int *request);
int cmpi_iallreduce_max_f64(const double *in, double *out, int count, int comm, int *request);
/// MPI's words for an error code in `buffer` (NUL-terminated); returns their length.
int cmpi_error_string(int code, char *buffer, int capacity);
int cmpi_finalize(void);
int cmpi_abort(int comm, int code);
/// "NAME=VALUE" lines of the MPICH ABI constants this file uses (hexadecimal as mpi.h spells them).
const char *cmpi_abi_constants(void);

#endif
