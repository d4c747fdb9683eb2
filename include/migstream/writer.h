/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * writer.h: the writer, mirror of the reader.
 *
 * Lifecycle:
 *   1. w = migstream_writer_new();
 *   2. migstream_writer_set_option(w, MIGSTREAM_OPT_..., value);   (optional)
 *   3. migstream_writer_open_fd() / _open_path() / _open_memory() / _open_io();
 *   4. migstream_writer_put_image_header(), _put_domain_header();
 *   5. one migstream_writer_put_*() call per record, the same values the
 *      reader's accessors return;
 *   6. migstream_writer_put_end(w);
 *   7. migstream_writer_close(w): 0 means every octet reached the sink;
 *   8. migstream_writer_free(w)  (NULL is a no-op).
 *
 * A failed open (MIGSTREAM_E_INVAL for a bad argument, MIGSTREAM_E_IO when
 * open_path() cannot create the file or refuses an existing one) leaves
 * the writer as it was before the call, and the path untouched: options
 * may still be set, and another open may be tried; until one succeeds,
 * close() and the put calls return MIGSTREAM_E_STATE, and free() releases
 * the writer.
 *
 * Validation: the writer runs the reader's rule code, in strict mode, on
 * everything it is asked to write and refuses (writing nothing) whatever
 * the reader would reject, with the same rule ID and message.  A refusal is
 * not sticky: the stream is unchanged and the caller may write something
 * else.  MIGSTREAM_OPT_RAW turns validation off, for test harnesses that
 * need deliberately invalid streams; migstream_writer_put_raw() then writes
 * arbitrary octets.
 *
 * Lengths, padding and reserved fields the calls do not take are computed
 * and zeroed by the writer.  Integers follow the byte order declared by the
 * image header's options bit 0.
 *
 * I/O: short writes are completed and EINTR is retried.  EAGAIN from a
 * non-blocking fd (or -EAGAIN from a writev callback) is not a failure
 * (since 1.1): the call accepts the whole record, keeps the octets the sink
 * would not take (at most one record) and returns MIGSTREAM_E_AGAIN; call
 * migstream_writer_flush() when the fd is writable (see
 * migstream_writer_get_poll()) until it returns 0, then go on.  Until then
 * every put call is refused with MIGSTREAM_E_STATE (not sticky; nothing
 * written) and close tries to flush (MIGSTREAM_E_AGAIN: the writer stays
 * open, close again later).  Nothing is written twice or lost: the octets
 * out are always a prefix of the intended stream.  With
 * MIGSTREAM_OPT_WAIT the writer polls instead and never returns
 * MIGSTREAM_E_AGAIN (1.0 failed the writer there).  Every other error
 * (EPIPE, ENOSPC, EIO, ...) fails it with MIGSTREAM_E_IO and errno kept in
 * the diagnostic.  Failures of the sink are sticky: every later call
 * returns the same code (errmsg naming the failure), and the octets that
 * did reach the sink are a prefix of the intended stream.  A misuse
 * (MIGSTREAM_E_INVAL, MIGSTREAM_E_STATE) is not sticky: errmsg reads
 * "migstream_writer_...: cause" and the stream is unchanged.  Closing a stream that has no END returns
 * MIGSTREAM_E_STATE (after releasing the sink).
 */
#ifndef MIGSTREAM_WRITER_H
#define MIGSTREAM_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <migstream/error.h>
#include <migstream/record.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque writer handle.  Since: 1.0 */
typedef struct migstream_writer migstream_writer;

/* Writer options (reader.h's MIGSTREAM_OPT_CLOSE_FD, _MAX_RECORD_LEN,
 * _STREAM_KIND, _DEEP, _GUEST_TYPE, _VCPUS and _P2M_SIZE apply too).
 * Since: 1.0 */
#define MIGSTREAM_OPT_RAW         20  /* 0/1: no validation; default 0 */
#define MIGSTREAM_OPT_WAIT        21  /* 0/1: poll a non-blocking fd on EAGAIN */
#define MIGSTREAM_OPT_FILE_MODE   22  /* open_path: permission bits; default 0666 (umask applies) */
#define MIGSTREAM_OPT_TRUNCATE    23  /* open_path: 0 refuse an existing file (default), 1 truncate it */
#define MIGSTREAM_OPT_SYNC        24  /* 0/1: fsync an fd sink before close reports success */
/* Since: 1.1.  0/1, default 0: migstream_writer_open_path() writes to a new
 * temporary file beside path (same directory, created with O_EXCL, mode
 * MIGSTREAM_OPT_FILE_MODE, or the permission bits of the file it replaces);
 * migstream_writer_close() of a complete stream (END written, every octet
 * accepted) fsyncs it, renames it over path (through a symlink: over the
 * file the link names) and fsyncs the directory.  Any other outcome (a
 * close before END, a failed write, migstream_writer_free() without close)
 * removes the temporary file and leaves whatever was at path untouched.
 * With MIGSTREAM_OPT_TRUNCATE 0 an existing path is still refused, at open
 * and at close.  A path naming something other than a regular file (a
 * device, a FIFO, a socket) is written directly: opened without O_CREAT or
 * O_TRUNC, and never removed. */
#define MIGSTREAM_OPT_ATOMIC      25

/* Caller callbacks for migstream_writer_open_io().  As for the reader's
 * (reader.h): writev returns 1..(octets in iov) or -errno (errno 1..4095),
 * close 0 or -errno; -EINTR is retried, -EAGAIN fails the writer with
 * MIGSTREAM_E_AGAIN (MIGSTREAM_OPT_WAIT polls fds only), any other -errno
 * with MIGSTREAM_E_IO and that errno.  0 and any value outside the
 * contract fail it with MIGSTREAM_E_IO (EINVAL; the message quotes the
 * value). */
typedef struct migstream_write_io {
	/* Write from iov: octets written (at least 1 unless iov is empty), or
	 * -errno.  Short writes are fine: the writer calls again. */
	int64_t (*writev)(void *ctx, const struct iovec *iov, int iovcnt);
	/* Optional: called once by close/free; 0 or -errno. */
	int (*close)(void *ctx);
} migstream_write_io;

/* ---------------------------------------------------------------------
 * Lifecycle.  Since: 1.0
 * ------------------------------------------------------------------- */

MIGSTREAM_API migstream_writer *migstream_writer_new(void);
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_set_option(migstream_writer *w, int key, uint64_t value);
/** Current value of a writer option (defaults included): 0, or
 *  MIGSTREAM_E_INVAL for a key the writer does not take (reader-only keys
 *  such as MIGSTREAM_OPT_MODE included) or a NULL value.  Since: 1.1 */
MIGSTREAM_API int migstream_writer_get_option(const migstream_writer *w, int key, uint64_t *value);
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_set_diag_handler(migstream_writer *w, migstream_diag_fn fn,
                                                    void *ctx);

/** Write to fd (files, pipes, sockets); left open unless MIGSTREAM_OPT_CLOSE_FD. */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_open_fd(migstream_writer *w, int fd);
/** Create path (MIGSTREAM_OPT_FILE_MODE); an existing file is refused
 *  (MIGSTREAM_E_IO, EEXIST) unless MIGSTREAM_OPT_TRUNCATE.  With
 *  MIGSTREAM_OPT_ATOMIC the stream goes to a temporary file until a
 *  successful close (see there). */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_open_path(migstream_writer *w, const char *path);
/** Write into a growable buffer owned by the writer (see _get_memory). */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_open_memory(migstream_writer *w);
/** Write through caller callbacks; io is copied (io_size = sizeof *io). */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_open_io(migstream_writer *w, const migstream_write_io *io,
                                           size_t io_size, void *ctx);

/** The memory sink's octets: owned by the writer, valid until the next
 *  write call or migstream_writer_free(). */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_get_memory(migstream_writer *w, const void **data, size_t *len);

/** Octets written so far (the stream offset of the next record). */
MIGSTREAM_API uint64_t migstream_writer_offset(const migstream_writer *w);

/** Flush, release the sink.  0 only if the stream is complete (END written)
 *  and every octet reached the sink.  MIGSTREAM_OPT_ATOMIC: only then is the
 *  temporary file renamed into place; otherwise it is removed. */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_close(migstream_writer *w);
MIGSTREAM_API void migstream_writer_free(migstream_writer *w);

/* ---------------------------------------------------------------------
 * Non-blocking output (event loops).  Since: 1.1
 * ------------------------------------------------------------------- */

/** Write the octets a call left pending (it returned MIGSTREAM_E_AGAIN).
 *  0 when none remain (also when there were none), MIGSTREAM_E_AGAIN when
 *  the sink would block again (poll and call again), or the sticky
 *  failure of the sink (MIGSTREAM_E_IO). */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_flush(migstream_writer *w);
/** Octets accepted but not yet taken by the sink (0 for an invalid handle). */
MIGSTREAM_API uint64_t migstream_writer_pending(const migstream_writer *w);
/** What to wait for: *fd is the sink's fd (-1 for memory and callback
 *  sinks, and after close), *events POLLOUT while octets are pending, else
 *  0.  0, or MIGSTREAM_E_INVAL for a NULL argument or invalid handle. */
MIGSTREAM_API int migstream_writer_get_poll(const migstream_writer *w, int *fd, short *events);

/** The last error: one line, owned by the writer, valid until the next call
 *  on it, never NULL; non-empty after every negative return (error.h). */
MIGSTREAM_API const char *migstream_writer_errmsg(const migstream_writer *w);
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_error(const migstream_writer *w, migstream_diag *out, size_t size);

/* ---------------------------------------------------------------------
 * Headers.  Since: 1.0
 * ------------------------------------------------------------------- */

/** Image header.  marker and id may be left 0: the writer fills them (in
 *  raw mode too; write other octets with migstream_writer_put_raw()). */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_image_header(migstream_writer *w,
                                                    const migstream_image_header *ih, size_t size);
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_domain_header(migstream_writer *w,
                                                     const migstream_domain_header *dh, size_t size);

/* ---------------------------------------------------------------------
 * Records.  Since: 1.0
 * ------------------------------------------------------------------- */

/** Any record from one body buffer (type may have bit 31 set). */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_record(migstream_writer *w, uint32_t type,
                                              const void *body, uint32_t len);
/** Any record from an iovec list (body = the concatenation). */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_record_iov(migstream_writer *w, uint32_t type,
                                                  const struct iovec *iov, int iovcnt);
/** MIGSTREAM_OPT_RAW only: arbitrary octets (E_STATE otherwise). */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_raw(migstream_writer *w, const void *data, size_t len);

/**
 * PAGE_DATA: count entries (pfns[i] with types[i]); pages[] holds one
 * pointer per data-carrying entry, in entry order (4096 octets each).  The
 * pages go to the sink with writev straight from those buffers.
 */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_page_data(migstream_writer *w, uint32_t count,
                                                 const uint64_t *pfns, const uint32_t *types,
                                                 const void *const *pages);

MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_x86_pv_info(migstream_writer *w,
                                                   const migstream_x86_pv_info *info, size_t size);
/** X86_PV_P2M_FRAMES: k frame pfns for the range start..end. */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_p2m_frames(migstream_writer *w, uint32_t start_pfn,
                                                  uint32_t end_pfn, const uint64_t *frames,
                                                  uint32_t k);
/** X86_PV_VCPU_BASIC, _EXTENDED, _XSAVE or _MSRS (type), context blob. */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_vcpu(migstream_writer *w, uint32_t type, uint32_t vcpu_id,
                                            const void *ctx, size_t ctx_len);
/** SHARED_INFO (4096 octets). */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_shared_info(migstream_writer *w, const void *page,
                                                   size_t len);
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_tsc_info(migstream_writer *w, const migstream_tsc_info *tsc,
                                                size_t size);
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_hvm_context(migstream_writer *w, const void *blob,
                                                   size_t len);
/** HVM_PARAMS: count (index, value) pairs. */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_hvm_params(migstream_writer *w, uint32_t count,
                                                  const uint64_t *index, const uint64_t *value);
/** TOOLSTACK: deprecated; refused unless MIGSTREAM_OPT_RAW (REC-7). */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_toolstack(migstream_writer *w, const void *blob, size_t len);
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_verify(migstream_writer *w);
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_checkpoint(migstream_writer *w);
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_dirty_pfn_list(migstream_writer *w, const uint64_t *pfns,
                                                      uint32_t n);
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_static_data_end(migstream_writer *w);
/** n leaves of entry_size octets each (entry_size = sizeof(migstream_cpuid_leaf)). */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_cpuid_policy(migstream_writer *w,
                                                    const migstream_cpuid_leaf *leaves, uint32_t n,
                                                    size_t entry_size);
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_msr_policy(migstream_writer *w,
                                                  const migstream_msr_entry *entries, uint32_t n,
                                                  size_t entry_size);
/** END of the current layer: the libxc image's (in a libxl stream the
 *  libxl records follow it), or the libxl stream's (the stream is then
 *  complete). */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_end(migstream_writer *w);

/* ---------------------------------------------------------------------
 * The xl and libxl layers.  Since: 1.0
 *
 * An xl save file is put_xl_header, put_libxl_header, put_libxc_context,
 * the libxc image (headers, records, END), the libxl records after it and
 * put_end.  A bare libxl stream starts at put_libxl_header.  Checkpointed
 * streams (MIGSTREAM_OPT_STREAM_KIND) continue after the image's CHECKPOINT
 * with libxl records, put_checkpoint_end, (COLO) put_checkpoint_state(0),
 * then libxc records again without new headers.  A COLO back channel
 * (MIGSTREAM_KIND_COLO_BACK) has no header: put_checkpoint_state(2), (3),
 * (1), put_dirty_pfn_list, and again.  put_record() writes a record of the
 * layer that has the stream.
 * ------------------------------------------------------------------- */

/** xl header plus optional_len octets of optional data (for xl: a u32
 *  config length, then the config).  In validated mode a zero magic and
 *  byteorder are filled in (little-endian) and optional_data_len is
 *  optional_len; MIGSTREAM_OPT_RAW writes the struct as given. */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_xl_header(migstream_writer *w, const migstream_xl_header *xh,
                                                 size_t size, const void *optional_data,
                                                 size_t optional_len);
/** libxl header; a zero ident is filled in (validated mode). */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_libxl_header(migstream_writer *w,
                                                    const migstream_libxl_header *lh, size_t size);
/** LIBXC_CONTEXT: the libxc image (image header first) follows. */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_libxc_context(migstream_writer *w);
/** EMULATOR_XENSTORE_DATA: data holds the packed pairs
 *  "key\0value\0key\0value\0..." (len octets). */
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_emulator_xenstore_data(migstream_writer *w,
                                                              uint32_t emulator_id, uint32_t index,
                                                              const void *data, size_t len);
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_emulator_context(migstream_writer *w, uint32_t emulator_id,
                                                        uint32_t index, const void *blob, size_t len);
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_checkpoint_end(migstream_writer *w);
MIGSTREAM_API MIGSTREAM_WUR int migstream_writer_put_checkpoint_state(migstream_writer *w, uint32_t control_id);

#ifdef __cplusplus
}
#endif

#endif /* MIGSTREAM_WRITER_H */
